"""Progress of long work, as a small interface the engine calls and the CLI draws.

The library only says what it is doing (``step("pass overlap")``, ``advance()``); by
default nobody listens (``Reporter`` does nothing), so library callers and tests see no
difference. ``cli/progress.py`` installs a reporter that draws rich's progress display on a
terminal (``reporting``). No rulelint imports here, no output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class Reporter:
    """The no-op reporter; a drawing one overrides these."""

    def start(self, label: str, total: int | None = None) -> None:
        """A step begins (``total`` units of work when known)."""

    def advance(self, n: int = 1) -> None:
        """``n`` more units of the current step are done."""

    def done(self) -> None:
        """The current step ended."""


_current: Reporter = Reporter()


def current() -> Reporter:
    return _current


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Send progress to ``reporter`` inside the block (nested blocks restore the outer one)."""
    global _current
    outer, _current = _current, reporter
    try:
        yield reporter
    finally:
        _current = outer


@contextlib.contextmanager
def step(label: str, total: int | None = None) -> Iterator[Reporter]:
    """One step of the work: ``with step("loading 12 files", 12) as p: ... p.advance()``."""
    r = _current
    r.start(label, total)
    try:
        yield r
    finally:
        r.done()
