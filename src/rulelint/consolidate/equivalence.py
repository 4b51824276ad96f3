"""The proof: do two rule lists take the same decision for every possible event?

An independent code path from the merge planner: it only sees boxes and actions in
evaluation order. Exact on exact boxes; callers keep rules with an over-approximated (glob)
box apart with a gate field (see ``suggest._slots``), which keeps the answer sound.

Pairing. The two lists share most rules. Rules with the same box and action are paired,
keeping only pairs in the same relative order on both sides (a longest increasing run, so
moved rules simply count as changed); every other rule is *changed*. Paired and changed
rules form one timeline that keeps the order of each list (``_Timeline``), indexed once.

First-match. If the deciding rules of an event on both sides are paired rules, they are the
same rule: the first paired rule the event matches comes first on both sides. So the lists
differ iff some changed rule decides an event on its side that the other side decides
otherwise. For a changed rule r that means one of

* a pair (old rule o, new rule n) with other actions, r one of them, whose boxes meet
  outside every earlier rule of either side: ``o & n`` not covered by ``old[<o] | new[<n]``;
* events of r outside r's prefix that no rule of the other side matches.

Every paired rule up to the last paired rule before r (call it c) is in r's own prefix, so
it never forms such a pair: only the other side's rules after c matter, in order (``_walk``),
and the walk stops as soon as r is covered by its own prefix, the other side's rules up to c
and those walked so far (every later pair is then empty: its events are decided earlier on
both sides); a pair of two changed rules is checked by the earlier one's walk. Each question
is a coverage question, and a box B is covered by a union of rules iff it is covered by
those whose fields are a subset of B's (B holds events lacking every other field; a rule
testing another field never matches those), so a point of what is left, with every other
field absent, is a witness. Coverers are looked for near first (a merged rule sits next to
its members), then among all rules before.

Any-match. The decision is the set of actions of the matching rules, so the lists agree iff
for every action the union of the old boxes with it equals the union of the new ones. The
paired rules are on both sides; every changed rule must be covered by the other side's rules
with its action (again only rules on a subset of its fields can cover).

Every difference is confirmed by evaluating both lists at the witness (each condition by
``Domain.contains``; a condition on a missing field does not hold), and the witness drops
every field it does not need. Should confirmation ever fail (a bug), the slow reference walk
(``reference_difference``) answers instead, so the answer is a confirmed witness or a proof,
never a guess.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import (
    Domain,
    IntervalSet,
    OrAbsent,
    StrSet,
    box_intersect,
    box_is_empty,
    box_key,
    box_point,
    box_subtract,
    covers,
)
from rulelint.util.gcpause import paused_gc


@dataclass(frozen=True, slots=True)
class Slot:
    box: dict | None  # None: matches nothing
    action: str
    label: str  # a rule id, for messages


@dataclass(frozen=True, slots=True)
class Difference:
    event: dict[str, Any]
    old: str | None  # the old decision (action), None for no match
    new: str | None
    old_rule: str | None
    new_rule: str | None


def first_difference(
    old: Sequence[Slot],
    new: Sequence[Slot],
    domains: dict[str, Domain],
    semantics: str = "first-match",
) -> Difference | None:
    """None when equivalent, else one event on which the decisions differ."""
    old = [s for s in old if s.box is not None and not box_is_empty(s.box)]
    new = [s for s in new if s.box is not None and not box_is_empty(s.box)]
    with paused_gc():
        event = _Proof(old, new, domains, semantics).run()
    if event is None:
        return None
    diff = confirm(old, new, domains, semantics, event)
    if diff is not None:
        return _smaller(old, new, domains, semantics, diff)
    # the fast path claimed a difference that evaluation does not show: a bug; the slow,
    # independent walk decides (its witness is confirmed the same way)
    diff = reference_difference(old, new, domains, semantics)
    if diff is None:
        return None
    confirmed = confirm(old, new, domains, semantics, diff.event)
    if confirmed is None:
        raise AssertionError(f"unconfirmed difference at {diff.event!r}")
    return _smaller(old, new, domains, semantics, confirmed)


def _smaller(old, new, domains, semantics, diff: Difference) -> Difference:
    """The witness with every field left out whose absence keeps a difference (checked by
    evaluation each time): the event that shows it plainly. A glob's gate field goes too
    whenever the difference does not depend on the glob matching."""
    for f in sorted(diff.event):  # a glob's gate field ("\x00glob:...") first
        event = {k: v for k, v in diff.event.items() if k != f}
        smaller = confirm(old, new, domains, semantics, event)
        if smaller is not None:
            diff = smaller
    return diff


# --- evaluation at one event -------------------------------------------------------------------


def slot_matches(box: dict, event: dict[str, Any], domains: dict[str, Domain]) -> bool:
    """SPEC.md: every condition holds; a condition on a missing field does not hold."""
    return all(f in event and domains[f].contains(s, event[f]) for f, s in box.items())


def confirm(
    old: Sequence[Slot],
    new: Sequence[Slot],
    domains: dict[str, Domain],
    semantics: str,
    event: dict[str, Any],
) -> Difference | None:
    """The difference at ``event`` by evaluating both lists, or None if they agree there."""
    if semantics == "any-match":
        a = {s.action: s.label for s in reversed(old) if slot_matches(s.box, event, domains)}
        b = {s.action: s.label for s in reversed(new) if slot_matches(s.box, event, domains)}
        if a.keys() == b.keys():
            return None
        only_old = sorted(a.keys() - b.keys())
        if only_old:
            return Difference(event, only_old[0], None, a[only_old[0]], None)
        only_new = sorted(b.keys() - a.keys())[0]
        return Difference(event, None, only_new, None, b[only_new])
    o = next((s for s in old if slot_matches(s.box, event, domains)), None)
    n = next((s for s in new if slot_matches(s.box, event, domains)), None)
    oa = o.action if o is not None else None
    na = n.action if n is not None else None
    if oa == na:
        return None
    return Difference(
        event, oa, na, o.label if o is not None else None, n.label if n is not None else None
    )


# --- pairing the two lists -----------------------------------------------------------------------


def _align(old: Sequence[Slot], new: Sequence[Slot]) -> list[tuple[int, int]]:
    """Pairs (i, j) of old[i] and new[j] with the same box and action, each rule in at most
    one pair, ascending in both i and j."""
    keys: dict[int, frozenset] = {}  # by box identity: unchanged rules share their box

    def key(s: Slot) -> tuple:
        k = keys.get(id(s.box))
        if k is None:
            k = keys[id(s.box)] = box_key(s.box)  # type: ignore[arg-type]
        return (k, s.action)

    where: dict[tuple, list[int]] = defaultdict(list)
    for j, s in enumerate(new):
        where[key(s)].append(j)
    taken: dict[tuple, int] = defaultdict(int)
    pairs: list[tuple[int, int]] = []
    for i, s in enumerate(old):
        k = key(s)
        js = where.get(k)
        if js is not None:
            n = taken[k]
            if n < len(js):
                taken[k] = n + 1
                pairs.append((i, js[n]))
    return _increasing(pairs)


def _increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A longest run of ``pairs`` (ascending in i) that is ascending in j too (patience
    sorting, n log n)."""
    tails: list[int] = []  # tails[k]: the smallest j ending a run of length k + 1
    tail_at: list[int] = []  # the index in ``pairs`` of that run's end
    back = [-1] * len(pairs)
    for p, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(p)
        else:
            tails[k] = j
            tail_at[k] = p
        back[p] = tail_at[k - 1] if k else -1
    out: list[tuple[int, int]] = []
    p = tail_at[-1] if tail_at else -1
    while p >= 0:
        out.append(pairs[p])
        p = back[p]
    out.reverse()
    return out


COMMON, OLD, NEW = 0, 1, 2  # which list(s) a timeline entry belongs to


class _Timeline:
    """The paired rules and the changed rules of both lists in one sequence that keeps the
    order of each list (between two paired rules: the old-only, then the new-only ones)."""

    def __init__(self, old: Sequence[Slot], new: Sequence[Slot], pairs: list[tuple[int, int]]):
        self.boxes: list[dict] = []
        self.actions: list[str] = []
        self.side: list[int] = []
        self.prev_common: list[int] = []  # the last paired entry before each entry, or -1
        last = -1

        def add(s: Slot, side: int) -> None:
            self.boxes.append(s.box)  # type: ignore[arg-type]
            self.actions.append(s.action)
            self.side.append(side)
            self.prev_common.append(last)

        i = j = 0
        for pi, pj in [*pairs, (len(old), len(new))]:
            for k in range(i, pi):
                add(old[k], OLD)
            for k in range(j, pj):
                add(new[k], NEW)
            if pi < len(old):
                add(old[pi], COMMON)
                last = len(self.boxes) - 1
            i, j = pi + 1, pj + 1
        self.n = len(self.boxes)
        # one index per part: paired entries, old-only, new-only (each entry indexed once)
        self.part = {
            side: _Part([u for u in range(self.n) if self.side[u] == side], self.boxes)
            for side in (COMMON, OLD, NEW)
        }

    def changed(self, side: int) -> list[int]:
        return self.part[side].pos


class _Part:
    """A candidate index over some timeline positions, answering in timeline positions."""

    def __init__(self, positions: list[int], boxes: list[dict]) -> None:
        self.pos = positions
        self.boxes = boxes
        self.index = OverlapIndex([boxes[u] for u in positions])
        self._broad: _Part | None = None

    def broad(self) -> _Part:
        """The entries with infinitely many values on some field (not_in, prefix, an
        unbounded range), on their own: the only ones that can cover such a field."""
        if self._broad is None:
            boxes = self.boxes
            keep = [u for u in self.pos if not all(_narrow(v) for v in boxes[u].values())]
            self._broad = _Part(keep, boxes)
        return self._broad

    def find(
        self, box: dict, lo: int = -1, hi: int | None = None, within: Any = None
    ) -> Iterator[int]:
        """Ascending positions in (lo, hi) whose box may meet ``box`` (see OverlapIndex)."""
        pos = self.pos
        a = bisect.bisect_right(pos, lo) - 1
        b = len(pos) if hi is None else bisect.bisect_left(pos, hi)
        if b - a <= 1:
            return iter(())
        return (pos[k] for k in self.index.iter_candidates(box, a, b, within))


# --- the proof ---------------------------------------------------------------------------------

DIRECT = 48  # entries after the last paired rule looked at one by one before using the index
BUDGET = 64  # entries walked before the whole prefix is subtracted too
NEAR = 32  # entries before a position looked at one by one before asking the index


class _Proof:
    def __init__(
        self, old: list[Slot], new: list[Slot], domains: dict[str, Domain], semantics: str
    ) -> None:
        self.domains = domains
        self.any_match = semantics == "any-match"
        self.t = _Timeline(old, new, _align(old, new))

    def run(self) -> dict[str, Any] | None:
        """A witness event where the lists may differ (to be confirmed), or None: a proof."""
        t = self.t
        check = self._any_match if self.any_match else self._first_match
        for side in (OLD, NEW):
            for u in t.changed(side):
                ev = check(u)
                if ev is not None:
                    return ev
        return None

    def _rest(self, pieces: list[dict], cover: Iterator[int] | list[int]) -> list[dict]:
        """``pieces`` minus the boxes at the given positions."""
        boxes = [self.t.boxes[k] for k in cover]
        if not boxes:
            return pieces
        out: list[dict] = []
        for p in pieces:
            _, rest = covers(p, boxes, self.domains)
            out.extend(rest)
        return out

    def _cover(
        self,
        pieces: list[dict],
        probe: dict,
        ranges: list[tuple[_Part, int]],
        keep: Callable[[int], bool] | None = None,
    ) -> list[dict]:
        """``pieces`` (inside ``probe``) minus every entry before ``hi`` in each (part, hi)
        that ``keep`` accepts, on the probe's fields only (the subset-field fact).

        Where the probe takes infinitely many values of a field (not_in, a prefix), the many
        entries with finitely many values there cannot cover it, only carve it: the entries
        without that field and the broad ones go first; what they leave is narrower, and is
        itself the probe for the rest (so the index can narrow on it)."""
        keys = probe.keys()
        wide = {f for f, v in probe.items() if not _narrow(v)}

        boxes = self.t.boxes

        def found(box: dict, within: Any, broad: bool = False) -> list[int]:
            parts = [(p.broad() if broad else p).find(box, hi=hi, within=within)
                     for p, hi in ranges]
            got = heapq.merge(*parts)
            return [m for m in got if keep(m)] if keep is not None else list(got)

        if not wide:
            return self._rest(pieces, found(probe, keys))
        first = found(probe, keys - wide)
        first += found(probe, keys, broad=True)
        pieces = self._rest(pieces, sorted(set(first)))
        out: list[dict] = []
        for p in pieces:  # the narrow entries, looked up by what is left
            narrow = [m for m in found(p, keys) if any(f in boxes[m] and _narrow(boxes[m][f])
                                                       for f in wide)]
            out.extend(self._rest([p], narrow))
        return out

    # any-match: every changed rule is covered by the other side's rules with its action

    def _any_match(self, u: int) -> dict[str, Any] | None:
        t = self.t
        r, a, mine = t.boxes[u], t.actions[u], t.side[u]
        keys = r.keys()
        boxes, side, acts = t.boxes, t.side, t.actions
        # the neighbours first (a merged rule and its members), then all
        near = range(max(0, u - NEAR), min(t.n, u + NEAR + 1))
        rest = self._rest(
            [r], [k for k in near if side[k] != mine and acts[k] == a and boxes[k].keys() <= keys]
        )
        if not rest:
            return None
        everything = [(t.part[NEW if mine == OLD else OLD], t.n), (t.part[COMMON], t.n)]
        rest = self._cover(rest, r, everything, lambda k: acts[k] == a)
        return box_point(rest[0], self.domains) if rest else None

    # first-match

    def _first_match(self, u: int) -> dict[str, Any] | None:
        """Every pair of r (changed) with a later rule of the other side, in order, until r
        is covered by its own prefix and the other side's rules up to there; then, if
        something of r is left, no rule of the other side matches it."""
        t = self.t
        r, a, mine = t.boxes[u], t.actions[u], t.side[u]
        other = NEW if mine == OLD else OLD
        keys = r.keys()
        c = t.prev_common[u]
        boxes, side, acts = t.boxes, t.side, t.actions
        # r minus the other side's changed rules just before c (a merged rule usually sits
        # there); r's own prefix and the rest only when the walk gets long or ends
        near = range(max(0, c - NEAR), max(0, c))
        rest = self._rest([r], [k for k in near if side[k] == other and boxes[k].keys() <= keys])
        if not rest:
            return None
        walked = 0
        prefix_done = False
        for k in self._walk(r, c, mine):
            sk = side[k]
            if sk == mine:
                continue
            bk = boxes[k]
            sub = bk.keys() <= keys
            if acts[k] != a:
                # a pair of changed rules is checked by the earlier one's walk
                if sk == COMMON or k > u:
                    po, pn = (u, k) if mine == OLD else (k, u)
                    if not prefix_done and self._pair(po, pn, u, None) is not None:
                        # not settled nearby: take r's whole prefix out first
                        prefix_done = True
                        rest = self._prefix(rest, u, c)
                        if not rest:
                            return None
                    if prefix_done:
                        ev = self._pair(po, pn, u, rest)
                        if ev is not None:
                            return ev
            elif not sub:
                continue
            if sub:
                rest = _minus(rest, bk, self.domains)
                if not rest:
                    return None
            walked += 1
            if walked == BUDGET and not prefix_done:
                prefix_done = True
                rest = self._prefix(rest, u, c)
                if not rest:
                    return None
        if not prefix_done:
            rest = self._prefix(rest, u, c)
            if not rest:
                return None
        # r decides these events on its side; nothing on the other side matches them
        return box_point(rest[0], self.domains)

    def _prefix(self, rest: list[dict], u: int, c: int) -> list[dict]:
        """``rest`` minus u's own prefix and the other side up to c (the last paired entry
        before u), subset fields only."""
        t = self.t
        mine = t.side[u]
        other = NEW if mine == OLD else OLD
        ranges = [(t.part[mine], u), (t.part[other], c), (t.part[COMMON], c + 1)]
        return self._cover(rest, t.boxes[u], ranges)

    def _walk(self, r: dict, lo: int, mine: int) -> Iterator[int]:
        """Positions after ``lo``, ascending, of entries that may meet ``r``: the next few
        one by one, then from the index in growing windows (small windows of a group are
        returned without narrowing)."""
        t = self.t
        n = t.n
        hi = min(n, lo + 1 + DIRECT)
        yield from range(lo + 1, hi)
        parts = [t.part[s] for s in (COMMON, OLD, NEW) if s != mine]
        width = DIRECT
        while hi < n:
            lo, hi = hi - 1, min(n, hi + width)
            width *= 2
            yield from heapq.merge(*(p.find(r, lo, hi) for p in parts))

    def _pair(self, po: int, pn: int, u: int, rest: list[dict] | None) -> dict[str, Any] | None:
        """An event that the old entry ``po`` and the new entry ``pn`` (other actions) both
        decide, if there is one: ``po & pn`` minus old rules before po and new rules before
        pn. ``u`` is the one whose walk asks.

        Without ``rest``, only the rules just before are tried, and a non-empty answer only
        means "not settled nearby". With ``rest`` (u's box minus every rule on u's fields
        before it, on both sides, as the walk has it), the answer is exact and only rules
        with a field outside u's can still cover part of ``rest & other``."""
        t = self.t
        boxes, side = t.boxes, t.side
        k = pn if u == po else po
        if rest is None:
            both = box_intersect(boxes[po], boxes[pn], self.domains)
            if both is None:
                return None
            pieces, skip = [both], None
        else:
            pieces = [x for p in rest if (x := box_intersect(p, boxes[k], self.domains)) is not None]
            skip = boxes[u].keys()
        if not pieces:
            return None
        keys = boxes[u].keys() | boxes[k].keys()

        def useful(m: int) -> bool:
            fields = boxes[m].keys()
            return fields <= keys and not (skip is not None and fields <= skip)

        top = max(po, pn)
        near = [
            m for m in range(max(0, top - NEAR), top)
            if ((m < po and side[m] != NEW) or (m < pn and side[m] != OLD)) and useful(m)
        ]
        pieces = self._rest(pieces, near)
        if not pieces:
            return None
        if rest is None:
            return pieces[0]  # not settled nearby: the caller asks again with ``rest``
        probe = box_intersect(boxes[po], boxes[pn], self.domains)  # holds every piece
        assert probe is not None
        ranges = [(t.part[OLD], po), (t.part[NEW], pn), (t.part[COMMON], top)]
        pieces = self._cover(pieces, probe, ranges, useful)
        return box_point(pieces[0], self.domains) if pieces else None


def _narrow(s: Any) -> bool:
    """Whether a field set holds finitely many values (an interval set: bounded)."""
    if isinstance(s, OrAbsent):
        s = s.s
    if isinstance(s, StrSet):
        return s.is_finite()
    if isinstance(s, IntervalSet):
        return s.is_bounded()
    return True


def _minus(pieces: list[dict], other: dict, domains: dict[str, Domain]) -> list[dict]:
    out: list[dict] = []
    for p in pieces:
        out.extend(box_subtract(p, other, domains))
    return out


# --- the slow reference walk ---------------------------------------------------------------------


def _subtract(pieces: list[dict], other: dict, domains) -> tuple[list[dict], list[dict]]:
    remaining: list[dict] = []
    taken: list[dict] = []
    for p in pieces:
        inter = box_intersect(p, other, domains)
        if inter is None:
            remaining.append(p)
        else:
            taken.append(inter)
            remaining.extend(box_subtract(p, other, domains))
    return remaining, taken


def reference_difference(
    old: Sequence[Slot],
    new: Sequence[Slot],
    domains: dict[str, Domain],
    semantics: str = "first-match",
) -> Difference | None:
    """The same question by the direct walk: every old rule's decided region (its box minus
    earlier old boxes) against the new rules in order, then every new rule against the old
    ones. Exact and independent of the pairing, but quadratic: for tests and as a fallback."""
    old = [s for s in old if s.box is not None and not box_is_empty(s.box)]
    new = [s for s in new if s.box is not None and not box_is_empty(s.box)]
    if semantics == "any-match":
        for side, other, flip in ((old, new, False), (new, old, True)):
            for s in side:
                same = [o.box for o in other if o.action == s.action]
                ok, rem = covers(s.box, same, domains)  # type: ignore[arg-type]
                if not ok:
                    ev = box_point(rem[0], domains)
                    if flip:
                        return Difference(ev, None, s.action, None, s.label)
                    return Difference(ev, s.action, None, s.label, None)
        return None
    for i, o in enumerate(old):
        decided = [o.box]
        for k in range(i):
            decided, _ = _subtract(decided, old[k].box, domains)  # type: ignore[arg-type]
            if not decided:
                break
        for piece in decided:
            rem = [piece]
            for n in new:
                rem, taken = _subtract(rem, n.box, domains)  # type: ignore[arg-type]
                if taken and n.action != o.action:
                    ev = box_point(taken[0], domains)
                    return Difference(ev, o.action, n.action, o.label, n.label)
                if not rem:
                    break
            if rem:
                return Difference(box_point(rem[0], domains), o.action, None, o.label, None)
    for n in new:
        ok, rem = covers(n.box, [o.box for o in old], domains)  # type: ignore[arg-type]
        if not ok:
            return Difference(box_point(rem[0], domains), None, n.action, None, n.label)
    return None
