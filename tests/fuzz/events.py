"""Random events for comparing decisions: values the rules mention, their boundaries, values
just outside them, fresh values and values of the wrong type, drawn with a seeded RNG.

``pool(rulesets)`` collects candidate values per field from one or more parsed rule files
(the old and the new side of a rewrite); ``events(...)`` mixes free events (a random subset
of fields) with events aimed at one rule (a value that satisfies each of its conditions, the
other fields random), which is where a false RL301/RL302 claim or a changed decision hides.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
from typing import Any

from .oracle import Cond, ORule, ORuleset

FRESH_STRINGS = ["zz-fresh", "", " ", "A", "Ω", "日本", "x\u2028y", "a\x85b", "é", "e\u0301",
                 "\U0001f600"]
WRONG_TYPES: list[Any] = [0, 1, -1, True, False, "1", "true", "10.0.0.1", "::1"]

# a UTF-16 surrogate pair as ``json.dumps`` escapes a character beyond U+FFFF, not preceded
# by an odd run of backslashes (then its first backslash is escaped: text, not an escape)
_SURROGATE_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _code_point(m: re.Match) -> str:
    hi, lo = int(m[2], 16), int(m[3], 16)
    return f"{m[1]}\\U{0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00):08x}"


def yaml_json(obj: Any) -> str:
    """``obj`` as JSON that YAML reads too (a cases file for ``rulelint test``).

    JSON is not quite YAML: ``json.dumps`` writes a character beyond U+FFFF (an emoji) as a
    surrogate pair, ``\\ud83d\\ude00``, and a YAML \\u escape is one code point, so PyYAML and
    libyaml refuse the pair ("found invalid Unicode character escape code"). Such pairs are
    written as YAML's ``\\U0001f600`` instead; everything else is ``json.dumps``' ASCII output
    (every other non-ASCII or control character a \\u escape, which both read alike)."""
    return _SURROGATE_PAIR.sub(_code_point, json.dumps(obj, indent=1))


def _ip_neighbours(text: str, rng: random.Random) -> list[Any]:
    out: list[Any] = []
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return [text]
    first, last = int(net.network_address), int(net.broadcast_address)
    top = 2**32 - 1 if net.version == 4 else 2**128 - 1
    cls = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
    for n in (first, last, first - 1, last + 1, rng.randint(first, last)):
        if 0 <= n <= top:
            a = cls(n)
            out.append(str(a))
            if net.version == 6:
                out.append(a.exploded.upper())  # the same address written differently
            else:
                out.append(f"::ffff:{a}")  # IPv4-mapped: another address (IPv6)
    return out


def _glob_instances(pattern: str, rng: random.Random) -> list[str]:
    def one(fill: str) -> str:
        out = []
        i = 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "*":
                out.append(fill)
            elif ch == "?":
                out.append(fill[:1] or "q")
            elif ch == "[":
                j = pattern.find("]", i + 2)
                if j == -1:
                    out.append(ch)
                else:
                    body = pattern[i + 1 : j]
                    body = body[1:] if body[:1] in "!^" else body
                    out.append(body[:1] or "x")
                    i = j
            else:
                out.append(ch)
            i += 1
        return "".join(out)

    return [one(""), one("k"), one("zz" + str(rng.randint(0, 99)))]


def cond_values(c: Cond, kind: str, rng: random.Random) -> list[Any]:
    """Values near a condition: inside, on its edges, just outside."""
    out: list[Any] = []
    if c.op == "bounds":
        for b in (c.lo, c.hi):
            if b is not None:
                out += [b - 1, b, b + 1]
        if c.lo is not None and c.hi is not None:
            out.append(rng.randint(c.lo, c.hi))
        if c.lo is None and c.hi is None:
            out.append(rng.randint(-5, 5))
        return out
    for v in c.values:
        if c.op == "cidr" or kind == "ip":
            out += _ip_neighbours(v if isinstance(v, str) else str(v), rng)
        elif c.op == "prefix":
            out += [v, v + "x", v[:-1], v + "\u2028"]
        elif c.op == "glob":
            out += _glob_instances(v, rng)
        elif isinstance(v, bool):
            out += [v, not v]
        elif isinstance(v, int):
            out += [v, v - 1, v + 1]
        else:
            out += [v, v + "x", v.upper(), v.lower()]
    return out


def pool(rulesets: list[ORuleset], rng: random.Random) -> dict[str, list[Any]]:
    """Candidate values per field, from every side's conditions and declared kinds."""
    values: dict[str, list[Any]] = {}
    for rs in rulesets:
        for r in rs.rules:
            for f, c in r.match.items():
                values.setdefault(f, []).extend(cond_values(c, rs.kinds[f].kind, rng))
        for f, k in rs.kinds.items():
            vs = values.setdefault(f, [])
            vs.extend(k.values)
            vs.extend(b + d for b in (k.min, k.max) if b is not None for d in (-1, 0, 1))
            if k.kind == "int":
                vs += [0, -1, 10**30, -(10**30)]
            elif k.kind == "bool":
                vs += [True, False]
            elif k.kind == "ip":
                vs += ["0.0.0.0", "255.255.255.255", "::", "hello", "2001:DB8:0::1"]
    for f, vs in values.items():
        vs.extend(FRESH_STRINGS)
        vs.extend(WRONG_TYPES)
        # deterministic order, duplicates removed (True and 1 are kept apart)
        seen: set[tuple[str, Any]] = set()
        uniq = []
        for v in vs:
            key = (type(v).__name__, v)
            if key not in seen:
                seen.add(key)
                uniq.append(v)
        values[f] = uniq
    return values


def satisfying(c: Cond, kind: str, rng: random.Random) -> Any:
    """A value the condition accepts, when an easy one exists (else any nearby value)."""
    if c.op == "bounds":
        lo = c.lo if c.lo is not None else (c.hi - rng.randint(0, 50) if c.hi is not None else 0)
        hi = c.hi if c.hi is not None else lo + rng.randint(0, 50)
        return rng.choice([lo, hi, rng.randint(lo, hi)])
    if c.op == "eq":
        return rng.choice(c.values)
    if c.op == "cidr":
        return rng.choice(_ip_neighbours(rng.choice(c.values), rng)[:1] or ["10.0.0.1"])
    if c.op == "prefix":
        return rng.choice(c.values) + rng.choice(["", "x", "-1"])
    if c.op == "glob":
        return rng.choice(_glob_instances(rng.choice(c.values), rng))
    # not_in: something not listed
    if kind == "int":
        return max((v for v in c.values if isinstance(v, int)), default=0) + 1
    if kind == "ip":
        return rng.choice(["203.0.113.77", "2001:db8:ffff::77"])
    if kind == "bool":
        return not c.values[0]
    return "zz-" + re.sub(r"\W", "", str(rng.random()))


def events(rs: ORuleset, others: list[ORuleset], rng: random.Random, n: int,
           aim: list[ORule] | None = None) -> list[dict[str, Any]]:
    """``n`` events: about half aimed at a rule (of ``aim``, default all rules)."""
    vals = pool([rs, *others], rng)
    fields = sorted(vals)
    targets = aim if aim is not None else rs.rules
    out: list[dict[str, Any]] = []
    for i in range(n):
        ev: dict[str, Any] = {}
        if targets and i % 2 == 0:
            r = targets[(i // 2) % len(targets)]
            for f, c in r.match.items():
                kind = rs.kinds[f].kind
                ev[f] = satisfying(c, kind, rng) if rng.random() < 0.85 else rng.choice(vals[f])
            for f in fields:
                if f not in ev and rng.random() < 0.3:
                    ev[f] = rng.choice(vals[f])
        else:
            for f in fields:
                if rng.random() < 0.6:
                    ev[f] = rng.choice(vals[f])
        out.append(ev)
    return out
