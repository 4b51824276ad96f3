"""Random rule sets over small domains, and a brute-force oracle that enumerates every event.

Used by ``test_overlap_properties.py``. Nothing here imports the product: a rule set is
generated as plain data, written as YAML (the product loads it through its real loader), and
judged by an independent reading of SPEC.md ("Meaning of a rule set").

Fields and why their sample values are exhaustive
-------------------------------------------------
Brute force needs a finite event set that contains a representative of every class of events
the rules can tell apart. Per field, two values are interchangeable when every condition in the
rule set holds for both or for neither; the event set is the product of one value per class
(plus "field missing", which no condition admits).

* ``plan`` -- enum (free, pro, enterprise): the domain is finite; all three. (Globs over an
  enum are exact: they select declared values.)
* ``region`` -- string; equals / lists / not_in over {JP, KR, DE, US}. Such a condition only
  asks "is the value one of these listed strings?", so every string outside the list behaves
  the same: the four values plus one other (``ZZ``) stand for every string.
* ``tag`` -- string over the alphabet {a, b}; equals / not_in values and prefixes of length
  <= 2. A string's behaviour depends on whether it is one of the mentioned strings M (closed
  under prefixes, so M holds every string over {a, b} of length <= 2) and on which members of M
  it starts with. Let t be its longest prefix in M: either the string is t, or it behaves like
  t + "c" (not in M, same prefixes). So every string over {a, b, c} of length <= 3 suffices.
  The exact glob shapes (a literal, ``p*``, ``*``) are equals and prefix conditions in disguise.
* ``age`` -- int, every constant in 0..10 (gt/lt move bounds to -1..11); values below 0 all
  behave like -1 and values above 10 like 11: -1..11.
* ``vip`` -- bool: true, false.
* ``src`` -- ip; networks inside 10.0.0.0/29 and 2001:db8::/126, plus 10.0.0.0/8, 0.0.0.0/0
  and ::/0: every address of the two small networks, 10.0.0.8 (in the /8 only), 192.0.2.1
  (IPv4 outside 10/8), 2001:db8::4 and ::ffff:10.0.0.1 (IPv6 outside the /126).

Globs (``glob_tags=True``) are opaque to the exact algebra; for them the sample (strings over
{a, b, c} of length <= 4) is not a proof of anything, so only soundness is tested with them.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import yaml
from hypothesis import strategies as st

PLAN = ("free", "pro", "enterprise")
REGIONS = ("JP", "KR", "DE", "US")
TAG_WORDS = ("", "a", "b", "aa", "ab", "ba", "bb")
GLOBS = ("*", "a*", "*a", "?b", "a?", "*b*", "[ab]a", "a[!a]*", "??", "b", "*a?")
EXACT_GLOBS = ("*", "a*", "ab*", "b", "ab")  # literal, ``p*`` and ``*``: exact for the algebra
PLAN_GLOBS = ("*", "p*", "*e", "?ree", "*r*", "[fp]*")  # over an enum every glob is exact
NETS = (
    "10.0.0.0/29", "10.0.0.0/30", "10.0.0.4/30", "10.0.0.0/31", "10.0.0.2/31",
    "10.0.0.4/31", "10.0.0.6/31", "10.0.0.3/32", "10.0.0.0/8", "0.0.0.0/0",
    "2001:db8::/126", "2001:db8::/127", "2001:db8::2/127", "2001:db8::3/128", "::/0",
)
ADDRS = (*(f"10.0.0.{i}" for i in range(8)), *(f"2001:db8::{i}" for i in range(4)))
OUTSIDE = ("10.0.0.8", "192.0.2.1", "2001:db8::4", "::ffff:10.0.0.1")
ACTIONS = ("allow", "deny", "review")

KIND = {
    "plan": "enum",
    "region": "string",
    "tag": "string",
    "age": "int",
    "vip": "bool",
    "src": "ip",
}
FIELDS = tuple(KIND)

# declared in every file header (the others are inferred by the loader)
DECLARED = {"plan": {"kind": "enum", "values": list(PLAN)}, "src": "ip"}


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def _words(alphabet: str, max_len: int) -> list[str]:
    out = []
    for n in range(max_len + 1):
        out.extend("".join(p) for p in itertools.product(alphabet, repeat=n))
    return out


def sample_values(f: str, glob_tags: bool = False, bounded_age: bool = False) -> list[Any]:
    """The finite stand-ins for every value of field ``f`` (see the module docstring);
    with ``bounded_age`` the field is declared ``min: 0, max: 10`` and only those values
    exist."""
    if f == "plan":
        return list(PLAN)
    if f == "region":
        return [*REGIONS, "ZZ"]
    if f == "tag":
        return _words("abc", 4 if glob_tags else 3)
    if f == "age":
        return list(range(0, 11)) if bounded_age else list(range(-1, 12))
    if f == "vip":
        return [True, False]
    return [*ADDRS, *OUTSIDE]


# --- conditions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    """One condition. ``op``: eq (a scalar), list, not_in, bounds (``arg`` is a tuple of
    (key, value) pairs such as (("gte", 2), ("lt", 7))), cidr, prefix, glob."""

    field: str
    op: str
    arg: Any

    def yaml_value(self) -> Any:
        if self.op == "eq":
            return self.arg
        if self.op == "list":
            return list(self.arg)
        if self.op == "bounds":
            return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.arg}
        vals = list(self.arg)
        return {self.op: vals[0] if len(vals) == 1 and self.op != "not_in" else vals}

    def holds(self, value: Any) -> bool:
        """SPEC.md semantics of this condition on one event value (MISSING: never holds)."""
        if value is MISSING or not _well_typed(self.field, value):
            return False
        if self.op in ("eq", "list"):
            vals = (self.arg,) if self.op == "eq" else self.arg
            return any(_same(self.field, value, v) for v in vals)
        if self.op == "not_in":
            return not any(_same(self.field, value, v) for v in self.arg)
        if self.op == "bounds":
            ok = True
            for k, v in self.arg:
                if k == "range":
                    ok &= v[0] <= value <= v[1]
                elif k == "gte":
                    ok &= value >= v
                elif k == "gt":
                    ok &= value > v
                elif k == "lte":
                    ok &= value <= v
                else:
                    ok &= value < v
            return ok
        if self.op == "cidr":
            addr = ipaddress.ip_address(value)
            return any(
                addr.version == n.version and addr in n
                for n in (ipaddress.ip_network(s) for s in self.arg)
            )
        if self.op == "prefix":
            return any(value.startswith(p) for p in self.arg)
        if self.op == "glob":
            return any(fnmatchcase(value, p) for p in self.arg)
        raise AssertionError(self.op)


def _well_typed(f: str, value: Any) -> bool:
    kind = KIND[f]
    if kind == "enum":
        return isinstance(value, str) and value in PLAN
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    try:
        ipaddress.ip_address(value)
    except (ValueError, TypeError):
        return False
    return True


def _same(f: str, value: Any, v: Any) -> bool:
    if KIND[f] == "ip":
        return ipaddress.ip_address(value) == ipaddress.ip_address(v)
    if KIND[f] == "bool":
        return value is v
    return value == v


def _subset(values, min_size=1, max_size=3):
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=max_size, unique=True)


def _valid_bounds(arg: tuple) -> bool:
    lo, hi = -(10**9), 10**9
    for k, v in arg:
        if k == "range":
            if v[0] > v[1]:
                return False
            lo, hi = max(lo, v[0]), min(hi, v[1])
        elif k == "gte":
            lo = max(lo, v)
        elif k == "gt":
            lo = max(lo, v + 1)
        elif k == "lte":
            hi = min(hi, v)
        else:
            hi = min(hi, v - 1)
    return lo <= hi


@st.composite
def _bounds(draw) -> tuple:
    n = st.integers(0, 10)
    parts = []
    if draw(st.booleans()):
        a, b = sorted((draw(n), draw(n)))
        parts.append(("range", (a, b)))
    lo = draw(st.sampled_from([None, "gte", "gt"]))
    hi = draw(st.sampled_from([None, "lte", "lt"]))
    if lo:
        parts.append((lo, draw(n)))
    if hi:
        parts.append((hi, draw(n)))
    if not parts:
        parts.append((draw(st.sampled_from(["gte", "gt", "lte", "lt"])), draw(n)))
    arg = tuple(parts)
    if not _valid_bounds(arg):  # keep it valid: the loader rejects an empty range (RL002)
        arg = (("range", (parts[0][1] if parts[0][0] != "range" else parts[0][1][0],) * 2),)
    return arg


def _values_cond(f: str, values, list_max=3):
    return st.one_of(
        st.sampled_from(values).map(lambda v: Cond(f, "eq", v)),
        _subset(values, 1, list_max).map(lambda vs: Cond(f, "list", tuple(vs))),
        _subset(values, 1, list_max).map(lambda vs: Cond(f, "not_in", tuple(vs))),
    )


def cond_strategy(f: str, glob_tags: bool = False, exact_globs: bool = False):
    if f == "plan":
        options = [
            _values_cond(f, PLAN),
            _subset(("", "p", "pr", "e", "f", "x"), 1, 2).map(
                lambda vs: Cond(f, "prefix", tuple(vs))
            ),
        ]
        if exact_globs:
            options.append(_subset(PLAN_GLOBS, 1, 2).map(lambda vs: Cond(f, "glob", tuple(vs))))
        return st.one_of(*options)
    if f == "region":
        return _values_cond(f, REGIONS)
    if f == "tag":
        options = [
            _values_cond(f, TAG_WORDS),
            _subset(TAG_WORDS, 1, 2).map(lambda vs: Cond(f, "prefix", tuple(vs))),
        ]
        if glob_tags or exact_globs:
            globs = GLOBS if glob_tags else EXACT_GLOBS
            options.append(_subset(globs, 1, 2).map(lambda vs: Cond(f, "glob", tuple(vs))))
        return st.one_of(*options)
    if f == "age":
        return st.one_of(
            _values_cond(f, tuple(range(11))),
            _bounds().map(lambda arg: Cond(f, "bounds", arg)),
        )
    if f == "vip":
        return _values_cond(f, (True, False), 2)
    return st.one_of(
        _subset(NETS, 1, 2).map(lambda vs: Cond(f, "cidr", tuple(vs))),
        _values_cond(f, ADDRS, 2),
    )


# --- rules and rule sets ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    id: str
    action: str
    priority: int
    file: int  # 0: a.yaml, 1: b.yaml
    conds: tuple[Cond, ...]
    enabled: bool = True

    def yaml_dict(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "action": self.action}
        d["match"] = {c.field: c.yaml_value() for c in self.conds}
        if self.priority:
            d["priority"] = self.priority
        if not self.enabled:
            d["enabled"] = False
        return d

    def matches(self, event: dict) -> bool:
        if not self.enabled:
            return False
        return all(c.holds(event.get(c.field, MISSING)) for c in self.conds)


FILE_NAMES = ("a.yaml", "b.yaml")


@dataclass(frozen=True)
class SetSpec:
    semantics: str
    rules: tuple[RuleSpec, ...]  # load order within each file
    glob_tags: bool = False
    bounded_age: bool = False  # declare age as {kind: int, min: 0, max: 10}

    def files(self) -> dict[str, str]:
        """File name -> YAML text."""
        out = {}
        for i, name in enumerate(FILE_NAMES):
            rules = [r.yaml_dict() for r in self.rules if r.file == i]
            if not rules and i:
                continue
            fields = dict(DECLARED)
            if self.bounded_age:
                fields["age"] = {"kind": "int", "min": 0, "max": 10}
            doc = {"ruleset": "gen", "semantics": self.semantics, "fields": fields,
                   "rules": rules}
            out[name] = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None)
        return out

    def ordered(self) -> list[RuleSpec]:
        """Evaluation order (SPEC.md): priority, then file path, then position."""
        idx = {id(r): i for i, r in enumerate(self.rules)}
        return sorted(self.rules, key=lambda r: (r.priority, r.file, idx[id(r)]))

    def fields_used(self) -> list[str]:
        return [f for f in FIELDS if any(c.field == f for r in self.rules for c in r.conds)]

    def __repr__(self) -> str:
        parts = [f"# {name}\n{text}" for name, text in self.files().items()]
        return "SetSpec(\n" + "".join(parts) + ")"


@st.composite
def rule_sets(
    draw,
    glob_tags: bool = False,
    max_rules: int = 8,
    exact_globs: bool = False,
    bounded_age: bool = False,
) -> SetSpec:
    """``glob_tags``: opaque globs on tag (soundness only); ``exact_globs``: globs the algebra
    reads exactly (over the enum, and literal / ``p*`` / ``*`` on tag)."""
    semantics = draw(st.sampled_from(["first-match", "any-match"]))
    n_actions = draw(st.integers(2, 3))
    two_files = draw(st.booleans())
    # a few fields per rule set keep the event space small and the overlaps frequent
    fields = draw(
        st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)
    )
    if glob_tags and "tag" not in fields:
        fields.append("tag")
    if bounded_age and "age" not in fields:
        fields.append("age")
    n = draw(st.integers(1, max_rules))
    rules = []
    for i in range(n):
        chosen = draw(st.lists(st.sampled_from(fields), min_size=0, max_size=3, unique=True))
        if not chosen and draw(st.integers(0, 3)):  # match-all rules: rarely
            chosen = [fields[0]]
        conds = tuple(draw(cond_strategy(f, glob_tags, exact_globs)) for f in sorted(chosen))
        rules.append(
            RuleSpec(
                id=f"r{i}",
                action=draw(st.sampled_from(ACTIONS[:n_actions])),
                priority=draw(st.sampled_from([0, 0, 1])),
                file=draw(st.integers(0, 1)) if two_files else 0,
                conds=conds,
                enabled=draw(st.integers(0, 11)) != 0,
            )
        )
    return SetSpec(semantics, tuple(rules), glob_tags, bounded_age)


# --- brute force -----------------------------------------------------------------------------


class Events:
    """Every event class of a rule set, as bit positions of Python ints.

    Per used field, sample values with identical condition signatures are merged (exact: no
    rule can tell them apart), "missing" is its own class; events are the product of the
    classes, numbered in mixed radix. ``masks[i]`` is the set of events rule i (in evaluation
    order) matches; ``total`` the events that carry every field; ``all`` every event."""

    def __init__(self, spec: SetSpec) -> None:
        self.spec = spec
        self.order = spec.ordered()
        self.fields = spec.fields_used()
        self.reps: dict[str, list[Any]] = {}
        for f in self.fields:
            conds = [c for r in spec.rules for c in r.conds if c.field == f]
            seen: dict[tuple, Any] = {}
            for v in sample_values(f, spec.glob_tags, spec.bounded_age):
                seen.setdefault(tuple(c.holds(v) for c in conds), v)
            self.reps[f] = [MISSING, *seen.values()]
        sizes = [len(self.reps[f]) for f in self.fields]
        self.n = 1
        for s in sizes:
            self.n *= s
        self.all = (1 << self.n) - 1
        # value masks: field f has class k
        self.value_mask: dict[str, list[int]] = {}
        stride = 1
        for f, size in zip(self.fields, sizes, strict=True):
            period = stride * size
            reps = self.n // period
            spread = ((1 << (period * reps)) - 1) // ((1 << period) - 1)
            block = (1 << stride) - 1
            self.value_mask[f] = [(block << (k * stride)) * spread for k in range(size)]
            stride = period
        self.strides = {}
        stride = 1
        for f, size in zip(self.fields, sizes, strict=True):
            self.strides[f] = (stride, size)
            stride *= size
        self.total = self.all
        for f in self.fields:
            self.total &= ~self.value_mask[f][0]
        self.masks = [self.rule_mask(r) for r in self.order]

    def rule_mask(self, r: RuleSpec) -> int:
        if not r.enabled:
            return 0
        m = self.all
        for c in r.conds:
            cm = 0
            for k, v in enumerate(self.reps[c.field]):
                if c.holds(v):
                    cm |= self.value_mask[c.field][k]
            m &= cm
        return m

    def event(self, i: int) -> dict[str, Any]:
        out = {}
        for f in self.fields:
            stride, size = self.strides[f]
            v = self.reps[f][(i // stride) % size]
            if v is not MISSING:
                out[f] = v
        return out

    def events_in(self, mask: int, limit: int = 3) -> list[dict]:
        out = []
        while mask and len(out) < limit:
            low = mask & -mask
            out.append(self.event(low.bit_length() - 1))
            mask ^= low
        return out


def decisions(masks: list[int], actions: list[str], semantics: str, skip: int | None = None,
              universe: int | None = None) -> dict[str, int]:
    """Per action, the events on which it is the decision (first-match) or applies
    (any-match); rule ``skip`` left out."""
    out: dict[str, int] = {}
    if semantics == "first-match":
        left = universe if universe is not None else -1
        for i, (m, a) in enumerate(zip(masks, actions, strict=True)):
            if i == skip:
                continue
            got = m & left
            if got:
                out[a] = out.get(a, 0) | got
                left &= ~m
        return out
    for i, (m, a) in enumerate(zip(masks, actions, strict=True)):
        if i == skip:
            continue
        got = m if universe is None else m & universe
        if got:
            out[a] = out.get(a, 0) | got
    return out


def first_matching(order: list[RuleSpec], event: dict) -> RuleSpec | None:
    for r in order:
        if r.matches(event):
            return r
    return None
