"""RL601 mergeable: groups of rules the merge planner can fold into one, and the slots that
frees (``mergeable_slots`` in the JSON summary)."""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from rulelint.findings import Finding
from rulelint.merge import plan_merges
from rulelint.passes import Pass


def _describe(group) -> str:
    parts = []
    for f in group.fields:
        parts.append(f"{f}: {flow(group.rule['match'][f])}")
    return "; ".join(parts)


def flow(value, most: int = 8) -> str:
    """A condition as compact YAML, the way it would be written in a rule file (long lists
    shortened: the merged rule itself is shown by suggest-merge)."""
    if isinstance(value, list) and len(value) > most:
        head = flow(value[:most], most)
        return head[:-1] + f", … {len(value) - most} more]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v, most)}" for k, v in value.items()) + "}"
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def run(ctx) -> Iterator[Finding]:
    slots = ctx.cache.setdefault("mergeable_slots", {})
    keys = tuple(ctx.settings.config.merge.keys)
    for rs in ctx.project.rulesets.values():
        plan = plan_merges(rs, keys)
        slots[rs.name] = plan.freed
        for g in plan.groups:
            if all(m.box == g.members[0].box for m in g.members):
                continue  # plain duplicates: RL201 reports them
            first = g.keep
            ids = [m.id for m in g.members]
            shown = ", ".join(repr(i) for i in ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
            yield Finding(
                "RL601",
                f"{len(ids)} rules ({shown}) can be merged into one ({_describe(g)}) without "
                f"changing any decision; frees {g.freed} slot{'s' if g.freed != 1 else ''} "
                "(rulelint suggest-merge)",
                first.file, first.id_line or first.line, ruleset=rs.name,
                rule_ids=[g.keep.id] + [i for i in ids if i != g.keep.id],
                related=[m.location() for m in g.members if m is not first],
                content_key="|".join(m.content() for m in g.members),
            )


PASS = Pass("mergeable", ("RL601",), run)
