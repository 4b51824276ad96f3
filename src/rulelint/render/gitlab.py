"""``--format gitlab``: a GitLab Code Quality report (a Code Climate subset).

A JSON array with one object per finding::

    {"description": "RL302 shadowed: ...", "check_name": "RL302",
     "fingerprint": "...", "severity": "major",
     "location": {"path": "rules/a.yaml", "lines": {"begin": 12}}}

GitLab's severities are info, minor, major, critical and blocker. rulelint maps info to
``info``, warning to ``minor`` and error to ``major``; the two errors that stop the rules
from working at all, a file that cannot be read (RL001) and a ruleset over its cap (RL101),
are ``critical``. Paths are relative to the repository root, as GitLab resolves them.
GitLab keys findings by fingerprint (one it has seen already is "unchanged" in the merge
request widget), so fingerprints are rulelint's line-independent ones, made unique within
the report when two findings share one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from rulelint.engine import Report
from rulelint.render import jsontext
from rulelint.render.concise import fallback_file
from rulelint.render.locations import RepoPaths
from rulelint.render.text import format_event
from rulelint.report.findings import Finding, Severity

SEVERITY = {Severity.INFO: "info", Severity.WARNING: "minor", Severity.ERROR: "major"}
CRITICAL = frozenset({"RL001", "RL101"})


def severity(f: Finding) -> str:
    if f.severity is Severity.ERROR and f.code in CRITICAL:
        return "critical"
    return SEVERITY[f.severity]


def issue(f: Finding, paths: RepoPaths, fallback: str, fingerprint: str) -> dict[str, Any]:
    description = f"{f.code} {f.name}: {f.message}"
    if f.witness is not None:
        description += f" (witness: {format_event(f.witness)})"
    return {
        "description": description,
        "check_name": f.code,
        "fingerprint": fingerprint,
        "severity": severity(f),
        "location": {"path": paths.best(f.file or fallback), "lines": {"begin": f.line or 1}},
    }


def chunks(report: Report) -> Iterator[str]:
    paths = RepoPaths(report.project.settings)
    fallback = fallback_file(report)
    if not report.findings:
        yield "[]\n"
        return
    seen: set[str] = set()
    parts = ["[\n  "]
    for i, f in enumerate(report.findings):
        fp = f.fingerprint
        n = 1
        while fp in seen:  # the same finding twice (two identical rules in one file...)
            fp = hashlib.sha256(f"{f.fingerprint}\x1f{n}".encode()).hexdigest()[:20]
            n += 1
        seen.add(fp)
        if i:
            parts.append(",\n  ")
        parts.append(jsontext.dumps(issue(f, paths, fallback, fp), "  "))
        if len(parts) >= 4096:
            yield "".join(parts)
            parts = []
    parts.append("\n]\n")
    yield "".join(parts)


def render(report: Report) -> str:
    return "".join(chunks(report))
