"""``suggest-merge --include-shadowed`` against brute force.

First-match: the rules it removes as never deciding are exactly the live rules that decide
no event of the enumerable domains (``merge_gen``: every behaviour of every field, missing
fields included), found with the reference evaluator; removing all of them at once (and
then the redundant ones, then merging) leaves every decision as it was, also when the dead
rules cover one another (a rule that never decides *because of* another dead rule), and
every rule named as taking a removed rule's events stays and decides some of them.
Any-match has no rule that never decides: the flag plans exactly like
``--include-redundant``. Sparse sets come from ``merge_gen.merge_sets``; dense ones (many
rules on one or two small fields, so that most rules overlap most others) from ``dense_sets``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from merge_gen import ACTIONS, OWNERS, Cond, MergeSet, RuleSpec, cond_strategy, events, merge_sets
from rulelint.consolidate.merge import DEFAULT_KEYS, plan_all, plan_merges
from rulelint.consolidate.rewrite import dump_ruleset, new_rule_list
from rulelint.consolidate.suggest import suggest
from rulelint.evaluate import decide, decision_key
from test_merge_properties import PROPS, examples, load_dir


@st.composite
def dense_sets(draw, semantics: str | None = None) -> MergeSet:
    """10-24 rules on one or two of the small fields, two actions: most rules overlap."""
    semantics = semantics or draw(st.sampled_from(["first-match", "any-match"]))
    fields = draw(st.sampled_from([("plan",), ("n",), ("plan", "n"), ("region", "vip"), ("age", "plan")]))
    n = draw(st.integers(10, 24))
    rules = []
    for i in range(n):
        used = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique=True))
        conds = tuple(draw(cond_strategy(f)) for f in sorted(used))
        rules.append(RuleSpec(
            id=f"r{i}", action=draw(st.sampled_from(ACTIONS[:2])), owner=draw(st.sampled_from(OWNERS)),
            conds=conds, priority=draw(st.sampled_from([0, 0, 0, 1])),
            enabled=draw(st.integers(0, 15)) != 0, file=draw(st.integers(0, 1)),
        ))
    return MergeSet(semantics, tuple(rules), (), tuple(sorted(fields)))


def _deciders(rs, fields) -> set[str]:
    """Ids of the rules that decide at least one event (brute force, reference evaluator)."""
    out: set[str] = set()
    for ev in events(list(fields), missing=True):
        out.update(r.id for r in decide(rs, ev).deciding)
    return out


def _check(spec: MergeSet) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rs = load_dir(tmp / "in", spec.files())
        plans = plan_all(rs, DEFAULT_KEYS)
        shadowed = plans["include_shadowed"]
        note(f"removed={[(r.rule.id, r.reason) for r in shadowed.removed]}")
        live = {r.id for r in rs.live_rules()}
        deciders = _deciders(rs, spec.fields)
        never = {r.rule.id for r in shadowed.removed if r.flag == "include_shadowed"}
        if rs.semantics == "first-match":
            assert never == live - deciders
            for r in shadowed.removed:
                if r.flag == "include_shadowed":
                    assert r.takers and all(t.id in deciders for t in r.takers), r.reason
                    assert all(t.id not in never for t in r.takers)
        else:
            assert not never
            red = plans["include_redundant"]
            assert [x.rule.id for x in shadowed.removed] == [x.rule.id for x in red.removed]
            assert shadowed.freed == red.freed
        # the numbers are the ones suggest-merge then frees with each flag
        assert plans["merge"].freed == plan_merges(rs, DEFAULT_KEYS).freed
        assert plans["include_redundant"].freed == plan_merges(rs, DEFAULT_KEYS, True).freed
        s = suggest(rs, DEFAULT_KEYS, include_shadowed=True)
        assert s.plan.freed == shadowed.freed
        assert s.verified, s.difference
        # written out and loaded again: the same decision on every event
        out = load_dir(tmp / "out", {"out.yaml": dump_ruleset(rs, new_rule_list(s.plan))})
        assert out.slot_count == s.plan.after
        # every removal names rules that stay (a merged taker by its merged rule, a taker
        # removed too by the rules that take its events in turn), never a removed one
        stays = {r.id for r in out.live_rules()}
        for r in s.plan.removed:
            assert r.takers, (r.rule.id, r.reason)
            assert {t.id for t in r.takers} <= stays, (r.rule.id, r.reason)
            assert all(t.id in r.reason for t in r.takers[:5]), (r.rule.id, r.reason)
        for ev in events(list(spec.fields), missing=True):
            assert decision_key(rs, ev) == decision_key(out, ev), ev


_CHAIN = MergeSet("first-match", (
    RuleSpec("a", "allow", OWNERS[0], (Cond("plan", "list", ("free", "pro")),)),
    RuleSpec("d", "deny", OWNERS[0], (Cond("plan", "eq", "free"),)),
    RuleSpec("e", "review", OWNERS[1], (Cond("plan", "eq", "free"),)),
    RuleSpec("f", "allow", OWNERS[1], (Cond("plan", "eq", "pro"),)),
    RuleSpec("g", "deny", OWNERS[1], (Cond("plan", "eq", "enterprise"),)),
), (), ("plan",))


@settings(max_examples=examples(150), **PROPS)
@example(spec=_CHAIN)
@given(spec=merge_sets(max_rules=12))
def test_never_deciding_rules_removed_exactly_sparse(spec: MergeSet):
    _check(spec)


@settings(max_examples=examples(120), **PROPS)
@given(spec=dense_sets())
def test_never_deciding_rules_removed_exactly_dense(spec: MergeSet):
    _check(spec)


def test_chain_of_dead_rules_names_the_rule_that_stays(tmp_path):
    """'e' is covered by 'd', itself dead: the removal names 'a', which decides."""
    rs = load_dir(tmp_path, _CHAIN.files())
    plan = plan_merges(rs, DEFAULT_KEYS, include_shadowed=True)
    why = {r.rule.id: (r.reason, [t.id for t in r.takers]) for r in plan.removed}
    assert why["d"][1] == ["a"] and why["e"][1] == ["a"], why
    assert why["e"][0] == "never decides: a (line 11, allow) takes all of it"
    assert why["f"][1] == ["a"]
    assert "g" not in why
    assert suggest(rs, DEFAULT_KEYS, include_shadowed=True).verified


def test_a_taker_merged_away_is_named_by_its_merged_rule(tmp_path):
    """'c' never decides ('b' takes all of it), but 'b' is then merged into 'a': the removal
    names 'a', the rule that stays and takes c's events (it named 'b', gone from the output)."""
    spec = MergeSet("first-match", (
        RuleSpec("a", "allow", OWNERS[0], (Cond("plan", "eq", "free"),)),
        RuleSpec("b", "allow", OWNERS[0], (Cond("plan", "eq", "pro"),)),
        RuleSpec("c", "allow", OWNERS[0], (Cond("plan", "eq", "pro"),)),
    ), (), ("plan",))
    rs = load_dir(tmp_path, spec.files())
    s = suggest(rs, DEFAULT_KEYS, include_shadowed=True)
    assert s.verified
    [group] = s.plan.groups
    assert group.merged_id == "a" and [m.id for m in group.members] == ["a", "b"]
    [removal] = s.plan.removed
    assert removal.rule.id == "c" and [t.id for t in removal.takers] == ["a"]
    assert removal.reason.startswith("never decides") and "'b'" not in removal.reason
    assert " a (" in removal.reason or "rule a " in removal.reason, removal.reason
