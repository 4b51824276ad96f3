"""The proof: do two rule lists take the same decision for every possible event?

An independent code path from the merge planner: it only sees boxes and actions in
evaluation order. First-match: every event an old rule decides (its box minus the boxes of
earlier old rules) must be decided by a new rule with the same action, and every event that
no old rule matches must match no new rule. Any-match: for every action, the union of the
old rules' boxes with that action equals the union of the new ones'. Exact on exact boxes;
callers keep rules with an over-approximated (glob) box untouched and apart from every
change, which keeps the answer exact (see merge.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rulelint.index import OverlapIndex
from rulelint.sets import Domain, box_intersect, box_point, box_subtract, covers


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


def _point(box: dict, domains, fields) -> dict[str, Any]:
    return box_point(box, domains, {}, fields) if fields else box_point(box, domains)


def first_difference(
    old: Sequence[Slot],
    new: Sequence[Slot],
    domains: dict[str, Domain],
    semantics: str = "first-match",
) -> Difference | None:
    """None when equivalent, else one event on which the decisions differ."""
    old = [s for s in old if s.box is not None]
    new = [s for s in new if s.box is not None]
    old_idx = OverlapIndex([s.box for s in old])
    new_idx = OverlapIndex([s.box for s in new])
    if semantics == "any-match":
        return _any_match(old, new, old_idx, new_idx, domains)
    fields = sorted({f for s in [*old, *new] for f in s.box})
    for i, o in enumerate(old):
        cand = old_idx.candidates(o.box)
        decided = [o.box]
        for k in cand:
            if k >= i:
                break
            decided, _ = _subtract(decided, old[k].box, domains)
            if not decided:
                break
        if not decided:
            continue
        later = new_idx.candidates(o.box)
        for piece in decided:
            rem = [piece]
            for j in later:
                n = new[j]
                rem, taken = _subtract(rem, n.box, domains)
                if taken and n.action != o.action:
                    return Difference(_point(taken[0], domains, fields), o.action, n.action, o.label, n.label)
                if not rem:
                    break
            if rem:
                return Difference(_point(rem[0], domains, fields), o.action, None, o.label, None)
    for n in new:
        cand = [old[k].box for k in old_idx.candidates(n.box)]
        ok, rem = covers(n.box, cand, domains)
        if not ok:
            return Difference(_point(rem[0], domains, fields), None, n.action, None, n.label)
    return None


def _any_match(old, new, old_idx, new_idx, domains) -> Difference | None:
    fields = sorted({f for s in [*old, *new] for f in s.box})
    for side, other_side, other_idx, flip in ((old, new, new_idx, False), (new, old, old_idx, True)):
        for s in side:
            same = [other_side[k].box for k in other_idx.candidates(s.box) if other_side[k].action == s.action]
            ok, rem = covers(s.box, same, domains)
            if not ok:
                ev = _point(rem[0], domains, fields)
                if flip:
                    return Difference(ev, None, s.action, None, s.label)
                return Difference(ev, s.action, None, s.label, None)
    return None
