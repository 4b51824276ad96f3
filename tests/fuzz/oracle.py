"""An evaluator of rule files written from SPEC.md's "Meaning of a rule set" alone.

It shares nothing with rulelint: it reads the YAML with PyYAML's pure-Python safe loader,
infers field kinds itself and decides events by walking the rules. The fuzz harness uses it
as the yardstick for ``eval``/``test`` answers, for "every decision is equal" after
``suggest-merge --apply``/``--output`` and for RL201/RL301/RL302 claims.

What SPEC.md says, as implemented here:

* an event maps field names to values; a rule matches when every condition of its ``match``
  holds; a condition on a field the event lacks does not hold (not even ``not_in``); a
  disabled rule matches nothing;
* ``defaults:`` fills in what a rule lacks (``action``, ``priority`` and ``enabled`` matter here);
* first-match: rules ordered by ``priority`` (default 0, ascending), then position; the first
  matching rule decides; any-match: the decision is the set of actions of all matching rules;
* a field's kind is declared in ``fields:`` or inferred from all its conditions in the file:
  a cidr anywhere makes it ip, else numbers and ranges make it int, true/false bool, anything
  else string; a value outside the kind's domain (a string for an int field, a word for an ip
  field, a value outside an enum or outside ``min``/``max``) satisfies no condition.

Anything the oracle does not understand (a schema problem, a tag that gave a date, a
conflicting kind) raises :class:`Unsupported`: the harness then makes no claim from it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import yaml

OPS = {"not_in", "range", "gte", "gt", "lte", "lt", "cidr", "prefix", "glob"}
BOUND_OPS = {"range", "gte", "gt", "lte", "lt"}


class Unsupported(Exception):
    """The file is outside what the oracle models; no conclusion may be drawn from it."""


@dataclass
class Cond:
    op: str  # eq | not_in | bounds | cidr | prefix | glob
    values: list[Any] = field(default_factory=list)
    lo: int | None = None
    hi: int | None = None


@dataclass
class ORule:
    id: str
    action: str
    priority: int
    enabled: bool
    position: int
    match: dict[str, Cond]
    raw_match: dict[str, Any]


@dataclass
class Kind:
    kind: str  # string | enum | bool | int | ip
    values: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None


@dataclass
class ORuleset:
    semantics: str
    rules: list[ORule]  # in evaluation order
    kinds: dict[str, Kind]

    def by_id(self, rid: str) -> ORule:
        for r in self.rules:
            if r.id == rid:
                return r
        raise KeyError(rid)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _scalar(v: Any) -> bool:
    return isinstance(v, str | bool) or _is_int(v)


def _as_list(v: Any) -> list[Any]:
    out = v if isinstance(v, list) else [v]
    if not out or not all(_scalar(x) for x in out):
        raise Unsupported(f"values {v!r}")
    return out


def _cond(value: Any) -> Cond:
    if _scalar(value):
        return Cond("eq", [value])
    if isinstance(value, list):
        return Cond("eq", _as_list(value))
    if not isinstance(value, dict) or not value or not set(value) <= OPS:
        raise Unsupported(f"condition {value!r}")
    keys = set(value)
    if keys <= BOUND_OPS:
        lo, hi = None, None
        for k, v in value.items():
            if k == "range":
                if not (isinstance(v, list) and len(v) == 2 and all(_is_int(x) for x in v)):
                    raise Unsupported(f"range {v!r}")
                lo = v[0] if lo is None else max(lo, v[0])
                hi = v[1] if hi is None else min(hi, v[1])
                continue
            if not _is_int(v):
                raise Unsupported(f"{k} {v!r}")
            if k in ("gte", "gt"):
                b = v if k == "gte" else v + 1
                lo = b if lo is None else max(lo, b)
            else:
                b = v if k == "lte" else v - 1
                hi = b if hi is None else min(hi, b)
        if lo is not None and hi is not None and lo > hi:
            raise Unsupported("empty range")
        return Cond("bounds", lo=lo, hi=hi)
    if len(keys) != 1:
        raise Unsupported(f"operators {sorted(keys)}")
    (op, v), = value.items()
    vals = _as_list(v)
    if op in ("cidr", "prefix", "glob") and not all(isinstance(x, str) for x in vals):
        raise Unsupported(f"{op} {v!r}")
    return Cond(op, vals)


def _declared(spec: Any) -> Kind:
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, dict) or spec.get("kind") not in ("string", "enum", "bool", "int", "ip"):
        raise Unsupported(f"field declaration {spec!r}")
    vals = spec.get("values") or ()
    if spec["kind"] == "enum" and not all(isinstance(v, str) for v in vals):
        raise Unsupported("enum values")
    for b in ("min", "max"):
        if spec.get(b) is not None and not _is_int(spec[b]):
            raise Unsupported(f"{b} {spec[b]!r}")
    return Kind(spec["kind"], tuple(vals), spec.get("min"), spec.get("max"))


def _infer(conds: list[Cond]) -> Kind:
    ops = {c.op for c in conds}
    plain = [v for c in conds if c.op in ("eq", "not_in") for v in c.values]
    if "cidr" in ops:
        if ops & {"bounds", "prefix", "glob"} or not all(isinstance(v, str) for v in plain):
            raise Unsupported("kind conflict (ip)")
        return Kind("ip")
    if "bounds" in ops or any(_is_int(v) for v in plain):
        if ops & {"prefix", "glob"} or not all(_is_int(v) for v in plain):
            raise Unsupported("kind conflict (int)")
        return Kind("int")
    if plain and all(isinstance(v, bool) for v in plain) and not ops & {"prefix", "glob"}:
        return Kind("bool")
    if any(isinstance(v, bool) for v in plain):
        raise Unsupported("kind conflict (bool)")
    return Kind("string")


def _check_values(f: str, k: Kind, conds: list[Cond]) -> None:
    for c in conds:
        if k.kind == "ip":
            for v in c.values:
                try:
                    if c.op == "cidr":
                        ipaddress.ip_network(v, strict=True)
                    else:
                        ipaddress.ip_address(v)
                except ValueError:
                    raise Unsupported(f"{f}: not an address {v!r}") from None
            if c.op in ("bounds", "prefix", "glob"):
                raise Unsupported(f"{f}: {c.op} on ip")
        elif k.kind == "int":
            if c.op not in ("eq", "not_in", "bounds") or not all(_is_int(v) for v in c.values):
                raise Unsupported(f"{f}: {c.op} on int")
        elif k.kind == "bool":
            if c.op not in ("eq", "not_in") or not all(isinstance(v, bool) for v in c.values):
                raise Unsupported(f"{f}: {c.op} on bool")
        else:
            if c.op in ("bounds", "cidr") or not all(isinstance(v, str) for v in c.values):
                raise Unsupported(f"{f}: {c.op} on {k.kind}")
            if k.kind == "enum" and c.op in ("eq", "not_in") and not set(c.values) <= set(k.values):
                raise Unsupported(f"{f}: value outside the enum")


def load_text(text: str) -> ORuleset:
    """Parse a rule file. Raises Unsupported for anything outside the modelled subset."""
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - the pure-Python safe loader
    except (yaml.YAMLError, ValueError, RecursionError, OverflowError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise Unsupported(f"yaml: {type(exc).__name__}: {first}") from None
    if isinstance(data, dict) and "rules" in data and data["rules"] is None:
        data["rules"] = []  # 'rules:' with nothing under it: no rules
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise Unsupported("no rules list")
    semantics = data.get("semantics", "first-match")
    if semantics not in ("first-match", "any-match"):
        raise Unsupported(f"semantics {semantics!r}")
    declared = {f: _declared(s) for f, s in (data.get("fields") or {}).items()}
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise Unsupported("defaults")
    rules: list[ORule] = []
    seen: set[str] = set()
    for pos, item in enumerate(data["rules"]):
        if not isinstance(item, dict):
            raise Unsupported("rule is not a mapping")
        # defaults: applied to every rule that lacks the key (action, priority, enabled too)
        item = {**{k: v for k, v in defaults.items() if k in ("action", "priority", "enabled")}, **item}
        rid, action, match = item.get("id"), item.get("action"), item.get("match")
        if not isinstance(rid, str) or not isinstance(action, str) or not isinstance(match, dict):
            raise Unsupported("id/action/match")
        if rid in seen:
            raise Unsupported("duplicate id")
        seen.add(rid)
        prio = item.get("priority", 0)
        enabled = item.get("enabled", True)
        if not _is_int(prio) or not isinstance(enabled, bool):
            raise Unsupported("priority/enabled")
        conds = {}
        for f, v in match.items():
            if not isinstance(f, str):
                raise Unsupported("field name")
            conds[f] = _cond(v)
        rules.append(ORule(rid, action, prio, enabled, pos, conds, match))
    by_field: dict[str, list[Cond]] = {}
    for r in rules:
        for f, c in r.match.items():
            by_field.setdefault(f, []).append(c)
    kinds = {f: declared.get(f) or _infer(cs) for f, cs in by_field.items()}
    for f, cs in by_field.items():
        _check_values(f, kinds[f], cs)
    for f, k in declared.items():
        kinds.setdefault(f, k)
    rules.sort(key=lambda r: (r.priority, r.position))
    return ORuleset(semantics, rules, kinds)


def in_domain(k: Kind, value: Any) -> bool:
    if k.kind == "string":
        return isinstance(value, str)
    if k.kind == "enum":
        return isinstance(value, str) and value in k.values
    if k.kind == "bool":
        return isinstance(value, bool)
    if k.kind == "int":
        return _is_int(value) and (k.min is None or value >= k.min) and (k.max is None or value <= k.max)
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _holds(c: Cond, k: Kind, value: Any) -> bool:
    if not in_domain(k, value):
        return False
    if c.op == "bounds":
        return (c.lo is None or value >= c.lo) and (c.hi is None or value <= c.hi)
    if k.kind == "ip":
        addr = ipaddress.ip_address(value)
        if c.op == "cidr":
            nets = [ipaddress.ip_network(v) for v in c.values]
            return any(addr.version == n.version and addr in n for n in nets)
        hit = any(addr == ipaddress.ip_address(v) for v in c.values)
        return hit if c.op == "eq" else not hit
    if c.op in ("eq", "not_in"):
        # bool values compare by identity (True is not 1); ints and strings by equality
        hit = any(type(v) is type(value) and v == value for v in c.values)
        return hit if c.op == "eq" else not hit
    if c.op == "prefix":
        return any(value.startswith(p) for p in c.values)
    if c.op == "glob":
        return any(fnmatchcase(value, p) for p in c.values)
    raise AssertionError(c.op)


def rule_matches(rs: ORuleset, r: ORule, event: dict[str, Any]) -> bool:
    if not r.enabled:
        return False
    return all(f in event and _holds(c, rs.kinds[f], event[f]) for f, c in r.match.items())


def matching(rs: ORuleset, event: dict[str, Any], skip: str | None = None) -> list[ORule]:
    return [r for r in rs.rules if r.id != skip and rule_matches(rs, r, event)]


def decide(rs: ORuleset, event: dict[str, Any], skip: str | None = None):
    """first-match: the deciding rule's action or None; any-match: a frozenset of actions."""
    m = matching(rs, event, skip)
    if rs.semantics == "first-match":
        return m[0].action if m else None
    return frozenset(r.action for r in m)


def deciding(rs: ORuleset, event: dict[str, Any]) -> list[str]:
    m = matching(rs, event)
    if rs.semantics == "first-match":
        return [m[0].id] if m else []
    return [r.id for r in m]
