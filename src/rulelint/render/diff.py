"""Renderers of ``rulelint diff`` (a ``semdiff.SemDiff``): text, Markdown and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.text import Text

from rulelint.compare.semdiff import (
    Count,
    DecisionChange,
    NeverDecides,
    RuleRef,
    RulesetDiff,
    SemDiff,
)
from rulelint.render.markdown import cell, code
from rulelint.render.text import format_event

NO_DECISION = "no decision changed"


def _count(c: Count) -> str:
    delta = c.after - c.before
    sign = f" ({delta:+,})" if delta else ""
    cap = f" of {c.cap:,}" if c.cap is not None else ""
    over = "  over the cap" if c.cap is not None and c.after > c.cap else ""
    return f"{c.before:,} → {c.after:,}{cap}{sign}{over}"


def _side(r: RuleRef | None, actions: list[str], first_match: bool) -> str:
    if first_match:
        return f"{r.id!r} ({r.action})" if r is not None else "no match"
    return "{" + ", ".join(actions) + "}"


def change_parts(c: DecisionChange, first_match: bool) -> tuple[str, str, str]:
    """(before, after, why): ``'b' (keep)``, ``'c' (close)``, "" for first-match;
    ``{keep}``, ``{close, keep}``, ``'c' now applies close`` for any-match."""
    before = _side(c.old, c.before, first_match)
    after = _side(c.new, c.after, first_match)
    if first_match:
        return before, after, ""
    why = []
    if c.old is not None:
        why.append(f"{c.old.id!r} no longer applies {c.old.action}")
    if c.new is not None:
        why.append(f"{c.new.id!r} now applies {c.new.action}")
    return before, after, "; ".join(why)


def change_summary(c: DecisionChange, first_match: bool) -> str:
    before, after, why = change_parts(c, first_match)
    return f"{before} → {after}" + (f": {why}" if why else "")


def _ref(r: RuleRef, file: str) -> str:
    return f"line {r.line}" if r.file == file else f"{r.file}:{r.line}"


def never_line(n: NeverDecides, first_match: bool) -> str:
    """``added 'late' (rules.yaml:6) never decides: 'a' (line 4) takes all of it``."""
    r = n.rule
    shown = [f"{t.id!r} ({_ref(t, r.file)})" for t in n.takers[:5]]
    if len(n.takers) > 5:
        shown.append(f"{len(n.takers) - 5} more")
    who = " and ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 1 else shown)
    head = f"{n.kind} {r.id!r} ({r.file}:{r.line})"
    if first_match:
        verb = "takes" if len(n.takers) == 1 else "take"
        return f"{head} never decides: {who} {verb} all of it"
    verb = "applies" if len(n.takers) == 1 else "apply"
    return f"{head} changes no decision: {who} already {verb} {r.action!r} to all of it"


def _first_match(d: RulesetDiff) -> bool:
    return d.semantics == "first-match" and d.old_semantics in (None, "first-match")


def _semantics(d: RulesetDiff) -> str:
    if d.old_semantics is not None and d.old_semantics != d.semantics:
        return f"{d.old_semantics} → {d.semantics}"
    return d.semantics


# --- text -------------------------------------------------------------------------------------


def render_text(sd: SemDiff, console: Console) -> None:
    console.print(Text(f"rulelint diff {sd.ref} ({sd.commit[:12]}) → working tree", style="bold"))
    for d in sd.rulesets:
        console.print()
        title = Text()
        title.append(d.name, style="bold")
        title.append(f" ({_semantics(d)})", style="dim")
        console.print(title)
        for c in d.counts:
            console.print(f"  {c.measure:<8} {_count(c)}")
        for label, items, style in (
            ("added", d.added, "green"), ("removed", d.removed, "red"),
            ("edited", d.edited, "yellow"),
        ):
            for ch in items:
                ref = ch.new or ch.old
                line = Text("  ")
                line.append(f"{label:<8} ", style=style)
                line.append(f"{ch.id}  ")
                at = f" (at {sd.ref})" if ch.kind == "removed" else ""
                line.append(f"{ref.file}:{ref.line}{at}", style="dim")
                if ch.keys:
                    line.append(f"  changed: {', '.join(ch.keys)}", style="dim")
                console.print(line)
        for n in d.never_decides:
            console.print(Text(f"  {never_line(n, d.semantics == 'first-match')}", style="yellow"),
                          soft_wrap=True)
        if d.decisions:
            n = len(d.decisions)
            console.print(Text(
                f"  {n} decision change{'s' if n != 1 else ''}:", style="bold yellow"
            ))
            for c in d.decisions:
                console.print(f"    {change_summary(c, _first_match(d))}")
                console.print(Text(f"      witness: {format_event(c.witness)}", style="dim"))
            if d.truncated:
                console.print(Text("    … more changes not listed", style="dim"))
        elif d.complete:
            console.print(Text(f"  {NO_DECISION}", style="green"))
        for note in d.notes:
            console.print(Text(f"  note: {note}", style="yellow"))


# --- Markdown ---------------------------------------------------------------------------------


def render_markdown(sd: SemDiff) -> str:
    out = [f"## rulelint diff against {code(sd.ref)}", ""]
    changed = [d for d in sd.rulesets if d.decisions]
    if not changed:
        complete = all(d.complete for d in sd.rulesets)
        out += ["**No decision changed.**" if complete else "**No changed decision found.**", ""]
    for d in sd.rulesets:
        out += [f"### {cell(d.name)} ({_semantics(d)})", ""]
        out += ["| | at ref | now | cap |", "|---|---:|---:|---:|"]
        for c in d.counts:
            cap = f"{c.cap:,}" if c.cap is not None else "—"
            out.append(f"| {c.measure} | {c.before:,} | {c.after:,} | {cap} |")
        out.append("")
        for label, items in (("Added", d.added), ("Removed", d.removed), ("Edited", d.edited)):
            if not items:
                continue
            parts = []
            for ch in items:
                ref = ch.new or ch.old
                keys = f" ({', '.join(ch.keys)})" if ch.keys else ""
                parts.append(f"{code(ch.id)} {code(f'{ref.file}:{ref.line}')}{keys}")
            out += [f"**{label}** ({len(items)}): " + ", ".join(parts), ""]
        for n in d.never_decides:
            out += [f"> **Warning:** {cell(never_line(n, d.semantics == 'first-match'))}", ""]
        if d.decisions:
            out += ["| before | after | witness |", "|---|---|---|"]
            fm = _first_match(d)
            for c in d.decisions:
                before, after, why = change_parts(c, fm)
                after += f" ({why})" if why else ""
                out.append(f"| {cell(before)} | {cell(after)} | {code(format_event(c.witness))} |")
            if d.truncated:
                out.append("\n… more changes not listed.")
            out.append("")
        elif d.complete:
            out += [f"No decision changed in {cell(d.name)}.", ""]
        for note in d.notes:
            out += [f"> Note: {cell(note)}", ""]
    return "\n".join(out)


# --- JSON -------------------------------------------------------------------------------------


def diff_dict(sd: SemDiff) -> dict[str, Any]:
    rulesets = []
    for d in sd.rulesets:
        item = asdict(d)
        item["no_decision_changed"] = d.no_decision_changed
        rulesets.append(item)
    return {"version": 1, "ref": sd.ref, "commit": sd.commit, "rulesets": rulesets}


def render_json(sd: SemDiff) -> str:
    return json.dumps(diff_dict(sd), indent=2, ensure_ascii=False, default=str) + "\n"
