"""The overlap pass against an independent enumeration (``benchmarks/truth.py``), on rule
sets from the benchmark generator: every profile, small sizes, many seeds.

The enumerator knows nothing of boxes, the index or the set algebra: it enumerates each
rule's minimal events (one value per class that no rule tells apart) and finds the first
matching rule of each by plain matching. The engine must report exactly the rules that never
decide (RL302, RL301 "never decides", the later rule of an RL201/RL202 pair), split into
RL301 and RL302 the same way, and leave no question unanswered.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulelint.engine import analyse
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project

REPO = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_truth_{name}", REPO / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


generate = _load("generate")
truth = _load("truth")


def engine_sets(text: str):
    """(never decides, RL301 never decides, RL302, incomplete) as the engine reports them."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "rules.yaml").write_text(text, encoding="utf-8")
        cfg = Settings(root=root, cwd=root, select=["RL2", "RL3"])
        project = load_project([SourceFile(root / "rules.yaml", "rules.yaml")], cfg)
        assert not [f for f in project.findings if f.code.startswith("RL0")]
        findings, ctx = analyse(project, cfg)
    check = {"findings": [
        {"code": f.code, "rule_ids": list(f.rule_ids), "message": f.message} for f in findings
    ]}
    dead, r301, r302 = truth.reported(check)
    return dead, r301, r302, ctx.cache.get("incomplete", [])


def truth_sets(text: str):
    t = truth.Truth(yaml.load(text, Loader=yaml.CSafeLoader))
    dead, r301, r302 = set(), set(), set()
    for i in range(len(t.conds)):
        d, kind = t.analyse(i)
        if d:
            dead.add(t.ids[i])
            (r301 if kind == "RL301" else r302).add(t.ids[i])
    return dead, r301, r302


def compare(text: str, removal_may_stay_open: bool = False) -> None:
    got_dead, got301, got302, incomplete = engine_sets(text)
    dead, r301, r302 = truth_sets(text)
    split_open = set()
    if removal_may_stay_open:
        # "would removing this live rule change nothing?", or, for a rule that never decides
        # (still reported, as RL301), "does an event with more fields go to another action?"
        for e in incomplete:
            if e["codes"] == ["RL302"]:
                assert e["rule_id"] in dead and e["rule_id"] in got_dead
                split_open.add(e["rule_id"])
            else:
                assert e["codes"] == ["RL301"] and e["rule_id"] not in dead, e
    else:
        assert incomplete == []
    assert got_dead - dead == set(), f"reported but decides: {sorted(got_dead - dead)}"
    assert dead - got_dead == set(), f"never decides, not reported: {sorted(dead - got_dead)}"
    bad = got301 - r301 - split_open
    assert not bad, f"RL301 but another action decides some: {sorted(bad)}"
    assert got302 <= r302, f"RL302 but only its action decides: {sorted(got302 - r302)}"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=20, max_value=400),
    seed=st.integers(min_value=0, max_value=10**6),
    profile=st.sampled_from(["dense", "realistic", "saturated"]),
)
def test_engine_matches_the_enumeration_on_generated_sets(n, seed, profile):
    compare(generate.generate(n, seed, profile))


def _tiny_dense(seed: int, n: int) -> str:
    """The dense shape with smaller pools: every region x plan cell is hit many times, so
    rules are covered jointly by several earlier ones with mixed actions."""
    g = generate.DenseGenerator(n, seed)
    g.customers = g.customers[: max(3, n // 20)]
    return generate.render(g.run(), n, seed, "dense")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=30, max_value=300), seed=st.integers(min_value=0, max_value=10**6))
def test_engine_matches_the_enumeration_on_dense_small_pools(n, seed):
    compare(_tiny_dense(seed, n))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=60, max_value=300), seed=st.integers(min_value=0, max_value=10**6))
def test_tight_limits_never_drop_a_rule_that_never_decides(n, seed):
    """With the old limits made tiny (probes, coverers, box operations per rule), a rule
    that never decides is still reported and split right: the walks in evaluation order
    carry it (before issue 15 such rules were dropped without a word)."""
    import rulelint.passes.overlap as overlap

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(overlap, "MAX_PROBES", 1)
        mp.setattr(overlap, "MAX_COVERERS", 2)
        mp.setattr(overlap, "OPS_BUDGET", 20)
        compare(_tiny_dense(seed, n), removal_may_stay_open=True)


def test_the_enumeration_sees_joint_cover_and_the_split():
    """The issue's example, small: a rule covered by two earlier rules with its action is
    RL301 (no other action decides any event); with a customer rule of another action first,
    an event with a customer id is decided by it: RL302. The enumerator says so, and so
    does the engine."""
    head = "\n".join(["ruleset: t", "fields:", "  plan: {kind: enum, values: [pro, business]}",
                      "  ticket_age_days: {kind: int, min: 0}", "rules:"])
    rules = [
        "  - {id: a, action: waive_fee, priority: -5, match: {region: [AU, BR], plan: business}}",
        "  - {id: b, action: waive_fee, priority: -3, match: {region: [KR, DE, GB], plan: business,"
        " ticket_age_days: {range: [47, 71]}}}",
        "  - {id: r, action: waive_fee, priority: 2, match: {region: [KR, AU], plan: business,"
        " ticket_age_days: {range: [56, 68]}}}",
        "  - {id: later, action: escalate, match: {region: KR}}",
    ]
    text = head + "\n" + "\n".join(rules) + "\n"
    assert truth_sets(text) == ({"r"}, {"r"}, set())
    compare(text)
    cust = "  - {id: c, action: escalate, priority: -4, match: {customer_id: C-1}}"
    text = head + "\n" + "\n".join([rules[0], cust, *rules[1:]]) + "\n"
    assert truth_sets(text) == ({"r"}, set(), {"r"})
    compare(text)


@pytest.mark.parametrize("profile", ["dense", "realistic"])
def test_engine_matches_the_enumeration_at_2000_rules(profile):
    compare(generate.generate(2000, 7, profile))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=30, max_value=250), seed=st.integers(min_value=0, max_value=10**6))
def test_a_given_up_trie_falls_back_to_the_index_and_says_what_it_left_open(n, seed):
    """With every trie given up at once (algebra/decided.py's step limits at zero), each
    rule is asked of the index rule by rule: what it reports is still right, and every rule
    that never decides is either reported or listed in summary.incomplete."""
    import rulelint.algebra.decided as decided

    text = _tiny_dense(seed, n)
    dead, r301, r302 = truth_sets(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decided, "STEPS_BASE", 0)
        mp.setattr(decided, "STEPS_PER_RULE", 0)
        got_dead, got301, got302, incomplete = engine_sets(text)
    open_ids = {e["rule_id"] for e in incomplete}
    assert got_dead <= dead and got301 <= r301 | (open_ids & dead) and got302 <= r302
    assert dead - got_dead <= open_ids, sorted(dead - got_dead - open_ids)
