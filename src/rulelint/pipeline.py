"""``check`` end to end: files -> project -> passes (the engine) -> ``per_file_ignores`` ->
inline suppressions -> baseline -> ``--base`` filter -> ``Report``.

The filters sit above the engine: the ``--base`` filter analyses the base ref with the same
engine, so the engine itself never calls back into it. Nothing here prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rulelint.engine import Report, analyse, apply_suppressions, load_rules, summarise
from rulelint.load.config import Settings
from rulelint.load.project import Project
from rulelint.report.findings import Finding
from rulelint.report.registry import matches_selector
from rulelint.util.gcpause import paused_gc


def run_check(
    paths: list[Path] | None,
    settings: Settings,
    *,
    project: Project | None = None,
    baseline: Any = None,
    base_ref: str | None = None,
) -> Report:
    """passes -> inline suppressions -> ``baseline`` (a ``baseline.Baseline``) -> ``--base``.

    The cyclic collector is paused throughout (see ``gcpause``): with a large project in
    memory, each of its full collections walks every object of it."""
    with paused_gc():
        if project is None:
            project = load_rules(paths, settings)
        findings, ctx = analyse(project, settings)
        if settings.config.per_file_ignores:
            findings = drop_per_file_ignored(findings, settings)
        findings, suppressed = apply_suppressions(project, findings, ctx.enabled)
        baselined = not_added = 0
        if baseline is not None:
            findings, baselined = baseline.apply(findings, ctx.enabled)
        if base_ref is not None:
            from rulelint.compare.basediff import keep_added, load_base

            base = load_base(base_ref, paths, settings, project)
            findings, not_added = keep_added(findings, project, base, settings)
        return summarise(
            project, findings, ctx, suppressed=suppressed + baselined, baselined=baselined,
            base_ref=base_ref, not_added=not_added,
        )


def drop_per_file_ignored(findings: list[Finding], settings: Settings) -> list[Finding]:
    """Leave out what ``per_file_ignores`` turns off for each finding's file (a file that
    cannot be read, RL001, is always reported, as with ``ignore``)."""
    by_file: dict[str | None, list[str]] = {}
    kept = []
    for f in findings:
        codes = by_file.get(f.file)
        if codes is None:
            codes = by_file[f.file] = settings.per_file_ignored(f.file)
        if codes and f.code != "RL001" and matches_selector(f.code, codes):
            continue
        kept.append(f)
    return kept
