"""The exact set of rules that never decide, by enumeration: a yardstick for the overlap pass.

    python benchmarks/truth.py RULES.yaml [--json OUT.json] [--against CHECK.json]

Independent of rulelint (PyYAML and ``ipaddress`` only), for the condition shapes the
benchmark generator writes: equals, lists, ``not_in``, ``range``/``gte``/``lte``/``gt``/
``lt``, ``cidr`` and ``prefix`` on string, enum, int and ip fields (declared in the header or
inferred as the generator writes them), first-match, one ruleset per file.

*Minimal events.* A rule R never decides iff every event that carries only R's fields and
matches R is matched by an earlier rule: an event with more fields is matched by every rule
that matches its restriction to R's fields, so its first matching rule comes no later. Only
rules on a subset of R's fields match such an event, and each field's values fall into
finitely many classes that none of them tells apart (the elementary intervals between their
range and cidr bounds; for strings their listed values, each of their prefixes followed by
a character no rule uses, and one fresh value FRESH), so one value per class enumerates R's
minimal events exactly: a finite product per rule. Fresh values are tried first (a listed
value, the first point of each interval, a prefix + FRESH): most rules decide one of those.
A string field whose conditions only exclude values (``not_in``) stays at FRESH in the
product: another value v can change the first rule d of such an event only if d excludes v
or a rule before d mentions v, so only those values are tried (the first to show that the
rule decides, the second only for the actions of the deciders).

*RL301 or RL302* (the engine's meaning, SPEC "Meaning of a rule set"): a rule that never
decides is RL302 when some event it matches (any fields) is decided by a rule with another
action, else RL301. The candidates are (a) the deciders of R's minimal events and (b) each
earlier rule X with another action on other fields too, before the last decider of (a),
that meets R: X decides an event of R & X iff the same enumeration, for the conditions of
both on the fields of both, finds one that no rule before X matches.

*Indexes*: rules are grouped per signature (the fields they test). For first match each is
filed under one key (a listed value, a prefix, a block of 2^8k addresses of a cidr) of the
field whose buckets for it are the smallest; an event looks up each signature whose fields
it carries, and the answer is memoised per signature and restricted event. Each group also
files its rules under every field, so the rules that may meet given conditions (the
candidates of (b), the meeting statistics) are read from the field that narrows them most.

Output: counts, the ids (``--json``) and, with ``--against`` (a ``rulelint check --format
json`` report), precision and recall of what the engine reports as never deciding (RL302,
RL301 "never decides" / "matches no event", the later rule of an RL201/RL202 pair) and the
RL301/RL302 split. Also the mean and the 99th percentile of the earlier rules on a subset of
a rule's fields that meet it (the rules that can decide its events).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from itertools import product
from pathlib import Path
from typing import Any

import yaml

FRESH = "\U0010fffe"  # a character no generated rule uses: ends a fresh string value
NEG = -(1 << 200)  # below every int value
IP_DOMAIN = (0, (1 << 32) + (1 << 128) - 1)  # IPv4, then IPv6 from 2^32 (see _ip_iv)


class Cond:
    """One condition on one field: ``test(v)`` and the raw parts for the value classes."""

    __slots__ = ("kind", "eq", "not_in", "ivs", "prefixes", "test")

    def __init__(self) -> None:
        self.kind = ""  # string | int | ip
        self.eq: set | None = None  # listed values (any of)
        self.not_in: set | None = None
        self.ivs: list[tuple[int, int]] | None = None  # int/ip: inclusive intervals
        self.prefixes: list[str] | None = None
        self.test = self._test

    def _test(self, v: Any) -> bool:
        if self.eq is not None and v not in self.eq:
            return False
        if self.not_in is not None and v in self.not_in:
            return False
        if self.ivs is not None and (
            not isinstance(v, int) or not any(lo <= v <= hi for lo, hi in self.ivs)
        ):
            return False
        return self.prefixes is None or (
            isinstance(v, str) and any(v.startswith(p) for p in self.prefixes)
        )

    def finish(self) -> Cond:
        """Set ``test`` to a quicker function of the same meaning for the common shapes."""
        parts = [x is not None for x in (self.eq, self.not_in, self.ivs, self.prefixes)]
        if parts == [True, False, False, False]:
            self.test = self.eq.__contains__
        elif parts == [False, False, False, True]:
            ps = tuple(self.prefixes)
            self.test = lambda v: isinstance(v, str) and v.startswith(ps)
        elif parts == [False, False, True, False] and len(self.ivs) == 1:
            ((lo, hi),) = self.ivs
            self.test = lambda v: isinstance(v, int) and lo <= v <= hi
        return self


def _ip_iv(text: str) -> tuple[int, int]:
    net = ipaddress.ip_network(str(text), strict=False)
    off = 0 if net.version == 4 else 1 << 32  # v4 and v6 on one line, as rulelint does
    return off + int(net.network_address), off + int(net.broadcast_address)


def _ip_val(text: str) -> int:
    a = ipaddress.ip_address(str(text))
    return (0 if a.version == 4 else 1 << 32) + int(a)


def parse_cond(raw: Any, kind: str) -> Cond:
    c = Cond()
    c.kind = kind
    if isinstance(raw, dict):
        lo, hi = NEG, -NEG
        bounded = False
        for op, v in raw.items():
            if op == "not_in":
                c.not_in = {_val(x, kind) for x in v}
            elif op == "range":
                lo, hi = max(lo, int(v[0])), min(hi, int(v[1]))
                bounded = True
            elif op in ("gte", "gt"):
                lo = max(lo, int(v) + (op == "gt"))
                bounded = True
            elif op in ("lte", "lt"):
                hi = min(hi, int(v) - (op == "lt"))
                bounded = True
            elif op == "cidr":
                c.ivs = [_ip_iv(x) for x in (v if isinstance(v, list) else [v])]
            elif op == "prefix":
                c.prefixes = [str(x) for x in (v if isinstance(v, list) else [v])]
            else:
                raise SystemExit(f"truth.py: condition {op!r} is outside the generator's shapes")
        if bounded:
            c.ivs = [(lo, hi)]
    else:
        c.eq = {_val(x, kind) for x in (raw if isinstance(raw, list) else [raw])}
    return c.finish()


def _val(x: Any, kind: str) -> Any:
    if kind == "ip":
        return _ip_val(x)
    if kind == "int":
        return int(x)
    return x if isinstance(x, str) else str(x).lower() if isinstance(x, bool) else str(x)


def field_kinds(header: dict, rules: list[dict]):
    """(kind per field, enum values per enum field, (min, max) per bounded int field)."""
    kinds: dict[str, str] = {}
    enums: dict[str, list] = {}
    limits: dict[str, tuple[int, int]] = {}
    for f, k in (header.get("fields") or {}).items():
        kind = k if isinstance(k, str) else k.get("kind")
        if kind == "int" and isinstance(k, dict):
            limits[f] = (int(k.get("min", NEG)), int(k.get("max", -NEG)))
        if kind == "enum":
            enums[f] = [str(v) for v in k["values"]]
            kind = "string"
        kinds[f] = kind
    for r in rules:
        for f, raw in (r.get("match") or {}).items():
            if f in kinds:
                continue
            if isinstance(raw, dict) and "cidr" in raw:
                kinds[f] = "ip"
            elif isinstance(raw, dict) and {"range", "gte", "gt", "lte", "lt"} & raw.keys():
                kinds[f] = "int"
    for r in rules:
        for f in r.get("match") or {}:
            kinds.setdefault(f, "string")
    return kinds, enums, limits


def _merge(ivs) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-adjacent intervals with the same union."""
    out: list[list[int]] = []
    for lo, hi in sorted(ivs):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _starting(xs: list[str], p: str) -> list[str]:
    """The strings of the sorted list ``xs`` that start with p."""
    k = bisect_left(xs, p)
    out = []
    while k < len(xs) and xs[k].startswith(p):
        out.append(xs[k])
        k += 1
    return out


class FieldIndex:
    """The rules of a group by their condition on one field: under each listed value, each
    prefix, or each block of 2^s addresses of a cidr (s a multiple of 8) it allows; ``free``
    holds the rest (ranges, ``not_in``)."""

    __slots__ = ("buckets", "members", "free", "ekeys", "pkeys", "plens", "shifts")

    def __init__(self) -> None:
        self.buckets: dict[tuple, list[int]] = defaultdict(list)
        self.members: dict[str, list[int]] = {"=": [], "P": [], "B": []}
        self.free: list[int] = []
        self.ekeys: list = []  # sorted "=" values
        self.pkeys: list[str] = []  # sorted prefixes
        self.plens: list[int] = []  # their lengths
        self.shifts: list[int] = []  # block sizes (bits)

    def add(self, i: int, how: str | None, keys: list[tuple]) -> None:
        if how is None:
            self.free.append(i)
            return
        self.members[how].append(i)
        for k in keys:
            self.buckets[k].append(i)

    def done(self) -> None:
        e, p, sh = set(), set(), set()
        for k in self.buckets:
            (e if k[0] == "=" else p if k[0] == "P" else sh).add(k[1])
        self.ekeys = sorted(e, key=_sort_key)
        self.pkeys = sorted(p)
        self.plens = sorted({len(x) for x in p})
        self.shifts = sorted(sh)


def cond_keys(c: Cond, ip: bool) -> tuple[str | None, list[tuple]]:
    """How a condition is filed in a FieldIndex: ("=" | "P" | "B" | None, its keys)."""
    if c.eq is not None:
        return "=", [("=", v) for v in c.eq]
    if c.prefixes is not None:
        return "P", [("P", p) for p in dict.fromkeys(c.prefixes)]
    if c.ivs is not None and ip:
        keys = []
        for lo, hi in c.ivs:
            sh = -(-(hi - lo + 1).bit_length() // 8) * 8
            keys += [("B", sh, b) for b in range(lo >> sh, (hi >> sh) + 1)]
        return "B", list(dict.fromkeys(keys))
    return None, []


class Group:
    """The rules on one signature (the fields they test), in evaluation order. For first
    match each is filed under its most selective key (a listed value, a prefix, a block of
    a cidr) on one field (``primary``); ``fidx`` files each under every field, for the
    rules that may meet given conditions; ``ment`` holds, per field, the values, prefixes
    and int bounds its rules mention."""

    __slots__ = ("gid", "sig", "fields", "all", "scan", "primary", "fidx", "ment")

    def __init__(self, gid: int, sig: frozenset) -> None:
        self.gid = gid
        self.sig = sig
        self.fields = tuple(sorted(sig))
        self.all: list[int] = []
        self.scan: list[int] = []  # rules without a primary key: tried for every event
        self.primary: dict[str, FieldIndex] = {}
        self.fidx = {f: FieldIndex() for f in sig}
        self.ment: dict[str, tuple[set, set, set]] = {f: (set(), set(), set()) for f in sig}


class Truth:
    def __init__(self, doc: dict) -> None:
        rules = doc.get("rules") or []
        if (doc.get("semantics") or "first-match") != "first-match":
            raise SystemExit("truth.py: first-match only")
        self.kinds, self.enums, self.limits = field_kinds(doc, rules)
        self.enum_sets = {f: set(v) for f, v in self.enums.items()}
        live = []
        for pos, r in enumerate(rules):
            if r.get("enabled", True) is False:
                continue
            live.append((int(r.get("priority", 0)), pos, r))
        live.sort(key=lambda t: (t[0], t[1]))
        self.ids = [r["id"] for _, _, r in live]
        self.actions = [r["action"] for _, _, r in live]
        self.conds: list[dict[str, Cond]] = [
            {f: parse_cond(raw, self.kinds[f]) for f, raw in (r.get("match") or {}).items()}
            for _, _, r in live
        ]
        self.n = len(self.conds)
        self._index()
        self.memo: dict[tuple, int] = {}  # (group, its fields' values) -> first rule there
        self._groups_for: dict[frozenset, list[tuple[Group, tuple[int, ...]]]] = {}
        self._parts: dict[tuple[frozenset, str], tuple[list, list, list]] = {}
        self.sat = [all(self.allows(f, (c,)) for f, c in cs.items()) for cs in self.conds]

    # -- index -----------------------------------------------------------------------------

    def _index(self) -> None:
        self.sigs: dict[frozenset, Group] = {}
        filed: list[dict[str, tuple[str | None, list[tuple]]]] = []
        for i, cs in enumerate(self.conds):
            sig = frozenset(cs)
            g = self.sigs.get(sig)
            if g is None:
                g = self.sigs[sig] = Group(len(self.sigs), sig)
            g.all.append(i)
            keys = {}
            for f, c in cs.items():
                listed, pfx, bounds = g.ment[f]
                for lo, hi in c.ivs or ():
                    bounds.update((lo, hi + 1))
                for v in (c.eq or set()) | (c.not_in or set()):
                    if isinstance(v, int):
                        bounds.update((v, v + 1))
                    else:
                        listed.add(v)
                pfx.update(c.prefixes or ())
                keys[f] = cond_keys(c, self.kinds[f] == "ip")
                g.fidx[f].add(i, *keys[f])
            filed.append(keys)
        for i, cs in enumerate(self.conds):
            # first match files a rule once, under the key of the field whose buckets for
            # it are the smallest (the fewest rules of its group to test)
            g = self.sigs[frozenset(cs)]
            best = None
            for f in sorted(cs):
                how, keys = filed[i][f]
                if how is None:
                    continue
                b = g.fidx[f].buckets
                cost = sum(len(b[k]) for k in keys)
                if best is None or cost < best[0]:
                    best = (cost, f, how, keys)
            if best is None:
                g.scan.append(i)
            else:
                _, f, how, keys = best
                g.primary.setdefault(f, FieldIndex()).add(i, how, keys)
        for g in self.sigs.values():
            for fi in (*g.primary.values(), *g.fidx.values()):
                fi.done()
        self.groups = list(self.sigs.values())

    def _narrow(self, fi: FieldIndex, how: str, c: Cond) -> list[tuple] | None:
        """The keys of kind ``how`` in ``fi`` under which a rule meeting condition c can
        be filed (a superset), or None for "any"."""
        if how == "=":
            if c.eq is not None:
                return [("=", v) for v in c.eq]
            ek = fi.ekeys
            if c.prefixes is not None and all(isinstance(v, str) for v in ek):
                return [("=", v) for p in c.prefixes for v in _starting(ek, p)]
            if c.ivs is not None and all(isinstance(v, int) for v in ek):
                return [("=", v) for lo, hi in c.ivs
                        for v in ek[bisect_left(ek, lo): bisect_right(ek, hi)]]
            return None
        if how == "P":
            if c.eq is not None:
                return [("P", v[:n]) for v in c.eq if isinstance(v, str)
                        for n in fi.plens if n <= len(v)]
            if c.prefixes is not None:
                keys = []
                for p in c.prefixes:
                    keys += [("P", p[:n]) for n in fi.plens if n <= len(p)]
                    keys += [("P", q) for q in _starting(fi.pkeys, p)]
                return keys
            return None
        if c.eq is not None:
            return [("B", sh, v >> sh) for v in c.eq if isinstance(v, int) for sh in fi.shifts]
        if c.ivs is not None:
            keys = []
            for lo, hi in c.ivs:
                for sh in fi.shifts:
                    if (hi >> sh) - (lo >> sh) > 4096:
                        return None
                    keys += [("B", sh, b) for b in range((lo >> sh), (hi >> sh) + 1)]
            return keys
        return None

    def _cands(self, g: Group, cs: dict[str, Cond], upto: int, skip_act: str | None = None):
        """Rules of group g before position ``upto`` that may meet the conditions ``cs``
        (a superset, found through the field that narrows them most; each once),
        leaving out action ``skip_act``."""
        best = None
        for f in g.fields:
            c = cs.get(f)
            if c is None:
                continue
            fi = g.fidx[f]
            lists = [fi.free]
            for how, members in fi.members.items():
                if not members:
                    continue
                keys = self._narrow(fi, how, c)
                if keys is None:
                    lists.append(members)
                else:
                    lists.extend(fi.buckets[k] for k in dict.fromkeys(keys) if k in fi.buckets)
            size = sum(bisect_left(lst, upto) for lst in lists)
            if best is None or size < best[0]:
                best = (size, lists)
        acts = self.actions
        seen: set[int] = set()
        for lst in best[1] if best is not None else [g.all]:
            for j in lst:
                if j >= upto:
                    break
                if j in seen or (skip_act is not None and acts[j] == skip_act):
                    continue
                seen.add(j)
                yield j

    # -- first match -----------------------------------------------------------------------

    def _glist(self, fields: tuple[str, ...]) -> list[tuple[Group, tuple[int, ...]]]:
        """The groups an event on ``fields`` (sorted) can match, each with the positions of
        its fields among them."""
        key = frozenset(fields)
        got = self._groups_for.get(key)
        if got is None:
            pos = {f: k for k, f in enumerate(fields)}
            got = self._groups_for[key] = [
                (g, tuple(pos[f] for f in g.fields)) for g in self.groups if g.sig <= key
            ]
        return got

    def first(self, ev: dict[str, Any]) -> int:
        """The position of the first rule that matches event ``ev``, or len(rules)."""
        fields = tuple(sorted(ev))
        return self._first(fields, tuple(ev[f] for f in fields), self._glist(fields))

    def _first(self, fields: tuple[str, ...], combo: tuple, gl) -> int:
        best = self.n
        memo = self.memo
        for g, idx in gl:
            mk = (g.gid, *[combo[k] for k in idx])
            got = memo.get(mk)
            if got is None:
                got = memo[mk] = self._first_in(g, dict(zip(fields, combo, strict=True)))
            if got < best:
                best = got
        return best

    def _first_in(self, g: Group, ev: dict[str, Any]) -> int:
        lists = [g.scan] if g.scan else []
        for f, fi in g.primary.items():
            v = ev[f]
            b = fi.buckets
            if fi.members["="]:
                got = b.get(("=", v))
                if got:
                    lists.append(got)
            if fi.members["P"] and isinstance(v, str):
                for n in fi.plens:
                    if n > len(v):
                        break
                    got = b.get(("P", v[:n]))
                    if got:
                        lists.append(got)
            if fi.members["B"] and isinstance(v, int):
                for sh in fi.shifts:
                    got = b.get(("B", sh, v >> sh))
                    if got:
                        lists.append(got)
        best = self.n
        conds = self.conds
        for lst in lists:
            for i in lst:
                if i >= best:
                    break
                for f, c in conds[i].items():
                    if not c.test(ev[f]):
                        break
                else:
                    best = i
                    break
        return best

    # -- value classes ---------------------------------------------------------------------

    def _part(self, fields: frozenset, f: str) -> tuple[list, list, list]:
        """The values, prefixes and int bounds of field f that the rules on a subset of
        ``fields`` mention: the classes of values that an event on ``fields`` can tell
        apart."""
        got = self._parts.get((fields, f))
        if got is None:
            listed: set = set()
            pfx: set = set()
            bounds: set = set()
            for g in self.groups:
                if f in g.sig and g.sig <= fields:
                    a, b, c = g.ment[f]
                    listed |= a
                    pfx |= b
                    bounds |= c
            got = (sorted(listed, key=_sort_key), sorted(pfx), sorted(bounds))
            self._parts[(fields, f)] = got
        return got

    def _domain(self, f: str) -> tuple[int, int]:
        if self.kinds[f] == "ip":
            return IP_DOMAIN
        return self.limits.get(f, (NEG, -NEG))

    def _intervals(self, f: str, conds) -> list[tuple[int, int]]:
        """Int/ip field f: what the interval conditions allow together, as sorted disjoint
        intervals inside the field's domain (eq and not_in are left to the tests)."""
        ivs = [self._domain(f)]
        for c in conds:
            if c.ivs is None:
                continue
            out = []
            for a, b in ivs:
                for lo, hi in _merge(c.ivs):
                    lo, hi = max(a, lo), min(b, hi)
                    if lo <= hi:
                        out.append((lo, hi))
            ivs = out
        return ivs

    def allows(self, f: str, conds) -> bool:
        """Does some value of field f satisfy every condition in ``conds``? (exact)"""
        return bool(self.values(f, conds, "exists"))

    def values(self, f: str, conds, mode: str, fields: frozenset | None = None) -> list:
        """Values of field f that every condition in ``conds`` allows. ``full``: one per
        class of values that an event on ``fields`` can tell apart (the value classes of
        the rules on a subset of ``fields``); ``probe``: a few fresh ones (a listed value,
        the first of an interval, a prefix followed by FRESH); ``exists``: the first of
        those that passes, which is one iff there is any."""
        kind = self.kinds[f]
        eqs = [c.eq for c in conds if c.eq is not None]
        if eqs:  # each listed value is a class of its own
            cand = sorted(min(eqs, key=len), key=_sort_key)
            if kind in ("int", "ip"):
                lo, hi = self._domain(f)
                cand = [v for v in cand if isinstance(v, int) and lo <= v <= hi]
            elif f in self.enums:
                cand = [v for v in cand if v in self.enum_sets[f]]
        elif kind in ("int", "ip"):
            ivs = self._intervals(f, conds)
            if mode == "exists":
                nots = set().union(*(c.not_in for c in conds if c.not_in is not None))
                for lo, hi in ivs:  # a point not excluded: at most len(nots) + 1 tries
                    v = lo
                    while v <= hi and v in nots:
                        v += 1
                    if v <= hi and all(c.test(v) for c in conds):
                        return [v]
                return []
            if mode == "probe":
                cand = [lo for lo, _ in ivs]
            else:
                b = self._part(fields, f)[2]
                cand = []
                for lo, hi in ivs:  # the first point of each elementary interval
                    cand.append(lo)
                    cand += b[bisect_right(b, lo): bisect_right(b, hi)]
        elif f in self.enums:
            cand = self.enums[f]
        else:
            pconds = [c.prefixes for c in conds if c.prefixes is not None]
            if mode != "full":
                # p + FRESH, for the longest listed prefix p of a value that is not listed,
                # is in its class: so these are complete for "is there one?"
                cand = [p + FRESH for ps in pconds for p in ps] if pconds else [FRESH]
            else:
                listed, pfx, _ = self._part(fields, f)
                if pconds:  # every allowed value starts with one of the first's prefixes
                    cand = []
                    for p in sorted(set(pconds[0])):
                        cand.append(p + FRESH)
                        cand += _starting(listed, p)
                        cand += [q + FRESH for q in _starting(pfx, p)]
                    cand = list(dict.fromkeys(cand))
                else:
                    cand = [FRESH, *listed, *(q + FRESH for q in pfx)]
        out = []
        for v in cand:
            for c in conds:
                if not c.test(v):
                    break
            else:
                out.append(v)
                if mode == "exists":
                    break
        return out

    # -- per rule --------------------------------------------------------------------------

    def _cofinite(self, f: str, conds) -> bool:
        """Does every condition on string field f only exclude values (``not_in``)? Then
        all but finitely many values behave as FRESH."""
        return self.kinds[f] == "string" and f not in self.enums and all(
            c.eq is None and c.prefixes is None for c in conds
        )

    def deciders(self, conds: dict[str, list[Cond]], before: int,
                 act: str | None = None) -> set[int] | bool | str | None:
        """Does a rule at position ``before`` that matches exactly the events with the
        conditions ``conds`` (on those fields only) decide one of them? True if some such
        event is matched by no earlier rule; None if no event satisfies ``conds``; else
        the first rules of those events: with ``act``, "other" as soon as one of them has
        another action, else all of them; without, a subset with the same maximum."""
        fields = tuple(sorted(conds))
        key = frozenset(fields)
        gl = self._glist(fields)
        first = self._first
        vals = [self.values(f, conds[f], "probe", key) for f in fields]
        for combo in product(*vals):  # fresh values first: most rules decide one of these
            if first(fields, combo, gl) >= before:
                return True
        cof = [k for k, f in enumerate(fields) if self._cofinite(f, conds[f])]
        k = cof[0] if len(cof) == 1 else None
        # one value per class; a field whose conditions only exclude values stays FRESH
        # here, and its other classes are looked at below, from the rules that tell them
        # apart from FRESH
        vals = [[FRESH] if j == k else self.values(f, conds[f], "full", key)
                for j, f in enumerate(fields)]
        if not all(vals):
            return None
        acts = self.actions
        got: set[int] = set()
        coarse: list[tuple[tuple, int]] = []
        for combo in product(*vals):
            d = first(fields, combo, gl)
            if d >= before:
                return True
            got.add(d)
            if k is None:
                continue
            coarse.append((combo, d))
            # an event with a value that d excludes instead of FRESH: d does not take it
            dc = self.conds[d].get(fields[k])
            for v in sorted(dc.not_in, key=_sort_key) if dc is not None and dc.not_in else ():
                if all(c.test(v) for c in conds[fields[k]]):
                    d2 = first(fields, (*combo[:k], v, *combo[k + 1:]), gl)
                    if d2 >= before:
                        return True
                    got.add(d2)
        # every event is decided before ``before``: an event with another value of field k
        # goes to d (which matches it), unless an earlier rule that mentions that value
        # takes it; so those are looked at only for the actions of their first rules
        if act is None:
            return got
        if any(acts[d] != act for d in got):
            return "other"
        f = fields[k] if k is not None else None
        for combo, d in coarse:
            for v in self._mentioned(key, f, conds, d):
                d2 = first(fields, (*combo[:k], v, *combo[k + 1:]), gl)
                if d2 >= before:
                    return True
                got.add(d2)
                if acts[d2] != act:
                    return "other"
        return got

    def _mentioned(self, fields: frozenset, f: str, conds: dict[str, list[Cond]], upto: int):
        """Values of string field f that ``conds`` allow, one per class other than FRESH's
        that a rule before position ``upto`` on a subset of ``fields`` matches (a listed
        value, a prefix followed by FRESH): a superset of those that such a rule tells
        apart from FRESH."""
        narrow = {g: cs[0] for g, cs in conds.items() if g != f}
        listed, pfx, _ = self._part(fields, f)
        seen: set = set()
        for g in self.groups:
            if f not in g.sig or not g.sig <= fields:
                continue
            for y in self._cands(g, narrow, upto):
                c = self.conds[y][f]
                vs = list(c.eq or ())
                for p in c.prefixes or ():
                    vs += [p + FRESH, *_starting(listed, p), *(q + FRESH for q in _starting(pfx, p))]
                for v in vs:
                    if v not in seen:
                        seen.add(v)
                        if all(t.test(v) for t in conds[f]):
                            yield v

    def analyse(self, i: int) -> tuple[bool, str | None]:
        """(never decides, 'RL301' | 'RL302' | None)."""
        cs = self.conds[i]
        act = self.actions[i]
        got = self.deciders({f: [c] for f, c in cs.items()}, i, act)
        if got is True or got is None:
            return False, None  # decides; or matches no event: reported as such, not here
        if got == "other":
            return True, "RL302"
        t = max(got)
        mine = frozenset(cs)
        for g in self.groups:
            if g.sig <= mine:
                continue  # its rules are among the deciders of r's minimal events
            for x in self._cands(g, cs, t, skip_act=act):
                xc = self.conds[x]
                if not self.sat[x] or not all(
                    self.allows(f, (cs[f], c)) for f, c in xc.items() if f in cs
                ):
                    continue
                both = {f: [c] for f, c in cs.items()}
                for f, c in xc.items():
                    both.setdefault(f, []).append(c)
                if self.deciders(both, x) is True:
                    return True, "RL302"
        return True, "RL301"

    def meeting_subset(self, i: int) -> int:
        """Earlier rules on a subset of rule i's fields that meet it."""
        cs = self.conds[i]
        mine = frozenset(cs)
        n = 0
        for g in self.groups:
            if not g.sig <= mine:
                continue
            for j in self._cands(g, cs, i):
                xc = self.conds[j]
                if all(self.allows(f, (cs[f], xc[f])) for f in xc):
                    n += 1
        return n


def _sort_key(v: Any) -> tuple[int, Any]:
    return (0, v) if isinstance(v, int) else (1, str(v))


def reported(check: dict) -> tuple[set[str], set[str], set[str]]:
    """(never decides, RL301 never decides, RL302) as reported by ``rulelint check``."""
    dead, r301, r302 = set(), set(), set()
    for f in check["findings"]:
        if not f["rule_ids"]:
            continue
        rid = f["rule_ids"][0]
        if f["code"] == "RL302":
            r302.add(rid)
        elif f["code"] == "RL301" and ("never decides" in f["message"] or "matches no event"
                                       in f["message"]):
            r301.add(rid)
        elif f["code"] in ("RL201", "RL202"):
            dead.add(rid)
    return dead | r301 | r302, r301, r302


def compute(path: Path, meets_sample: int):
    t0 = time.process_time()
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    truth = Truth(doc)
    dead, r301, r302 = [], [], []
    for i in range(len(truth.conds)):
        d, kind = truth.analyse(i)
        if d:
            dead.append(truth.ids[i])
            (r301 if kind == "RL301" else r302).append(truth.ids[i])
    n = len(truth.conds)
    step = 1 if not meets_sample or n <= meets_sample else n / meets_sample
    sample = sorted({int(k * step) for k in range(min(n, meets_sample or n))})
    meets = sorted(truth.meeting_subset(i) for i in sample)
    out: dict[str, Any] = {
        "rules": n, "never_decide": len(dead), "rl301": len(r301), "rl302": len(r302),
        "meeting_subset_mean": round(sum(meets) / max(1, len(meets)), 1),
        "meeting_subset_p99": meets[min(len(meets) - 1, int(0.99 * len(meets)))] if meets else 0,
        "meeting_sample": len(meets),
        "cpu_seconds": round(time.process_time() - t0, 1),
    }
    return out, dead, r301, r302


def record(path: Path, out: dict[str, Any]) -> None:
    """Add this result to benchmarks/out/truth-results.json, keyed by profile and size (read
    from the generator's first comment line)."""
    import datetime as dt
    import re
    import subprocess

    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    m = re.search(r"--rules (\d+) --seed (\d+) --profile (\w+)", first)
    if m is None:
        raise SystemExit("truth.py --record: not a file written by benchmarks/generate.py")
    n, profile = int(m.group(1)), m.group(3)
    here = Path(__file__).resolve().parent
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                            capture_output=True, text=True).stdout.strip()
    store = here / "out" / "truth-results.json"
    got = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    got[f"{profile}-{n}"] = {
        **{k: v for k, v in out.items() if k not in ("missed", "wrong", "split_differs")},
        "profile": profile, "rules_generated": n,
        "measured": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} at {commit}",
    }
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(got, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rules", type=Path)
    ap.add_argument("--json", type=Path, help="write the result here")
    ap.add_argument("--against", type=Path, help="a `rulelint check --format json` report")
    ap.add_argument("--record", action="store_true",
                    help="keep the result in benchmarks/out/truth-results.json (BENCHMARKS.md)")
    ap.add_argument("--meets-sample", type=int, default=2000,
                    help="rules sampled for the meeting statistics (0: all)")
    ap.add_argument("--from", dest="prev", type=Path,
                    help="a --json result of an earlier run on the same file: compare only")
    args = ap.parse_args(argv)
    if args.prev:
        prev = json.loads(args.prev.read_text(encoding="utf-8"))
        r301, r302 = prev["ids"]["rl301"], prev["ids"]["rl302"]
        dead = r301 + r302
        out = {k: v for k, v in prev.items() if k != "ids"}
    else:
        out, dead, r301, r302 = compute(args.rules, args.meets_sample)
    if args.against:
        check = json.loads(args.against.read_text(encoding="utf-8"))
        got, g301, g302 = reported(check)
        out["incomplete"] = len((check.get("summary") or {}).get("incomplete") or [])
        want = set(dead)
        tp = len(got & want)
        out["reported"] = len(got)
        out["precision"] = round(tp / len(got), 4) if got else 1.0
        out["recall"] = round(tp / len(want), 4) if want else 1.0
        out["missed"] = sorted(want - got)[:20]
        out["wrong"] = sorted(got - want)[:20]
        out["split_agrees"] = len((g301 & set(r301)) | (g302 & set(r302)))
        out["split_differs"] = sorted((g301 & set(r302)) | (g302 & set(r301)))[:20]
        out["split_differs_count"] = len((g301 & set(r302)) | (g302 & set(r301)))
    print(json.dumps(out, indent=2))
    if args.record:
        record(args.rules, out)
    if args.json:
        args.json.write_text(json.dumps({**out, "ids": {"rl301": r301, "rl302": r302}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
