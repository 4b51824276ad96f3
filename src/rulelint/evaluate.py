"""The reference evaluator: the decision of a ruleset for one concrete event.

It reads conditions directly (no set algebra), so it is the yardstick the engine is tested
against, and what ``rulelint eval`` and ``rulelint test`` use.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import Domain, ip_to_int
from rulelint.load.conditions import as_ip, event_value_ok, matches
from rulelint.load.project import RuleEntry, RuleSet
from rulelint.util.gcpause import paused_gc


def rule_matches(r: RuleEntry, event: dict[str, Any], domains: dict[str, Domain]) -> bool:
    """SPEC.md: every condition holds; a condition on a missing field does not hold;
    a disabled rule (or one whose conditions failed validation) matches nothing."""
    if not r.rule.enabled or not r.valid:
        return False
    for f, c in r.conditions.items():
        if f not in event:
            return False
        dom = domains[f]
        value = event[f]
        if not event_value_ok(dom.kind, value, dom.values):
            return False
        if dom.kind == "int" and not (
            (dom.min is None or value >= dom.min) and (dom.max is None or value <= dom.max)
        ):
            return False  # outside the declared range: not a possible value of the field
        if not matches(c, dom.kind, value):
            return False
    return True


@dataclass
class Decision:
    actions: list[str] = field(default_factory=list)
    deciding: list[RuleEntry] = field(default_factory=list)
    matched: list[RuleEntry] = field(default_factory=list)  # every matching rule, in order

    @property
    def lost(self) -> list[RuleEntry]:
        ids = {id(r) for r in self.deciding}
        return [r for r in self.matched if id(r) not in ids]


def first_match(
    live: Sequence[RuleEntry], index: OverlapIndex, event: dict[str, Any], hi: int | None,
    domains: Mapping[str, Domain],
) -> int:
    """The position of the first rule of ``live`` (evaluation order, ``index`` over their
    boxes) before ``hi`` (None: any) that really matches ``event``, or -1: the rule that
    decides it, found with one point query."""
    values = {}
    for f, v in event.items():
        if f in domains and domains[f].kind == "ip":
            try:
                v = ip_to_int(v)
            except ValueError:
                continue
        values[f] = v
    for i in index.at_point(values, hi):
        if rule_matches(live[i], event, domains):
            return i
    return -1


def decide(rs: RuleSet, event: dict[str, Any], rules: list[RuleEntry] | None = None) -> Decision:
    """First-match: the first matching rule in evaluation order decides. Any-match: every
    matching rule applies; the decision is the set of their actions (sorted)."""
    domains = rs.domains
    matched = [r for r in (rules if rules is not None else rs.rules) if rule_matches(r, event, domains)]
    return _decision(rs, matched)


def _decision(rs: RuleSet, matched: list[RuleEntry]) -> Decision:
    d = Decision(matched=matched)
    if not matched:
        return d
    if rs.semantics == "first-match":
        d.deciding = [matched[0]]
        d.actions = [matched[0].action]
    else:
        d.deciding = list(matched)
        d.actions = sorted({r.action for r in matched})
    return d


# kinds whose ``eq`` condition holds exactly when the event value is ``==`` one of the listed
# values (``matches``: ``in`` for text, ``==`` for integers, ``is`` for booleans), so a hash
# lookup on the value finds every rule it can match
_HASHED_KINDS = frozenset({"string", "enum", "int", "bool"})
# ip: an address is in a network only if they agree on the network's first bits; a network
# at least this long (IPv4 /16, IPv6 /32) is filed under its first bits, as is the address
_IP_BITS = {4: 16, 6: 32}
_IP_WIDTH = {4: 32, 6: 128}


def _ip_key(version: int, value: int) -> tuple[int, int]:
    return version, value >> (_IP_WIDTH[version] - _IP_BITS[version])


_PREFIX_CHARS = 8  # a prefix condition is filed under at most its first 8 characters


def _prefix_keys(c, kind: str) -> list[tuple[int, str]] | None:
    """Keys of a prefix condition: ``(k, p[:k])`` for each prefix, ``k`` the length of its
    shortest prefix (at most _PREFIX_CHARS); a value starting with ``p`` starts with
    ``p[:k]``. None when a prefix is empty (it holds for every text)."""
    if c.op != "prefix" or kind not in ("string", "enum"):
        return None
    k = min(min(len(p) for p in c.values), _PREFIX_CHARS)
    if k == 0:
        return None
    return [(k, p[:k]) for p in c.values]


def _ip_keys(c, kind: str) -> list[tuple[int, int]] | None:
    """The keys of an ip condition that only holds for addresses under them (cidr, or eq
    on addresses and networks), or None when some network is too wide to file."""
    if kind != "ip" or c.op not in ("cidr", "eq"):
        return None
    nets = c.values if c.op == "cidr" else [as_ip(v) for v in c.values]
    keys = []
    for n in nets:
        if n is None or n.prefixlen < _IP_BITS[n.version]:
            return None
        keys.append(_ip_key(n.version, int(n.network_address)))
    return keys


class EventIndex:
    """Candidate rules for an event, so that deciding many events does not scan every rule
    per event (``rulelint eval --events``).

    Each rule that can match anything is filed under one of its conditions, the one whose
    keys the fewest rules share: an ``eq`` condition on a field of a hashed kind (under each
    value), an ip condition whose networks are all at least /16 (IPv4) or /32 (IPv6)
    (under each network's first 16 or 32 bits), or a ``prefix`` condition (under the first
    ``k`` characters of each prefix). A rule with no such condition (only ranges, globs,
    ``not_in``, wide networks) is a candidate for every event.

    Soundness: a rule filed under field ``f`` and keys ``K`` matches an event only if the
    event's ``f`` is one of ``K`` (hashed kinds: ``==`` a listed value; ip: an address whose
    first bits are a key; prefix: a text whose first ``k`` characters are a key), so the candidates of an event (the buckets of its own values,
    plus the unfiled rules) hold every rule that matches it. The index only narrows: each
    candidate is then decided by ``rule_matches``, the reference semantics, so
    ``decide_indexed`` gives exactly what ``decide`` gives (tests/test_eval_events.py checks
    both, and a brute-force oracle, on random rule sets)."""

    __slots__ = ("rules", "domains", "buckets", "ip_buckets", "ip_fields", "prefix_buckets",
                 "prefix_lengths", "unfiled")

    def __init__(self, rs: RuleSet, rules: list[RuleEntry] | None = None) -> None:
        self.rules = rules if rules is not None else rs.rules
        self.domains = domains = rs.domains
        self.buckets: dict[str, dict[Any, list[int]]] = {}
        self.ip_buckets: dict[str, dict[tuple[int, int], list[int]]] = {}
        self.ip_fields = tuple(f for f, d in domains.items() if d.kind == "ip")
        self.prefix_buckets: dict[str, dict[tuple[int, str], list[int]]] = {}
        self.prefix_lengths: dict[str, tuple[int, ...]] = {}
        self.unfiled: list[int] = []
        with paused_gc():  # millions of live objects already: no collections for nothing
            self._file()

    def _file(self) -> None:
        domains = self.domains
        # every way each live rule could be filed: (field, how, keys); how: 0 value, 1 ip,
        # 2 prefix
        options: list[tuple[int, list[tuple[str, int, list]]]] = []
        share: dict[tuple[str, int, Any], int] = {}
        for i, r in enumerate(self.rules):
            if not r.rule.enabled or not r.valid:
                continue  # matches nothing
            mine: list[tuple[str, int, list]] = []
            for f, c in r.conditions.items():
                kind = domains[f].kind
                if c.op == "eq" and kind in _HASHED_KINDS:
                    mine.append((f, 0, list(set(c.values))))
                    continue
                keys = _ip_keys(c, kind)
                if keys is not None:
                    mine.append((f, 1, list(set(keys))))
                    continue
                keys = _prefix_keys(c, kind)
                if keys is not None:
                    mine.append((f, 2, list(set(keys))))
            for f, how, keys in mine:
                for k in keys:
                    share[(f, how, k)] = share.get((f, how, k), 0) + 1
            options.append((i, mine))
        where = (self.buckets, self.ip_buckets, self.prefix_buckets)
        for i, mine in options:
            if not mine:
                self.unfiled.append(i)
                continue
            f, how, keys = min(
                mine, key=lambda o: sum(share[(o[0], o[1], k)] for k in o[2])
            )
            bucket = where[how].setdefault(f, {})
            for k in keys:
                bucket.setdefault(k, []).append(i)
        self.prefix_lengths = {
            f: tuple(sorted({k for k, _ in b})) for f, b in self.prefix_buckets.items()
        }

    def prepare(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with its ip fields parsed once (``matches`` takes an address object
        as it takes its text); a value that is not an address is left as it is."""
        if not self.ip_fields:
            return event
        out = None
        for f in self.ip_fields:
            v = event.get(f)
            if isinstance(v, str):
                try:
                    addr = ipaddress.ip_address(v)
                except ValueError:
                    continue
                if out is None:
                    out = dict(event)
                out[f] = addr
        return event if out is None else out

    def candidates(self, event: dict[str, Any]) -> list[int]:
        """Positions (ascending) of the rules that may match ``event`` (as ``prepare``d)."""
        found: list[list[int]] = [self.unfiled] if self.unfiled else []
        buckets = self.buckets
        for f, v in event.items():
            bucket = buckets.get(f)
            if bucket is None:
                continue
            try:
                hit = bucket.get(v)
            except TypeError:  # a list or an object: equal to no listed value
                continue
            if hit:
                found.append(hit)
        for f, bucket in self.prefix_buckets.items():
            v = event.get(f)
            if isinstance(v, str):
                for k in self.prefix_lengths[f]:
                    if len(v) < k:
                        break
                    hit = bucket.get((k, v[:k]))
                    if hit:
                        found.append(hit)
        for f, bucket in self.ip_buckets.items():
            v = event.get(f)
            if isinstance(v, ipaddress.IPv4Address | ipaddress.IPv6Address):
                hit = bucket.get(_ip_key(v.version, int(v)))
                if hit:
                    found.append(hit)
        if not found:
            return []
        if len(found) == 1:
            return found[0]
        return sorted(set().union(*found))


def decide_indexed(rs: RuleSet, event: dict[str, Any], index: EventIndex) -> Decision:
    """``decide(rs, event, index.rules)``, meeting only the index's candidates."""
    rules, domains = index.rules, rs.domains
    ready = index.prepare(event)
    return _decision(
        rs, [r for r in map(rules.__getitem__, index.candidates(ready)) if rule_matches(r, ready, domains)]
    )


def decision_key(rs: RuleSet, event: dict[str, Any], rules: list[RuleEntry] | None = None):
    """What the target system does for the event: an action (first-match), a frozenset of
    actions (any-match), or None for no match."""
    d = decide(rs, event, rules)
    if rs.semantics == "first-match":
        return d.actions[0] if d.actions else None
    return frozenset(d.actions)
