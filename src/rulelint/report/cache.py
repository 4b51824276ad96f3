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
  The first line of an entry is the SHA-256 of the rest and is checked on every read: a
  damaged entry is a miss (and is removed), never an error.
* **Exactness**: data is stored only when its JSON round trip gives back equal values of the
  same types (``_same``); otherwise the run is simply not cached.
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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rulelint import __version__
from rulelint.report.findings import Finding, Location, Severity
from rulelint.util.atomicio import write_atomic

CACHE_DIR = ".rulelint_cache"
FORMAT = 1
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
        head, nl, body = raw.partition(b"\n")
        if not nl or hashlib.sha256(body).hexdigest().encode() != head:
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
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            self.dir.mkdir(exist_ok=True)
            for name, text in ((".gitignore", GITIGNORE), ("CACHEDIR.TAG", CACHEDIR_TAG)):
                if not (self.dir / name).exists():
                    write_atomic(self.dir / name, text.encode())
            write_atomic(self._path(k), hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        except Exception:  # a read-only checkout, a full disk: the run goes on uncached
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


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (a JSON round trip keeps them)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _finding(f: Finding) -> dict[str, Any]:
    out = {name: getattr(f, name) for name in _FINDING_FIELDS}
    out["severity"] = str(f.severity)
    out["related"] = [[loc.file, loc.line, loc.rule_id] for loc in f.related]
    out["fingerprint"] = f.fingerprint
    return out


def report_data(report: Any, other: dict[str, Any]) -> dict[str, Any] | None:
    """``report`` (an ``engine.Report``) as JSON-ready data, or None when some value would
    not come back exactly. ``other`` holds the report's remaining fields, already plain."""
    data = {
        "findings": [_finding(f) for f in report.findings],
        "rulesets": [dataclasses.asdict(rs) for rs in report.rulesets],
        "sources": [[str(s.path), s.display] for s in report.sources],
        "rule_count": report.project.rule_count,
        "other": other,
    }
    try:
        back = json.loads(json.dumps(data, ensure_ascii=False))
    except (TypeError, ValueError):
        return None
    return data if _same(back, data) else None


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
