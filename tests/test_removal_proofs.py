"""The removal plans' proofs (``consolidate.merge.Proof``): a later removal pass skips a rule
whose proof that it stays (an event it decides whose next rule takes another action, or: it
decides nothing while another action decides some of its events) still holds after the
changes made since it was found. A skipped question must be one whose answer is the proof's,
or the plan would differ from the one made without proofs, and ``check``'s ``frees`` from what
``suggest-merge`` frees.

Every test here runs the planner with ``merge.AUDIT`` on: each skipped question is asked
anyway and must answer as its proof says. Two small lists show that a proof made stale by a
removal is not trusted: with its check taken out, the plan changes."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings

from merge_gen import MergeSet, merge_sets
from rulelint.consolidate import merge
from rulelint.consolidate.merge import DEFAULT_KEYS, plan_all
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project
from rulelint.passes import Context, live_index
from rulelint.passes.overlap import check_ruleset
from test_include_shadowed import dense_sets
from test_merge_properties import PROPS, examples, load_dir
from test_removal_hints import plan_summary


@pytest.fixture(autouse=True)
def _audit(monkeypatch):
    monkeypatch.setattr(merge, "AUDIT", True)


def _plans(rs, hints=None, witnesses: bool = True) -> dict:
    saved = merge.WITNESSES
    merge.WITNESSES = witnesses
    try:
        ctx = Context(project=None, settings=None, enabled=lambda code: True)
        plans = plan_all(rs, DEFAULT_KEYS, index=live_index(ctx, rs), hints=hints)
    finally:
        merge.WITNESSES = saved
    return plan_summary(plans)


def _hints(rs):
    ctx = Context(project=None, settings=None, enabled=lambda code: True)
    list(check_ruleset(ctx, rs))
    return ctx.cache.get(("removal-hints", rs.name))


def _assert_same_plans(rs) -> None:
    """With proofs and without, with the check's hints (seeding the proofs) and without."""
    without = _plans(rs, witnesses=False)
    assert _plans(rs) == without
    hints = _hints(rs)
    if hints is not None:
        assert _plans(rs, hints) == without


def _check_spec(spec: MergeSet) -> None:
    with tempfile.TemporaryDirectory() as d:
        _assert_same_plans(load_dir(Path(d), spec.files()))


@settings(max_examples=examples(150), **PROPS)
@given(spec=dense_sets(semantics="first-match"))
def test_proofs_change_no_plan_dense(spec: MergeSet):
    _check_spec(spec)


@settings(max_examples=examples(100), **PROPS)
@given(spec=merge_sets(max_rules=16, semantics="first-match"))
def test_proofs_change_no_plan_sparse(spec: MergeSet):
    _check_spec(spec)


@pytest.mark.parametrize("profile,seed", [("dense", 3), ("dense", 11), ("realistic", 5)])
def test_proofs_change_no_plan_of_a_generated_list(tmp_path, profile, seed):
    """A generated support-desk list: many passes, merges between them, thousands of
    skipped questions, each audited."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import generate

    path = tmp_path / "rules.yaml"
    path.write_text(generate.generate(500, seed=seed, profile=profile), encoding="utf-8")
    project = load_project([SourceFile(path, path.name)], Settings(root=tmp_path, cwd=tmp_path))
    [rs] = project.rulesets.values()
    _assert_same_plans(rs)


HEAD = "ruleset: gen\nsemantics: first-match\nrules:\n"


def _rule(rid: str, action: str, match: str, owner: str = "ops@example.com") -> str:
    return f"- id: {rid}\n  action: {action}\n  match: {match}\n  owner: {owner}\n"


def test_a_stale_event_proof_is_not_trusted(tmp_path, monkeypatch):
    """--include-redundant, latest first. Pass 1 keeps r4: it decides n=4, and without it r11
    (allow) would. It removes r8 (r11 takes its events). Pass 2 removes r11 (r0 takes them
    now), so n=4 goes to r13 (deny) without r4: r4 goes too. r4's proof from pass 1 (event
    n=4, next rule another action) is stale once r11 is gone; a planner that trusted it
    would keep r4 (and merge it into r13)."""
    rs = load_dir(tmp_path, {
        "a.yaml": HEAD + _rule("r4", "deny", "{n: [4]}") + _rule("r8", "allow", "{n: {not_in: 0}}")
        + _rule("r11", "allow", "{n: {not_in: 0}}") + _rule("r13", "deny", "{n: [0, 4]}"),
        "b.yaml": HEAD + _rule("r0", "allow", "{n: {not_in: 0}}"),
    })
    without = _plans(rs, witnesses=False)
    assert [r[0] for r in without["include_redundant"][1]] == ["r8", "r11", "r4"]
    assert _plans(rs) == without
    monkeypatch.setattr(merge, "AUDIT", False)
    monkeypatch.setattr(merge.Planner, "_verify", lambda self, r, p: p)  # trust it blindly
    stale = _plans(rs)
    assert [r[0] for r in stale["include_redundant"][1]] == ["r8", "r11"]
    assert stale != without


def test_a_stale_shadowed_proof_is_not_trusted(tmp_path, monkeypatch):
    """--include-redundant, latest first. Pass 1 keeps r10 and r4 (r2 takes all of them, and
    r0 (deny) some: shadowed), and removes r2 (r4 takes its events). Once r2 is gone r4
    decides, and r10 takes what it does: pass 2 removes r4. A planner that kept r4's
    shadowed proof past the removal of r2 (a rule before it with its action, meeting it)
    would keep r4."""
    rs = load_dir(tmp_path, {
        "a.yaml": HEAD.replace("rules:\n", "fields:\n  plan: {kind: enum, values: [free, pro]}\nrules:\n")
        + _rule("r0", "deny", "{n: 0, plan: free}") + _rule("r2", "allow", "{plan: free}")
        + _rule("r4", "allow", "{plan: free}") + _rule("r10", "allow", "{plan: free}", "sec@example.com"),
    })
    without = _plans(rs, witnesses=False)
    assert [r[0] for r in without["include_redundant"][1]] == ["r2", "r4"]
    assert _plans(rs) == without
    monkeypatch.setattr(merge, "AUDIT", False)
    monkeypatch.setattr(merge.Planner, "_apply", lambda self, *a, **k: None)  # none applied
    stale = _plans(rs)
    assert [r[0] for r in stale["include_redundant"][1]] == ["r2"]
    assert stale != without
