"""``rulelint eval`` (one event) and ``rulelint test`` (rule test files)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from rulelint.cli import app
from rulelint.cli.common import (
    Color,
    ColorOpt,
    ConfigOpt,
    DebugOpt,
    PathsArg,
    guarded,
    make_console,
)
from rulelint.engine import load_rules
from rulelint.load.config import ConfigError, resolve_settings
from rulelint.render.text import format_event
from rulelint.ruletests import find_test_files, parse_event, pick_ruleset, run_tests

RulesetOpt = Annotated[str | None, typer.Option("--ruleset", help="Ruleset to use when several are loaded.")]


def _warn_load_errors(project, console) -> None:
    errors = [f for f in project.findings if str(f.severity) == "error"]
    if errors:
        console.print(
            Text(
                f"warning: {len(errors)} rule file problem(s) (run `rulelint check`); "
                "rules with errors are left out",
                style="yellow",
            )
        )


@app.command("eval")
@guarded
def eval_cmd(
    paths: PathsArg = None,
    event: Annotated[str, typer.Option("--event", "-e", help="The event as JSON, or @file.json.")] = ...,
    ruleset: RulesetOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Show the decision for one event: the deciding rule(s), and the rules that matched but lost."""
    if format not in ("text", "json"):
        raise ConfigError(f"--format {format!r}: use text or json")
    ev = parse_event(event)
    settings = resolve_settings(config=config)
    project = load_rules(list(paths) if paths else None, settings)
    rs = pick_ruleset(project, ruleset)
    from rulelint.evaluate import decide

    d = decide(rs, ev)
    if format == "json":
        print(json.dumps({
            "decision": d.actions,
            "deciding": [r.id for r in d.deciding],
            "matched": [r.id for r in d.matched],
        }))
        return
    console = make_console(color)
    _warn_load_errors(project, make_console(color, stderr=True))
    console.print(Text(f"event: {format_event(ev)}", style="dim"))
    if not d.actions:
        console.print(Text(f"decision: none — no rule of {rs.name!r} matches", style="bold"))
        return
    console.print(Text.assemble(("decision: ", "bold"), (", ".join(d.actions), "bold green")))
    for r in d.deciding:
        console.print(f"  decided by {r.id!r} ({r.file}:{r.line}, priority {r.rule.priority})")
    for r in d.lost:
        console.print(Text(f"  also matched {r.id!r} ({r.file}:{r.line}) -> {r.action}, but lost", style="dim"))


@app.command("test")
@guarded
def test_cmd(
    paths: PathsArg = None,
    tests: Annotated[list[Path] | None, typer.Option("--tests", "-t", help="Test files or folders (default: tests/**/*.yaml).")] = None,
    ruleset: RulesetOpt = None,
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every case.")] = False,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Run rule tests ({event, expect} cases in YAML) and report failures like pytest."""
    started = time.perf_counter()
    settings = resolve_settings(config=config)
    project = load_rules(list(paths) if paths else None, settings)
    files = find_test_files(list(tests) if tests else None, settings.root)
    if not files:
        raise ConfigError("no rule test files found (looked in tests/**/*.yaml); pass --tests")
    run = run_tests(project, files, ruleset, settings.cwd)
    console = make_console(color)
    _warn_load_errors(project, make_console(color, stderr=True))
    for r in run.results:
        if verbose or not r.passed:
            status = Text("PASSED", style="green") if r.passed else Text("FAILED", style="bold red")
            console.print(Text.assemble(f"{r.file}::{r.name} ", status))
    for r in run.failed:
        console.print(Text(f"\n___ {r.file}::{r.name} (line {r.line}) ___", style="bold red"))
        console.print(f"  event:    {format_event(r.event)}")
        console.print(f"  expected: {r.expected}")
        console.print(f"  got:      {r.got}")
        if r.decision is not None:
            for lost in r.decision.lost:
                console.print(Text(f"  also matched {lost.id!r} -> {lost.action}", style="dim"))
    for e in run.errors:
        console.print(Text(f"ERROR {e}", style="bold red"))
    n_fail, n_pass = len(run.failed), len(run.results) - len(run.failed)
    elapsed = time.perf_counter() - started
    parts = []
    if n_fail:
        parts.append(f"{n_fail} failed")
    parts.append(f"{n_pass} passed")
    if run.errors:
        parts.append(f"{len(run.errors)} error{'s' if len(run.errors) != 1 else ''}")
    style = "bold red" if (n_fail or run.errors) else "bold green"
    console.print(Text(f"{', '.join(parts)} in {elapsed:.2f}s", style=style))
    if run.errors and not run.results:
        raise typer.Exit(2)
    if n_fail or run.errors:
        raise typer.Exit(1)


__all__ = ["eval_cmd", "test_cmd", "sys"]
