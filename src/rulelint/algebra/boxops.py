"""Box questions the merge planner asks millions of times, answered without building more
than it needs (on top of the exact algebra in ``sets``).

Pieces (boxes minus other boxes) may hold absence: ``cut`` and ``cut_all`` take any box.
Whether two boxes meet is ``sets.box_meets``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rulelint.algebra.sets import (
    Domain,
    IntervalSet,
    StrSet,
    box_intersect,
    box_subtract,
    ip_to_int,
    union_all,
)


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
