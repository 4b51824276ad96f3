"""``suggest-merge`` as a library: plan, prove, and prepare the edits. Returns data only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import Domain
from rulelint.consolidate.equivalence import Difference, Slot, first_difference
from rulelint.consolidate.merge import Plan, plan_all, plan_merges
from rulelint.consolidate.redundant import walk_hints
from rulelint.load.boxes import condition_sets
from rulelint.load.conditions import ConditionError, infer_kind, parse_condition
from rulelint.load.project import RuleEntry, RuleSet
from rulelint.util import progress


@dataclass
class Suggestion:
    plan: Plan
    verified: bool
    difference: Difference | None = None
    leftovers: dict[str, list[str]] = field(default_factory=dict)  # why -> rule ids
    # fields whose inferred kind the new rule set would change: field -> (old kind, new
    # inferred kind). ``--apply`` declares the old kind in a ``fields:`` header; ``--output``
    # declares every kind in its header.
    kind_changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def declare(self) -> dict[str, str]:
        return {f: old for f, (old, _) in self.kind_changes.items()}
    frees: dict[str, int] | None = None  # slots each flag frees (``merge.plan_all``), if known

    @property
    def ruleset(self) -> RuleSet:
        return self.plan.ruleset


def _box_of(match: dict[str, Any], domains: dict[str, Domain]) -> dict | None:
    """The match of a written-out rule, parsed like any rule file (independent of the
    planner's own sets)."""
    box: dict[str, Any] = {}
    for f, raw in match.items():
        c = parse_condition(f, raw)
        over, under = condition_sets(c, domains[f])
        if over != under:
            raise ConditionError(f"{f}: a merged condition is not exact")
        if not over:
            return None
        box[f] = over
    return box


GLOB_FIELD = "\x00glob:"


def rule_slots(r: RuleEntry, domains: dict[str, Domain]) -> list[Slot]:
    """A rule as slots. A rule with an opaque glob is unknown between its sure part and its
    over-approximation; it becomes two slots: the sure part, and the rest gated by a fresh
    boolean field. Equivalence over that extended space holds for every way the glob could
    match, hence for the real one: the proof stays sound with globs."""
    if r.exact:
        return [Slot(r.box, r.action, r.id)]
    # The gate stands for "the rule's match holds here" beyond its sure part, so it is named
    # by the match itself: two rules with the same match (the same rule before and after a
    # rewrite, or a copy) hold on the same events and share one gate. Never by position: the
    # position of a rule moves when rules before it are merged or removed, and a proof of
    # the files as written would then compare two different unknowns.
    gate = GLOB_FIELD + json.dumps(r.rule.match, sort_keys=True, default=str, ensure_ascii=False)
    domains.setdefault(gate, Domain("bool"))
    out = [Slot(r.under, r.action, r.id)] if r.under is not None else []
    out.append(Slot({**r.box, gate: frozenset({True})}, r.action, r.id))
    return out


def _gone_and_keeps(plan: Plan) -> tuple[set[int], dict[int, Any]]:
    gone = {id(x.rule) for x in plan.removed}
    gone |= {id(m) for g in plan.groups for m in g.members if m is not g.keep}
    return gone, {id(g.keep): g for g in plan.groups}


def kind_changes(plan: Plan) -> dict[str, tuple[str, str]]:
    """Fields whose kind, inferred from the conditions left after the plan (SPEC: "an
    undeclared field takes its kind from all of its conditions"), would not be the kind
    they have now: field -> (kind now, kind then). Declared fields never change."""
    rs = plan.ruleset
    gone, keeps = _gone_and_keeps(plan)
    uses: dict[str, list[Any]] = {}
    for r in rs.rules:
        if id(r) in gone:
            continue
        g = keeps.get(id(r))
        if g is None:
            conds = list(r.conditions.values())
        else:
            conds = [parse_condition(f, raw) for f, raw in g.rule["match"].items()]
        for c in conds:
            uses.setdefault(c.field, []).append(c)
    out = {}
    for f, conds in sorted(uses.items()):
        if f in rs.declared or f not in rs.domains:
            continue
        then = infer_kind(conds)
        if then != rs.domains[f].kind:
            out[f] = (rs.domains[f].kind, then)
    return out


def verify(plan: Plan) -> Difference | None:
    """Prove the new rule set takes the same decision as the old for every event, both
    judged under the old field kinds (a field whose kind would change is declared by the
    rewrite, see ``kind_changes``)."""
    rs = plan.ruleset
    domains = dict(rs.domains)
    old = [s for r in rs.live_rules() for s in rule_slots(r, domains)]
    gone, keeps = _gone_and_keeps(plan)
    new = []
    for r in rs.live_rules():
        if id(r) in gone:
            continue
        g = keeps.get(id(r))
        if g is None:
            new.extend(rule_slots(r, domains))
        else:
            new.append(Slot(_box_of(g.rule["match"], rs.domains), g.rule["action"], r.id))
    diff = first_difference(old, new, domains, rs.semantics)
    if diff is not None:
        event = {k: v for k, v in diff.event.items() if not k.startswith(GLOB_FIELD)}
        diff = Difference(event, diff.old, diff.new, diff.old_rule, diff.new_rule)
    return diff


def leftovers(rs: RuleSet, findings: list[Any]) -> dict[str, list[str]]:
    """Rules only a human can decide on (shadowed, expired, unused, stale), from check
    findings. A shadowed rule (RL302) decides nothing, but whether it was meant to win is a
    question for its owner, so ``--include-redundant`` leaves it."""
    out: dict[str, list[str]] = {}
    label = {
        "RL302": "shadowed", "RL401": "expired", "RL404": "unused", "RL403": "review overdue",
    }
    for f in findings:
        if f.code in label and f.ruleset == rs.name and f.rule_ids:
            out.setdefault(label[f.code], []).append(f.rule_ids[0])
    return out


def plan_flags(
    rs: RuleSet, keys: list[str] | tuple[str, ...], flag: str = "include_shadowed"
) -> dict[str, Plan]:
    """``merge.plan_all`` for ``suggest-merge``, which runs no check: with the hints the
    decided-so-far walk alone proves (``redundant.walk_hints``), which make the plans
    faster, not different. ``flag``: the plan that is printed, whose removals are named
    (the other plans are only counted)."""
    live = rs.live_rules()
    index = OverlapIndex([r.box for r in live])
    hints = walk_hints(live, rs.domains, index) if rs.semantics == "first-match" else None
    return plan_all(rs, keys, index=(live, index), hints=hints, named=flag)


def suggest(
    rs: RuleSet,
    keys: list[str] | tuple[str, ...],
    include_redundant: bool = False,
    target: int | None = None,
    include_shadowed: bool = False,
    plan: Plan | None = None,
) -> Suggestion:
    """``plan``: one made already with these options (``merge.plan_all``), proved here."""
    if plan is None:
        with progress.step(f"merge plan {rs.name}"):
            plan = plan_merges(rs, keys, include_redundant, target, include_shadowed=include_shadowed)
    changed = bool(plan.groups or plan.removed)
    diff = None
    if changed:
        with progress.step(f"proof {rs.name}"):
            diff = verify(plan)
    return Suggestion(plan, diff is None, diff, kind_changes=kind_changes(plan) if changed else {})
