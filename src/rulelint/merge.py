"""The merge planner: fewer rules, the same decisions.

Rules that share the action and the merge keys (default: owner, enabled, expires) and whose
matches are equal on every field but one merge into one rule whose condition on that field
is the union, when one condition can say it exactly (a list of values, joined intervals,
collapsed CIDRs, a prefix list; see ``synth``). Merges of merges are fine: the planner
repeats rounds until nothing changes (a grid of region x plan rules becomes one rule).

First-match is order-aware. Merging A (earlier) with B (later) keeps A's place and moves
B's events up, which is allowed only when no rule between them with another action meets B;
otherwise the merged rule may take B's place instead, when no rule between them with
another action meets A. Rules whose match the exact algebra cannot express (opaque globs)
are never merged or removed, and count with their over-approximation wherever they could
block a move, so they can only make the planner more careful.

``--include-redundant`` first removes rules whose removal changes no decision (RL201 and
RL301 rules), one at a time, re-checking against the rules that remain.

The plan is only a proposal: ``equivalence.first_difference`` proves the whole new rule set
against the old on an independent code path before anything is shown as verified or written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rulelint.index import OverlapIndex
from rulelint.loading import to_plain
from rulelint.project import RuleEntry, RuleSet
from rulelint.sets import StrSet, box_intersect, box_subtract
from rulelint.synth import to_condition, value_count

DEFAULT_KEYS = ("owner", "enabled", "expires")
MAX_ROUNDS = 32


@dataclass(eq=False)
class PlanRule:
    """A rule of the plan: an original rule, possibly grown by merges."""

    base: RuleEntry  # the original whose place (file, position, priority) it keeps
    box: dict
    match_: dict[str, Any] | None  # YAML condition values by field (built on first use)
    members: list[RuleEntry]
    alive: bool = True
    merged_into: PlanRule | None = None
    fields: list[str] = field(default_factory=list)  # fields merged on, in order

    @property
    def action(self) -> str:
        return self.base.action

    @property
    def match(self) -> dict[str, Any]:
        if self.match_ is None:
            self.match_ = dict(to_plain(self.base.raw.get("match") or {}))
        return self.match_

    @match.setter
    def match(self, value: dict[str, Any]) -> None:
        self.match_ = value

    @property
    def order(self) -> tuple[int, int]:
        return (self.base.rule.priority, self.base.pos)

    def resolve(self) -> PlanRule | None:
        r = self
        while r.merged_into is not None:
            r = r.merged_into
        return r if r.alive else None


@dataclass
class MergeGroup:
    keep: RuleEntry  # the rule whose place and id the merged rule takes
    members: list[RuleEntry]  # every original rule merged, in evaluation order
    fields: list[str]
    rule: dict[str, Any]  # the merged rule, as YAML data

    @property
    def merged_id(self) -> str:
        return self.keep.id

    @property
    def freed(self) -> int:
        return len(self.members) - 1


@dataclass
class Removal:
    rule: RuleEntry
    reason: str


@dataclass
class Plan:
    ruleset: RuleSet
    before: int
    groups: list[MergeGroup]
    removed: list[Removal]
    target: int | None = None

    @property
    def after(self) -> int:
        return self.before - sum(g.freed for g in self.groups) - len(self.removed)

    @property
    def freed(self) -> int:
        return self.before - self.after


def _union_all(sets: list[Any]) -> Any:
    """The union of many sets of one field, in n log n (pairwise in a balanced tree)."""
    if all(isinstance(s, frozenset) for s in sets):
        return frozenset().union(*sets)
    finite = [s.finite_values() for s in sets] if all(isinstance(s, StrSet) for s in sets) else None
    if finite is not None and all(v is not None for v in finite):
        return StrSet.values(frozenset().union(*finite))
    while len(sets) > 1:
        sets = [sets[i] | sets[i + 1] if i + 1 < len(sets) else sets[i] for i in range(0, len(sets), 2)]
    return sets[0]


def _merge_key(r: RuleEntry, keys: tuple[str, ...]) -> tuple:
    return tuple(str(getattr(r.rule, k, None)) for k in keys)


class Planner:
    def __init__(
        self,
        rs: RuleSet,
        keys: tuple[str, ...] = DEFAULT_KEYS,
        include_redundant: bool = False,
        target: int | None = None,
    ) -> None:
        self.rs = rs
        self.keys = keys
        self.include_redundant = include_redundant
        self.target = target
        self.domains = rs.domains
        self.max_values = rs.limits.max_values
        self.max_conditions = rs.limits.max_conditions
        live = rs.live_rules()
        self.rules = [PlanRule(r, dict(r.box), None, [r]) for r in live]
        self.removed: list[Removal] = []
        self.count = rs.slot_count

    # -- helpers ---------------------------------------------------------------------------

    def _done(self) -> bool:
        return self.target is not None and self.count <= self.target

    def _between_blocks(
        self, index: OverlapIndex, snapshot: list[PlanRule], lo: PlanRule, hi: PlanRule,
        moving: dict, action: str,
    ) -> bool:
        """Is there a live rule strictly between lo and hi (in order) with another action
        that meets ``moving``?"""
        a, b = lo.order, hi.order
        seen: set[int] = set()
        for i in index.candidates(moving):
            r = snapshot[i].resolve()
            if r is None or id(r) in seen or r is lo or r is hi:
                continue
            seen.add(id(r))
            if not (a < r.order < b) or r.action == action:
                continue
            if box_intersect(moving, r.box, self.domains) is not None:
                return True
        return False

    # -- removal of rules that change nothing ---------------------------------------------

    def _remove_redundant(self) -> None:
        snapshot = list(self.rules)
        index = OverlapIndex([r.box for r in snapshot])
        fm = self.rs.semantics == "first-match"
        # latest first: of two duplicates, the copy added later is the one to go
        for r in reversed(snapshot):
            if self._done():
                return
            if not r.alive or not r.base.exact:
                continue
            near = [
                c for i in index.candidates(r.box)
                if (c := snapshot[i]).alive and c is not r
            ]
            ok, reason = (self._fm_removable if fm else self._am_removable)(r, near)
            if ok:
                r.alive = False
                self.count -= 1
                self.removed.append(Removal(r.base, reason))
        self.rules = [r for r in self.rules if r.alive]

    def _fm_removable(self, r: PlanRule, near: list[PlanRule]) -> tuple[bool, str]:
        dom = self.domains
        pieces = [r.box]
        earlier = [c for c in near if c.order < r.order]
        takers = []
        for c in earlier:
            if not c.base.exact:
                continue
            nxt = []
            for p in pieces:
                if box_intersect(p, c.box, dom) is not None:
                    takers.append(c)
                    nxt.extend(box_subtract(p, c.box, dom))
                else:
                    nxt.append(p)
            pieces = nxt
            if not pieces:
                break
        if not pieces:
            names = ", ".join(sorted({c.base.id for c in takers}))
            return True, f"never decides (earlier rules {names} take all of it)"
        catchers = []
        for c in sorted((c for c in near if c.order > r.order), key=lambda c: c.order):
            hit = [p for p in pieces if box_intersect(p, c.box, dom) is not None]
            if not hit:
                continue
            if c.action != r.action or not c.base.exact:
                return False, ""
            catchers.append(c.base.id)
            nxt = []
            for p in pieces:
                nxt.extend(box_subtract(p, c.box, dom))
            pieces = nxt
            if not pieces:
                return True, f"later rule(s) {', '.join(catchers)} decide the same"
        return False, ""

    def _am_removable(self, r: PlanRule, near: list[PlanRule]) -> tuple[bool, str]:
        from rulelint.sets import covers

        same = [c for c in near if c.action == r.action and c.base.exact]
        ok, _ = covers(r.box, [c.box for c in same], self.domains)
        return (ok, "other rules with the same action cover it") if ok else (False, "")

    # -- merging ----------------------------------------------------------------------------

    def _round(self) -> bool:
        snapshot = [r for r in self.rules if r.alive]
        snapshot.sort(key=lambda r: r.order)
        index = OverlapIndex([r.box for r in snapshot])
        buckets: dict[tuple, list[PlanRule]] = defaultdict(list)
        for r in snapshot:
            if not r.base.exact:
                continue
            mk = _merge_key(r.base, self.keys)
            items = r.box.items()
            for f in r.box:
                rest = frozenset((g, s) for g, s in items if g != f)
                buckets[(r.action, mk, f, rest)].append(r)
        changed = False
        for (_, _, f, _), members in sorted(buckets.items(), key=lambda kv: -len(kv[1])):
            if len(members) < 2:
                continue
            run: list[PlanRule] = []
            for r in members:
                if self._done():
                    break
                if not r.alive:
                    continue
                if run and self._can_join(index, snapshot, run, r, f):
                    run.append(r)
                    continue
                if len(run) == 1 and run[0].alive:
                    # a pair the batch cannot take may still merge into the later place
                    merged = self._try_merge(index, snapshot, run[0], r, f)
                    if merged is not None:
                        changed = True
                        run = [merged]
                        continue
                changed |= self._flush(index, snapshot, run, f)
                run = [r]
            changed |= self._flush(index, snapshot, run, f)
        self.rules = [r for r in self.rules if r.alive]
        return changed

    def _can_join(
        self, index: OverlapIndex, snapshot: list[PlanRule], run: list[PlanRule], r: PlanRule,
        f: str,
    ) -> bool:
        """May r merge into the run's first rule (taking its place)?"""
        base = run[0]
        if not base.alive or f not in base.box or f not in r.box:
            return False
        if self.target is not None and self.count - (len(run) - 1) - 1 < self.target:
            return False
        if {g: s for g, s in base.box.items() if g != f} != {
            g: s for g, s in r.box.items() if g != f
        }:
            return False
        if self.max_values is not None and len(run) + 1 > self.max_values:
            return False
        return not (
            self.rs.semantics == "first-match"
            and self._between_blocks(index, snapshot, base, r, r.box, base.action)
        )

    def _flush(self, index: OverlapIndex, snapshot: list[PlanRule], run: list[PlanRule], f: str) -> bool:
        """Merge a run of rules (all movable to the first one's place) in one step: the union
        is computed once, so a bucket of n rules costs n log n, not n squared."""
        run = [r for r in run if r.alive]
        if len(run) < 2:
            return False
        base = run[0]
        dom = self.domains[f]
        union = _union_all([r.box[f] for r in run])
        cond = to_condition(union, dom)
        new_match = {g: v for g, v in base.match.items() if g != f}
        if cond is not None:
            new_match[f] = cond
        too_big = (
            self.max_values is not None
            and sum(value_count(v) for v in new_match.values()) > self.max_values
        ) or (self.max_conditions is not None and len(new_match) > self.max_conditions)
        if cond is None or too_big:
            # not one condition (or too many values) as a whole: merge pairwise instead
            changed = False
            acc = base
            for r in run[1:]:
                merged = self._try_merge(index, snapshot, acc, r, f)
                if merged is not None:
                    acc, changed = merged, True
                else:
                    acc = r
            return changed
        new_box = {g: s for g, s in base.box.items() if g != f}
        new_box[f] = union
        base.box = new_box
        base.match = new_match
        for r in run[1:]:
            base.members.extend(r.members)
            r.alive = False
            r.merged_into = base
        base.members.sort(key=lambda m: (m.rule.priority, m.pos))
        if f not in base.fields:
            base.fields.append(f)
        self.count -= len(run) - 1
        return True

    def _try_merge(
        self, index: OverlapIndex, snapshot: list[PlanRule], a: PlanRule, b: PlanRule, f: str
    ) -> PlanRule | None:
        if f not in a.box or f not in b.box:
            return None
        # the other fields must still be equal (an earlier merge this round may have grown one)
        if {g: s for g, s in a.box.items() if g != f} != {g: s for g, s in b.box.items() if g != f}:
            return None
        dom = self.domains[f]
        union = a.box[f] | b.box[f]
        cond = to_condition(union, dom)
        if cond is None:
            return None
        new_box = {g: s for g, s in a.box.items() if g != f}
        new_box[f] = union
        new_match = {g: v for g, v in a.match.items() if g != f}
        new_match[f] = cond
        if self.max_values is not None:
            total = sum(value_count(v) for v in new_match.values())
            if total > self.max_values:
                return None
        if self.max_conditions is not None and len(new_match) > self.max_conditions:
            return None
        if a.order > b.order:
            a, b = b, a
        keep, gone = a, b
        if self.rs.semantics == "first-match" and self._between_blocks(
            index, snapshot, a, b, b.box, a.action
        ):
            if self._between_blocks(index, snapshot, a, b, a.box, a.action):
                return None
            keep, gone = b, a  # the merged rule takes the later place
        keep.box = new_box
        keep.match = new_match
        keep.members = sorted(keep.members + gone.members, key=lambda r: r.order)
        keep.fields = keep.fields + [x for x in [f] if x not in keep.fields]
        gone.alive = False
        gone.merged_into = keep
        self.count -= 1
        return keep

    def plan(self) -> Plan:
        before = self.count
        if self.include_redundant:
            self._remove_redundant()
        for _ in range(MAX_ROUNDS):
            if self._done() or not self._round():
                break
        groups = [
            MergeGroup(r.base, r.members, r.fields, merged_rule(r, self.rs))
            for r in sorted(self.rules, key=lambda r: r.order)
            if r.alive and len(r.members) > 1
        ]
        return Plan(self.rs, before, groups, self.removed, self.target)


def _file_defaults(r: RuleEntry, rs: RuleSet) -> dict[str, Any]:
    for info in rs.files:
        if info.source.display == r.file and info.header is not None and info.header.defaults:
            return info.header.defaults.model_dump(exclude_none=True)
    return {}


RULE_KEY_ORDER = (
    "id", "action", "match", "priority", "description", "owner", "ticket", "tags",
    "created", "reviewed", "expires", "enabled", "cost", "merged_from",
)


def merged_rule(p: PlanRule, rs: RuleSet) -> dict[str, Any]:
    """The merged rule as YAML data: the kept rule's id and place, the union of tickets and
    tags, the earliest created/reviewed, joined descriptions, ``merged_from`` provenance."""
    members = p.members
    base = p.base
    raw_keys = {k for m in members for k in m.raw}
    out: dict[str, Any] = {"id": base.id, "action": base.action, "match": p.match}
    if "priority" in raw_keys or base.rule.priority:
        out["priority"] = base.rule.priority
    descs = []
    for m in members:
        d = m.rule.description
        if d and d not in descs and "description" in m.raw:
            descs.append(d)
    if descs:
        out["description"] = "; ".join(descs)
    for k in ("owner", "expires"):
        if k in raw_keys and getattr(base.rule, k) is not None:
            out[k] = getattr(base.rule, k)
    tickets: list[str] = []
    for m in members:
        if "ticket" in m.raw:
            for t in m.rule.tickets:
                if t not in tickets:
                    tickets.append(t)
    if tickets:
        out["ticket"] = tickets[0] if len(tickets) == 1 else tickets
    tags: list[str] = []
    for m in members:
        if "tags" in m.raw:
            for t in m.rule.tags:
                if t not in tags:
                    tags.append(t)
    if tags:
        out["tags"] = tags
    for k in ("created", "reviewed"):
        dates = [getattr(m.rule, k) for m in members if k in m.raw and getattr(m.rule, k)]
        if dates:
            out[k] = min(dates)
    if "enabled" in raw_keys and not base.rule.enabled:
        out["enabled"] = False
    if "cost" in raw_keys:
        out["cost"] = max(m.rule.cost for m in members)
    provenance: list[str] = []
    for m in members:
        for x in (m.rule.merged_from or [m.id]):
            if x not in provenance:
                provenance.append(x)
    out["merged_from"] = provenance
    return out


def plan_merges(
    rs: RuleSet,
    keys: tuple[str, ...] | list[str] = DEFAULT_KEYS,
    include_redundant: bool = False,
    target: int | None = None,
) -> Plan:
    return Planner(rs, tuple(keys), include_redundant, target).plan()
