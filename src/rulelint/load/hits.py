"""Hit logs: when each rule last matched real traffic, from an export of the target system.

Supported forms (the form is detected from the extension, else from the first character):

* CSV with a header row, one row per hit: ``rule_id,timestamp``;
* CSV with a header row, aggregated: ``rule_id,hits,last_hit`` (``last_hit`` may be empty when
  ``hits`` is 0);
* JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): one object per line with the same keys;
  each line may use either form.

An optional ``ruleset`` column/key says which ruleset an id belongs to; other columns are
ignored, so a raw export can be used as it is. Tab- or semicolon-separated files are accepted
when the header has no comma. ``.gz`` files are read compressed.

Timestamps are ISO 8601 dates or date-times (``2026-11-02``, ``2026-11-02T09:15:00``, with or
without ``Z``/``+09:00``), or unix epoch seconds (``1793612100``; values of 10^12 and more
are read as milliseconds). Aware times and epochs are taken in UTC; naive times as written.

The log is streamed: only one row is in memory at a time, plus a count and the last-hit date
per distinct rule id, so a log of gigabytes is read in constant memory.

Malformed rows (no rule id, a timestamp that is not one, a negative count...) are skipped and
counted: a long export with a few broken lines is still useful, and the notice names the
first one so it can be fixed. When more than 1% of the rows (and more than 10) are broken,
the file is not a hit log in a form rulelint understands, and reading stops with an error that
names the file and line.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.load.config import ConfigError
from rulelint.load.files import display_path
from rulelint.util.userfile import open_user_file

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
MIN_TOLERATED_BAD_ROWS = 10
MAX_LINE_CHARS = 1 << 20  # one row of a hit log; a longer line is a broken row
_EPOCH = re.compile(r"^\d+(\.\d+)?$")
_UTC = dt.UTC
_MS_THRESHOLD = 10**12
_MAX_EPOCH_S = 253402300799  # 9999-12-31T23:59:59Z


class BadRow(ValueError):
    """One row of the log cannot be read; the message says why."""


@dataclass(slots=True)
class Usage:
    """What the log says about one rule id."""

    hits: int = 0
    last: dt.date | None = None
    line: int = 0  # first line that names the id

    def add(self, hits: int, last: dt.date | None) -> None:
        self.hits += hits
        if last is not None and (self.last is None or last > self.last):
            self.last = last


def combine(usages: list[Usage | None]) -> Usage | None:
    """Hits of several ids taken together (a merged rule and the rules it came from)."""
    present = [u for u in usages if u is not None]
    if not present:
        return None
    out = Usage(line=min(u.line for u in present))
    for u in present:
        out.add(u.hits, u.last)
    return out


@dataclass
class HitLog:
    path: Path
    display: str
    forms: set[str] = field(default_factory=set)  # "per-hit", "aggregated"
    usage: dict[tuple[str | None, str], Usage] = field(default_factory=dict)
    rows: int = 0
    bad_rows: int = 0
    first_bad: str | None = None  # "hits.csv:17: ..."
    first_hit: dt.date | None = None  # earliest per-hit timestamp (the log's coverage)
    has_ruleset: bool = False

    def lookup(self, ruleset: str, rule_id: str) -> Usage | None:
        """Rows for this id in this ruleset, plus rows that name no ruleset."""
        return combine([self.usage.get((ruleset, rule_id)), self.usage.get((None, rule_id))])

    def notices(self, today: dt.date, unused_days: int) -> list[str]:
        out = []
        if self.rows == 0:
            out.append(f"hit log {self.display} has no rows: every rule counts as never hit")
        if self.bad_rows:
            out.append(
                f"hit log {self.display}: skipped {self.bad_rows:,} malformed row"
                f"{'s' if self.bad_rows != 1 else ''} of {self.rows + self.bad_rows:,} "
                f"(first: {self.first_bad})"
            )
        if self.first_hit is not None and (today - self.first_hit).days < unused_days:
            out.append(
                f"hit log {self.display} starts on {self.first_hit}, "
                f"{(today - self.first_hit).days} days before {today}, which is less than "
                f"unused_days ({unused_days}): a rule may look unused only because the log "
                "is short"
            )
        return out


# --- values ----------------------------------------------------------------------------------


def parse_when(value: Any) -> dt.date:
    """The UTC (or as-written) date of an ISO 8601 date/date-time or a unix epoch."""
    if isinstance(value, bool):
        raise BadRow(f"timestamp {value!r} is not a date")
    if isinstance(value, (int, float)):
        return _from_epoch(float(value), value)
    if not isinstance(value, str):
        raise BadRow(f"timestamp {value!r} is not a date")
    s = value.strip()
    if not s:
        raise BadRow("timestamp is empty")
    if _EPOCH.match(s):
        return _from_epoch(float(s), s)
    try:
        when = dt.datetime.fromisoformat(s)
    except ValueError:
        raise BadRow(
            f"timestamp {s!r} is neither ISO 8601 (2026-11-02T09:15:00Z) nor epoch seconds"
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(_UTC)
    return when.date()


def _from_epoch(seconds: float, shown: Any) -> dt.date:
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000.0
    if not 0 <= seconds <= _MAX_EPOCH_S:
        raise BadRow(f"timestamp {shown!r} is out of range for epoch seconds")
    return dt.datetime.fromtimestamp(seconds, _UTC).date()


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise BadRow(f"hits {value!r} is not a count")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float) and value.is_integer():
        n = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        n = int(value.strip())
    else:
        raise BadRow(f"hits {value!r} is not a whole number")
    if n < 0:
        raise BadRow(f"hits {value!r} is negative")
    return n


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or value is None:
        raise BadRow(f"{what} is missing")
    if isinstance(value, (int, float)):
        value = str(value)
    if not isinstance(value, str):
        raise BadRow(f"{what} {value!r} is not text")
    value = value.strip()
    if not value:
        raise BadRow(f"{what} is empty")
    return value


# --- reading ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _open(path: Path, display: str) -> Iterator[io.TextIOBase]:
    """The log as text, after ``util/userfile.py``'s checks (a regular file: never a device,
    a FIFO or a directory). It is streamed, so its size is not capped; each line is
    (``MAX_LINE_CHARS``)."""
    with open_user_file(path, "hit log", display) as raw:
        inner: Any = gzip.GzipFile(fileobj=raw, mode="rb") if path.suffix == ".gz" else raw
        with io.TextIOWrapper(inner, encoding="utf-8-sig", newline="") as text:
            yield text


def _inner_suffix(path: Path) -> str:
    return Path(path.stem).suffix.lower() if path.suffix == ".gz" else path.suffix.lower()


def _is_jsonl(path: Path, display: str) -> bool:
    suffix = _inner_suffix(path)
    if suffix in JSONL_SUFFIXES:
        return True
    if suffix in CSV_SUFFIXES:
        return False
    with _open(path, display) as fh:
        while True:
            line = fh.readline(MAX_LINE_CHARS)
            if not line:
                return False
            s = line.strip()
            if s:
                return s.startswith("{")


class _Reader:
    """Accumulates rows into a HitLog and enforces the bad-row budget."""

    def __init__(self, log: HitLog) -> None:
        self.log = log

    def good(self, line: int, ruleset: str | None, rule_id: str, hits: int,
             last: dt.date | None, form: str) -> None:
        log = self.log
        log.rows += 1
        log.forms.add(form)
        key = (ruleset, rule_id)
        u = log.usage.get(key)
        if u is None:
            u = log.usage[key] = Usage(line=line)
        u.add(hits, last)
        if form == "per-hit" and last is not None and (
            log.first_hit is None or last < log.first_hit
        ):
            log.first_hit = last

    def bad(self, line: int, why: str) -> None:
        log = self.log
        log.bad_rows += 1
        if log.first_bad is None:
            log.first_bad = f"{log.display}:{line}: {why}"

    def finish(self) -> HitLog:
        log = self.log
        total = log.rows + log.bad_rows
        tolerated = max(MIN_TOLERATED_BAD_ROWS, total // 100)
        if log.bad_rows and (log.bad_rows > tolerated or log.rows == 0):
            raise ConfigError(
                f"{log.first_bad} ({log.bad_rows:,} of {total:,} rows are malformed; "
                "expected per-hit rows `rule_id,timestamp` or aggregated rows "
                "`rule_id,hits,last_hit`)"
            )
        return log


def _row_values(get, line: int) -> tuple[str | None, str, int, dt.date | None, str]:
    """(ruleset, rule_id, hits, last, form) from a row accessor ``get(key)``."""
    rule_id = _text(get("rule_id"), "rule_id")
    rs = get("ruleset")
    if isinstance(rs, str):
        ruleset = rs.strip() or None
    else:
        ruleset = str(rs) if rs is not None else None
    ts = get("timestamp")
    hits = get("hits")
    if hits is not None and ts is None:
        n = _count(hits)
        last_raw = get("last_hit")
        if last_raw is None or (isinstance(last_raw, str) and not last_raw.strip()):
            if n:
                raise BadRow(f"rule {rule_id!r} has {n} hits but no last_hit")
            return ruleset, rule_id, 0, None, "aggregated"
        return ruleset, rule_id, n, parse_when(last_raw), "aggregated"
    if ts is None:
        raise BadRow("row has neither a timestamp nor hits")
    if hits is not None:
        raise BadRow("row has both a timestamp and hits; use one form per row")
    return ruleset, rule_id, 1, parse_when(ts), "per-hit"


def _read_csv(fh: io.TextIOBase, reader_state: _Reader) -> None:
    log = reader_state.log
    header_line = ""
    line_no = 0
    lines = _bounded(fh, log.display)
    for header_line in lines:
        line_no += 1
        if header_line.strip():
            break
    else:
        raise ConfigError(f"{log.display}: the hit log is empty; it needs a header row")
    delimiter = ","
    if "," not in header_line:
        if "\t" in header_line:
            delimiter = "\t"
        elif ";" in header_line:
            delimiter = ";"
    header = next(csv.reader([header_line], delimiter=delimiter))
    cols = [h.strip().lower() for h in header]
    idx = {name: i for i, name in reversed(list(enumerate(cols)))}
    if "rule_id" not in idx or not ("timestamp" in idx or ("hits" in idx and "last_hit" in idx)):
        raise ConfigError(
            f"{log.display}:{line_no}: the header must name rule_id and either timestamp "
            f"(one row per hit) or hits,last_hit (aggregated); it has {', '.join(cols) or '?'}"
        )
    if "timestamp" in idx and "hits" in idx:
        raise ConfigError(
            f"{log.display}:{line_no}: the header has both timestamp and hits; "
            "use rule_id,timestamp (one row per hit) or rule_id,hits,last_hit"
        )
    log.has_ruleset = "ruleset" in idx
    i_id = idx["rule_id"]
    i_rs = idx.get("ruleset")
    reader = csv.reader(lines, delimiter=delimiter)
    base = line_no
    if "timestamp" in idx:
        i_ts = idx["timestamp"]
        width = max(i_id, i_ts, i_rs if i_rs is not None else 0) + 1
        _per_hit_rows(reader, base, width, i_id, i_ts, i_rs, reader_state)
        return
    i_hits, i_last = idx["hits"], idx["last_hit"]
    for row in reader:
        line = base + reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        try:
            values = _row_values(
                lambda k, row=row: _cell(row, {"rule_id": i_id, "ruleset": i_rs, "hits": i_hits,
                                               "last_hit": i_last}.get(k)),
                line,
            )
        except BadRow as exc:
            reader_state.bad(line, str(exc))
            continue
        reader_state.good(line, *values)


def _cell(row: list[str], i: int | None) -> str | None:
    if i is None:
        return None
    if i >= len(row):
        raise BadRow(f"row has {len(row)} column{'s' if len(row) != 1 else ''}, "
                     f"expected at least {i + 1}")
    return row[i]


def _per_hit_rows(reader, base: int, width: int, i_id: int, i_ts: int, i_rs: int | None,
                  state: _Reader) -> None:
    """The hot loop for the commonest and largest form: one row per hit."""
    log = state.log
    usage = log.usage
    cache: dict[str, dt.date] = {}  # timestamps repeat (per second, per day): parse once
    first_hit = log.first_hit
    rows = 0
    for row in reader:
        if len(row) < width:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            state.bad(base + reader.line_num,
                      f"row has {len(row)} columns, expected at least {width}")
            continue
        rule_id = row[i_id].strip()
        if not rule_id:
            state.bad(base + reader.line_num, "rule_id is empty")
            continue
        ts = row[i_ts]
        day = cache.get(ts)
        if day is None:
            try:
                day = parse_when(ts)
            except BadRow as exc:
                state.bad(base + reader.line_num, str(exc))
                continue
            if len(cache) > 4096:
                cache.clear()
            cache[ts] = day
        ruleset = (row[i_rs].strip() or None) if i_rs is not None else None
        key = (ruleset, rule_id)
        u = usage.get(key)
        if u is None:
            u = usage[key] = Usage(line=base + reader.line_num)
        u.hits += 1
        if u.last is None or day > u.last:
            u.last = day
        if first_hit is None or day < first_hit:
            first_hit = day
        rows += 1
    log.rows += rows
    log.first_hit = first_hit
    if rows:
        log.forms.add("per-hit")


def _lines(fh: io.TextIOBase) -> Iterator[tuple[int, str | None]]:
    """(number, line) for each line; None for a line longer than MAX_LINE_CHARS, whose
    rest is skipped without holding it."""
    number = 0
    while True:
        line = fh.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while True:
                rest = fh.readline(MAX_LINE_CHARS)
                if not rest or rest.endswith("\n"):
                    break
            yield number, None
            continue
        yield number, line


def _bounded(fh: io.TextIOBase, display: str) -> Iterator[str]:
    """The lines of a CSV log; a line longer than MAX_LINE_CHARS ends the read with an
    error naming it (csv would refuse its field anyway), without holding it."""
    for number, line in _lines(fh):
        if line is None:
            raise ConfigError(
                f"{display}:{number}: line longer than {MAX_LINE_CHARS:,} characters: "
                "not a hit log rulelint can read"
            )
        yield line


def _read_jsonl(fh: io.TextIOBase, state: _Reader) -> None:
    for line_no, line in _lines(fh):
        if line is None:
            state.bad(line_no, f"line longer than {MAX_LINE_CHARS:,} characters")
            continue
        s = line.strip()
        if not s:
            continue
        try:
            obj = json.loads(s)
        except ValueError as exc:
            state.bad(line_no, f"not valid JSON ({exc.args[0].split(':')[0]})")
            continue
        if not isinstance(obj, dict):
            state.bad(line_no, "a JSON Lines hit log holds one object per line")
            continue
        if "ruleset" in obj:
            state.log.has_ruleset = True
        try:
            values = _row_values(obj.get, line_no)
        except BadRow as exc:
            state.bad(line_no, str(exc))
            continue
        state.good(line_no, *values)


def load_hits(path: Path, cwd: Path | None = None) -> HitLog:
    """Read a hit log (see the module doc). Problems with the file itself are ConfigErrors
    naming the file (and line); a few malformed rows are skipped and counted."""
    display = display_path(path.absolute(), cwd) if cwd else str(path)
    log = HitLog(path, display)
    state = _Reader(log)
    try:
        jsonl = _is_jsonl(path, display)
        with _open(path, display) as fh:
            if jsonl:
                _read_jsonl(fh, state)
            else:
                _read_csv(fh, state)
    except UnicodeDecodeError:
        raise ConfigError(f"{display}: the hit log is not UTF-8 text; export it as UTF-8") from None
    except csv.Error as exc:
        raise ConfigError(f"{display}: not readable as CSV: {exc}") from None
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"cannot read hit log {display}: {reason}") from None
    return state.finish()


def iter_unknown(log: HitLog, known: dict[str, set[str]]) -> Iterator[tuple[str, Usage]]:
    """Ids in the log that no loaded rule has. ``known`` maps ruleset -> ids (including the
    ``merged_from`` ids of merged rules). A row naming a ruleset is checked in that ruleset;
    a row without one against every ruleset."""
    every: set[str] | None = None
    for (ruleset, rule_id), u in log.usage.items():
        if ruleset is None:
            if every is None:
                every = set().union(*known.values()) if known else set()
            if rule_id not in every:
                yield rule_id, u
        elif rule_id not in known.get(ruleset, ()):
            yield f"{ruleset}/{rule_id}", u
