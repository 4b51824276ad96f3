"""Random rule sets built to be mergeable, over small fully enumerable domains.

Used by ``test_merge_properties.py``. Nothing here imports the product: a rule set is plain
data written as YAML (the product loads it through its real loader); events are enumerated
from the finite stand-ins below, and the tests judge decisions with the reference evaluator.

Fields, their conditions, and why the event values are exhaustive
-------------------------------------------------------------------
* ``plan`` -- enum [free, pro, enterprise] (declared): all three values.
* ``age`` -- int declared ``{min: 0, max: 7}``: every value 0..7.
* ``n`` -- int, undeclared (inferred), constants 0..5 in equals/lists/ranges/gte/lt: values
  below 0 all behave like -1 and above 5 like 6, so -1..6.
* ``region`` -- string, undeclared; equals/lists/not_in over {JP, KR, DE} and prefixes J, K.
  A string's behaviour depends only on which listed value it is and which prefixes it starts
  with: JP, KR, DE, "J" (J-prefix, unlisted), "K", and "ZZ" (anything else) stand for all.
* ``vip`` -- bool (declared): true, false.
* ``src`` -- ip (declared); CIDRs and addresses inside 10.0.0.0/28 and 2001:db8::/126: every
  address of both networks plus one address outside each (10.0.0.16, 2001:db8::4).
Every field may also be missing from an event (``MISSING``): SPEC.md says a condition on a
field the event lacks does not hold.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import strategies as st

PLAN = ("free", "pro", "enterprise")
REGIONS = ("JP", "KR", "DE")
PREFIXES = ("J", "K")
ACTIONS = ("allow", "deny", "review")
OWNERS = ("ops@example.com", "sec@example.com")
V4 = tuple(f"10.0.0.{i}" for i in range(16))
V6 = tuple(f"2001:db8::{i}" for i in range(4))
NETS_V4 = tuple(
    f"10.0.0.{start}/{plen}"
    for plen in range(28, 33)
    for start in range(0, 16, 2 ** (32 - plen))
)
NETS_V6 = tuple(
    f"2001:db8::{start:x}/{plen}" for plen in range(126, 129) for start in range(0, 4, 2 ** (128 - plen))
)

FIELDS = ("plan", "age", "n", "region", "vip", "src")
DECLARED: dict[str, Any] = {
    "plan": {"kind": "enum", "values": list(PLAN)},
    "age": {"kind": "int", "min": 0, "max": 7},
    "vip": "bool",
    "src": "ip",
}
FILE_NAMES = ("a.yaml", "b.yaml")


class _NoAliases(yaml.SafeDumper):
    """Equal values are written out each time (anchors are tested on purpose elsewhere)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def sample_values(f: str) -> list[Any]:
    """The finite stand-ins for every present value of field ``f``."""
    return {
        "plan": list(PLAN),
        "age": list(range(8)),
        "n": list(range(-1, 7)),
        "region": [*REGIONS, "J", "K", "ZZ"],
        "vip": [True, False],
        "src": [*V4, *V6, "10.0.0.16", "2001:db8::4"],
    }[f]


def events(fields: list[str], missing: bool = True) -> list[dict[str, Any]]:
    """Every event over ``fields`` (a field may be absent when ``missing``)."""
    axes = [[*sample_values(f), *([MISSING] if missing else [])] for f in fields]
    out = []
    for combo in itertools.product(*axes):
        out.append({f: v for f, v in zip(fields, combo, strict=True) if v is not MISSING})
    return out


# --- conditions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    """op: eq, list, not_in, range, gte, lte, lt, cidr, prefix."""

    field: str
    op: str
    arg: Any

    def yaml_value(self) -> Any:
        if self.op == "eq":
            return self.arg
        if self.op == "list":
            return list(self.arg)
        if self.op == "range":
            return {"range": list(self.arg)}
        if self.op in ("gte", "lte", "lt"):
            return {self.op: self.arg}
        vals = list(self.arg)
        return {self.op: vals[0] if len(vals) == 1 else vals}


def _subset(values, lo=1, hi=2):
    return st.lists(st.sampled_from(values), min_size=lo, max_size=hi, unique=True).map(tuple)


def _values(f: str, values) -> st.SearchStrategy[Cond]:
    return st.one_of(
        st.sampled_from(values).map(lambda v: Cond(f, "eq", v)),
        _subset(values, 1, 3).map(lambda vs: Cond(f, "list", vs)),
        _subset(values, 1, 1).map(lambda vs: Cond(f, "not_in", vs)),
    )


@st.composite
def _bounds(draw, f: str, lo: int, hi: int) -> Cond:
    op = draw(st.sampled_from(["range", "range", "gte", "lte", "lt"]))
    if op == "range":
        a, b = sorted((draw(st.integers(lo, hi)), draw(st.integers(lo, hi))))
        return Cond(f, "range", (a, b))
    if op == "lt":
        return Cond(f, "lt", draw(st.integers(lo + 1, hi)))
    return Cond(f, op, draw(st.integers(lo, hi)))


def cond_strategy(f: str) -> st.SearchStrategy[Cond]:
    if f == "plan":
        return _values(f, PLAN)
    if f == "age":
        return st.one_of(st.integers(0, 7).map(lambda v: Cond(f, "eq", v)), _bounds(f, 0, 7))
    if f == "n":
        return st.one_of(_values(f, tuple(range(6))), _bounds(f, 0, 5))
    if f == "region":
        return st.one_of(
            _values(f, REGIONS), _subset(PREFIXES, 1, 2).map(lambda p: Cond(f, "prefix", p))
        )
    if f == "vip":
        return st.booleans().map(lambda v: Cond(f, "eq", v))
    return st.one_of(
        _subset(NETS_V4 + NETS_V6, 1, 2).map(lambda ns: Cond(f, "cidr", ns)),
        st.sampled_from(V4 + V6).map(lambda a: Cond(f, "eq", a)),
    )


# --- rules and rule sets ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    id: str
    action: str
    owner: str
    conds: tuple[Cond, ...]
    priority: int = 0
    enabled: bool = True
    file: int = 0
    meta: tuple = ()  # (key, value) pairs: ticket, tags, created, reviewed, description

    def yaml_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "action": self.action}
        d["match"] = {c.field: c.yaml_value() for c in self.conds}
        if self.priority:
            d["priority"] = self.priority
        d["owner"] = self.owner
        for k, v in self.meta:
            d[k] = list(v) if isinstance(v, tuple) else v
        if not self.enabled:
            d["enabled"] = False
        return d


@dataclass(frozen=True)
class MergeSet:
    semantics: str
    rules: tuple[RuleSpec, ...]
    limits: tuple = ()  # (key, value) pairs
    fields: tuple[str, ...] = field(default=())

    def files(self) -> dict[str, str]:
        out = {}
        for i, name in enumerate(FILE_NAMES):
            rules = [r.yaml_dict() for r in self.rules if r.file == i]
            if not rules and i:
                continue
            doc: dict[str, Any] = {"ruleset": "gen", "semantics": self.semantics}
            if self.limits and i == 0:
                doc["limits"] = dict(self.limits)
            doc["fields"] = DECLARED
            doc["rules"] = rules
            out[name] = yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, default_flow_style=None)
        return out

    def __repr__(self) -> str:
        return "MergeSet(\n" + "".join(f"# {n}\n{t}" for n, t in self.files().items()) + ")"


_META_VALUES = {
    "ticket": st.one_of(st.sampled_from(["T-1", "T-2", "T-3"]), _subset(("T-1", "T-4"), 2, 2)),
    "tags": _subset(("a", "b", "c"), 1, 2),
    "created": st.sampled_from([dt.date(2025, 1, 5), dt.date(2025, 3, 1), dt.date(2026, 2, 10)]),
    "reviewed": st.sampled_from([dt.date(2026, 1, 1), dt.date(2025, 12, 24)]),
    "description": st.sampled_from(["first", "second", "third"]),
}


@st.composite
def _meta(draw) -> tuple:
    keys = draw(st.lists(st.sampled_from(sorted(_META_VALUES)), max_size=3, unique=True))
    return tuple((k, draw(_META_VALUES[k])) for k in sorted(keys))


@st.composite
def merge_sets(
    draw, max_rules: int = 10, two_files: bool | None = None, limits: bool | None = None,
    semantics: str | None = None,
) -> MergeSet:
    """Groups of siblings that share every condition but one, in random order, with random
    actions, owners, priorities and the odd disabled rule."""
    semantics = semantics or draw(st.sampled_from(["first-match", "any-match"]))
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True))
    actions = ACTIONS[: draw(st.integers(2, 3))]
    owners = OWNERS[: draw(st.integers(1, 2))]
    split = draw(st.booleans()) if two_files is None else two_files
    specs: list[tuple] = []
    while len(specs) < max_rules:
        base_fields = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique=True))
        base = {f: draw(cond_strategy(f)) for f in sorted(base_fields)}
        action = draw(st.sampled_from(actions))
        owner = draw(st.sampled_from(owners))
        vary = draw(st.sampled_from(sorted(base)))
        size = draw(st.integers(1, 4))
        for j in range(min(size, max_rules - len(specs))):
            conds = dict(base)
            if j:
                f = vary if draw(st.integers(0, 4)) else draw(st.sampled_from(sorted(base)))
                conds[f] = draw(cond_strategy(f))
            a = action if draw(st.integers(0, 5)) else draw(st.sampled_from(actions))
            o = owner if draw(st.integers(0, 5)) else draw(st.sampled_from(owners))
            specs.append((conds, a, o))
        if draw(st.integers(0, 2)) == 0:
            break
    if draw(st.booleans()):
        specs = draw(st.permutations(specs))
    rules = []
    for i, (conds, a, o) in enumerate(specs):
        rules.append(
            RuleSpec(
                id=f"r{i}",
                action=a,
                owner=o,
                conds=tuple(conds[f] for f in sorted(conds)),
                priority=draw(st.sampled_from([0, 0, 0, 1])),
                enabled=draw(st.integers(0, 15)) != 0,
                file=draw(st.integers(0, 1)) if split else 0,
                meta=draw(_meta()),
            )
        )
    lim: tuple = ()
    if limits if limits is not None else draw(st.integers(0, 3)) == 0:
        lim = (("max_values", draw(st.integers(2, 6))), ("max_conditions", draw(st.integers(1, 3))))
    return MergeSet(semantics, tuple(rules), lim, tuple(sorted(fields)))


def count_values(cond: Any) -> int:
    """Values a YAML condition holds, counted independently of the product: a list counts
    its items, a scalar one, a bounds mapping one."""
    if isinstance(cond, dict):
        if set(cond) <= {"range", "gte", "gt", "lte", "lt"}:
            return 1
        (v,) = cond.values()
        return len(v) if isinstance(v, list) else 1
    return len(cond) if isinstance(cond, list) else 1
