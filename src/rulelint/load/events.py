"""Events for ``rulelint eval``: one JSON object from ``--event``, or many from ``--events``.

``--event`` takes the JSON itself, ``@file.json`` or ``@-`` (stdin); the file is read through
``util/userfile.py`` (a regular file of at most ``MAX_EVENT_BYTES``). ``--events FILE.jsonl``
(or ``-``) is JSON Lines, one event object per line, streamed: one line in memory at a time,
each at most ``MAX_EVENT_BYTES``; blank lines are skipped. A line that is not an event is
one :class:`BadEvent` (with its line number), and the lines after it are still read.

What JSON allows and Python cannot hold is refused with one line, never a traceback: an
object nested deeper than Python's recursion limit, an integer of more than
``sys.get_int_max_str_digits()`` (4,300) digits.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rulelint.util.errors import ConfigError
from rulelint.util.userfile import (
    STDIN,
    opened_user_stream,
    read_line,
    read_user_text,
    size_text,
)

MAX_EVENT_BYTES = 16 << 20  # one event; the largest real ones are a few KiB


class EventError(ValueError):
    """The text is not one event; the message says why (without naming where)."""


def event_from_json(text: str) -> dict[str, Any]:
    """One event object from JSON text; EventError with a one-line reason otherwise."""
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise EventError("the JSON nests too deeply to read; an event is a flat object") from None
    except ValueError as exc:  # an integer beyond Python's digit limit, and the like
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "digits" in first:
            first = (
                f"it holds an integer of more than {sys.get_int_max_str_digits():,} digits"
            )
        raise EventError(f"not usable JSON: {first}") from None
    if not isinstance(event, dict):
        raise EventError('an event must be a JSON object like {"plan": "pro"}')
    return event


def parse_event(spec: str) -> dict[str, Any]:
    """``--event '{"plan": "pro"}'``, ``--event @event.json`` or ``--event @-`` (stdin)."""
    where = "--event"
    if spec.startswith("@"):
        name = spec[1:]
        if not name:
            raise ConfigError("--event @: name a file after the @ (or @- for stdin)")
        text = read_user_text(name, "event file", MAX_EVENT_BYTES, allow_stdin=True)
        where = "--event on stdin" if name == STDIN else f"event file {name}"
    else:
        text = spec
    try:
        return event_from_json(text)
    except EventError as exc:
        raise ConfigError(f"{where}: {exc}") from None


@dataclass(slots=True)
class BadEvent:
    line: int
    message: str


def iter_events(source: Path | str) -> Iterator[tuple[int, dict[str, Any] | BadEvent]]:
    """(line number, event or BadEvent) for each non-blank line of a JSON Lines file
    (``-``: stdin). Problems with the file itself (missing, a device, not readable) are a
    ConfigError naming it, raised before the first line."""
    with opened_user_stream(source, "events file", allow_stdin=True) as fh:
        number = 0
        while True:
            raw = read_line(fh, MAX_EVENT_BYTES)
            if raw is None:
                return
            number += 1
            if len(raw) > MAX_EVENT_BYTES and not raw.endswith(b"\n"):
                yield number, BadEvent(
                    number, f"line is longer than {size_text(MAX_EVENT_BYTES)}; one event per line"
                )
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, BadEvent(number, f"not UTF-8 (byte 0x{raw[exc.start]:02x})")
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                continue
            try:
                yield number, event_from_json(text)
            except EventError as exc:
                yield number, BadEvent(number, str(exc))
