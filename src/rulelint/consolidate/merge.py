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

Scale: the planner indexes its rules once (``OverlapIndex``, positions in evaluation order)
and asks only about an order window: the nearest rules one by one, then the index, lazily,
stopping at the first blocker. A rule merged into another takes its events to the receiver's
place; those moved boxes go to a small dynamic index (``_Moved``), so every question is
answered about the current rule list, in every round, without indexing again.

``--include-redundant`` first removes rules whose removal changes no decision (RL201 and
RL301 rules), one at a time, re-checking against the rules that remain (``redundant``).
``--include-shadowed`` (first-match) before that removes every rule that never decides
(RL302, the losing rule of RL202, duplicates that are also shadowed), all of them: an
event's first matching rule decides it, so deleting rules that decide nothing changes no
decision, however they cover one another. They are found in evaluation order, each asked
against the rules before it that are still there, so the rules named as taking a removed
rule's events are rules that stay. Any-match has no such rules (every matching rule
applies): there ``--include-shadowed`` is ``--include-redundant``.

``--target N`` plans without the target first; when that plan frees more than needed, the
same plan is made again with a budget and stops once the ruleset fits in N rules, taking
only part of the last merge group when the group frees more slots than are still needed.

The plan is only a proposal: ``equivalence.first_difference`` proves the whole new rule set
against the old on an independent code path before anything is shown as verified or written.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import box_meets, union_all
from rulelint.algebra.synth import to_condition, value_count
from rulelint.consolidate.redundant import RemovalHints, Removals
from rulelint.load.loading import to_plain
from rulelint.load.project import RuleEntry, RuleSet
from rulelint.util.gcpause import paused_gc

DEFAULT_KEYS = ("owner", "enabled", "expires")
MAX_ROUNDS = 32
MAX_FIXPOINT = 32  # removal-and-merge passes after the first (see ``Planner._to_fixpoint``)
SCAN = 32  # rules of a window looked at one by one before the index is asked
GROUP_TRIES = 8  # open groups a rule may try to join when a run cannot become one rule
# Later removal passes skip the questions a proof still answers (``Proof``); the plan is the
# same without (tests compare both, and AUDIT asks every skipped question anyway and fails
# if its answer is not the proof's).
WITNESSES = True
AUDIT = False
# rules per rule of the list that applying the changes to the proofs without an event may
# look at in one removal pass (a look costs far less than asking the rule again)
BARE_LOOKS = 8


class Proof:
    """Why a rule stays, found when it was asked (or proven by the check: ``Planner._seed``),
    and still true while no change of the rule list since (``Planner._changes``: a rule
    removed, a box merged into another rule) can have made it false. A later removal pass
    skips the rule's question while its proof holds: the answer is the proof's, so the plan
    is the plan made without proofs. First-match lists of exact rules only. ``seq``: how many
    changes there were when it was found; ``point``: its event, a box of one value per field
    (every other field absent), or None for the check's proofs, which name no event.

    A rule *holds* an event when its box holds it and it tests none of the event's missing
    fields. Only a change whose box holds an event changes which rules hold it, and a merge
    moves events only past rules with the moved box's action or rules that do not hold them
    (``_between_blocks``). So, for rule r:

    * ``decides``: r is the first live rule that holds ``point``; ``never_decides`` answers
      None. Made false only by a box moved up past r (from G after r to K before it) that
      holds the event: a removed rule that holds it comes after r, a box moved down goes
      further down.
    * ``keep``: as ``decides``, and the next rule that holds the event has another action or
      there is none; ``removable`` answers no. Made false only by the removal of a later
      rule with another action that holds it (it may have been that next rule): a box moved
      up past r has r's action and passes no rule with another action that holds the event,
      and one moved down from the next rule lands after rules of its own action only.
    * ``shadowed``: r (whose box is ``box``) decides no event, and a rule with another action
      decides some of its events; ``removable`` answers no. No change of the plan changes the
      action any event is decided with (merges and removals change no decision), so the
      second half holds while the box is the same, and the first until r may get some
      events to decide: from a rule before it, with its action, that decided some events and
      is removed (when r takes some of them on that rule's fields, it is one of the rules
      ``removable`` names; on other fields, it comes before the last of those), or from a
      box moved down past it that meets it.

    The removal of a rule that decides nothing while only its own action decides its events
    (RL301, "never") changes none of these and is not recorded."""

    __slots__ = ("kind", "point", "seq", "box")

    def __init__(self, kind: str, point: dict | None, seq: int, box: dict) -> None:
        self.kind, self.point, self.seq, self.box = kind, point, seq, box


class _AsWas:
    """A rule as the first never-deciding pass saw it (``Planner._lazy_takers``)."""

    __slots__ = ("base", "box", "action", "alive")

    def __init__(self, base: RuleEntry, box: dict, action: str, alive: bool) -> None:
        self.base, self.box, self.action, self.alive = base, box, action, alive


@dataclass(eq=False)
class PlanRule:
    """A rule of the plan: an original rule, possibly grown by merges."""

    base: RuleEntry  # the original whose place (file, position, priority) it keeps
    box: dict
    match_: dict[str, Any] | None  # YAML condition values by field (built on first use)
    members: list[RuleEntry]  # unordered while planning; sorted by ``plan``
    alive: bool = True
    merged_into: PlanRule | None = None
    fields: list[str] = field(default_factory=list)  # fields merged on, in order
    slot: int = -1  # position in the planner's snapshot (evaluation order)
    action: str = field(init=False)
    merge_key: tuple = ()
    buckets: tuple[dict, list[int]] | None = None  # (box, its buckets), see ``_round``
    proof: Proof | None = None  # why it stays, while that still holds (removal plans only)

    def __post_init__(self) -> None:
        self.action = self.base.action

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
    takers: list[RuleEntry] = field(default_factory=list)  # never-decides: who takes its events
    flag: str = "include_redundant"  # the suggest-merge flag that removes it


@dataclass
class Plan:
    ruleset: RuleSet
    before: int
    groups: list[MergeGroup]
    removed: list[Removal]
    target: int | None = None
    include_redundant: bool = False  # whether removals were considered
    include_shadowed: bool = False  # whether rules that never decide were removed

    @property
    def after(self) -> int:
        return self.before - sum(g.freed for g in self.groups) - len(self.removed)

    @property
    def freed(self) -> int:
        return self.before - self.after


def _merge_key(r: RuleEntry, keys: tuple[str, ...]) -> tuple:
    return tuple(str(getattr(r.rule, k, None)) for k in keys)


class _Moved:
    """The boxes of rules merged into another, at the receiver's position.

    The planner's index holds every rule at its place and with its box at the start; a rule
    merged into another since then decides its events at the receiver's place. A window
    question must see them there: e.g. B moved up to X, then A moves down past X; A may now
    meet X only through B's events, which the index does not show at X. Entries are
    (receiver's slot, box, receiver); an entry counts while its receiver is alive (a
    receiver merged on records its whole box again at its new place). Dynamic by the
    logarithmic method: static ``OverlapIndex`` levels of geometrically falling size, built
    from an unindexed buffer when a question finds it full, so n entries cost O(n log^2 n)
    to index and a question O(levels) index queries.
    """

    BUFFER = 256

    def __init__(self) -> None:
        self.buf: list[tuple[int, dict, PlanRule]] = []
        self.levels: list[tuple[list[int], list[tuple[int, dict, PlanRule]], OverlapIndex]] = []

    def add(self, slot: int, box: dict, receiver: PlanRule) -> None:
        self.buf.append((slot, box, receiver))

    def _index_buffer(self) -> None:
        entries = [e for e in self.buf if e[2].alive]
        self.buf = []
        while self.levels and len(self.levels[-1][1]) <= len(entries):
            entries.extend(e for e in self.levels.pop()[1] if e[2].alive)
        if entries:
            entries.sort(key=lambda e: e[0])
            self.levels.append(
                ([e[0] for e in entries], entries, OverlapIndex([e[1] for e in entries]))
            )

    def blocks(self, moving: dict, lo: int, hi: int, action: str) -> PlanRule | None:
        """A live receiver strictly between slots lo and hi, with another action, that holds
        moved events that meet ``moving`` (None: there is none)."""
        if len(self.buf) > self.BUFFER:  # indexed when asked (most windows never get here)
            self._index_buffer()
        for slot, box, rec in self.buf:
            if lo < slot < hi and rec.alive and rec.action != action and box_meets(moving, box):
                return rec
        for slots, entries, index in self.levels:
            a, b = bisect.bisect_right(slots, lo), bisect.bisect_left(slots, hi)
            if a >= b:
                continue
            for k in index.iter_candidates(moving, lo=a - 1, hi=b):
                _, box, rec = entries[k]
                if rec.alive and rec.action != action and box_meets(moving, box):
                    return rec
        return None


class Planner:
    def __init__(
        self,
        rs: RuleSet,
        keys: tuple[str, ...] = DEFAULT_KEYS,
        include_redundant: bool = False,
        target: int | None = None,
        index: tuple[list[RuleEntry], OverlapIndex] | None = None,
        include_shadowed: bool = False,
        reuse: Plan | None = None,
        merge_keys: list[tuple] | None = None,
        hints: RemovalHints | None = None,
        named: bool = True,
        blockers: dict[tuple[int, int, int], RuleEntry] | None = None,
    ) -> None:
        self.rs = rs
        # shared by the plans of one run (``plan_all``): per window between two original
        # rules, asked for one of their original boxes, an original rule whose original box
        # blocked it; in another plan the window is blocked while that rule lives there
        self._shared_blockers = blockers
        # whether the removals get their reasons and takers (``_name_takers``); ``check``
        # counts what a plan frees and names none of them
        self.named = named
        # the rules the first never-deciding pass removed without asking (``hints.never``),
        # with what their takers are found from when the plan is named (``_lazy_takers``)
        self._unasked: tuple[list[PlanRule], list[dict], OverlapIndex, set[int]] | None = None
        # what the check proved about the rules as they are (see ``_kept``), used by the
        # removal passes before the first merge, only while they fit the snapshot
        self._hints = hints
        self._hinted = False
        self.include_shadowed = include_shadowed
        include_redundant = include_redundant or include_shadowed
        # the plan this one is when its first removal step removes nothing (see ``plan_all``)
        self.reuse = reuse
        self._given = index
        self.keys = keys
        self.include_redundant = include_redundant
        self.target = target
        self.first_match = rs.semantics == "first-match"
        self.domains = rs.domains
        self.max_values = rs.limits.max_values
        self.max_conditions = rs.limits.max_conditions
        live = rs.live_rules()
        if merge_keys is None or len(merge_keys) != len(live):
            merge_keys = [_merge_key(r, keys) for r in live]
        self._merge_keys = merge_keys  # one per live rule, shared by the plans of a run
        self.rules = [
            PlanRule(r, dict(r.box), None, [r], merge_key=k)
            for r, k in zip(live, merge_keys, strict=True)
        ]
        self.removed: list[Removal] = []
        # per dropped rule: (its removals, kind of reason, the plan rules that took its events)
        self._drops: list[tuple[list[Removal], PlanRule, str, list[PlanRule] | None]] = []
        self.count = rs.slot_count
        self.limit: int | None = None  # budget: stop once count <= limit (see ``plan``)
        self._snapshot: list[PlanRule] = []
        self._index = OverlapIndex([])
        self._moved = _Moved()
        self._memo: tuple[int, int, int, bool] | None = None
        # per window asked (lo, hi, whose box moves: 0 lo's, 1 hi's) that was blocked: the
        # rule that blocked it; the next rounds ask most windows again, and the answer
        # stands while that rule lives (``_between_blocks``)
        self._blockers: dict[tuple[int, int, int], PlanRule] = {}
        self._bucket_ids: dict[tuple, int] = {}  # merge buckets by key (``_round``)
        self._bucket_fields: list[str] = []  # the field each bucket's rules differ on
        self._by_base: dict[int, PlanRule] = (
            {id(r.base): r for r in self.rules} if blockers is not None else {})
        # boxes of the rules removed or grown since the last removal pass began: only rules
        # that meet one of them can answer differently in the next pass (``_to_fixpoint``)
        self._touched: list[dict] = []
        # proofs (``Proof``): first-match lists of exact rules only (an opaque glob's box is
        # an over-approximation, so which rules hold an event would not be known)
        self._witnessing = WITNESSES and self.first_match and all(
            r.base.exact for r in self.rules)
        # every change of the rule list since the plan began that may make a proof false, in
        # order: (box, the order of the rule it was, the receiver's order for a merge, kind:
        # drop (of a rule that decides), drop-never, up, down; the action, the ids of the
        # rules that take a removed rule's events and the order of the last of them)
        self._changes: list[tuple[
            dict, tuple, tuple | None, str, str, tuple[frozenset[int], tuple] | None]] = []
        self._applied = 0  # changes already applied to the proofs (``_refresh``)
        # per removal pass (``_refresh``): the rules' orders, the rules with an event proof
        # (their places, their events, an index of the events), how many proofs have none
        self._orders: list[tuple] = []
        self._pts: tuple[list[int], list[tuple[PlanRule, dict]], OverlapIndex] | None = None
        self._bare_index: dict[tuple[str, str], tuple[
            list[int], list[tuple[PlanRule, Proof]], OverlapIndex]] | None = None
        self._bare: dict[str, int] = {}
        self._budget: dict[str, int] = {}
        self._eager: set[int] = set()  # removals whose "keep" part is applied (``_apply``)

    # -- helpers ---------------------------------------------------------------------------

    def _done(self) -> bool:
        return self.limit is not None and self.count <= self.limit

    def _room(self) -> float:
        """Slots that may still be freed."""
        return math.inf if self.limit is None else self.count - self.limit

    def _start(self) -> None:
        """Index the rules once, at their places in evaluation order. A rule never changes
        place while it lives; one merged away or removed is skipped (``alive``), its events
        go with its receiver (``_moved``), and a grown rule is tested with its current box,
        so the index answers about the current rule list in every round."""
        snapshot = sorted(self.rules, key=lambda r: r.order)
        for i, r in enumerate(snapshot):
            r.slot = i
        self._snapshot = snapshot
        given = self._given
        if given is not None and len(given[0]) == len(snapshot) and all(
            a is b.base for a, b in zip(given[0], snapshot, strict=True)
        ):
            self._index = given[1]  # the check's index of the same rules, in the same order
        else:
            self._index = OverlapIndex([r.box for r in snapshot])
        self._moved = _Moved()
        self._memo = None
        self._hinted = False  # set by ``_plan`` for the first passes only

    def _between_blocks(self, lo: PlanRule, hi: PlanRule, moving: dict, action: str) -> bool:
        """Is there a live rule strictly between lo and hi (in order) with another action
        that meets ``moving``? Only the window is asked, lazily, up to the first blocker."""
        key = (id(lo), id(hi), id(moving))
        if self._memo is not None and self._memo[:3] == key:
            return self._memo[3]
        # ``moving`` is lo's or hi's box (the callers move one of them), which only grows
        side = 0 if moving is lo.box else 1 if moving is hi.box else -1
        shared = self._shared_blockers
        if side >= 0:
            # the rule that blocked this window before (an earlier round, a smaller box)
            # still lives: it is still between (places keep their order), its box and
            # ``moving`` only grew, so they still meet. (Plan rules are all made at the
            # start and live as long as the planner: their ids are never reused.)
            seen = self._blockers.get((key[0], key[1], side))
            if seen is not None and seen.alive and seen.action != action:
                self._memo = (*key, True)
                return True
            if shared is not None:
                # what another plan of ``plan_all`` found about the original rules: x's
                # original box met the moving rule's original box; both hold them here
                known = shared.get((id(lo.base), id(hi.base), side))
                if known is not None:
                    x = self._by_base.get(id(known))
                    if x is not None and x.alive and x.action != action:
                        self._memo = (*key, True)
                        return True
        a, b = lo.slot, hi.slot
        snap = self._snapshot
        blocker: PlanRule | None = None
        # the nearest rules first, one by one (dense overlap: a blocker is usually close),
        # then the index for the rest of the window
        near = min(b, a + 1 + SCAN)
        for i in self._window(moving, a, near, b):
            r = snap[i]
            # a rule merged away decides at its receiver's place (``_moved``)
            if r.alive and r.action != action and box_meets(moving, r.box):
                blocker = r
                break
        if blocker is not None:
            if (shared is not None and side >= 0 and not blocker.fields
                    and not (lo, hi)[side].fields):  # both boxes original
                shared[(id(lo.base), id(hi.base), side)] = blocker.base
        else:
            blocker = self._moved.blocks(moving, a, b, action)
        found = blocker is not None
        if blocker is not None and side >= 0:
            self._blockers[key[0], key[1], side] = blocker
        self._memo = (*key, found)
        return found

    def _window(self, box: dict, a: int, near: int, b: int) -> Iterator[int]:
        """Slots a < i < b, ascending: all of them up to ``near``, then the index's
        candidates that may meet ``box`` (asked only if the caller gets that far)."""
        yield from range(a + 1, near)
        if near < b:
            yield from self._index.iter_candidates(box, lo=near - 1, hi=b)

    def _new_match(self, head: PlanRule, f: str, union: Any) -> dict[str, Any] | None:
        """The match of ``head`` with ``union`` on ``f``, if one condition says it exactly
        and the limits allow it."""
        cond = to_condition(union, self.domains[f])
        if cond is None:
            return None
        new_match = {g: v for g, v in head.match.items() if g != f}
        new_match[f] = cond
        if self.max_values is not None and (
            sum(value_count(v) for v in new_match.values()) > self.max_values
        ):
            return None
        if self.max_conditions is not None and len(new_match) > self.max_conditions:
            return None
        return new_match

    def _absorb(
        self, keep: PlanRule, gone: Sequence[PlanRule], f: str, union: Any, match: dict
    ) -> None:
        """Merge ``gone`` into ``keep`` (which keeps its place): the box becomes the union."""
        new_box = {g: s for g, s in keep.box.items() if g != f}
        new_box[f] = union
        for r in gone:
            self._touched.append(r.box)  # the union is keep's box and these: only their
            self._moved.add(keep.slot, r.box, keep)  # events can have changed hands
            if self._witnessing:
                self._changes.append((r.box, r.order, keep.order,
                                      "up" if keep.slot < r.slot else "down", r.action, None))
            if len(keep.members) < len(r.members):  # small into large: n log n in all
                keep.members, r.members = r.members, keep.members
            keep.members.extend(r.members)
            keep.fields.extend(x for x in r.fields if x not in keep.fields)
            r.alive = False
            r.merged_into = keep
        keep.box = new_box
        keep.match = match
        if f not in keep.fields:
            keep.fields.append(f)
        self.count -= len(gone)
        self._memo = None

    # -- removal of rules that change nothing ---------------------------------------------

    def _remove_never_deciding(self, only: set[int] | None = None) -> None:
        """First-match: remove every rule that decides no event (``Removals.never_decides``),
        in evaluation order, each asked against the rules before it that stay (``only``:
        just those positions)."""
        if not self.first_match:
            return
        snapshot = self._snapshot
        removals = Removals(snapshot, self._index, self.domains, True)
        # a rule that decides an event still does once rules that decide none are gone
        proofs = self._witnessing  # (which hold the hints, see ``_seed``)
        deciding = self._hints.deciding if (
            self._hinted and self._hints and not proofs) else frozenset()
        # the rules the check proved decide nothing: removed without asking (deleting rules
        # that decide nothing leaves that true), their takers found when the plan is named
        never = own = frozenset()
        if self._hinted and self._hints and only is None and not self._drops:
            never, own = self._hints.never, self._hints.own
        gone: set[int] = set()  # the positions this pass removes
        if never:
            self._unasked = (snapshot, [r.box for r in snapshot], self._index, gone)
        if proofs:
            self._refresh()
        for i, r in enumerate(snapshot):
            if self._done():
                break
            if not r.alive or not r.base.exact or (only is not None and i not in only):
                continue
            if i in deciding:
                continue
            if i in never:
                assert not AUDIT or removals.never_decides(i) is not None, r.base.id
                gone.add(i)
                # (the proofs it could make false, "keep" ones, are seen to below)
                self._drop(r, "never", None, "include_shadowed", logged=False)
                continue
            if proofs and self._proven(r, "decides"):
                assert not AUDIT or removals.never_decides(i) is None, r.base.id
                continue
            found = removals.never_decides(i)
            if found is None:
                if proofs:
                    self._prove(r, removals.proof)
                continue
            # no eager ``_invalidate``: the proofs this pass uses are of rules deciding some
            # event, whose first rule the removal of one that decides none does not change
            gone.add(i)
            self._drop(r, "never", [snapshot[k] for k in found], "include_shadowed")
        self.rules = [r for r in self.rules if r.alive]
        if never and proofs and gone:
            self._keep_after_never(gone & never, own)

    def _keep_after_never(self, gone: set[int], own: frozenset[int]) -> None:
        """The check's "keep" proofs once the first pass removed the rules ``gone`` unasked
        (rules that decide nothing, so no rule's first changes). Removing one may make it no
        longer the next rule of some event a rule with another action decides: a "keep" of
        rule q is still true when one of its second rules (``RemovalHints.seconds``) that is
        left has another action, or some of its events fall to no rule; else it becomes a
        "decides". A rule only its own action's rules cover (``own``) is never the next rule
        of an event another action decides, so removing only those changes nothing."""
        if gone <= own:
            return
        h = self._hints
        assert h is not None
        seconds, snapshot = h.seconds, self._snapshot
        for q in h.needed:
            r = snapshot[q]
            p = r.proof
            if p is None or p.kind != "keep" or p.point is not None:
                continue
            cs = seconds.get(q, ())
            if cs is None or any(c not in gone and (
                    snapshot[c].action != r.action or not snapshot[c].base.exact) for c in cs):
                continue
            r.proof = Proof("decides", None, p.seq, p.box)

    def _drop(
        self, r: PlanRule, kind: str, takers: list[PlanRule] | None, flag: str,
        logged: bool = True,
    ) -> None:
        """Remove rule r (a merged one with all of its members: one slot); ``kind`` says why
        (``_name_takers``), ``takers`` are the plan rules that take its events now (None: a
        rule that never decides, removed unasked: ``_lazy_takers`` finds them). ``logged``:
        False for a rule known to decide nothing while only its action decides its events,
        whose removal makes no proof false."""
        r.alive = False
        self.count -= 1
        self._touched.append(r.box)
        if self._witnessing and kind != "redundant-never" and logged:
            # (a rule that decides no event, all of whose events its action decides, is no
            # rule's first, nor the next rule of an event another action decides: its removal
            # makes no proof false)
            ts = takers or ()  # (a "drop-never" uses no takers: see ``_apply``)
            self._changes.append((
                r.box, r.order, None, "drop" if kind == "redundant" else "drop-never", r.action,
                (frozenset(map(id, ts)), max((t.order for t in ts), default=r.order))))
        gone = [
            Removal(m, "", [], flag)
            for m in sorted(r.members, key=lambda m: (m.rule.priority, m.pos))
        ]
        self.removed.extend(gone)
        self._drops.append((gone, r, kind, takers))

    def _lazy_takers(self) -> None:
        """The takers of the rules the first never-deciding pass removed unasked: what
        ``never_decides`` answered had it asked them there. Its answer for rule i depends only
        on the rules before i as they were (boxes and places before any merge) and on which
        of them that pass removed, all kept in ``_unasked``, so it is the same now."""
        if self._unasked is None:
            return
        snapshot, boxes, index, gone = self._unasked
        self._unasked = None
        view = [_AsWas(r.base, box, r.action, i not in gone)
                for i, (r, box) in enumerate(zip(snapshot, boxes, strict=True))]
        removals = Removals(view, index, self.domains, True)
        at = {id(r): i for i, r in enumerate(snapshot)}
        for k, (gone_, r, kind, ts) in enumerate(self._drops):
            if ts is None:
                found = removals.never_decides(at[id(r)])
                assert found is not None, r.base.id  # the check proved it decides nothing
                self._drops[k] = (gone_, r, kind, [snapshot[j] for j in found])

    def _name_takers(self) -> None:
        """Each removal's reason and takers, named as the plan ends: a taker merged into
        another rule is named by the merged rule, a taker removed later by the rules that
        take its events in turn, so every rule named is one that stays."""
        self._lazy_takers()
        took = {id(r): ts for _, r, _, ts in self._drops}
        memo: dict[int, list[PlanRule]] = {}

        def final(t: PlanRule, seen: set[int]) -> list[PlanRule]:
            while t.merged_into is not None:
                t = t.merged_into
            if t.alive:
                return [t]
            got = memo.get(id(t))
            if got is not None:
                return got
            if id(t) in seen:
                return []
            seen.add(id(t))
            out: list[PlanRule] = []
            for u in took.get(id(t), ()):
                out.extend(final(u, seen))
            memo[id(t)] = out = list({id(x): x for x in out}.values())
            return out

        for gone, r, kind, ts in self._drops:
            rules: list[PlanRule] = []
            for t in ts:
                rules.extend(final(t, set()))
            rules = sorted({id(x): x for x in rules}.values(), key=lambda x: x.order)
            entries = [x.base for x in rules]
            reason = _reason(r, kind, rules, entries)
            for m in gone:
                m.reason, m.takers = reason, entries

    def _remove_redundant(self, only: set[int] | None = None) -> None:
        snapshot = self._snapshot
        removals = Removals(snapshot, self._index, self.domains, self.first_match)
        needed, stale, shadowed = self._kept()
        proofs = self._witnessing
        if proofs:
            self._refresh()
        # latest first: of two duplicates, the copy added later is the one to go
        for i in range(len(snapshot) - 1, -1, -1):
            if self._done():
                break
            r = snapshot[i]
            if not r.alive or not r.base.exact or (only is not None and i not in only):
                continue
            if i in shadowed or (i in needed and i not in stale):
                continue  # proven kept, and no rule it depends on is gone
            if proofs and self._proven(r, "keep"):
                assert not AUDIT or not removals.removable(i)[0], r.base.id
                continue
            ok, why, takers = removals.removable(i)
            if ok:
                kind = "redundant-never" if why == "never" else "redundant"
                c = len(self._changes)
                self._drop(r, kind, [snapshot[k] for k in takers], "include_redundant")
                if len(self._changes) > c:  # the rules still to ask come before it: their
                    self._apply(c, later=False)  # "keep" proofs now
                    self._eager.add(c)
                if needed and not self._stale_by(r.box, i, stale):
                    needed = frozenset()  # too many rules to track: ask the rest
            elif proofs:
                self._prove(r, removals.proof)
        self.rules = [r for r in self.rules if r.alive]

    # -- proofs that a rule stays (``Proof``) -----------------------------------------------

    def _proven(self, r: PlanRule, question: str) -> bool:
        """Whether r's proof still answers ``question``: "decides" (``never_decides`` is
        None) or "keep" (``removable`` is no)."""
        p = r.proof
        if p is None:
            return False
        if question == "decides":
            return p.kind != "shadowed"
        return p.kind == "keep" or (p.kind == "shadowed" and p.box is r.box)

    def _prove(self, r: PlanRule, got: tuple[str, dict | None] | None) -> None:
        r.proof = None if got is None else Proof(got[0], got[1], len(self._changes), r.box)

    def _seed(self, hints: RemovalHints) -> None:
        """The proofs the check's analysis gives (the rules as they are, before any change):
        ``deciding`` rules decide, ``needed`` ones stay, ``shadowed`` ones stay."""
        snapshot = self._snapshot
        for kind, got in (("decides", hints.deciding), ("keep", hints.needed),
                          ("shadowed", hints.shadowed)):
            for p in sorted(got):
                r = snapshot[p]
                r.proof = Proof(kind, None, 0, r.box)

    def _refresh(self) -> None:
        """Apply the changes since the last refresh to the proofs (``_apply``), at the start
        of a removal pass, with the index and the rules' places of that pass."""
        snapshot = self._snapshot
        self._pts = self._bare_index = None
        self._orders = [r.order for r in snapshot]
        self._bare = {}
        for r in snapshot:
            if r.alive and r.proof is not None and r.proof.point is None:
                self._bare[r.proof.kind] = self._bare.get(r.proof.kind, 0) + 1
        # rules the proofs without an event may cost to look at, per kind, before they are
        # dropped (asking their rules again costs less)
        self._budget = dict.fromkeys(("keep", "decides", "shadowed"), BARE_LOOKS * len(snapshot))
        start, self._applied = self._applied, len(self._changes)
        todo = [c for c in range(start, self._applied) if c not in self._eager]
        # many rules removed (the rules that never decide, before the first --include-redundant
        # pass): checking the "keep" proofs against each would cost more than asking their
        # rules again. No removal makes a rule stop deciding an event it decides (a rule
        # removed there is after it), so each is still a "decides".
        drops = sum(1 for c in todo if self._changes[c][3].startswith("drop"))
        seconds = drops * 8 <= len(snapshot)
        if not seconds:
            for r in snapshot:
                p = r.proof
                if p is not None and p.kind == "keep":
                    r.proof = Proof("decides", p.point, p.seq, p.box)
            self._bare["decides"] = self._bare.get("decides", 0) + self._bare.pop("keep", 0)
        for c in range(start, self._applied):
            self._apply(c, seconds and c not in self._eager)
        self._eager.clear()

    def _apply(self, c: int, seconds: bool = True, later: bool = True) -> None:
        """Drop (or check again) the proofs found before change ``c`` that it may make false
        (see ``Proof``). ``seconds``: the "keep" proofs of the rules before a removed one
        (it may have been the next rule of their event); ``later``: the rest."""
        box, order, receiver, kind, action, takers = self._changes[c]
        orders = self._orders
        at = bisect.bisect_left(orders, order)  # the place of the rule changed (or after it)
        after = bisect.bisect_right(orders, order) - 1  # the last place before the rules after
        if kind == "up":  # the events of a box moved up past a rule: it no longer decides them
            assert receiver is not None
            if later:
                lo = bisect.bisect_right(orders, receiver) - 1
                self._hit(box, c, lo, at, None, "decides", "drop")
        elif kind == "down":  # a box moved down past a rule: it may decide some of those events
            assert receiver is not None
            if later:
                self._hit(box, c, after, bisect.bisect_left(orders, receiver), None, "shadowed",
                          "drop")
        else:
            if seconds:  # an earlier rule with another action: maybe the next rule of its event
                self._hit(box, c, -1, at, action, "keep", "check")
            if later and kind == "drop":  # a later rule with its action may get its events:
                # one that takes some on the removed rule's fields, or one on other fields
                # before the last of those (which by then take all of them)
                assert takers is not None
                ids, last = takers
                fields = box.keys()
                self._hit(box, c, after, bisect.bisect_right(orders, last), action, "shadowed",
                          "drop", same=True,
                          only=lambda r: id(r) in ids or not r.box.keys() <= fields)

    def _hit(
        self, box: dict, c: int, lo: int, hi: int, action: str | None, kind: str, what: str,
        same: bool = False, only: Callable[[PlanRule], bool] | None = None,
    ) -> None:
        """The proofs of ``kind`` found before change ``c``, of the rules in places (lo, hi)
        whose action is not ``action`` (with ``same``: is ``action``; None: any), whose event
        ``box`` holds (or, without an event, whose box ``box`` meets) and that ``only``
        accepts: dropped (``what`` "drop"), or checked again ("check": a "keep" that fails
        is a "decides")."""
        if lo + 1 >= hi:
            return
        if self._pts is None:
            held = [(r, p.point) for r in self._snapshot
                    if r.alive and (p := r.proof) is not None and p.point is not None]
            self._pts = ([r.slot for r, _ in held], held,
                         OverlapIndex([point for _, point in held]))
        slots, held, index = self._pts
        keys = box.keys()
        a, b = bisect.bisect_right(slots, lo), bisect.bisect_left(slots, hi)
        if a < b:
            for k in index.iter_candidates(box, lo=a - 1, hi=b):
                r, point = held[k]
                p = r.proof  # checked again since the index was built: the same event
                if p is None or p.point is not point or p.seq > c or p.kind != kind:
                    continue
                if not r.alive or (action is not None and (r.action == action) != same):
                    continue
                if only is not None and not only(r):
                    continue
                if keys <= point.keys() and box_meets(point, box):
                    r.proof = None if what == "drop" else self._verify(r, p)
        if not self._bare.get(kind):
            return
        if self._bare_index is None:  # per (kind, action): the rules with such a proof
            groups: dict[tuple[str, str], list[tuple[PlanRule, Proof]]] = defaultdict(list)
            for r in self._snapshot:
                if r.alive and (p := r.proof) is not None and p.point is None:
                    groups[(p.kind, r.action)].append((r, p))
            self._bare_index = {
                key: ([r.slot for r, _ in got], got, OverlapIndex([r.box for r, _ in got]))
                for key, got in groups.items()}
        for (k_kind, k_action), (slots, got, index) in self._bare_index.items():
            if k_kind != kind or (action is not None and (k_action == action) != same):
                continue
            a, b = bisect.bisect_right(slots, lo), bisect.bisect_left(slots, hi)
            if a >= b:
                continue
            for k in index.iter_candidates(box, lo=a - 1, hi=b):
                self._budget[kind] -= 1
                if self._budget[kind] < 0:  # more rules met than asking them all would cost
                    for x in self._snapshot:
                        if x.proof is not None and x.proof.point is None and x.proof.kind == kind:
                            x.proof = None
                    self._bare[kind] = 0
                    return
                r, p = got[k]
                if r.proof is not p or p.seq > c or not r.alive:
                    continue
                if (only is None or only(r)) and box_meets(r.box, box):
                    r.proof = None
                    self._bare[kind] -= 1

    def _verify(self, r: PlanRule, p: Proof) -> Proof:
        """A "keep" proof whose event's second rule may have changed, checked against the
        rules as they are now (one point query): still "keep" when the next rule that
        holds the event has another action or there is none, else "decides" (r is still
        the first rule that holds it: no change that may make a "keep" false changes that)."""
        point = p.point
        assert point is not None
        snapshot, i = self._snapshot, r.slot
        for k in self._index.iter_candidates(point, lo=i, within=frozenset(point)):
            c = snapshot[k]
            if c.alive and box_meets(point, c.box):
                if c.action == r.action:
                    return Proof("decides", point, p.seq, p.box)
                break
        # the changes after ``p`` was found are each applied to it (its ``seq``), those after
        # ``c`` as well, so the proof keeps its ``seq``
        return p

    def _kept(self) -> tuple[frozenset[int], set[int], frozenset[int]]:
        """What the hints prove kept, for a removal pass latest first: ``needed`` rules, of
        which those in ``stale`` (meeting a rule removed so far: ``_stale_by`` adds the
        pass's own removals) are asked anyway, and ``shadowed`` rules, when no rule was
        removed before the pass (the pass removes only later ones). Only before the first
        merge (``_hinted``): a merge grows a rule, which can change any answer. ``needed``
        is empty when the rules removed already meet too many rules to track."""
        h = self._hints
        none: frozenset[int] = frozenset()
        if not self._hinted or h is None or self._witnessing:  # (proofs hold them: ``_seed``)
            return none, set(), none
        gone = [r for _, r, _, _ in self._drops]
        shadowed = none if gone else h.shadowed
        stale: set[int] = set()
        if len(gone) * 8 > len(self._snapshot):
            return none, stale, shadowed
        for r in gone:
            if not self._stale_by(r.box, r.slot, stale):
                return none, stale, shadowed
        return h.needed, stale, shadowed

    def _stale_by(self, box: dict, slot: int, stale: set[int]) -> bool:
        """Add the rules before ``slot`` that may meet ``box`` to ``stale``; False once
        ``stale`` holds more than a quarter of the rules (tracking costs more than asking)."""
        stale.update(self._index.iter_candidates(box, hi=slot))
        return len(stale) * 4 <= len(self._snapshot)

    # -- merging ----------------------------------------------------------------------------

    def _round(self) -> bool:
        self._memo = None
        buckets: dict[int, list[PlanRule]] = defaultdict(list)
        ids, fields = self._bucket_ids, self._bucket_fields
        for r in self._snapshot:
            if not r.alive or not r.base.exact:
                continue
            if r.buckets is None or r.buckets[0] is not r.box:  # new rule, or grown
                items = tuple(sorted(r.box.items(), key=lambda kv: kv[0]))
                got = []
                for j, (f, _) in enumerate(items):
                    # a bucket's key (hashed once, not every round): what its rules share
                    key = (r.action, r.merge_key, f, items[:j] + items[j + 1:])
                    b = ids.get(key)
                    if b is None:
                        b = ids[key] = len(fields)
                        fields.append(f)
                    got.append(b)
                r.buckets = (r.box, got)
            for b in r.buckets[1]:
                buckets[b].append(r)
        changed = False
        todo = [(fields[b], members) for b, members in buckets.items() if len(members) > 1]
        todo.sort(key=lambda kv: -len(kv[1]))  # stable: ties in order of first appearance
        for f, members in todo:
            if self._done():
                break
            run: list[PlanRule] = []
            for r in members:
                if self._done():
                    break
                if not r.alive:
                    continue
                if run and self._can_join(run, r, f):
                    run.append(r)
                    continue
                if len(run) == 1 and run[0].alive:
                    # a pair the batch cannot take may still merge into the later place
                    merged = self._try_merge(run[0], r, f)
                    if merged is not None:
                        changed = True
                        run = [merged]
                        continue
                changed |= self._flush(run, f)
                run = [r]
            changed |= self._flush(run, f)
        self.rules = [r for r in self.rules if r.alive]
        return changed

    def _can_join(self, run: list[PlanRule], r: PlanRule, f: str) -> bool:
        """May r merge into the run's first rule (taking its place)?"""
        base = run[0]
        if not base.alive or f not in base.box or f not in r.box:
            return False
        unchanged = base.buckets is not None and base.buckets[0] is base.box
        unchanged = unchanged and r.buckets is not None and r.buckets[0] is r.box
        if not unchanged and {g: s for g, s in base.box.items() if g != f} != {
            g: s for g, s in r.box.items() if g != f
        }:  # one of them grew this round (in one bucket, the boxes agree but on ``f``)
            return False
        if self.max_values is not None and len(run) + 1 > self.max_values:
            return False
        return not (self.first_match and self._between_blocks(base, r, r.box, base.action))

    def _flush(self, run: list[PlanRule], f: str) -> bool:
        """Merge a run of rules (all movable to the first one's place) in one step: the union
        is computed once, so a bucket of n rules costs n log n, not n squared."""
        run = [r for r in run if r.alive]
        if len(run) < 2:
            return False
        if len(run) - 1 <= self._room():
            union = union_all([r.box[f] for r in run])
            match = self._new_match(run[0], f, union)
            if match is not None:
                self._absorb(run[0], run[1:], f, union, match)
                return True
        return self._flush_groups(run, f)

    def _flush_groups(self, run: list[PlanRule], f: str) -> bool:
        """A run that cannot become one rule (or would free more than the target needs):
        split it into groups that can, each merged into its earliest member. Every member
        may move up to the run's first rule, so to any earlier member of the run; groups of
        one action never block each other. A rule tries the first group and the latest few
        (``GROUP_TRIES``), so ``n: 0, n >= 4, n: 0`` still merges the two ``n: 0``."""
        room = self._room()
        groups: list[list[Any]] = []  # [head, members, union, match]
        freed = 0
        for r in run:
            if freed >= room:
                break
            tries = groups if len(groups) <= GROUP_TRIES else [groups[0], *groups[1 - GROUP_TRIES:]]
            for g in tries:
                union = g[2] | r.box[f]
                match = self._new_match(g[0], f, union)
                if match is not None:
                    g[1].append(r)
                    g[2], g[3] = union, match
                    freed += 1
                    break
            else:
                groups.append([r, [], r.box[f], None])
        changed = False
        for head, gone, union, match in groups:
            if gone:
                self._absorb(head, gone, f, union, match)
                changed = True
        return changed

    def _try_merge(self, a: PlanRule, b: PlanRule, f: str) -> PlanRule | None:
        if f not in a.box or f not in b.box or self._room() < 1:
            return None
        # the other fields must still be equal (an earlier merge this round may have grown one;
        # while neither did, they are in one bucket: equal but on ``f``)
        if not (a.buckets is not None and a.buckets[0] is a.box and b.buckets is not None
                and b.buckets[0] is b.box) and {
            g: s for g, s in a.box.items() if g != f
        } != {g: s for g, s in b.box.items() if g != f}:
            return None
        if a.slot > b.slot:
            a, b = b, a
        keep, gone = a, b
        if self.first_match and self._between_blocks(a, b, b.box, a.action):
            if self._between_blocks(a, b, a.box, a.action):
                return None
            keep, gone = b, a  # the merged rule takes the later place
        union = a.box[f] | b.box[f]
        match = self._new_match(a, f, union)  # a's conditions, whichever place it takes
        if match is None:
            return None
        self._absorb(keep, [gone], f, union, match)
        return keep

    # -- the plan ---------------------------------------------------------------------------

    def _plan(self) -> Plan:
        before = self.count
        self._start()
        self._hinted = self._hints is not None and self._hints.fit(
            [r.base for r in self._snapshot])
        if self._hinted and self._witnessing and self._hints is not None:
            self._seed(self._hints)  # what the check proved, as proofs
        if self.include_shadowed:
            self._remove_never_deciding()
            if not self.removed and self.reuse is not None:  # the --include-redundant plan
                return replace(self.reuse, include_shadowed=True)
            self._thinned()
        if self.include_redundant:
            # this pass asks every rule after the never-deciding removals: they need no re-asking
            self._touched = []
            self._remove_redundant()
            if not self.removed and self.reuse is not None and not self.include_shadowed:
                return replace(self.reuse, include_redundant=True)  # the merge-only plan
            self._thinned()
        merged = self._merge_rounds()
        if self.include_redundant:
            self._to_fixpoint(merged)
        groups = []
        for r in sorted(self.rules, key=lambda r: r.order):
            if r.alive and len(r.members) > 1:
                r.members.sort(key=lambda m: (m.rule.priority, m.pos))
                groups.append(MergeGroup(r.base, r.members, r.fields, merged_rule(r, self.rs)))
        if self.named:
            self._name_takers()
        return Plan(
            self.rs, before, groups, self.removed, self.target, self.include_redundant,
            self.include_shadowed,
        )

    def _thinned(self) -> None:
        """After a removal pass that removed many rules (the rules that never decide), index
        the rules that are left (``_start``): the questions that follow (the removals, the
        merge windows) no longer step over the removed ones. Their answers are the same (they
        are about the live rules), so is the plan; the hints' places then no longer fit, but
        with so many rules removed ``_kept`` no longer uses them either."""
        if (len(self._snapshot) - len(self.rules)) * 8 > len(self._snapshot):
            self._start()

    def _merge_rounds(self) -> bool:
        """Merge rounds until one merges nothing (or the budget is met); whether any did."""
        merged = False
        self._hinted = False  # a merge grows rules: the hints are about the rules before it
        for _ in range(MAX_ROUNDS):
            if self._done() or not self._round():
                break
            merged = True
        return merged

    def _to_fixpoint(self, merged: bool) -> None:
        """Removals and merges until neither finds more. One pass of each is not always the
        end (a second ``suggest-merge`` on the output would find more): a merged rule may
        cover a rule that was needed before (or be covered itself), a removal may let two
        rules merge that a rule between them kept apart, and removing an earlier rule may
        make a later one redundant (the pass runs latest first). Each pass indexes the rules
        as they are now (``_start``): the plan so far is a rule list like any other. The
        merge rounds run until one merges nothing, so a removal pass that finds nothing new
        ends it; ``MAX_FIXPOINT`` bounds the passes (decisions stay exact either way).

        A pass asks only the rules that meet a rule removed or grown since the previous pass
        began (``_touched``): whether a rule is removable depends only on the live rules that
        meet it, so every other rule would answer as it did. Of those, it skips the rules
        whose proof that they stay still holds (``Proof``)."""
        if not merged and not self.removed:
            return  # one pass of each found nothing: that is the fixpoint
        for _ in range(MAX_FIXPOINT):
            if self._done():
                return
            self._start()
            only = self._affected()
            removed = len(self.removed)
            if self.include_shadowed:
                self._remove_never_deciding(only)
            self._remove_redundant(only)
            if len(self.removed) == removed:
                return
            self._merge_rounds()

    def _affected(self) -> set[int] | None:
        """Positions of the rules that meet a touched box (None: ask them all, when that is
        most of the list anyway; the look-up stops once it has seen as many as there are)."""
        touched, self._touched = self._touched, []
        budget = len(self._snapshot)
        if len(touched) * 8 > budget:
            return None  # each look-up lists its candidates: many boxes cost more than asking all
        only: set[int] = set()
        for box in touched:
            for k in self._index.iter_candidates(box):
                only.add(k)
                budget -= 1
                if budget < 0:
                    return None
        return only

    def plan(self) -> Plan:
        with paused_gc():
            return self._plan_for_target()

    def _plan_for_target(self) -> Plan:
        """The plan. With a target: plan without it; when that frees more than needed, plan
        again with the budget (the same steps, up to the one that reaches the target, which
        is taken in part). The budget never frees more than needed; should it ever fall
        short of a target the plan without it reaches, that plan is returned instead."""
        target = self.target
        if target is None:
            return self._plan()
        before = self.count
        if target >= before:
            return Plan(
                self.rs, before, [], [], target, self.include_redundant, self.include_shadowed
            )
        full = Planner(
            self.rs, self.keys, self.include_redundant, include_shadowed=self.include_shadowed,
            merge_keys=self._merge_keys,
        )._plan()
        full.target = target
        if full.after >= target:
            return full
        self.limit = target
        budgeted = self._plan()
        return budgeted if budgeted.after == target else full


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
    index: tuple[list[RuleEntry], OverlapIndex] | None = None,
    include_shadowed: bool = False,
) -> Plan:
    """The merge plan. ``index``: the live rules in evaluation order and their
    ``OverlapIndex``, when the caller already built them (the check's passes share one).
    ``include_shadowed`` implies ``include_redundant``."""
    return Planner(rs, tuple(keys), include_redundant, target, index, include_shadowed).plan()


FLAGS = ("merge", "include_redundant", "include_shadowed")


def plan_all(
    rs: RuleSet,
    keys: tuple[str, ...] | list[str] = DEFAULT_KEYS,
    index: tuple[list[RuleEntry], OverlapIndex] | None = None,
    hints: RemovalHints | None = None,
    named: bool | str = True,
) -> dict[str, Plan]:
    """The plans of ``suggest-merge`` with no flag, ``--include-redundant`` and
    ``--include-shadowed`` (no target), keyed as ``FLAGS``: what ``check`` reports as
    ``frees``, at every size. The planner is deterministic, so a plan whose removal step
    removes nothing is the plan before it (returned without planning the merges again).
    ``hints``: what the check's overlap analysis proved about the same rules (the plans are
    the same without them, only faster: at 100k the two removal plans cost about as much as
    the merge plan each with them, see BENCHMARKS.md). ``named``: False when only the
    numbers and the removed rules are wanted (``check``): the removals then carry no reason
    and no takers, which is where a removal plan without hints spends most of its time. A
    flag of ``FLAGS`` (``suggest-merge``, which prints that plan and counts the others): the
    plans up to that one are named (a plan may be the one before it, see ``reuse``)."""
    keys = tuple(keys)
    names = {f: named if isinstance(named, bool) else FLAGS.index(f) <= FLAGS.index(named)
             for f in FLAGS}
    blockers: dict[tuple[int, int, int], RuleEntry] = {}  # shared: see ``Planner``
    first = Planner(rs, keys, index=index, named=names["merge"], blockers=blockers)
    mk = first._merge_keys  # the same for every plan: built once
    merge = first.plan()
    del first  # one planner's rules and memory at a time (peak RSS at 100k)
    redundant = Planner(rs, keys, True, index=index, reuse=merge, merge_keys=mk, hints=hints,
                        named=names["include_redundant"], blockers=blockers).plan()
    shadowed = Planner(rs, keys, True, index=index, include_shadowed=True, reuse=redundant,
                       merge_keys=mk, hints=hints, named=names["include_shadowed"],
                       blockers=blockers).plan()
    return {"merge": merge, "include_redundant": redundant, "include_shadowed": shadowed}


def _names(ids: list[str], most: int = 5) -> str:
    """``a, b, c, d, e and 2 more``: the first ``most`` of ``ids`` (each once)."""
    ids = list(dict.fromkeys(ids))
    shown = ", ".join(ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _reason(r: PlanRule, kind: str, rules: list[PlanRule], entries: list[RuleEntry]) -> str:
    """The reason a removal gives, naming the rules that take its events in the plan."""
    if kind == "never":
        return never_reason(r.base, entries)
    names = _names([e.id for e in entries])
    if kind == "redundant-never":
        side = "earlier " if all(x.order < r.order for x in rules) else ""
        verb = "takes" if len(entries) == 1 else "take"
        return f"never decides ({side}rule{'s' if len(entries) != 1 else ''} {names} {verb} all of it)"
    side = "later " if all(x.order > r.order for x in rules) else ""
    return f"{side}rule(s) {names} decide the same"


def never_reason(r: RuleEntry, takers: list[RuleEntry]) -> str:
    """Why a rule that never decides goes: the rules (in order) that take its events, with
    their action when it is not the rule's own."""
    def name(t: RuleEntry) -> str:
        act = "" if t.action == r.action else f", {t.action}"
        return f"{t.id} (line {t.id_line or t.line}{act})" if t.file == r.file else (
            f"{t.id} ({t.file}:{t.id_line or t.line}{act})"
        )

    verb = "takes" if len(takers) == 1 else "take"
    return f"never decides: {_names([name(t) for t in takers])} {verb} all of it"
