"""The report data: one ``pipeline.run_check`` and one history walk -> an ``Overview``.

Everything the HTML page shows is here as plain values (numbers, strings, dates, lists); the
renderer only draws them. The growth numbers are ``rulelint history``'s (``history/growth.py``
and ``history/trend.py``, the same call with the same window), so the page, ``history`` and
RL104 agree. Long tables are capped at ``row_cap`` rows; each table keeps the count of the rows
left out and the command that lists them all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rulelint.engine import Report
from rulelint.history import growth
from rulelint.history.git import GitError
from rulelint.history.trend import RulesetHistory
from rulelint.load.config import Settings
from rulelint.load.project import RuleSet, usage
from rulelint.overview.cleanup import Frees, frees
from rulelint.pipeline import run_check
from rulelint.report.findings import Finding
from rulelint.report.registry import CHECKS
from rulelint.report.review import NO_OWNER, REVIEW_CODES, build_review

ROW_CAP = 200  # rows per long table; the rest are counted and named by a command

# The rules that need a decision are `rulelint review`'s (report/review.py), so the page and the
# review list the same rules with the same actions; its command lists a capped table in full.
REVIEW_COMMAND = "rulelint review"
RULESET_LEVEL = "(the ruleset)"


@dataclass(frozen=True, slots=True)
class Cap:
    measure: str  # rules | bytes | cost
    limit_key: str  # max_rules | max_bytes | max_cost
    used: int
    cap: int
    warn_ratio: float

    @property
    def left(self) -> int:
        return self.cap - self.used

    @property
    def ratio(self) -> float:
        return self.used / self.cap if self.cap else (1.0 if self.used else 0.0)

    @property
    def status(self) -> str:
        """over | near | ok, as RL101 / RL102 judge it."""
        if self.used > self.cap:
            return "over"
        if self.cap and self.used >= self.warn_ratio * self.cap:
            return "near"
        return "ok"


@dataclass(frozen=True, slots=True)
class CodeCount:
    code: str
    name: str
    severity: str
    count: int
    summary: str


@dataclass(slots=True)
class OwnerCount:
    owner: str
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    rules: int = 0  # rules of this owner that need a decision
    frees: int = 0  # slots those decisions can free

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule that needs a human decision, with every reason found."""

    rule_id: str
    owner: str
    file: str
    line: int
    codes: tuple[str, ...]  # most pressing first
    reasons: tuple[str, ...]  # "RL302 shadowed", ...
    action: str  # the suggested action (``rulelint review``'s)
    frees: int  # the slots that action frees


@dataclass(frozen=True, slots=True)
class Table:
    """A capped table: the rows shown, how many were left out and the command that lists all."""

    rows: list
    total: int
    command: str

    @property
    def left_out(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True, slots=True)
class Growth:
    """``rulelint history``'s numbers for one ruleset (``history.trend.RulesetHistory``)."""

    points: list[tuple[dt.date, int]]  # count after each commit that changed it, then today
    status: str
    sentence: str
    per_week: float | None
    window_start: dt.date | None
    window_days: int
    end: dt.date
    cap_date: dt.date | None
    days_left: int | None
    commits: int
    weeks: list[tuple[dt.date, int, int]]  # (Monday, count at the end, change)


@dataclass(slots=True)
class RulesetOverview:
    name: str
    semantics: str
    files: list[str]
    rules: int
    caps: list[Cap]
    growth: Growth | None
    growth_note: str | None  # why there is no growth chart
    by_code: list[CodeCount]
    by_owner: Table  # rows: OwnerCount, most slots at stake first
    frees: Frees
    decisions: Table  # rows: Decision, most slots freed first

    @property
    def counts(self) -> dict[str, int]:
        c = {"error": 0, "warning": 0, "info": 0}
        for cc in self.by_code:
            c[cc.severity] += cc.count
        return c


@dataclass(slots=True)
class Overview:
    today: dt.date
    files: list[str]  # as shown (relative to the current directory)
    file_paths: list[Path]  # the same files, resolved
    rules: int
    counts: dict[str, int]
    rulesets: list[RulesetOverview]
    notices: list[str] = field(default_factory=list)
    command: str = "rulelint check"  # how the same findings are listed in the terminal


def build(
    paths: list[Path] | None,
    settings: Settings,
    *,
    row_cap: int = ROW_CAP,
    window_days: int = growth.DEFAULT_WINDOW_DAYS,
    command: str = "rulelint check",
) -> Overview:
    """Run the check pipeline once and the history once; return the page's data."""
    report = run_check(paths, settings)
    histories, note = _histories(report, settings, paths, window_days)
    freed = frees(report, settings)
    review = _review_rows(report)
    by_ruleset: dict[str | None, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_ruleset[f.ruleset].append(f)
    out = []
    for rs in report.project.rulesets.values():
        h = histories.get(rs.name)
        found = by_ruleset.get(rs.name, [])
        decisions = review.get(rs.name, [])
        out.append(RulesetOverview(
            name=rs.name,
            semantics=rs.semantics,
            files=[fi.source.display for fi in rs.files],
            rules=rs.slot_count,
            caps=[Cap(m, _LIMIT_KEY[m], used, cap, rs.warn_ratio) for m, used, cap in usage(rs)],
            growth=_growth(h) if h is not None else None,
            growth_note=note if h is None else None,
            by_code=_by_code(found),
            by_owner=_by_owner(rs, found, decisions, row_cap, command),
            frees=freed[rs.name],
            decisions=Table(decisions[:row_cap], len(decisions), _review_command(command)),
        ))
    notices = list(report.notices)
    loose = by_ruleset.get(None, [])
    if loose:
        notices.append(
            f"{len(loose)} finding{'s' if len(loose) != 1 else ''} outside any ruleset "
            f"(files that could not be read); `{command}` lists them"
        )
    return Overview(
        today=settings.today,
        files=[s.display for s in report.sources],
        file_paths=[s.path.resolve() for s in report.sources],
        rules=report.project.rule_count,
        counts=report.counts(),
        rulesets=out,
        notices=notices,
        command=command,
    )


_LIMIT_KEY = {"rules": "max_rules", "bytes": "max_bytes", "cost": "max_cost"}


def _histories(
    report: Report, settings: Settings, paths: list[Path] | None, window_days: int
) -> tuple[dict[str, RulesetHistory], str | None]:
    """``rulelint history``'s walk (the whole first-parent history of the rule files)."""
    project = report.project
    root = growth.repo_for(project, settings)
    if root is None:
        return {}, "no growth chart: the rule files are not inside a git repository"
    sources = [fi.source for fi in project.files]
    try:
        specs = growth.pathspecs_for(paths, settings, root, sources)
        if not specs:
            return {}, "no growth chart: no rule files inside the git repository to follow"
        hist = growth.build(project, settings, root, specs, window_days=window_days)
    except GitError as exc:
        return {}, f"no growth chart: {exc}"
    return {h.name: h for h in hist.rulesets if h.name in project.rulesets}, None


def _growth(h: RulesetHistory) -> Growth:
    return Growth(
        points=[(p.day, p.rules) for p in h.points],
        status=h.status,
        sentence=h.sentence(),
        per_week=h.per_week,
        window_start=h.window_start,
        window_days=h.window_days,
        end=h.end,
        cap_date=h.cap_date,
        days_left=h.days_left,
        commits=h.commits,
        weeks=[(w.start, w.rules, w.change) for w in h.weeks],
    )


def _by_code(findings: list[Finding]) -> list[CodeCount]:
    counts = Counter((f.code, str(f.severity)) for f in findings)
    rank = {"error": 0, "warning": 1, "info": 2}
    return [
        CodeCount(code, CHECKS[code].name, sev, n, CHECKS[code].summary)
        for (code, sev), n in sorted(counts.items(), key=lambda kv: (rank[kv[0][1]], kv[0][0]))
    ]


def _owner_of(rs: RuleSet) -> dict[str, str]:
    return {r.id: (r.rule.owner or NO_OWNER) for r in reversed(rs.rules)}


def _by_owner(rs: RuleSet, findings: list[Finding], decisions: list[Decision], row_cap: int,
              command: str) -> Table:
    owners = _owner_of(rs)
    rows: dict[str, OwnerCount] = {}
    for f in findings:
        owner = owners.get(f.rule_ids[0], NO_OWNER) if f.rule_ids else RULESET_LEVEL
        row = rows.get(owner) or rows.setdefault(owner, OwnerCount(owner))
        sev = str(f.severity)
        if sev == "error":
            row.errors += 1
        elif sev == "warning":
            row.warnings += 1
        else:
            row.infos += 1
    for d in decisions:
        row = rows.get(d.owner) or rows.setdefault(d.owner, OwnerCount(d.owner))
        row.rules += 1
        row.frees += d.frees
    ordered = sorted(rows.values(), key=lambda r: (-r.frees, -r.total, r.owner))
    return Table(ordered[:row_cap], len(ordered), f"{command} --format json")


def _review_command(command: str) -> str:
    """``rulelint review`` with the options the check command was given (after ``check``)."""
    return REVIEW_COMMAND + command.removeprefix("rulelint check")


def _review_rows(report: Report) -> dict[str, list[Decision]]:
    """Ruleset name -> the rules ``rulelint review`` lists for it, most slots freed first."""
    order = list(REVIEW_CODES)
    out: dict[str, list[Decision]] = defaultdict(list)
    for item in build_review(report).items:
        codes = tuple(item.codes)
        out[item.ruleset].append(Decision(
            rule_id=item.rule_id,
            owner=item.owner if item.owner is not None else NO_OWNER,
            file=item.file or "",
            line=item.line or 0,
            codes=codes,
            reasons=tuple(f"{c} {CHECKS[c].name}" for c in codes),
            action=item.action,
            frees=item.frees,
        ))
    for rows in out.values():
        rows.sort(key=lambda d: (-d.frees, order.index(d.codes[0]), d.file, d.line, d.rule_id))
    return out
