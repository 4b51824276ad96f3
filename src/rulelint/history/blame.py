"""When were a rule's own lines last (and first) changed in git: the review-date fallback.

One ``git blame --porcelain`` per rule file, limited with ``-L`` to the lines of the rules
that need a date, then mapped back to rules by line range. Lines changed in the working tree
but not committed count as changed today. Files outside a git repository, or not committed
yet, have no git dates: the caller gets one notice for all of them, not one per rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rulelint.history.git import GitError, run_git
from rulelint.load.project import FileInfo, Project, RuleEntry

_UNCOMMITTED = b"0" * 40
_HEX = frozenset(b"0123456789abcdef")
MAX_L_RANGES = 2000  # beyond this, blame the whole file (one argument per range)


@dataclass(frozen=True, slots=True)
class LineDates:
    """The oldest and newest committer dates among a rule's lines."""

    oldest: dt.date
    newest: dt.date


def rule_span(entry: RuleEntry, lines: list[str]) -> tuple[int, int]:
    """First and last line (1-based, inclusive) of a rule's own text.

    A block mapping's end mark is where the next token starts (the next ``- id:`` or a
    top-level key), so the rule ends on the line before; a flow mapping (``{...}``) ends on
    its end line. Trailing blank and comment-only lines belong to no rule."""
    start = entry.line
    raw = entry.raw
    end = getattr(raw, "end_line", start)
    col = getattr(raw, "col", 0)
    line_text = lines[start - 1] if 0 < start <= len(lines) else ""
    is_flow = 0 < col <= len(line_text) and line_text[col - 1] == "{"
    last = end if is_flow or end <= start else end - 1
    last = min(last, len(lines))
    while last > start:
        s = lines[last - 1].strip()
        if s and not s.startswith("#"):
            break
        last -= 1
    return start, max(start, last)


def _coalesce(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def parse_porcelain(out: bytes, today: dt.date) -> dict[int, dt.date]:
    """Final line number -> committer date (in the committer's time zone)."""
    line_sha: dict[int, bytes] = {}
    times: dict[bytes, int] = {}
    zones: dict[bytes, bytes] = {}
    cur = b""
    for raw in out.split(b"\n"):
        if not raw or raw[:1] == b"\t":
            continue
        if raw.startswith(b"committer-time "):
            times[cur] = int(raw[15:])
            continue
        if raw.startswith(b"committer-tz "):
            zones[cur] = raw[13:].strip()
            continue
        parts = raw.split(b" ")
        if (
            len(parts) >= 3
            and len(parts[0]) in (40, 64)
            and _HEX.issuperset(parts[0])
            and parts[1].isdigit()
            and parts[2].isdigit()
        ):
            cur = parts[0]
            line_sha[int(parts[2])] = cur
    dates: dict[bytes, dt.date] = {}
    for sha, t in times.items():
        if sha.strip(b"0") == b"":
            dates[sha] = today
            continue
        dates[sha] = dt.datetime.fromtimestamp(t, _zone(zones.get(sha, b"+0000"))).date()
    return {line: dates.get(sha, today) for line, sha in line_sha.items()}


def _zone(tz: bytes) -> dt.timezone:
    try:
        sign = -1 if tz[:1] == b"-" else 1
        hours, minutes = int(tz[1:3]), int(tz[3:5])
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    except (ValueError, IndexError):
        return dt.UTC


def blame_lines(path: Path, spans: list[tuple[int, int]], today: dt.date) -> dict[int, dt.date]:
    """Committer dates of the given line ranges of one file, with one git call."""
    args = ["blame", "--porcelain"]
    ranges = _coalesce(spans)
    if len(ranges) <= MAX_L_RANGES:
        for a, b in ranges:
            args += ["-L", f"{a},{b}"]
    args += ["--", path.name]
    return parse_porcelain(run_git(args, path.parent), today)


@dataclass
class BlameResult:
    dates: dict[RuleEntry, LineDates]
    notices: list[str]


def rule_line_dates(
    project: Project, entries: Iterable[RuleEntry], today: dt.date
) -> BlameResult:
    """Git dates for each of ``entries`` that has any; one notice for the files without."""
    by_file: dict[str, list[RuleEntry]] = defaultdict(list)
    for e in entries:
        by_file[e.file].append(e)
    infos: dict[str, FileInfo] = {fi.source.display: fi for fi in project.files}
    result = BlameResult({}, [])
    outside: list[str] = []
    uncommitted: list[str] = []
    failed: list[tuple[str, str]] = []
    piped: list[str] = []
    undated = 0
    for display, rules in sorted(by_file.items()):
        info = infos.get(display)
        if info is None:
            undated += len(rules)
            continue
        if info.source.data is not None:  # read from stdin: git's copy may differ
            piped.append(display)
            undated += len(rules)
            continue
        lines = info.doc.text.splitlines()
        spans = {id(r): rule_span(r, lines) for r in rules}
        try:
            line_dates = blame_lines(info.source.path, list(spans.values()), today)
        except GitError as exc:
            msg = str(exc)
            if "not a git repository" in msg:
                outside.append(display)
            elif "no such path" in msg or "no such ref" in msg or "HEAD" in msg:
                uncommitted.append(display)
            else:
                failed.append((display, msg))
            undated += len(rules)
            continue
        for r in rules:
            a, b = spans[id(r)]
            found = [line_dates[n] for n in range(a, b + 1) if n in line_dates]
            if found:
                result.dates[r] = LineDates(min(found), max(found))
            else:
                undated += 1
    if outside or uncommitted or failed or piped:
        why = []
        if piped:
            why.append(f"{_names(piped)} was read from stdin")
        if outside:
            why.append(f"{_names(outside)} {'is' if len(outside) == 1 else 'are'} not in a "
                       "git repository")
        if uncommitted:
            why.append(f"{_names(uncommitted)} {'is' if len(uncommitted) == 1 else 'are'} "
                       "not committed yet")
        if failed:
            why.append(f"git blame failed for {failed[0][0]} ({failed[0][1]})")
        result.notices.append(
            "the git fallback for rule dates is unavailable: " + "; ".join(why) + f". "
            f"{undated} rule{'s' if undated != 1 else ''} without `reviewed`/`created` dates "
            "could not be dated: they are left out of RL403 (review-overdue) and count as old "
            "for RL404 (unused); add `reviewed:` or `created:` dates"
        )
    return result


def _names(files: list[str], limit: int = 3) -> str:
    shown = ", ".join(files[:limit])
    return shown + (f" and {len(files) - limit} more" if len(files) > limit else "")
