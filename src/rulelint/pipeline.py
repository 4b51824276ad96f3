"""``check`` end to end: files -> project -> passes (the engine) -> ``per_file_ignores`` ->
inline suppressions -> baseline -> ``--base`` filter -> ``Report``.

The filters sit above the engine: the ``--base`` filter analyses the base ref with the same
engine, so the engine itself never calls back into it. Nothing here prints.

With ``cache=True`` the whole run is answered from ``report/cache.py`` when its inputs are
unchanged; ``cache_inputs`` lists what the key covers.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path
from typing import Any

from rulelint.engine import (
    Report,
    RulesetSummary,
    analyse,
    apply_suppressions,
    load_rules,
    summarise,
)
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
    cache: bool = False,
) -> Report:
    """passes -> inline suppressions -> ``baseline`` (a ``baseline.Baseline``) -> ``--base``.

    The cyclic collector is paused throughout (see ``gcpause``): with a large project in
    memory, each of its full collections walks every object of it."""
    if cache and project is None:
        return _cached(paths, settings, baseline, base_ref)
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


def cache_inputs(
    paths: list[Path] | None, settings: Settings, baseline: Any, base_ref: str | None
) -> list[tuple[str, bytes]] | None:
    """What a check's result depends on, as (label, bytes): every resolved setting (``--today``
    among them), each rule file's path and bytes, the hit log's and the baseline's bytes, the
    git ``HEAD`` of the project and the ``--base`` commit. None: not cacheable (stdin)."""
    from rulelint.history.git import GitError, repo_root, resolve_commit, run_git
    from rulelint.load.files import discover

    if any(str(p) == "-" for p in paths or ()):
        return None
    parts: list[tuple[str, bytes]] = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        text = value.model_dump_json() if hasattr(value, "model_dump_json") else repr(value)
        parts.append((f"settings.{f.name}", text.encode("utf-8", "surrogateescape")))
    parts.append(("paths", repr(paths).encode("utf-8", "surrogateescape")))
    sources, used_default = discover(paths, settings)
    parts.append(("default-paths", b"1" if used_default else b"0"))
    for src in sources:
        try:  # only regular files: a FIFO or a device is never opened here
            if not stat.S_ISREG(os.stat(src.path).st_mode):
                return None
            data = src.path.read_bytes()
        except OSError:
            return None  # the loader reports it; such a run is not worth caching
        parts.append((f"file:{src.path}\0{src.display}", data))
    for label, path in (("hits", settings.hits), ("baseline", getattr(baseline, "path", None))):
        if path is not None:
            try:
                parts.append((label, (settings.cwd / path).read_bytes()))
            except OSError:
                parts.append((label, b"\0unreadable"))
    root = repo_root(settings.root)
    head = b"no git"
    if root is not None:
        try:
            head = run_git(["rev-parse", "--verify", "--quiet", "HEAD"], root, ok_codes=(0, 1)).strip()
        except GitError:
            head = b"no HEAD"
    parts.append(("git", str(root).encode("utf-8", "surrogateescape") + b"\0" + head))
    if base_ref is not None:
        try:
            parts.append(("base", resolve_commit(base_ref, settings.cwd).encode()))
        except GitError:
            return None  # the run itself says what is wrong with the ref
    return parts


def _cached(paths: list[Path] | None, settings: Settings, baseline: Any, base_ref: str | None) -> Report:
    from rulelint.load.files import SourceFile
    from rulelint.report import cache as result_cache

    parts = cache_inputs(paths, settings, baseline, base_ref)
    if parts is None:
        return run_check(paths, settings, baseline=baseline, base_ref=base_ref)
    store = result_cache.ResultCache(settings.root)
    key = result_cache.key(parts)
    data = store.get(key)
    if data is not None:
        try:
            other = data["other"]
            project = result_cache.CachedProject(
                settings, data["rule_count"], other.get("used_default_paths", False))
            return Report(
                project,  # type: ignore[arg-type]  (what renderers read of a project)
                result_cache.findings_from(data),
                [RulesetSummary(**rs) for rs in data["rulesets"]],
                [SourceFile(Path(p), d) for p, d in data["sources"]],
                **other,
            )
        except (KeyError, TypeError, ValueError):
            pass  # an entry of another shape: recompute and replace it
    report = run_check(paths, settings, baseline=baseline, base_ref=base_ref)
    skip = {"project", "findings", "rulesets", "sources"}
    other = {f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.name not in skip}
    store.put_text(key, result_cache.report_pieces(report, other))  # (not exact: not stored)
    return report
