"""Findings: what every pass produces and every renderer consumes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a rule file, for related locations (covering rules, duplicates)."""

    file: str
    line: int | None
    rule_id: str | None = None


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
    fingerprint: str | None = None
    # Content of the rules involved, for fingerprints (never line numbers).
    content_key: str = ""

    def __post_init__(self) -> None:
        if self.severity is None:
            from rulelint.registry import CHECKS

            self.severity = CHECKS[self.code].severity

    @property
    def name(self) -> str:
        from rulelint.registry import CHECKS

        return CHECKS[self.code].name

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.code, tuple(self.rule_ids))
