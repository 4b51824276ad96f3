"""``--format json``, version 1 (SPEC.md): the machine-readable report."""

from __future__ import annotations

import json
from typing import Any

from rulelint.engine import Report
from rulelint.findings import Finding

VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "severity": str(f.severity),
        "message": f.message,
        "file": f.file,
        "line": f.line,
        "ruleset": f.ruleset,
        "rule_ids": list(f.rule_ids),
        "witness": f.witness,
        "fingerprint": f.fingerprint,
    }


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "version": VERSION,
        "summary": report.summary(),
        "findings": [finding_dict(f) for f in report.findings],
    }


def render(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False, default=str) + "\n"
