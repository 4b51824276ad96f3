"""The fuzz harness (issue 14): rule files from hypothesis strategies and from a seeded
mutation loop over real files, run through the real CLI, checked against an independent
oracle. ``python -m tests.fuzz --minutes 60 --out DIR`` is the long run;
``test_fuzz_slice.py`` is the bounded slice that runs with the suite.
"""
