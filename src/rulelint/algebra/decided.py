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
box spans. ``tests/test_decided.py`` checks every answer against brute force on generated
events.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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


class _Trie:
    __slots__ = ("fields", "kinds", "mins", "full", "root", "clip", "clip_los", "steps", "limit")

    def __init__(self, fields: Sequence[str], domains: Mapping[str, Domain], full: dict) -> None:
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


@dataclass
class Sweep:
    """What one walk found, by position in evaluation order."""

    dead: list[bool]
    # positions of the earlier rules that decide some of each rule's events (in its own
    # fields): all of them for a dead rule
    firsts: dict[int, set[int]] = field(default_factory=dict)
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
    tries = {s: _Trie(_field_order(s, boxes, sigs), domains, full) for s in sigs}
    for s, trie in tries.items():
        own = [boxes[i] for i in sigs[s]]
        trie.clip = [_union([lines_of(b[f]) for b in own]) for f in trie.fields]
        trie.clip_los = [[lo for lo, _ in c] for c in trie.clip]
        trie.limit = STEPS_BASE
    given_up: set[frozenset] = set()
    supers = {t: [s for s in sigs if t <= s] for t in sigs}
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
                    _add(trie, ulines, i)
            except _GiveUp:
                given_up.add(s)
                trie.root = ()
                for j in sigs[s]:
                    out.dead[j] = False
                    out.firsts.pop(j, None)
                    out.other.pop(j, None)
                out.unknown.update(sigs[s])
    for s, trie in tries.items():
        if s in given_up:
            continue
        own = {i for i in sigs[s] if not out.dead[i]}
        if own:
            _seconds(trie, own, out.seconds)
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


def _add(trie: _Trie, bl: dict, r: int) -> None:
    """Record rule r (later than every rule recorded, on a subset of the trie's fields) on
    the cells of its box that lie inside the trie's own rules (``clip``)."""
    fields = trie.fields
    L = len(fields)
    clip = trie.clip
    ivs = []
    for k, f in enumerate(fields):
        got = bl.get(f)
        iv = clip[k] if got is None else _meet(got, clip[k], trie.clip_los[k])
        if not iv:
            return  # no rule of this trie can meet r
        ivs.append(iv)
    ff = [True] * (L + 1)
    for k in range(L - 1, -1, -1):
        ff[k] = ff[k + 1] and ivs[k] == clip[k]
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
        if L:
            trie.root = walk(trie.root, 0, 0)
        elif len(trie.root) < 2:
            trie.root = trie.root + (r,)
    finally:
        # the walk refers to itself (its closure holds its own name): a reference cycle,
        # holding the trie, that only the cyclic GC frees, and that is paused in the passes
        walk = None


def _ask(trie: _Trie, bl: dict, r: int, actions: Sequence[str], record: bool):
    """(dead, firsts, other) for rule r in its own trie, and record it there unless it is
    dead (``record``: its box is what it surely matches)."""
    fields, kinds = trie.fields, trie.kinds
    L = len(fields)
    ivs = [bl[f] for f in fields]
    ff = _full_from(trie, bl)
    mins = trie.mins
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
            ev = {}
            for j in range(L):
                lo, hi = path[j] if j < k else ivs[j][0]
                ev[fields[j]] = _value(kinds[j], lo, hi)
            other.append((f, ev))

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
        if L == 0:
            ents = trie.root
            note(ents, 0)
            if record and len(ents) < 2:
                trie.root = ents + (r,)
        else:
            trie.root = walk(trie.root, 0, (), record)
    finally:
        walk = None  # no cycle left (see ``_add``)
    return not live, firsts, (other[0] if other else None)


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
    clip, clip_los = trie.clip, trie.clip_los

    def real(k: int, lo: Any, hi: Any) -> bool:
        """Does the piece ``[lo, hi)`` (None: unbounded) of field k meet ``clip[k]``?"""
        c = clip[k]
        j = bisect_right(clip_los[k], lo) - 1
        if j >= 0 and (c[j][1] is None or c[j][1] > lo):
            return True
        return j + 1 < len(c) and (hi is None or c[j + 1][0] < hi)

    def visit(x: Any, k: int, acc: tuple) -> None:
        if type(x) is tuple:
            ents = _two(acc, x)
            if ents and ents[0] in own:
                f = ents[0]
                got = out.get(f, set())
                if got is None:
                    return
                if len(ents) < 2:
                    out[f] = None
                else:
                    got.add(ents[1])
                    out[f] = got
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
        visit = None  # no cycle left (see ``_add``)
