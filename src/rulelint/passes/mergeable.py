"""RL601 mergeable: groups of rules the merge planner can fold into one, and the slots that
frees (``mergeable_slots`` in the JSON summary).

The pass plans once per ruleset with each ``suggest-merge`` flag (``merge.plan_all``): the
slots each frees are the summary's ``frees``, the same numbers ``suggest-merge`` then
reports; the rules each removes give the RL201/RL301/RL302 findings their hint, attached in
one place (``hint_removals``) after every pass has run."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import yaml

from rulelint.consolidate.merge import FLAGS, plan_all
from rulelint.passes import Pass, live_index
from rulelint.report.findings import Finding, LazyContent


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
    if isinstance(value, list):
        items = _flow_items(value)
        if items is not None:
            return "[" + ", ".join(items) + "]"
    return _yaml_flow(value)


def _yaml_flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


_FLOW_ITEM_TYPES = (str, int, bool)
_FLOW_SHORT = 2_000  # far below the emitter's width: no line is ever broken


def _flow_items(values: list) -> list[str] | None:
    """The items of ``_yaml_flow(values)``, each as YAML writes it in a flow list, when they
    are plain text, numbers or booleans that it writes on one line; else None.

    YAML chooses an item's style from the item alone (its resolved tag and characters) and
    joins items with ``", "``, breaking lines only past the width, so a short list is its
    items written one by one; each item is written once (``_flow_item``)."""
    out = []
    size = 0
    for v in values:
        if type(v) not in _FLOW_ITEM_TYPES:
            return None
        text = _flow_item(v)
        size += len(text) + 2
        if "\n" in text or size > _FLOW_SHORT:
            return None
        out.append(text)
    return out


# Text that YAML surely writes plain in a flow list: a letter, digit or ``_`` first, then only
# letters, digits, ``_ . / -`` and inner blanks (no indicator, no blank at either end, no line
# break, only ASCII), provided it reads back as text (``_reads_as_text``); else it quotes it.
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_./ -]*[A-Za-z0-9_./-])?\Z")
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers


def _reads_as_text(s: str) -> bool:
    """No implicit resolver of YAML 1.1 (int, float, bool, null, timestamp...) takes it."""
    return not any(rx.match(s) for _, rx in [*_RESOLVERS.get(s[:1], ()), *_RESOLVERS.get(None, ())])


def _flow_item(value) -> str:
    """An item as ``_yaml_flow([value])`` writes it, without the brackets."""
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if _PLAIN_TEXT.match(value) and _reads_as_text(value):
        return value
    return _flow_item_by_yaml(value)


@functools.lru_cache(maxsize=1 << 14, typed=True)
def _flow_item_by_yaml(value) -> str:
    return _yaml_flow([value])[1:-1]


REMOVED_BY = {  # the hint a finding about a rule that a flag removes gets
    "include_redundant": "rulelint suggest-merge --include-redundant removes it",
    "include_shadowed": "rulelint suggest-merge --include-shadowed removes it",
}
HINTED = ("RL201", "RL301", "RL302")


def hint_removals(findings: list[Finding], ctx) -> None:
    """Say in each RL201/RL301/RL302 finding which ``suggest-merge`` flag removes its rule:
    the least flag whose plan (this run's, see ``run``) removes it; nothing when none does
    (an opaque glob, a rule the planner keeps)."""
    removed_by = ctx.cache.get("removed_by")
    if not removed_by:
        return
    for f in findings:
        if f.code in HINTED and f.rule_ids:
            flag = removed_by.get((f.ruleset, f.rule_ids[0]))
            if flag is not None:
                f.message = f"{f.message} ({REMOVED_BY[flag]})"


def run(ctx) -> Iterator[Finding]:
    slots = ctx.cache.setdefault("mergeable_slots", {})
    frees = ctx.cache.setdefault("frees", {})
    removed_by = ctx.cache.setdefault("removed_by", {})
    keys = tuple(ctx.settings.config.merge.keys)
    for rs in ctx.project.rulesets.values():
        plans = plan_all(rs, keys, index=live_index(ctx, rs),
                         hints=ctx.cache.get(("removal-hints", rs.name)), named=False)
        plan = plans["merge"]
        slots[rs.name] = plan.freed
        frees[rs.name] = {flag: plans[flag].freed for flag in FLAGS}
        for flag in ("include_shadowed", "include_redundant"):  # the least flag wins
            for r in plans[flag].removed:
                removed_by[(rs.name, r.rule.id)] = flag
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
                content_key=LazyContent(*g.members),
            )


PASS = Pass("mergeable", ("RL601",), run)
