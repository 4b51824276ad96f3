"""Exit without tearing down the heap.

After ``rulelint check`` has printed its report, freeing the project, the index and the
findings one object at a time costs seconds at 100k rules (measured: ~3 s of a ~50 s run)
and serves nobody: the process is about to end. mypy does the same (its ``fast_exit``
option, on by default): keep the large results alive, flush the standard streams, and
leave with ``os._exit``.

Only the console entry point (``rulelint.cli.main``) exits this way; code that calls the
CLI in-process (typer's CliRunner, tests) keeps the normal teardown: ``keep`` holds one
object per name, replaced on the next call, so nothing accumulates.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_kept: dict[str, Any] = {}


def keep(name: str, obj: Any) -> None:
    """Hold ``obj`` until the process exits (replacing what was held under ``name``), so
    that it is not freed object by object when the caller returns."""
    _kept[name] = obj


def exit_code(code: Any) -> int:
    """The status a ``SystemExit`` with this code gives (a message goes to stderr)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def hard_exit(code: int) -> None:
    """Flush the standard streams and end the process now (no teardown, no atexit)."""
    status = code
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away (`rulelint check | head`)
            status = status or 1
        except (OSError, ValueError):
            pass
    os._exit(status)
