"""Sets back to conditions: write a field set as one ``match`` condition, when one can.

``to_condition(s, domain)`` returns the YAML value of a condition whose meaning is exactly
``s`` (a scalar, a list, ``{not_in: ...}``, ``{range: ...}``/``{gte: ...}``, ``{cidr: ...}``,
``{prefix: ...}``), or None when no single condition expresses it. A set holding every
value is still a condition (the field must be present; SPEC.md), never dropped. The merge planner only merges when this
succeeds, so a merged rule always means exactly the union of the rules it replaces.
"""

from __future__ import annotations

import math
from typing import Any

from rulelint.algebra.sets import Domain, IntervalSet, StrSet, int_to_ip, interval_to_cidrs

IPV4_END = 2**32 - 1


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _strset(s: StrSet) -> Any:
    finite = s.finite_values()
    if finite is not None:
        return _one_or_list(sorted(finite)) if finite else None
    k = dict(s.K)
    e = dict(s.E)
    if k[""] and len(k) == 1 and all(not v for v in e.values()):
        return {"not_in": _one_or_list(sorted(e))}
    if not k[""] and all(v for q, v in k.items() if q) and not e:
        return {"prefix": _one_or_list(sorted(q for q in k if q))}
    return None


def _int(s: IntervalSet, dom: Domain) -> Any:
    iv = s.iv
    if not iv:
        return None
    if len(iv) == 1:
        lo, hi = iv[0]
        if lo == hi:
            return int(lo)
        if lo != -math.inf and hi != math.inf:
            return {"range": [int(lo), int(hi)]}
        if lo != -math.inf:
            return {"gte": int(lo)}
        if hi != math.inf:
            return {"lte": int(hi)}
        return None  # every integer: no single condition says "present, any integer"
    if s.is_finite_points(limit=10_000):
        pts = [x for lo, hi in iv for x in range(int(lo), int(hi) + 1)]
        return _one_or_list(pts)
    comp = dom.complement(s)
    if comp.is_finite_points(limit=10_000):
        pts = [x for lo, hi in comp.iv for x in range(int(lo), int(hi) + 1)]
        return {"not_in": _one_or_list(pts)}
    return None


def ip_cidrs(s: IntervalSet) -> list[str]:
    out: list[str] = []
    for lo, hi in s.iv:
        lo, hi = int(lo), int(hi)
        if lo <= IPV4_END < hi:  # an interval spanning both families: split it
            out.extend(interval_to_cidrs(lo, IPV4_END))
            out.extend(interval_to_cidrs(IPV4_END + 1, hi))
        else:
            out.extend(interval_to_cidrs(lo, hi))
    return out


def _ip(s: IntervalSet) -> Any:
    if not s.iv:
        return None
    if all(lo == hi for lo, hi in s.iv) and len(s.iv) <= 10_000:
        return _one_or_list([int_to_ip(int(lo)) for lo, _ in s.iv])
    return {"cidr": _one_or_list(ip_cidrs(s))}


def to_condition(s: Any, dom: Domain) -> Any:
    kind = dom.kind
    if kind == "string":
        if s.is_full():
            return {"prefix": ""}  # any string, but the field must be present
        return _strset(s)
    if kind == "enum":
        # an explicit list, never not_in: adding a value to the enum later must not widen it
        vals = [v for v in dom.values if v in s]
        return _one_or_list(vals) if vals else None
    if kind == "bool":
        return _one_or_list(sorted(s)) if s else None
    if kind == "int":
        return _int(s, dom)
    return _ip(s)


def value_count(cond: Any) -> int:
    """How many values a condition holds (for ``max_values``)."""
    if isinstance(cond, dict):
        (op, v), *_ = cond.items()
        if op in ("range", "gte", "lte", "gt", "lt"):
            return 1
        return len(v) if isinstance(v, list) else 1
    return len(cond) if isinstance(cond, list) else 1
