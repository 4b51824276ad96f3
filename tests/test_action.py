"""The GitHub Action (``action.yml``): its check step's script runs for real in bash, with the
real rulelint, the way the runner runs it (inputs as environment variables, GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY files); the actions it uses are pinned by commit."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import _clean_env, write_rules

ACTION = Path(__file__).resolve().parents[1] / "action.yml"

DUP = """\
ruleset: {name}
rules:
  - {{id: a, action: keep, match: {{plan: pro}}}}
  - {{id: b, action: keep, match: {{plan: pro}}}}
  - {{id: c, action: keep, match: {{plan: free}}, description: old}}
"""


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def step(action: dict, step_id: str) -> dict:
    [found] = [s for s in action["runs"]["steps"] if s.get("id") == step_id]
    return found


def run_check_step(action: dict, tmp_path: Path, paths: str, args: str) -> tuple[int, str, str, Path, Path]:
    """The ``check`` step's script under bash, rulelint installed in a fake venv."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    exe = venv / "bin" / "rulelint"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m rulelint "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    out, summary = tmp_path / "gh-output", tmp_path / "gh-summary"
    summary.write_text("earlier step\n")
    out.write_text("")
    env = _clean_env({
        "RULELINT_PATHS": paths, "RULELINT_ARGS": args, "VENV": str(venv),
        "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path), "GITHUB_ACTIONS": "true",
    })
    proc = subprocess.run(
        ["bash", "-c", step(action, "check")["run"]], cwd=tmp_path / "work", env=env,
        capture_output=True, text=True, timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr, out, summary


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash, as the action does")
def test_multi_line_paths_and_args_all_count(action, tmp_path):
    work = tmp_path / "work"
    write_rules(work, DUP.format(name="one"), "one.yaml")
    write_rules(work, DUP.format(name="two"), "dir/two.yaml")
    write_rules(work, DUP.format(name="three"), "three.yaml")  # not named: not read
    code, stdout, stderr, out, summary = run_check_step(
        action, tmp_path, paths="one.yaml\n  dir/*.yaml\n", args="--select RL2\n--fail-on\n  error\n",
    )
    assert code == 1, stderr
    files = set(re.findall(r"file=([^,]+),", stdout))
    assert files == {"one.yaml", "dir/two.yaml"}, stdout
    assert {m for m in re.findall(r"title=rulelint \((RL\d+)\)", stdout)} == {"RL201"}
    assert out.read_text() == "exit-code=1\n"
    text = summary.read_text()
    assert text.startswith("earlier step\n## rulelint\n")  # appended, one run
    assert "RL201" in text and "three.yaml" not in text
    assert not list(tmp_path.glob("rulelint-summary-*"))  # the temporary summary is gone


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash, as the action does")
def test_clean_run_and_usage_error(action, tmp_path):
    work = tmp_path / "work"
    write_rules(work, "rules:\n  - {id: a, action: keep, match: {plan: pro}}\n", "rules.yaml")
    code, stdout, _, out, summary = run_check_step(action, tmp_path, paths="", args="")
    assert code == 0 and out.read_text() == "exit-code=0\n"
    assert "All checks passed" in summary.read_text()
    code, _, stderr, out, summary = run_check_step(action, tmp_path, paths="nope.yaml", args="")
    assert code == 2 and out.read_text() == "exit-code=2\n" and "nope.yaml" in stderr
    assert summary.read_text() == "earlier step\n"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash, as the action does")
def test_extra_report_from_the_same_run(action, tmp_path):
    work = tmp_path / "work"
    write_rules(work, DUP.format(name="one"), "rules.yaml")
    code, _, stderr, _, _ = run_check_step(action, tmp_path, paths="", args="--format sarif:out.sarif")
    assert code == 1, stderr
    assert '"version": "2.1.0"' in (work / "out.sarif").read_text()


def test_actions_are_pinned_by_commit(action):
    uses = [s["uses"] for s in action["runs"]["steps"] if "uses" in s]
    assert uses, "the action uses setup-python and cache"
    for u in uses:
        assert re.fullmatch(r"actions/[\w-]+@[0-9a-f]{40}", u), u
    text = ACTION.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.lstrip().startswith(("uses:", "- uses:")):
            assert re.search(r"# v\d+\.\d+\.\d+$", line), line  # the release the SHA is


def test_callers_python_is_left_alone_and_pip_is_cached(action):
    setup = step(action, "python")
    assert setup["uses"].startswith("actions/setup-python@")
    assert setup["with"]["update-environment"] is False
    assert any(s.get("uses", "").startswith("actions/cache@") for s in action["runs"]["steps"])
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install rulelint")
    assert '-m venv "$VENV"' in install["run"]
    assert "python -m pip" not in install["run"].replace('"$bin/python" -m pip', "")
    assert os.path.basename(ACTION) == "action.yml"
