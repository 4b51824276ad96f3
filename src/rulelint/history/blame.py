"""When were a rule's own lines last (and first) changed in git: the review-date fallback.

A few git calls for all files together, not one per file (issue 19):

1. ``git rev-parse --show-toplevel`` once per repository (files outside any repository get
   no git call beyond that, and one notice for all of them). A repository nested in another
   (one of its own under the tree, a submodule) owns its files: they are dated by its
   history, not reported as "not committed" by the outer one;
2. one ``git log --name-status`` walk over every file that needs a date, and one
   ``git status`` for the files that differ from ``HEAD`` or are untracked;
3. a file that exactly one commit touched (it was added and never changed, no rename) and
   that is clean in the working tree has every line from that commit: its rules are dated
   by that commit, exactly what blame would say, with no further call;
4. every other file (edited since it was added, renamed, or with uncommitted changes) gets
   ``git blame --porcelain``, limited with ``-L`` to the lines of the rules that need a
   date, then mapped back to rules by line range. The ranges are counted as git counts
   lines (by ``\n`` only), not as the loader does (which also breaks at a lone ``\r``, NEL,
   U+2028 and U+2029: ``util.lines.lf_line_numbers``), so a rule gets its own lines' dates
   even below such a character. Lines changed in the working tree but not
   committed count as changed today.

Files outside a git repository, or not committed yet, have no git dates: the caller gets one
notice for all of them, not one per rule.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rulelint.history.git import GitError, run_git
from rulelint.load.project import FileInfo, Project, RuleEntry
from rulelint.util.lines import lf_line_numbers, split_lines

_UNCOMMITTED = b"0" * 40
_HEX = frozenset(b"0123456789abcdef")
MAX_L_RANGES = 2000  # beyond this, blame the whole file (one argument per range)


@dataclass(frozen=True, slots=True)
class LineDates:
    """The oldest and newest committer dates among a rule's lines."""

    oldest: dt.date
    newest: dt.date


def rule_span(entry: RuleEntry, lines: list[str]) -> tuple[int, int]:
    """First and last line (1-based, inclusive) of a rule's own text, in the loader's line
    model: ``lines`` is ``util.lines.split_lines`` of the file (``lf_line_numbers`` turns
    these numbers into the ones git counts).

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
    git_calls: int = 0  # how many git processes the answer took (measured by tests)


@dataclass
class _Repo:
    """What one walk over the history says about the files of one repository."""

    root: Path
    single: dict[str, dt.date]  # repo-relative path -> date of the one commit that made it
    untracked: set[str]
    calls: int


def _nested_boundary(d: Path, root: Path) -> bool:
    """Whether a directory between ``d`` (included) and ``root`` (excluded) holds a ``.git``
    of its own (a nested repository, a submodule, a worktree): then ``d`` may belong to that
    repository, not to ``root``, and only git can say."""
    for a in (d, *d.parents):
        if a == root:
            return False
        if os.path.lexists(a / ".git"):
            return True
    return False  # pragma: no cover - ``root`` is an ancestor of ``d``


def _find_roots(paths: list[Path]) -> tuple[dict[Path, tuple[Path, str] | None], int]:
    """Each file's repository root and its path there (None outside git), with one
    ``resolve`` per directory and one ``rev-parse --show-toplevel`` per directory that no
    root found so far owns. A directory under a known root belongs to the innermost such
    root unless a ``.git`` lies between them (a nested repository or submodule owns its own
    files, with their own history): that directory asks git itself. The file name is kept,
    not resolved: a symlink is dated as git knows it."""
    roots: list[Path] = []
    real: dict[Path, Path] = {}
    by_dir: dict[Path, Path | None] = {}
    out: dict[Path, tuple[Path, str] | None] = {}
    calls = 0
    for p in paths:
        d = real.get(p.parent)
        if d is None:
            d = real[p.parent] = p.parent.resolve()
        if d not in by_dir:
            known = max((r for r in roots if d == r or r in d.parents),
                        key=lambda r: len(r.parts), default=None)
            if known is None or _nested_boundary(d, known):
                calls += 1
                try:
                    text = run_git(["rev-parse", "--show-toplevel"], d).decode("utf-8", "surrogateescape").strip()
                except GitError:
                    text = ""
                known = Path(text).resolve() if text else None
                if known is not None and known not in roots:
                    roots.append(known)
            by_dir[d] = known
        root = by_dir[d]
        out[p] = None if root is None else (root, (d / p.name).relative_to(root).as_posix())
    return out, calls


def _walk(root: Path, rels: list[str]) -> _Repo:
    """One ``git log`` over the files and one ``git status``: the files one commit made."""
    repo = _Repo(root, {}, set(), 0)
    spec = ["--literal-pathspecs"]
    try:
        repo.calls += 1
        log = run_git([*spec, "log", "-z", "--no-color", "--format=%x01%H %cs",
                       "--name-status", "--diff-merges=first-parent", "--", *rels], root)
    except GitError:  # no commit yet (no HEAD): every file is untracked
        repo.untracked.update(rels)
        return repo
    seen: dict[str, int] = defaultdict(int)
    made: dict[str, tuple[str, dt.date]] = {}
    for sha, date, status, name, new in _name_status(log):
        if new is not None:  # a rename the pathspec saw whole: blame follows it
            seen[name] += 2
            seen[new] += 2
            continue
        seen[name] += 1
        if status == b"A":
            made[name] = (sha, date)
    single = {n: made[n] for n, k in seen.items() if k == 1 and n in made}
    if single:
        # a file "added" may be a rename from outside the files asked about: look at those
        # commits whole (one call), with rename detection, as blame does
        repo.calls += 1
        shas = sorted({sha for sha, _ in single.values()})
        whole = run_git(["log", "--no-walk=unsorted", "--stdin", "-z", "--no-color",
                         "--format=%x01%H %cs", "--name-status", "-M",
                         "--diff-merges=first-parent"], root,
                        input="".join(f"{s}\n" for s in shas).encode())
        for sha, _, _, _name, new in _name_status(whole):
            if new is not None and new in single and single[new][0] == sha:
                del single[new]
    repo.calls += 1
    status = run_git([*spec, "status", "--porcelain=v1", "-z", "--untracked-files=all",
                      "--no-renames", "--", *rels], root)
    dirty: set[str] = set()
    for item in status.split(b"\0"):
        if len(item) > 3:
            name = item[3:].decode("utf-8", "surrogateescape")
            (repo.untracked if item[:2] == b"??" else dirty).add(name)
    for name in rels:
        if name in single and name not in dirty:
            repo.single[name] = single[name][1]
        elif name not in seen and name not in dirty:
            repo.untracked.add(name)  # ignored or never committed
    return repo


def _name_status(out: bytes):
    """(sha, committer date, status letter, path, new path of a rename or copy or None) per
    entry of ``git log -z --format=%x01%H %cs --name-status`` (``%cs``: the date in the
    committer's time zone, as blame's committer-time and committer-tz give it)."""
    for block in out.split(b"\x01")[1:]:
        head, _, rest = block.partition(b"\n")
        sha, _, day = head.strip(b"\0").partition(b" ")
        date = dt.date.fromisoformat(day.strip().decode())
        fields = rest.strip(b"\n\0").split(b"\0")
        i = 0
        while i + 1 < len(fields):
            status, name = fields[i][:1], fields[i + 1].decode("utf-8", "surrogateescape")
            i += 2
            new = None
            if status in (b"R", b"C"):
                new = fields[i].decode("utf-8", "surrogateescape") if i < len(fields) else name
                i += 1
            yield sha.decode(), date, status, name, new


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
    files: list[tuple[str, list[RuleEntry], FileInfo]] = []
    for display, rules in sorted(by_file.items()):
        info = infos.get(display)
        if info is None:
            undated += len(rules)
        else:
            files.append((display, rules, info))
    roots, result.git_calls = _find_roots([info.source.path for _, _, info in files])
    per_root: dict[Path, list[str]] = defaultdict(list)
    for _, _, info in files:
        where = roots[info.source.path]
        if where is not None:
            per_root[where[0]].append(where[1])
    walks: dict[Path, _Repo] = {}
    for root, rels in per_root.items():
        walks[root] = _walk(root, rels)
        result.git_calls += walks[root].calls
    for display, rules, info in files:
        if info.source.data is not None:  # read from stdin: git's copy may differ
            piped.append(display)
            undated += len(rules)
            continue
        where = roots[info.source.path]
        if where is None:
            outside.append(display)
            undated += len(rules)
            continue
        walk, rel = walks[where[0]], where[1]
        if rel in walk.untracked:
            uncommitted.append(display)
            undated += len(rules)
            continue
        made = walk.single.get(rel)
        if made is not None:
            for r in rules:
                result.dates[r] = LineDates(made, made)
            continue
        # rule lines are the loader's (util/lines); blame's are counted by "\n" only
        text = info.doc.text
        lines = split_lines(text)
        to_git = lf_line_numbers(text)
        spans = {}
        for r in rules:
            a, b = rule_span(r, lines)
            spans[id(r)] = (a, b) if to_git is None else (to_git[a - 1], to_git[b - 1])
        try:
            result.git_calls += 1
            line_dates = blame_lines(info.source.path, list(spans.values()), today)
        except GitError as exc:
            msg = str(exc)
            if "no such path" in msg or "no such ref" in msg or "HEAD" in msg:
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
