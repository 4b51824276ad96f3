"""Git, through the ``git`` command: never a shell, never a ref taken as an option.

Every call runs ``git`` with an argument list, a timeout, ``LC_ALL=C`` and no prompts.
User-supplied refs are validated (no leading ``-``) and passed after ``--end-of-options``.
Other sides of history are read with ``git cat-file`` / ``git show``; the working tree is
never checked out or changed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from rulelint.load.config import ConfigError

GIT_TIMEOUT = 120


class GitError(ConfigError):
    """A git problem the user can act on (exit 2)."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"LC_ALL": "C", "LANG": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"})
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def run_git(
    args: list[str], cwd: Path, *, input: bytes | None = None, ok_codes: tuple[int, ...] = (0,)
) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=_env(),
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT}s") from None
    if proc.returncode not in ok_codes:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return proc.stdout


def repo_root(path: Path) -> Path | None:
    try:
        out = run_git(["rev-parse", "--show-toplevel"], path)
    except GitError:
        return None
    text = out.decode("utf-8", "replace").strip()
    return Path(text) if text else None


_BAD_REF = re.compile(r"(^-)|[\x00-\x1f\x7f ~^:?*\[\\]|\.\.|@\{|//|\.lock$|^/|/$")


def check_ref_syntax(ref: str) -> None:
    """Refuse refs that could be read as options or that git itself would reject.

    Allows ``HEAD~3``, ``main^``, ``origin/main``, SHAs; the suffixes ``~N``/``^N`` are
    stripped before the check."""
    base = re.sub(r"([~^][0-9]*)+$", "", ref)
    if not ref or ref.startswith("-") or (base and _BAD_REF.search(base)):
        raise GitError(f"{ref!r} is not a valid git ref")


def resolve_commit(ref: str, cwd: Path) -> str:
    """The commit SHA of ``ref``; a clear error for unknown refs and shallow clones."""
    check_ref_syntax(ref)
    try:
        out = run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], cwd)
    except GitError:
        out = b""
    sha = out.decode().strip()
    if not sha:
        shallow = (cwd / ".git" / "shallow").exists() or _is_shallow(cwd)
        hint = (
            "; this is a shallow clone: fetch more history (actions/checkout with "
            "fetch-depth: 0, or `git fetch --unshallow`)"
            if shallow
            else "; fetch it first (`git fetch origin <branch>`)"
        )
        raise GitError(f"unknown git ref {ref!r}{hint}")
    return sha


def _is_shallow(cwd: Path) -> bool:
    try:
        return run_git(["rev-parse", "--is-shallow-repository"], cwd).strip() == b"true"
    except GitError:
        return False


def files_at(commit: str, cwd: Path, pathspecs: list[str] | None = None) -> list[str]:
    """Repo-relative paths of the files in ``commit`` (optionally limited by pathspecs)."""
    args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit]
    if pathspecs:
        args += ["--", *pathspecs]
    out = run_git(args, cwd)
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def read_blobs(commit: str, paths: list[str], cwd: Path) -> dict[str, bytes | None]:
    """Contents of many files at one commit with one ``git cat-file --batch`` call.
    A path missing at that commit maps to None."""
    if not paths:
        return {}
    for p in paths:
        if "\n" in p:
            raise GitError(f"cannot read a path with a newline from git: {p!r}")
    request = "".join(f"{commit}:{p}\n" for p in paths).encode("utf-8", "surrogateescape")
    out = run_git(["cat-file", "--batch"], cwd, input=request)
    result: dict[str, bytes | None] = {}
    pos = 0
    for p in paths:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split()
        pos = nl + 1
        if len(header) >= 2 and header[-1] == b"missing":
            result[p] = None
            continue
        size = int(header[2])
        result[p] = out[pos : pos + size]
        pos += size + 1
    return result
