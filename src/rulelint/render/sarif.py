"""``--format sarif``: SARIF 2.1.0, shaped the way GitHub code scanning reads it.

One run; ``tool.driver.rules`` holds every check of the registry (id, name, descriptions,
help in text and Markdown, default level), results point at them by ``ruleId`` and
``ruleIndex``. Locations are relative to the repository root (``uriBaseId`` ``%SRCROOT%``),
the other rules a finding names (covering rules, the duplicate) are ``relatedLocations``,
and ``partialFingerprints`` carries rulelint's line-independent fingerprint, so code
scanning keeps tracking an alert when the rule moves.

GitHub code scanning rejects a run with more than ``MAX_RESULTS`` (25,000) results, so a
larger report keeps the most severe ones (errors, then warnings, then infos; in file order
within a severity) and says in a tool execution notification how many it left out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rulelint import __version__
from rulelint.engine import Report
from rulelint.render import jsontext
from rulelint.render.locations import RepoPaths
from rulelint.render.text import format_event
from rulelint.report.findings import Finding, Location, Severity
from rulelint.report.registry import CHECKS, Check

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
VERSION = "2.1.0"
INFORMATION_URI = "https://pypi.org/project/rulelint/"
FINGERPRINT_KEY = "rulelint/v1"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000  # GitHub code scanning's limit per run
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _help_text(c: Check) -> str:
    return (
        f"{c.summary}\n\nWhat it means:\n{c.what}\n\nWhy it matters:\n{c.why}\n\n"
        f"How to fix it:\n{c.fix}\n\nExample:\n{c.example}"
    )


def _help_markdown(c: Check) -> str:
    return (
        f"**{c.code} {c.name}** ({c.severity}): {c.summary}\n\n"
        f"### What it means\n\n{c.what}\n\n### Why it matters\n\n{c.why}\n\n"
        f"### How to fix it\n\n{c.fix}\n\n### Example\n\n{c.example}"
    )


def rule_descriptor(c: Check) -> dict[str, Any]:
    return {
        "id": c.code,
        "name": c.name,
        "shortDescription": {"text": c.summary},
        "fullDescription": {"text": c.what},
        "help": {"text": _help_text(c), "markdown": _help_markdown(c)},
        "defaultConfiguration": {"level": LEVEL[c.severity]},
        "properties": {"tags": ["rulelint", c.name]},
    }


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _physical(file: str | None, line: int | None, paths: RepoPaths, column: int | None = None):
    rel = paths.relative(file) if file else None
    if rel is not None:
        artifact = {"uri": _uri(rel), "uriBaseId": SRCROOT}
    elif file:  # outside the repository: an absolute file URI
        artifact = {"uri": paths.absolute(file).as_uri()}
    else:
        return None
    region: dict[str, int] = {"startLine": max(1, line or 1)}
    if column:
        region["startColumn"] = column
    return {"artifactLocation": artifact, "region": region}


def _fallback_file(report: Report) -> str | None:
    """Where to anchor a finding that has no file (code scanning needs a location)."""
    settings = report.project.settings
    if settings.config_path is not None:
        return str(settings.config_path)
    return report.sources[0].display if report.sources else None


def _related(loc: Location, k: int, paths: RepoPaths) -> dict[str, Any] | None:
    phys = _physical(loc.file, loc.line, paths)
    if phys is None:
        return None
    text = f"rule '{loc.rule_id}'" if loc.rule_id else "related location"
    return {"id": k, "physicalLocation": phys, "message": {"text": text}}


def result(f: Finding, index: dict[str, int], paths: RepoPaths, fallback: str | None) -> dict:
    text = f.message
    if f.witness is not None:
        text = text.rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        text += f" Witness event: {format_event(f.witness)}."
    out: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": LEVEL[f.severity],
        "message": {"text": text},
    }
    phys = _physical(f.file or fallback, f.line, paths, f.column)
    out["locations"] = [{"physicalLocation": phys}] if phys is not None else []
    related = [r for k, loc in enumerate(f.related, 1) if (r := _related(loc, k, paths))]
    if related:
        out["relatedLocations"] = related
    if f.fingerprint:
        out["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    props: dict[str, Any] = {}
    if f.ruleset:
        props["ruleset"] = f.ruleset
    if f.rule_ids:
        props["ruleIds"] = list(f.rule_ids)
    if f.witness is not None:
        props["witness"] = f.witness
    if props:
        out["properties"] = props
    return out


def kept_findings(report: Report) -> tuple[list[Finding], int]:
    """At most ``MAX_RESULTS`` findings, most severe first (stable: file order within a
    severity), and how many were left out."""
    findings = report.findings
    if len(findings) <= MAX_RESULTS:
        return list(findings), 0
    ordered = sorted(findings, key=lambda f: -f.severity.rank)
    return ordered[:MAX_RESULTS], len(findings) - MAX_RESULTS


def _invocation(report: Report, left_out: int = 0) -> dict[str, Any]:
    """The run itself, with its run-level remarks (git dates unavailable, hit log problems,
    results left out over the limit)."""
    inv: dict[str, Any] = {"executionSuccessful": True}
    notes = [{"level": "note", "message": {"text": n}} for n in report.notices]
    if left_out:
        total = len(report.findings)
        notes.append({
            "level": "warning",
            "message": {"text": (
                f"{left_out} of {total} results left out: GitHub code scanning accepts at "
                f"most {MAX_RESULTS} per run; these are the most severe. Run `rulelint "
                "check` (or --format json) for all of them."
            )},
            "descriptor": {"id": "rulelint/results-limit"},
        })
    if notes:
        inv["toolExecutionNotifications"] = notes
    return inv


def sarif_dict(report: Report) -> dict[str, Any]:
    checks = list(CHECKS.values())
    index = {c.code: i for i, c in enumerate(checks)}
    paths = RepoPaths(report.project.settings)
    fallback = _fallback_file(report)
    kept, left_out = kept_findings(report)
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rulelint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_descriptor(c) for c in checks],
                    }
                },
                "invocations": [_invocation(report, left_out)],
                "columnKind": "unicodeCodePoints",
                "results": [result(f, index, paths, fallback) for f in kept],
            }
        ],
    }


def render(report: Report) -> str:
    return jsontext.dumps(sarif_dict(report)) + "\n"
