"""The engine: a loaded project -> passes -> findings, inline suppressions, the report data.

Nothing here prints. ``pipeline.run_check`` composes it with the baseline and the ``--base``
filter and returns a ``Report`` that any renderer can draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.load.config import ConfigError, Settings
from rulelint.load.files import SourceFile, discover
from rulelint.load.project import Project, load_project
from rulelint.passes import Context, all_passes
from rulelint.passes.mergeable import hint_removals
from rulelint.report.findings import Finding, LazyContent, Severity
from rulelint.report.registry import CHECKS, is_enabled, unknown_selectors
from rulelint.util import progress
from rulelint.util.gcpause import paused_gc


@dataclass
class RulesetSummary:
    name: str
    rules: int
    max_rules: int | None
    mergeable_slots: int = 0
    semantics: str = "first-match"
    warn_ratio: float = 0.8
    frees: dict[str, int] | None = None  # suggest-merge's slots freed per flag (RL601 pass)


@dataclass
class Report:
    project: Project
    findings: list[Finding]
    rulesets: list[RulesetSummary]
    sources: list[SourceFile]
    used_default_paths: bool = False
    suppressed: int = 0  # inline and baseline together
    baselined: int = 0  # of which by --baseline
    base_ref: str | None = None  # --base: only findings added over this ref are listed
    not_added: int = 0  # --base: findings left out because the ref already had them
    notices: list[str] = field(default_factory=list)  # run-level remarks (git, hit log...)
    # rules a question about which went unanswered (a resource limit): SPEC's
    # summary.incomplete, one {"ruleset", "rule_id", "file", "line", "codes"} per rule
    incomplete: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        c = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            c[str(f.severity)] += 1
        return c

    def summary(self) -> dict[str, Any]:
        c = self.counts()
        return {
            "files": len(self.sources),
            "rules": self.project.rule_count,
            "errors": c["error"],
            "warnings": c["warning"],
            "infos": c["info"],
            "rulesets": [
                {
                    "name": rs.name,
                    "rules": rs.rules,
                    "max_rules": rs.max_rules,
                    "mergeable_slots": rs.mergeable_slots,
                    **({"frees": rs.frees} if rs.frees is not None else {}),
                }
                for rs in self.rulesets
            ],
            "incomplete": list(self.incomplete),
        }

    def fails(self, level: Severity) -> bool:
        return any(f.severity.rank >= level.rank for f in self.findings)


def make_enabled(settings: Settings) -> Callable[[str], bool]:
    bad = unknown_selectors([*settings.select, *settings.ignore])
    if bad:
        raise ConfigError(
            f"unknown check code or prefix {bad[0]!r} in select/ignore; "
            "`rulelint rule` lists the codes"
        )
    cache: dict[str, bool] = {}
    select, ignore = settings.select, settings.ignore

    def enabled(code: str) -> bool:
        v = cache.get(code)
        if v is None:
            # a file that cannot be read is always reported (like ruff's syntax errors)
            v = cache[code] = code == "RL001" or is_enabled(code, select, ignore)
        return v

    return enabled


def analyse(project: Project, settings: Settings) -> tuple[list[Finding], Context]:
    """Run every enabled pass; return all findings (not yet filtered by suppressions)."""
    enabled = make_enabled(settings)
    ctx = Context(project, settings, enabled)
    findings = [f for f in project.findings if enabled(f.code)]
    with paused_gc():
        for p in all_passes():
            if not any(enabled(c) for c in p.codes):
                continue
            with progress.step(f"pass {p.name}"):
                findings.extend(f for f in p.run(ctx) if enabled(f.code))
    hint_removals(findings, ctx)
    return findings, ctx


def apply_suppressions(project: Project, findings: list[Finding], enabled) -> tuple[list[Finding], int]:
    """Inline ``# rulelint: ignore[CODES] reason`` on a rule's id line; report unused ones."""
    by_key = {}
    for rs in project.rulesets.values():
        for r in rs.rules:
            if r.suppress:
                by_key[(rs.name, r.id, r.file)] = r
    if not by_key:
        return findings, 0
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    dropped = 0
    for f in findings:
        r = by_key.get((f.ruleset, f.rule_ids[0], f.file)) if f.rule_ids else None
        if r is not None:
            code = next((c for c in r.suppress if f.code.startswith(c) or c == "ALL"), None)
            if code is not None:
                used.add((id(r), code))
                dropped += 1
                continue
        kept.append(f)
    if enabled("RL901"):
        for (rs_name, rid, file), r in by_key.items():
            for code in r.suppress:
                if (id(r), code) in used:
                    continue
                known = code == "ALL" or any(c.startswith(code) for c in CHECKS)
                why = "suppresses nothing" if known else "names no known check"
                f = Finding(
                    "RL901",
                    f"`# rulelint: ignore[{code}]` on rule {rid!r} {why}; remove it",
                    file, r.suppress_line, ruleset=rs_name, rule_ids=[rid],
                    content_key=LazyContent(code, r),
                )
                kept.append(f)
    return kept, dropped


def load_rules(paths: list[Path] | None, settings: Settings) -> Project:
    """Discover the rule files and load them into a project (RL001-RL005 on the way)."""
    sources, used_default = discover(paths, settings)
    if not sources:
        if used_default:
            raise ConfigError(
                "no rule files found: looked for rules.yaml, rules.example.yaml and "
                "rules/**/*.yaml here; pass paths or set `paths:` in rulelint.yaml"
            )
        raise ConfigError("no rule files found in the given paths")
    n = len(sources)
    with paused_gc(), progress.step(f"loading {n} file{'s' if n != 1 else ''}", n):
        project = load_project(sources, settings)
    project.used_default_paths = used_default
    return project


def summarise(project: Project, findings: list[Finding], ctx: Context, **counts: Any) -> Report:
    """The report of a run: findings in file order, one summary per ruleset, the notices."""
    findings.sort(key=Finding.sort_key)
    mergeable = ctx.cache.get("mergeable_slots", {})
    frees = ctx.cache.get("frees", {})
    summaries = [
        RulesetSummary(
            rs.name,
            rs.slot_count,
            rs.max_rules,
            mergeable.get(rs.name, 0),
            rs.semantics,
            rs.warn_ratio,
            frees.get(rs.name),
        )
        for rs in project.rulesets.values()
    ]
    return Report(
        project, findings, summaries, [f.source for f in project.files],
        project.used_default_paths,
        notices=list(dict.fromkeys(ctx.cache.get("notices", []))),
        incomplete=list(ctx.cache.get("incomplete", [])),
        **counts,
    )
