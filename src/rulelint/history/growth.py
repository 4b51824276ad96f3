"""Rule counts per ruleset over the git history, growth per week, and when the cap is reached.

The walk follows the first-parent history (the main line: a merged branch counts on the day
it lands) of the rule files only: one ``git log --raw`` lists the commits that touch them and
the blob of every file each commit changed, and blobs are read with ``git cat-file --batch``
in large batches (never one call per commit). Only changed files are re-counted
(``rulecount``); the trend and the cap date come from ``trend``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.history.git import GitError, repo_root, run_git
from rulelint.history.rulecount import FileCount, count_rules
from rulelint.history.trend import (  # noqa: F401  (re-exported for callers)
    DEFAULT_WINDOW_DAYS,
    Point,
    RulesetHistory,
    Week,
    analyse_ruleset,
)
from rulelint.load.config import CONFIG_NAMES, DEFAULT_PATHS, ConfigError, Settings
from rulelint.load.files import YAML_SUFFIXES, SourceFile, discover
from rulelint.load.loading import YamlDocument
from rulelint.load.project import FileInfo, Project, _ruleset_name

_BATCH_BYTES = 16 * 1024 * 1024  # blob bytes read per cat-file call

# --- walking the history ---------------------------------------------------------------------


@dataclass
class Walk:
    root: Path
    commits: int = 0  # commits read that touch the rule files
    series: dict[str, list[Point]] = field(default_factory=dict)
    touches: Counter = field(default_factory=Counter)  # ruleset -> commits that touched it
    unreadable: int = 0  # file versions that were not valid YAML (count carried forward)
    # commits dated after today (a wrong clock): their changes are replayed, so the counts
    # after them are right, but they get no point of their own (see ``_replay``)
    future: list[tuple[str, dt.date]] = field(default_factory=list)


@dataclass(slots=True)
class _Commit:
    sha: str
    day: dt.date
    changes: list[tuple[str, str | None]]  # (path, new blob or None when deleted)


def _is_rule_path(path: str) -> bool:
    """As ``files.discover`` picks files in a directory: YAML, no config, nothing hidden."""
    parts = path.split("/")
    name = parts[-1]
    return (name.endswith(YAML_SUFFIXES) and name not in CONFIG_NAMES
            and not any(p.startswith(".") for p in parts))


def _parse_raw(out: bytes) -> list[_Commit]:
    """``git log -z --raw --format=%x01%H %cI`` output -> commits with their changed blobs."""
    commits: list[_Commit] = []
    tokens = out.split(b"\0")
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i].lstrip(b"\n")
        i += 1
        if tok.startswith(b"\x01"):
            sha, _, when = tok[1:].partition(b" ")
            day = dt.datetime.fromisoformat(when.decode().strip()).date()
            commits.append(_Commit(sha.decode(), day, []))
        elif tok.startswith(b":") and i < n:
            path = tokens[i].decode("utf-8", "surrogateescape")
            i += 1
            meta = tok[1:].split(b" ")
            if len(meta) < 5 or not commits or not _is_rule_path(path):
                continue
            status, new_mode, new_sha = meta[4][:1], meta[1], meta[3]
            if status == b"D" or new_mode not in (b"100644", b"100755"):
                commits[-1].changes.append((path, None))
            else:
                commits[-1].changes.append((path, new_sha.decode()))
    return commits


def _iter_objects(shas: list[str], cwd: Path) -> Iterator[tuple[str, bytes | None]]:
    """(sha, content or None when missing) for many objects with one ``cat-file --batch``."""
    request = "".join(f"{s}\n" for s in shas).encode()
    out = run_git(["cat-file", "--batch"], cwd, input=request)
    pos = 0
    for s in shas:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) >= 2 and header[-1] == b"missing":
            yield s, None
            continue
        size = int(header[2])
        yield s, out[pos : pos + size]
        pos += size + 1


_LOG_ARGS = [
    "log", "--first-parent", "--reverse", "-z", "--raw", "--no-abbrev", "--no-renames",
    "--no-color", "--no-relative", "--no-show-signature", "--format=%x01%H %cI",
]


def _base_commit(root: Path, pathspecs: list[str], before: dt.date) -> str | None:
    """The last first-parent commit touching the rule files before ``before``."""
    out = run_git(
        ["rev-list", "-1", "--first-parent", f"--before={before.isoformat()}T00:00:00",
         "HEAD", "--", *pathspecs],
        root,
    )
    sha = out.decode().strip()
    return sha or None


def _base_state(root: Path, base: str, pathspecs: list[str]) -> _Commit:
    empty = run_git(["hash-object", "-t", "tree", "--stdin"], root, input=b"").decode().strip()
    out = run_git(
        ["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", empty, base,
         "--", *pathspecs],
        root,
    )
    when = run_git(["show", "-s", "--no-show-signature", "--format=%cI", base], root).strip()
    # diff-tree prints only the changes: give them the header `git log` would
    return _parse_raw(b"\x01" + base.encode() + b" " + when + b"\0" + out)[0]


def walk(
    root: Path,
    pathspecs: list[str],
    settings: Settings,
    since: dt.date | None = None,
) -> Walk:
    """Rule counts per ruleset at every first-parent commit that touches ``pathspecs``.

    With ``since``, the walk starts from the state of the files on that date (one
    ``diff-tree`` of the last commit before it) instead of the first commit."""
    result = Walk(root)
    try:
        has_head = bool(run_git(["rev-parse", "--verify", "--quiet", "HEAD"], root,
                                ok_codes=(0, 1)).strip())
    except GitError:
        has_head = False
    if not has_head:
        return result
    commits: list[_Commit] = []
    rev_range = "HEAD"
    if since is not None:
        base = _base_commit(root, pathspecs, since)
        if base is not None:
            commits.append(_base_state(root, base, pathspecs))
            rev_range = f"{base}..HEAD"
    out = run_git([*_LOG_ARGS, rev_range, "--", *pathspecs], root)
    commits.extend(_parse_raw(out))
    _replay(result, commits, settings)
    return result


def _replay(result: Walk, commits: list[_Commit], settings: Settings) -> None:
    root = result.root
    today = settings.today
    counts: dict[str, FileCount] = {}  # blob -> what it says
    names: dict[tuple[str, str | None], str] = {}
    state: dict[str, tuple[str, int]] = {}  # path -> (ruleset, rules)
    totals: Counter = Counter()
    last_day: dict[str, dt.date] = {}
    batch = 128
    start = 0
    while start < len(commits):
        # read the blobs of the next commits in one cat-file call
        want: list[str] = []
        seen: set[str] = set()
        end = start
        while end < len(commits) and len(want) < batch:
            for _, blob in commits[end].changes:
                if blob and blob not in counts and blob not in seen:
                    seen.add(blob)
                    want.append(blob)
            end += 1
        if want:
            size = 0
            for sha, raw in _iter_objects(want, root):
                if raw is None:
                    counts[sha] = FileCount(None, None, readable=False)
                    continue
                size += len(raw)
                counts[sha] = count_rules(raw, sha)
            avg = size / len(want)
            batch = max(16, min(4096, int(_BATCH_BYTES / max(avg, 1))))
        for c in commits[start:end]:
            touched: set[str] = set()
            for path, blob in c.changes:
                old = state.get(path)
                new: tuple[str, int] | None = None
                if blob is not None:
                    fc = counts[blob]
                    if not fc.readable:
                        result.unreadable += 1
                        new = old
                    elif fc.rules is not None:
                        key = (path, fc.ruleset)
                        name = names.get(key)
                        if name is None:
                            name = names[key] = _name_for(root, path, fc.ruleset, settings)
                        new = (name, fc.rules)
                if old is not None:
                    totals[old[0]] -= old[1]
                    touched.add(old[0])
                if new is not None:
                    totals[new[0]] += new[1]
                    touched.add(new[0])
                    state[path] = new
                else:
                    state.pop(path, None)
            if touched:
                result.commits += 1
            if c.day > today:
                # a commit dated in the future is not charted: plotting it would stretch
                # the time axis to its date and every later point with it (days only grow);
                # its changes show from the next commit dated today or earlier
                if touched:
                    result.future.append((c.sha, c.day))
                continue
            for name in touched:
                day = max(c.day, last_day.get(name, c.day))
                last_day[name] = day
                result.touches[name] += 1
                result.series.setdefault(name, []).append(Point(day, c.sha, totals[name]))
        start = end


def _name_for(root: Path, path: str, header: str | None, settings: Settings) -> str:
    data: dict[str, Any] = {"ruleset": header} if header else {}
    info = FileInfo(SourceFile(root / path, path), YamlDocument(path, "", data))
    return _ruleset_name(info, settings)


# --- which paths -----------------------------------------------------------------------------


def _rel(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None


def pathspecs_for(
    paths: list[Path] | None,
    settings: Settings,
    root: Path,
    current: list[SourceFile],
    *,
    globs: bool = True,
) -> list[str]:
    """Git pathspecs (relative to the repository root) for the rule files, past and present.

    The current files, plus (with ``globs``) the globs they came from (config ``paths:``,
    directories given on the command line, the default locations), so that deleted and
    renamed rule files still count in the past."""
    specs: list[str] = []

    def glob(base: Path, pattern: str) -> None:
        full = Path(pattern) if Path(pattern).is_absolute() else base / pattern
        # resolve the fixed part only; the pattern part stays as it is
        parts = full.parts
        fixed = next((i for i, p in enumerate(parts) if any(ch in p for ch in "*?[")), len(parts))
        head = Path(*parts[:fixed]) if fixed else Path(full.anchor)
        rel = _rel(head, root)
        if rel is None:
            return
        tail = "/".join(parts[fixed:])
        spec = "/".join(p for p in (rel if rel != "." else "", tail) if p)
        if not spec:
            return
        specs.append(f":(glob){spec}" if tail else f":(literal){spec}")

    if globs and paths:
        for p in paths:
            ap = p if p.is_absolute() else settings.cwd / p
            if ap.is_dir():
                glob(ap, "**/*.yaml")
                glob(ap, "**/*.yml")
            elif any(ch in str(p) for ch in "*?["):
                glob(settings.cwd, str(p))
    elif globs:
        cfg = settings.config
        patterns = [*(cfg.paths or []), *(g for rs in cfg.rulesets.values() for g in (rs.paths or []))]
        if patterns:
            for pattern in patterns:
                glob(settings.root, pattern)
        else:
            for pattern in DEFAULT_PATHS:
                glob(settings.cwd, pattern)
    for src in current:
        rel = _rel(src.path, root)
        if rel is not None:
            specs.append(f":(literal){rel}")
    return list(dict.fromkeys(specs))


# --- putting it together ---------------------------------------------------------------------


@dataclass
class HistoryReport:
    root: Path
    today: dt.date
    window_days: int
    since: dt.date | None
    commits: int
    unreadable: int
    rulesets: list[RulesetHistory]
    future: list[tuple[str, dt.date]] = field(default_factory=list)  # Walk.future

    def future_note(self) -> str | None:
        """The run-level note about commits dated after today, or None."""
        if not self.future:
            return None
        n = len(self.future)
        sha, day = max(self.future, key=lambda f: f[1])
        return (
            f"{n} commit{'s' if n != 1 else ''} touching the rule files "
            f"{'are' if n != 1 else 'is'} dated after today ({self.today}), the latest "
            f"{day} ({sha[:12]}): not charted (a wrong clock?); "
            f"{'their' if n != 1 else 'its'} changes count from the next commit"
        )


def repo_for(project: Project | None, settings: Settings) -> Path | None:
    start = settings.cwd
    if project is not None and project.files:
        start = project.files[0].source.path.parent
    return repo_root(start)


def build(
    project: Project | None,
    settings: Settings,
    root: Path,
    pathspecs: list[str],
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    since: dt.date | None = None,
    walk_from: dt.date | None = None,
) -> HistoryReport:
    """History and forecast for every ruleset seen now or in the walked history."""
    today = settings.today
    w = walk(root, pathspecs, settings, since=walk_from)
    current = project.rulesets if project is not None else {}
    names = list(dict.fromkeys([*current, *w.series]))
    out = []
    for name in names:
        rs = current.get(name)
        pts = w.series.get(name, [])
        h = analyse_ruleset(
            name,
            pts,
            w.touches.get(name, 0),
            rs.slot_count if rs is not None else None,
            rs.max_rules if rs is not None else None,
            rs.warn_ratio if rs is not None else 0.8,
            today,
            window_days,
            weeks_from=since,
        )
        if since is not None:
            h.points = [p for p in h.points if p.day >= since] or h.points[-1:]
        out.append(h)
    return HistoryReport(root, today, window_days, since, w.commits, w.unreadable, out, w.future)


def project_forecasts(
    project: Project, settings: Settings, window_days: int = DEFAULT_WINDOW_DAYS
) -> list[RulesetHistory]:
    """For ``check`` (RL104): the capped rulesets of a loaded project, from the recent
    history only (the walk starts at the window), or [] outside a git repository."""
    if not any(rs.max_rules for rs in project.rulesets.values()):
        return []
    root = repo_for(project, settings)
    if root is None:
        return []
    sources = [fi.source for fi in project.files]
    specs = pathspecs_for(None, settings, root, sources, globs=_from_globs(project, settings))
    if not specs:
        return []
    walk_from = settings.today - dt.timedelta(days=window_days)
    report = build(project, settings, root, specs, window_days=window_days,
                   walk_from=walk_from)
    return [h for h in report.rulesets if h.name in project.rulesets and h.max_rules]


def _from_globs(project: Project, settings: Settings) -> bool:
    """Were the project's files found by the configured or default globs (not by paths given
    on the command line)? Only then do the globs say which files belonged in the past."""
    if project.used_default_paths:
        return True
    if not settings.config.paths and not any(rs.paths for rs in settings.config.rulesets.values()):
        return False
    try:
        found, _ = discover(None, settings)
    except ConfigError:
        return False
    return {f.path for f in found} == {fi.source.path for fi in project.files}


def to_dict(report: HistoryReport) -> dict[str, Any]:
    return {
        "version": 1,
        "today": report.today.isoformat(),
        "window_days": report.window_days,
        "since": report.since.isoformat() if report.since else None,
        "commits": report.commits,
        "future_commits": [{"commit": sha, "date": day.isoformat()} for sha, day in report.future],
        "rulesets": [
            {
                "name": h.name,
                "rules": h.current,
                "max_rules": h.max_rules,
                "status": h.status,
                "per_week": round(h.per_week, 3) if h.per_week is not None else None,
                "window_start": h.window_start.isoformat() if h.window_start else None,
                "cap_date": h.cap_date.isoformat() if h.cap_date else None,
                "days_left": h.days_left,
                "commits": h.commits,
                "message": h.sentence(),
                "points": [
                    {"date": p.day.isoformat(), "commit": p.commit or None, "rules": p.rules}
                    for p in h.points
                ],
                "weeks": [
                    {"week": wk.start.isoformat(), "rules": wk.rules, "change": wk.change}
                    for wk in h.weeks
                ],
            }
            for h in report.rulesets
        ],
    }
