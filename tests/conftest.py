"""Shared helpers for the CLI-level tests: rule files in tmp dirs, the real CLI in-process
(typer's CliRunner) and as a subprocess (``python -m rulelint``), JSON reports, git repos.

The helpers are plain functions (importable with ``from conftest import ...``) and are also
offered as fixtures.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import typer.main
from typer.testing import CliRunner, Result

from rulelint.cli import app

# The result cache (.rulelint_cache/) is off for the suite: many tests change module
# constants between runs or check that a run writes nothing. tests/test_cache.py turns it on.
os.environ["RULELINT_NO_CACHE"] = "1"

# Rich wraps text output at the terminal width; a wide one keeps messages on one line so
# tests can look for whole sentences.
WIDE = "400"
EXIT_CODES = (0, 1, 2)


def write_rules(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    """Write a rule file (dedented) under ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _clean_env(env: dict[str, str] | None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out.pop("GITHUB_ACTIONS", None)
    out.pop("RULELINT_FORMAT", None)
    out.pop("RULELINT_DEBUG", None)
    out["COLUMNS"] = WIDE
    out.update(env or {})
    return out


def run_cli(
    args: Iterable[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m rulelint ARGS`` in ``cwd`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "rulelint", *args],
        cwd=cwd,
        env=_clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_clean_exit(output: str, exit_code: int) -> None:
    """No traceback, an exit code of the contract."""
    assert exit_code in EXIT_CODES, (exit_code, output)
    assert "Traceback" not in output, output
    assert "internal error" not in output, output


def file_hashes(paths: Iterable[Path]) -> dict[str, str]:
    out = {}
    for p in paths:
        if p.is_file() and not p.is_symlink() and os.access(p, os.R_OK):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def tree_hashes(root: Path) -> dict[str, str]:
    return file_hashes(sorted(p for p in root.rglob("*") if not p.is_symlink()))


def git_init(path: Path) -> Path:
    """A real git repository in ``path`` (with a user, no signing)."""
    path.mkdir(parents=True, exist_ok=True)
    env = _clean_env({"GIT_AUTHOR_DATE": "2026-01-01T12:00:00+00:00",
                      "GIT_COMMITTER_DATE": "2026-01-01T12:00:00+00:00"})
    for args in (
        ["init", "-q"],
        ["config", "user.name", "Test User"],
        ["config", "user.email", "test@example.com"],
        ["config", "commit.gpgsign", "false"],
    ):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)
    return path


@functools.cache
def _command() -> Any:
    """The click command behind the typer app, built once: typer rebuilds it (reading every
    signature and type hint) on each ``CliRunner.invoke``, which dominates a small check."""
    return typer.main.get_command(app)


class Cli:
    """In-process CLI: ``cli("check", "rules.yaml", cwd=tmp_path)`` -> click Result."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runner = CliRunner()
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                 catch_exceptions: bool = True) -> Result:
        if cwd is not None:
            self.monkeypatch.chdir(cwd)
        environ = {"COLUMNS": WIDE, "NO_COLOR": None, "FORCE_COLOR": None,
                   "GITHUB_ACTIONS": None, "RULELINT_FORMAT": None, "RULELINT_DEBUG": None}
        environ.update(env or {})
        with mock.patch("typer.testing._get_command", lambda _app: _command()):
            result = self.runner.invoke(app, list(args), env=environ,
                                        catch_exceptions=catch_exceptions)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            # an exception escaped the CLI's error boundary: always a bug
            raise AssertionError(
                f"exception escaped the CLI: {result.exception!r}\n{result.output}"
            ) from result.exception
        return result

    def json(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
             ) -> tuple[int, dict[str, Any]]:
        """``check --format json``: (exit code, parsed report)."""
        result = self(*args, "--format", "json", cwd=cwd, env=env)
        assert_clean_exit(result.output, result.exit_code)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.stdout)


def codes(report: dict[str, Any]) -> list[str]:
    return [f["code"] for f in report["findings"]]


def findings(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def one(report: dict[str, Any], code: str) -> dict[str, Any]:
    found = findings(report, code)
    assert len(found) == 1, (code, report["findings"])
    return found[0]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(monkeypatch)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def rules_file(tmp_path: Path) -> Callable[..., Path]:
    """``rules_file(text, name="rules.yaml")`` writes into this test's tmp dir."""

    def make(text: str, name: str = "rules.yaml") -> Path:
        return write_rules(tmp_path, text, name)

    return make
