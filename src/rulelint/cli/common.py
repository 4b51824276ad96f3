"""What every command shares: options, the console, and the error boundary."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from rulelint.load.config import ConfigError
from rulelint.render.console import SafeConsole
from rulelint.util.lines import escape_output


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Configuration file (default: rulelint.yaml found upwards).")
]
ColorOpt = Annotated[Color, typer.Option("--color", help="Colour output: auto (TTY, no NO_COLOR), always, never.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an unexpected failure.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print findings only, no summary.")]
PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Rule files or directories (default: from config, else rules.yaml, rules.example.yaml, rules/).", show_default=False),
]


# Dates an option may name. Git dates start at the Unix epoch; a century of headroom below
# Python's last date leaves room for every "today plus N days" the passes compute (review
# and expiry windows, forecasts), so no date arithmetic can overflow.
MIN_DATE = dt.date(1970, 1, 1)
MAX_DATE = dt.date(9899, 12, 31)
MAX_WINDOW_DAYS = 36_525  # a century, for day counts given as options


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An ISO date given to ``option``; a usage error (exit 2) naming the option when it is
    not one or is outside MIN_DATE..MAX_DATE."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date; use YYYY-MM-DD") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ConfigError(
            f"{option} {value} is out of range: use a date from {MIN_DATE} to {MAX_DATE}"
        )
    return day


def parse_today(value: str | None) -> dt.date | None:
    return parse_date(value, "--today")


def make_console(color: Color = Color.auto, *, stderr: bool = False, machine: bool = False) -> Console:
    """Rich console honouring --color, NO_COLOR and non-TTY output; machine formats get none."""
    if machine:
        return SafeConsole(
            file=sys.stderr if stderr else sys.stdout,
            color_system=None, force_terminal=False, no_color=True, highlight=False,
            soft_wrap=True, emoji=False, markup=False,
        )
    kwargs: dict[str, Any] = {"highlight": False, "file": sys.stderr if stderr else sys.stdout}
    if color is Color.always:
        kwargs["force_terminal"] = True
    elif color is Color.never or os.environ.get("NO_COLOR"):
        kwargs["no_color"] = True
        kwargs["color_system"] = None
    stream = sys.stderr if stderr else sys.stdout
    if not (hasattr(stream, "isatty") and stream.isatty()) and not os.environ.get("COLUMNS"):
        kwargs["width"] = 100  # pipes and CI logs: a stable width, not rich's 80
    return SafeConsole(**kwargs)


def say(line: str) -> None:
    """One line on stderr, its control characters escaped (a value from a rule file may
    hold ESC or U+2028)."""
    print(escape_output(line), file=sys.stderr)


def fail(message: str, code: int = 2) -> typer.Exit:
    say(f"rulelint: error: {message}")
    return typer.Exit(code)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map known problems to exit 2 with one line; anything unexpected too, with a hint.

    Never a traceback unless --debug (or RULELINT_DEBUG=1) asks for it."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug")) or os.environ.get("RULELINT_DEBUG") == "1"
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except ConfigError as exc:
            if debug:
                traceback.print_exc()
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except BrokenPipeError:
            raise typer.Exit(2) from None
        except MemoryError:  # every reader caps what it reads; this is the last line of defence
            raise fail("out of memory: is the input what you meant to give?") from None
        except Exception as exc:  # the top-level boundary: nothing escapes as a traceback
            if debug:
                traceback.print_exc()
                raise fail(f"internal error: {type(exc).__name__}: {exc}") from None
            raise fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(rerun with --debug for the traceback, and please report it)"
            ) from None

    return wrapper
