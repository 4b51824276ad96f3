"""Running the real CLI: in-process through typer's CliRunner (fast), or as a subprocess
(``python -m rulelint``, slower, also survives a crash of the interpreter). Each call has a
time bound; an in-process call that overruns is interrupted with SIGALRM.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import typer.main
from typer.testing import CliRunner

from rulelint.cli import app

ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "GITHUB_ACTIONS": None,
       "RULELINT_FORMAT": None, "RULELINT_DEBUG": None}


class CallTimeout(BaseException):
    """Raised inside an in-process call that ran past its time bound (not an Exception, so
    the CLI's error boundary cannot swallow it)."""


@dataclass
class Call:
    args: list[str]
    cwd: str
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    problem: str | None = None  # timeout / escaped exception

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def command(self) -> str:
        return "rulelint " + " ".join(_quote(a) for a in self.args)


def _quote(a: str) -> str:
    return a if re.fullmatch(r"[\w@%+=:,./-]+", a) else "'" + a.replace("'", "'\\''") + "'"


@functools.cache
def _command():
    return typer.main.get_command(app)


@functools.cache
def help_text(command: str) -> str:
    r = CliRunner().invoke(app, [command, "--help"], env=ENV)
    return r.output


def has_option(command: str, option: str) -> bool:
    return re.search(rf"(^|\s|,){re.escape(option)}([\s,=]|$)", help_text(command), re.M) is not None


class Runner:
    def __init__(self, timeout: float = 20.0, subprocess_mode: bool = False) -> None:
        self.timeout = timeout
        self.subprocess_mode = subprocess_mode
        self.calls = 0
        self.runner = CliRunner()

    def __call__(self, args: list[str], cwd: Path, stdin: bytes | None = None) -> Call:
        self.calls += 1
        if self.subprocess_mode:
            return self._subprocess(args, cwd, stdin)
        return self._inprocess(args, cwd, stdin)

    def _subprocess(self, args: list[str], cwd: Path, stdin: bytes | None = None) -> Call:
        env = {k: v for k, v in os.environ.items() if k not in ENV}
        env.update({k: v for k, v in ENV.items() if v is not None})
        started = time.monotonic()
        try:
            p = subprocess.run([sys.executable, "-m", "rulelint", *args], cwd=cwd, env=env,
                               capture_output=True, timeout=self.timeout,
                               **({"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}))
        except subprocess.TimeoutExpired as exc:
            return Call(args, str(cwd), None, _dec(exc.stdout), _dec(exc.stderr),
                        time.monotonic() - started, f"timeout after {self.timeout:.0f}s")
        code = p.returncode
        problem = f"killed by signal {-code}" if code < 0 else None
        return Call(args, str(cwd), code, _dec(p.stdout), _dec(p.stderr), time.monotonic() - started, problem)

    def _inprocess(self, args: list[str], cwd: Path, stdin: bytes | None = None) -> Call:
        old = os.getcwd()
        main_thread = threading.current_thread() is threading.main_thread()
        problem = None

        def on_alarm(_sig, _frame):
            raise CallTimeout()

        started = time.monotonic()
        previous = signal.signal(signal.SIGALRM, on_alarm) if main_thread else None
        try:
            os.chdir(cwd)
            if main_thread:
                signal.setitimer(signal.ITIMER_REAL, self.timeout)
            with mock.patch("typer.testing._get_command", lambda _app: _command()):
                r = self.runner.invoke(app, list(args), env=ENV, catch_exceptions=True, input=stdin)
            if main_thread:
                signal.setitimer(signal.ITIMER_REAL, 0)
            stdout, stderr, code = r.stdout, r.stderr, r.exit_code
            if r.exception is not None and not isinstance(r.exception, SystemExit):
                problem = f"exception escaped the CLI: {type(r.exception).__name__}: {r.exception}"
        except CallTimeout:
            stdout, stderr, code = "", "", None
            problem = f"timeout after {self.timeout:.0f}s"
        finally:
            if main_thread:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            os.chdir(old)
            if not gc.isenabled():
                gc.enable()
        return Call(list(args), str(cwd), code, stdout, stderr, time.monotonic() - started, problem)


def _dec(b: bytes | str | None) -> str:
    if b is None:
        return ""
    return b if isinstance(b, str) else b.decode("utf-8", "replace")
