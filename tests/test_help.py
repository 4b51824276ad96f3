"""``--help`` reads like ruff's (metavars, an example per command), shell completion is on,
and ``rulelint rule`` prints no trailing blanks."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import _clean_env

COMMANDS = ["check", "suggest-merge", "eval", "test", "history", "diff", "rule", "schema", "review"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rulelint", *args], capture_output=True,
                          text=True, env=_clean_env({"COLUMNS": "100", **(env or {})}), timeout=120)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_no_python_types_and_an_example(cli, command):
    result = cli(command, "--help", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    out = result.stdout
    # typer's default shows <str>, <path>, <list[Path]>, <int range>: what Python sees
    assert not re.search(r"<(str|int|path|list\[[^]]*\]|int range|float)>", out), out
    assert "\nExamples:\n" in out.replace("  Examples:", "Examples:")
    examples = out.split("Examples:", 1)[1]
    assert f"rulelint {command}" in examples


def test_check_metavars(cli):
    out = cli("check", "--help", env={"COLUMNS": "100"}).stdout
    assert "Usage: rulelint check [OPTIONS] [PATH]..." in out
    for piece in ("PATH...", "--select CODE[,CODE...]", "--fail-on [error|warning|info]",
                  "--config FILE", "--today YYYY-MM-DD", "--max-rules N",
                  "[text|json|sarif|github|junit|markdown|concise|gitlab][:PATH]",
                  "--color [auto|always|never]", "--output-file FILE", "--stdin-filename PATH"):
        assert piece in out, piece


def test_other_commands_choice_lists(cli):
    assert "-f, --format [text|markdown|json]" in cli("diff", "--help").stdout
    assert "-f, --format [text|json]" in cli("suggest-merge", "--help").stdout
    assert "CODE" in cli("rule", "--help").stdout
    assert "GIT_REF" in cli("diff", "--help").stdout


def test_completion_options_exist():
    out = run("--help").stdout
    assert "--install-completion" in out and "--show-completion" in out


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_show_completion_prints_a_script_for_the_shell_it_runs_in():
    # typer detects the shell from the parent process, as it would in a terminal
    proc = subprocess.run(["bash", "-c", f'"{sys.executable}" -m rulelint --show-completion'],
                          capture_output=True, text=True, env=_clean_env(None), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "_RULELINT_COMPLETE=complete_bash" in proc.stdout
    assert "complete -o default -F _rulelint_completion rulelint" in proc.stdout


def test_completion_completes_commands_and_options():
    env = {"_RULELINT_COMPLETE": "complete_bash", "COMP_WORDS": "rulelint ch", "COMP_CWORD": "1"}
    proc = run(env=env)
    assert "check" in proc.stdout.split()
    env = {"_RULELINT_COMPLETE": "complete_bash", "COMP_WORDS": "rulelint check --fail", "COMP_CWORD": "2"}
    assert "--fail-on" in run(env=env).stdout.split()


@pytest.mark.parametrize("args", [["rule"], ["rule", "RL302"], ["rule", "--color", "always"],
                                  ["rule", "RL302", "--color", "always"]])
def test_rule_output_has_no_trailing_blanks(args):
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)
    lines = plain.splitlines()
    assert len(lines) > 5
    assert [ln for ln in lines if ln != ln.rstrip()] == []
    if "always" in args:
        assert "\x1b[" in proc.stdout  # still coloured
