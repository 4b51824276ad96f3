"""Conditions to sets: the match of a rule as a box (a product of per-field sets).

Exact for equals, lists, not_in, ranges, cidr, prefix, enum and bool. A glob that is a
literal, ``text*`` or ``*`` is exact too; any other glob is approximated from both sides:
``box`` over-approximates it (strings with its literal head), ``under`` leaves it out
(nothing is surely matched). Analyses that claim coverage use ``under`` for the covering
rules and ``box`` for the covered one, so a glob can only make them say less, never wrong.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from rulelint.algebra.sets import Domain, IntervalSet, OrAbsent, StrSet, network_interval
from rulelint.load.conditions import Condition, as_ip, glob_shape


def _ip_set(values: tuple) -> IntervalSet:
    return IntervalSet.of(network_interval(as_ip(v)) for v in values)


def condition_sets(c: Condition, dom: Domain) -> tuple[Any, Any]:
    """(over, under) sets of a condition within the field's domain; equal when exact."""
    kind = dom.kind
    if kind == "string":
        if c.op == "eq":
            s = StrSet.values(c.values)
        elif c.op == "not_in":
            s = StrSet.not_values(c.values)
        elif c.op == "prefix":
            s = StrSet.prefixes(c.values)
        else:  # glob
            over = StrSet.empty()
            under = StrSet.empty()
            for p in c.values:
                shape, text = glob_shape(p)
                if shape == "literal":
                    exact = StrSet.values([text])
                elif shape in ("prefix", "any"):
                    exact = StrSet.prefixes([text])
                else:
                    over = over | StrSet.prefixes([text])
                    continue
                over, under = over | exact, under | exact
            return over, under
        return s, s
    if kind == "enum":
        vals = dom.values
        if c.op == "eq":
            s = frozenset(c.values)
        elif c.op == "not_in":
            s = frozenset(vals) - frozenset(c.values)
        elif c.op == "prefix":
            s = frozenset(v for v in vals if any(v.startswith(p) for p in c.values))
        else:
            s = frozenset(v for v in vals if any(fnmatchcase(v, p) for p in c.values))
        return s, s
    if kind == "bool":
        s = frozenset(c.values)
        if c.op == "not_in":
            s = frozenset({False, True}) - s
        return s, s
    if kind == "int":
        if c.op == "bounds":
            s = IntervalSet.of([(c.lo, c.hi)])
        else:
            s = IntervalSet.points(c.values)
            if c.op == "not_in":
                s = dom.complement(s)
        s = dom.clip(s)
        return s, s
    # ip
    if c.op == "cidr":
        s = IntervalSet.of(network_interval(n) for n in c.values)
    else:
        s = _ip_set(c.values)
        if c.op == "not_in":
            s = dom.complement(s)
    s = dom.clip(s)
    return s, s


def build_box(entry: Any, domains: dict[str, Domain], memo: dict | None = None) -> None:
    """Set ``entry.box`` / ``entry.under`` (None: matches nothing) and ``entry.exact``.

    ``memo`` (one per ruleset, so one domain per field) keeps the sets of conditions seen
    before: rules repeat their conditions, and the sets are immutable, so they are shared."""
    box: dict[str, Any] = {}
    under: dict[str, Any] = {}
    exact = True
    empty = False
    under_empty = False
    for f, c in entry.conditions.items():
        if memo is None:
            over_s, under_s = condition_sets(c, domains[f])
        else:
            key = (f, c.op, c.values, c.lo, c.hi)
            got = memo.get(key)
            if got is None:
                got = memo[key] = condition_sets(c, domains[f])
            over_s, under_s = got
        if over_s != under_s:
            exact = False
        if not over_s:
            empty = True
        if not under_s:
            under_empty = True
        # kept even when it allows every value: it still needs the field to be present
        box[f] = over_s
        under[f] = under_s
    entry.exact = exact
    if empty:
        entry.box = entry.under = None
        return
    entry.box = box
    entry.under = box if exact else (None if under_empty else under)


def witness_event(
    box: dict[str, Any], domains: dict[str, Domain], rules: list[Any], fields: set[str]
) -> dict[str, Any] | None:
    """A concrete event inside ``box``, with a value for each field in ``fields`` too, that
    also satisfies every glob condition of ``rules`` on its field.

    Fields are independent (a box is a product), so each is chosen on its own: for exact
    fields any member of the box will do (values written in the rules are preferred, for
    readable witnesses); where a rule has a glob, candidates derived from the patterns are
    tried and checked with real matching. None when no candidate fits (nothing is claimed).
    """
    from rulelint.load.conditions import matches

    globs: dict[str, list[Condition]] = {}
    prefer: dict[str, list[Any]] = {}
    for r in rules:
        for f, c in r.conditions.items():
            if c.op == "glob":
                globs.setdefault(f, []).append(c)
                prefer.setdefault(f, []).extend(glob_candidates(c.values))
            elif c.op == "eq" and domains[f].kind in ("string", "enum"):
                prefer.setdefault(f, []).extend(c.values)
    event: dict[str, Any] = {}
    for f in sorted(set(box) | set(fields)):
        dom = domains[f]
        s = box.get(f)
        if isinstance(s, OrAbsent):
            if not s.s:
                if any(f in r.conditions for r in rules):
                    return None  # only absence is left, but a rule needs the field
                continue
            s = s.s
        if s is None:
            s = dom.full()
        if f not in globs:
            event[f] = dom.witness(s, prefer.get(f, ()))
            continue
        kind = dom.kind
        candidates = list(prefer.get(f, ()))
        if kind == "enum":
            candidates.extend(dom.values)
        elif s:
            w0 = dom.witness(s)
            candidates.append(w0)
            # a pattern's wildcards filled with a member: lands in the set when the pattern
            # starts with '*' and the set is closed under extension (a prefix region)
            candidates.extend(_instantiate(p, w0) for c in globs[f] for p in c.values)
        for v in candidates:
            if dom.contains(s, v) and all(matches(c, kind, v) for c in globs[f]):
                event[f] = v
                break
        else:
            return None
    return event


def glob_candidates(patterns: tuple[str, ...]) -> list[str]:
    out = []
    for p in patterns:
        out.append(_instantiate(p, ""))
        out.append(_instantiate(p, "x"))
    return out


def _instantiate(pattern: str, star: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append("x")
        elif ch == "[":
            j = pattern.find("]", i + 2)
            if j == -1:
                out.append("[")
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    out.append("~" if "~" not in body else "\u00a7")
                else:
                    out.append(body[0])
                i = j
        else:
            out.append(ch)
        i += 1
    return "".join(out)
