"""The merge planner at scale: window questions, moved boxes, removals, --target.

The planner indexes the rules once and asks only about order windows (``merge.py``). These
tests pin what that must never lose:

* a rule merged into another moves its events to the receiver's place; a later window
  question must see them there (``_Moved``), even when the index itself no longer could;
* removals (``--include-redundant``) are exact: the planner removes exactly the rules a
  brute-force "remove one at a time if no event's decision changes" removes, with the quick
  point probes and without them;
* the plan does not depend on how a window is searched (one by one or through the index);
* --target frees exactly what it needs when the plan without a target gets there, taking
  part of a merge group when the whole group frees more;
* the work per window question and per removal check stays flat as the rule set grows (the
  old planner looked at every overlapping rule: its work per question grew with n).

Rule sets are real YAML files loaded by the real loader; decisions are judged with the
reference evaluator (``evaluate.decision_key``), never with the planner's own set algebra.
"""

from __future__ import annotations

import collections
import contextlib
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import rulelint.algebra.index as index
import rulelint.consolidate.merge as merge
import rulelint.consolidate.redundant as redundant
from merge_gen import MergeSet, events, merge_sets
from rulelint.cli import app
from rulelint.consolidate.merge import DEFAULT_KEYS, Planner
from rulelint.consolidate.rewrite import dump_ruleset, new_rule_list
from rulelint.consolidate.suggest import suggest
from rulelint.evaluate import decision_key, rule_matches
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import RuleSet, load_project

REPO = Path(__file__).resolve().parents[1]
PROPS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
runner = CliRunner()


def load(root: Path, files: dict[str, str]) -> RuleSet:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    sources = [SourceFile(p, p.name) for p in sorted(root.glob("*.yaml"))]
    project = load_project(sources, Settings(root=root, cwd=root))
    assert not project.findings, [f.message for f in project.findings]
    (rs,) = project.rulesets.values()
    return rs


def group_ids(plan) -> list[list[str]]:
    return [[m.id for m in g.members] for g in plan.groups]


# --- a box moved this round blocks a later move -------------------------------------------

FILLERS = "".join(
    f"  - {{id: f{i}, action: deny, match: {{n: {20 + i}, r: F{i}}}}}\n" for i in range(10)
)
MOVED = (
    "ruleset: t\nrules:\n"
    "  - {id: a, action: allow, match: {n: 1}}\n"
    "  - {id: z, action: deny, match: {n: 2, r: Z1}}\n"
    "  - {id: x, action: review, match: {n: 7, r: X1}}\n"
    + FILLERS
    + "  - {id: b, action: allow, match: {n: 2}}\n"
    "  - {id: y, action: review, match: {n: 1, r: X1}}\n"
    "  - {id: y2, action: review, match: {n: 8, r: X1}}\n"
)
# y and y2 move up into x (nothing between meets them). Then a and b: b cannot move up past
# z; a may move down to b only if nothing between meets it, and x now holds y's events
# (n 1, r X1), which a meets: a must stay. The index still has x as {n: 7}, and the window
# holds more than a small group's worth of rules, so only the moved boxes can tell.
MOVED_EVENTS = [
    {"n": n, "r": r} for n in (1, 2, 7, 8, 20, 99) for r in ("X1", "Z1", "F0", "other")
] + [{"n": n} for n in (1, 2, 7)]


@pytest.mark.parametrize("scan", [0, merge.SCAN], ids=["index-only", "scan-then-index"])
def test_a_box_moved_this_round_blocks_a_later_move(tmp_path, scan):
    rs = load(tmp_path / "in", {"r.yaml": MOVED})
    with mock.patch.object(merge, "SCAN", scan):
        s = suggest(rs, DEFAULT_KEYS)
    assert s.verified, s.difference
    assert group_ids(s.plan) == [["x", "y", "y2"]]
    out = load(tmp_path / "out", {"out.yaml": dump_ruleset(rs, new_rule_list(s.plan))})
    for ev in MOVED_EVENTS:
        assert decision_key(rs, ev) == decision_key(out, ev), ev
    assert decision_key(rs, {"n": 1, "r": "X1"}) == "allow"  # the event a merge of a+b breaks


def test_without_the_moved_boxes_the_plan_would_be_wrong(tmp_path):
    """The test above can fail: with the moved boxes switched off (and the window searched
    through the index only), a and b merge and the proof finds the changed decision."""
    rs = load(tmp_path, {"r.yaml": MOVED})
    with index_only(), mock.patch.object(merge._Moved, "blocks", lambda self, *a: None):
        s = suggest(rs, DEFAULT_KEYS)
    assert ["a", "b"] in group_ids(s.plan)
    assert not s.verified
    assert s.difference.event == {"n": 1, "r": "X1"}


# --- runs that cannot become one rule ------------------------------------------------------

GAP = (
    "ruleset: t\nrules:\n"
    "  - {id: zero-a, action: deny, match: {n: 0}}\n"
    "  - {id: four-up, action: deny, match: {n: {gte: 4}}}\n"
    "  - {id: zero-b, action: deny, match: {n: 0}}\n"
    "  - {id: zero-c, action: deny, match: {n: 0}}\n"
)


def test_a_run_that_is_not_one_condition_still_merges_what_can(tmp_path):
    """{0} and [4, inf) together are no single condition; the three n: 0 rules are."""
    rs = load(tmp_path, {"r.yaml": GAP})
    plan = Planner(rs).plan()
    assert group_ids(plan) == [["zero-a", "zero-b", "zero-c"]]
    assert plan.groups[0].rule["match"] == {"n": 0}
    assert (plan.before, plan.after) == (4, 2)


# --- --target ------------------------------------------------------------------------------

REGIONS = ("JP", "KR", "DE", "FR", "US", "GB")
FIVE = "ruleset: t\nrules:\n" + "".join(
    f"  - {{id: r-{x.lower()}, action: allow, match: {{region: {x}, plan: pro}}}}\n"
    for x in REGIONS
) + "  - {id: other, action: deny, match: {plan: free}}\n"


def sm(*args: str):
    return runner.invoke(app, ["suggest-merge", *args, "--color", "never"])


@pytest.mark.parametrize("target", [6, 5, 4, 3, 2])
def test_target_takes_part_of_a_group_and_stops_there(tmp_path, monkeypatch, target):
    """Without a target the six region rules become one (7 -> 2); a target in between takes
    exactly as many of them as it needs, and the result is proven."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(FIVE, encoding="utf-8")
    full = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert (full["before"], full["after"]) == (7, 2)
    doc = json.loads(sm("rules.yaml", "-f", "json", "--target", str(target)).stdout)
    assert doc["verified"] is True
    assert doc["after"] == target and doc["target_reached"] is True
    assert sum(g["slots_freed"] for g in doc["groups"]) == 7 - target
    text = sm("rules.yaml", "--target", str(target)).stdout
    assert f"target reached: {target} ≤ {target}" in text


def test_target_out_of_reach_says_how_close_it_got(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(FIVE, encoding="utf-8")
    doc = json.loads(sm("rules.yaml", "-f", "json", "--target", "1").stdout)
    assert doc["after"] == 2 and doc["target_reached"] is False
    text = sm("rules.yaml", "--target", "1").stdout
    assert "target not reached: 2 > 1 (1 more to go)" in text


def test_target_through_a_subprocess(tmp_path):
    (tmp_path / "rules.yaml").write_text(GAP, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "suggest-merge", "rules.yaml", "-f", "json",
         "--target", "3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["before"], doc["after"], doc["target_reached"]) == (4, 3, True)
    assert doc["verified"] is True
    [group] = doc["groups"]
    assert group["slots_freed"] == 1 and set(group["from"]) < {"zero-a", "zero-b", "zero-c"}


# --- removals against brute force ----------------------------------------------------------


def brute_force_removals(rs: RuleSet, fields) -> list[str]:
    """Latest first, remove a live rule when no event's decision changes without it, unless
    it is shadowed (RL302: it decides nothing and another action decides some of its
    events; a human says whether it was meant to win)."""
    evs = events(list(fields), missing=True)
    matching = [
        [k for k, r in enumerate(rs.rules) if rule_matches(r, ev, rs.domains)] for ev in evs
    ]
    alive = [True] * len(rs.rules)
    first = rs.semantics == "first-match"

    def decision(ms: list[int], skip: int) -> object:
        hit = [k for k in ms if alive[k] and k != skip]
        if first:
            return rs.rules[hit[0]].action if hit else None
        return frozenset(rs.rules[k].action for k in hit)

    removed = []
    for k in reversed(range(len(rs.rules))):
        if not rs.rules[k].live:
            continue
        mine = [ms for ms in matching if k in ms]
        decides = any([j for j in ms if alive[j]][0] == k for ms in mine)
        shadowed = first and not decides and any(
            decision(ms, -1) != rs.rules[k].action for ms in mine
        )
        if not shadowed and all(decision(ms, -1) == decision(ms, k) for ms in mine):
            alive[k] = False
            removed.append(rs.rules[k].id)
    return removed


@settings(max_examples=150, **PROPS)
@given(spec=merge_sets(), probes=st.sampled_from([0, redundant.PROBES]))
def test_removals_are_exactly_the_brute_force_ones(spec: MergeSet, probes: int):
    with tempfile.TemporaryDirectory() as d:
        rs = load(Path(d), spec.files())
        with mock.patch.object(redundant, "PROBES", probes):
            plan = Planner(rs, DEFAULT_KEYS, include_redundant=True).plan()
        got = [r.rule.id for r in plan.removed]
        note(f"removed: {[(r.rule.id, r.reason) for r in plan.removed]}")
        # the first removal pass is exactly the brute-force one; the plan then goes on to a
        # fixpoint (after merges, a removal can make another rule removable:
        # test_merge_fixpoint.py), so later passes may add more, never take any back
        want = brute_force_removals(rs, spec.fields)
        assert got[: len(want)] == want
        if len(got) > len(want):
            assert plan.groups or _again(rs, got, spec.fields), (got, want)


def _again(rs: RuleSet, removed: list[str], fields) -> bool:
    """Whether the rules removed after the first pass are removable once the first pass's
    are gone (no merges in between): the brute force on what that pass leaves."""
    from rulelint.evaluate import rule_matches as matches

    first = brute_force_removals(rs, fields)
    rest = [r for r in removed if r not in first]
    evs = events(list(fields), missing=True)
    keep = [r for r in rs.rules if r.live and r.id not in first]
    for ev in evs:
        hit = [r for r in keep if matches(r, ev, rs.domains)]
        gone = [r for r in hit if r.id not in rest]
        if rs.semantics == "first-match":
            if (hit[0].action if hit else None) != (gone[0].action if gone else None):
                return False
        elif {r.action for r in hit} != {r.action for r in gone}:
            return False
    return True


# --- the plan does not depend on how a window is searched ----------------------------------


def index_only():
    """Windows searched through the index alone, which narrows every group (small groups
    are otherwise returned whole, with the current boxes): the moved boxes must do the rest."""
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(merge, "SCAN", 0))
    for knob in ("SMALL_GROUP", "NARROW_ENOUGH"):  # every narrowing the index can do
        stack.enter_context(mock.patch.object(index, knob, 0))
    return stack


@settings(max_examples=200, **PROPS)
@given(spec=merge_sets(max_rules=40, semantics="first-match"), include_redundant=st.booleans())
def test_plan_is_the_same_whether_windows_are_scanned_or_indexed(spec, include_redundant):
    """Searching a window one rule at a time (``SCAN`` large) sees every rule with its
    current box; through the index only it needs the moved boxes. Both are exact, so both
    must give the same plan, and it must be proven."""
    with tempfile.TemporaryDirectory() as d:
        rs = load(Path(d), spec.files())
        plans = []
        for searched in (index_only, lambda: mock.patch.object(merge, "SCAN", 10_000)):
            with searched():
                plans.append(suggest(rs, DEFAULT_KEYS, include_redundant=include_redundant))
        by_index, by_scan = plans
        assert by_scan.verified, by_scan.difference
        assert group_ids(by_index.plan) == group_ids(by_scan.plan)
        assert [g.rule for g in by_index.plan.groups] == [g.rule for g in by_scan.plan.groups]
        assert [r.rule.id for r in by_index.plan.removed] == [
            r.rule.id for r in by_scan.plan.removed
        ]


# --- the work per question stays flat as the rule set grows --------------------------------


def _benchmark_text(n: int) -> str:
    spec = importlib.util.spec_from_file_location("_bench_generate", REPO / "benchmarks/generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["_bench_generate"] = mod
    spec.loader.exec_module(mod)
    return mod.generate(n, 20260101)


def _work(tmp: Path, n: int) -> dict[str, float]:
    """Rules looked at (index candidates taken, box pairs tested) per window question, and
    per removal check, on a generated set."""
    rs = load(tmp / str(n), {"rules.yaml": _benchmark_text(n)})
    count: collections.Counter[str] = collections.Counter()
    between, meets = Planner._between_blocks, merge.box_meets
    iter_candidates = merge.OverlapIndex.iter_candidates

    def counted_candidates(self, *a, **k):
        for x in iter_candidates(self, *a, **k):
            count["looked"] += 1
            yield x

    def counted_meets(a, b):
        count["looked"] += 1
        return meets(a, b)

    def counted_between(self, *a):
        count["questions"] += 1
        return between(self, *a)

    with mock.patch.object(merge.OverlapIndex, "iter_candidates", counted_candidates), \
            mock.patch.object(merge, "box_meets", counted_meets), \
            mock.patch.object(redundant, "box_meets", counted_meets):
        with mock.patch.object(Planner, "_between_blocks", counted_between):
            Planner(rs, DEFAULT_KEYS).plan()
        questions, looked = count["questions"], count["looked"]
        count.clear()
        with mock.patch.object(Planner, "_round", lambda self: False):  # removals only
            Planner(rs, DEFAULT_KEYS, include_redundant=True).plan()
    return {
        "per_question": looked / max(1, questions),
        "per_removal_check": count["looked"] / len(rs.live_rules()),
        "questions": questions,
    }


def test_work_per_question_does_not_grow_with_the_rule_set(tmp_path):
    small, large = _work(tmp_path, 500), _work(tmp_path, 2000)
    print(f"500 rules: {small}; 2000 rules: {large}")
    assert small["questions"] > 50 and large["questions"] > 4 * 50  # the sets do merge
    # four times the rules: a planner that looks at every overlapping rule looks at about
    # four times as many per question; a windowed, early-stopping one at about as many
    assert large["per_question"] < 2 * small["per_question"] + 2, (small, large)
    assert large["per_removal_check"] < 2 * small["per_removal_check"] + 2, (small, large)
