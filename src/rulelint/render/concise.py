"""``--format concise``: one ``file:line:col: CODE message`` line per finding.

The shape of ruff's and flake8's concise output, which vim's quickfix (``errorformat``
``%f:%l:%c: %m``), nvim-lint and VS Code problem matchers read. Line and column start at 1
(a finding without a column points at the rule's first column). A message never spans
lines: a line break in it (a rule value quoted into it may hold ``\\n``, ``\\r``, NEL,
U+2028...) is written as its visible escape (``util.lines.escape_controls``), and the witness
event, when there is one, follows it.
A finding without a file (none today) is anchored at the config file, else the first file.
"""

from __future__ import annotations

from rulelint.engine import Report
from rulelint.render.text import format_event
from rulelint.report.findings import Finding
from rulelint.util.lines import escape_controls


def line(f: Finding, fallback: str) -> str:
    message = f.message
    if f.witness is not None:
        message += f" (witness: {format_event(f.witness)})"
    # the whole line: a file name may hold a break too
    return escape_controls(f"{f.file or fallback}:{f.line or 1}:{f.column or 1}: {f.code} {message}")


def fallback_file(report: Report) -> str:
    settings = report.project.settings
    if settings.config_path is not None:
        return str(settings.config_path)
    return report.sources[0].display if report.sources else "rulelint"


def render(report: Report) -> str:
    fallback = fallback_file(report)
    return "".join(line(f, fallback) + "\n" for f in report.findings)
