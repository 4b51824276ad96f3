"""The human report: findings grouped by file, then a capacity bar per ruleset."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rulelint.engine import Report, RulesetSummary
from rulelint.findings import Finding, Severity

_CONSOLE_MEASURE = Console(width=10_000, color_system=None)
STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v if v and v.strip() == v and " " not in v else repr(v)
    return str(v)


def format_event(event: dict[str, Any]) -> str:
    return ", ".join(f"{k}={format_value(v)}" for k, v in sorted(event.items())) or "(any event)"


INDENT = " " * 9


def _indented(text: Text, width: int) -> list[Text]:
    """``text`` wrapped to ``width`` with a hanging indent, no trailing padding."""
    out = []
    for line in text.wrap(_CONSOLE_MEASURE, max(20, width - len(INDENT))):
        line.rstrip()
        out.append(Text(INDENT) + line)
    return out


def _finding_lines(f: Finding, width: int) -> list[Text]:
    """``  211  error    RL302 shadowed`` then the message (and witness) indented below."""
    pos = f"{f.line}" if f.line else "-"
    head = Text()
    head.append(f"  {pos:>5}  ", style="dim")
    head.append(f"{str(f.severity):<8}", style=STYLE[f.severity])
    head.append(f"{f.code} ", style="bold")
    head.append(f.name, style="dim")
    lines = [head, *_indented(Text(f.message), width)]
    if f.witness is not None:
        w = Text()
        w.append("witness: ", style="dim")
        w.append(format_event(f.witness))
        lines.extend(_indented(w, width))
    return lines


def capacity_bar(rs: RulesetSummary, width: int = 20) -> Text:
    t = Text()
    t.append(f"{rs.name}", style="bold")
    if rs.max_rules is None or rs.max_rules == 0:
        t.append(f"  {rs.rules} rules (no max_rules cap set)")
        return t
    ratio = rs.rules / rs.max_rules
    filled = min(width, round(ratio * width))
    style = "red" if ratio > 1 else "yellow" if ratio >= rs.warn_ratio else "green"
    t.append(f"  {rs.rules}/{rs.max_rules} rules  ")
    t.append("█" * filled, style=style)
    t.append("░" * (width - filled), style="dim")
    t.append(f"  {ratio:.0%}", style=style)
    left = rs.max_rules - rs.rules
    t.append(f"  {left} left" if left >= 0 else f"  {-left} over the cap", style=style)
    if rs.mergeable_slots:
        t.append(f" · suggest-merge can free {rs.mergeable_slots}", style="cyan")
    return t


def render(report: Report, console: Console, *, quiet: bool = False) -> None:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[f.file or "(no file)"].append(f)
    if report.used_default_paths and not quiet:
        names = ", ".join(s.display for s in report.sources)
        console.print(Text(f"Read {names}", style="dim"))
    for file in sorted(by_file):
        console.print(Text(file, style="bold underline"))
        for f in by_file[file]:
            for line in _finding_lines(f, console.width):
                console.print(line, soft_wrap=True)
        console.print()
    if quiet:
        return
    for note in report.notices:
        console.print(Text(f"note: {note}", style="dim"), soft_wrap=True)
    bars = [capacity_bar(rs) for rs in report.rulesets]
    if bars:
        console.print(Group(*bars))
    c = report.counts()
    summary = Text()
    if report.findings:
        parts = []
        for sev, n in (("error", c["error"]), ("warning", c["warning"]), ("info", c["info"])):
            if n:
                parts.append((f"{n} {sev}{'s' if n != 1 else ''}", STYLE[Severity(sev)]))
        summary.append("Found ")
        for i, (label, style) in enumerate(parts):
            if i:
                summary.append(", ")
            summary.append(label, style=style)
    else:
        summary.append("All checks passed.", style="green")
    n_files, n_rules = len(report.sources), report.project.rule_count
    summary.append(
        f" ({n_rules} rule{'s' if n_rules != 1 else ''} in {n_files} file"
        f"{'s' if n_files != 1 else ''}"
    )
    if report.suppressed:
        summary.append(f", {report.suppressed} suppressed")
    summary.append(")")
    console.print(summary)


def rules_table(checks) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("code")
    table.add_column("name")
    table.add_column("severity")
    table.add_column("summary")
    for c in checks:
        table.add_row(c.code, c.name, Text(str(c.severity), style=STYLE[c.severity]), escape(c.summary))
    return table
