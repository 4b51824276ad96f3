"""``rulelint diff REF``: what a change does to the rules and to their decisions.

For each ruleset: the rules added, removed and edited (same id, different content) between
REF and the working tree, the counts against the caps, and the semantic difference through
the exact engine, like Batfish's compareFilters: each (old rule, new rule) pair that now
decides some event differently, with a witness event, or "no decision changed".

first-match
    The decision region of rule i is its box minus the boxes of the rules before it. Old
    rule i and new rule j decide differently wherever their regions meet and their actions
    differ; "no match" is a side too (an old region no new rule matches, and back).
any-match (or a ruleset whose semantics changed)
    Action a applies where some rule with action a matches; for every rule, the part of
    its region where the other side does not apply its action is a change.

An added or edited rule that decides no event in the new rule set is named with the rules
that take all of its events (``never_deciding``; first-match: earlier rules cover it;
any-match: other rules with its action cover it, so it changes no decision), because a pull
request that adds a dead rule otherwise reads "no decision changed" and nothing more.

Every witness is checked with the reference evaluator on both sides and only verified ones
are reported. With opaque globs (or a piece budget exceeded, or a field whose kind changed)
the regions are approximations: then what is reported is still true, but "no decision
changed" is not claimed; the ruleset is marked incomplete instead.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import (
    Domain,
    box_equal,
    box_intersect,
    box_key,
    box_meets,
    box_point,
    box_subtract,
)
from rulelint.compare.basediff import load_base
from rulelint.consolidate.redundant import Removals
from rulelint.engine import load_rules
from rulelint.evaluate import decide
from rulelint.load.boxes import witness_event
from rulelint.load.config import Settings
from rulelint.load.project import RuleEntry, RuleSet, usage

MAX_PIECES = 4096  # fragments of one region we track before approximating
MAX_CHANGES = 200  # decision changes reported per ruleset


@dataclass(frozen=True)
class RuleRef:
    id: str
    action: str
    file: str
    line: int

    @classmethod
    def of(cls, r: RuleEntry) -> RuleRef:
        return cls(r.id, r.action, r.file, r.id_line or r.line)


@dataclass
class RuleChange:
    kind: str  # added | removed | edited
    id: str
    old: RuleRef | None = None
    new: RuleRef | None = None
    keys: list[str] = field(default_factory=list)  # edited: the keys whose value changed


@dataclass
class Count:
    measure: str  # rules | bytes | cost
    before: int
    after: int
    cap: int | None


@dataclass
class DecisionChange:
    old: RuleRef | None  # the rule deciding at REF (None: no rule matched)
    new: RuleRef | None  # the rule deciding now (None: no rule matches)
    before: list[str]  # the decision at REF: actions (first-match: at most one)
    after: list[str]
    witness: dict[str, Any]


@dataclass
class NeverDecides:
    kind: str  # added | edited
    rule: RuleRef
    takers: list[RuleRef]  # the rules that take all of its events (they decide)


@dataclass
class RulesetDiff:
    name: str
    semantics: str
    old_semantics: str | None
    counts: list[Count] = field(default_factory=list)
    added: list[RuleChange] = field(default_factory=list)
    removed: list[RuleChange] = field(default_factory=list)
    edited: list[RuleChange] = field(default_factory=list)
    decisions: list[DecisionChange] = field(default_factory=list)
    complete: bool = True  # the comparison was exact: no decisions means none changed
    notes: list[str] = field(default_factory=list)
    truncated: bool = False  # more than MAX_CHANGES decision changes
    never_decides: list[NeverDecides] = field(default_factory=list)  # added/edited, dead

    @property
    def rules_changed(self) -> bool:
        return bool(self.added or self.removed or self.edited)

    @property
    def no_decision_changed(self) -> bool:
        return self.complete and not self.decisions


@dataclass
class SemDiff:
    ref: str
    commit: str
    rulesets: list[RulesetDiff]

    @property
    def decisions_changed(self) -> bool:
        return any(d.decisions for d in self.rulesets)


# --- entry point ------------------------------------------------------------------------------


def semantic_diff(ref: str, paths: list[Path] | None, settings: Settings) -> SemDiff:
    head = load_rules(paths, settings)
    base = load_base(ref, paths, settings, head)
    names = list(head.rulesets)
    names += [n for n in base.project.rulesets if n not in head.rulesets]
    out = [diff_ruleset(base.project.rulesets.get(n), head.rulesets.get(n), n) for n in names]
    return SemDiff(ref, base.commit, out)


def diff_ruleset(old: RuleSet | None, new: RuleSet | None, name: str) -> RulesetDiff:
    old_rs = old if old is not None else RuleSet(name, new.semantics if new else "first-match")
    new_rs = new if new is not None else RuleSet(name, old_rs.semantics)
    d = RulesetDiff(name, new_rs.semantics, old.semantics if old is not None else None)
    d.counts = _counts(old, new)
    _rule_changes(old_rs, new_rs, d)
    d.never_decides = never_deciding(new_rs, [*d.added, *d.edited])
    if _same_rules(old_rs, new_rs):
        return d
    domains, problems = merge_domains(old_rs.domains, new_rs.domains)
    if problems:
        d.complete = False
        d.notes += [p + "; decisions were not compared" for p in problems]
        return d
    for rs in (old_rs, new_rs):
        narrower = {f for f, dom in rs.domains.items() if domains[f] != dom}
        if narrower:
            for r in rs.rules:
                if r.live:
                    _widen(r, rs.domains, narrower)
    cmp = _Comparison(old_rs, new_rs, domains, d)
    if old_rs.semantics == new_rs.semantics == "first-match":
        cmp.first_match()
    else:
        cmp.action_sets()
    if not cmp.exact and not (not d.decisions and _only_dead_added(old_rs, new_rs, d)):
        d.complete = False
        d.notes.append(cmp.why_inexact())
    d.decisions.sort(key=lambda c: (
        c.new.file if c.new else c.old.file if c.old else "",
        c.new.line if c.new else c.old.line if c.old else 0,
    ))
    return d


def _widen(r: RuleEntry, own: dict[str, Domain], fields: set[str]) -> None:
    """Restate a rule's box in the merged universe. A condition that allowed every value of
    the side's own (narrower) domain was left out of the box; on that side the rule still
    matches only values of its own domain (``event_value_ok``), so put that domain back."""
    extra = {f: own[f].full() for f in r.conditions if f in fields and f not in r.box}
    if not extra:
        return
    exact_under = r.under is r.box
    r.box = {**r.box, **extra}
    if exact_under:
        r.under = r.box
    elif r.under is not None:
        r.under = {**r.under, **extra}


# --- rules and counts -------------------------------------------------------------------------


def _counts(old: RuleSet | None, new: RuleSet | None) -> list[Count]:
    before = {m: (u, c) for m, u, c in usage(old)} if old is not None else {}
    after = {m: (u, c) for m, u, c in usage(new)} if new is not None else {}
    out = [
        Count(
            "rules",
            old.slot_count if old is not None else 0,
            new.slot_count if new is not None else 0,
            (new or old).max_rules if (new or old) is not None else None,
        )
    ]
    for m in ("bytes", "cost"):
        if m in before or m in after:
            cap = after.get(m, before.get(m))[1]
            out.append(Count(m, before.get(m, (0, cap))[0], after.get(m, (0, cap))[0], cap))
    return out


def _rule_changes(old: RuleSet, new: RuleSet, d: RulesetDiff) -> None:
    old_by, new_by = old.by_id(), new.by_id()
    for r in new.rules:
        if r.id not in old_by:
            d.added.append(RuleChange("added", r.id, new=RuleRef.of(r)))
    for r in old.rules:
        if r.id not in new_by:
            d.removed.append(RuleChange("removed", r.id, old=RuleRef.of(r)))
    for rid, r in new_by.items():
        o = old_by.get(rid)
        if o is None or o.content() == r.content():
            continue
        a, b = o.rule.model_dump(mode="json"), r.rule.model_dump(mode="json")
        keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        d.edited.append(RuleChange("edited", rid, RuleRef.of(o), RuleRef.of(r), keys))
    d.edited.sort(key=lambda c: (c.new.file, c.new.line) if c.new else ("", 0))


@dataclass(eq=False)
class _Live:
    """A live rule as ``Removals`` asks about it."""

    base: RuleEntry
    box: dict
    action: str
    alive: bool = True


def never_deciding(rs: RuleSet, changes: list[RuleChange]) -> list[NeverDecides]:
    """The added or edited rules of ``changes`` that decide no event of ``rs`` (see the
    module docstring), each with the rules that take its events. Exact like the removals of
    ``suggest-merge``: an opaque glob never counts as taking a rule's events."""
    live = rs.live_rules()
    wanted = {c.id: c for c in changes}
    ask = [i for i, r in enumerate(live) if r.id in wanted and r.box is not None]
    if not ask:
        return []
    rules = [_Live(r, r.box, r.action) for r in live]
    removals = Removals(rules, OverlapIndex([r.box for r in live]), rs.domains,
                        rs.semantics == "first-match")
    out = []
    for i in ask:
        takers = _takers(removals, i)
        if takers is not None:
            out.append(NeverDecides(wanted[live[i].id].kind, RuleRef.of(live[i]),
                                    [RuleRef.of(live[k]) for k in takers]))
    return out


def _takers(removals: Removals, i: int) -> list[int] | None:
    """Positions of rules that decide and take all of rule i's events, or None."""
    rules = removals.rules
    if not removals.first_match:  # any-match: other rules with its action cover it
        ok, _ = removals.any_match_removable(i)
        if not ok:
            return None
        r = rules[i]
        return [
            k for k in removals.index.iter_candidates(r.box, within=frozenset(r.box))
            if k != i and rules[k].action == r.action and rules[k].base.exact
            and box_meets(r.box, rules[k].box)
        ]
    dead: list[int] = []
    try:
        while True:
            takers = removals.never_decides(i)
            if takers is None:
                return None
            # a taker that itself never decides (the quick points visit rules out of order,
            # so one may take what an earlier rule would) goes out of the question: coverage
            # by the rules that decide is coverage by all (an event's first match decides it)
            again = [k for k in takers if removals.never_decides(k) is not None]
            if not again:
                return takers
            for k in again:
                rules[k].alive = False
                dead.append(k)
    finally:
        for k in dead:
            rules[k].alive = True


def _decision_signature(rs: RuleSet) -> list[tuple]:
    """What decisions depend on: the live rules in evaluation order, their actions and
    matches (not ids, descriptions, owners or dates)."""
    return [
        (r.action, json.dumps(r.rule.match, sort_keys=True, default=str))
        for r in rs.rules if r.live
    ]


def _only_dead_added(old: RuleSet, new: RuleSet, d: RulesetDiff) -> bool:
    """First-match: is the change only added rules that never decide? Then no decision
    changed, exactly (an event's first match decides it), whatever globs leave open."""
    if old.semantics != "first-match" or new.semantics != "first-match" or d.removed or d.edited:
        return False
    added = {c.id for c in d.added}
    if not added or {n.rule.id for n in d.never_decides if n.kind == "added"} != added:
        return False
    if old.domains != new.domains:
        return False
    rest = replace(new, rules=[r for r in new.rules if r.id not in added])
    return _decision_signature(old) == _decision_signature(rest)


def _same_rules(old: RuleSet, new: RuleSet) -> bool:
    if old.semantics != new.semantics or old.domains != new.domains:
        return False
    return _decision_signature(old) == _decision_signature(new)


def merge_domains(
    old: dict[str, Domain], new: dict[str, Domain]
) -> tuple[dict[str, Domain], list[str]]:
    """One universe of events for both sides; problems for fields whose kind changed."""
    out: dict[str, Domain] = {}
    problems: list[str] = []
    for f in sorted(old.keys() | new.keys()):
        a, b = old.get(f), new.get(f)
        if a is None or b is None or a == b:
            out[f] = a or b  # type: ignore[assignment]
        elif a.kind != b.kind:
            problems.append(f"field {f!r} is {a.kind} at the ref but {b.kind} now")
        elif a.kind == "enum":
            out[f] = Domain("enum", a.values + tuple(v for v in b.values if v not in a.values))
        else:  # int with other bounds
            lo = None if a.min is None or b.min is None else min(a.min, b.min)
            hi = None if a.max is None or b.max is None else max(a.max, b.max)
            out[f] = Domain("int", (), lo, hi)
    return out, problems


# --- the comparison ---------------------------------------------------------------------------


class _Comparison:
    def __init__(self, old: RuleSet, new: RuleSet, domains: dict[str, Domain], d: RulesetDiff):
        self.old, self.new, self.domains, self.d = old, new, domains, d
        self.old_live = old.live_rules()
        self.new_live = new.live_rules()
        self.old_index = OverlapIndex([r.box for r in self.old_live])
        self.new_index = OverlapIndex([r.box for r in self.new_live])
        self.found: set[tuple[str | None, str | None]] = set()
        self.approximated = False
        self.unverified = False
        self.globs = sorted(
            {r.id for r in self.old_live + self.new_live if not r.exact}
        )

    @property
    def exact(self) -> bool:
        return not (self.globs or self.approximated or self.unverified)

    def why_inexact(self) -> str:
        if self.globs:
            ids = ", ".join(repr(i) for i in self.globs[:5])
            more = f" and {len(self.globs) - 5} more" if len(self.globs) > 5 else ""
            return (
                f"rules with glob patterns ({ids}{more}) are compared only where a witness "
                "could be verified; other decisions may have changed too"
            )
        if self.approximated:
            return "the rules split into too many pieces to compare exactly; changes may be missing"
        return "some differences could not be confirmed with a concrete event"

    # pieces

    def _subtract(self, pieces: list[dict], other: dict) -> list[dict]:
        out: list[dict] = []
        for p in pieces:
            out.extend(box_subtract(p, other, self.domains))
        return out

    def regions(self, live: list[RuleEntry], index: OverlapIndex) -> list[list[dict]]:
        """Per live rule, the events it may decide (first-match), as disjoint boxes."""
        out = []
        for pos, r in enumerate(live):
            pieces = [r.box]
            for k in index.candidates(r.box):
                if k >= pos:
                    break
                e = live[k]
                if e.under is None:
                    continue
                nxt = self._subtract(pieces, e.under)
                if len(nxt) > MAX_PIECES:
                    self.approximated = True
                    break
                pieces = nxt
                if not pieces:
                    break
            out.append(pieces)
        return out

    def _unmatched(self, piece: dict, live: list[RuleEntry], index: OverlapIndex) -> list[dict]:
        """The part of ``piece`` that surely no rule of the other side matches."""
        rest = [piece]
        for k in index.candidates(piece):
            u = live[k].under
            if u is None:
                continue
            rest = self._subtract(rest, u)
            if not rest:
                return []
            if len(rest) > MAX_PIECES:
                self.approximated = True
                return []
        return rest

    # witnesses

    def _fields(self, box: dict) -> set[str]:
        out = set(box)
        for live, index in ((self.old_live, self.old_index), (self.new_live, self.new_index)):
            for k in index.candidates(box):
                out.update(live[k].conditions)
        return out

    def verify(self, box: dict, rules: list[RuleEntry], want: tuple) -> bool:
        """Find a concrete event in ``box``; record it if the two sides decide it differently.
        True when the recorded change is the one wanted (``want`` = (old id, new id))."""
        if len(self.d.decisions) >= MAX_CHANGES:
            self.d.truncated = True
            return True
        fields = self._fields(box)
        w = witness_event(box, self.domains, rules, fields)
        if w is None and all(r.exact for r in rules):
            # exact rules (globs that are equals or prefixes in disguise, globs over an enum):
            # every point of the box is a real match
            w = box_point(box, self.domains, fields=fields)
        if w is None:
            self.unverified = True
            return False
        a, b = decide(self.old, w), decide(self.new, w)
        if a.actions == b.actions:
            self.unverified = True
            return False
        if self.old.semantics == "first-match" and self.new.semantics == "first-match":
            old_r = a.deciding[0] if a.deciding else None
            new_r = b.deciding[0] if b.deciding else None
        else:
            old_r, new_r = self._blame(a, b)
        key = (old_r.id if old_r else None, new_r.id if new_r else None)
        if key not in self.found:
            self.found.add(key)
            w = self._simplify(w, a, b)
            self.d.decisions.append(
                DecisionChange(
                    RuleRef.of(old_r) if old_r else None,
                    RuleRef.of(new_r) if new_r else None,
                    list(a.actions), list(b.actions), w,
                )
            )
        return key == want

    def _simplify(self, w: dict[str, Any], a, b) -> dict[str, Any]:
        """Drop the fields that only keep other rules from matching: an event without the
        field is decided the same way on both sides (SPEC.md: a condition on a missing field
        does not hold). The deciding rules' own fields stay."""
        keep: set[str] = set()
        for r in (*a.deciding, *b.deciding):
            keep.update(r.conditions)
        sig = (a.actions, [id(r) for r in a.deciding], b.actions, [id(r) for r in b.deciding])
        for f in sorted(set(w) - keep):
            trial = {k: v for k, v in w.items() if k != f}
            a2, b2 = decide(self.old, trial), decide(self.new, trial)
            if (a2.actions, [id(r) for r in a2.deciding],
                    b2.actions, [id(r) for r in b2.deciding]) == sig:
                w = trial
        return w

    @staticmethod
    def _blame(a, b) -> tuple[RuleEntry | None, RuleEntry | None]:
        """Any-match: the first rule whose action is lost, or the first whose action is new."""
        lost = [r for r in a.matched if r.action not in b.actions]
        gained = [r for r in b.matched if r.action not in a.actions]
        return (lost[0] if lost else None), (gained[0] if gained else None)

    # which rules changed

    def _same(self, a: RuleEntry, b: RuleEntry) -> bool:
        """The same rule on both sides: same id, action and content, and the same sets in
        the common universe (a domain change can change a rule without touching it)."""
        if a.action != b.action or a.exact != b.exact or a.content() != b.content():
            return False
        if not box_equal(a.box, b.box, self.domains):
            return False
        if a.under is None or b.under is None:
            return a.under is None and b.under is None
        return box_equal(a.under, b.under, self.domains)

    def changed(self) -> tuple[list[RuleEntry], list[RuleEntry]]:
        """The live rules outside the largest set of unchanged rules kept in the same
        relative order on both sides (a longest increasing subsequence, O(n log n)).

        Every decision change lies inside the box of a changed rule: an event that no changed
        rule can match is matched, on both sides, by the same unchanged rules in the same
        order, so it gets the same decision."""
        queues: dict[tuple[str, str], deque[int]] = defaultdict(deque)
        for j, r in enumerate(self.new_live):
            queues[(r.id, r.content())].append(j)
        pairs: list[tuple[int, int]] = []
        for i, r in enumerate(self.old_live):
            q = queues.get((r.id, r.content()))
            if q:
                j = q.popleft()
                if self._same(r, self.new_live[j]):
                    pairs.append((i, j))
        kept = longest_increasing([j for _, j in pairs])
        old_kept = {pairs[k][0] for k in kept}
        new_kept = {pairs[k][1] for k in kept}
        return (
            [r for i, r in enumerate(self.old_live) if i not in old_kept],
            [r for j, r in enumerate(self.new_live) if j not in new_kept],
        )

    # first-match against first-match

    def _partition(self, focus: dict, live: list[RuleEntry], index: OverlapIndex):
        """Who decides the events of ``focus`` on one side: (rule or None, pieces), in
        evaluation order; pieces of different entries are disjoint for exact rules."""
        parts: list[tuple[RuleEntry | None, list[dict]]] = []
        remaining = [focus]
        for k in index.candidates(focus):
            r = live[k]
            taken = [
                x for p in remaining if (x := box_intersect(p, r.box, self.domains)) is not None
            ]
            if taken:
                parts.append((r, taken))
            if r.under is not None and taken:
                nxt = self._subtract(remaining, r.under)
                if len(nxt) > MAX_PIECES:
                    self.approximated = True
                    return parts
                remaining = nxt
            if not remaining:
                return parts
        parts.append((None, remaining))
        return parts

    def _only_globs_meeting(self, changed: list[RuleEntry]) -> None:
        """Decisions can differ only inside the boxes of changed rules: a glob rule that
        meets none of them (over-approximated) cannot make the comparison inexact."""
        if not self.globs:
            return
        keep = {
            r.id for r in self.old_live + self.new_live
            if not r.exact and any(box_meets(r.box, c.box) for c in changed)
        }
        self.globs = [g for g in self.globs if g in keep]

    def first_match(self) -> None:
        old_changed, new_changed = self.changed()
        self._only_globs_meeting(old_changed + new_changed)
        focus: dict[frozenset, dict] = {}
        for r in old_changed + new_changed:
            focus.setdefault(box_key(r.box), r.box)
        for f in focus.values():
            old_parts = self._partition(f, self.old_live, self.old_index)
            new_parts = self._partition(f, self.new_live, self.new_index)
            flat = [(rn, q) for rn, pieces in new_parts for q in pieces]
            index = OverlapIndex([q for _, q in flat])
            for ro, pieces in old_parts:
                for p in pieces:
                    for k in index.candidates(p):
                        rn, q = flat[k]
                        if (ro.action if ro else None) == (rn.action if rn else None):
                            continue
                        key = (ro.id if ro else None, rn.id if rn else None)
                        if key in self.found:
                            continue
                        x = box_intersect(p, q, self.domains)
                        if x is not None:
                            self.verify(x, [r for r in (ro, rn) if r is not None], key)

    # any-match (or mixed semantics): compare which actions apply

    def action_sets(self) -> None:
        if self.old.semantics == self.new.semantics:  # any-match on both sides
            # action a applies where a rule with action a matches: only changed rules can
            # make that differ
            old_changed, new_changed = self.changed()
            self._only_globs_meeting(old_changed + new_changed)
            old_reg = [[r.box] for r in self.old_live]
            new_reg = [[r.box] for r in self.new_live]
            self._one_way(old_changed, [[r.box] for r in old_changed], self.new_live, new_reg,
                          old_side=True)
            self._one_way(new_changed, [[r.box] for r in new_changed], self.old_live, old_reg,
                          old_side=False)
            return
        old_reg = (
            self.regions(self.old_live, self.old_index)
            if self.old.semantics == "first-match" else [[r.box] for r in self.old_live]
        )
        new_reg = (
            self.regions(self.new_live, self.new_index)
            if self.new.semantics == "first-match" else [[r.box] for r in self.new_live]
        )
        self._one_way(self.old_live, old_reg, self.new_live, new_reg, old_side=True)
        self._one_way(self.new_live, new_reg, self.old_live, old_reg, old_side=False)

    def _one_way(self, live, regs, other_live, other_regs, *, old_side: bool) -> None:
        """Events where a rule of this side applies its action and the other side does not."""
        other_by_action: dict[str, list[dict]] = {}
        for k, r in enumerate(other_live):
            if r.exact:  # only sure parts may be subtracted
                other_by_action.setdefault(r.action, []).extend(other_regs[k])
        indexes = {a: OverlapIndex(boxes) for a, boxes in other_by_action.items()}
        for i, r in enumerate(live):
            want = (r.id, None) if old_side else (None, r.id)
            idx = indexes.get(r.action)
            for p in regs[i]:
                rest = [p]
                for k in idx.candidates(p) if idx is not None else ():
                    rest = self._subtract(rest, idx.boxes[k])
                    if len(rest) > MAX_PIECES:
                        self.approximated = True
                        rest = []
                    if not rest:
                        break
                if any(self.verify(x, [r], want) for x in rest):
                    break


def longest_increasing(xs: list[int]) -> list[int]:
    """Positions of a longest strictly increasing subsequence of ``xs`` (patience sorting)."""
    tails: list[int] = []  # tails[k]: position of the smallest tail of a run of length k+1
    prev = [-1] * len(xs)
    for pos, x in enumerate(xs):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if xs[tails[mid]] < x:
                lo = mid + 1
            else:
                hi = mid
        if lo:
            prev[pos] = tails[lo - 1]
        if lo == len(tails):
            tails.append(pos)
        else:
            tails[lo] = pos
    out: list[int] = []
    k = tails[-1] if tails else -1
    while k != -1:
        out.append(k)
        k = prev[k]
    return out[::-1]
