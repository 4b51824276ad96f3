"""The same rules give the same bytes, whatever Python's string hashing does.

Fingerprints, baselines and ``--base`` compare findings across runs, so a witness or a
named rule that depends on set iteration order (``PYTHONHASHSEED``) would make a finding
look new on every run. Each output is produced by a real subprocess under three hash seeds,
on a generated rule set with every kind of rule (not_in lists, prefixes, CIDRs, staircases).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = ("0", "1", "2")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("_det_generate", REPO / "benchmarks/generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    root = tmp_path_factory.mktemp("det")
    (root / "rulelint.yaml").write_text("# no settings: stop the search here\n")
    # the dense profile: many rules meet each other, so every witness path is taken
    (root / "rules.yaml").write_text(mod.generate(3000, 20260101, "dense"), encoding="utf-8")
    return root


def _run(root: Path, seed: str, *args: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    got = subprocess.run(
        [sys.executable, "-m", "rulelint", *args], cwd=root, env=env, capture_output=True,
        timeout=600,
    )
    assert got.returncode in (0, 1), got.stderr.decode()
    return got.stdout


@pytest.mark.parametrize("args", [
    ("check", "rules.yaml", "--format", "json", "--today", "2026-11-30"),
    ("suggest-merge", "rules.yaml", "--include-redundant"),
])
def test_output_does_not_depend_on_the_hash_seed(generated, args):
    outputs = {seed: _run(generated, seed, *args) for seed in SEEDS}
    assert outputs["0"], "no output"
    for seed in SEEDS[1:]:
        assert outputs[seed] == outputs["0"], f"PYTHONHASHSEED={seed} differs from 0"


def test_fast_exit_keeps_the_exit_status_and_flushes_everything(generated):
    """The console entry point leaves with os._exit (no heap teardown): the full report
    must still reach a pipe, and the status must be the command's."""
    got = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "rules.yaml", "--today", "2026-11-30",
         "--format", "json"],
        cwd=generated, capture_output=True, timeout=600,
    )
    assert got.returncode == 1  # the generated set has errors (RL302)
    assert got.stdout.rstrip().endswith(b"}")  # the JSON document is complete
    missing = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "nope.yaml"], cwd=generated,
        capture_output=True, timeout=600,
    )
    assert missing.returncode == 2 and b"nope.yaml" in missing.stderr


def test_exit_code_of_a_system_exit(capsys):
    from rulelint.util.fastexit import exit_code

    assert exit_code(None) == 0
    assert exit_code(3) == 3
    assert exit_code("rulelint: gave up") == 1
    assert "gave up" in capsys.readouterr().err
