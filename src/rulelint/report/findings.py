"""Findings: what every pass produces and every renderer consumes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from rulelint.report.registry import CHECKS, Severity

__all__ = ["Finding", "LazyContent", "Location", "Severity", "fingerprint"]




@dataclass(frozen=True, slots=True)
class Location:
    """A place in a rule file, for related locations (covering rules, duplicates)."""

    file: str
    line: int | None
    rule_id: str | None = None


class LazyContent:
    """The content key of a finding about rules: the canonical content of each rule (a
    string part as it is) joined by ``|``, worked out only when a fingerprint is asked for
    (JSON, SARIF, baselines, ``--base``), not for every finding of a text report."""

    __slots__ = ("parts", "_text")

    def __init__(self, *parts: Any) -> None:
        self.parts = parts
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = "|".join(p if isinstance(p, str) else p.content() for p in self.parts)
        return self._text


@dataclass(slots=True)
class Finding:
    """One problem found in the rules.

    ``rule_ids`` lists the rule the finding is about first, then the rules involved
    (covering rules, the duplicate partner...). ``related`` holds their locations.
    ``severity`` defaults to the registry's severity for ``code``.
    """

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    ruleset: str | None = None
    rule_ids: list[str] = field(default_factory=list)
    witness: dict[str, Any] | None = None
    related: list[Location] = field(default_factory=list)
    severity: Severity | None = None
    # Content of the rules involved, for fingerprints (never line numbers).
    content_key: str | LazyContent = ""
    _fingerprint: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.severity is None:
            self.severity = CHECKS[self.code].severity

    @property
    def fingerprint(self) -> str:
        """Stable identity (see ``fingerprint``), computed on first use."""
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self)
        return self._fingerprint

    @fingerprint.setter
    def fingerprint(self, value: str) -> None:
        self._fingerprint = value

    @property
    def name(self) -> str:
        return CHECKS[self.code].name

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.code, tuple(self.rule_ids))


def fingerprint(f: Finding) -> str:
    """Stable identity of a finding: code, ruleset, rule ids and rule content; never lines."""
    parts = [f.code, f.ruleset or "", ",".join(f.rule_ids)]
    if f.rule_ids or f.content_key:
        parts.append(str(f.content_key))
    else:  # file-level findings (YAML errors): the file and the message
        parts.extend([f.file or "", f.message])
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
