"""Candidate index: which rules can overlap a given box, without comparing every pair.

Per field we keep
  * hash buckets for rules that allow a finite set of values (strings, enum, bool),
    plus the sorted bucket keys so a prefix query is a bisect range;
  * a static interval tree (sorted by low end, with subtree maxima of the high end) for
    int and ip fields;
  * an "open" list of rules whose set on the field is neither (cofinite, prefix...);
  * the rules that do not constrain the field at all.
A query picks the field with the fewest candidates and returns those; the exact set algebra
then runs only on them. Building is O(n log n), a query O(log n + k).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from rulelint.sets import IntervalSet, StrSet


class IntervalTree:
    """Static interval-overlap index over (lo, hi, item) with inclusive ends."""

    __slots__ = ("los", "his", "items", "maxhi", "n")

    def __init__(self, entries: Iterable[tuple[Any, Any, int]]) -> None:
        data = sorted(entries, key=lambda e: (e[0], e[1]))
        self.los = [e[0] for e in data]
        self.his = [e[1] for e in data]
        self.items = [e[2] for e in data]
        self.n = n = len(data)
        # implicit balanced tree over the sorted array: node (lo, hi) covers [lo, hi)
        self.maxhi: dict[tuple[int, int], Any] = {}
        if n:
            self._build(0, n)

    def _build(self, lo: int, hi: int) -> Any:
        stack = [(lo, hi, False)]
        while stack:
            a, b, done = stack.pop()
            if b - a <= 16:
                self.maxhi[(a, b)] = max(self.his[a:b])
                continue
            mid = (a + b) // 2
            if done:
                self.maxhi[(a, b)] = max(self.maxhi[(a, mid)], self.maxhi[(mid, b)])
            else:
                stack.append((a, b, True))
                stack.append((a, mid, False))
                stack.append((mid, b, False))
        return self.maxhi[(lo, hi)]

    def query(self, qlo: Any, qhi: Any, out: set[int], limit: float = math.inf) -> bool:
        """Add every item whose interval meets [qlo, qhi]; False (stop early) once ``out``
        holds more than ``limit`` items."""
        if not self.n:
            return True
        end = bisect.bisect_right(self.los, qhi)  # only entries starting at or before qhi
        if end == 0:
            return True
        stack = [(0, self.n)]
        his, items, maxhi = self.his, self.items, self.maxhi
        while stack:
            a, b = stack.pop()
            if a >= end:
                continue
            if maxhi[(a, b)] < qlo:
                continue
            if b - a <= 16:
                for i in range(a, min(b, end)):
                    if his[i] >= qlo:
                        out.add(items[i])
                if len(out) > limit:
                    return False
                continue
            mid = (a + b) // 2
            stack.append((a, mid))
            stack.append((mid, b))
        return True


def _finite(s: Any) -> frozenset | None:
    if isinstance(s, frozenset):
        return s
    if isinstance(s, StrSet):
        return s.finite_values()
    return None


class _FieldIndex:
    __slots__ = ("buckets", "keys", "tree", "open", "constrained")

    def __init__(self) -> None:
        self.buckets: dict[Any, list[int]] = defaultdict(list)
        self.keys: list[str] = []
        self.tree: IntervalTree | None = None
        self.open: list[int] = []
        self.constrained: set[int] = set()


class OverlapIndex:
    def __init__(self, boxes: Sequence[dict | None]) -> None:
        """``boxes[i]`` is the (over-approximated) match box of rule i, None for rules that
        match nothing (never returned)."""
        self.boxes = boxes
        self.n = len(boxes)
        self.present = [i for i, b in enumerate(boxes) if b is not None]
        fields: dict[str, _FieldIndex] = defaultdict(_FieldIndex)
        intervals: dict[str, list[tuple[Any, Any, int]]] = defaultdict(list)
        for i in self.present:
            for f, s in boxes[i].items():
                fi = fields[f]
                fi.constrained.add(i)
                if isinstance(s, IntervalSet):
                    for lo, hi in s.iv:
                        intervals[f].append((lo, hi, i))
                    continue
                vals = _finite(s)
                if vals is not None:
                    for v in vals:
                        fi.buckets[v].append(i)
                else:
                    fi.open.append(i)
        for f, fi in fields.items():
            fi.keys = sorted(k for k in fi.buckets if isinstance(k, str))
            if f in intervals:
                fi.tree = IntervalTree(intervals[f])
        self.fields = dict(fields)
        self._free_cache: dict[str, list[int]] = {}

    def _free(self, f: str) -> list[int]:
        got = self._free_cache.get(f)
        if got is None:
            fi = self.fields.get(f)
            cons = fi.constrained if fi else set()
            got = self._free_cache[f] = [i for i in self.present if i not in cons]
        return got

    def _estimate(self, f: str, s: Any) -> int | None:
        """A cheap upper bound of the candidates on f (without building them), or None
        when only a query can tell (intervals, prefixes)."""
        fi = self.fields.get(f)
        if fi is None:
            return 0
        vals = _finite(s)
        if vals is None:
            return None
        return sum(len(fi.buckets.get(v, ())) for v in vals) + len(fi.open)

    def _field_candidates(self, f: str, s: Any, limit: float) -> set[int] | None:
        """Rules constrained on f whose set may meet s; None when we cannot narrow, or when
        there are more than ``limit`` of them (another field is better)."""
        fi = self.fields.get(f)
        if fi is None:
            return set()
        if len(fi.open) > limit:
            return None
        out: set[int] = set(fi.open)
        if isinstance(s, IntervalSet):
            if fi.tree is not None:
                for lo, hi in s.iv:
                    if not fi.tree.query(lo, hi, out, limit):
                        return None
            return out
        vals = _finite(s)
        if vals is not None:
            for v in vals:
                b = fi.buckets.get(v)
                if b:
                    out.update(b)
                    if len(out) > limit:
                        return None
            return out
        if isinstance(s, StrSet):
            for p in s.true_prefixes():
                if p == "":
                    return None
                keys = fi.keys
                i = bisect.bisect_left(keys, p)
                while i < len(keys) and keys[i].startswith(p):
                    out.update(fi.buckets[keys[i]])
                    if len(out) > limit:
                        return None
                    i += 1
            for v in s.true_values():
                b = fi.buckets.get(v)
                if b:
                    out.update(b)
            return out if len(out) <= limit else None
        return None

    def candidates(self, box: dict) -> list[int]:
        """Indices of rules whose box may intersect ``box`` (a superset; sorted).

        Picks the field that narrows most: cheap estimates first (hash buckets), then
        queries (intervals, prefixes) bounded by the best size so far, so no field is
        ever expanded beyond the best alternative."""
        best: set[int] | None = None
        best_free: list[int] = []
        best_size = math.inf
        order = []
        for f, s in box.items():
            est = self._estimate(f, s)
            order.append((0 if est is not None else 1, est or 0, f, s))
        order.sort(key=lambda t: (t[0], t[1]))
        for exact, est, f, s in order:
            free = self._free(f)
            if len(free) >= best_size or (exact == 0 and est + len(free) >= best_size):
                continue
            cand = self._field_candidates(f, s, best_size - len(free) - 1)
            if cand is None:
                continue
            size = len(cand) + len(free)
            if size < best_size:
                best, best_free, best_size = cand, free, size
        if best is None:
            return list(self.present)
        if not best_free:
            return sorted(best)
        return sorted(best.union(best_free))
