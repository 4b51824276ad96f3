"""Drawing ``util/progress`` on a terminal: rich's progress display on stderr.

Shown only when it helps and can do no harm (``wanted``): stderr is a terminal, the format is
the human one (text), ``CI`` is not set, ``TERM`` is not ``dumb``, and neither ``--quiet``
nor ``--no-progress`` was given. It appears only once the run has lasted about a second
(``RULELINT_PROGRESS_DELAY`` seconds, for tests), and is transient: it is erased when the
work ends, so the report that follows starts on a clean line.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from rulelint.util import progress

DELAY = 1.0


def wanted(fmt: str, *, quiet: bool, no_progress: bool) -> bool:
    if quiet or no_progress or fmt != "text":
        return False
    if os.environ.get("CI") or os.environ.get("TERM", "") == "dumb":
        return False
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


class RichReporter(progress.Reporter):
    """One line per step (a spinner, the step, a bar when the total is known, the time)."""

    def __init__(self, delay: float) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(file=sys.stderr), transient=True,
        )
        self._task: Any = None
        self._lock = threading.Lock()
        self._shown = False
        self._closed = False
        self._timer = threading.Timer(delay, self._show)
        self._timer.daemon = True
        self._timer.start()

    def _show(self) -> None:
        with self._lock:
            if not self._closed and not self._shown:
                self._shown = True
                self._progress.start()

    def start(self, label: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def done(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[-1] if self._progress.tasks else None
            if task is not None and task.total is not None:
                self._progress.update(self._task, completed=task.total)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._closed = True
            if self._shown:
                self._progress.stop()


@contextlib.contextmanager
def shown(fmt: str, *, quiet: bool, no_progress: bool) -> Iterator[None]:
    """Draw the engine's progress inside the block when ``wanted``."""
    if not wanted(fmt, quiet=quiet, no_progress=no_progress):
        yield
        return
    try:
        delay = float(os.environ.get("RULELINT_PROGRESS_DELAY", DELAY))
    except ValueError:
        delay = DELAY
    reporter = RichReporter(delay)
    try:
        with progress.reporting(reporter):
            yield
    finally:
        reporter.close()
