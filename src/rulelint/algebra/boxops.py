"""Box questions the merge planner asks millions of times, answered without building more
than it needs (on top of the exact algebra in ``sets``).

Pieces (boxes minus other boxes) may hold absence: ``cut`` and ``cut_all`` take any box.
Whether two boxes meet is ``sets.box_meets``.
"""

from __future__ import annotations

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


JOIN_MIN = 4  # boxes a group needs before it is joined
_JOIN_RANK = {"string": 0, "ip": 1, "int": 2}  # the field boxes are joined on, first choice


def _join_field(box: dict, domains) -> str:
    """The field a box is joined with others on: the one most likely to differ between rules
    that agree on the rest (a customer or a prefix before a CIDR, a range, a listed value)."""
    return min(box, key=lambda f: (_JOIN_RANK.get(getattr(domains.get(f), "kind", ""), 3), f))


def join_boxes(boxes: list[dict], domains) -> list[dict]:
    """The same union in fewer boxes: boxes equal on every field but one (the join field,
    ``_join_field``) become one box whose set there is the union of theirs. Exact
    ({f: A, rest} ∪ {f: B, rest} = {f: A ∪ B, rest}); groups of fewer than ``JOIN_MIN``
    stay as they are. Order of the result: first occurrence."""
    groups: dict[tuple, list[dict]] = {}
    for b in boxes:
        f = _join_field(b, domains) if len(b) > 1 else next(iter(b), "")
        key = (f, frozenset(b.keys()), frozenset((g, s) for g, s in b.items() if g != f))
        groups.setdefault(key, []).append(b)
    out = []
    for (f, _, _), group in groups.items():
        if not f:  # boxes with no condition: all the same
            out.append(group[0])
        elif len(group) < JOIN_MIN:  # a few cuts cost less than their union
            out.extend(group)
        else:
            joined = dict(group[0])
            joined[f] = union_all([b[f] for b in group])
            out.append(joined)
    return out


def cut_all(pieces: list[dict], boxes: list[dict], domains) -> list[dict]:
    """``pieces`` minus the union of ``boxes``. Boxes equal on all fields but one are
    joined first (``join_boxes``: one union per group), so n rules that differ in one value
    cost one subtraction, not n of a growing set (a cofinite piece lists every value cut)."""
    joined = join_boxes(boxes, domains) if len(boxes) >= JOIN_MIN else list(boxes)
    joined.sort(key=len)  # single-field unions first: they take the most
    for b in joined:
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
