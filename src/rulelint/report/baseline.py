"""Baseline files: accept today's findings, fail only on new ones.

``--write-baseline FILE`` records the fingerprint of every current finding;
``--baseline FILE`` suppresses the findings whose fingerprint it holds and reports each
entry that matches no current finding as RL902 (stale). Fingerprints are made of the code,
the ruleset, the rule ids and the rules' content, never line numbers (``findings.fingerprint``),
so moving or reordering rules keeps them suppressed.

File format (JSON)::

    {"version": 1,
     "findings": [{"fingerprint": "...", "code": "RL301", "ruleset": "support",
                   "rule_ids": ["a", "b"], "message": "..."}]}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.report.findings import Finding
from rulelint.util.atomicio import write_atomic
from rulelint.util.errors import ConfigError

VERSION = 1
STALE_CODE = "RL902"


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    code: str
    ruleset: str | None
    rule_ids: tuple[str, ...]
    message: str
    line: int | None = None  # where the entry sits in the baseline file


@dataclass
class Baseline:
    path: Path
    display: str
    entries: list[Entry] = field(default_factory=list)

    def fingerprints(self) -> set[str]:
        return {e.fingerprint for e in self.entries}

    def apply(
        self, findings: list[Finding], enabled: Callable[[str], bool]
    ) -> tuple[list[Finding], int]:
        """Drop baselined findings; add one RL902 finding per stale entry.
        Returns (kept findings, number suppressed)."""
        known = self.fingerprints()
        seen: set[str] = set()
        kept: list[Finding] = []
        dropped = 0
        for f in findings:
            fp = f.fingerprint
            if fp in known:
                seen.add(fp)
                dropped += 1
            else:
                kept.append(f)
        if enabled(STALE_CODE):
            for e in self.entries:
                if e.fingerprint not in seen:
                    kept.append(self._stale(e))
                    seen.add(e.fingerprint)  # one finding per fingerprint
        return kept, dropped

    def _stale(self, e: Entry) -> Finding:
        about = f" on rule {e.rule_ids[0]!r}" if e.rule_ids else ""
        where = f" in ruleset {e.ruleset!r}" if e.ruleset else ""
        f = Finding(
            STALE_CODE,
            f"baseline entry for {e.code}{about}{where} matches no current finding "
            "(fixed, or the rules it names changed or were removed); "
            "rewrite the baseline with --write-baseline",
            self.display,
            e.line,
            ruleset=e.ruleset,
            rule_ids=list(e.rule_ids),
            content_key=f"baseline:{e.fingerprint}",
        )
        return f


def _entry_dict(f: Finding) -> dict[str, Any]:
    return {
        "fingerprint": f.fingerprint,
        "code": f.code,
        "ruleset": f.ruleset,
        "rule_ids": list(f.rule_ids),
        "message": f.message,
    }


def baseline_text(findings: Iterable[Finding]) -> str:
    entries: dict[str, dict[str, Any]] = {}
    for f in findings:
        if f.code == STALE_CODE:
            continue
        d = _entry_dict(f)
        entries.setdefault(d["fingerprint"], d)
    ordered = sorted(
        entries.values(),
        key=lambda d: (d["ruleset"] or "", d["code"], d["rule_ids"], d["fingerprint"]),
    )
    doc = {"version": VERSION, "findings": ordered}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Write the baseline with ``util.atomicio.write_atomic`` (temp file, fsync, rename;
    symlinks followed, only regular files replaced, mode kept); return the number of
    entries written."""
    text = baseline_text(findings)
    write_atomic(path, text.encode("utf-8"))
    return len(json.loads(text)["findings"])


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    """Read a baseline file; a clear ConfigError (exit 2) naming file and line otherwise."""
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"baseline file {display} does not exist; create it with --write-baseline {display}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"cannot read baseline file {display}: {reason}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{display}:{exc.lineno}: baseline file is not valid JSON: {exc.msg}"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ConfigError(
            f"{display}: not a rulelint baseline "
            '(expected {"version": 1, "findings": [...]}); write one with --write-baseline'
        )
    if doc.get("version") != VERSION:
        raise ConfigError(
            f"{display}: baseline version {doc.get('version')!r} is not supported "
            f"(this rulelint reads version {VERSION})"
        )
    lines = _fingerprint_lines(text)
    entries = []
    for i, item in enumerate(doc["findings"]):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise ConfigError(f"{display}: findings[{i}] has no \"fingerprint\" string")
        ids = item.get("rule_ids") or []
        if not isinstance(ids, list):
            ids = [ids]
        fp = item["fingerprint"]
        entries.append(
            Entry(
                fp,
                str(item.get("code") or "?"),
                item.get("ruleset") if isinstance(item.get("ruleset"), str) else None,
                tuple(str(x) for x in ids),
                str(item.get("message") or ""),
                lines.get(fp),
            )
        )
    return Baseline(path, display, entries)


def _fingerprint_lines(text: str) -> dict[str, int]:
    """The line of each ``"fingerprint": "..."`` in the file, for RL902 locations."""
    out: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        key = line.find('"fingerprint"')
        if key == -1:
            continue
        rest = line[key + len('"fingerprint"') :].lstrip(" \t:")
        if rest.startswith('"'):
            end = rest.find('"', 1)
            if end != -1:
                out.setdefault(rest[1:end], n)
    return out
