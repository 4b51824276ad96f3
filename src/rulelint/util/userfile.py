"""Reading a file the user names: a regular file of bounded size, or stdin where allowed.

Every reader of a path given on the command line or in the configuration (``--event @file``,
``--events``, ``--baseline``, ``--hits``, ``--config``, ``--tests``, the rule files) goes
through here, so none of them can be made to read ``/dev/zero`` until memory runs out, block
forever on a FIFO nobody writes to, or say "does not exist" about a device.

* The path is opened with ``O_NONBLOCK`` (opening a FIFO never waits for a writer) and
  ``fstat``-ed: only a regular file is read. The check is on the opened descriptor, so the
  file cannot be swapped for a device between the check and the read.
* A whole-file read stops at ``limit`` bytes: one byte more and the read is refused with
  the file's size (or "more than" the limit when it grows while read).
* ``-`` means standard input where the caller allows it (``allow_stdin``); stdin is read
  with the same byte limit.
* Streamed readers (the hit log, ``--events``) get an open binary file after the same checks,
  and bound each line themselves (``read_line``).

Every refusal is a :class:`UserFileError` (a ``ConfigError``: exit 2 with one line) whose
message names the file and says what to do.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from rulelint.util.errors import ConfigError

MiB = 1 << 20

STDIN = "-"


class UserFileError(ConfigError):
    """A file the user named cannot be read as asked; the message names it."""


def size_text(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.0f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _named(what: str, shown: str) -> str:
    return f"{what} {shown}" if what else shown


def open_user_file(path: Path | str, what: str, shown: str | None = None) -> BinaryIO:
    """Open ``path`` for reading in binary, refusing anything that is not a regular file.

    ``what`` names the kind of file in messages ("event file", "hit log"; may be empty),
    ``shown`` the path as the user should read it (default: ``path``)."""
    shown = _named(what, shown or str(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UserFileError(f"{shown} does not exist") from None
    except IsADirectoryError:
        raise UserFileError(f"{shown} is a directory; name a file") from None
    except OSError as exc:
        raise UserFileError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UserFileError(
                f"{shown} is {_kind(st.st_mode)}, not a regular file; "
                "rulelint reads only regular files here"
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_capped(fh: BinaryIO, limit: int, shown: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = fh.read(min(MiB, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise UserFileError(
                f"{shown} is larger than {size_text(limit)}, the most rulelint reads here: "
                "is it the right file?"
            )
    return b"".join(chunks)


def read_user_bytes(
    path: Path | str, what: str, limit: int, *, allow_stdin: bool = False,
    shown: str | None = None,
) -> bytes:
    """The whole content of ``path`` (or of stdin for ``-`` when allowed), at most ``limit``
    bytes; a :class:`UserFileError` naming the file otherwise."""
    if allow_stdin and str(path) == STDIN:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stdin (tests swapping sys.stdin)
            data = sys.stdin.read(limit + 1).encode("utf-8")
            if len(data) > limit:
                raise UserFileError(
                    f"{_named(what, 'on stdin')} is larger than {size_text(limit)}"
                )
            return data
        return _read_capped(stream, limit, _named(what, "on stdin"))
    name = _named(what, shown or str(path))
    with open_user_file(path, what, shown) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise UserFileError(
                f"{name} is {size_text(size)}; rulelint reads up to {size_text(limit)} "
                "here: is it the right file?"
            )
        try:
            return _read_capped(fh, limit, name)
        except OSError as exc:
            raise UserFileError(f"cannot read {name}: {exc.strerror or exc}") from None


def read_user_text(
    path: Path | str, what: str, limit: int, *, allow_stdin: bool = False,
    shown: str | None = None,
) -> str:
    """As :func:`read_user_bytes`, decoded as UTF-8 (a BOM is dropped)."""
    data = read_user_bytes(path, what, limit, allow_stdin=allow_stdin, shown=shown)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = "on stdin" if allow_stdin and str(path) == STDIN else (shown or str(path))
        raise UserFileError(
            f"{_named(what, where)}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        ) from None


def read_line(fh: BinaryIO, limit: int) -> bytes | None:
    """One line of ``fh`` (with its ``\\n``), or None at the end; a line longer than
    ``limit`` bytes is returned cut to ``limit + 1`` bytes and the rest of it skipped, so a
    caller sees it is too long without holding it."""
    line = fh.readline(limit + 1)
    if not line:
        return None
    if len(line) > limit and not line.endswith(b"\n"):
        while True:  # skip the rest of the over-long line, a bounded piece at a time
            rest = fh.readline(MiB)
            if not rest or rest.endswith(b"\n"):
                break
    return line


@contextlib.contextmanager
def opened_user_stream(
    path: Path | str, what: str, *, allow_stdin: bool = False, shown: str | None = None
):
    """A binary stream over ``path`` (or stdin for ``-``), checked as ``open_user_file``."""
    if allow_stdin and str(path) == STDIN:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            import io

            stream = io.BytesIO(sys.stdin.read().encode("utf-8"))
        yield stream
        return
    fh = open_user_file(path, what, shown)
    try:
        yield fh
    finally:
        fh.close()
