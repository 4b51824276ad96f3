"""The merge planner's memory of blocked windows (``Planner._blockers`` within a plan, the
``blockers`` dict ``plan_all`` shares between its three plans).

A merge moves a rule's events past the rules between it and its partner; a rule with another
action there that meets the moving box blocks it. The planner remembers which rule blocked
each window and answers "blocked" again, without searching, while that rule is alive: it is
still between (places keep their order), and its box and the moving one only grow. These tests pin that the
memory changes no plan, and that it forgets a window once its blocker is gone (merged away
or removed), in the same plan and in the next plan of ``plan_all``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import given, settings

import rulelint.consolidate.merge as merge
from merge_gen import MergeSet, merge_sets
from rulelint.consolidate.merge import DEFAULT_KEYS, Planner, plan_all
from test_include_shadowed import dense_sets
from test_merge_properties import PROPS, examples, load_dir
from test_removal_hints import plan_summary


class _Forgetful(dict):
    """A memory that keeps nothing: every window is searched."""

    def __setitem__(self, key, value) -> None:
        pass


def _without_memory():
    init = Planner.__init__

    def patched(self, *args, **kwargs):
        kwargs.pop("blockers", None)
        init(self, *args, **kwargs)
        self._blockers = _Forgetful()

    return mock.patch.object(Planner, "__init__", patched)


def _assert_same_plans(spec: MergeSet) -> None:
    with tempfile.TemporaryDirectory() as d:
        rs = load_dir(Path(d), spec.files())
        with_memory = plan_summary(plan_all(rs, DEFAULT_KEYS))
        with _without_memory():
            searched = plan_summary(plan_all(rs, DEFAULT_KEYS))
        assert with_memory == searched


@settings(max_examples=examples(150), **PROPS)
@given(spec=merge_sets(max_rules=12, semantics="first-match"))
def test_the_memory_changes_no_plan_sparse(spec: MergeSet):
    _assert_same_plans(spec)


@settings(max_examples=examples(150), **PROPS)
@given(spec=dense_sets(semantics="first-match"))
def test_the_memory_changes_no_plan_dense(spec: MergeSet):
    _assert_same_plans(spec)


WINDOW = (
    "ruleset: t\nrules:\n"
    "  - {id: lo, action: allow, match: {region: JP, n: 1}}\n"
    "  - {id: x, action: deny, match: {region: JP}}\n"
    "  - {id: hi, action: allow, match: {region: JP, n: 2}}\n"
)


def _rules(planner: Planner) -> dict[str, merge.PlanRule]:
    planner._start()
    return {r.base.id: r for r in planner._snapshot}


def test_a_window_is_blocked_again_only_while_its_blocker_lives(tmp_path):
    rs = load_dir(tmp_path, {"r.yaml": WINDOW}, name="t")
    p = Planner(rs)
    r = _rules(p)
    lo, x, hi = r["lo"], r["x"], r["hi"]
    assert p._between_blocks(lo, hi, hi.box, "allow")  # x blocks: searched, remembered
    p._memo = None
    with mock.patch.object(merge.Planner, "_window", lambda *a: iter(())):
        assert p._between_blocks(lo, hi, hi.box, "allow")  # answered from memory alone
    p._memo = None
    x.alive = False  # x merged away or removed: the window must be searched again
    assert not p._between_blocks(lo, hi, hi.box, "allow")


def test_the_next_plan_uses_a_blocker_only_where_it_still_lives(tmp_path):
    rs = load_dir(tmp_path, {"r.yaml": WINDOW}, name="t")
    shared: dict = {}
    first = Planner(rs, blockers=shared)
    r = _rules(first)
    assert first._between_blocks(r["lo"], r["hi"], r["hi"].box, "allow")
    assert len(shared) == 1  # x's original box blocked hi's original box

    second = Planner(rs, blockers=shared)
    r2 = _rules(second)
    with mock.patch.object(merge.Planner, "_window", lambda *a: iter(())):
        assert second._between_blocks(r2["lo"], r2["hi"], r2["hi"].box, "allow")
        second._memo = None
        third = Planner(rs, blockers=shared)
        r3 = _rules(third)
        r3["x"].alive = False  # removed in this plan: another plan's blocker is no answer
        assert not third._between_blocks(r3["lo"], r3["hi"], r3["hi"].box, "allow")
    # a grown box holds its original one, so what x's original box met it still meets
    r2["hi"].fields.append("n")
    second._memo = None
    with mock.patch.object(merge.Planner, "_window", lambda *a: iter(())):
        assert second._between_blocks(r2["lo"], r2["hi"], r2["hi"].box, "allow")
    # but what a grown box meets is no fact about the original rules: not shared
    fresh: dict = {}
    fourth = Planner(rs, blockers=fresh)
    r4 = _rules(fourth)
    r4["hi"].fields.append("n")
    assert fourth._between_blocks(r4["lo"], r4["hi"], r4["hi"].box, "allow")
    assert fresh == {}
