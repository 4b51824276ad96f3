"""Analysis passes. Each module holds one concern and declares the codes it can report;
the engine skips a pass when every one of its codes is turned off."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rulelint.algebra.index import OverlapIndex
    from rulelint.load.config import Settings
    from rulelint.load.project import Project, RuleEntry, RuleSet
    from rulelint.report.findings import Finding


@dataclass
class Context:
    """What a pass sees: the loaded project, the settings, which codes are on, and a cache
    shared between passes (the overlap index, the merge plan...)."""

    project: Project
    settings: Settings
    enabled: Callable[[str], bool]
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pass:
    name: str
    codes: tuple[str, ...]
    run: Callable[[Context], Iterable[Finding]]


def live_index(ctx: Context, rs: RuleSet) -> tuple[list[RuleEntry], OverlapIndex]:
    """The live rules of a ruleset in evaluation order and their ``OverlapIndex``, built
    once per run and shared by the passes that ask (overlap, mergeable)."""
    from rulelint.algebra.index import OverlapIndex

    key = ("overlap-index", rs.name)
    got = ctx.cache.get(key)
    if got is None:
        live = rs.live_rules()
        got = ctx.cache[key] = (live, OverlapIndex([r.box for r in live]))
    return got


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
