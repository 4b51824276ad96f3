"""Candidate index: which rules can overlap a given box, without comparing every pair.

Rules are grouped by *signature*, the set of fields their box constrains. Inside a group
every rule constrains every field of the signature, so a query can narrow on any field the
query box shares with the group and no "rule that does not test this field" list ever has
to be scanned. Per group and field:

  * string fields: hash buckets for listed values and for prefixes (a value ``v`` meets a
    prefix rule ``p`` when ``v`` starts with ``p``: the ``len(v)`` prefixes of ``v`` are
    looked up), sorted keys for range queries by prefix, and an "open" list for sets that
    cannot be narrowed (``not_in``, a glob that starts with ``*``);
  * enum and bool: hash buckets;
  * int and ip: a static interval tree (sorted by low end, subtree maxima of the high end).

Two facts make the signature useful beyond narrowing (see ARCHITECTURE.md):

  * a box ``B`` is covered by a union of rules iff it is covered by those of them whose
    signature is a subset of ``B``'s fields: ``B`` holds events that lack every other field,
    and a rule testing another field never matches those (``within=``);
  * a group that shares no field with the query box meets it wherever both are non-empty,
    so its members in an order window are returned as a slice, lazily (``iter_candidates``).

Building is O(n log n); a query costs O(groups + log n + k) for k candidates.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from rulelint.algebra.sets import IntervalSet, OrAbsent, StrSet

SMALL_GROUP = 8  # groups this small are returned whole (the caller's exact test is cheaper)
COMPOSITE_MIN = 64  # groups this large get composite indexes (built on first use)
COMPOSITE_FANOUT = 16  # a rule with more value combinations than this is "open" there
COMPOSITE_QUERY = 64  # a query with more value combinations than this uses one field
NARROW_ENOUGH = 32  # candidates this few are not narrowed further by an interval lookup
BUCKET_TREE = 16  # composite buckets this large get an interval tree (built on first use)
LAZY_MIN = 256  # a field narrowing to more candidates than this yields its buckets lazily


class IntervalTree:
    """Static interval-overlap index over (lo, hi, item) with inclusive ends.

    Equal intervals share one entry (rule sets repeat a few ranges thousands of times: age
    brackets, a /24); entries are sorted by low end; a query visits only entries starting at
    or before its high end, and skips whole blocks (16 entries) and superblocks (256) whose
    largest high end is below its low end. Flat lists, no per-node objects."""

    __slots__ = ("los", "his", "items", "bmax", "smax", "n")

    B = 16
    S = 256

    def __init__(self, entries: Iterable[tuple[Any, Any, int]]) -> None:
        same: dict[tuple[Any, Any], list[int]] = defaultdict(list)
        for lo, hi, item in entries:
            same[(lo, hi)].append(item)
        data = sorted(same.items(), key=lambda e: e[0])
        self.los = [e[0][0] for e in data]
        self.his = his = [e[0][1] for e in data]
        self.items = [e[1] for e in data]
        self.n = n = len(data)
        B, S = self.B, self.S
        self.bmax = [max(his[k : k + B]) for k in range(0, n, B)]
        self.smax = [max(his[k : k + S]) for k in range(0, n, S)]

    def query(self, qlo: Any, qhi: Any, out: set[int], limit: float = math.inf) -> bool:
        """Add every item whose interval meets [qlo, qhi]; False (stop early) once ``out``
        holds more than ``limit`` items."""
        end = bisect.bisect_right(self.los, qhi)  # only entries starting at or before qhi
        if end == 0:
            return True
        B, S = self.B, self.S
        his, items, bmax, smax = self.his, self.items, self.bmax, self.smax
        per = S // B
        for sb in range((end - 1) // S + 1):
            if smax[sb] < qlo:
                continue
            for b in range(sb * per, min((sb + 1) * per, (end - 1) // B + 1)):
                if bmax[b] < qlo:
                    continue
                for i in range(b * B, min(b * B + B, end)):
                    if his[i] >= qlo:
                        out.update(items[i])
                        if len(out) > limit:
                            return False
        return True


def _str_keys(s: StrSet) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(prefixes, values) such that every member of ``s`` starts with one of the prefixes or
    is one of the values; None when that says nothing (the root region is in the set)."""
    tp = s.true_prefixes()
    if "" in tp:
        return None
    return tp, s.true_values()


def _range(keys: list[str], p: str) -> Iterator[str]:
    """The sorted keys that start with ``p``."""
    i = bisect.bisect_left(keys, p)
    n = len(keys)
    while i < n and keys[i].startswith(p):
        yield keys[i]
        i += 1


class _FieldIndex:
    __slots__ = ("vals", "pfx", "vkeys", "pkeys", "tree", "open", "_iv")

    def __init__(self) -> None:
        self.vals: dict[Any, list[int]] = defaultdict(list)
        self.pfx: dict[str, list[int]] = defaultdict(list)
        self.vkeys: list[str] = []
        self.pkeys: list[str] = []
        self.tree: IntervalTree | None = None
        self.open: list[int] = []
        self._iv: list[tuple[Any, Any, int]] = []

    def add(self, i: int, s: Any) -> None:
        s = s.s if isinstance(s, OrAbsent) else s
        if isinstance(s, IntervalSet):
            for lo, hi in s.iv:
                self._iv.append((lo, hi, i))
            return
        if isinstance(s, frozenset):
            for v in s:
                self.vals[v].append(i)
            return
        if isinstance(s, StrSet):
            keys = _str_keys(s)
            if keys is not None:
                for p in keys[0]:
                    self.pfx[p].append(i)
                for v in keys[1]:
                    self.vals[v].append(i)
                return
        self.open.append(i)

    def freeze(self) -> None:
        self.vkeys = sorted(k for k in self.vals if isinstance(k, str))
        self.pkeys = sorted(self.pfx)
        if self._iv:
            self.tree = IntervalTree(self._iv)
        self._iv = []
        self.vals = dict(self.vals)
        self.pfx = dict(self.pfx)

    def estimate(self, vals: frozenset | None) -> int | None:
        """A cheap upper bound of the candidates for a finite set, else None."""
        if vals is None or self.pfx:
            return None
        get = self.vals.get
        return sum(len(get(v, ())) for v in vals) + len(self.open)

    def query(self, s: Any, keys: Any, limit: float) -> set[int] | None:
        """Members whose set on this field may meet ``s`` (``keys``: its ``_str_keys``);
        None when this field cannot narrow, or when there are more than ``limit`` of them
        (another field is better)."""
        if len(self.open) > limit:
            return None
        out: set[int] = set(self.open)
        if isinstance(s, IntervalSet):
            if self.tree is not None:
                for lo, hi in s.iv:
                    if not self.tree.query(lo, hi, out, limit):
                        return None
            return out
        if isinstance(s, frozenset):
            get = self.vals.get
            for v in s:
                b = get(v)
                if b:
                    out.update(b)
                    if len(out) > limit:
                        return None
            return out
        if keys is None:
            return None
        tp, tv = keys
        vals, pfx = self.vals, self.pfx
        for v in tv:
            b = vals.get(v)
            if b:
                out.update(b)
            if pfx:
                for k in range(1, len(v) + 1):
                    b = pfx.get(v[:k])
                    if b:
                        out.update(b)
            if len(out) > limit:
                return None
        for p in tp:
            for k in _range(self.vkeys, p):
                out.update(vals[k])
                if len(out) > limit:
                    return None
            for k in _range(self.pkeys, p):
                out.update(pfx[k])
                if len(out) > limit:
                    return None
            for k in range(1, len(p)):
                b = pfx.get(p[:k])
                if b:
                    out.update(b)
            if len(out) > limit:
                return None
        return out

    def lazy(self, vals: frozenset, lo: int, hi: int) -> Iterator[int]:
        """Ascending members in (lo, hi) whose set here may meet the finite set ``vals``,
        lazily: its buckets (and the open list) merged, without building the whole list (a
        caller that stops after a few need not pay for thousands)."""
        get = self.vals.get
        parts = [b for b in (*(get(v) for v in vals), self.open) if b]
        its = [
            _window_iter(b, bisect.bisect_right(b, lo), bisect.bisect_left(b, hi)) for b in parts
        ]
        if len(its) == 1:
            return its[0]
        return _unique(heapq.merge(*its))

    def at(self, v: Any) -> list[int]:
        """Members whose set on this field may hold the value ``v``."""
        out: list[int] = list(self.open)
        if isinstance(v, str):
            b = self.vals.get(v)
            if b:
                out.extend(b)
            pfx = self.pfx
            if pfx:
                for k in range(1, len(v) + 1):
                    b = pfx.get(v[:k])
                    if b:
                        out.extend(b)
            return out
        if self.tree is not None and isinstance(v, int) and not isinstance(v, bool):
            got: set[int] = set()
            self.tree.query(v, v, got)
            out.extend(got)
            return out
        try:
            b = self.vals.get(v)
        except TypeError:
            return out
        if b:
            out.extend(b)
        return out


class _Composite:
    """Members of a group keyed by their values on several listed fields at once (a rule
    with a list on a field is filed under each combination), so a query that fixes all of
    them looks up the rules that agree on every one instead of the largest single-field
    bucket. ``open``: members whose sets there are not short finite lists (always
    candidates). Buckets are ascending, so an order window is two bisections. A large
    bucket also gets, on first use, an interval tree on the group's first int/ip field (the
    age brackets of one region and plan): a query then meets only the rules whose range
    meets its own."""

    __slots__ = ("keys", "open", "ivf", "trees", "boxes")

    def __init__(
        self, g: _Group, fields: tuple[str, ...], boxes: Sequence[Mapping[str, Any]],
    ) -> None:
        keys: dict[tuple, list[int]] = defaultdict(list)
        open_: list[int] = []
        for i in g.members:
            box = boxes[i]
            combos: list[tuple] = [()]
            for f in fields:
                vals = _finite(box[f])
                if vals is None or len(vals) * len(combos) > COMPOSITE_FANOUT:
                    combos = []
                    break
                combos = [c + (v,) for c in combos for v in vals]
            if not combos:
                open_.append(i)
            for c in combos:
                keys[c].append(i)
        self.keys = dict(keys)
        self.open = open_
        self.ivf = next((f for f in sorted(g.fields) if g.fields[f].tree is not None), None)
        self.trees: dict[tuple, IntervalTree] = {}
        self.boxes = boxes

    def bucket(self, c: tuple, lo: int, hi: int, iv: IntervalSet | None) -> list[int]:
        """Ascending members in (lo, hi) filed under ``c`` whose set on ``ivf`` may meet
        ``iv`` (None: any)."""
        b = self.keys.get(c)
        if not b:
            return []
        if iv is None or self.ivf is None or len(b) < BUCKET_TREE:
            return _slice(b, lo, hi)
        t = self.trees.get(c)
        if t is None:
            f, boxes = self.ivf, self.boxes
            t = self.trees[c] = IntervalTree(
                (x, y, i) for i in b for x, y in _intervals(boxes[i][f])
            )
        out: set[int] = set()
        for x, y in iv.iv:
            t.query(x, y, out)
        return sorted(i for i in out if lo < i < hi)


def _intervals(s: Any) -> tuple:
    return (s.s if isinstance(s, OrAbsent) else s).iv


def _finite(s: Any) -> Any:
    """The values of a finite set of listed values (enum, bool, string list), else None."""
    s = s.s if isinstance(s, OrAbsent) else s
    if isinstance(s, frozenset):
        return s
    if isinstance(s, StrSet):
        return s.finite_values()
    return None


def _slice(m: list[int], lo: int, hi: int) -> list[int]:
    return m[bisect.bisect_right(m, lo) : bisect.bisect_left(m, hi)]


def _window_iter(m: list[int], a: int, b: int) -> Iterator[int]:
    """``m[a:b]``, lazily, in O(1) to start (``islice(m, a, b)`` would step over a items)."""
    return map(m.__getitem__, range(a, b))


def _unique(it: Iterable[int]) -> Iterator[int]:
    """An ascending stream without repeats (a member filed under two of the values)."""
    last = None
    for x in it:
        if x != last:
            yield x
            last = x


class _Group:
    __slots__ = ("sig", "members", "fields", "comp", "boxes")

    def __init__(self, sig: frozenset[str], boxes: Sequence[Mapping[str, Any] | None]) -> None:
        self.sig = sig
        self.members: list[int] = []  # ascending
        self.fields: dict[str, _FieldIndex] = {f: _FieldIndex() for f in sig}
        self.comp: dict[tuple[str, ...], _Composite | None] = {}
        # the index's boxes, not the index: a group naming its index would make a reference
        # cycle, which the cyclic GC (paused in the passes and the planner) never frees
        self.boxes = boxes

    def window(self, lo: int, hi: int) -> tuple[int, int]:
        m = self.members
        return bisect.bisect_right(m, lo), bisect.bisect_left(m, hi)

    def composite(self, fields: tuple[str, ...]) -> _Composite | None:
        """The composite index on ``fields``, built on first use; None when too many members
        would be open (it would not narrow)."""
        if fields in self.comp:
            return self.comp[fields]
        c: _Composite | None = _Composite(self, fields, self.boxes)
        if len(c.open) * 2 > len(self.members):
            c = None
        self.comp[fields] = c
        return c

    def _by_composite(self, prep: Mapping[str, tuple], lo: int, hi: int) -> list[int] | None:
        """Candidates by the composite index on every listed field the query fixes to a few
        values, or None when fewer than two such fields (the single-field path is as good)."""
        fields = tuple(sorted(
            f for f, (_, fin, _) in prep.items()
            if fin is not None and f in self.fields and self.fields[f].tree is None
        ))
        if len(fields) < 2:
            return None
        combos: list[tuple] = [()]
        for f in fields:
            vals = prep[f][1]
            if len(vals) * len(combos) > COMPOSITE_QUERY:
                return None
            combos = [c + (v,) for c in combos for v in vals]
        comp = self.composite(fields)
        if comp is None:
            return None
        iv = None
        if comp.ivf is not None and comp.ivf in prep:
            s = prep[comp.ivf][0]
            iv = s if isinstance(s, IntervalSet) else None
        parts = [] if not comp.open else [_slice(comp.open, lo, hi)]
        bucket = comp.bucket
        for c in combos:
            parts.append(bucket(c, lo, hi, iv))
        parts = [x for x in parts if x]
        if not parts:
            return []
        if len(parts) == 1:
            return parts[0]
        return sorted(set().union(*parts))

    def at_point(self, values: Mapping[str, Any], hi: int) -> list[int] | None:
        """Members before ``hi`` that may hold the point, by the composite index (every
        listed field fixed to its value, the interval field by its bucket's tree); None when
        it does not apply."""
        prep: dict[str, tuple] = {}
        for f in self.sig:
            v = values[f]
            if self.fields[f].tree is None:
                prep[f] = (None, (v,), None)
            elif isinstance(v, int) and not isinstance(v, bool):
                prep[f] = (IntervalSet.point(v), None, None)
            else:
                return None
        try:
            return self._by_composite(prep, -1, hi)
        except TypeError:  # a value that cannot be a key (an event may hold anything)
            return None

    def query(self, prep: Mapping[str, tuple], lo: int, hi: int) -> Sequence[int] | Iterator[int]:
        """Ascending members in (lo, hi) whose box may meet the prepared query box."""
        a, b = self.window(lo, hi)
        if a >= b:
            return ()
        if b - a <= SMALL_GROUP:
            return self.members[a:b]
        if len(self.members) >= COMPOSITE_MIN:
            got = self._by_composite(prep, lo, hi)
            if got is not None:
                return got
        fields = self.fields
        ranked = []
        for f, (s, fin, keys) in prep.items():
            fi = fields.get(f)
            if fi is None:
                continue
            est = fi.estimate(fin)
            ranked.append((0 if est is not None else 1, est or 0, fi, s, fin, keys))
        if not ranked:
            return _window_iter(self.members, a, b)
        ranked.sort(key=lambda t: (t[0], t[1]))
        best: set[int] | None = None
        best_n: float = b - a
        lazy = None  # the best listed-values field when it leaves many: walked lazily
        for known, est, fi, s, fin, keys in ranked:
            if known == 0:
                if est >= best_n:
                    continue
                if est > LAZY_MIN:
                    lazy = lazy or (fi, fin)
                    continue
            elif best_n <= NARROW_ENOUGH:
                break  # the exact test on a few candidates costs less than another lookup
            got = fi.query(s, keys, best_n - 1 if lazy is None else min(best_n - 1, LAZY_MIN))
            if got is not None and len(got) < best_n:
                best, best_n = got, len(got)
                if best_n <= 1:
                    break
        if best is None:
            if lazy is not None:
                return lazy[0].lazy(lazy[1], lo, hi)
            return _window_iter(self.members, a, b)
        return sorted(i for i in best if lo < i < hi)


def _prepare(box: Mapping[str, Any]) -> dict[str, tuple]:
    """Per field of a query box: (set, its values when finite, its string index keys)."""
    out = {}
    for f, s in box.items():
        s = s.s if isinstance(s, OrAbsent) else s
        if isinstance(s, StrSet):
            out[f] = (s, s.finite_values(), _str_keys(s))
        elif isinstance(s, frozenset):
            out[f] = (s, s, None)
        else:
            out[f] = (s, None, None)
    return out


class OverlapIndex:
    def __init__(self, boxes: Sequence[Mapping[str, Any] | None]) -> None:
        """``boxes[i]`` is the (over-approximated) match box of rule i, None for rules that
        match nothing (never returned)."""
        self.boxes = boxes
        self.n = len(boxes)
        groups: dict[frozenset[str], _Group] = {}
        for i, box in enumerate(boxes):
            if box is None:
                continue
            sig = frozenset(box)
            g = groups.get(sig)
            if g is None:
                g = groups[sig] = _Group(sig, boxes)
            g.members.append(i)
            for f, s in box.items():
                g.fields[f].add(i, s)
        for g in groups.values():
            for fi in g.fields.values():
                fi.freeze()
        self.groups = list(groups.values())
        self._within: dict[frozenset[str], list[_Group]] = {}

    def _groups(self, within: Iterable[str] | None) -> list[_Group]:
        if within is None:
            return self.groups
        key = frozenset(within)
        got = self._within.get(key)
        if got is None:
            got = self._within[key] = [g for g in self.groups if g.sig <= key]
        return got

    def mentions(self, f: str, value: Any) -> bool:
        """Whether some rule lists ``value`` (or a prefix of it) for field ``f``."""
        for g in self.groups:
            fi = g.fields.get(f)
            if fi is None:
                continue
            if value in fi.vals:
                return True
            if (
                fi.pfx
                and isinstance(value, str)
                and any(value[:k] in fi.pfx for k in range(1, len(value) + 1))
            ):
                return True
        return False

    def iter_candidates(
        self,
        box: Mapping[str, Any],
        lo: int = -1,
        hi: int | None = None,
        within: Iterable[str] | None = None,
    ) -> Iterator[int]:
        """Indices in (lo, hi), ascending and lazily, of rules whose box may meet ``box`` (a
        superset); ``within``: only rules whose fields are all in it."""
        hi = self.n if hi is None else hi
        prep = _prepare(box)
        parts = [g.query(prep, lo, hi) for g in self._groups(within)]
        parts = [p for p in parts if p]
        if not parts:
            return iter(())
        if len(parts) == 1:
            return iter(parts[0])
        return heapq.merge(*parts)

    def candidates(
        self,
        box: Mapping[str, Any],
        lo: int = -1,
        hi: int | None = None,
        within: Iterable[str] | None = None,
    ) -> list[int]:
        """Like :meth:`iter_candidates`, as a list."""
        return list(self.iter_candidates(box, lo, hi, within))

    def at_point(self, values: Mapping[str, Any], hi: int | None = None) -> list[int]:
        """Ascending indices before ``hi`` of rules whose box may hold the point (``values``:
        a field's value in the set algebra's terms: ip addresses as integers; a field that
        is missing from ``values`` is absent, and rules testing it are skipped)."""
        hi = self.n if hi is None else hi
        keys = values.keys()
        out: set[int] = set()
        for g in self.groups:
            if not g.sig <= keys or not g.members or g.members[0] >= hi:
                continue
            if not g.sig:
                out.update(g.members)
                continue
            if len(g.members) >= COMPOSITE_MIN:
                got = g.at_point(values, hi)
                if got is not None:
                    out.update(got)
                    continue
            best: list[int] | None = None
            # listed values first (hash lookups); an interval lookup only when those leave many
            for f in sorted(g.sig, key=lambda f: g.fields[f].tree is not None):
                fi = g.fields[f]
                if fi.tree is not None and best is not None and len(best) <= NARROW_ENOUGH:
                    break
                got = fi.at(values[f])
                if best is None or len(got) < len(best):
                    best = got
                    if not best:
                        break
            out.update(best or ())
        return sorted(i for i in out if i < hi)
