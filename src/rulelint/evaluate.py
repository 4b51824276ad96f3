"""The reference evaluator: the decision of a ruleset for one concrete event.

It reads conditions directly (no set algebra), so it is the yardstick the engine is tested
against, and what ``rulelint eval`` and ``rulelint test`` use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rulelint.algebra.sets import Domain
from rulelint.load.conditions import event_value_ok, matches
from rulelint.load.project import RuleEntry, RuleSet


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
# lookup on the value finds every rule it can match; ip compares parsed addresses
# (``10.0.0.1`` and ``010.0.0.1``...), so ip rules are never bucketed by their text
_HASHED_KINDS = frozenset({"string", "enum", "int", "bool"})


class EventIndex:
    """Candidate rules for an event, so that deciding many events does not scan every rule
    per event (``rulelint eval --events``).

    Each rule that can match anything is filed under one of its conditions: the ``eq``
    condition with the fewest values on a field of a hashed kind, once per value; a rule
    with no such condition is a candidate for every event. A rule filed under field ``f``
    and values ``V`` matches an event only if the event's ``f`` is ``==`` one of ``V``, so
    the candidates of an event (the buckets of its own values, plus the unfiled rules) hold
    every rule that matches it. The index only narrows: each candidate is then decided by
    ``rule_matches``, the reference semantics, so ``decide_indexed`` gives exactly what
    ``decide`` gives (tests/test_eval_events.py checks both on random rule sets)."""

    __slots__ = ("rules", "buckets", "unfiled")

    def __init__(self, rs: RuleSet, rules: list[RuleEntry] | None = None) -> None:
        self.rules = rules if rules is not None else rs.rules
        self.buckets: dict[str, dict[Any, list[int]]] = {}
        self.unfiled: list[int] = []
        domains = rs.domains
        for i, r in enumerate(self.rules):
            if not r.rule.enabled or not r.valid:
                continue  # matches nothing
            best: tuple[str, tuple] | None = None
            for f, c in r.conditions.items():
                if c.op == "eq" and domains[f].kind in _HASHED_KINDS and (
                    best is None or len(c.values) < len(best[1])
                ):
                    best = (f, c.values)
            if best is None:
                self.unfiled.append(i)
                continue
            bucket = self.buckets.setdefault(best[0], {})
            for v in set(best[1]):
                bucket.setdefault(v, []).append(i)

    def candidates(self, event: dict[str, Any]) -> list[int]:
        """Positions (ascending) of the rules that may match ``event``."""
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
        if not found:
            return []
        if len(found) == 1:
            return found[0]
        return sorted(set().union(*found))


def decide_indexed(rs: RuleSet, event: dict[str, Any], index: EventIndex) -> Decision:
    """``decide(rs, event, index.rules)``, meeting only the index's candidates."""
    rules, domains = index.rules, rs.domains
    return _decision(
        rs, [r for r in map(rules.__getitem__, index.candidates(event)) if rule_matches(r, event, domains)]
    )


def decision_key(rs: RuleSet, event: dict[str, Any], rules: list[RuleEntry] | None = None):
    """What the target system does for the event: an action (first-match), a frozenset of
    actions (any-match), or None for no match."""
    d = decide(rs, event, rules)
    if rs.semantics == "first-match":
        return d.actions[0] if d.actions else None
    return frozenset(d.actions)
