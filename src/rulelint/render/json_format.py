"""``--format json``, version 1 (SPEC.md): the machine-readable report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rulelint.engine import Report
from rulelint.render import jsontext
from rulelint.report.findings import Finding

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


_str = jsontext.encode_string
_IDS = ",\n        "


def _opt(v: Any) -> str:
    """A file, line or ruleset: text, a number or null (as ``jsontext`` writes them)."""
    if v is None:
        return "null"
    if isinstance(v, str):
        return _str(v)
    return jsontext.dumps(v, "      ")


def finding_text(f: Finding) -> str:
    """``jsontext.dumps(finding_dict(f), "    ")``, written field by field: the report's
    findings are most of its text, and their keys and types are known
    (tests/test_fast_paths.py compares the two)."""
    ids = f.rule_ids
    return "".join((
        '{\n      "code": ', _str(f.code),
        ',\n      "name": ', _str(f.name),
        ',\n      "severity": ', _str(str(f.severity)),
        ',\n      "message": ', _str(f.message),
        ',\n      "file": ', _opt(f.file),
        ',\n      "line": ', _opt(f.line),
        ',\n      "ruleset": ', _opt(f.ruleset),
        ',\n      "rule_ids": ',
        "[\n        " + _IDS.join(map(_str, ids)) + "\n      ]"
        if ids and all(type(x) is str for x in ids) else jsontext.dumps(list(ids), "      "),
        ',\n      "witness": ', jsontext.dumps(f.witness, "      "),
        ',\n      "fingerprint": ', _str(f.fingerprint),
        "\n    }",
    ))


def report_dict(report: Report, findings: bool = True) -> dict[str, Any]:
    """The report as data; ``findings=False`` leaves the findings list empty."""
    return {
        "version": VERSION,
        "summary": report.summary(),
        "findings": [finding_dict(f) for f in report.findings] if findings else [],
    }


CHUNK = 1 << 20  # characters: how much of the report ``chunks`` gathers before it yields


def chunks(report: Report) -> Iterator[str]:
    """The text of ``render(report)`` in pieces of whole findings, about ``CHUNK`` characters
    each, made as they are written: the findings never exist as dicts or as one text all at
    once (at 100k findings the text alone is some 65 MB)."""
    head = jsontext.dumps(report_dict(report, findings=False))
    if not report.findings:
        yield head + "\n"
        return
    parts = [head.removesuffix("[]\n}"), "[\n    "]
    size = 0
    for i, f in enumerate(report.findings):
        if i:
            parts.append(",\n    ")
        text = finding_text(f)
        parts.append(text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n  ]\n}\n")
    yield "".join(parts)


def render(report: Report) -> str:
    """``json.dumps(report_dict(report), indent=2, ensure_ascii=False, default=str)`` and a
    newline (see ``jsontext``)."""
    return "".join(chunks(report))
