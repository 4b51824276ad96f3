"""RL201 duplicate-rule and RL202 duplicate-match-conflict: rules whose matches are equal.

Equality is semantic: boxes are canonical (list order, one-element lists, equal ranges,
adjacent CIDRs and a condition that allows the whole domain all normalise away), so equal
matches hash alike and grouping is linear. A glob that the exact algebra cannot express is
compared by its patterns, which is sound: the same patterns match the same strings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rulelint.load.boxes import witness_event
from rulelint.load.project import RuleEntry, RuleSet
from rulelint.passes import Pass
from rulelint.report.findings import Finding, LazyContent


def match_key(r: RuleEntry) -> frozenset:
    """A hashable key equal for two rules exactly when their matches are equal
    (or, for opaque globs, when their patterns are)."""
    if r.exact:
        return frozenset(r.box.items())
    items = []
    for f, c in r.conditions.items():
        if c.op == "glob":
            items.append((f, ("glob", frozenset(c.values))))
        else:
            items.append((f, r.box[f]))
    return frozenset(items)


def duplicate_groups(rs: RuleSet) -> list[list[RuleEntry]]:
    groups: dict[frozenset, list[RuleEntry]] = defaultdict(list)
    for r in rs.rules:  # evaluation order
        if r.live:
            groups[match_key(r)].append(r)
    return [g for g in groups.values() if len(g) > 1]


def check_ruleset(rs: RuleSet, enabled) -> Iterator[Finding]:
    for group in duplicate_groups(rs):
        first = group[0]
        by_action: dict[str, RuleEntry] = {first.action: first}
        for r in group[1:]:
            same = by_action.get(r.action)
            if same is not None:
                if enabled("RL201"):
                    yield Finding(
                        "RL201",
                        f"rule {r.id!r} duplicates {same.id!r} ({same.where(r.file)}): same "
                        f"match, same action {r.action!r}; delete one to free a slot",
                        r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id, same.id],
                        related=[same.location()],
                        content_key=LazyContent(r, same),
                    )
                continue
            by_action[r.action] = r
            if not enabled("RL202"):
                continue
            fields = set(r.conditions) | set(first.conditions)
            witness = witness_event(r.box, rs.domains, [r, first], fields)
            if witness is None:
                continue
            decides = (
                f"{first.id!r} decides (it comes first)"
                if rs.semantics == "first-match"
                else "both apply"
            )
            yield Finding(
                "RL202",
                f"rule {r.id!r} has the same match as {first.id!r} ({first.where(r.file)}) "
                f"but action {r.action!r} instead of {first.action!r}; {decides}. "
                "Keep the one you mean",
                r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id, first.id],
                witness=witness, related=[first.location()],
                content_key=LazyContent(r, first),
            )


def run(ctx) -> Iterator[Finding]:
    for rs in ctx.project.rulesets.values():
        yield from check_ruleset(rs, ctx.enabled)


PASS = Pass("duplicates", ("RL201", "RL202"), run)
