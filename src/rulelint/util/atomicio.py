"""Safe writes: nothing the user wrote is ever lost.

Write to a temporary file in the same directory, flush and fsync it, give it the original
file's mode, then rename it over the target (atomic on POSIX), and fsync the directory.
When ``expect`` is given and the file no longer holds those bytes, refuse: someone changed
it since we read it. Any failure (read-only directory, full disk, Ctrl-C) removes the
temporary file and leaves the original as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from rulelint.util.errors import ConfigError


def write_atomic(path: Path, data: bytes, *, expect: bytes | None = None) -> None:
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    mode = None
    try:
        st = path.stat()
        mode = stat.S_IMODE(st.st_mode)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    if expect is not None:
        try:
            current = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot re-read {path}: {exc.strerror or exc}") from None
        if current != expect:
            raise ConfigError(f"{path} changed since it was read; nothing was written, run again")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}; it was left as it was") from None
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
