"""docs/rules.md: the documentation of every check, generated from the registry.

``rulelint rule --all --format markdown > docs/rules.md`` writes it; a test fails when the
file in the repository differs from what the registry gives (the message says this
command). Each check is one ``## RLxxx name`` section, so its anchor is the one GitHub
derives from the heading (``#rl301-redundant``: ``Check.url_fragment``), the one SARIF's
``helpUri`` points at.
"""

from __future__ import annotations

from rulelint.report.registry import CHECKS, Check

REGENERATE = "rulelint rule --all --format markdown > docs/rules.md"


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def check_section(c: Check) -> str:
    return (
        f"## {c.code} {c.name}\n\n"
        f"Default severity: **{c.severity}**. {c.summary}\n\n"
        f"### What it means\n\n{c.what}\n\n### Why it matters\n\n{c.why}\n\n"
        f"### How to fix it\n\n{c.fix}\n\n### Example\n\n{c.example}\n"
    )


def rules_markdown() -> str:
    checks = list(CHECKS.values())
    head = [
        "# rulelint checks",
        "",
        f"<!-- Generated from src/rulelint/report/registry.py by `{REGENERATE}`;",
        "     edit the registry, not this file. -->",
        "",
        "`rulelint rule CODE` prints the same text in the terminal. SARIF reports link each",
        "check here (`helpUri`).",
        "",
        "| code | name | severity | summary |",
        "|---|---|---|---|",
    ]
    head += [
        f"| [{c.code}](#{c.url_fragment}) | {c.name} | {c.severity} | {_cell(c.summary)} |"
        for c in checks
    ]
    return "\n".join(head) + "\n\n" + "\n".join(check_section(c) for c in checks)
