"""Box questions the merge planner asks millions of times, answered without building more
than it needs (on top of the exact algebra in ``sets``).

Rule boxes never hold an empty set or absence (``OrAbsent``); ``meets`` relies on that.
Pieces (boxes minus other boxes) may hold absence: ``cut`` and ``cut_all`` take any box.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rulelint.sets import (
    Domain,
    IntervalSet,
    StrSet,
    box_intersect,
    box_subtract,
    ip_to_int,
    union_all,
)

_FINITE = (("", False),)  # the regions of a StrSet that is a finite list of values


def meets(a: dict, b: dict) -> bool:
    """``box_intersect(a, b, ...) is not None`` for two rule boxes, without building the
    intersection: the question every order window asks."""
    if len(a) > len(b):
        a, b = b, a
    for f, x in a.items():
        y = b.get(f)
        if y is None:
            continue
        if type(x) is frozenset and type(y) is frozenset:
            if x.isdisjoint(y):
                return False
        elif type(x) is StrSet and type(y) is StrSet and x.K == _FINITE and y.K == _FINITE:
            if len(x.E) > len(y.E):
                x, y = y, x
            member = y.member
            if not any(t and member(v) for v, t in x.E):
                return False
        elif not (x & y):
            return False
    return True


def cut(pieces: list[dict], box: dict, domains) -> tuple[list[dict], bool]:
    """``pieces`` minus ``box``, and whether ``box`` took anything."""
    out: list[dict] = []
    took = False
    for p in pieces:
        if box_intersect(p, box, domains) is None:
            out.append(p)
        else:
            took = True
            out.extend(box_subtract(p, box, domains))
    return out, took


def cut_all(pieces: list[dict], boxes: list[dict], domains) -> list[dict]:
    """``pieces`` minus the union of ``boxes``. Boxes on one field are joined first, one
    union per field (n values cost one subtraction, not n of a growing set)."""
    one: dict[str, list[Any]] = defaultdict(list)
    other = []
    for b in boxes:
        if len(b) == 1:
            ((f, s),) = b.items()
            one[f].append(s)
        else:
            other.append(b)
    for f, sets in one.items():
        pieces, _ = cut(pieces, {f: union_all(sets)}, domains)
        if not pieces:
            return []
    for b in other:
        pieces, _ = cut(pieces, b, domains)
        if not pieces:
            return []
    return pieces


def point_set(dom: Domain, value: Any) -> Any:
    """The set holding one event value (``box_point``'s terms) of a field."""
    if dom.kind == "string":
        return StrSet.values((value,))
    if dom.kind in ("enum", "bool"):
        return frozenset((value,))
    return IntervalSet.point(ip_to_int(value) if dom.kind == "ip" else value)
