"""RL301 redundant, RL302 shadowed, RL303 ambiguous-overlap, RL304 match-all.

Exact coverage by the union of other rules (not just one), computed on boxes with the set
algebra, on candidates from the index only (ARCHITECTURE.md explains why this is exact):

first-match
  * R never decides when the earlier rules on a subset of its fields cover it. Then the
    earlier rules with another action, up to the one by which R is covered, are asked in
    order whether they take part of R (what is left of R & E after the rules before E);
    a witness event checked with the reference evaluator makes it RL302; proof that none
    takes anything makes it RL301; anything in between says nothing.
  * R decides something: its events without other fields must fall, in order, to later
    rules on its fields with its action (by position t), and no rule between R and t with
    another action may take any of R's events once R is gone (RL301, "removal changes
    nothing").
any-match
  * R is redundant when the other rules with its action cover it.

The covering rules named in a message are a small set that really covers R: greedily
ranked by how much of R they take, then pruned while coverage still holds, keeping one
rule with another action when there is one. Rules with an opaque glob are handled soundly:
covering rules contribute only what they surely match (``under``), a covered rule is taken
at its over-approximation (``box``), and witnesses are checked against real matching.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from rulelint.algebra.boxops import cut, point_set
from rulelint.algebra.decided import Sweep, sweep
from rulelint.algebra.index import OverlapIndex
from rulelint.algebra.sets import (
    StrSet,
    box_intersect,
    box_measure,
    box_meets,
    box_point,
    box_subset,
    box_subtract,
    cannot_cover,
    covers,
    subtract_union,
    values_of,
)
from rulelint.consolidate.redundant import RemovalHints
from rulelint.evaluate import first_match, rule_matches
from rulelint.load.boxes import witness_event
from rulelint.load.project import RuleEntry, RuleSet
from rulelint.passes import Pass, live_index
from rulelint.report.findings import Finding, LazyContent

MAX_PIECES = 2048  # fragments of a rule we are willing to track before giving up (sound)
OPS_BUDGET = 4_000  # box operations per rule before the analysis of that rule gives up (sound)
MAX_PROBES = 64  # rules with another action examined per question before giving up (sound)
MAX_COVERERS = 1024  # rules that could cover one box before the analysis of a rule gives up
QUICK_POINTS = 8  # rules (and points per rule) tried by evaluation before the exact walk
SINGLE_SCAN = 512  # earlier rules read for one that covers a dead rule alone (naming only)
NEAR_SCAN = 64  # an order window this short is scanned rule by rule, not asked of the index


class _TooComplex(Exception):
    pass


class _Budget:
    __slots__ = ("left",)

    def __init__(self, ops: int) -> None:
        self.left = ops

    def spend(self, ops: int) -> None:
        self.left -= ops
        if self.left < 0:
            raise _TooComplex


def _subtract_all(pieces: list[dict], other: dict, domains) -> tuple[list[dict], list[dict]]:
    """(remaining, taken) after removing ``other`` from every piece."""
    remaining: list[dict] = []
    taken: list[dict] = []
    for p in pieces:
        inter = box_intersect(p, other, domains)
        if inter is None:
            remaining.append(p)
            continue
        taken.append(inter)
        remaining.extend(box_subtract(p, other, domains))
    if len(remaining) > MAX_PIECES:
        raise _TooComplex
    return remaining, taken


def _names(rules: list[RuleEntry], r: RuleEntry) -> str:
    parts = []
    for c in rules:
        parts.append(f"{c.id!r} ({c.where(r.file)})")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def small_cover(
    target: dict,
    rules: list[RuleEntry],
    domains,
    keep_action: str | None = None,
    keep: RuleEntry | None = None,
) -> list[RuleEntry]:
    """A small subset of ``rules`` whose sure parts still cover ``target``.

    Ranked by how much of the target each takes; then each rule is dropped, smallest first,
    when the rest still cover. If ``keep_action`` is given, at least one rule whose action
    differs from it is kept; ``keep`` is never dropped."""
    quick = _single_cover(target, rules, domains, keep_action, keep)
    if quick is not None:
        return quick
    sized = []
    for r in rules:
        inter = box_intersect(target, r.under, domains) if r.under is not None else None
        if inter is not None:
            sized.append((box_measure(inter, domains), r))
    sized.sort(key=lambda t: -t[0])
    chosen = _greedy_cover(target, [r for _, r in sized], domains, keep_action, keep)
    if len(chosen) > 64:
        return chosen
    for _, r in reversed(sized):
        if r is keep or not any(c is r for c in chosen):
            continue
        rest = [c for c in chosen if c is not r]
        if not rest:
            continue
        if keep_action is not None and r.action != keep_action and not any(
            c.action != keep_action for c in rest
        ):
            continue
        ok, _ = covers(target, [c.under for c in rest], domains)
        if ok:
            chosen = rest
    order = {id(r): i for i, r in enumerate(rules)}
    return sorted(chosen, key=lambda c: order[id(c)])


def _greedy_cover(target, ranked, domains, keep_action, keep) -> list[RuleEntry]:
    """The rules, largest first (``keep`` before all), that each take some of what the
    earlier ones left of ``target``, until nothing is left: the few that the exact
    minimisation in ``small_cover`` then prunes. All of ``ranked`` when they do not cover."""
    order = sorted(ranked, key=lambda r: r is not keep)
    pieces = [target]
    chosen: list[RuleEntry] = []
    for r in order:
        if not any(box_meets(p, r.under) for p in pieces):
            continue
        pieces, _ = cut(pieces, r.under, domains)
        chosen.append(r)
        if not pieces:
            break
    if pieces:
        return ranked
    if keep_action is not None and not any(c.action != keep_action for c in chosen):
        other = next((r for r in ranked if r.action != keep_action), None)
        if other is not None:
            chosen.append(other)
    return chosen


def _single_cover(target, rules, domains, keep_action, keep) -> list[RuleEntry] | None:
    """``small_cover`` when one rule covers the target alone (the common case: a copy, a
    narrower rule below a wider one): the earliest such rule, with ``keep``, or None when
    no single rule does (or the action constraint asks for more)."""
    single = None
    for r in rules:
        if r.under is None or not box_subset(target, r.under, domains):
            continue
        if keep is not None:
            if r is keep:
                return [keep]
            if single is None:
                single = r
        elif keep_action is None or r.action != keep_action:
            return [r]
    if single is None or keep is None:
        return None
    return sorted([single, keep], key=lambda c: c.order)


class _Analysis:
    """One ruleset's live rules in evaluation order, their index, and the questions the
    checks ask of them. Positions are indices into ``live``.

    Coverage questions ("is box B inside the union of these rules?") only look at rules on
    a subset of B's fields (``within=``): B holds events that lack every other field, and a
    rule testing another field never matches those, while a rule on a subset of B's fields
    matches B's events whatever else they carry. A point of what is left, with every other
    field absent, is then a real witness. That keeps the box algebra to the few rules that
    can matter, even when thousands of rules on other fields meet B."""

    def __init__(self, rs: RuleSet, live: list[RuleEntry], index: OverlapIndex) -> None:
        self.rs = rs
        self.live = live
        self.index = index
        self.domains = rs.domains
        self.index_of = {id(r): i for i, r in enumerate(live)}
        # (rule, codes) whose question a limit left open: summary.incomplete
        self.incomplete: list[tuple[RuleEntry, str]] = []
        self.sweep: Sweep | None = None  # the decided-so-far walk, once it has run
        # positions proven kept by --include-redundant (RemovalHints): removing the rule
        # changes a decision; it never decides and another action decides some of its events
        self.needed: set[int] = set()
        self.shadowed: set[int] = set()
        self.deciding: set[int] = set()  # rules of given-up tries the index showed decide
        self.never: set[int] = set()  # rules of given-up tries the index showed decide nothing
        self.own: set[int] = set()  # rules that decide nothing, only their action deciding
        # their events (RL301, settled)

    def hints(self) -> RemovalHints | None:
        """What the walk and the questions proved, for the planner's first removal passes;
        None when a glob makes a rule's box an over-approximation (then the planner asks)."""
        sw = self.sweep
        if sw is None or not all(r.exact for r in self.live):
            return None
        unknown = sw.unknown
        deciding = frozenset(
            p for p, dead in enumerate(sw.dead) if not dead and p not in unknown
        ) | self.deciding
        never = frozenset(
            p for p, dead in enumerate(sw.dead) if dead and p not in unknown
        ) | self.never
        return RemovalHints(
            self.live, deciding, frozenset(self.needed), frozenset(self.shadowed), never,
            frozenset(self.own), sw.seconds)

    def around(self, box: dict, p: int) -> tuple[list[int], list[int]]:
        """Index candidates on a subset of ``box``'s fields before and after position p,
        from one query: the main loop needs the earlier ones, the removal check the later."""
        got = self.index.candidates(box, within=box.keys())
        k = bisect_left(got, p)
        after = got[k + 1 :] if k < len(got) and got[k] == p else got[k:]  # r itself: skipped
        return got[:k], after

    def coverers(
        self, box: dict, hi: int, lo: int = -1, skip: RuleEntry | None = None,
        cands: Iterable[int] | None = None,
    ):
        """Rules at positions in (lo, hi), on a subset of ``box``'s fields, with a sure
        part that meets ``box``: the only rules that can help cover it. ``cands``: the
        index's candidates for exactly that question, when already known."""
        live = self.live
        out = []
        if cands is None:
            cands = self.index.iter_candidates(box, lo, hi, within=box.keys())
        for i in cands:
            e = live[i]
            if e is skip or e.under is None:
                continue
            if box_meets(box, e.under):
                out.append(e)
                if len(out) > MAX_COVERERS:
                    raise _TooComplex
        return out

    def remainder(self, box: dict, rules: list[RuleEntry], budget: _Budget) -> list[dict]:
        """``box`` minus the union of the rules' sure parts, as disjoint boxes."""
        try:
            pieces = subtract_union(
                box, [e.under for e in rules], self.domains, MAX_PIECES, budget.left
            )
        except ValueError:
            raise _TooComplex from None
        budget.spend(len(rules))
        return pieces

    def probe(self, box: dict) -> dict | None:
        """A sub-box of ``box`` to try first: a field where it allows infinitely many
        strings (a ``not_in`` customer list, a prefix) narrowed to one value no rule lists.
        Few rules can meet it (only those that do not list values there), so when they do
        not cover it, ``box`` is not covered either (it holds the probe), and the thousands
        of rules that list values need not be met at all."""
        for f, s in box.items():
            s = values_of(s)
            if not isinstance(s, StrSet) or s.is_finite():
                continue
            w = s.witness()
            for v in (w, w + "\x00", w + "\x00\x00"):
                if s.member(v) and not self.index.mentions(f, v):
                    return {**box, f: StrSet.values([v])}
        return None

    def left(
        self, box: dict, hi: int, budget: _Budget, skip: RuleEntry | None = None,
        probe: bool = True,
    ):
        """Some of ``box`` that no rule before position ``hi`` (but ``skip``) takes, as
        disjoint pieces; empty when those rules take all of it. The probe is tried first
        (unless ``probe`` is false: a glob needs room for its witness), so a box that
        thousands of rules meet is usually settled by a few."""
        q = self.probe(box) if probe else None
        if q is not None:
            few = self.coverers(q, hi, skip=skip)
            rem = self.remainder(q, few, budget)
            if rem:
                return rem
            if self.covered(box, few, budget):
                return []  # the few rules that take the probe take all of it
        return self.remainder(box, self.coverers(box, hi, skip=skip), budget)

    def covered(self, box: dict, rules: list[RuleEntry], budget: _Budget) -> bool:
        """Whether the rules' sure parts cover ``box`` (a cheap disproof first)."""
        if not rules or cannot_cover(box, [e.under for e in rules], self.domains):
            return False
        return not self.remainder(box, rules, budget)

    def covered_at(self, box: dict, rules: list[RuleEntry], pos: dict, budget: _Budget) -> int:
        """The position of the rule, in evaluation order, by which ``rules`` have taken
        all of ``box`` (they are known to cover it): a binary search over prefixes."""
        ranked = sorted(rules, key=lambda e: pos[id(e)])
        if len(ranked) > 32:
            return pos[id(ranked[-1])]  # a bound is enough (later rules only cost a look)
        lo, hi = 0, len(ranked)  # ranked[:hi] covers; find the shortest such prefix
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if self.remainder(box, ranked[:mid], budget):
                lo = mid
            else:
                hi = mid
        return pos[id(ranked[hi - 1])]

    def decider(self, w: dict, hi: int | None = None) -> RuleEntry | None:
        """The rule that decides event ``w``: the first live rule that really matches it
        (looked for before position ``hi`` only, when some rule there is known to match)."""
        i = first_match(self.live, self.index, w, hi, self.domains)
        return self.live[i] if i >= 0 else None

    def witness(self, piece: dict, rules: list[RuleEntry]) -> dict | None:
        """An event in ``piece`` (other fields absent) that every rule of ``rules`` really
        matches, or None."""
        w = witness_event(piece, self.domains, rules, set(piece))
        if w is None or not all(rule_matches(r, w, self.domains) for r in rules):
            return None
        return w


def analyse_first_match(a: _Analysis, enabled):
    """One walk in evaluation order (``algebra/decided.py``) says exactly which rules never
    decide, which rules decide their events on their own fields, and which later rules would
    take the events a rule decides once it is gone. Only the questions about rules on other
    fields (an event may carry more fields than a rule tests) go to the index walks below;
    when a limit stops one of those, the rule is still reported as far as it is known and is
    listed in ``summary.incomplete``."""
    live = a.live
    pos = a.index_of
    sw = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
               a.domains)
    a.sweep = sw
    windows = _same_priority_windows(live) if enabled("RL303") else None
    for p, r in enumerate(live):
        if windows is not None and windows[p] is not None:
            yield from _ambiguous(a, r, windows[p], pos)
        if p in sw.unknown:
            yield from _by_index(a, r, p, pos, enabled)
        elif sw.dead[p]:
            yield from _never_decides(a, r, p, sw.firsts[p], sw.other.get(p), pos, walked=True)
        elif r.exact and enabled("RL301"):
            catchers = sw.seconds.get(p)
            if catchers is None or any(
                live[c].action != r.action or not live[c].exact for c in catchers
            ):
                if p in sw.seconds:
                    a.needed.add(p)  # (a glob among them: ``hints`` gives none)
                continue  # some event r decides would go to another action, or to none
            yield from _removal_changes_nothing(a, r, p, sw.firsts.get(p, ()), sorted(catchers))


def _by_index(a: _Analysis, r: RuleEntry, p: int, pos, enabled):
    """Rule r's questions asked of the index, rule by rule, within the limits (its trie was
    given up): whether r never decides, then the same questions as for the others. A limit
    that stops one leaves r in ``a.incomplete``."""
    budget = _Budget(OPS_BUDGET)
    after_q = after = None
    try:
        q = a.probe(r.box)
        few = None
        if q is not None:
            before_q, after_q = a.around(q, p)
            few = a.coverers(q, p, cands=before_q)
        if few is not None and not a.covered(q, few, budget):
            cov, dead = None, False  # see probe: no need to meet every rule
        elif few is not None and a.covered(r.box, few, budget):
            cov, dead = few, True  # the few rules that hold the probe cover it all
        else:
            before, after = a.around(r.box, p)
            cov = a.coverers(r.box, p, cands=before)
            dead = a.covered(r.box, cov, budget)
    except _TooComplex:
        a.incomplete.extend([(r, "RL301"), (r, "RL302")])
        return
    if dead:
        a.never.add(p)
        firsts = {pos[id(c)] for c in cov}
        yield from _never_decides(a, r, p, firsts, None, pos)
        return
    a.deciding.add(p)  # the earlier rules leave some of it: r decides those events
    if r.exact and enabled("RL301"):
        yield from _removal_by_index(a, r, p, cov, budget, q, few, after_q, after)


def _never_decides(a: _Analysis, r: RuleEntry, p: int, firsts, got, pos, walked=False):
    """Earlier rules take all of r (the walk says which ones, on r's fields; ``walked``: the
    rules that decide its events, else rules that cover it). RL302 when a rule with another
    action really decides one of its events (a witness checked by evaluation), RL301 when
    provably none does. When the rules on other fields cannot be settled within the limits,
    r is reported as RL301 (it never decides: deleting it changes nothing) and listed as
    incomplete for RL302."""
    live, dom = a.live, a.domains
    cov = [live[q] for q in sorted(firsts)]
    alone = None  # the earliest rule that covers r alone, if one is found (``small_cover``'s)
    if len(cov) > 1:  # an earlier rule that covers r alone reads best, even if not first
        alone = _covers_alone(a, r, p, cov if walked else None)
        if alone is not None and alone not in cov:
            cov.append(alone)
            cov.sort(key=lambda c: pos[id(c)])
    budget = _Budget(OPS_BUDGET)
    witness = decider = None
    if got is not None:
        d, ev = got
        if rule_matches(r, ev, dom) and a.decider(ev, d + 1) is live[d]:
            witness, decider = ev, live[d]
        else:  # a glob: the cell's first value may miss it; ask for a real event
            inter = box_intersect(r.box, live[d].box, dom)
            try:  # what the rules before the decider leave of r & decider
                rem = a.left(inter, d, _Budget(OPS_BUDGET), probe=False) if inter else []
            except _TooComplex:
                rem = []
            witness, decider = _shown(a, r, live[d], d, rem)
            if witness is None:  # another action may decide, but no event shows it
                a.incomplete.extend([(r, "RL301"), (r, "RL302")])
                return
    unsure = False
    if witness is None:
        witness, decider, unsure = _decided_elsewhere(a, r, p, cov, pos, budget)
    if witness is not None:
        if alone is not None:  # what small_cover gives, without reading every rule of cov
            takes_all = decider.under is not None and box_subset(r.box, decider.under, dom)
            cover = [decider] if takes_all else sorted([alone, decider], key=lambda c: c.order)
        else:
            rules = list(cov)
            if decider not in rules:
                rules.append(decider)
            cover = small_cover(r.box, rules, dom, keep_action=r.action, keep=decider)
        if decider not in cover:
            cover.append(decider)
        cover.sort(key=lambda c: pos[id(c)])
        acts = sorted({c.action for c in cover if c.action != r.action})
        a.shadowed.add(p)
        yield Finding(
            "RL302",
            f"rule {r.id!r} ({r.action!r}) never decides: {_names(cover, r)} "
            f"{'come' if len(cover) > 1 else 'comes'} first and cover{'' if len(cover) > 1 else 's'} "
            f"all of it, with action {', '.join(repr(x) for x in acts)}. "
            "Delete it, or give it a lower priority number if it should win",
            r.file, r.id_line or r.line, ruleset=a.rs.name,
            rule_ids=[r.id] + [c.id for c in cover], witness=witness,
            related=[c.location() for c in cover],
            content_key=LazyContent(r, *cover),
        )
        return
    same = [c for c in cov if c.action == r.action]
    if unsure:
        a.incomplete.append((r, "RL302"))
    else:
        a.own.add(p)
    if alone is not None and alone.action == r.action:
        cover = [alone]  # small_cover's answer: the earliest rule that covers r alone
    else:
        cover = small_cover(r.box, same, dom) if same else cov
    tail = (
        "; whether some event with more fields goes to another action first was not settled "
        "within the limits (summary.incomplete)" if unsure else ""
    )
    yield Finding(
        "RL301",
        f"rule {r.id!r} never decides: {_names(cover, r)} "
        f"{'come' if len(cover) > 1 else 'comes'} first, cover{'' if len(cover) > 1 else 's'} "
        f"all of it and take{'' if len(cover) > 1 else 's'} the same action {r.action!r}{tail}; "
        "delete it to free a slot",
        r.file, r.id_line or r.line, ruleset=a.rs.name,
        rule_ids=[r.id] + [c.id for c in cover], related=[c.location() for c in cover],
        content_key=LazyContent(r, *cover),
    )


def _covers_alone(a: _Analysis, r: RuleEntry, p: int, deciders=None) -> RuleEntry | None:
    """The earliest of the first ``SINGLE_SCAN`` earlier rules on r's fields that hold a
    point of r and cover r alone, or None (a message names one rule when one will do).
    A rule that covers r holds each of its points, so the rules that hold one point are
    the only candidates: far fewer than those that meet r's box.

    ``deciders`` (in order): the rules that decide r's events, when the walk named them. A
    rule e that covers r alone matches every event of r, so no rule after e decides one:
    e is the last of them or later. So the last of them is the answer when it covers r
    alone, and otherwise only the rules after it are read. Either way the answer is the
    earliest rule that covers r alone, if it is found."""
    dom = a.domains
    lo = -1
    if deciders is not None:
        e = deciders[-1]  # the only one of them that can
        if e.under is not None and box_subset(r.box, e.under, dom):
            return e
        lo = a.index_of[id(e)]
    try:
        pt = box_point(r.box, dom)
    except ValueError:
        pt = {}
    where: dict = r.box
    if pt.keys() == r.box.keys():
        where = {f: point_set(dom[f], v) for f, v in pt.items()}
    for k, i in enumerate(a.index.iter_candidates(where, lo=lo, hi=p, within=r.box.keys())):
        if k >= SINGLE_SCAN:
            return None
        e = a.live[i]
        if e.under is not None and box_subset(r.box, e.under, a.domains):
            return e
    return None


def _decided_elsewhere(a: _Analysis, r: RuleEntry, p: int, cov, pos, budget: _Budget):
    """(witness, decider, unsure): does a rule with another action decide an event of r that
    carries more fields than r tests (or one that a glob's unknown part may take)? On r's own
    fields the rules ``cov`` decide everything, with r's action. Only rules before the last
    of ``cov`` can decide r's events."""
    t = max(pos[id(c)] for c in cov)
    same = list(cov)
    met = _meeting_others(a, r, _may_take(a, p, a.index.iter_candidates(r.box, hi=t + 1)))
    head: list = []
    for m in met:  # points first: the usual RL302, without working out what earlier rules take
        head.append(m)
        if m is None or len(head) > QUICK_POINTS:
            break
        i, e, inter = m
        witness, decider = _shown(a, r, e, i, _points(a, inter, same))
        if witness is not None:
            return witness, decider, False
    for m in chain(head, met):
        if m is None:
            return None, None, True
        i, e, inter = m
        try:
            rem = a.left(inter, i, budget, probe=r.exact and e.exact)
        except _TooComplex:
            return None, None, True
        if not rem:
            continue  # the rules before e take all of r that e could
        witness, decider = _shown(a, r, e, i, rem)
        if witness is not None:
            return witness, decider, False
        return None, None, True  # e may take some of r, but no real event shows it
    return None, None, False


def _shown(a: _Analysis, r: RuleEntry, e: RuleEntry, i: int, boxes: Iterable[dict]):
    """(event, decider) for the first box holding an event that r and e (at position i)
    really match and that a rule with another action than r decides (by evaluation; only
    rules up to e can); (None, None) when none does."""
    for box in boxes:
        w = a.witness(box, [r, e])
        d = a.decider(w, i + 1) if w is not None else None
        if d is not None and d.action != r.action:
            return w, d
    return None, None


def _points(a: _Analysis, inter: dict, same: list[RuleEntry]) -> Iterator[dict]:
    """Sub-boxes of ``inter`` whose witness is worth evaluating: first one with a value no
    rule lists where a field allows infinitely many strings (it dodges the rules of single
    customers), then, on such a field, the values that the rules ``same`` leave out (a
    ``not_in`` list: the events they let through to later rules)."""
    yield a.probe(inter) or inter
    n = 0
    for f, s in inter.items():
        s = values_of(s)
        if not isinstance(s, StrSet) or s.is_finite():
            continue
        for c in same:
            c_set = values_of(c.box[f]) if f in c.box else None
            if not isinstance(c_set, StrSet) or c_set.is_finite():
                continue
            for v in sorted((~c_set).finite_values() or ()):
                if s.member(v):
                    yield {**inter, f: StrSet.values([v])}
                    n += 1
                    if n >= QUICK_POINTS:
                        return


def _may_take(a: _Analysis, p: int, positions: Iterable[int]) -> Iterator[int]:
    """The rules at ``positions`` that could decide an event once the rule at ``p`` is gone
    (-1: none is). A rule the walk found dead, none of whose events the rule at ``p``
    decides, never can: every event it matches, with any fields, is matched by an earlier
    rule on a subset of its fields other than that one (``Sweep.firsts`` names all of them).
    So the probe limit counts only rules that can decide. A rule whose trie was given up is
    kept."""
    sw = a.sweep
    if sw is None:
        yield from positions
        return
    dead, firsts, unknown = sw.dead, sw.firsts, sw.unknown
    for i in positions:
        if dead[i] and i not in unknown and p not in firsts.get(i, ()):
            continue
        yield i


def _meeting_others(a: _Analysis, r: RuleEntry, positions: Iterable[int]):
    """(position, rule, r & rule) for the rules at ``positions`` with another action than r
    that meet it, in order; then None, and no more, once there are more than MAX_PROBES of
    them (the question is left open beyond that: sound)."""
    n = 0
    for i in positions:
        e = a.live[i]
        if e.action == r.action or not box_meets(r.box, e.box):
            continue
        n += 1
        if n > MAX_PROBES:
            yield None
            return
        yield i, e, box_intersect(r.box, e.box, a.domains)


def _removal_changes_nothing(
    a: _Analysis, r: RuleEntry, p: int, earlier: Iterable[int], catchers: list[int],
):
    """r decides some events; on r's own fields the later rules ``catchers`` (r's action,
    exact) would take every one of them once r is gone (the walk says so). Events with more
    fields could still meet a rule with another action between r and the last catcher first:
    only when none takes any of r's events is r redundant (RL301)."""
    live = a.live
    t = catchers[-1]
    budget = _Budget(OPS_BUDGET)
    between = range(p + 1, t) if t - p <= NEAR_SCAN else a.index.iter_candidates(r.box, lo=p, hi=t)
    for met in _meeting_others(a, r, _may_take(a, p, between)):
        if met is None:
            a.incomplete.append((r, "RL301"))
            return
        i, _, inter = met
        try:
            if a.left(inter, i, budget, skip=r):
                a.needed.add(p)
                return  # x takes some of r's events once r is gone
        except _TooComplex:
            a.incomplete.append((r, "RL301"))
            return
    after = [live[c] for c in catchers]
    # named: a small set that covers r, the earlier rules that decide the rest of it included
    named = small_cover(r.box, [live[e] for e in sorted(earlier)] + after, a.domains)
    if not any(c in after for c in named):
        named = named + after[:1]
    named.sort(key=lambda c: c.order)
    after = [c for c in named if c.order > r.order]
    yield Finding(
        "RL301",
        f"rule {r.id!r} is redundant: every event it decides would fall to "
        f"{_names(after, r)} with the same action {r.action!r}, and no rule in between "
        "decides differently; delete it to free a slot",
        r.file, r.id_line or r.line, ruleset=a.rs.name,
        rule_ids=[r.id] + [c.id for c in named], related=[c.location() for c in named],
        content_key=LazyContent(r, *named),
    )


def _removal_by_index(
    a: _Analysis, r: RuleEntry, p: int, cov, budget: _Budget, q: dict | None, few: list | None,
    after_q: list[int] | None = None, after: list[int] | None = None,
):
    """The removal question without the walk (for rules whose trie was given up, see
    ``algebra/decided.py``): without r, would every event it decides fall to a later rule
    with its action?

    The events it decides that carry no other field (r minus the earlier rules ``cov`` on
    its fields) must fall, in order, to later rules on r's fields with r's action: those
    ignore other fields, so once they have caught all of it by position t, every event r
    decides falls to some rule at or before t. Then no rule between r and t with another
    action may take any of r's events. ``q``: r's probe, ``few``: the earlier rules that can
    take some of it (see ``analyse_first_match``). ``after_q``, ``after``: the index's
    candidates after r for q and for r's box, when the caller has them."""
    live, dom = a.live, a.domains
    if q is not None and few is not None:
        # the probe's events must be taken by earlier rules or fall to later rules with
        # r's action (a necessary test that meets only the few rules that can hold it)
        try:
            if after_q is None:
                after_q = a.index.iter_candidates(q, lo=p, within=q.keys())
            takers = few + [
                lr for i in after_q if (lr := live[i]).action == r.action and lr.exact
            ]
            if not a.covered(q, takers, budget):
                a.needed.add(p)  # a probe event r decides falls to another action or none
                return
        except _TooComplex:
            a.incomplete.append((r, "RL301"))
            return
    try:
        if cov is None:
            before, after = a.around(r.box, p)
            cov = a.coverers(r.box, p, cands=before)
    except _TooComplex:
        a.incomplete.append((r, "RL301"))
        return
    if after is None:
        after = a.index.iter_candidates(r.box, lo=p, within=r.box.keys())
    later = (lr for i in after if box_meets(r.box, (lr := live[i]).box))
    head = list(islice(later, MAX_PROBES))
    if len(head) < MAX_PROBES:  # all of them: a cheap disproof before any subtraction
        same = [lr.box for lr in head if lr.action == r.action and lr.exact]
        if not same or cannot_cover(r.box, [e.under for e in cov] + same, dom):
            a.needed.add(p)  # some event r decides meets no later rule with its action
            return
    catchers: list[RuleEntry] = []
    t = None
    try:
        pieces = a.remainder(r.box, cov, budget)
        for lr in chain(head, later):
            if not any(box_meets(piece, lr.box) for piece in pieces):
                continue
            if lr.action != r.action or not lr.exact:
                a.needed.add(p)  # lr, the first to meet what is left, would take some
                return
            budget.spend(len(pieces))
            pieces, _ = _subtract_all(pieces, lr.box, dom)
            catchers.append(lr)
            if not pieces:
                t = a.index_of[id(lr)]
                break
    except _TooComplex:
        a.incomplete.append((r, "RL301"))
        return
    if t is None:
        a.needed.add(p)  # some of it falls to no rule
        return
    pos = a.index_of
    yield from _removal_changes_nothing(
        a, r, p, [pos[id(c)] for c in cov], [pos[id(c)] for c in catchers])


def _same_priority_windows(live: list[RuleEntry]) -> list[tuple[int, int] | None]:
    """For each position, the window (lo, hi) of earlier rules with the same priority in
    other files (evaluation order sorts by priority, then file, so that is one range), or
    None when there are none."""
    out: list[tuple[int, int] | None] = []
    block = file_start = 0
    for i, r in enumerate(live):
        if i and r.rule.priority != live[i - 1].rule.priority:
            block = file_start = i
        elif i and r.file != live[i - 1].file:
            file_start = i
        out.append((block - 1, file_start) if file_start > block else None)
    return out


def _ambiguous(a: _Analysis, r: RuleEntry, window: tuple[int, int], pos):
    """RL303: an earlier rule at the same priority in another file, another action, and an
    overlap that no rule before both of them takes: the file names decide."""
    live = a.live
    others = (
        i for i in a.index.iter_candidates(r.box, lo=window[0], hi=window[1])
        if live[i].file != r.file
    )
    for met in _meeting_others(a, r, _may_take(a, -1, others)):
        if met is None:
            return
        i, c, inter = met
        try:
            pieces = a.left(inter, i, _Budget(OPS_BUDGET), probe=r.exact and c.exact)
        except _TooComplex:
            continue
        for piece in pieces:
            w = a.witness(piece, [r, c])
            if w is None or a.decider(w) is not c:
                continue
            yield Finding(
                "RL303",
                f"rules {r.id!r} ({r.file}) and {c.id!r} ({c.file}) overlap with different "
                f"actions ({r.action!r} vs {c.action!r}) at the same priority {r.rule.priority}; "
                f"{c.id!r} wins only because {c.file} sorts first. Set priorities to say which "
                "one should decide",
                r.file, r.id_line or r.line, ruleset=a.rs.name, rule_ids=[r.id, c.id], witness=w,
                related=[c.location()], content_key=LazyContent(r, c),
            )
            break


def analyse_any_match(a: _Analysis):
    live, dom = a.live, a.domains
    for r in live:
        try:
            same = [e for e in a.coverers(r.box, len(live), skip=r) if e.action == r.action]
            if not same or not a.covered(r.box, same, _Budget(OPS_BUDGET)):
                continue
        except _TooComplex:
            a.incomplete.append((r, "RL301"))
            continue
        cover = small_cover(r.box, same, dom)
        yield Finding(
            "RL301",
            f"rule {r.id!r} is redundant: {_names(cover, r)} already "
            f"appl{'y' if len(cover) > 1 else 'ies'} action {r.action!r} to every event it "
            "matches; delete it to free a slot",
            r.file, r.id_line or r.line, ruleset=a.rs.name,
            rule_ids=[r.id] + [c.id for c in cover], related=[c.location() for c in cover],
            content_key=LazyContent(r, *cover),
        )


def _match_all_and_empty(rs: RuleSet, enabled) -> Iterator[Finding]:
    for r in rs.rules:
        if not (r.enabled and r.valid):
            continue
        if r.box is None and enabled("RL301"):
            empty = _empty_field(r, rs)
            yield Finding(
                "RL301",
                f"rule {r.id!r} matches no event: {empty}; delete it to free a slot",
                r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
                content_key=LazyContent(r),
            )
        elif r.box == {} and r.exact and enabled("RL304"):
            how = (
                "it has no conditions"
                if not r.conditions
                else f"its conditions on {', '.join(sorted(r.conditions))} allow every value"
            )
            yield Finding(
                "RL304",
                f"rule {r.id!r} matches every event ({how}); "
                + (
                    "every rule after it is dead"
                    if rs.semantics == "first-match"
                    else f"action {r.action!r} applies to everything"
                )
                + ". Add conditions, or suppress this if a catch-all is meant",
                r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
                content_key=LazyContent(r),
            )


def _empty_field(r: RuleEntry, rs: RuleSet) -> str:
    from rulelint.load.boxes import condition_sets

    for f, c in r.conditions.items():
        over, _ = condition_sets(c, rs.domains[f])
        if not over:
            return f"its condition on {f!r} allows no value of the field"
    return "its conditions exclude each other"


def check_ruleset(ctx, rs: RuleSet) -> Iterator[Finding]:
    enabled = ctx.enabled
    yield from _match_all_and_empty(rs, enabled)
    if not (enabled("RL301") or enabled("RL302") or enabled("RL303")):
        return
    live, index = live_index(ctx, rs)
    dup_partner = _duplicate_partners(rs)
    analysis = _Analysis(rs, live, index)
    if rs.semantics == "first-match":
        found = analyse_first_match(analysis, enabled)
    else:
        found = analyse_any_match(analysis)
    yield from _filtered(found, dup_partner)
    if rs.semantics == "first-match" and enabled("RL301") and enabled("RL302"):
        ctx.cache[("removal-hints", rs.name)] = analysis.hints()
    if analysis.incomplete:
        _report_incomplete(ctx, rs, analysis.incomplete)


def _report_incomplete(ctx, rs: RuleSet, open_: list[tuple[RuleEntry, str]]) -> None:
    """Unanswered questions become ``summary.incomplete`` entries (one per rule, with the
    codes left open) and one notice naming the count and the first few rules."""
    codes: dict[int, tuple[RuleEntry, list[str]]] = {}
    for r, c in open_:
        got = codes.setdefault(id(r), (r, []))
        if c not in got[1]:
            got[1].append(c)
    entries = ctx.cache.setdefault("incomplete", [])
    for r, cs in codes.values():
        entries.append({
            "ruleset": rs.name, "rule_id": r.id, "file": r.file, "line": r.id_line or r.line,
            "codes": cs,
        })
    rules = [r for r, _ in codes.values()]
    shown = ", ".join(repr(r.id) for r in rules[:5]) + (", ..." if len(rules) > 5 else "")
    ctx.cache.setdefault("notices", []).append(
        f"{rs.name}: {len(rules)} rule(s) whose analysis a limit stopped ({shown}); "
        f"{', '.join(sorted({c for _, cs in codes.values() for c in cs}))} may be missing for "
        "them (summary.incomplete in --format json lists them)"
    )


def _filtered(found, dup_partner) -> Iterator[Finding]:
    for f in found:
        # an exact duplicate is already reported as RL201/RL202 against the same rule
        if f.code in ("RL301", "RL302") and len(f.rule_ids) == 2:
            partner = dup_partner.get(f.rule_ids[0])
            if partner is not None and f.rule_ids[1] in partner:
                continue
        yield f


def _duplicate_partners(rs: RuleSet) -> dict[str, set[str]]:
    from rulelint.passes.duplicates import duplicate_groups

    out: dict[str, set[str]] = {}
    for g in duplicate_groups(rs):
        ids = {r.id for r in g}
        for r in g:
            out[r.id] = ids - {r.id}
    return out


def run(ctx) -> Iterator[Finding]:
    for rs in ctx.project.rulesets.values():
        yield from check_ruleset(ctx, rs)


PASS = Pass("overlap", ("RL301", "RL302", "RL303", "RL304"), run)

