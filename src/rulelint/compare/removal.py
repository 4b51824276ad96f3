"""``rulelint remove``: the semantic impact of deleting rules on purpose, and the edits.

Which rules: by id, by the findings about them (``--select CODES``: the rule a finding is
about, after inline suppressions), by owner, or several of these together (a rule must meet
every criterion given). The impact is ``semdiff.diff_ruleset`` of the ruleset against
itself without those rules: the same decision regions and witnesses (each checked with the
reference evaluator) as ``rulelint diff``, judged with today's field kinds (removing the
only ``cidr`` of a field does not make it a string field). The edits are
``rewrite.plan_edits`` of a plan that only removes: each rule's lines go with the comment
lines just above it, every other byte stays. ``write`` is the one step that writes
(through ``consolidate/writeback.py``, verified after writing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from rulelint.algebra.index import OverlapIndex
from rulelint.compare.semdiff import RulesetDiff, _Live, diff_ruleset
from rulelint.consolidate.merge import Plan, Removal
from rulelint.consolidate.redundant import Removals
from rulelint.consolidate.rewrite import FileEdit, plan_edits
from rulelint.consolidate.suggest import kind_changes
from rulelint.consolidate.writeback import Planned, write_back
from rulelint.engine import analyse, apply_suppressions, make_enabled
from rulelint.load.config import ConfigError, Settings
from rulelint.load.project import Project, RuleEntry, RuleSet
from rulelint.util.spelling import closest


@dataclass
class RulesetRemoval:
    ruleset: RuleSet
    removed: list[RuleEntry]  # in evaluation order
    why: dict[int, list[str]]  # id(rule) -> the codes that picked it (--select)
    impact: RulesetDiff

    @property
    def before(self) -> int:
        return self.ruleset.slot_count

    @property
    def after(self) -> int:
        return self.ruleset.slot_count - len(self.removed)


def pick(
    project: Project, settings: Settings, ids: list[str], codes: list[str], owner: str | None
) -> tuple[dict[str, list[RuleEntry]], dict[int, list[str]]]:
    """The rules to remove per ruleset, and the codes that picked each (``--select``).
    Unknown ids and codes, or nothing picked, are a ``ConfigError``."""
    if not (ids or codes or owner):
        raise ConfigError("name the rules to remove: IDS, --select CODES or --owner OWNER")
    every = [r for rs in project.rulesets.values() for r in rs.rules]
    known = {r.id for r in every}
    for i in ids:
        if i not in known:
            near = closest(i, sorted(known))
            hint = f" (did you mean {near!r}?)" if near else ""
            raise ConfigError(f"no rule with id {i!r} in the rule files read{hint}")
    by_code: dict[tuple[str, str], list[str]] = {}
    if codes:
        sub = replace(settings, select=codes, ignore=[])
        make_enabled(sub)  # unknown codes: one clear line
        findings, _ = analyse(project, sub)
        findings, _ = apply_suppressions(project, findings, make_enabled(sub))
        for f in findings:
            if f.rule_ids and f.ruleset:
                by_code.setdefault((f.ruleset, f.rule_ids[0]), []).append(f.code)
    out: dict[str, list[RuleEntry]] = {}
    why: dict[int, list[str]] = {}
    wanted = set(ids)
    for name, rs in project.rulesets.items():
        for r in rs.rules:
            if ids and r.id not in wanted:
                continue
            if owner is not None and (r.rule.owner or "") != owner:
                continue
            if codes:
                got = by_code.get((name, r.id))
                if not got:
                    continue
                why[id(r)] = sorted(set(got))
            out.setdefault(name, []).append(r)
    if not out:
        what = ", ".join(
            x for x in (
                f"ids {', '.join(ids)}" if ids else "", f"findings {', '.join(codes)}" if codes else "",
                f"owner {owner}" if owner is not None else "",
            ) if x
        )
        raise ConfigError(f"no rule matches {what}; nothing to remove")
    return out, why


def impact(rs: RuleSet, gone: list[RuleEntry], why: dict[int, list[str]]) -> RulesetRemoval:
    """What deleting ``gone`` from ``rs`` changes: ``diff_ruleset`` of old and new, both with
    today's field kinds."""
    drop = {id(r) for r in gone}
    new = replace(
        rs, rules=[r for r in rs.rules if id(r) not in drop], slot_count=rs.slot_count - len(gone)
    )
    d = diff_ruleset(rs, new, rs.name)
    if not d.complete and not d.decisions and _all_dead(rs, drop):
        # every removed rule decides no event: nothing can change, whatever the globs
        # elsewhere leave unanswered (an event's first match decides it)
        d.complete, d.notes = True, []
    return RulesetRemoval(rs, gone, why, d)


def _all_dead(rs: RuleSet, drop: set[int]) -> bool:
    """First-match: does every removed live rule decide no event (exactly shown)?"""
    if rs.semantics != "first-match":
        return False
    live = rs.live_rules()
    rules = [_Live(r, r.box, r.action) for r in live]
    removals = Removals(rules, OverlapIndex([r.box for r in live]), rs.domains, True)
    return all(removals.never_decides(i) is not None for i, r in enumerate(live) if id(r) in drop)


def removals(
    project: Project, settings: Settings, ids: list[str], codes: list[str], owner: str | None
) -> list[RulesetRemoval]:
    picked, why = pick(project, settings, ids, codes, owner)
    return [impact(project.rulesets[name], gone, why) for name, gone in picked.items()]


def _plan(res: RulesetRemoval) -> Plan:
    return Plan(res.ruleset, res.before, [], [Removal(r, "removed on purpose") for r in res.removed])


def edits(results: list[RulesetRemoval]) -> list[FileEdit]:
    """The text edits that delete the rules (with their comment lines), per file. A field
    whose inferred kind the removal would change (the only ``cidr`` of ``src`` removed) is
    declared with its kind today in the ``fields:`` header, so the rules left keep their
    meaning (SPEC, "Meaning of a rule set")."""
    out: list[FileEdit] = []
    for res in results:
        plan = _plan(res)
        declare = {f: old for f, (old, _) in kind_changes(plan).items()}
        out.extend(plan_edits(plan, declare))
    return out


def declared_kinds(results: list[RulesetRemoval]) -> dict[str, dict[str, str]]:
    """ruleset -> {field: kind} that ``--apply`` declares (see ``edits``)."""
    out = {}
    for res in results:
        if changes := kind_changes(_plan(res)):
            out[res.ruleset.name] = {f: old for f, (old, _) in changes.items()}
    return out


def write(edits: list[FileEdit], results: list[RulesetRemoval], reload: Callable[[], Project]) -> Project:
    """The one write step of ``remove --apply``, through ``writeback.write_back``: each file
    atomically (refused when it changed since it was read), then reloaded with the normal
    loader and compared with the plan (every rule left unchanged, in the same order, under
    today's field kinds), the originals put back from memory on any difference. No proof of
    equal decisions: removing rules on purpose may change them (the impact says which)."""
    planned = [Planned.after(res.ruleset, gone=res.removed, prove=False)
               for res in results if res.removed]
    return write_back({e.path: e.new_bytes() for e in edits},
                      {e.path: e.old_bytes() for e in edits}, reload, planned)


def result_dict(results: list[RulesetRemoval]) -> dict[str, Any]:
    """``--format json``: ``{"version": 1, "removed": [...], "changes": [...]}``."""
    removed, changes, rulesets = [], [], []
    for res in results:
        name = res.ruleset.name
        for r in res.removed:
            item = {"id": r.id, "ruleset": name, "file": r.file, "line": r.id_line or r.line,
                    "owner": r.rule.owner, "action": r.action}
            if id(r) in res.why:
                item["codes"] = res.why[id(r)]
            removed.append(item)
        for c in res.impact.decisions:
            changes.append({
                "ruleset": name,
                "from": {"rule": c.old.id if c.old else None, "decision": c.before},
                "to": {"rule": c.new.id if c.new else None, "decision": c.after},
                "witness": c.witness,
            })
        rulesets.append({
            "name": name, "semantics": res.ruleset.semantics, "before": res.before,
            "after": res.after, "max_rules": res.ruleset.max_rules,
            "complete": res.impact.complete, "truncated": res.impact.truncated,
            "no_decision_changed": res.impact.no_decision_changed, "notes": res.impact.notes,
        })
    return {"version": 1, "removed": removed, "changes": changes, "rulesets": rulesets}
