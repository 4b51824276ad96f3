"""``--format markdown``: a report for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

A headline, a table of the rulesets against their caps, and a table of findings (errors
first). Cell text is escaped for GitHub-flavoured Markdown tables; the findings table is
cut at ``MAX_ROWS`` so the comment stays under GitHub's size limits.
"""

from __future__ import annotations

import re

from rulelint.engine import Report, RulesetSummary
from rulelint.render.text import format_event
from rulelint.report.findings import Finding
from rulelint.util.lines import escape_controls

MAX_ROWS = 200


def cell(s: str) -> str:
    """Text safe inside a Markdown table cell (no pipes, no line breaks, no raw HTML). A
    line break is written as its visible escape (``util.lines.escape_controls``, as every
    line-based format does): a row is one line, and the cell shows ``\\n``, ``\\u2028``."""
    s = escape_controls(s)
    s = s.replace("\\", "\\\\").replace("|", "\\|")
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(s: str) -> str:
    """An inline code span inside a table cell, whatever backticks ``s`` holds."""
    s = escape_controls(s).replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(report: Report) -> str:
    c = report.counts()
    n_rules, n_files = report.project.rule_count, len(report.sources)
    scope = f"{_plural(n_rules, 'rule')} in {_plural(n_files, 'file')}"
    if not report.findings:
        return f"**All checks passed** ({scope})"
    parts = [
        _plural(c["error"], "error"), _plural(c["warning"], "warning"), _plural(c["info"], "info")
    ]
    return f"**{', '.join(parts)}** ({scope})"


def _headroom(rs: RulesetSummary) -> str:
    if not rs.max_rules:
        return "no cap"
    left = rs.max_rules - rs.rules
    used = f"{rs.rules / rs.max_rules:.0%} used"
    if left < 0:
        return f"**{-left} over the cap** ({used})"
    flag = " ⚠️" if rs.rules >= rs.warn_ratio * rs.max_rules else ""
    return f"{left} left ({used}){flag}"


def rulesets_table(report: Report) -> list[str]:
    lines = [
        "| ruleset | rules | cap | headroom | mergeable slots |",
        "|---|---:|---:|---|---:|",
    ]
    for rs in report.rulesets:
        cap = str(rs.max_rules) if rs.max_rules is not None else "—"
        lines.append(
            f"| {cell(rs.name)} | {rs.rules} | {cap} | {_headroom(rs)} | {rs.mergeable_slots} |"
        )
    return lines


def _finding_row(f: Finding) -> str:
    where = f.file or "—"
    if f.file and f.line:
        where = f"{f.file}:{f.line}"
    witness = code(format_event(f.witness)) if f.witness is not None else ""
    return (
        f"| {f.code} {f.name} | {f.severity} | {code(where)} | "
        f"{cell(f.message)} | {witness} |"
    )


def findings_table(findings: list[Finding]) -> list[str]:
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.sort_key()))
    lines = [
        "| code | severity | file:line | message | witness |",
        "|---|---|---|---|---|",
    ]
    lines += [_finding_row(f) for f in ordered[:MAX_ROWS]]
    if len(ordered) > MAX_ROWS:
        lines.append("")
        lines.append(
            f"… and {len(ordered) - MAX_ROWS} more; run `rulelint check` for the full report."
        )
    return lines


def render(report: Report) -> str:
    out = ["## rulelint", "", headline(report), ""]
    notes = []
    base = report.base_ref
    if base:
        hidden = report.not_added
        notes.append(
            f"Only the findings this change adds over {code(base)} are listed"
            + (f"; {_plural(hidden, 'finding')} already there "
               f"{'is' if hidden == 1 else 'are'} left out." if hidden else ".")
        )
    baselined = report.baselined
    inline = report.suppressed - baselined
    if baselined:
        notes.append(f"{_plural(baselined, 'finding')} suppressed by the baseline.")
    if inline > 0:
        notes.append(f"{_plural(inline, 'finding')} suppressed inline.")
    if notes:
        out += [" ".join(notes), ""]
    for note in report.notices:
        out += [f"> Note: {cell(note)}", ""]
    if report.rulesets:
        out += rulesets_table(report) + [""]
    if report.findings:
        out += findings_table(report.findings) + [""]
    return "\n".join(out)
