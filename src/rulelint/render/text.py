"""The human report: findings grouped by file, then a capacity bar per ruleset."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rulelint.engine import Report, RulesetSummary
from rulelint.report.findings import Finding, Severity
from rulelint.util.lines import escape_controls, escape_output

try:  # the line breaker ``Text.wrap`` itself uses, for the fast path of ``_wrap_plain``
    from rich._wrap import divide_line
except ImportError:  # pragma: no cover - a rich that moved it: every message takes Text.wrap
    divide_line = None

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


def _wrap_plain(message: str, width: int) -> list[str] | None:
    """The lines ``_indented(Text(message), width)`` holds (without the indent), computed on
    the string; None when only ``Text.wrap`` can say.

    Exact for printable ASCII, where a character is one cell and rich strips nothing: the
    breaks are those of rich's ``divide_line``, as in ``Text.wrap``, and each piece loses
    what ``wrap`` (trailing space beyond the width, then anything beyond it) and
    ``_indented`` (trailing space) take off, which for such a piece is
    ``piece[:width].rstrip()``."""
    if not message or not (message.isascii() and message.isprintable()):
        return None
    width = max(20, width - len(INDENT))
    if len(message) <= width:
        return [message.rstrip()]
    breaks = _greedy_breaks(message, width)
    if breaks is None:
        if divide_line is None:
            return None
        breaks = divide_line(message, width, fold=True)
    cuts = [0, *breaks, len(message)]
    return [message[a:b][:width].rstrip() for a, b in zip(cuts, cuts[1:], strict=False)]


_NOT_SPACE = re.compile("[^ ]")


def _greedy_breaks(text: str, width: int) -> list[int] | None:
    """``divide_line(text, width)`` for printable ASCII (one cell a character, the space
    the only blank) in which every word fits on a line; None when one does not (rich folds
    it) or the text starts with a blank.

    ``divide_line`` puts words (each with the blanks after it) on the line while what they
    print ends within ``width`` cells of the line's start, and breaks before the first word
    that would not: the one holding the cell just past the width, or, when that cell is
    blank, the next word. Found with two string searches a line instead of a loop over the
    words."""
    if text[0] == " ":
        return None
    n = len(text)
    breaks: list[int] = []
    start = 0
    while True:
        edge = start + width  # the first cell past the line
        if edge >= n:
            return breaks
        if text[edge] == " ":
            m = _NOT_SPACE.search(text, edge)
            if m is None:
                return breaks
            start = m.start()
        else:
            blank = text.rfind(" ", start, edge)
            if blank < 0:
                return None
            start = blank + 1
        breaks.append(start)


def _head(f: Finding) -> tuple[str, str, str, str]:
    """``  211  error    RL302 shadowed``, in its four styled parts."""
    pos = f"{f.line}" if f.line else "-"
    return f"  {pos:>5}  ", f"{str(f.severity):<8}", f"{f.code} ", f.name


def _finding_lines(f: Finding, width: int) -> list[Text]:
    """``  211  error    RL302 shadowed`` then the message (and witness) indented below."""
    pos, severity, code, name = _head(f)
    head = Text()
    head.append(pos, style="dim")
    head.append(severity, style=STYLE[f.severity])
    head.append(code, style="bold")
    head.append(name, style="dim")
    message = escape_controls(f.message)  # a break in a quoted value must not start a line
    plain = _wrap_plain(message, width)
    if plain is None:
        lines = [head, *_indented(Text(message), width)]
    else:
        lines = [head, *(Text(INDENT + line) for line in plain)]
    if f.witness is not None:
        w = Text()
        w.append("witness: ", style="dim")
        w.append(escape_controls(format_event(f.witness)))
        lines.extend(_indented(w, width))
    return lines


def _finding_plain(f: Finding, width: int) -> list[str] | None:
    """The plain text of ``_finding_lines(f, width)``, line by line, when all of it is
    printable ASCII (styles do not move line breaks); None otherwise."""
    head = "".join(_head(f))
    if not (head.isascii() and head.isprintable()):
        return None
    message = _wrap_plain(escape_controls(f.message), width)
    if message is None:
        return None
    lines = [head, *[INDENT + line for line in message]]
    if f.witness is not None:
        witness = _wrap_plain("witness: " + escape_controls(format_event(f.witness)), width)
        if witness is None:
            return None
        lines.extend(INDENT + line for line in witness)
    return lines


def _print_findings(console: Console, findings: list[Finding], width: int) -> None:
    """``console.print(line, soft_wrap=True)`` for every line of every finding, faster, with
    the same output.

    Lines of plain ASCII without tabs (almost all) go in batches: written as plain text and
    a newline each, which is what rich writes for them when the console has no colour
    system (see ``_writes_plain``), else printed as one group, which rich renders line by
    line exactly as separate prints. Any other line is printed on its own, as before."""
    direct = _writes_plain(console)
    batch: list[str | Text] = []
    for f in findings:
        plain = _finding_plain(f, width) if direct else None
        if plain is not None:
            batch.extend(plain)  # printable ASCII: safe as it is
            continue
        for line in _finding_lines(f, width):
            text = line.plain
            if text.isascii() and "\t" not in text:
                batch.append(text if direct else line)
                continue
            _print_batch(console, batch, direct)
            batch = []
            console.print(line, soft_wrap=True)
    _print_batch(console, batch, direct)


def _print_batch(console: Console, batch: list[Any], direct: bool) -> None:
    if not batch:
        return
    if direct:
        file = console.file
        file.write(escape_output("".join([line + "\n" for line in batch])))
        file.flush()
    else:
        console.print(Group(*batch), soft_wrap=True)


def _writes_plain(console: Console) -> bool:
    """Does ``console.print`` write a soft-wrapped Text as its plain text, straight to the
    file? So it does without a colour system, unless it records, is quiet, sits in a
    ``with console:`` block (buffering) or in Jupyter, or is on Windows (its own writer)."""
    return (
        console.color_system is None
        and not console.record
        and not console.quiet
        and not console.is_jupyter
        and sys.platform != "win32"
        and getattr(console, "_buffer_index", None) == 0
    )


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
    more = frees_note(rs)
    if more:
        t.append(f"\n  {more}", style="cyan")
    return t


def frees_note(rs: RulesetSummary) -> str:
    """``suggest-merge --include-redundant frees 7, --include-shadowed 8``: what the flags
    free (``frees``) when it is more than the merges alone; "" otherwise."""
    frees = rs.frees or {}
    base = frees.get("merge", 0)
    more = [(flag, n) for flag, n in frees.items() if flag != "merge" and n > base]
    if not more:
        return ""
    parts = [f"--{flag.replace('_', '-')}" + (" frees" if i == 0 else "") + f" {n}"
             for i, (flag, n) in enumerate(more)]
    return "suggest-merge " + ", ".join(parts)


def render(report: Report, console: Console, *, quiet: bool = False) -> None:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[f.file or "(no file)"].append(f)
    if report.used_default_paths and not quiet:
        names = ", ".join(s.display for s in report.sources)
        console.print(Text(f"Read {names}", style="dim"))
    width = console.width
    for file in sorted(by_file):
        console.print(Text(file, style="bold underline"))
        _print_findings(console, by_file[file], width)
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
