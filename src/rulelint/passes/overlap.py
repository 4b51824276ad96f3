"""RL301 redundant, RL302 shadowed, RL303 ambiguous-overlap, RL304 match-all.

Exact coverage by the union of other rules (not just one), computed on boxes with the set
algebra, on candidates from the index only:

first-match
  * Walk the earlier rules that meet R in evaluation order, subtracting each from what is
    left of R. Nothing left: R never decides. If a rule with another action takes part of
    R (proven by a real witness event), R is shadowed (RL302), else redundant (RL301).
  * Something left: those are the events R decides. Walk the later rules the same way; if
    every such event falls to a later rule with R's action before any rule with another
    action, removing R changes no decision (RL301).
any-match
  * R is redundant when the other rules with its action cover it.

The covering rules named in a message are a small set that really covers R: greedily
ranked by how much of R they take, then pruned while coverage still holds, keeping one
rule with another action when there is one. Rules with an opaque glob are handled soundly:
covering rules contribute only what they surely match (``under``), a covered rule is taken
at its over-approximation (``box``), and witnesses are checked against real matching.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rulelint.boxes import witness_event
from rulelint.evaluate import rule_matches
from rulelint.findings import Finding
from rulelint.index import OverlapIndex
from rulelint.passes import Pass
from rulelint.project import RuleEntry, RuleSet
from rulelint.sets import box_intersect, box_measure, box_subtract, covers

MAX_PIECES = 2048  # fragments of a rule we are willing to track before giving up (sound)
OPS_BUDGET = 3_000  # box operations per rule before the analysis of that rule gives up (sound)


class _TooComplex(Exception):
    pass


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


def get_index(ctx, rs: RuleSet) -> tuple[list[RuleEntry], OverlapIndex]:
    """The live rules of a ruleset in evaluation order and their index (cached per run)."""
    key = ("overlap-index", rs.name)
    got = ctx.cache.get(key) if ctx is not None else None
    if got is None:
        live = rs.live_rules()
        got = (live, OverlapIndex([r.box for r in live]))
        if ctx is not None:
            ctx.cache[key] = got
    return got


def _fields(rules: list[RuleEntry]) -> set[str]:
    out: set[str] = set()
    for r in rules:
        out.update(r.conditions)
    return out


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
    sized = []
    for r in rules:
        inter = box_intersect(target, r.under, domains) if r.under is not None else None
        if inter is not None:
            sized.append((box_measure(inter, domains), r))
    sized.sort(key=lambda t: -t[0])
    chosen = [r for _, r in sized]
    if len(chosen) > 64:
        return chosen
    for _, r in reversed(sized):
        if r is keep:
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


def _first_match_decider(w: dict, candidates: list[RuleEntry], domains) -> RuleEntry | None:
    for c in candidates:
        if rule_matches(c, w, domains):
            return c
    return None


def _subset_fields(rules: list[RuleEntry], fields: set[str]) -> list[RuleEntry]:
    """Rules with a sure part whose conditions all name fields in ``fields``.

    Only these can cover a rule R with those fields: R holds events that lack every other
    field, and a rule that tests another field never matches those (a condition on a missing
    field does not hold); a rule that tests no other field covers R's events whatever the
    other fields are. So coverage by all rules equals coverage by these, and they are few.
    """
    return [e for e in rules if e.under is not None and e.under.keys() <= fields]


def _remove_each(pieces: list[dict], rules: list[RuleEntry], domains, budget: list[int]):
    """Subtract rules (ranked largest share first) until nothing is left; raises
    _TooComplex when the budget of box operations runs out."""
    ranked = sorted(
        rules, key=lambda e: -box_measure(e.under, domains) if e.under is not None else 0.0
    )
    for e in ranked:
        budget[0] -= len(pieces)
        if budget[0] < 0:
            raise _TooComplex
        pieces, _ = _subtract_all(pieces, e.under, domains)
        if not pieces:
            break
    return pieces


def analyse_first_match(rs: RuleSet, live: list[RuleEntry], index: OverlapIndex, enabled):
    domains = rs.domains
    want_303 = enabled("RL303")
    for pos, r in enumerate(live):
        cand_idx = index.candidates(r.box)
        earlier = [live[i] for i in cand_idx if i < pos]
        later = [live[i] for i in cand_idx if i > pos]
        if want_303:
            yield from _ambiguous(rs, r, earlier, domains)
        fields = set(r.box)
        budget = [OPS_BUDGET]
        try:
            remaining = _remove_each([r.box], _subset_fields(earlier, fields), domains, budget)
        except _TooComplex:
            continue
        if not remaining:
            takers = _attribute(r, earlier, domains, budget)
            yield from _never_decides(rs, r, takers, earlier, domains)
            continue
        if not r.exact:
            continue
        # cheap necessary test first: the part no other-field rule can reach must fall to
        # later rules with the same action before any other action
        if not _caught_by_same_action(r, remaining, _subset_fields(later, fields), domains, budget):
            continue
        try:
            decided = [r.box]
            for e in earlier:
                if e.under is None:
                    continue
                budget[0] -= len(decided)
                if budget[0] < 0:
                    raise _TooComplex
                decided, _ = _subtract_all(decided, e.under, domains)
                if not decided:
                    break
        except _TooComplex:
            continue
        if decided:
            yield from _removal_changes_nothing(rs, r, decided, earlier, later, domains, budget)


def _caught_by_same_action(r, pieces, later, domains, budget) -> bool:
    try:
        for lr in sorted(later, key=lambda c: c.order):
            if not any(box_intersect(p, lr.box, domains) is not None for p in pieces):
                continue
            if lr.action != r.action or not lr.exact:
                return False
            budget[0] -= len(pieces)
            if budget[0] < 0:
                return False
            pieces, _ = _subtract_all(pieces, lr.box, domains)
            if not pieces:
                return True
    except _TooComplex:
        return False
    return False


def _attribute(r, earlier, domains, budget) -> list[tuple[RuleEntry, list[dict]]]:
    """Which earlier rules take which part of r, in evaluation order (first-match)."""
    takers: list[tuple[RuleEntry, list[dict]]] = []
    remaining = [r.box]
    try:
        for e in earlier:
            if e.under is None:
                continue
            budget[0] -= len(remaining)
            if budget[0] < 0:
                raise _TooComplex
            remaining, taken = _subtract_all(remaining, e.under, domains)
            if taken:
                takers.append((e, taken))
            if not remaining:
                break
    except _TooComplex:
        # too fragmented to attribute exactly: name the rules that cover it instead
        fields = set(r.box)
        takers = [(e, []) for e in _subset_fields(earlier, fields)
                  if box_intersect(r.box, e.under, domains) is not None]
    return takers


def _never_decides(rs, r, takers, earlier, domains):
    other = [(e, t) for e, t in takers if e.action != r.action]
    witness = None
    decider = None
    involved_fields = _fields([r] + [e for e, _ in takers])
    checked = [c for c in earlier]
    for e, pieces in other:
        for p in pieces:
            w = witness_event(p, domains, [r, e], involved_fields)
            if w is None or not rule_matches(r, w, domains):
                continue
            d = _first_match_decider(w, checked, domains)
            if d is not None and d.action != r.action:
                witness, decider = w, d
                break
        if witness is not None:
            break
    rules = [e for e, _ in takers]
    if len(earlier) <= 64:  # rank every earlier rule, not only those reached first
        rules = [e for e in earlier if e.under is not None]
    if witness is not None:
        if decider.under is None or box_intersect(r.box, decider.under, domains) is None:
            rules = rules + [decider] if decider not in rules else rules
        cover = small_cover(r.box, rules, domains, keep_action=r.action, keep=decider)
        if decider not in cover:
            cover = sorted(cover + [decider], key=lambda c: c.order)
        acts = sorted({c.action for c in cover if c.action != r.action})
        yield Finding(
            "RL302",
            f"rule {r.id!r} ({r.action!r}) never decides: {_names(cover, r)} "
            f"{'come' if len(cover) > 1 else 'comes'} first and cover{'' if len(cover) > 1 else 's'} "
            f"all of it, with action {', '.join(repr(a) for a in acts)}. "
            "Delete it, or give it a lower priority number if it should win",
            r.file, r.id_line or r.line, ruleset=rs.name,
            rule_ids=[r.id] + [c.id for c in cover], witness=witness,
            related=[c.location() for c in cover],
            content_key="|".join(x.content() for x in [r, *cover]),
        )
        return
    if other:
        return  # another action may decide part of it, but no real witness was found: say nothing
    cover = small_cover(r.box, rules, domains)
    yield Finding(
        "RL301",
        f"rule {r.id!r} never decides: {_names(cover, r)} "
        f"{'come' if len(cover) > 1 else 'comes'} first, cover{'' if len(cover) > 1 else 's'} "
        f"all of it and take{'' if len(cover) > 1 else 's'} the same action {r.action!r}; "
        "delete it to free a slot",
        r.file, r.id_line or r.line, ruleset=rs.name,
        rule_ids=[r.id] + [c.id for c in cover], related=[c.location() for c in cover],
        content_key="|".join(x.content() for x in [r, *cover]),
    )


def _removal_changes_nothing(rs, r, decided, earlier, later, domains, budget):
    """R decides ``decided`` (disjoint boxes). Without R, would later rules with the same
    action catch all of it before any rule with another action?"""
    rem = decided
    catchers: list[RuleEntry] = []
    try:
        for lr in later:
            if not lr.exact:
                if any(box_intersect(p, lr.box, domains) is not None for p in rem):
                    return  # cannot attribute exactly: claim nothing
                continue
            if lr.action != r.action:
                if any(box_intersect(p, lr.box, domains) is not None for p in rem):
                    return
                continue
            budget[0] -= len(rem)
            if budget[0] < 0:
                return
            rem, taken = _subtract_all(rem, lr.box, domains)
            if taken:
                catchers.append(lr)
            if not rem:
                break
    except _TooComplex:
        return
    if rem:
        return
    cover_before = [e for e in earlier if e.under is not None]
    named = small_cover(r.box, cover_before + catchers, domains)
    if not any(c in catchers for c in named):
        named = named + catchers[:1]
    named.sort(key=lambda c: c.order)
    after = [c for c in named if c.order > r.order]
    yield Finding(
        "RL301",
        f"rule {r.id!r} is redundant: every event it decides would fall to "
        f"{_names(after, r)} with the same action {r.action!r}, and no rule in between "
        "decides differently; delete it to free a slot",
        r.file, r.id_line or r.line, ruleset=rs.name,
        rule_ids=[r.id] + [c.id for c in named], related=[c.location() for c in named],
        content_key="|".join(x.content() for x in [r, *named]),
    )


def _ambiguous(rs, r, earlier, domains):
    """RL303: an earlier rule at the same priority in another file, another action, and an
    overlap that no rule before both of them takes: the file names decide."""
    for c in earlier:
        if c.rule.priority != r.rule.priority or c.file == r.file or c.action == r.action:
            continue
        inter = box_intersect(r.box, c.box, domains)
        if inter is None:
            continue
        before = [e for e in earlier if e.order < c.order]
        try:
            pieces = [inter]
            for e in before:
                if e.under is None:
                    continue
                pieces, _ = _subtract_all(pieces, e.under, domains)
                if not pieces:
                    break
        except _TooComplex:
            continue
        fields = _fields([r, c])
        for p in pieces:
            w = witness_event(p, domains, [r, c], fields)
            if w is None or not (rule_matches(r, w, domains) and rule_matches(c, w, domains)):
                continue
            if _first_match_decider(w, before, domains) is not None:
                continue
            yield Finding(
                "RL303",
                f"rules {r.id!r} ({r.file}) and {c.id!r} ({c.file}) overlap with different "
                f"actions ({r.action!r} vs {c.action!r}) at the same priority {r.rule.priority}; "
                f"{c.id!r} wins only because {c.file} sorts first. Set priorities to say which "
                "one should decide",
                r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id, c.id], witness=w,
                related=[c.location()], content_key=r.content() + "|" + c.content(),
            )
            break


def analyse_any_match(rs: RuleSet, live: list[RuleEntry], index: OverlapIndex):
    domains = rs.domains
    for pos, r in enumerate(live):
        same = [
            live[i]
            for i in index.candidates(r.box)
            if i != pos and live[i].action == r.action and live[i].under is not None
        ]
        if not same:
            continue
        try:
            ok, _ = covers(r.box, [c.under for c in same], domains)
        except _TooComplex:
            continue
        if not ok:
            continue
        cover = small_cover(r.box, same, domains)
        yield Finding(
            "RL301",
            f"rule {r.id!r} is redundant: {_names(cover, r)} already "
            f"appl{'y' if len(cover) > 1 else 'ies'} action {r.action!r} to every event it "
            "matches; delete it to free a slot",
            r.file, r.id_line or r.line, ruleset=rs.name,
            rule_ids=[r.id] + [c.id for c in cover], related=[c.location() for c in cover],
            content_key="|".join(x.content() for x in [r, *cover]),
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
                content_key=r.content(),
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
                content_key=r.content(),
            )


def _empty_field(r: RuleEntry, rs: RuleSet) -> str:
    from rulelint.boxes import condition_sets

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
    live, index = get_index(ctx, rs)
    dup_partner = _duplicate_partners(rs)
    if rs.semantics == "first-match":
        found = analyse_first_match(rs, live, index, enabled)
    else:
        found = analyse_any_match(rs, live, index)
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


def _unused(*_: Any) -> None:  # pragma: no cover
    pass
