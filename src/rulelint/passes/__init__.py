"""Analysis passes. Each module holds one concern and declares the codes it can report;
the engine skips a pass when every one of its codes is turned off."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rulelint.engine import Context
    from rulelint.findings import Finding


@dataclass(frozen=True, slots=True)
class Pass:
    name: str
    codes: tuple[str, ...]
    run: Callable[[Context], Iterable[Finding]]


def all_passes() -> list[Pass]:
    from rulelint.passes import (
        duplicates,
        forecast,
        limits,
        mergeable,
        metadata,
        overlap,
        staleness,
    )

    return [
        limits.PASS, metadata.PASS, duplicates.PASS, overlap.PASS, mergeable.PASS,
        staleness.PASS, forecast.PASS,
    ]
