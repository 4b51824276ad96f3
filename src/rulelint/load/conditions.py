"""Conditions: parsing ``match`` values, field kinds, and matching one event.

A condition is one entry of a rule's ``match``: ``plan: enterprise`` (equals),
``region: [JP, KR]`` (any of), ``{not_in: [...]}``, ``{range: [0, 30]}`` or
``{gte/gt/lte/lt: n}`` (combinable), ``{cidr: ...}``, ``{prefix: ...}``, ``{glob: ...}``.

``matches`` here is the reference semantics: it evaluates a condition on one concrete value
without any set algebra. ``eval`` uses it, and the property tests compare the engine's set
algebra against it on generated events.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import math
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from rulelint.load.loading import BadScalar, short
from rulelint.util.spelling import closest

OPERATORS = ("not_in", "range", "gte", "gt", "lte", "lt", "cidr", "prefix", "glob")
BOUND_OPS = ("range", "gte", "gt", "lte", "lt")
KINDS = ("string", "enum", "bool", "int", "ip")
MAX_VALUE_LENGTH = 10_000

IpNet = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Condition:
    """One parsed condition.

    ``op`` is ``eq`` (values), ``not_in`` (values), ``bounds`` (lo..hi, inclusive),
    ``cidr`` (networks), ``prefix`` or ``glob`` (patterns).
    """

    field: str
    op: str
    values: tuple = ()
    lo: int | float = -math.inf
    hi: int | float = math.inf
    line: int | None = None

    @property
    def value_count(self) -> int:
        return len(self.values) if self.op != "bounds" else 1


class ConditionError(ValueError):
    """A condition that fails the schema (RL002); the message says what to write instead."""


class AlreadyReported(ConditionError):
    """The value was already reported by the YAML reader (``2026-02-30``, a 5000-digit
    number): the rule is left out, but nothing is reported twice."""


# --- parsing -------------------------------------------------------------------------------


def _scalar(field: str, v: Any) -> Any:
    if isinstance(v, BadScalar):
        raise AlreadyReported(field)
    if isinstance(v, bool | int | str):
        if isinstance(v, str) and len(v) > MAX_VALUE_LENGTH:
            raise ConditionError(f"{field}: a value is longer than {MAX_VALUE_LENGTH} characters")
        return v
    if isinstance(v, dt.date):  # `release: 2026-01-01` is a date in YAML; match it as text
        return v.isoformat()
    if v is None:
        raise ConditionError(
            f"{field}: a condition value is empty (null); drop the condition to match any value"
        )
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ConditionError(f"{field}: {v} is not a usable value; numbers must be integers")
        raise ConditionError(f"{field}: {short(v)} is not an integer; numbers must be integers")
    what = "a mapping" if isinstance(v, dict) else "a list" if isinstance(v, list) else type(v).__name__
    raise ConditionError(f"{field}: a value must be text, an integer or true/false, not {what}")


def _values(field: str, v: Any, op: str) -> tuple:
    items = v if isinstance(v, list) else [v]
    if not items:
        raise ConditionError(f"{field}: '{op}' has an empty list, which matches nothing")
    out = []
    seen = set()
    for item in items:
        s = _scalar(field, item)
        key = (type(s), s)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return tuple(out)


def _strings(field: str, v: Any, op: str) -> tuple[str, ...]:
    vals = _values(field, v, op)
    for s in vals:
        if not isinstance(s, str):
            raise ConditionError(f"{field}: '{op}' takes text, got {short(s)}")
    return vals


def _bound(field: str, op: str, v: Any) -> int:
    if isinstance(v, BadScalar):
        raise AlreadyReported(field)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConditionError(f"{field}: '{op}' takes an integer, got {short(v)}")
    return v


@functools.lru_cache(maxsize=1 << 16)
def _network(text: str) -> IpNet | None:
    """``ipaddress.ip_network(text, strict=True)``, or None when the text is not one.
    Cached: rule files repeat their addresses, and parsing one (failing above all) is slow."""
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None


def parse_network(text: Any) -> IpNet:
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a network")
    net = _network(text)
    if net is not None:
        return net
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            fixed = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not a CIDR network ({exc})") from None
        raise ValueError(
            f"{text!r} has host bits set; did you mean {fixed.with_prefixlen}?"
        ) from None


def parse_condition(field: str, raw: Any, line: int | None = None) -> Condition:
    """Parse one ``match`` entry; raises ConditionError with a message for RL002."""
    if isinstance(raw, dict):
        keys = list(raw)
        if not keys:
            raise ConditionError(f"{field}: an empty condition {{}}; drop it to match any value")
        unknown = [k for k in keys if k not in OPERATORS]
        if unknown:
            k = unknown[0]
            hint = closest(str(k), OPERATORS)
            tail = f"; did you mean {hint!r}?" if hint else f"; operators: {', '.join(OPERATORS)}"
            raise ConditionError(f"{field}: unknown operator {k!r}{tail}")
        bounds = [k for k in keys if k in BOUND_OPS]
        others = [k for k in keys if k not in BOUND_OPS]
        if len(others) > 1 or (others and bounds):
            a, b = (others + bounds)[:2]
            raise ConditionError(
                f"{field}: two operators in one condition ({a!r} and {b!r}); a condition has "
                "one operator (gte/gt/lte/lt and range may be combined)"
            )
        if bounds:
            lo: int | float = -math.inf
            hi: int | float = math.inf
            for k in bounds:
                v = raw[k]
                if k == "range":
                    if not isinstance(v, list) or len(v) != 2:
                        raise ConditionError(f"{field}: 'range' takes [low, high], got {short(v)}")
                    a, b = _bound(field, k, v[0]), _bound(field, k, v[1])
                    if a > b:
                        raise ConditionError(
                            f"{field}: empty range [{a}, {b}]: the low bound is above the high "
                            f"one; did you mean [{b}, {a}]?"
                        )
                    lo, hi = max(lo, a), min(hi, b)
                elif k == "gte":
                    lo = max(lo, _bound(field, k, v))
                elif k == "gt":
                    lo = max(lo, _bound(field, k, v) + 1)
                elif k == "lte":
                    hi = min(hi, _bound(field, k, v))
                else:
                    hi = min(hi, _bound(field, k, v) - 1)
            if lo > hi:
                raise ConditionError(
                    f"{field}: the bounds {', '.join(f'{k}: {raw[k]}' for k in bounds)} "
                    "admit no integer"
                )
            return Condition(field, "bounds", (), lo, hi, line)
        op = others[0]
        v = raw[op]
        if op == "not_in":
            return Condition(field, "not_in", _values(field, v, op), line=line)
        if op == "cidr":
            nets = []
            for s in _strings(field, v, op):
                try:
                    nets.append(parse_network(s))
                except ValueError as exc:
                    raise ConditionError(f"{field}: {exc}") from None
            return Condition(field, "cidr", tuple(nets), line=line)
        return Condition(field, op, _strings(field, v, op), line=line)
    if isinstance(raw, list):
        return Condition(field, "eq", _values(field, raw, "list"), line=line)
    return Condition(field, "eq", (_scalar(field, raw),), line=line)


# --- kinds -----------------------------------------------------------------------------------


def as_ip(v: Any) -> IpNet | None:
    """An address or network written as a plain value (``10.0.0.1``, ``10.0.0.0/8``)."""
    return _network(v) if isinstance(v, str) else None


def possible_kinds(c: Condition) -> frozenset[str]:
    """The kinds an undeclared field could have, judging by this condition alone."""
    if c.op == "bounds":
        return frozenset({"int"})
    if c.op == "cidr":
        return frozenset({"ip"})
    if c.op in ("prefix", "glob"):
        return frozenset({"string"})
    types = {type(v) for v in c.values}
    if types == {bool}:
        return frozenset({"bool"})
    if types == {int}:
        return frozenset({"int"})
    if types == {str}:
        if all(as_ip(v) is not None for v in c.values):
            return frozenset({"string", "ip"})
        return frozenset({"string"})
    return frozenset()


def kind_label(c: Condition) -> str:
    if c.op == "bounds":
        return "an integer range"
    if c.op == "cidr":
        return "a cidr"
    if c.op in ("prefix", "glob"):
        return f"a {c.op}"
    types = {type(v) for v in c.values}
    if types == {bool}:
        return "true/false"
    if types == {int}:
        return "an integer"
    if types == {str}:
        return "text"
    return "mixed values"


INFERENCE_ORDER = ("ip", "int", "bool", "string")


def infer_kind(conds: list[Condition]) -> str:
    """SPEC.md: a cidr anywhere makes ip; else numbers/ranges make int; true/false bool;
    anything else string."""
    ops = {c.op for c in conds}
    if "cidr" in ops:
        return "ip"
    if "bounds" in ops or any(
        isinstance(v, int) and not isinstance(v, bool) for c in conds for v in c.values
    ):
        return "int"
    if any(isinstance(v, bool) for c in conds for v in c.values):
        return "bool"
    return "string"


def fits(c: Condition, kind: str, enum_values: tuple[str, ...] = ()) -> bool:
    """Whether a condition can be read as the given kind."""
    if kind == "enum":
        return c.op in ("eq", "not_in", "prefix", "glob") and all(
            isinstance(v, str) for v in c.values
        )
    if kind == "string":
        return c.op in ("eq", "not_in", "prefix", "glob") and all(
            isinstance(v, str) for v in c.values
        )
    if kind == "bool":
        return c.op in ("eq", "not_in") and all(isinstance(v, bool) for v in c.values)
    if kind == "int":
        return c.op == "bounds" or (
            c.op in ("eq", "not_in")
            and all(isinstance(v, int) and not isinstance(v, bool) for v in c.values)
        )
    if kind == "ip":
        return c.op == "cidr" or (
            c.op in ("eq", "not_in") and all(as_ip(v) is not None for v in c.values)
        )
    return False


# --- reference semantics: one condition, one value -------------------------------------------


def event_value_ok(kind: str, value: Any, enum_values: tuple[str, ...] = ()) -> bool:
    """Whether an event value belongs to the field's domain at all."""
    if kind in ("string", "enum"):
        return isinstance(value, str) and (kind == "string" or value in enum_values)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "ip":
        return _addr(value) is not None
    return False


def _addr(value: Any) -> IpAddr | None:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def matches(c: Condition, kind: str, value: Any) -> bool:
    """Does the value satisfy the condition, for a field of this kind?"""
    if kind == "ip":
        addr = _addr(value)
        if addr is None:
            return False
        if c.op == "cidr":
            return any(addr.version == n.version and addr in n for n in c.values)
        nets = [as_ip(v) for v in c.values]
        hit = any(n is not None and addr.version == n.version and addr in n for n in nets)
        return hit if c.op == "eq" else not hit
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if c.op == "bounds":
            return c.lo <= value <= c.hi
        hit = any(value == v and not isinstance(v, bool) for v in c.values)
        return hit if c.op == "eq" else not hit
    if kind == "bool":
        if not isinstance(value, bool):
            return False
        hit = any(value is v for v in c.values)
        return hit if c.op == "eq" else not hit
    # string and enum
    if not isinstance(value, str):
        return False
    if c.op == "eq":
        return value in c.values
    if c.op == "not_in":
        return value not in c.values
    if c.op == "prefix":
        return any(value.startswith(p) for p in c.values)
    if c.op == "glob":
        return any(fnmatchcase(value, p) for p in c.values)
    return False


# --- glob analysis ---------------------------------------------------------------------------

_META = re.compile(r"[*?\[]")


def glob_shape(pattern: str) -> tuple[str, str]:
    """Classify a glob: ("literal", text), ("prefix", p) for ``p*``, ("any", "") for ``*``,
    or ("opaque", literal_prefix) for anything the exact algebra cannot express."""
    m = _META.search(pattern)
    if m is None:
        return "literal", pattern
    head = pattern[: m.start()]
    rest = pattern[m.start():]
    if rest and set(rest) == {"*"}:
        return ("any", "") if not head else ("prefix", head)
    return "opaque", head
