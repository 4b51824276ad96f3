"""Progress on stderr (issue 19): drawn on a terminal (a real pty), never in a pipe, in a
machine format, in CI, with TERM=dumb, --quiet or --no-progress. The one-second delay is
set to 0 through RULELINT_PROGRESS_DELAY so nothing here depends on timing."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from rulelint.util import progress

RULES = "rules:\n" + "".join(
    f"  - {{id: r{i}, action: keep, match: {{k: v{i}}}, reviewed: 2026-05-01}}\n" for i in range(50)
)


def run_on_pty(cwd: Path, args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run ``python -m rulelint ARGS`` with stderr on a pseudo-terminal, stdout a pipe."""
    master, slave = pty.openpty()
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "RULELINT_FORMAT")}
    base.update({"TERM": "xterm-256color", "COLUMNS": "120", "RULELINT_PROGRESS_DELAY": "0",
                 "RULELINT_NO_CACHE": "1"})
    base.update(env)
    out_file = cwd / "stdout.txt"  # a file, not a pipe: a full pipe would block the child
    with out_file.open("wb") as out_fh:
        proc = subprocess.Popen([sys.executable, "-m", "rulelint", *args], cwd=cwd, stdout=out_fh,
                                stderr=slave, stdin=subprocess.DEVNULL, env=base)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=120)
    out = out_file.read_text(encoding="utf-8")
    os.close(master)
    return code, out, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    return tmp_path


def test_progress_is_drawn_on_a_terminal(project):
    code, out, err = run_on_pty(project, ["check", "rules.yaml", "--today", "2026-06-01"], {})
    assert code == 0, err
    assert "loading 1 file" in err
    assert "pass overlap" in err
    assert "Found" not in err and "rules in 1 file" in out  # the report itself is on stdout


@pytest.mark.parametrize("args, env", [
    (["--format", "json"], {}),
    (["--format", "sarif"], {}),
    (["--quiet"], {}),
    (["--no-progress"], {}),
    ([], {"CI": "true"}),
    ([], {"TERM": "dumb"}),
])
def test_never_where_it_does_not_belong(project, args, env):
    code, out, err = run_on_pty(project, ["check", "rules.yaml", "--today", "2026-06-01", *args], env)
    assert code == 0, err
    assert "loading" not in err and "pass " not in err


def test_never_in_a_pipe(project):
    env = {**os.environ, "RULELINT_PROGRESS_DELAY": "0", "RULELINT_NO_CACHE": "1"}
    env.pop("CI", None)
    proc = subprocess.run([sys.executable, "-m", "rulelint", "check", "rules.yaml", "--today", "2026-06-01"],
                          cwd=project, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_the_library_reports_to_whoever_listens(project):
    from rulelint.engine import analyse, load_rules
    from rulelint.load.config import resolve_settings

    seen: list[tuple[str, object]] = []

    class Spy(progress.Reporter):
        def start(self, label, total=None):
            seen.append(("start", label, total))

        def advance(self, n=1):
            seen.append(("advance", n))

    settings = resolve_settings(cwd=project)
    with progress.reporting(Spy()):
        analyse(load_rules([project / "rules.yaml"], settings), settings)
    assert seen[:2] == [("start", "loading 1 file", 1), ("advance", 1)]
    assert ("start", "pass overlap", None) in seen
    # outside the block nobody listens
    assert type(progress.current()) is progress.Reporter


# --- suggest-merge (issue 19 item 2) --------------------------------------------------------


BLOCK_RULES = "rules:\n" + "".join(
    f"  - id: r{i}\n    action: keep\n    match:\n      k: v{i}\n    reviewed: 2026-05-01\n"
    for i in range(50)
)


@pytest.fixture
def mergeable(tmp_path: Path) -> Path:
    """50 block-style rules that merge into one (--apply edits block rules in place)."""
    (tmp_path / "rules.yaml").write_text(BLOCK_RULES, encoding="utf-8")
    return tmp_path


def test_suggest_merge_progress_on_a_terminal(mergeable):
    code, out, err = run_on_pty(mergeable, ["suggest-merge", "rules.yaml"], {})
    assert code == 0, err
    assert "loading 1 file" in err
    assert "merge plan rules" in err
    assert "proof " in err
    assert "writing" not in err  # nothing is written without --apply
    assert "verified equivalent" in out and "verified" not in err  # the report is on stdout


def test_suggest_merge_apply_shows_the_writing_and_its_proof(mergeable):
    code, out, err = run_on_pty(mergeable, ["suggest-merge", "rules.yaml", "--apply"], {})
    assert code == 0, err
    assert "merge plan " in err and "proof " in err
    assert "writing 1 file" in err
    assert "proof of the written files" in err
    assert "applied: rules.yaml" in out
    assert (mergeable / "rules.yaml").read_text(encoding="utf-8").count("- id:") == 1  # merged


@pytest.mark.parametrize("args, env", [
    (["--format", "json"], {}),
    (["--no-progress"], {}),
    (["--no-progress", "--apply"], {}),
    ([], {"CI": "true"}),
    (["--apply"], {"TERM": "dumb"}),
])
def test_suggest_merge_never_where_it_does_not_belong(mergeable, args, env):
    code, out, err = run_on_pty(mergeable, ["suggest-merge", "rules.yaml", *args], env)
    assert code == 0, err
    assert "loading" not in err and "merge plan" not in err and "proof" not in err
    assert "writing" not in err
    assert "verified" in out


def test_suggest_merge_never_in_a_pipe(mergeable):
    env = {**os.environ, "RULELINT_PROGRESS_DELAY": "0", "RULELINT_NO_CACHE": "1"}
    env.pop("CI", None)
    proc = subprocess.run([sys.executable, "-m", "rulelint", "suggest-merge", "rules.yaml", "--apply"],
                          cwd=mergeable, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "applied: rules.yaml" in proc.stdout


def test_suggest_merge_reports_its_steps_to_whoever_listens(mergeable, monkeypatch):
    """Through the real CLI (CliRunner): the steps in order, the write's only with --apply."""
    from typer.testing import CliRunner

    from rulelint.cli import app

    seen: list[str] = []

    class Spy(progress.Reporter):
        def start(self, label, total=None):
            seen.append(label)

    monkeypatch.chdir(mergeable)
    with progress.reporting(Spy()):
        result = CliRunner().invoke(app, ["suggest-merge", "rules.yaml", "--apply"])
    assert result.exit_code == 0, result.output
    assert seen == ["loading 1 file", "merge plan rules", "proof rules",
                    "writing 1 file", "loading 1 file", "proof of the written files"]
