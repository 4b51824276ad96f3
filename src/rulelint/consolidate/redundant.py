"""Rules whose removal changes no decision: what ``suggest-merge --include-redundant``
removes, one at a time, latest first, each against the rules that remain.

Exact, and without walking every rule that overlaps the one asked about:

* whether a box is covered by a union of rules depends only on those whose fields are a
  subset of the box's (``within=``): the box holds events that lack every other field, and
  a rule testing another field never matches those;
* most rules are settled by a few points of their box (``Removals.probe``), each found
  with one point query of the index;
* the rest are asked in full (``Removals.first_match``), with the rules on a subset of the
  rule's fields for coverage and an order window for the later rules.

Rules with an opaque glob are never removed and never count as covering (their
over-approximated box could claim events the real rule does not match); as a later rule
they count as one with another action, so they can only keep a rule.

Each answer that keeps a rule leaves its proof in ``Removals.proof`` (an event the rule
decides whose next rule takes another action or none; an event it decides; or "it decides
nothing and another action decides some of its events"), which the planner keeps as a
``merge.Proof`` so that later passes need not ask again.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rulelint.algebra.boxops import cut, cut_all, point_set
from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import box_intersect, box_meets, box_point, covers

PROBES = 8  # points tried by ``Removals.probe`` before a rule is asked about in full
SCAN_CUTS = 16  # rules cut one by one (with an early end) before the rest are joined
SHADOW_QUESTIONS = 64  # rules with another action asked about before a rule counts as shadowed


@dataclass(frozen=True)
class RemovalHints:
    """What the check's overlap analysis proved about ``rules`` (the live rules of a
    first-match ruleset, in evaluation order; positions index them), so that the planner's
    first removal passes need not ask again (``Planner``; ARCHITECTURE.md, sections
    "``--include-redundant``" and "``--include-shadowed``, ``frees``"):

    * ``deciding``: rules that decide some event. Removing rules that decide nothing leaves
      that true, so ``--include-shadowed``'s first pass asks only the others.
    * ``never``: rules that decide no event (the earlier rules take all of each). Removing
      rules that decide nothing leaves that true as well, so that pass removes them
      without asking; the rules that take their events are found only when the plan's
      removals are named (``Planner(named=True)``).
    * ``own``: of those, the rules all of whose events their own action decides (RL301).
    * ``seconds``: the walk's second rules (``decided.Sweep.seconds``): per rule that decides,
      the rules that take its events, on its own fields, once it is gone (None: some would
      fall to no rule). A ``needed`` rule stays needed after rules that decide nothing are
      removed while one of its second rules that is left has another action (or it has
      None): the cells those decide are the same.
    * ``needed``: rules whose removal changes some decision. That stays true until a rule
      that meets one of them is removed or a merge grows one.
    * ``shadowed``: rules that never decide while a rule with another action decides some of
      their events (RL302): ``--include-redundant`` keeps them. That depends only on the
      rules before them, so it stays true while only later rules are removed.

    Each claim is proven (a limit that stopped a question leaves the rule out), and a rule
    the hints leave out is simply asked, so a plan made with hints is the plan made without
    them: ``suggest-merge`` and ``check``'s ``frees`` agree. The planner turns them into
    proofs without an event (``merge.Proof``), which the later passes keep while no change
    can have made them false."""

    rules: Sequence[Any]
    deciding: frozenset[int]
    needed: frozenset[int]
    shadowed: frozenset[int]
    never: frozenset[int] = frozenset()
    own: frozenset[int] = frozenset()
    seconds: Mapping[int, set[int] | None] = field(default_factory=dict)

    def fit(self, bases: Sequence[Any]) -> bool:
        """Whether these hints are about exactly ``bases`` (the same rules, in order)."""
        return len(bases) == len(self.rules) and all(
            a is b for a, b in zip(self.rules, bases, strict=True))


def walk_hints(live: Sequence[Any], domains, index: OverlapIndex) -> RemovalHints | None:
    """The hints the decided-so-far walk alone proves about ``live`` (a first-match
    ruleset's live rules in evaluation order, ``index`` over their boxes), for a planner run
    without the check's analysis (``suggest-merge``): which rules decide, which decide
    nothing, which are needed because a second rule of theirs has another action or some of
    their events fall to no rule, the second rules, and the shadowed rules whose witness
    (the walk's event, decided with another action) checks out by evaluation. None when a
    glob makes a box an over-approximation."""
    from rulelint.algebra.decided import sweep
    from rulelint.evaluate import first_match, rule_matches

    if not all(r.exact for r in live):
        return None
    sw = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
               domains)
    unknown, dead = sw.unknown, sw.dead
    deciding = frozenset(p for p, d in enumerate(dead) if not d and p not in unknown)
    never = frozenset(p for p, d in enumerate(dead) if d and p not in unknown)
    needed = frozenset(
        p for p, cs in sw.seconds.items()
        if p in deciding and (cs is None or any(
            live[c].action != live[p].action or not live[c].exact for c in cs))
    )
    shadowed = set()
    for p, (d, ev) in sw.other.items():
        r = live[p]
        if p in never and live[d].action != r.action and rule_matches(r, ev, domains) and (
                first_match(live, index, ev, d + 1, domains) == d):
            shadowed.add(p)
    return RemovalHints(live, deciding, needed, frozenset(shadowed), never, frozenset(),
                        sw.seconds)


class _Rule(Protocol):
    box: dict
    action: str
    alive: bool
    base: Any  # the RuleEntry: ``exact``, ``id``


class Removals:
    """Removal questions about ``rules`` (live ones have ``alive``), in evaluation order, with
    ``index`` built over their boxes at those positions."""

    def __init__(
        self, rules: Sequence[_Rule], index: OverlapIndex, domains, first_match: bool
    ) -> None:
        self.rules = rules
        self.index = index
        self.domains = domains
        self.first_match = first_match
        self.takers: list[int] = []  # the last removable rule's takers (positions)
        # why the last rule asked stays (``removable``) or decides (``never_decides``): a
        # ``merge.Proof`` kind and its event (None for "shadowed"); None when not proven (a
        # limit answered)
        self.proof: tuple[str, dict | None] | None = None
        self._left: list[dict] = []  # what the last ``_taken_before`` found not taken

    def removable(self, i: int) -> tuple[bool, str, list[int]]:
        """Whether removing rule i changes no decision, why ("never": it decides no event;
        "caught": other rules with its action take every event it decides) and the
        positions of those rules: the earlier ones that decide its events, or the later
        ones with its action that catch them (any-match: the ones with its action that
        cover it). The reason's words are the planner's, which names the rules as the plan
        ends (``Planner._name_takers``)."""
        self.takers = []
        self.proof = None
        ok, why = (
            self.first_match_removable(i) if self.first_match else self.any_match_removable(i)
        )
        return ok, why, (self.takers if ok else [])

    def any_match_removable(self, i: int) -> tuple[bool, str]:
        """Any-match: removable iff other rules with the same action cover it (only those on
        a subset of its fields can)."""
        rules = self.rules
        r = rules[i]
        same = [
            k for k in self.index.iter_candidates(r.box, within=frozenset(r.box))
            if k != i and (c := rules[k]).alive and c.action == r.action and c.base.exact
            and box_meets(r.box, c.box)
        ]
        ok, _ = covers(r.box, [rules[k].box for k in same], self.domains)
        self.takers = same
        return (ok, "caught") if ok else (False, "")

    def first_match_removable(self, i: int) -> tuple[bool, str]:
        """First-match: removing rule i changes no decision iff every event it decides (its
        box minus the earlier rules) goes, without it, to a later rule with the same action.

        ``pieces`` (the box minus the earlier rules and the same-action later ones seen so
        far, all on the rule's own fields) is empty exactly when the rule's events are all
        taken; a later rule with another action (or an opaque glob) that meets the pieces
        matters only where none of the rules before it takes those events, asked on the
        fields of both (``_taken_before``)."""
        verdict, takers = self.probe(i)
        if verdict == "keep":
            return False, ""
        if verdict == "never":
            return self._never_decides(i, takers)
        rules, index, dom = self.rules, self.index, self.domains
        r = rules[i]
        box, action = r.box, r.action
        fields = frozenset(box)
        earlier = [
            (k, c) for k in index.iter_candidates(box, hi=i, within=fields)
            if (c := rules[k]).alive and c.base.exact
        ]
        pieces = cut_all([box], [c.box for _, c in earlier], dom)
        if not pieces:
            return self._never_decides(i, [(k, c.base.id) for k, c in earlier if box_meets(box, c.box)])
        catchers: list[int] = []
        wider: list[_Rule] = []  # same-action later rules on more fields, in order
        for k in index.iter_candidates(box, lo=i):
            c = rules[k]
            if not c.alive:
                continue
            if c.action == action and c.base.exact:
                if c.box.keys() <= fields:
                    pieces, took = cut(pieces, c.box, dom)
                    if took:
                        catchers.append(k)
                    if not pieces:
                        self.takers = catchers
                        return True, "caught"
                elif box_meets(box, c.box):
                    wider.append(c)
                continue
            met = [x for p in pieces if (x := box_intersect(p, c.box, dom)) is not None]
            if met and not self._taken_before(i, met, fields, c, wider):
                # an event rule i decides whose next rule (c or one with another action
                # before it) takes another action
                self.proof = ("keep", event(self._left[0], dom))
                return False, ""
        # an event rule i decides that no later rule holds
        self.proof = ("keep", event(pieces[0], dom))
        return False, ""

    def _never_decides(self, i: int, takers: list[tuple[int, str]]) -> tuple[bool, str]:
        """Rule i never decides: earlier rules (``takers``: their positions and ids) take
        all of it. Removable only when every one of its events is decided with its own
        action (RL301). When a rule with another action decides some of them, the rule is
        shadowed (RL302): deleting it changes nothing either, but whether it was meant to win
        is for a human to say, so it stays."""
        if self._shadowed(i, max(k for k, _ in takers)):
            return False, ""  # ``_shadowed`` says whether that is proven (``proof``)
        self.takers = sorted({k for k, _ in takers})
        return True, "never"

    def _shadowed(self, i: int, t: int) -> bool:
        """Whether a rule before position ``t`` (by then the takers cover rule i) with
        another action decides some event of rule i: it meets rule i outside every rule
        before it. Unsure (an opaque glob, too many rules to ask) counts as shadowed."""
        rules, index, dom = self.rules, self.index, self.domains
        r = rules[i]
        asked = 0
        for k in index.iter_candidates(r.box, hi=t + 1):
            c = rules[k]
            if not c.alive or c.action == r.action or not box_meets(r.box, c.box):
                continue
            asked += 1
            if asked > SHADOW_QUESTIONS or not c.base.exact:
                return True  # unsure: no proof
            inter = box_intersect(r.box, c.box, dom)
            assert inter is not None
            pieces = [inter]
            for k2 in index.iter_candidates(inter, hi=k, within=frozenset(inter)):
                e = rules[k2]
                if e.alive and e.base.exact:
                    pieces, _ = cut(pieces, e.box, dom)
                    if not pieces:
                        break
            if pieces:
                self.proof = ("shadowed", None)  # c decides an event of rule i
                return True
        return False

    def never_decides(self, i: int) -> list[int] | None:
        """First-match: when rule i decides no event (the live exact rules before it take
        all of its box), the positions of a set of them that does, in order, each taking
        some of what the ones before it left; None when rule i decides some event, or when
        that cannot be shown (an opaque glob is never a taker).

        Asked in evaluation order with every rule found dead marked not ``alive`` (as
        ``Planner._remove_never_deciding`` does), the takers are rules that decide: an
        event's first matching rule always decides it, so coverage by the deciding rules
        before rule i is coverage by all of them."""
        rules, index, dom = self.rules, self.index, self.domains
        r = rules[i]
        box = r.box
        fields = frozenset(box)
        pieces = [box]
        takers: list[int] = []
        self.proof = None
        for _ in range(PROBES):  # a point no earlier rule holds: rule i decides it
            point = event(pieces[0], dom)
            held = False
            for k in index.iter_candidates(point, hi=i, within=fields):
                c = rules[k]
                if not c.alive or not c.base.exact or not box_meets(point, c.box):
                    continue
                held = True
                pieces, took = cut(pieces, c.box, dom)
                if took:
                    takers.append(k)
                if not pieces:
                    return takers
            if not held:
                self.proof = ("decides", point)
                return None
        earlier = [
            k for k in index.iter_candidates(box, hi=i, within=fields)
            if (c := rules[k]).alive and c.base.exact
        ]
        left = cut_all([box], [rules[k].box for k in earlier], dom)
        if left:
            self.proof = ("decides", event(left[0], dom))
            return None
        pieces, takers = [box], []
        for k in earlier:  # name a cover: the rules in order that take what is left
            pieces, took = cut(pieces, rules[k].box, dom)
            if took:
                takers.append(k)
            if not pieces:
                break
        return takers

    def probe(self, i: int) -> tuple[str | None, list[tuple[int, str]]]:
        """Quick answers by a few points of rule i's box (every other field absent), each
        found with one point query: "keep" when a point that no earlier rule may match (so
        rule i decides it) has a first later match with another action, an opaque glob, or
        none; "never" when the earlier rules holding the points take the whole box (with
        their ids); None when neither is shown."""
        rules, dom, index = self.rules, self.domains, self.index
        r = rules[i]
        fields = frozenset(r.box)
        pieces = [r.box]
        takers: list[tuple[int, str]] = []
        for _ in range(PROBES):
            point = event(pieces[0], dom)
            held = False
            later: _Rule | None = None
            for k in index.iter_candidates(point, within=fields):  # ascending
                if k > i and held:
                    break  # the earlier rules' part is known; no later rule is needed
                c = rules[k]
                if k == i or not c.alive or not box_meets(point, c.box):
                    continue
                if k > i:
                    later = c  # the first later rule that holds the point
                    break
                if not c.base.exact:
                    return None, []  # an opaque glob may take it
                held = True  # an earlier rule holds the point: take what it takes
                pieces, took = cut(pieces, c.box, dom)
                if took:
                    takers.append((k, c.base.id))
                if not pieces:
                    return "never", takers
            if not held:  # rule i decides the point; without it, ``later`` does
                if later is None or later.action != r.action or not later.base.exact:
                    self.proof = ("keep", point)
                    return "keep", []
                return None, []
        return None, []

    def _taken_before(
        self, i: int, pieces: list[dict], fields: frozenset[str], c: _Rule,
        wider: list[_Rule],
    ) -> bool:
        """Are ``pieces`` (rule i's events that meet the later rule c and that no rule on
        rule i's fields takes) taken by earlier rules or by ``wider`` catchers, all on the
        fields of rule i and c together?"""
        rules, dom = self.rules, self.domains
        both = fields | c.box.keys()
        query = box_intersect(rules[i].box, c.box, dom)
        assert query is not None
        boxes = (
            e.box for k in self.index.iter_candidates(query, hi=i, within=both)
            if (e := rules[k]).alive and e.base.exact and not e.box.keys() <= fields
        )
        for b in itertools.islice(boxes, SCAN_CUTS):  # the nearest often settle it
            pieces, _ = cut(pieces, b, dom)
            if not pieces:
                return True
        rest = list(boxes)
        rest.extend(e.box for e in wider if e.box.keys() <= both)
        self._left = cut_all(pieces, rest, dom)  # one union, not one cut per rule (n²)
        return not self._left


def event(piece: dict, domains) -> dict:
    """A point of ``piece`` as a box of one value per field: the event with those fields
    (every other field absent)."""
    return {f: point_set(domains[f], v) for f, v in box_point(piece, domains).items()}
