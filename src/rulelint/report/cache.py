"""The result cache of ``rulelint check``: ``.rulelint_cache/`` at the project root.

What is cached is the report *data* (findings, per-ruleset summaries, sources, counts,
notices), not rendered text, so one entry serves every format: a hit hands the renderers the
same values a miss would, and they draw the same bytes (tests compare every format). The
project itself is not cached; on a hit the report carries a ``CachedProject`` holding what
renderers read of it (the settings, the rule count).

* **Key** (``key``): a SHA-256 over the rulelint version, this module's format number, and
  the parts the caller gives, each as a label and bytes: the resolved settings, each rule
  file's path and bytes, the hit log's and baseline's bytes, the git state (``HEAD``, the
  ``--base`` commit) and ``--today`` (a part of the settings). ``pipeline.py`` gathers them.
* **Entries** are JSON, written with ``util/atomicio.write_atomic`` (a temp file, fsync,
  rename): concurrent runs and a run killed mid-write never leave a half-written entry.
  The last line of an entry is the SHA-256 of what comes before it (so an entry is written
  as it is made) and is checked on every read: a damaged entry is a miss (and is removed),
  never an error.
* **Exactness**: data is stored only when JSON gives back equal values of the same types
  (``_exact``: text, numbers, booleans, null, lists and text-keyed mappings, no NaN);
  otherwise the run is simply not cached. An entry is written a finding at a time
  (``report_pieces``), never held as data or text all at once.
* **Size**: at most ``MAX_ENTRIES`` entries and ``MAX_BYTES`` in all; the oldest (by last
  use: a hit touches its entry) go first. Stale temp files of killed runs are removed too.
* A ``.gitignore`` of ``*`` inside keeps the directory out of git (as ruff does), and a
  ``CACHEDIR.TAG`` keeps it out of backups.
* ``--no-cache`` or ``RULELINT_NO_CACHE=1`` turns it off. A cache that cannot be written
  (read-only checkout) is silently skipped.

Nothing here imports the engine or the loaders (``report/`` sits below them): the caller
passes bytes in and gets plain data out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rulelint import __version__
from rulelint.report.findings import Finding, Location, Severity
from rulelint.util.atomicio import write_atomic

CACHE_DIR = ".rulelint_cache"
FORMAT = 2  # 2: the checksum follows the body (written as it is made)
MAX_ENTRIES = 32
MAX_BYTES = 512 * 1024 * 1024
STALE_TMP_SECONDS = 3600
GITIGNORE = "# Automatically created by rulelint.\n*\n"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by rulelint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def enabled(no_cache: bool = False) -> bool:
    """Whether this run uses the cache (``--no-cache``, ``RULELINT_NO_CACHE=1``)."""
    env = os.environ.get("RULELINT_NO_CACHE", "").strip().lower()
    return not no_cache and env in ("", "0", "false", "no")


def key(parts: Iterable[tuple[str, bytes]]) -> str:
    """The entry name for these inputs (length-prefixed, so no two part lists collide)."""
    h = hashlib.sha256()
    for label, data in [("rulelint", __version__.encode()), ("format", str(FORMAT).encode()), *parts]:
        lb = label.encode("utf-8")
        h.update(len(lb).to_bytes(8, "big") + lb + len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class ResultCache:
    """One cache directory: ``get`` and ``put`` of JSON data by key."""

    def __init__(self, root: Path) -> None:
        self.dir = Path(root) / CACHE_DIR

    def _path(self, k: str) -> Path:
        return self.dir / f"{k}.json"

    def get(self, k: str) -> Any | None:
        path = self._path(k)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        body, nl, tail = raw.rpartition(b"\n")
        if not nl or hashlib.sha256(body).hexdigest().encode() != tail:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # last use, for eviction
        return data

    def put(self, k: str, data: Any) -> bool:
        """Store ``data`` under ``k``; False (and nothing written) when it cannot be."""
        return self.put_text(k, [json.dumps(data, ensure_ascii=False, separators=(",", ":"))])

    def put_text(self, k: str, pieces: Iterable[str]) -> bool:
        """Store the JSON text made of ``pieces`` (see ``report_pieces``) under ``k``, each
        written as it comes, then the SHA-256 of it all on a line of its own; False (and
        nothing written) when it cannot be: ``NotExact`` from the pieces, a read-only
        checkout, a full disk, a lone surrogate that UTF-8 cannot hold."""
        digest = hashlib.sha256()

        def body() -> Iterator[bytes]:
            for piece in pieces:
                data = piece.encode("utf-8")
                digest.update(data)
                yield data
            yield b"\n" + digest.hexdigest().encode()

        try:
            self.dir.mkdir(exist_ok=True)
            for name, text in ((".gitignore", GITIGNORE), ("CACHEDIR.TAG", CACHEDIR_TAG)):
                if not (self.dir / name).exists():
                    write_atomic(self.dir / name, text.encode())
            write_atomic(self._path(k), body())
        except Exception:  # not exact, a read-only checkout, a full disk: the run goes on uncached
            return False
        self.evict(keep=k)
        return True

    def evict(self, keep: str | None = None) -> None:
        """Drop the oldest entries beyond ``MAX_ENTRIES`` / ``MAX_BYTES``, and temp files
        older than an hour (left by runs killed mid-write)."""
        entries: list[tuple[float, int, Path]] = []
        now = time.time()
        try:
            items = list(os.scandir(self.dir))
        except OSError:
            return
        for item in items:
            try:
                st = item.stat()
            except OSError:
                continue
            if item.name.endswith(".tmp"):
                if now - st.st_mtime > STALE_TMP_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(item.path)
            elif item.name.endswith(".json") and item.name != f"{keep}.json":
                entries.append((st.st_mtime, st.st_size, Path(item.path)))
        kept = self._path(keep) if keep else None
        total = kept.stat().st_size if kept is not None and kept.exists() else 0
        count = 1 if total else 0
        for _, size, path in sorted(entries, reverse=True):  # newest first
            if count + 1 > MAX_ENTRIES or total + size > MAX_BYTES:
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            count += 1
            total += size


# --- the report as plain data ---------------------------------------------------------------

_FINDING_FIELDS = ("code", "message", "file", "line", "column", "ruleset", "rule_ids", "witness")


@dataclasses.dataclass
class CachedProject:
    """What renderers read of ``Report.project`` on a cache hit."""

    settings: Any
    rule_count: int
    used_default_paths: bool = False


def _exact(v: Any) -> bool:
    """Whether JSON gives ``v`` back as an equal value of the same types all the way down:
    text, whole numbers, booleans, null, floats other than NaN, lists, and mappings with
    text keys (a tuple comes back a list, a number key as text, NaN unequal to itself)."""
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return True
    if t is float:
        return v == v
    if t is list:
        return all(_exact(x) for x in v)
    if t is dict:
        return all(type(k) is str and _exact(x) for k, x in v.items())
    return False


def _finding(f: Finding) -> dict[str, Any]:
    out = {name: getattr(f, name) for name in _FINDING_FIELDS}
    out["severity"] = str(f.severity)
    out["related"] = [[loc.file, loc.line, loc.rule_id] for loc in f.related]
    out["fingerprint"] = f.fingerprint
    return out


class NotExact(Exception):
    """A value of the report that JSON would not give back exactly (``_exact``)."""


CHUNK = 1 << 20  # characters of an entry gathered before they are written


def report_pieces(report: Any, other: dict[str, Any]) -> Iterator[str]:
    """``report`` (an ``engine.Report``) as the JSON text of an entry, in pieces of about
    ``CHUNK`` characters, made as they are written: the findings never exist as data or as
    one text all at once (at 100k findings that was more memory than the analysis).
    ``other`` holds the report's remaining fields, already plain. Raises ``NotExact`` when
    some value would not come back exactly."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                             check_circular=False).encode
    parts = ['{"findings":[']
    size = 0
    for i, f in enumerate(report.findings):
        d = _finding(f)
        if not _exact(d):
            raise NotExact(f.code)
        text = dumps(d)
        parts.append("," + text if i else text)
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    rest = {
        "rulesets": [dataclasses.asdict(rs) for rs in report.rulesets],
        "sources": [[str(s.path), s.display] for s in report.sources],
        "rule_count": report.project.rule_count,
        "other": other,
    }
    if not _exact(rest):
        raise NotExact("summary")
    parts.append("]," + dumps(rest)[1:])
    yield "".join(parts)


def findings_from(data: dict[str, Any]) -> list[Finding]:
    out = []
    for d in data["findings"]:
        f = Finding(
            **{name: d[name] for name in _FINDING_FIELDS},
            related=[Location(*loc) for loc in d["related"]],
            severity=Severity(d["severity"]),
        )
        f.fingerprint = d["fingerprint"]
        out.append(f)
    return out
