"""Rules a plan removes, as ``suggest-merge`` shows them: grouped by owner (the people who
decide), each with where it is, why it goes and the rules of the plan that take its
events; and the line saying what the flags not given would free."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rulelint.util.lines import escape_controls

NO_OWNER = "(no owner)"


def by_owner(removed: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    """``(owner, removals)`` pairs, the owner with most removals first (then by name); the
    removals of each in file order."""
    groups: dict[str, list[Any]] = {}
    for r in removed:
        groups.setdefault(r.rule.rule.owner or NO_OWNER, []).append(r)
    for items in groups.values():
        items.sort(key=lambda r: (r.rule.file, r.rule.line))
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def removal_lines(removed: list[Any]) -> list[str]:
    """The text lines of the removals, grouped by owner."""
    out: list[str] = []
    for owner, items in by_owner(removed):
        n = len(items)
        out.append(f"  {escape_controls(owner)}: {n} rule{'s' if n != 1 else ''}")
        for r in items:
            where = f"{r.rule.file}:{r.rule.id_line or r.rule.line}"
            out.append(escape_controls(f"    - {r.rule.id} ({where}): {r.reason}"))
    return out


def removal_dicts(removed: list[Any]) -> list[dict[str, Any]]:
    """The removals for JSON: id, owner, file, line, the flag that removes it, the reason,
    and the ids of the rules that take its events in the plan."""
    return [
        {
            "id": r.rule.id, "owner": r.rule.rule.owner, "file": r.rule.file,
            "line": r.rule.id_line or r.rule.line, "flag": r.flag, "reason": r.reason,
            "taken_by": [t.id for t in r.takers],
        }
        for _, items in by_owner(removed) for r in items
    ]


def more_line(frees: dict[str, int], freed: int) -> str:
    """``--include-redundant frees 1 more slot, --include-shadowed 2 more``: what the flags
    beyond the given ones would add to ``freed``; "" when nothing."""
    parts = []
    for flag in ("include_redundant", "include_shadowed"):
        extra = frees.get(flag, freed) - freed
        if extra > 0:
            what = f"{extra} more slot{'s' if extra != 1 else ''}" if not parts else f"{extra} more"
            parts.append(f"--{flag.replace('_', '-')} frees {what}")
    return ", ".join(parts)


def render_removal_text(results: list[Any], console) -> None:
    """``rulelint remove``: per ruleset the rules removed, the counts, and every decision
    that changes with its witness, or "no decision changed"."""
    from rich.text import Text

    from rulelint.render.diff import NO_DECISION, change_summary
    from rulelint.render.text import format_event

    def say(*objects) -> None:
        console.print(*objects, soft_wrap=True)

    for res in results:
        rs = res.ruleset
        cap = f" of {rs.max_rules}" if rs.max_rules else ""
        n = len(res.removed)
        say(Text(f"{rs.name} ({rs.semantics}): remove {n} rule{'s' if n != 1 else ''}, "
                 f"{res.before} → {res.after}{cap}", style="bold"))
        for r in res.removed:
            codes = f" [{', '.join(res.why[id(r)])}]" if id(r) in res.why else ""
            owner = f", {r.rule.owner}" if r.rule.owner else ""
            say(Text(escape_controls(f"  - {r.id} ({r.file}:{r.id_line or r.line}{owner}){codes}")))
        d = res.impact
        if d.decisions:
            k = len(d.decisions)
            say(Text(f"  {k} decision change{'s' if k != 1 else ''}:", style="bold yellow"))
            for c in d.decisions:
                say(Text(escape_controls(f"    {change_summary(c, rs.semantics == 'first-match')}")))
                say(Text(escape_controls(f"      witness: {format_event(c.witness)}"), style="dim"))
            if d.truncated:
                say(Text("    … more changes not listed", style="dim"))
        elif d.complete:
            say(Text(f"  {NO_DECISION}", style="green"))
        for note in d.notes:
            say(Text(f"  note: {note}", style="yellow"))
