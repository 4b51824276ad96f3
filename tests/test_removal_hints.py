"""The check's removal hints (``consolidate.redundant.RemovalHints``): what the overlap
analysis proves about each rule, which the removal plans behind ``frees`` use to skip
questions. Every claim must hold by brute force on generated events (the reference
evaluator), and a plan made with the hints must be the plan made without them, removal by
removal and reason by reason, or ``check``'s ``frees`` and ``suggest-merge`` would differ."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hypothesis import given, note, settings

from merge_gen import MergeSet, events, merge_sets
from rulelint.consolidate.merge import DEFAULT_KEYS, plan_all
from rulelint.consolidate.redundant import walk_hints
from rulelint.consolidate.suggest import plan_flags
from rulelint.evaluate import decide
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project
from rulelint.passes import Context, live_index
from rulelint.passes.overlap import check_ruleset
from test_include_shadowed import dense_sets
from test_merge_properties import PROPS, examples, load_dir


def _hints(rs):
    ctx = Context(project=None, settings=None, enabled=lambda code: True)
    list(check_ruleset(ctx, rs))
    return ctx, ctx.cache.get(("removal-hints", rs.name))


def plan_summary(plans: dict) -> dict:
    """Everything a plan decides, per flag: slots freed, each removal (flag, reason,
    takers), each merge group: two plans are the same plan when these are equal."""
    return {
        flag: (
            p.freed,
            [(r.rule.id, r.flag, r.reason, [t.id for t in r.takers]) for r in p.removed],
            [(g.keep.id, [m.id for m in g.members], g.rule) for g in p.groups],
        )
        for flag, p in plans.items()
    }


def _plans(rs, ctx, hints) -> dict:
    return plan_summary(plan_all(rs, DEFAULT_KEYS, index=live_index(ctx, rs),
                                 hints=hints))


def _assert_hints_hold(spec: MergeSet) -> None:
    """The check's hints and the walk's alone (``walk_hints``, what suggest-merge uses)."""
    with tempfile.TemporaryDirectory() as d:
        rs = load_dir(Path(d), spec.files())
        ctx, hints = _hints(rs)
        if hints is None:  # a glob: the analysis claims nothing
            return
        live = rs.live_rules()
        walked = walk_hints(live, rs.domains, live_index(ctx, rs)[1])
        assert walked is not None
        bare = _plans(rs, ctx, None)
        for h in (hints, walked):
            _assert_hold(spec, rs, ctx, h, bare)
        assert walked.never <= hints.never and walked.deciding <= hints.deciding
        assert walked.needed <= hints.needed and walked.shadowed <= hints.shadowed
        assert plan_summary(plan_flags(rs, DEFAULT_KEYS)) == bare


def _assert_hold(spec: MergeSet, rs, ctx, hints, bare: dict) -> None:
    """Each claim of ``hints`` by brute force; the plans with them are ``bare`` (without)."""
    live = rs.live_rules()
    assert hints.fit(live)
    evs = events(list(spec.fields), missing=True)
    deciders, changed, shadowed = set(), set(), set()
    for ev in evs:
        full = decide(rs, ev, live)
        if not full.deciding:
            continue
        top = full.deciding[0]
        deciders.add(top.id)
        nxt = full.matched[1] if len(full.matched) > 1 else None
        if nxt is None or nxt.action != top.action:
            changed.add(top.id)  # without it, this event is decided differently
        shadowed.update(r.id for r in full.matched[1:] if r.action != top.action)
    note(f"deciding={sorted(live[p].id for p in hints.deciding)} "
         f"needed={sorted(live[p].id for p in hints.needed)} "
         f"shadowed={sorted(live[p].id for p in hints.shadowed)} "
         f"never={sorted(live[p].id for p in hints.never)} "
         f"own={sorted(live[p].id for p in hints.own)}")
    for p in hints.deciding:
        assert live[p].id in deciders, live[p].id
    for p in hints.never:
        assert live[p].id not in deciders, f"{live[p].id} decides some event"
    assert not hints.never & hints.deciding
    assert hints.own <= hints.never
    for p in hints.own:  # RL301: only its own action decides its events
        assert live[p].id not in shadowed, f"{live[p].id}: another action decides some"
    for p in hints.needed:
        assert live[p].id in changed, f"{live[p].id}: removing it changes no decision"
    for p in hints.shadowed:
        r = live[p]
        assert r.id not in deciders, f"{r.id} decides some event"
        assert r.id in shadowed, f"{r.id}: only its own action decides its events"
    with_hints = _plans(rs, ctx, hints)
    assert with_hints == bare
    # check's plans, unnamed: the same slots, the same rules removed by the same flags
    unnamed = plan_all(rs, DEFAULT_KEYS, index=live_index(ctx, rs),
                       hints=hints, named=False)
    for flag, p in unnamed.items():
        freed, removed, groups = with_hints[flag]
        assert p.freed == freed
        assert [(r.rule.id, r.flag) for r in p.removed] == [x[:2] for x in removed]
        assert [(g.keep.id, [m.id for m in g.members]) for g in p.groups] == [
            x[:2] for x in groups]


@settings(max_examples=examples(150), **PROPS)
@given(spec=merge_sets(max_rules=12, semantics="first-match"))
def test_hints_hold_and_change_no_plan_sparse(spec: MergeSet):
    _assert_hints_hold(spec)


@settings(max_examples=examples(150), **PROPS)
@given(spec=dense_sets(semantics="first-match"))
def test_hints_hold_and_change_no_plan_dense(spec: MergeSet):
    _assert_hints_hold(spec)


@settings(max_examples=examples(100), **PROPS)
@given(spec=dense_sets(semantics="first-match"))
def test_hints_hold_when_every_trie_is_given_up(spec: MergeSet):
    """With no step budget every trie of the walk is given up, so every rule is asked of the
    index (``overlap._by_index``, ``_removal_by_index``): their claims must hold too."""
    import rulelint.algebra.decided as decided

    saved = decided.STEPS_BASE, decided.STEPS_PER_RULE
    decided.STEPS_BASE, decided.STEPS_PER_RULE = 0, 0
    try:
        _assert_hints_hold(spec)
    finally:
        decided.STEPS_BASE, decided.STEPS_PER_RULE = saved


@settings(max_examples=examples(60), **PROPS)
@given(spec=dense_sets(semantics="first-match"))
def test_suggest_merge_names_the_plan_it_prints_like_every_plan(spec: MergeSet):
    """``suggest-merge`` names only the plans its flag can print (``plan_flags(flag)``): that
    plan is the one with every plan named, reasons and takers included, and the others free
    the same slots."""
    with tempfile.TemporaryDirectory() as d:
        rs = load_dir(Path(d), spec.files())
        every = plan_summary(plan_flags(rs, DEFAULT_KEYS))
        for flag in every:
            got = plan_summary(plan_flags(rs, DEFAULT_KEYS, flag))
            assert got[flag] == every[flag]
            assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in every.items()}


def test_hints_settle_most_rules_of_a_generated_list(tmp_path):
    """On a generated support-desk list the hints settle most rules, and the plans come out
    the same with them as without."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import generate

    path = tmp_path / "rules.yaml"
    path.write_text(generate.generate(600, seed=7, profile="dense"), encoding="utf-8")
    project = load_project([SourceFile(path, path.name)], Settings(root=tmp_path, cwd=tmp_path))
    [rs] = project.rulesets.values()
    ctx, hints = _hints(rs)
    assert hints is not None
    assert len(hints.needed) + len(hints.shadowed) > len(rs.live_rules()) // 2
    assert _plans(rs, ctx, hints) == _plans(rs, ctx, None)
