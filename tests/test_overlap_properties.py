"""The overlap engine (RL201/RL202, RL301-RL304) against brute force over every event.

Random rule sets over small domains (see ``ruleset_gen``) are written as YAML, loaded through
the real loader and analysed by the real engine; an independent oracle then enumerates every
event class, including events that lack fields (SPEC.md: a condition on a field the event
lacks does not hold, not even ``not_in``), checks each finding, and checks that nothing that
should be found is missing. With opaque globs only the findings are checked (sound, not
complete). The candidate index is checked against brute force at the end.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rulelint.algebra.index import NARROW_ENOUGH, SMALL_GROUP, OverlapIndex
from rulelint.algebra.sets import (
    IP_UNIVERSE,
    Domain,
    IntervalSet,
    StrSet,
    box_intersect,
    box_meets,
    box_normalize,
    box_point,
    box_subset,
    box_subtract,
    cannot_cover,
    covers,
    ip_set,
    ip_to_int,
    subtract_union,
)
from rulelint.engine import analyse
from rulelint.evaluate import rule_matches
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project
from ruleset_gen import (
    ADDRS,
    MISSING,
    NETS,
    Cond,
    Events,
    RuleSpec,
    SetSpec,
    decisions,
    first_matching,
    rule_sets,
)

CODES = ("RL201", "RL202", "RL301", "RL302", "RL303", "RL304")
SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def load_and_analyse(spec: SetSpec):
    """Write the rule files to a tmp dir, load them with the real loader, run the engine."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        sources = []
        for name, text in spec.files().items():
            (root / name).write_text(text, encoding="utf-8")
            sources.append(SourceFile(root / name, name))
        cfg = Settings(root=root, cwd=root, select=["RL2", "RL3"])
        project = load_project(sources, cfg)
        assert not project.findings, [f.message for f in project.findings]
        findings, _ = analyse(project, cfg)
    return project.rulesets["gen"], [f for f in findings if f.code in CODES]


def show(f) -> str:
    return f"{f.code} {f.rule_ids} witness={f.witness}: {f.message}"


class Judge:
    """Ground truth for one rule set, and the checks of every finding."""

    def __init__(self, spec: SetSpec) -> None:
        self.spec = spec
        self.ev = ev = Events(spec)
        self.U = ev.all  # every event class, with and without each field
        self.order = ev.order
        self.pos = {r.id: i for i, r in enumerate(self.order)}
        self.masks = [m & self.U for m in ev.masks]
        self.acts = [r.action for r in self.order]
        self.sem = spec.semantics
        self.base = decisions(self.masks, self.acts, self.sem)
        self.errors: list[str] = []
        self.exact = True  # False: rule sets with opaque globs, only claims are checked
        self.small_shadow_cover = False  # RL302: no named rule with its action is superfluous
        self.same_action_claims = True  # RL301 "earlier rules ... the same action" holds
        # first-match: events each rule decides, and the union of the rules before it
        self.before: list[int] = []
        self.decided: list[int] = []
        acc = 0
        for m in self.masks:
            self.before.append(acc)
            self.decided.append(m & ~acc)
            acc |= m

    # -- truth ---------------------------------------------------------------------------

    def mask(self, rid: str) -> int:
        return self.masks[self.pos[rid]]

    def removal_changes_nothing(self, i: int) -> bool:
        return decisions(self.masks, self.acts, self.sem, skip=i) == self.base

    def never_decides(self, i: int) -> bool:
        return self.sem == "first-match" and self.decided[i] == 0

    def shadowed(self, i: int) -> bool:
        """Some event of rule i is decided by an earlier rule with another action."""
        m, a = self.masks[i], self.acts[i]
        return any(
            self.decided[j] & m and self.acts[j] != a for j in range(i)
        )

    def example_events(self, mask: int) -> list[dict]:
        return self.ev.events_in(mask)

    # -- checks --------------------------------------------------------------------------

    def err(self, msg: str) -> None:
        self.errors.append(msg)

    def check(self, findings) -> None:
        about: dict[tuple[str, str], list] = defaultdict(list)
        for f in findings:
            assert f.rule_ids, show(f)
            about[(f.code, f.rule_ids[0])].append(f)
        in_dup = {rid for f in findings if f.code in ("RL201", "RL202") for rid in f.rule_ids}
        for f in findings:
            unknown = [rid for rid in f.rule_ids if rid not in self.pos]
            if unknown:
                self.err(f"{show(f)}: names unknown rules {unknown}")
                return
            getattr(self, "check_" + f.code)(f)
        for i, r in enumerate(self.order):
            codes = {c for c in CODES if (c, r.id) in about}
            if not r.enabled:
                if any(r.id in f.rule_ids for f in findings):
                    self.err(f"disabled rule {r.id} appears in a finding")
                continue
            if len(about[("RL301", r.id)]) + len(about[("RL302", r.id)]) > 1:
                self.err(f"{r.id}: more than one RL301/RL302: {about[('RL301', r.id)]}")
            self.check_complete(i, r, codes, in_dup)
        self.check_duplicates_complete(about)
        self.check_ambiguous_complete(about)

    def check_sound(self, findings, codes=CODES) -> None:
        """Only what the engine claims, for rule sets with opaque globs (sound, not complete)."""
        self.exact = False
        for f in findings:
            if f.code in codes:
                getattr(self, "check_" + f.code)(f)

    def check_complete(self, i, r, codes, in_dup) -> None:
        if self.removal_changes_nothing(i) and not ({"RL301", "RL302"} & codes or r.id in in_dup):
            self.err(
                f"{r.id}: removing it changes no decision, but no RL301/RL302/RL201/RL202 "
                f"names it (events it matches: {self.example_events(self.masks[i])})"
            )
        dup_about = {"RL201", "RL202"} & codes  # the duplicate pass reports it instead
        if self.never_decides(i) and self.shadowed(i) and not ({"RL302"} & codes or dup_about):
            self.err(f"{r.id}: never decides and an earlier rule with another action takes "
                     f"some of it, but no RL302 (got {sorted(codes)})")
        if not r.conds and "RL304" not in codes:
            self.err(f"{r.id}: empty match but no RL304")

    def _cover_ok(self, f, named: list[str], target: int) -> None:
        cover = 0
        for rid in named:
            cover |= self.mask(rid)
        left = target & ~cover
        if left:
            self.err(f"{show(f)}: the named rules do not cover it; uncovered events "
                     f"{self.example_events(left)}")

    def _irredundant(self, f, named: list[str], target: int, only_action: str | None) -> None:
        if not self.exact:
            return  # with opaque globs the proof may need rules the true match does not
        for rid in named:
            if only_action is not None and self.acts[self.pos[rid]] != only_action:
                continue
            rest = 0
            for o in named:
                if o != rid:
                    rest |= self.mask(o)
            if named != [rid] and not target & ~rest:
                self.err(f"{show(f)}: the named set is not small: {rid} can be dropped")

    def _witness_fields(self, f) -> None:
        w = f.witness
        need = {c.field for rid in f.rule_ids for c in self.order[self.pos[rid]].conds}
        missing = need - set(w)
        if missing:
            self.err(f"{show(f)}: witness lacks fields {sorted(missing)} the rules constrain")

    def check_RL301(self, f) -> None:
        i = self.pos[f.rule_ids[0]]
        r = self.order[i]
        named = f.rule_ids[1:]
        if not self.removal_changes_nothing(i):
            self.err(f"{show(f)}: removing {r.id} changes decisions")
        if self.ev.masks[i] == 0:
            return  # "matches no event"
        if not named:
            self.err(f"{show(f)}: names no covering rule, but {r.id} matches events "
                     f"{self.example_events(self.masks[i])}")
            return
        self._cover_ok(f, named, self.masks[i])
        if any(self.acts[self.pos[c]] != r.action for c in named) and self.sem == "any-match":
            self.err(f"{show(f)}: any-match cover names a rule with another action")
        if (
            self.same_action_claims
            and self.sem == "first-match"
            and all(self.pos[c] < i for c in named)
            and any(self.acts[self.pos[c]] != r.action for c in named)
        ):
            self.err(f"{show(f)}: says earlier rules with the same action cover it, but names "
                     "a rule with another action")
        if self.sem == "any-match":
            self._irredundant(f, named, self.masks[i], None)
        elif self.never_decides(i) and self.exact:
            if self.shadowed(i):
                self.err(f"{show(f)}: RL301 but an earlier rule with another action decides "
                         f"some of its events (should be RL302)")
            if any(self.pos[c] > i for c in named):
                self.err(f"{show(f)}: never decides, but names a later rule")
            self._irredundant(f, named, self.masks[i], None)
        elif not self.never_decides(i) and not any(self.pos[c] > i for c in named):
            self.err(f"{show(f)}: decides some events but names no later rule that catches them")

    def check_RL302(self, f) -> None:
        i = self.pos[f.rule_ids[0]]
        r = self.order[i]
        named = f.rule_ids[1:]
        if self.sem != "first-match":
            self.err(f"{show(f)}: RL302 in an any-match ruleset")
            return
        if not self.never_decides(i):
            self.err(f"{show(f)}: but it decides {self.example_events(self.decided[i])}")
        elif not self.shadowed(i):
            self.err(f"{show(f)}: no earlier rule with another action decides any of its events")
        self._cover_ok(f, named, self.masks[i])
        if any(self.pos[c] > i for c in named):
            self.err(f"{show(f)}: names a later rule")
        if not any(self.acts[self.pos[c]] != r.action for c in named):
            self.err(f"{show(f)}: names no rule with another action")
        if self.small_shadow_cover:
            self._irredundant(f, named, self.masks[i], r.action)
        w = f.witness
        if w is None:
            self.err(f"{show(f)}: no witness")
            return
        self._witness_fields(f)
        if not r.matches(w):
            self.err(f"{show(f)}: {r.id} does not match the witness")
        first = first_matching(self.order, w)
        if first is None or first.action == r.action:
            self.err(f"{show(f)}: on the witness the first matching rule is "
                     f"{first and first.id} (action {first and first.action})")

    def _pair(self, f) -> tuple[RuleSpec, RuleSpec]:
        a, b = (self.order[self.pos[x]] for x in f.rule_ids[:2])
        return a, b

    def _dup(self, f, same_action: bool) -> None:
        if len(f.rule_ids) != 2:
            self.err(f"{show(f)}: expected two rule ids")
            return
        a, b = self._pair(f)
        if self.pos[b.id] > self.pos[a.id]:
            self.err(f"{show(f)}: the rule it is about comes first")
        ma, mb = self.ev.masks[self.pos[a.id]], self.ev.masks[self.pos[b.id]]
        if (ma & self.U) != (mb & self.U) or not ma:
            diff = (ma ^ mb) & self.U
            self.err(f"{show(f)}: match sets differ, e.g. on {self.example_events(diff)}")
        if (a.action == b.action) != same_action:
            self.err(f"{show(f)}: actions {a.action!r} and {b.action!r}")
        if self.sem == "first-match" and not self.never_decides(self.pos[a.id]):
            self.err(f"{show(f)}: but {a.id} decides some events")

    def check_RL201(self, f) -> None:
        self._dup(f, True)

    def check_RL202(self, f) -> None:
        self._dup(f, False)
        w = f.witness
        if w is None:
            self.err(f"{show(f)}: no witness")
            return
        self._witness_fields(f)
        a, b = self._pair(f)
        if not (a.matches(w) and b.matches(w)):
            self.err(f"{show(f)}: the witness is not matched by both rules")

    def check_RL303(self, f) -> None:
        if self.sem != "first-match":
            self.err(f"{show(f)}: RL303 in an any-match ruleset")
            return
        r, c = self._pair(f)
        if r.file == c.file or r.priority != c.priority or r.action == c.action:
            self.err(f"{show(f)}: files {r.file}/{c.file}, priorities {r.priority}/"
                     f"{c.priority}, actions {r.action}/{c.action}")
        ir, ic = self.pos[r.id], self.pos[c.id]
        if ic > ir:
            self.err(f"{show(f)}: the second rule comes later")
        if not self.masks[ir] & self.masks[ic]:
            self.err(f"{show(f)}: the rules do not overlap")
        w = f.witness
        if w is None:
            self.err(f"{show(f)}: no witness")
            return
        self._witness_fields(f)
        if not (r.matches(w) and c.matches(w)):
            self.err(f"{show(f)}: the witness is not matched by both rules")
        first = first_matching(self.order, w)
        if first is not c:
            self.err(f"{show(f)}: on the witness {first and first.id} decides, not {c.id}")

    def check_RL304(self, f) -> None:
        i = self.pos[f.rule_ids[0]]
        if self.masks[i] != self.U:
            self.err(f"{show(f)}: but it does not match "
                     f"{self.example_events(self.U & ~self.masks[i])}")

    def check_duplicates_complete(self, about) -> None:
        seen: dict[int, str] = {}
        for i, r in enumerate(self.order):
            m = self.masks[i]
            if not m:
                continue
            if m in seen and not (about[("RL201", r.id)] or about[("RL202", r.id)]):
                self.err(f"{r.id} has the same match as {seen[m]} but no RL201/RL202")
            seen.setdefault(m, r.id)

    def check_ambiguous_complete(self, about) -> None:
        if self.sem != "first-match":
            return
        reported = {tuple(f.rule_ids[:2]) for fs in about.values() for f in fs
                    if f.code == "RL303"}
        for ir, r in enumerate(self.order):
            for ic in range(ir):
                c = self.order[ic]
                if r.file == c.file or r.priority != c.priority or r.action == c.action:
                    continue
                hang = self.masks[ir] & self.masks[ic] & ~self.before[ic]
                if hang and (r.id, c.id) not in reported:
                    self.err(f"{r.id} and {c.id}: no RL303, but on "
                             f"{self.example_events(hang)} {c.id} decides only because its "
                             "file sorts first")


def check_evaluator(spec: SetSpec, rs, ev: Events, limit: int = 400) -> None:
    """The product's reference evaluator agrees with the oracle (a sample of the events)."""
    by_id = {r.id: r for r in rs.rules}
    assert [r.id for r in rs.rules] == [r.id for r in ev.order], "evaluation order differs"
    step = max(1, ev.n // limit)
    for k in range(0, ev.n, step):
        event = ev.event(k)
        for r in ev.order:
            got = rule_matches(by_id[r.id], event, rs.domains)
            assert got == r.matches(event), (r.id, event, got)


def verify(
    spec: SetSpec,
    exact: bool = True,
    codes=CODES,
    small_cover: bool = False,
    same_action_claims: bool = True,
) -> None:
    rs, findings = load_and_analyse(spec)
    judge = Judge(spec)
    judge.small_shadow_cover = small_cover
    judge.same_action_claims = same_action_claims
    check_evaluator(spec, rs, judge.ev)
    if exact:
        judge.check(findings)
    else:
        judge.check_sound(findings, codes)
    if judge.errors:
        lines = "\n  ".join(judge.errors)
        got = "\n  ".join(show(f) for f in findings) or "(none)"
        pytest.fail(f"{spec!r}\nproblems:\n  {lines}\nfindings:\n  {got}", pytrace=False)


def _spec(semantics: str, *rules: RuleSpec, **kw) -> SetSpec:
    return SetSpec(semantics, tuple(rules), **kw)


def both_semantics(spec: SetSpec):
    """The same rules read as first-match and as any-match."""
    for semantics in ("first-match", "any-match"):
        yield dataclasses.replace(spec, semantics=semantics)


# Regression examples: minimised counterexamples of bugs found by these tests (all fixed).

# a condition allowing every value still needs the field: {plan: pro} decides for 'r1'
MISSING_FIELD_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "allow", 0, 0, (Cond("vip", "list", (True, False)),)),
    RuleSpec("r1", "deny", 0, 0, (Cond("plan", "eq", "pro"),)),
)
# rules covering the whole enum do not cover a rule that does not test the field
ENUM_COVER_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "allow", 0, 0, (Cond("plan", "list", ("free", "pro")),)),
    RuleSpec("r1", "allow", 0, 0, (Cond("plan", "eq", "enterprise"),)),
    RuleSpec("r2", "deny", 0, 0, (Cond("region", "eq", "JP"),)),
)
# r4 has the same action as r0 and is named, but r2 and r5 (allow) cover r0 without it
SHADOW_COVER_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "deny", 1, 0, (Cond("region", "list", ("JP", "DE", "KR")),)),
    RuleSpec("r2", "allow", 0, 0, (Cond("region", "eq", "DE"),)),
    RuleSpec("r4", "deny", 0, 0, (Cond("region", "not_in", ("JP",)),)),
    RuleSpec("r5", "allow", 0, 0, (Cond("region", "list", ("JP", "KR")),)),
)


@settings(max_examples=150, **SETTINGS)
@example(MISSING_FIELD_EXAMPLE)
@example(ENUM_COVER_EXAMPLE)
@example(SHADOW_COVER_EXAMPLE)
@given(rule_sets())
def test_engine_is_exact(spec):
    """Every finding is true and every dead, redundant, duplicate or ambiguous rule is found,
    over all events, including events that lack fields."""
    for variant in both_semantics(spec):
        verify(variant, small_cover=True)


@settings(max_examples=50, **SETTINGS)
@given(rule_sets(bounded_age=True))
def test_engine_is_exact_with_a_declared_int_range(spec):
    """age declared 0..10: the engine clips to the range; events carry in-range ages only."""
    verify(spec)


# globs the algebra reads exactly; the witness must come from the box, not only the patterns:
# plan free/pro events of 'r1' are decided by 'r0' (another action)
ENUM_GLOB_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "allow", 0, 0, (Cond("plan", "glob", ("*",)),)),
    RuleSpec("r1", "deny", 0, 0, (Cond("plan", "prefix", ("f", "p")),)),
)
# tag 'ab' events of 'r2' fall to 'r1' (allow); its other events to 'r0' (deny, its action)
STAR_GLOB_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "deny", 0, 0, (Cond("tag", "not_in", ("ab",)),)),
    RuleSpec("r1", "allow", 0, 0, (Cond("tag", "glob", ("*",)),)),
    RuleSpec("r2", "deny", 0, 0, (Cond("region", "eq", "JP"), Cond("tag", "prefix", ("",)))),
)


@settings(max_examples=60, **SETTINGS)
@example(STAR_GLOB_EXAMPLE)
@example(ENUM_GLOB_EXAMPLE)
@given(rule_sets(exact_globs=True))
def test_engine_is_exact_with_exact_globs(spec):
    verify(spec)


# 'a*' is exact, '*a' is opaque with an empty literal head: the field's over-approximation is
# every string, and the field once vanished from the duplicate key
GLOB_DUPLICATE_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "allow", 0, 0, (Cond("vip", "eq", False), Cond("tag", "prefix", ("",)))),
    RuleSpec("r1", "allow", 0, 0, (Cond("tag", "glob", ("a*", "*a")), Cond("vip", "eq", False))),
    glob_tags=True,
)
# an opaque glob rule at priority 0 decides every event the two priority-1 rules share
GLOB_RL303_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "deny", 1, 0, (Cond("tag", "eq", "ab"),)),
    RuleSpec("r1", "allow", 0, 0, (Cond("tag", "glob", ("?b",)),)),
    RuleSpec("r2", "allow", 1, 1, ()),
    glob_tags=True,
)


@settings(max_examples=80, **SETTINGS)
@example(GLOB_DUPLICATE_EXAMPLE)
@example(GLOB_RL303_EXAMPLE)
@given(rule_sets(glob_tags=True))
def test_engine_is_sound_with_globs(spec):
    """With opaque globs the engine may say less, never something false (the RL301
    same-action claim is tested on its own below)."""
    verify(spec, exact=False, same_action_claims=False)


# 'r2' (opaque glob) is covered by 'r0' (allow, its action) and 'r1' (deny): tag 'bax' is
# decided by 'r1'; no witness is found in r1's piece (not starting with a or x)
GLOB_SAME_ACTION_EXAMPLE = _spec(
    "first-match",
    RuleSpec("r0", "allow", 0, 0, (Cond("tag", "prefix", ("a", "x")),)),
    RuleSpec("r1", "deny", 0, 0, (Cond("tag", "prefix", ("",)),)),
    RuleSpec("r2", "allow", 0, 0, (Cond("tag", "glob", ("*a?",)),)),
    glob_tags=True,
)


@settings(max_examples=40, **SETTINGS)
@example(GLOB_SAME_ACTION_EXAMPLE)
@given(rule_sets(glob_tags=True))
def test_redundant_claims_the_same_action_only_when_true_with_globs(spec):
    verify(spec, exact=False, codes=("RL301",))


@settings(max_examples=40, **SETTINGS)
@given(rule_sets())
def test_oracle_masks_agree_with_direct_evaluation(spec):
    """The bit masks of the oracle are what evaluating each event class directly gives, and
    the classes are distinct events (the brute force is only as good as this)."""
    ev = Events(spec)
    seen = set()
    for k in range(ev.n):
        event = ev.event(k)
        key = tuple(sorted((f, repr(v)) for f, v in event.items()))
        assert key not in seen
        seen.add(key)
        for r, m in zip(ev.order, ev.masks, strict=True):
            assert bool(m >> k & 1) == r.matches(event), (r.id, event)
        assert bool(ev.total >> k & 1) == (len(event) == len(ev.fields))


def test_oracle_sees_missing_fields():
    """The oracle itself: a rule testing vip does not match an event without vip."""
    ev = Events(MISSING_FIELD_EXAMPLE)
    assert ev.masks[0] != ev.all and ev.masks[0] & ev.total == ev.total
    assert not MISSING_FIELD_EXAMPLE.rules[0].matches({"plan": "pro"})
    assert MISSING_FIELD_EXAMPLE.rules[1].matches({"plan": "pro"})
    assert MISSING is not None


# --- the candidate index ---------------------------------------------------------------------

IDX_DOMAINS = {
    "s": Domain("string"),
    "e": Domain("enum", ("x", "y", "z")),
    "b": Domain("bool"),
    "i": Domain("int"),
    "j": Domain("int", min=0, max=10),
    "p": Domain("ip"),
}
_words = st.text(alphabet="ab", max_size=3)
_strset_leaf = st.one_of(
    st.lists(_words, max_size=3).map(StrSet.values),
    st.lists(_words, min_size=1, max_size=3).map(StrSet.not_values),
    st.lists(_words, min_size=1, max_size=2).map(StrSet.prefixes),
)
_strset = st.one_of(
    _strset_leaf,
    st.tuples(_strset_leaf, _strset_leaf, st.sampled_from(["&", "|", "-"])).map(
        lambda t: t[0] & t[1] if t[2] == "&" else t[0] | t[1] if t[2] == "|" else t[0] - t[1]
    ),
)
_bound = st.one_of(st.integers(-6, 12), st.sampled_from([-math.inf, math.inf]))
_ivset = st.lists(st.tuples(_bound, _bound), max_size=3).map(IntervalSet.of)
_ipset = st.lists(st.sampled_from(NETS + ADDRS), min_size=1, max_size=3).map(ip_set)
_field_set = {
    "s": _strset,
    "e": st.frozensets(st.sampled_from(("x", "y", "z"))),
    "b": st.frozensets(st.booleans()),
    "i": _ivset,
    "j": _ivset,
    "p": st.one_of(_ipset, _ipset.map(lambda s: IP_UNIVERSE - s)),
}


@st.composite
def _boxes(draw):
    fields = draw(st.lists(st.sampled_from(sorted(IDX_DOMAINS)), max_size=3, unique=True))
    return box_normalize({f: draw(_field_set[f]) for f in fields}, IDX_DOMAINS)


@st.composite
def _query(draw):
    a = draw(_boxes().filter(lambda b: b is not None))
    how = draw(st.sampled_from(["box", "minus", "and"]))
    if how == "box":
        return a
    b = draw(_boxes().filter(lambda b: b is not None))
    if how == "and":
        got = box_intersect(a, b, IDX_DOMAINS)
        return a if got is None else got
    pieces = box_subtract(a, b, IDX_DOMAINS)
    return draw(st.sampled_from(pieces)) if pieces else a


@settings(max_examples=150, deadline=None)
@given(st.lists(_boxes(), max_size=14), st.lists(_query(), min_size=1, max_size=4))
def test_index_candidates_are_a_superset_of_intersecting_rules(boxes, queries):
    index = OverlapIndex(boxes)
    for q in queries:
        got = index.candidates(q)
        assert got == sorted(set(got))
        assert all(boxes[i] is not None for i in got), "a rule matching nothing is a candidate"
        truth = {
            i for i, b in enumerate(boxes)
            if b is not None and box_intersect(b, q, IDX_DOMAINS) is not None
        }
        missed = truth - set(got)
        assert not missed, {i: boxes[i] for i in missed}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_boxes(), max_size=24),
    st.lists(_query(), min_size=1, max_size=4),
    st.integers(-1, 25),
    st.integers(0, 26),
    st.one_of(st.none(), st.sets(st.sampled_from(sorted(IDX_DOMAINS)))),
)
def test_index_windows_signatures_and_points(boxes, queries, lo, hi, within):
    """Every narrowing path (small groups not returned whole, composite indexes on every
    group, interval lookups however few the candidates): an order window (lo, hi), a
    signature filter and point lookups still return every rule that really qualifies."""
    import rulelint.algebra.index as index_module

    knobs = {
        "SMALL_GROUP": 0, "COMPOSITE_MIN": 0, "NARROW_ENOUGH": 0, "COMPOSITE_FANOUT": 4,
        "BUCKET_TREE": 0, "LAZY_MIN": 0,
    }
    saved = {k: getattr(index_module, k) for k in knobs}
    for k, v in knobs.items():
        setattr(index_module, k, v)
    try:
        index = OverlapIndex(boxes)
        for q in queries:
            got = index.candidates(q, lo=lo, hi=hi, within=within)
            assert got == sorted(set(got))
            assert all(lo < i < hi and boxes[i] is not None for i in got)
            assert within is None or all(boxes[i].keys() <= within for i in got)
            truth = {
                i for i, b in enumerate(boxes)
                if b is not None and lo < i < hi and (within is None or b.keys() <= within)
                and box_intersect(b, q, IDX_DOMAINS) is not None
            }
            assert truth <= set(got), {i: boxes[i] for i in truth - set(got)}
            point = box_point(q, IDX_DOMAINS)
            values = {
                f: ip_to_int(v) if IDX_DOMAINS[f].kind == "ip" else v for f, v in point.items()
            }
            at = index.at_point(values)
            holding = {
                i for i, b in enumerate(boxes)
                if b is not None and b.keys() <= values.keys()
                and all(IDX_DOMAINS[f].contains(s, point[f]) for f, s in b.items())
            }
            assert holding <= set(at)
            before = index.at_point(values, hi)  # "the first rule before hi that holds it"
            assert before == sorted(set(before)) and all(i < hi for i in before)
            assert {i for i in holding if i < hi} <= set(before)
    finally:
        for k, v in saved.items():
            setattr(index_module, k, v)


def test_index_prefix_query_finds_keys_with_the_last_code_point():
    """Regression: prefix queries once stopped at p + U+10FFFF (bisect_left)."""
    boxes = [{"s": StrSet.values(["a\U0010ffff"])}, {"s": StrSet.values(["a\U0010ffffz"])}]
    assert OverlapIndex(boxes).candidates({"s": StrSet.prefixes(["a"])}) == [0, 1]


def test_index_narrows_disjoint_values():
    """Not a tautology: the index does leave out rules that cannot meet the query (groups
    above the small-group size; a small group is returned whole)."""
    n = 3 * max(SMALL_GROUP, NARROW_ENOUGH)
    boxes = [{"e": frozenset({f"x{k}"})} for k in range(n)]
    boxes += [{"i": IntervalSet.of([(10 * k, 10 * k + 3)])} for k in range(n)]
    index = OverlapIndex(boxes)
    assert index.candidates({"e": frozenset({"x1"})}) == [1, *range(n, 2 * n)]
    assert index.candidates({"i": IntervalSet.of([(25, 49)])}) == [*range(n), n + 3, n + 4]
    # an order window and a signature filter
    assert index.candidates({"e": frozenset({"x1", "x5"})}, lo=1, hi=n + 1) == [5, n]
    assert index.candidates({"e": frozenset({"x1"})}, within={"e"}) == [1]
    s = {"s": StrSet.prefixes(["ab"])}
    pre = OverlapIndex([{"s": StrSet.values([f"v{k}"])} for k in range(n)] + [s])
    assert pre.candidates({"s": StrSet.values(["abc"])}) == [n]
    assert pre.candidates({"s": StrSet.values(["v3"])}) == [3]
    assert pre.at_point({"s": "abz"}) == [n]
    assert pre.at_point({}) == []


# --- batched subtraction and cheap disproofs ---------------------------------------------------


def _same_points(a: list[dict], b: list[dict]) -> bool:
    """Two lists of boxes hold the same points (each is a union)."""
    ok_ab, _ = covers_union(a, b)
    ok_ba, _ = covers_union(b, a)
    return ok_ab and ok_ba


def covers_union(xs: list[dict], ys: list[dict]) -> tuple[bool, None]:
    for x in xs:
        ok, _ = covers(x, ys, IDX_DOMAINS)
        if not ok:
            return False, None
    return True, None


@settings(max_examples=200, deadline=None)
@given(_query(), st.lists(_boxes().filter(lambda b: b is not None), max_size=6))
def test_subtract_union_is_target_minus_union(target, others):
    got = subtract_union(target, others, IDX_DOMAINS)
    _, expected = covers(target, others, IDX_DOMAINS)
    assert _same_points(got, expected), (got, expected)
    for i, p in enumerate(got):  # pieces are disjoint and inside the target
        assert box_subset(p, target, IDX_DOMAINS)
        for q in got[i + 1:]:
            assert box_intersect(p, q, IDX_DOMAINS) is None


@settings(max_examples=200, deadline=None)
@given(_query(), st.lists(_boxes().filter(lambda b: b is not None), max_size=6))
def test_cannot_cover_is_only_said_of_boxes_that_are_not_covered(target, others):
    if cannot_cover(target, others, IDX_DOMAINS):
        ok, _ = covers(target, others, IDX_DOMAINS)
        assert not ok


def test_cannot_cover_proves_an_infinite_field_against_finite_lists():
    target = {"s": StrSet.not_values(["a"]), "e": frozenset({"x"})}
    lists = [{"s": StrSet.values([f"v{k}"])} for k in range(50)]
    assert cannot_cover(target, lists, IDX_DOMAINS)
    assert not cannot_cover(target, [*lists, {"e": frozenset({"x", "y"})}], IDX_DOMAINS)
    # a rule that holds the whole target but one field is taken in one step
    assert subtract_union(target, [{"e": frozenset({"x"})}], IDX_DOMAINS) == []


@settings(max_examples=300, deadline=None)
@given(_query(), _query())
def test_box_meets_agrees_with_box_intersect(a, b):
    assert box_meets(a, b) == (box_intersect(a, b, IDX_DOMAINS) is not None)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2000), st.sampled_from([0, 1, 5, 50, 700])), max_size=900),
    st.lists(st.tuples(st.integers(-10, 2100), st.integers(0, 120)), min_size=1, max_size=10),
)
def test_interval_tree_finds_exactly_the_overlapping_intervals(spans, queries):
    from rulelint.algebra.index import IntervalTree

    entries = [(a, a + w, k) for k, (a, w) in enumerate(spans)]
    tree = IntervalTree(entries)
    for qa, qw in queries:
        out: set[int] = set()
        assert tree.query(qa, qa + qw, out)
        assert out == {k for a, b, k in entries if a <= qa + qw and b >= qa}


def test_interval_tree_with_many_blocks_and_superblocks():
    """20,000 intervals (78 superblocks): long, short and nearly unbounded ones."""
    import random

    from rulelint.algebra.index import IntervalTree

    rng = random.Random(7)
    entries = []
    for k in range(20_000):
        a = rng.randrange(1_000_000)
        w = rng.choice([0, 3, 255, 4095, 70_000, 10**9])
        entries.append((a, a + w, k))
    tree = IntervalTree(entries)
    for _ in range(300):
        qa = rng.randrange(-1000, 1_001_000)
        qb = qa + rng.choice([0, 10, 5000])
        out: set[int] = set()
        assert tree.query(qa, qb, out)
        assert out == {k for a, b, k in entries if a <= qb and b >= qa}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["x", "y", "z", "xy"]), st.integers(0, 40)),
             min_size=1, max_size=60),
    st.sampled_from(["x", "y", "z", "xy"]),
    st.integers(-1, 70),
    st.integers(0, 71),
)
def test_index_walks_a_weak_listed_field_lazily(rules, query, lo, hi):
    """A query that shares only a listed field with a group (the walk over every earlier
    rule that meets a box) takes that field's buckets lazily (LAZY_MIN at 0 here): still
    every rule in the window whose box meets the query, ascending, once each."""
    import rulelint.algebra.index as index_module

    def enum(v):
        return frozenset(v)  # "xy": filed under two values

    boxes = [
        box_normalize({"e": enum(v), "j": IntervalSet.point(k % 11)}, IDX_DOMAINS)
        for v, k in rules
    ]
    q = box_normalize({"e": enum(query), "b": frozenset([True])}, IDX_DOMAINS)
    saved = index_module.LAZY_MIN, index_module.SMALL_GROUP, index_module.COMPOSITE_MIN
    index_module.LAZY_MIN, index_module.SMALL_GROUP, index_module.COMPOSITE_MIN = 0, 0, 10**9
    try:
        got = OverlapIndex(boxes).candidates(q, lo=lo, hi=hi)
    finally:
        index_module.LAZY_MIN, index_module.SMALL_GROUP, index_module.COMPOSITE_MIN = saved
    assert got == sorted(set(got)) and all(lo < i < hi for i in got)
    truth = {
        i for i, b in enumerate(boxes) if lo < i < hi and box_intersect(b, q, IDX_DOMAINS)
    }
    assert truth <= set(got)  # candidates: every rule that meets it (maybe a few more)
