"""Safe writes: nothing the user wrote is ever lost. Every file rulelint writes goes here.

``write_atomic(path, data, expect=...)``:

* A symlink is followed: the file it points to is written and the link stays a link (a
  dangling link gets its target created).
* Only regular files are replaced: a directory, FIFO, socket or device node (``--output
  /dev/null``) is refused with one line, before anything is written.
* A file with more than one hard link is refused: replacing it by rename would split the
  link (the other names would keep the old text while the report says "applied"), and
  writing into the shared inode in place cannot be atomic. Break the link (``cp f f.new &&
  mv f.new f``) or write elsewhere with ``--output``.
* The new bytes go to a temporary file in the target's directory, are flushed and fsynced,
  get the original's mode (and owner and group, where the process may set them; else the
  writer's, as any editor that saves by rename), and are renamed over the target (atomic on
  POSIX); then the directory is fsynced. Extended attributes and ACLs are not copied.
* Concurrent edits: when ``expect`` is given (the bytes read earlier), the file must still
  hold them, and must still be the same file (device, inode, size, mtime) as when this call
  first looked, checked once before the temporary file is written and again right before
  the rename (``_before_replace``, a hook tests use to play the second writer). A file that
  did not exist must still not exist. Otherwise nothing is replaced and the error says so.
  What remains is the window between that last check and the rename (microseconds, one
  ``stat`` and one read of a rule file): a write landing there is overwritten, and so is
  one made through a descriptor that was opened on the old file before the rename (it goes
  to the old inode, which no name points at any more). POSIX has no compare-and-swap
  rename; only locking every writer would close it.
* Any failure (read-only directory, full disk, Ctrl-C) removes the temporary file and
  leaves the original as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rulelint.util.errors import ConfigError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a write really lands and what was there when we looked."""

    asked: Path  # the path the user named
    real: Path  # symlinks resolved
    stat: os.stat_result | None  # None: no file there yet

    def same_file(self, st: os.stat_result | None) -> bool:
        if self.stat is None or st is None:
            return self.stat is None and st is None
        a, b = self.stat, st
        return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns) == (
            b.st_dev, b.st_ino, b.st_size, b.st_mtime_ns
        )


def _named(target: Target) -> str:
    if target.real != Path(os.path.abspath(target.asked)):  # a symlink on the way
        return f"{target.asked} (-> {target.real})"
    return str(target.asked)


def _stat(path: Path, asked: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot write {asked}: {exc.strerror or exc}") from None


def check_target(path: Path) -> Target:
    """Resolve ``path`` and refuse what must not be replaced (see the module docstring)."""
    asked = Path(path)
    real = Path(os.path.realpath(asked))
    st = _stat(real, asked)
    target = Target(asked, real, st)
    if st is not None:
        for test, what in _KINDS:
            if test(st.st_mode):
                raise ConfigError(
                    f"{_named(target)} is {what}, not a regular file; rulelint only replaces "
                    "regular files: give a file path"
                )
        if st.st_nlink > 1:
            raise ConfigError(
                f"{_named(target)} has {st.st_nlink} hard links; replacing it would split "
                "them (the other names would keep the old text): nothing was written. "
                "Break the link (cp FILE FILE.new && mv FILE.new FILE) or use --output"
            )
    elif not real.parent.is_dir():
        raise ConfigError(f"cannot write {asked}: directory {real.parent} does not exist")
    return target


def _before_replace(target: Target, expect: bytes | None) -> None:
    """The last look before the rename: the file is the one we read, holding its bytes."""
    st = _stat(target.real, target.asked)
    if not target.same_file(st):
        what = "appeared" if target.stat is None else "changed"
        raise ConfigError(
            f"{_named(target)} {what} while rulelint was writing it; nothing was replaced "
            "(the other change is kept): run again"
        )
    if expect is not None and st is not None:
        try:
            current = target.real.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot re-read {target.asked}: {exc.strerror or exc}") from None
        if current != expect:
            raise ConfigError(
                f"{_named(target)} changed since it was read; nothing was written: run again"
            )


def write_atomic(
    path: Path, data: bytes | Iterable[bytes], *, expect: bytes | None = None
) -> Target:
    """Replace ``path``'s content by ``data`` atomically (see the module docstring): bytes,
    or pieces of bytes written as they come (a large file need not exist in memory at
    once; an exception from the pieces leaves the original as it was, and is raised).
    ``expect``: the bytes the file held when it was read; refuse if it holds others."""
    target = check_target(path)
    real = target.real
    if expect is not None:
        if target.stat is None:
            raise ConfigError(f"{_named(target)} was deleted since it was read; nothing was written")
        _before_replace(target, expect)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write {target.asked}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        if target.stat is not None:
            os.chmod(tmp, stat.S_IMODE(target.stat.st_mode))
            if (target.stat.st_uid, target.stat.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root (or the group) may
                    os.chown(tmp, target.stat.st_uid, target.stat.st_gid)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        _before_replace(target, expect)
        os.replace(tmp, real)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot write {target.asked}: {exc.strerror or exc}; it was left as it was"
            ) from None
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(real.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return target


def remove_created(path: Path, data: bytes) -> bool:
    """Undo a write that created ``path``: remove it if it still holds ``data``."""
    real = Path(os.path.realpath(path))
    try:
        if real.read_bytes() != data:
            return False
        real.unlink()
    except OSError:
        return False
    return True
