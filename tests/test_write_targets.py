"""Issue 14, family 6: where writes land. ``--apply``, ``--output`` and ``--write-baseline``
all go through ``util/atomicio.write_atomic``: a symlink is followed (the target written,
the link kept), FIFOs, devices and directories are refused, hard links are refused (never
split), the mode (and the owner, as root) is kept, and an edit that lands right before the
rename is refused with nothing lost.

On main's code: the symlink became a regular file (the target unchanged), ``--output`` to a
FIFO replaced it, ``--output /dev/null`` run as root replaced the machine's /dev/null by a
regular file (the device test below therefore guards ``os.replace``), a hard link was split,
and the late edit was overwritten.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

import rulelint.util.atomicio as atomicio
from conftest import assert_clean_exit, run_cli

RULES = """\
ruleset: s
rules:
  - id: a1
    action: close
    match: {region: EU}
  - id: a2
    action: close
    match: {region: US}
"""
MERGED = """\
ruleset: s
rules:
  - id: a1
    action: close
    match:
      region: [EU, US]
    merged_from: [a1, a2]
"""


def merge(tmp_path: Path, *args: str, timeout: float = 60):
    proc = run_cli(["suggest-merge", *args, "--color", "never"], tmp_path, timeout=timeout)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    return proc


def test_apply_through_a_symlink_writes_the_target(tmp_path):
    real = tmp_path / "store" / "rules.yaml"
    real.parent.mkdir()
    real.write_text(RULES)
    link = tmp_path / "rules.yaml"
    link.symlink_to(real)
    proc = merge(tmp_path, "rules.yaml", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == MERGED
    assert sorted(p.name for p in real.parent.iterdir()) == ["rules.yaml"]


def test_output_through_a_symlink_writes_the_target(tmp_path):
    (tmp_path / "rules.yaml").write_text(RULES)
    target = tmp_path / "out" / "merged.yaml"
    target.parent.mkdir()
    target.write_text("# old\n")
    (tmp_path / "new.yaml").symlink_to(target)
    proc = merge(tmp_path, "rules.yaml", "--output", "new.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "new.yaml").is_symlink()
    assert "region: [EU, US]" in target.read_text()


def test_output_to_a_fifo_is_refused_without_blocking(tmp_path):
    (tmp_path / "rules.yaml").write_text(RULES)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    proc = merge(tmp_path, "rules.yaml", "--output", "pipe.yaml", timeout=30)
    assert proc.returncode == 2
    assert "pipe.yaml is a FIFO, not a regular file" in proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("via_link", [False, True], ids=["direct", "symlink"])
def test_output_to_a_device_is_refused(cli, tmp_path, monkeypatch, via_link):
    """In-process, with a guard: a regression here run as root would replace the machine's
    /dev/null by a regular file (the code before this change did), so ``os.replace`` onto
    anything under /dev fails the test instead of happening."""
    real_replace = os.replace

    def guarded_replace(src, dst, *args, **kwargs):
        if os.path.realpath(dst).startswith("/dev/"):
            os.unlink(src)
            raise AssertionError(f"would have replaced {dst}")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(atomicio.os, "replace", guarded_replace)
    (tmp_path / "rules.yaml").write_text(RULES)
    name = "/dev/null"
    if via_link:
        (tmp_path / "null.yaml").symlink_to("/dev/null")
        name = "null.yaml"
    result = cli("suggest-merge", "rules.yaml", "--output", name, "--color", "never", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "is a character device, not a regular file" in result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_to_a_directory_is_refused(tmp_path):
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "out").mkdir()
    proc = merge(tmp_path, "rules.yaml", "--output", "out")
    assert proc.returncode == 2 and "out is a directory" in proc.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_hard_links_are_refused_not_split(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    other = tmp_path / "other-name.yaml"
    os.link(path, other)
    proc = merge(tmp_path, "rules.yaml", "--apply")
    assert proc.returncode == 2
    assert "has 2 hard links" in proc.stderr and "nothing was written" in proc.stderr
    assert path.read_text() == RULES and os.stat(path).st_ino == os.stat(other).st_ino
    assert os.stat(path).st_nlink == 2


def test_mode_is_kept_and_a_new_file_follows_the_umask(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    path.chmod(0o640)
    assert merge(tmp_path, "rules.yaml", "--apply").returncode == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    path.write_text(RULES)
    umask = os.umask(0o022)
    os.umask(umask)
    assert merge(tmp_path, "rules.yaml", "--output", "new.yaml").returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "new.yaml").st_mode) == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_owner_is_kept_when_the_process_may(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    os.chown(path, 12345, 23456)
    assert merge(tmp_path, "rules.yaml", "--apply").returncode == 0
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (12345, 23456) and path.read_text() == MERGED


@pytest.mark.parametrize("same_size_and_mtime", [False, True], ids=["other-bytes", "same-stat"])
def test_an_edit_right_before_the_rename_is_refused(cli, tmp_path, monkeypatch, same_size_and_mtime):
    """The second writer saves between our last read and the rename: simulated by running
    it inside the hook the writer calls right before ``os.replace``."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    theirs = RULES.replace("region: US", "region: UK") if same_size_and_mtime else (
        RULES + "  - id: added-meanwhile\n    action: y\n    match: {region: DE}\n")
    real_hook = atomicio._before_replace
    calls = []

    def second_writer(target, expect):
        calls.append(target)
        if len(calls) == 2:  # the check right before the rename
            st = os.stat(path)
            path.write_text(theirs)
            if same_size_and_mtime:
                os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        return real_hook(target, expect)

    monkeypatch.setattr(atomicio, "_before_replace", second_writer)
    result = cli("suggest-merge", "rules.yaml", "--apply", "--color", "never", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "changed" in result.stderr and "nothing was" in result.stderr
    assert path.read_text() == theirs  # their edit is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.yaml"]  # no temp file


def test_write_baseline_follows_symlinks_and_refuses_fifos(tmp_path):
    (tmp_path / "rules.yaml").write_text(RULES)
    target = tmp_path / "keep" / "baseline.json"
    target.parent.mkdir()
    target.write_text("{}\n")
    (tmp_path / "baseline.json").symlink_to(target)
    proc = run_cli(["check", "rules.yaml", "--write-baseline", "baseline.json"], tmp_path)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "baseline.json").is_symlink() and '"findings"' in target.read_text()
    os.mkfifo(tmp_path / "fifo.json")
    proc = run_cli(["check", "rules.yaml", "--write-baseline", "fifo.json"], tmp_path, timeout=30)
    assert proc.returncode == 2 and "fifo.json is a FIFO" in proc.stderr


def test_write_atomic_refuses_a_file_that_appears_meanwhile(tmp_path, monkeypatch):
    path = tmp_path / "new.yaml"
    real_hook = atomicio._before_replace

    def someone_creates_it(target, expect):
        path.write_text("theirs\n")
        return real_hook(target, expect)

    monkeypatch.setattr(atomicio, "_before_replace", someone_creates_it)
    with pytest.raises(atomicio.ConfigError, match="appeared while rulelint was writing it"):
        atomicio.write_atomic(path, b"ours\n")
    assert path.read_text() == "theirs\n"


def test_no_other_writer_in_the_package():
    """Every write of a user's file goes through util/atomicio.py: no module opens a file
    for writing or renames one by itself (benchmarks and tests aside)."""
    src = Path(sys.modules["rulelint"].__file__).parent
    offenders = []
    for py in src.rglob("*.py"):
        if py.name == "atomicio.py":
            continue
        text = py.read_text()
        for needle in ("write_bytes(", "write_text(", "os.replace(", "os.rename(", '"w"', "'w'",
                       '"wb"', "'wb'"):
            if needle in text:
                offenders.append(f"{py.relative_to(src)}: {needle}")
    assert offenders == [], offenders


def test_write_atomic_in_pieces_leaves_the_file_when_the_pieces_fail(tmp_path):
    """Pieces are written as they come; when making them fails half way, the original stays
    as it was, no temporary file is left, and the error reaches the caller."""
    path = tmp_path / "entry.json"
    path.write_bytes(b"old")

    def pieces():
        yield b"new, "
        raise ValueError("half way")

    with pytest.raises(ValueError, match="half way"):
        atomicio.write_atomic(path, pieces())
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]
    atomicio.write_atomic(path, iter([b"new, ", b"", b"whole"]))
    assert path.read_bytes() == b"new, whole"
