"""Start-up stays lazy (issue 19): which modules a command imports, checked in a real
process with ``python -X importtime`` (no timing: the import list is what is tested)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer.main

import rulelint.cli as cli

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pydantic", "yaml", "rich.console", "typer", "rulelint.load.model", "rulelint.load.config")


def imported(args: list[str], cwd: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RULELINT_")}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rulelint", *args],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=120,
    )
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, proc.stderr  # -X importtime did report
    return names, proc


def test_version_imports_nothing_heavy(tmp_path):
    names, proc = imported(["--version"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout == "rulelint 0.1.0\n"
    heavy = sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))
    assert heavy == []


def test_check_imports_only_the_check_command(tmp_path):
    (tmp_path / "rules.yaml").write_text(
        "rules:\n  - {id: a, action: keep, match: {k: x}, reviewed: 2026-01-01}\n", encoding="utf-8"
    )
    names, proc = imported(["check", "rules.yaml", "--today", "2026-01-02"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "rulelint.cli.check" in names
    others = {f"rulelint.cli.{m}" for m in cli.COMMAND_MODULES.values()} - {"rulelint.cli.check"}
    assert sorted(names & others) == []
    # nor the code only other commands need
    assert "rulelint.consolidate.suggest" not in names
    assert "rulelint.compare.semdiff" not in names


def test_version_flag_through_typer_still_works(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "--version", "check"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert (proc.returncode, proc.stdout) == (0, "rulelint 0.1.0\n")


def test_command_map_names_the_module_of_every_command():
    group = typer.main.get_command(cli.app)  # reading `app` registers every command module
    assert set(group.commands) == set(cli.COMMAND_MODULES)
    for name, command in group.commands.items():
        module = command.callback.__module__
        assert module == f"rulelint.cli.{cli.COMMAND_MODULES[name]}", name


def test_unknown_command_loads_every_module_and_typer_says_so(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "chekc"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "chekc" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_help_lists_every_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "--help"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0
    for name in cli.COMMAND_MODULES:
        assert f" {name} " in proc.stdout, name
