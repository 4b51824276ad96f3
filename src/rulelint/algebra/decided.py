"""What the earlier rules already decide: one walk over a first-match ruleset in evaluation
order, exact at every size (issue 15; ARCHITECTURE.md, "How the overlap pass stays exact").

Every field set becomes a union of half-open intervals on one totally ordered line per field:
integers and IP addresses as they are (``[lo, hi + 1)``), strings in code-point order (a
value ``v`` is ``[v, v + "\\0")``, a prefix ``p`` is ``[p, succ(p))``: the strings with prefix
``p`` are exactly that interval), enum values as strings, booleans as 0 and 1. So one
structure serves every kind.

For each signature ``S`` (the set of fields some rule tests) a *trie* keeps, over the events
that carry exactly the fields of ``S``, which rules match each *cell* (a product of one piece
per field, split only where some rule's interval starts or ends). A cell stores the first two
rules that match it (the first decides; the second takes its events if the first is deleted),
in the leaves or, for a rule that covers a whole subtree, in that subtree's ``here``: a cell's
rules are the two earliest along its path. A rule on fields ``T`` is added to every trie
whose signature holds ``T`` (it matches those events whatever the other fields carry); it is
*asked* only in its own trie ``T``: it never decides iff every cell of its box there already
has a rule (coverage needs only rules on a subset of its fields: a box's events may lack every
other field). The cells then name exactly the rules that decide its events, and one cell
decided with another action is a witness.

Cost: a rule visits the cells of its box in its own trie and the frontier of its box in the
tries above; once a cell has two rules, later rules stop there (they can never be first or
second). Nothing depends on how many rules overlap a rule, only on how many distinct cells its
box spans.

Split tries. Where many rules list values of a string field (single customers) and others
allow infinitely many of its values (``not_in`` lists, prefixes) or do not test it, a level
for that field holds a piece per listed value and every such *wide* rule visits them all: the
trie costs the product. Such a trie is split on the field (``_split_fields``): the field is
its last level, and that *wide part* (``root``) holds only the wide rules; a rule that lists
values goes to a small trie per listed value ``v`` over the other fields (``pts[v]``). A cell
at a value no rule lists has the wide part's rules; a cell at ``v``, the two earliest of the
wide part's cell at ``v`` and ``pts[v]``'s cell (the two earliest of a union are the two
earliest of the parts' two earliest, so the parts are kept apart, each cut off at two).

* A listed rule is asked at each of its values, reading ``pts[v]`` and the wide part at
  ``v`` side by side (``_joint``), and recorded in ``pts[v]``.
* A wide rule is asked and recorded in the wide part as in any trie. Each cell there holds
  a value no rule lists unless all its (finitely many) values are listed, so its rules
  decide such a value: an empty one means live, a rule of another action a witness (at that
  value, ``_free_value``). Only if that leaves the rule dead are the listed values of its box
  read (``_listed_cells``): whether one of their cells is undecided, or has a witness. Its
  deciders at listed values (one per customer with an earlier rule of its own: a product if
  built for every wide rule) are read from the tries when first wanted (``_Firsts``). Both
  read only the values first listed before the cell's first wide rule (``born_q``): no
  other value's trie holds a rule that comes first there.
* Takers (``_seconds_split``): the wide part for unlisted values; then listed values only
  for wide rules that still have takers, and only values whose trie got a rule between the
  rule and its taker (``log_q``); then the listed rules' cells.

``tests/test_decided.py`` checks every answer against brute force on generated events, with
and without splitting.
"""

from __future__ import annotations

import contextlib
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rulelint.algebra.sets import Domain, IntervalSet, StrSet, int_to_ip

_NINF = -math.inf
_INF = math.inf


def _succ(p: str) -> str | None:
    """The least string above every string that starts with ``p`` (None: no such string)."""
    while p:
        c = ord(p[-1])
        if c < 0x10FFFF:
            return p[:-1] + chr(c + 1)
        p = p[:-1]
    return None


def _merge_adjacent(pairs: list) -> tuple:
    out: list = []
    for lo, hi in pairs:
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def str_lines(s: StrSet) -> tuple:
    """A string set as sorted disjoint ``(lo, hi)`` intervals in code-point order (``hi``
    exclusive, None: unbounded)."""
    K, E = s.K, s.E
    if len(K) == 1 and not K[0][1] and all(b for _, b in E):  # a finite list of values
        return _merge_adjacent([(v, v + "\0") for v, _ in E])
    bounds = {""}
    for p, _ in K:
        bounds.add(p)
        q = _succ(p)
        if q is not None:
            bounds.add(q)
    for v, _ in E:
        bounds.add(v)
        bounds.add(v + "\0")
    bs = sorted(bounds)
    pairs = []
    member = s.member
    last = len(bs) - 1
    for i, b in enumerate(bs):
        if member(b):  # constant on [b, next bound): see the module docstring
            pairs.append((b, bs[i + 1] if i < last else None))
    return _merge_adjacent(pairs)


def lines_of(s: Any) -> tuple:
    """Any field set (StrSet, IntervalSet, frozenset of enum strings or bools) as intervals."""
    if isinstance(s, StrSet):
        return str_lines(s)
    if isinstance(s, IntervalSet):
        return tuple((lo, None if hi == _INF else hi + 1) for lo, hi in s.iv)
    vals = sorted(s)
    if vals and isinstance(vals[0], bool):
        return _merge_adjacent([(int(v), int(v) + 1) for v in vals])
    return _merge_adjacent([(v, v + "\0") for v in vals])


def _line_min(kind: str) -> Any:
    return "" if kind in ("string", "enum") else _NINF


def _value(kind: str, lo: Any, hi: Any) -> Any:
    """A real field value in the piece ``[lo, hi)``."""
    if kind in ("string", "enum"):
        return lo
    if lo == _NINF:
        lo = 0 if hi is None or hi > 0 else hi - 1
    if kind == "bool":
        return bool(lo)
    if kind == "ip":
        return int_to_ip(int(lo))
    return int(lo)


class _Node:
    """One field's pieces: piece ``t`` is ``[starts[t], starts[t + 1])``; ``kids[t]`` is the
    next field's node, or a tuple of rule positions that match the whole piece onwards.
    ``here``: rules that match every cell below."""

    __slots__ = ("here", "starts", "kids")

    def __init__(self, here: tuple, starts: list, kids: list) -> None:
        self.here = here
        self.starts = starts
        self.kids = kids


def _clone(x: Any) -> Any:
    if type(x) is tuple:
        return x
    return _Node(x.here, x.starts[:], [_clone(k) for k in x.kids])


def _two(a: tuple, b: tuple) -> tuple:
    """The two earliest rules of two sorted tuples."""
    if not b:
        return a
    if not a:
        return b
    return tuple(sorted(a + b)[:2])


class _GiveUp(Exception):
    """A trie has cost more than its share (``STEPS_PER_RULE``): a product of two large
    families of rules, such as ``not_in`` lists over every customer that single-customer
    rules also meet. Its own rules are then left to the caller (``Sweep.unknown``)."""


# Node visits a trie may cost: ``STEPS_BASE`` plus ``STEPS_PER_RULE`` per rule it has been
# handed so far (recorded or asked), checked at every visit. The budget grows with the walk,
# not with the rules the trie will hold by the end, so a trie whose cost grows as a product
# is given up as soon as it runs ahead of its share, not after spending the whole list's
# (measured on every generator profile at 10k-100k: the tries given up are exactly those
# given up by a budget on the final count, at 2-10% of its cost; no trie kept runs ahead).
STEPS_PER_RULE = 48
STEPS_BASE = 20_000


# A trie is split on a string field (``_split_fields``) when its rules that allow infinitely
# many values of the field, times its rules that list values of it, reaches this: about what
# a trie with one level for that field would cost (each wide rule visits the piece of every
# listed value). Below it, a trie of one level per field costs little either way.
SPLIT_MIN = 200_000


class _Trie:
    __slots__ = ("fields", "kinds", "mins", "full", "root", "clip", "clip_los", "steps", "limit",
                 "split", "pts", "pts_sorted", "log_q", "log_v", "born_q", "born_v", "pcache")

    def __init__(self, fields: Sequence[str], domains: Mapping[str, Domain], full: dict,
                 split: bool = False) -> None:
        self.fields = tuple(fields)
        self.kinds = tuple(domains[f].kind for f in self.fields)
        self.mins = tuple(_line_min(k) for k in self.kinds)
        self.full = tuple(full[f] for f in self.fields)
        self.root: Any = ()
        # per field, the union of the trie's own rules' sets: only cells inside them are ever
        # asked about, so a rule from below is recorded only there (``_add``)
        self.clip: list = list(self.full)
        self.clip_los: list = []
        self.steps = 0  # nodes visited so far; past ``limit`` the trie is given up
        self.limit = 0  # grows by ``STEPS_PER_RULE`` with each rule the walk hands it
        # split on the last field (a string): ``root`` holds the rules that allow infinitely
        # many of its values (the *wide* part), ``pts[v]`` (a trie over the other fields)
        # the rules that list v; a cell's rules are the two earliest of both
        self.split = split
        self.pts: dict = {}
        self.pts_sorted: list | None = []  # pts' keys, sorted; None: to sort again
        self.log_q: list[int] = []  # every rule recorded at a listed value, in order,
        self.log_v: list[str] = []  # and that value (``_seconds_split``)
        self.born_q: list[int] = []  # the first rule recorded at each listed value, in
        self.born_v: list[str] = []  # order, and that value (``_listed_contents``)
        self.pcache: dict = {}  # see ``_points_of``; shared by the walk's tries


class _Done(Exception):
    """A walk over the listed values has found what it looked for."""


class _Firsts(AbstractSet):
    """The rules that decide some of a wide rule's events in a split trie: those found in the
    cells of values no rule lists, and, computed when first read, those in the cells of the
    listed values (``_listed_firsts``). All of them are wanted only for the few rules whose
    findings name them; computed for every wide rule they would cost the product the split
    avoids (each listed value's own rule decides its cells first)."""

    __slots__ = ("_got", "_more")

    def __init__(self, got: set, more: Any) -> None:
        self._got = got
        self._more = more

    def _all(self) -> set:
        more = self._more
        if more is not None:
            self._more = None
            self._got |= more()
        return self._got

    def __contains__(self, x: object) -> bool:
        return x in self._got or (self._more is not None and x in self._all())

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"_Firsts({sorted(self._all())!r})"

    @classmethod
    def _from_iterable(cls, it: Any) -> set:  # what ``&``, ``|``, ``-`` return: a set
        return set(it)


@dataclass
class Sweep:
    """What one walk found, by position in evaluation order."""

    dead: list[bool]
    # positions of the earlier rules that decide some of each rule's events (in its own
    # fields): all of them for a dead rule (a set, or a lazily completed set: ``_Firsts``)
    firsts: dict[int, AbstractSet[int]] = field(default_factory=dict)
    # dead rules: (position of a decider with another action, an event it decides in r)
    other: dict[int, tuple[int, dict]] = field(default_factory=dict)
    # live rules: positions of the rules that take each of their events once they are gone,
    # in their own fields; None when some of those events would fall to no rule
    seconds: dict[int, set[int] | None] = field(default_factory=dict)
    # rules whose trie was given up (too costly): nothing above is known about them
    unknown: set[int] = field(default_factory=set)


def sweep(
    boxes: Sequence[dict],
    unders: Sequence[dict | None],
    actions: Sequence[str],
    domains: Mapping[str, Domain],
) -> Sweep:
    """Walk rules in evaluation order (``boxes``: each rule's match, an over-approximation for
    globs; ``unders``: what each surely matches, None for nothing). A rule is dead when the
    sure parts of the earlier rules cover its box on its own fields."""
    n = len(boxes)
    out = Sweep(dead=[False] * n)
    if n == 0:
        return out
    full = {f: lines_of(d.full()) for f, d in domains.items()}
    sigs: dict[frozenset, list[int]] = {}
    for i, b in enumerate(boxes):
        sigs.setdefault(frozenset(b), []).append(i)
    tries = {}
    split = _split_fields(boxes, sigs, domains)
    for s in sigs:
        order = _field_order(s, boxes, sigs)
        f = split.get(s)
        if f is not None:
            order = [g for g in order if g != f] + [f]
        tries[s] = _Trie(order, domains, full, split=f is not None)
    pcache: dict = {}
    for trie in tries.values():
        trie.pcache = pcache
    for s, trie in tries.items():
        own = [boxes[i] for i in sigs[s]]
        trie.clip = [_union([lines_of(b[f]) for b in own]) for f in trie.fields]
        trie.clip_los = [[lo for lo, _ in c] for c in trie.clip]
        trie.limit = STEPS_BASE
    given_up: set[frozenset] = set()
    supers = {t: [s for s in sigs if t <= s] for t in sigs}
    gates: dict = {}  # (signature, trie above it): see ``_gate``
    line_cache: dict[int, tuple] = {}

    def lines(s: Any) -> tuple:
        got = line_cache.get(id(s))
        if got is None:
            got = line_cache[id(s)] = (lines_of(s), s)  # keep s alive: ids stay unique
        return got[0]

    for i in range(n):
        box, under = boxes[i], unders[i]
        sig = frozenset(box)
        blines = {f: lines(s) for f, s in box.items()}
        ulines = blines if under is box else (
            None if under is None else {f: lines(s) for f, s in under.items()})
        exact = under is box
        for s in supers[sig]:
            if s in given_up:
                continue
            trie = tries[s]
            trie.limit += STEPS_PER_RULE  # its share of the budget (see ``STEPS_PER_RULE``)
            try:
                if s == sig:
                    dead, firsts, other = _ask(trie, blines, i, actions,
                                               exact and ulines is not None)
                    out.firsts[i] = firsts
                    if dead:
                        out.dead[i] = True
                        if other is not None:
                            out.other[i] = other
                    if not exact and ulines is not None:
                        _add(trie, ulines, i)  # what it surely matches: second to earlier rules
                elif ulines is not None:
                    g = gates.get((sig, s), gates)
                    if g is gates:
                        g = gates[sig, s] = _gate(trie, sig)
                    if g is not None:  # most rules from below meet none of the trie's rules
                        pts = _points_of(trie, ulines[g[0]])
                        if pts is not None and g[1].isdisjoint(pts):
                            continue  # (what ``_add`` would find: no cell to record in)
                    _add(trie, ulines, i)
            except _GiveUp:
                given_up.add(s)
                trie.root = ()
                trie.pts = {}
                trie.log_q, trie.log_v, trie.born_q, trie.born_v = [], [], [], []
                for j in sigs[s]:
                    out.dead[j] = False
                    out.firsts.pop(j, None)
                    out.other.pop(j, None)
                out.unknown.update(sigs[s])
    pcache.clear()
    for s, trie in tries.items():
        if s in given_up:
            continue
        own = {i for i in sigs[s] if not out.dead[i]}
        if own:
            if trie.split:
                _seconds_split(trie, own, out.seconds)
            else:
                _seconds(trie, own, out.seconds)
    return out



def _gate(trie: _Trie, sig: frozenset) -> tuple[str, frozenset] | None:
    """A field of ``sig`` on which the trie's own rules list finitely many strings (its
    ``clip`` there is those values), with those values: a rule on ``sig`` that lists none
    of them meets none of the trie's rules, and ``_add`` would record it nowhere. The one
    with the most values (the fewest rules pass it); None when there is no such field."""
    best: tuple[str, frozenset] | None = None
    for k, f in enumerate(trie.fields):
        if f not in sig or trie.kinds[k] not in ("string", "enum"):
            continue
        pts = _points(trie.clip[k])
        if pts is not None and (best is None or len(pts) > len(best[1])):
            best = (f, frozenset(pts))
    return best


def _split_fields(boxes: Sequence[dict], sigs: dict,
                  domains: Mapping[str, Domain]) -> dict[frozenset, str]:
    """The string field to split each trie on, if any. With one level for a field f, every
    rule of the trie that allows infinitely many values of f (or does not test it) visits
    the piece of every value that rules list: the trie costs about (such *wide* rules) x
    (rules that list values of f). Split, f is the last level and the listed values are kept
    aside (``_Trie.pts``), so that product is what a split saves: a trie is split on the f
    where it is largest, if it reaches ``SPLIT_MIN`` and some of the trie's own rules are
    wide on f (else only the listed values are ever asked about: ``clip``). Counted on a
    sample of each signature's rules."""
    listed: dict[tuple, float] = {}  # (signature, field): its rules with a finite set of it
    for t, idx in sigs.items():
        part = idx[:1000]
        for f in t:
            if domains[f].kind == "string":
                k = sum(1 for i in part if boxes[i][f].is_finite())
                listed[t, f] = k * len(idx) / len(part)
    out: dict[frozenset, str] = {}
    for s, own in sigs.items():
        best: tuple | None = None
        for f in sorted(s):
            if (s, f) not in listed or listed[s, f] >= len(own):
                continue  # not a string, or no own rule is wide on it
            pts = wide = 0.0
            for t, idx in sigs.items():
                if t <= s and t:
                    got = listed.get((t, f), 0.0)
                    pts += got
                    wide += len(idx) - got
            cost = wide * pts
            if cost >= SPLIT_MIN and (best is None or cost > best[0]):
                best = (cost, f)
        if best is not None:
            out[s] = best[1]
    return out


def _field_order(sig: frozenset, boxes: Sequence[dict], sigs: dict) -> list[str]:
    """The fields most rules of the trie test come first, those that many rules leave open
    last: a rule that leaves the last fields open is recorded once, at the level where its
    tested fields end, not copied under every piece of a field it does not test. Among
    those, fields with few distinct sets first (their pieces split rarely, so the subtrees a
    split copies are few)."""
    tested: dict[str, int] = dict.fromkeys(sig, 0)
    bounds: dict[str, set] = {f: set() for f in sig}
    for t, idx in sigs.items():
        if not t <= sig:
            continue
        for f in t:
            tested[f] += len(idx)
        for i in idx[:2000]:  # a sample is enough to rank the fields
            for f in t:
                bounds[f].add(boxes[i][f])
    return sorted(sig, key=lambda f: (-tested[f], len(bounds[f]), f))


def _full_from(trie: _Trie, bl: dict) -> list[bool]:
    """full[k]: the box allows every value of fields k.. of the trie."""
    fields, full = trie.fields, trie.full
    ff = [True] * (len(fields) + 1)
    for k in range(len(fields) - 1, -1, -1):
        f = fields[k]
        ff[k] = ff[k + 1] and (f not in bl or bl[f] == full[k])
    return ff


def _split(x: _Node, v: Any) -> int:
    starts = x.starts
    i = bisect_right(starts, v) - 1
    if starts[i] == v:
        return i
    starts.insert(i + 1, v)
    x.kids.insert(i + 1, _clone(x.kids[i]))
    return i + 1


def _tidy(x: _Node, spots: list[int]) -> Any:
    """Merge equal neighbouring leaves at ``spots`` (piece t against t - 1); a node left with
    one leaf piece becomes that leaf (with ``here``). A walk can make two neighbours equal
    only where it split a piece (the ends of the box's intervals) or where a child node
    collapsed into a leaf: leaves that differed before still differ after the same later rule
    is appended to both (or to neither), so those spots are all it needs to look at. The
    walks list them in non-decreasing order, so deleting from the back keeps them valid."""
    starts, kids = x.starts, x.kids
    n = len(kids)
    last = -1
    for t in reversed(spots):  # non-decreasing: see the walks
        if t == last:
            continue
        last = t
        if 0 < t < n:
            a, b = kids[t - 1], kids[t]
            if type(a) is tuple and a == b:
                del kids[t]
                del starts[t]
                n -= 1
    if n == 1 and type(kids[0]) is tuple:
        return _two(x.here, kids[0])
    return x


def _finite(lo: str, hi: str | None) -> bool:
    """Does the string piece ``[lo, hi)`` hold finitely many strings? Exactly when ``hi`` is
    ``lo`` followed by k NULs: then it holds ``lo``, ``lo + "\\0"``, ... (k of them)."""
    return (hi is not None and len(hi) > len(lo) and hi.startswith(lo)
            and not hi[len(lo):].strip("\0"))


def _points(lines: tuple) -> list | None:
    """The values of a string field's intervals when there are finitely many, else None."""
    out: list = []
    for lo, hi in lines:
        if not _finite(lo, hi):
            return None
        out.extend(lo + "\0" * j for j in range(len(hi) - len(lo)))
    return out


def _points_of(trie: _Trie, lines: tuple) -> list | None:
    """``_points(lines)``, once per interval list of the walk (``trie.pcache``, by id: the
    walk's line cache keeps every list alive)."""
    c = trie.pcache
    got = c.get(id(lines), c)
    if got is c:
        got = c[id(lines)] = _points(lines)
    return got


def _free_value(pts: dict, lo: str, hi: str | None) -> str | None:
    """A value of the piece ``[lo, hi)`` that no rule lists (not in ``pts``), or None. An
    infinite piece holds ``lo``, ``lo + "\\0"``, ... (see ``_finite``): one is not listed."""
    if _finite(lo, hi):
        for j in range(len(hi) - len(lo)):  # type: ignore[arg-type]
            v = lo + "\0" * j
            if v not in pts:
                return v
        return None
    v = lo
    while v in pts:
        v += "\0"
    return v


def _sorted_pts(trie: _Trie) -> list:
    if trie.pts_sorted is None:
        trie.pts_sorted = sorted(trie.pts)
    return trie.pts_sorted


def _listed(trie: _Trie, lines: tuple) -> list:
    """The listed values (``trie.pts``) inside the intervals ``lines``, in order."""
    keys = _sorted_pts(trie)
    out: list = []
    for lo, hi in lines:
        i = bisect_left(keys, lo)
        j = len(keys) if hi is None else bisect_left(keys, hi)
        out.extend(keys[i:j])
    return out


def _has_free(trie: _Trie, lines: tuple) -> bool:
    """Do the intervals ``lines`` of the split field hold a value no rule lists?"""
    keys = None
    for lo, hi in lines:
        if not _finite(lo, hi):
            return True
        if keys is None:
            keys = _sorted_pts(trie)
        if bisect_left(keys, hi) - bisect_left(keys, lo) < len(hi) - len(lo):
            return True
    return False


def _inside(v: str, lines: tuple, los: list) -> bool:
    """Is v in the intervals ``lines`` (``los``: their starts)?"""
    j = bisect_right(los, v) - 1
    return j >= 0 and (lines[j][1] is None or v < lines[j][1])


def _put(trie: _Trie, v: str, root: Any, r: int) -> None:
    """v's trie is now ``root``, after recording rule r there."""
    if v not in trie.pts:
        trie.pts_sorted = None
        trie.born_q.append(r)
        trie.born_v.append(v)
    trie.pts[v] = root
    trie.log_q.append(r)
    trie.log_v.append(v)


def _before(ents: tuple, r: int) -> tuple:
    """The rules of ``ents`` earlier than r."""
    if not ents or ents[-1] < r:
        return ents
    return ents[:1] if ents[0] < r else ()


def _event(trie: _Trie, path: list, ivs: list, k: int, n: int, last: Any = None) -> dict:
    """An event of the cell at ``path`` (levels below k: the first piece of the box ``ivs``),
    over the first n fields; ``last``: the split field's value."""
    fields, kinds = trie.fields, trie.kinds
    ev = {}
    for j in range(n):
        lo, hi = path[j] if j < k else ivs[j][0]
        ev[fields[j]] = _value(kinds[j], lo, hi)
    if last is not None:
        ev[fields[-1]] = last
    return ev


def _record(trie: _Trie, root: Any, ivs: list, ff: list, r: int) -> Any:
    """Record rule r (later than every rule recorded there) on the cells of ``ivs`` (one
    interval list per level from the top) under ``root``; ``ff[k]``: ``ivs`` holds all of
    levels k and below. Returns the new root."""
    L = len(ivs)
    if not L or ff[0]:  # r holds every cell below: recorded at the root
        trie.steps += 1
        if trie.steps > trie.limit:
            raise _GiveUp
        if type(root) is tuple:
            return root + (r,) if len(root) < 2 else root
        if len(root.here) < 2:
            root.here = root.here + (r,)
        return root
    mins = trie.mins

    def walk(x: Any, k: int, above: int) -> Any:
        trie.steps += 1
        if trie.steps > trie.limit:
            raise _GiveUp
        if type(x) is tuple:
            m = above + len(x)
            if m >= 2:
                return x  # two earlier rules hold every cell here: r is never first or second
            if ff[k]:
                return x + (r,)
            x = _Node(x, [mins[k]], [()])
        else:
            m = above + len(x.here)
            if m >= 2:
                return x
            if ff[k]:
                x.here = x.here + (r,)
                return x
        starts, kids = x.starts, x.kids
        spots = []
        for lo, hi in ivs[k]:
            i = _split(x, lo)
            j = _split(x, hi) if hi is not None else len(starts)
            spots.append(i)
            for t in range(i, j):
                was = kids[t]
                got = kids[t] = walk(was, k + 1, m)
                if type(got) is tuple and type(was) is not tuple:
                    spots.append(t)
                    spots.append(t + 1)
            spots.append(j)
        return _tidy(x, spots)

    try:
        return walk(root, 0, 0)
    finally:
        # the walk refers to itself (its closure holds its own name): a reference cycle,
        # holding the trie, that only the cyclic GC frees, and that is paused in the passes
        walk = None


def _add(trie: _Trie, bl: dict, r: int) -> None:
    """Record rule r (later than every rule recorded, on a subset of the trie's fields) on
    the cells of its box that lie inside the trie's own rules (``clip``). In a split trie, a
    rule that lists values of the split field goes to each listed value's trie, any other
    to the wide part."""
    fields = trie.fields
    clip, clip_los = trie.clip, trie.clip_los
    n = len(fields)
    vals = None
    if trie.split:
        got = bl.get(fields[-1])
        if got is not None:
            vals = _points_of(trie, got)
            if vals is not None:
                n -= 1
                c, los = clip[n], clip_los[n]
                vals = [v for v in vals if _inside(v, c, los)]
                if not vals:
                    return
    ivs = []
    for k in range(n):
        got = bl.get(fields[k])
        if got is None:
            ivs.append(clip[k])
            continue
        iv = _meet(got, clip[k], clip_los[k])
        if not iv:
            return  # no rule of this trie can meet r
        ivs.append(iv)
    ff = [True] * (n + 1)
    for k in range(n - 1, -1, -1):
        iv = ivs[k]
        ff[k] = ff[k + 1] and (iv is clip[k] or iv == clip[k])
    if vals is None:
        trie.root = _record(trie, trie.root, ivs, ff, r)
        return
    pts = trie.pts
    for v in vals:
        _put(trie, v, _record(trie, pts.get(v, ()), ivs, ff, r), r)


def _ask_walk(trie: _Trie, root: Any, ivs: list, ff: list, r: int, rec: bool, note: Any,
              path: list) -> Any:
    """Walk the cells of the box ``ivs`` under ``root``, calling ``note(ents, k)`` where every
    cell below has the rules ``ents`` (``path[j]``: the piece of level j < k), and recording
    r in cells with fewer than two rules when ``rec``. Returns the new root."""
    L = len(ivs)
    mins = trie.mins

    def walk(x: Any, k: int, acc: tuple, rec: bool) -> Any:
        trie.steps += 1
        if trie.steps > trie.limit:
            raise _GiveUp
        if type(x) is tuple:
            ents = _two(acc, x)
            if k == L or ff[k] or len(ents) >= 2 or not rec:
                note(ents, k)  # every cell here has these rules
                if rec and len(ents) < 2:
                    return x + (r,)
                return x
            x = _Node(x, [mins[k]], [()])
        ents = _two(acc, x.here)
        rec = rec and len(ents) < 2  # two rules hold all of it: r is neither first nor second
        starts, kids = x.starts, x.kids
        spots = []
        for lo, hi in ivs[k]:
            if rec:
                i = _split(x, lo)
                j = _split(x, hi) if hi is not None else len(starts)
            else:
                i = bisect_right(starts, lo) - 1
                j = len(starts) if hi is None else bisect_left(starts, hi)
            spots.append(i)
            for t in range(i, j):
                end = starts[t + 1] if t + 1 < len(starts) else None
                path[k] = (max(starts[t], lo), _lower_end(end, hi))
                was = kids[t]
                got = kids[t] = walk(was, k + 1, ents, rec)
                if type(got) is tuple and type(was) is not tuple:
                    spots.append(t)
                    spots.append(t + 1)
            spots.append(j)
        return _tidy(x, spots) if rec else x

    try:
        return walk(root, 0, (), rec)
    finally:
        walk = None  # no cycle left (see ``_record``)


def _ask(trie: _Trie, bl: dict, r: int, actions: Sequence[str], record: bool):
    """(dead, firsts, other) for rule r in its own trie, and record it there unless it is
    dead (``record``: its box is what it surely matches)."""
    fields = trie.fields
    L = len(fields)
    ivs = [bl[f] for f in fields]
    if trie.split:
        if _points_of(trie, ivs[-1]) is not None:
            return _ask_point(trie, ivs, r, actions, record)
        return _ask_wide(trie, ivs, bl, r, actions, record)
    ff = _full_from(trie, bl)
    act = actions[r]
    live = False
    firsts: set[int] = set()
    other: list = []
    path: list = [None] * L

    def note(ents: tuple, k: int) -> None:
        nonlocal live
        if not ents:
            live = True
            return
        f = ents[0]
        firsts.add(f)
        if not other and actions[f] != act:
            other.append((f, _event(trie, path, ivs, k, L)))

    if L == 0:
        ents = trie.root
        note(ents, 0)
        if record and len(ents) < 2:
            trie.root = ents + (r,)
    else:
        trie.root = _ask_walk(trie, trie.root, ivs, ff, r, record, note, path)
    return not live, firsts, (other[0] if other else None)


def _ask_point(trie: _Trie, ivs: list, r: int, actions: Sequence[str], record: bool):
    """``_ask`` in a split trie for a rule that lists values of the split field: the cells of
    each listed value, read off its trie and the wide part side by side (``_joint``); then
    r is recorded in each value's trie."""
    R = len(ivs) - 1
    rest = ivs[:R]
    vals = _points_of(trie, ivs[R]) or []
    act = actions[r]
    live = False
    firsts: set[int] = set()
    other: list = []
    path: list = [None] * R
    at = [None]

    def note(ents: tuple, k: int) -> None:
        nonlocal live
        if not ents:
            live = True
            return
        f = ents[0]
        firsts.add(f)
        if not other and actions[f] != act:
            other.append((f, _event(trie, path, rest, k, R, at[0])))

    pts = trie.pts
    for v in vals:
        at[0] = v
        _joint(trie, pts.get(v, ()), trie.root, rest, v, note, path, True)
    if record:
        full = trie.full
        ffr = [True] * (R + 1)
        for k in range(R - 1, -1, -1):
            ffr[k] = ffr[k + 1] and rest[k] == full[k]
        for v in vals:
            _put(trie, v, _record(trie, pts.get(v, ()), rest, ffr, r), r)
    return not live, firsts, (other[0] if other else None)


def _ask_wide(trie: _Trie, ivs: list, bl: dict, r: int, actions: Sequence[str], record: bool):
    """``_ask`` in a split trie for a rule with infinitely many values of the split field:
    asked and recorded in the wide part as in any trie, where every cell's rules are those of
    the values no rule lists (a cell holds one unless all its values are listed: ``_free_value``
    gives the witness's value). Only if that leaves r dead are the listed values asked
    (``_listed_cells``): whether some cell of one falls to no rule, and for a witness of
    another action; the rules first at the listed values are read when wanted (``_Firsts``)."""
    L = len(ivs)
    R = L - 1
    ff = _full_from(trie, bl)
    pts = trie.pts
    free = None
    for lo, hi in ivs[R]:
        free = _free_value(pts, lo, hi)
        if free is not None:
            break
    act = actions[r]
    live = False
    pend = False  # a cell all of whose values are listed had no rule in the wide part
    firsts: set[int] = set()
    other: list = []
    path: list = [None] * L

    def note(ents: tuple, k: int) -> None:
        nonlocal live, pend
        v = free
        if k == L:
            v = _free_value(pts, *path[R])
            if v is None:  # every value here is listed: see _listed_cells
                pend = pend or not ents
                return
        if not ents:
            live = True
            return
        f = ents[0]
        firsts.add(f)
        if not other and actions[f] != act:
            other.append((f, _event(trie, path, ivs, k, R, v)))

    trie.root = _ask_walk(trie, trie.root, ivs, ff, r, record, note, path)
    if not live and (pend or not other) and pts:
        live, more = _listed_cells(trie, ivs, r, actions, not other, pend)
        if more is not None:
            other.append(more)
    got: AbstractSet[int] = firsts
    if pts:
        got = _Firsts(firsts, partial(_listed_firsts, trie, r, ivs))
    return not live, got, (other[0] if other else None)


def _listed_contents(trie: _Trie, ivs: list, r: int, cb: Any, budget: bool) -> None:
    """For a wide rule r (box ``ivs``), ``cb(ents, v, path, k, box)`` for the cells of its
    box at listed values v where a rule earlier than r may be first other than the wide
    part's (``ents``: the rules earlier than r there; ``path[j]``: the piece of level j < k of
    the cell, ``box[j]``'s first piece below). A cell's wide rules w are those of the values
    no rule lists in its piece (seen when r was asked) unless every value of the piece is
    listed; so only the values whose trie has a rule before w's first matter, and those are
    the values first listed before it (``born_q``): about as many as the rules that decide
    r's cells there."""
    L = len(ivs)
    R = L - 1
    cells: list = []
    path: list = [None] * L

    def walk(x: Any, k: int, acc: tuple) -> None:
        if budget:
            trie.steps += 1
            if trie.steps > trie.limit:
                raise _GiveUp
        if type(x) is tuple:
            cells.append((path[:k], _two(acc, x)))
            return
        acc = _two(acc, x.here)
        starts, kids = x.starts, x.kids
        n = len(starts)
        for lo, hi in ivs[k]:
            i = bisect_right(starts, lo) - 1
            j = n if hi is None else bisect_left(starts, hi)
            for t in range(i, j):
                end = starts[t + 1] if t + 1 < n else None
                path[k] = (starts[t] if starts[t] > lo else lo, _lower_end(end, hi))
                walk(kids[t], k + 1, acc)

    try:
        walk(trie.root, 0, ())
    finally:
        walk = None  # no cycle left (see ``_record``)
    pts, keys = trie.pts, _sorted_pts(trie)
    born_q, born_v = trie.born_q, trie.born_v
    ppath: list = [None] * R
    cur: list = [None, (), None]  # the cell's box below the split field, its w, the value

    def pwalk(x: Any, k: int, acc: tuple) -> None:
        if budget:
            trie.steps += 1
            if trie.steps > trie.limit:
                raise _GiveUp
        if type(x) is tuple:
            cb(_before(_two(cur[1], _two(acc, x)), r), cur[2], ppath, k, cur[0])
            return
        acc = _two(acc, x.here)
        starts, kids = x.starts, x.kids
        n = len(starts)
        for lo, hi in cur[0][k]:
            i = bisect_right(starts, lo) - 1
            j = n if hi is None else bisect_left(starts, hi)
            for t in range(i, j):
                end = starts[t + 1] if t + 1 < n else None
                ppath[k] = (starts[t] if starts[t] > lo else lo, _lower_end(end, hi))
                pwalk(kids[t], k + 1, acc)

    try:
        for pre, ents in cells:
            w = _before(ents, r)
            bound = w[0] if w else r
            cur[0] = [(iv,) for iv in pre[:R]] + ivs[len(pre):R]
            cur[1] = w
            for lo, hi in (pre[R],) if len(pre) == L else ivs[R]:
                if _free_value(pts, lo, hi) is None:  # all listed: every value counts
                    vals = keys[bisect_left(keys, lo):bisect_left(keys, hi)]
                else:
                    vals = [v for v in born_v[:bisect_left(born_q, bound)]
                            if lo <= v and (hi is None or v < hi)]
                for v in vals:
                    cur[2] = v
                    pwalk(pts[v], 0, ())
    finally:
        pwalk = None  # no cycle left (see ``_record``)


def _listed_cells(trie: _Trie, ivs: list, r: int, actions: Sequence[str], want_other: bool,
                  want_all: bool) -> tuple[bool, tuple | None]:
    """For a wide rule r that the wide part leaves dead: (does a cell at a listed value of
    its box fall to no earlier rule, a witness (decider, event) of another action there).
    Stops at the first cell with no rule, or (unless ``want_all``) at the first witness."""
    R = len(ivs) - 1
    act = actions[r]
    found: list = [False, None]

    def note(ents: tuple, v: str, path: list, k: int, box: list) -> None:
        if not ents:
            found[0] = True
            raise _Done
        f = ents[0]
        if want_other and found[1] is None and actions[f] != act:
            found[1] = (f, _event(trie, path, box, k, R, v))
            if not want_all:
                raise _Done

    with contextlib.suppress(_Done):
        _listed_contents(trie, ivs, r, note, True)
    return found[0], found[1]


def _listed_firsts(trie: _Trie, r: int, ivs: list) -> set[int]:
    """The rules earlier than r that decide a cell of r's box at a listed value (read after
    the walk: rules recorded later are later than r, and a cell's earliest rule stays)."""
    out: set[int] = set()

    def note(ents: tuple, v: str, path: list, k: int, box: list) -> None:
        if ents:
            out.add(ents[0])

    _listed_contents(trie, ivs, r, note, False)
    return out


def _joint(trie: _Trie, px: Any, wx: Any, ivs: list, v: str, note: Any, path: list,
           budget: bool) -> None:
    """The cells of the box ``ivs`` (the levels above the split field) at its value v, read
    off v's trie (``px``) and the wide part (``wx``, whose last level is the split field) side
    by side: ``note(ents, k)`` where every cell below has the rules ``ents`` (``path[j]``: the
    piece of level j < k). Counts visits against the trie's limit when ``budget``."""
    R = len(ivs)

    def walk(x: Any, y: Any, k: int, ax: tuple, ay: tuple) -> None:
        if budget:
            trie.steps += 1
            if trie.steps > trie.limit:
                raise _GiveUp
        if x is not None:
            if type(x) is tuple:
                ax = _two(ax, x)
                x = None
            else:
                ax = _two(ax, x.here)
        if y is not None:
            if type(y) is tuple:
                ay = _two(ay, y)
                y = None
            else:
                ay = _two(ay, y.here)
                if k == R:  # the split field's level of the wide part: v's piece
                    ay = _two(ay, y.kids[bisect_right(y.starts, v) - 1])
                    y = None
        if x is None and y is None:
            note(_two(ax, ay), k)
            return
        for lo, hi in ivs[k]:
            if x is None or y is None:
                z = x if y is None else y
                s, kids = z.starts, z.kids
                n = len(s)
                i = bisect_right(s, lo) - 1
                j = n if hi is None else bisect_left(s, hi)
                for t in range(i, j):
                    end = s[t + 1] if t + 1 < n else None
                    path[k] = (s[t] if s[t] > lo else lo, _lower_end(end, hi))
                    if y is None:
                        walk(kids[t], None, k + 1, ax, ay)
                    else:
                        walk(None, kids[t], k + 1, ax, ay)
                continue
            xs, ys = x.starts, y.starts
            nx, ny = len(xs), len(ys)
            i = bisect_right(xs, lo) - 1
            j = bisect_right(ys, lo) - 1
            a = lo
            while True:
                xe = xs[i + 1] if i + 1 < nx else None
                ye = ys[j + 1] if j + 1 < ny else None
                b = _lower_end(_lower_end(xe, ye), hi)
                path[k] = (a, b)
                walk(x.kids[i], y.kids[j], k + 1, ax, ay)
                if b is None or b == hi:
                    break
                if xe == b:
                    i += 1
                if ye == b:
                    j += 1
                a = b

    try:
        walk(px, wx, 0, (), ())
    finally:
        walk = None  # no cycle left (see ``_record``)


def _union(parts: list[tuple]) -> tuple:
    """The union of interval lists, sorted and merged."""
    ivs = sorted((iv for p in parts for iv in p), key=lambda iv: iv[0])
    out: list = []
    for lo, hi in ivs:
        if out:
            plo, phi = out[-1]
            if phi is None or lo <= phi:
                if phi is not None and (hi is None or hi > phi):
                    out[-1] = (plo, hi)
                continue
        out.append((lo, hi))
    return tuple(out)


def _meet(a: tuple, b: tuple, los: list) -> tuple:
    """The intersection of a sorted interval list with a larger one, ``b`` (``los``: the
    starts of b's intervals): each interval of a finds its place in b by bisection."""
    out = []
    for lo, hi in a:
        j = max(bisect_right(los, lo) - 1, 0)
        while j < len(b):
            blo, bhi = b[j]
            if hi is not None and blo >= hi:
                break
            mlo = lo if lo > blo else blo
            mhi = _lower_end(hi, bhi)
            if mhi is None or mlo < mhi:
                out.append((mlo, mhi))
            j += 1
    return tuple(out)


def _lower_end(a: Any, b: Any) -> Any:
    """The lower of two exclusive ends (None: unbounded)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a < b else b


def _real_in(clip: list, clip_los: list) -> Any:
    """``real(k, lo, hi)``: does the piece ``[lo, hi)`` (None: unbounded) of level k meet
    ``clip[k]``? (See ``_seconds``.)"""

    def real(k: int, lo: Any, hi: Any) -> bool:
        c = clip[k]
        j = bisect_right(clip_los[k], lo) - 1
        if j >= 0 and (c[j][1] is None or c[j][1] > lo):
            return True
        return j + 1 < len(c) and (hi is None or c[j + 1][0] < hi)

    return real


def _giver(own: set[int], out: dict) -> Any:
    """``give(ents)``: a cell whose rules are ``ents`` (the first in ``own``) tells the
    first's takers: the second, or None when there is none."""

    def give(ents: tuple) -> None:
        f = ents[0]
        got = out.get(f, set())
        if got is None:
            return
        if len(ents) < 2:
            out[f] = None
        else:
            got.add(ents[1])
            out[f] = got

    return give


def _seconds(trie: _Trie, own: set[int], out: dict) -> None:
    """For each rule of ``own`` (live, of this trie's signature): the rules that would take
    its cells once it is gone (None: some cell would fall to no rule).

    Only pieces that meet ``clip`` (the own rules' values) are visited. The line of a field
    is wider than its domain (an enum's line holds every string, a bounded int's every
    integer), and a rule that allows the whole domain is recorded on whole pieces, gaps
    included; a piece of gap alone holds no event, so its lack of a second rule means
    nothing. A piece that meets ``clip`` holds a real value of every own rule recorded on it:
    a rule is recorded only on pieces inside its set, or on any piece when its set is the
    whole domain."""
    real = _real_in(trie.clip, trie.clip_los)
    give = _giver(own, out)

    def visit(x: Any, k: int, acc: tuple) -> None:
        if type(x) is tuple:
            ents = _two(acc, x)
            if ents and ents[0] in own:
                give(ents)
            return
        ents = _two(acc, x.here)
        starts = x.starts
        last = len(starts) - 1
        for t, kid in enumerate(x.kids):
            if real(k, starts[t], starts[t + 1] if t < last else None):
                visit(kid, k + 1, ents)

    try:
        visit(trie.root, 0, ())
    finally:
        visit = None  # no cycle left (see ``_record``)


def _region(x: Any, pre: list, R: int, v: Any, acc: tuple, cb: Any, real: Any) -> None:
    """``cb(ents)`` for the cells under ``x`` (levels 0..R-1, then, when x is the wide part,
    value v of the split field) inside the pieces ``pre`` of the first levels (all pieces
    that meet ``clip`` below them)."""
    P = len(pre)

    def go(x: Any, k: int, acc: tuple) -> None:
        if type(x) is tuple:
            cb(_two(acc, x))
            return
        acc = _two(acc, x.here)
        s, kids = x.starts, x.kids
        if k == R:  # the wide part's split field
            cb(_two(acc, kids[bisect_right(s, v) - 1]))
            return
        n = len(s)
        if k < P:
            lo, hi = pre[k]
            i = bisect_right(s, lo) - 1
            j = n if hi is None else bisect_left(s, hi)
            for t in range(i, j):
                a = s[t] if s[t] > lo else lo
                b = _lower_end(s[t + 1] if t + 1 < n else None, hi)
                if real(k, a, b):
                    go(kids[t], k + 1, acc)
        else:
            for t in range(n):
                if real(k, s[t], s[t + 1] if t + 1 < n else None):
                    go(kids[t], k + 1, acc)

    try:
        go(x, 0, acc)
    finally:
        go = None  # no cycle left (see ``_record``)


def _seconds_split(trie: _Trie, own: set[int], out: dict) -> None:
    """``_seconds`` for a split trie. A cell is a piece of the wide part at the values no rule
    lists, or a listed value's cell, whose rules are the two earliest of its trie's cell and
    the wide part's cell at that value. First the wide part alone, for its cells that hold a
    value no rule lists; then, for each own rule first in the wide part that still has takers
    (most have none by then: a wide rule's events at unlisted values fall to no rule), the
    listed values of its cells; then the cells of listed values where a rule that lists them
    comes first. So the listed values are visited only for wide rules that may be redundant,
    not for every wide rule."""
    clip, clip_los = trie.clip, trie.clip_los
    L = len(trie.fields)
    R = L - 1
    real = _real_in(clip, clip_los)
    give = _giver(own, out)
    pts = trie.pts
    cells: dict[int, list] = {}  # own rule first in the wide part -> its cells there
    path: list = [None] * L

    def visit(x: Any, k: int, acc: tuple) -> None:
        if type(x) is tuple:
            ents = _two(acc, x)
            if ents and ents[0] in own:
                if k <= R:  # the whole split field (in clip)
                    vals = clip[R]
                else:
                    vals = _meet((path[R],), clip[R], clip_los[R])
                free = _has_free(trie, vals)
                if free:
                    give(ents)
                if pts:
                    cells.setdefault(ents[0], []).append((path[:min(k, R)], vals, ents, free))
            return
        ents = _two(acc, x.here)
        starts = x.starts
        last = len(starts) - 1
        for t, kid in enumerate(x.kids):
            lo, hi = starts[t], starts[t + 1] if t < last else None
            if real(k, lo, hi):
                path[k] = (lo, hi)
                visit(kid, k + 1, ents)

    try:
        visit(trie.root, 0, ())
    finally:
        visit = None  # no cycle left (see ``_record``)
    log_q, log_v = trie.log_q, trie.log_v
    between: dict[tuple, list] = {}
    for r, got in cells.items():
        for pre, vals, ents, free in got:
            if out.get(r, 0) is None:
                break
            if free:
                # a cell with a free value gave (r, s) above; a listed value adds a taker
                # only if its trie holds a rule between r and s (else its cells here are
                # (r, s), or decided before r): the log names those values
                key = (r, ents[1])
                cand = between.get(key)
                if cand is None:
                    hi = bisect_left(log_q, ents[1])
                    cand = between[key] = sorted(set(log_v[bisect_right(log_q, r):hi]))
                todo = []
                for lo, hi in vals:
                    i = bisect_left(cand, lo)
                    todo.extend(cand[i:len(cand) if hi is None else bisect_left(cand, hi)])
            else:
                todo = _listed(trie, vals)

            def wide_first(pc: tuple, ents: tuple = ents, r: int = r) -> None:
                both = _two(ents, pc)
                if both[0] == r:
                    give(both)

            for v in todo:
                if out.get(r, 0) is None:
                    break
                px = pts[v]
                if type(px) is tuple:
                    wide_first(px)
                else:
                    _region(px, pre, R, None, (), wide_first, real)
    ppath: list = [None] * R
    at: list = [None]

    def listed_first(pc: tuple, k: int) -> None:
        q = pc[0] if pc else None
        if q is None or q not in own or out.get(q, 0) is None:
            return

        def take(wc: tuple) -> None:
            both = _two(pc, wc)
            if both[0] == q:
                give(both)

        _region(trie.root, ppath[:k], R, at[0], (), take, real)

    def pvisit(x: Any, k: int, acc: tuple) -> None:
        if type(x) is tuple:
            listed_first(_two(acc, x), k)
            return
        acc = _two(acc, x.here)
        s = x.starts
        n = len(s)
        for t, kid in enumerate(x.kids):
            lo, hi = s[t], s[t + 1] if t + 1 < n else None
            if real(k, lo, hi):
                ppath[k] = (lo, hi)
                pvisit(kid, k + 1, acc)

    try:
        for v, px in pts.items():
            at[0] = v
            pvisit(px, 0, ())
    finally:
        pvisit = None  # no cycle left (see ``_record``)
