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
    d = Decision()
    for r in rules if rules is not None else rs.rules:
        if rule_matches(r, event, rs.domains):
            d.matched.append(r)
    if not d.matched:
        return d
    if rs.semantics == "first-match":
        d.deciding = [d.matched[0]]
        d.actions = [d.matched[0].action]
    else:
        d.deciding = list(d.matched)
        d.actions = sorted({r.action for r in d.matched})
    return d


def decision_key(rs: RuleSet, event: dict[str, Any], rules: list[RuleEntry] | None = None):
    """What the target system does for the event: an action (first-match), a frozenset of
    actions (any-match), or None for no match."""
    d = decide(rs, event, rules)
    if rs.semantics == "first-match":
        return d.actions[0] if d.actions else None
    return frozenset(d.actions)
