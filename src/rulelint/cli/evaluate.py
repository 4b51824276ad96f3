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
    say,
)
from rulelint.engine import load_rules
from rulelint.load.config import ConfigError, resolve_settings
from rulelint.load.events import parse_event
from rulelint.render.text import format_event
from rulelint.ruletests import find_test_files, pick_ruleset, run_tests

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
    event: Annotated[str | None, typer.Option("--event", "-e", help="The event as JSON, @file.json, or @- (stdin).", show_default=False)] = None,
    events: Annotated[str | None, typer.Option("--events", metavar="FILE.jsonl", help="Many events, one JSON object per line (- for stdin): one answer per line, the rules loaded once.", show_default=False)] = None,
    ruleset: RulesetOpt = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help="text or json (default: text; JSON Lines with --events).", show_default=False)] = None,
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Show the decision for one event: the deciding rule(s), and the rules that matched but lost.

    With --events, decide every event of a JSON Lines file: one JSON line out per line in
    ({"event", "decision", "deciding", "matched"}), or a table with --format text. A line that
    is not an event gets {"line", "error"} and a message on stderr; the rest are still
    decided, and the exit code is then 2."""
    if (event is None) == (events is None):
        raise ConfigError("give one of --event JSON|@file.json|@- or --events FILE.jsonl|-")
    fmt = format or ("json" if events is not None else "text")
    if fmt not in ("text", "json"):
        raise ConfigError(f"--format {fmt!r}: use text or json")
    ev = parse_event(event) if event is not None else None
    settings = resolve_settings(config=config)
    project = load_rules(list(paths) if paths else None, settings)
    rs = pick_ruleset(project, ruleset)
    if events is not None:
        _warn_load_errors(project, make_console(color, stderr=True))
        bad = eval_many(rs, events, fmt, color)
        if bad:
            raise typer.Exit(2)
        return
    from rulelint.evaluate import decide

    d = decide(rs, ev)
    if fmt == "json":
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


def eval_many(rs, source: str, fmt: str, color: Color) -> int:
    """Decide every event of ``source`` (JSON Lines; ``-`` is stdin) and print the answers;
    the number of lines that were not events."""
    from rulelint.evaluate import EventIndex, decide_indexed
    from rulelint.load.events import BadEvent, iter_events

    shown = "stdin" if source == "-" else source
    index = EventIndex(rs)
    rows = iter_events(source)
    bad: list[BadEvent] = []
    if fmt == "json":
        out = sys.stdout
        dumps = json.dumps
        # one JSON document per line: the other characters that readers split lines on
        # (NEL, U+2028, U+2029: Python's str.splitlines, JavaScript) are written escaped
        breaks = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
        buffer: list[str] = []
        for _line, ev in rows:
            if isinstance(ev, BadEvent):
                bad.append(ev)
                say(f"rulelint: error: {shown}:{ev.line}: {ev.message}")
                buffer.append(dumps({"line": ev.line, "error": ev.message}, ensure_ascii=False).translate(breaks))
            else:
                d = decide_indexed(rs, ev, index)
                buffer.append(dumps({
                    "event": ev,
                    "decision": d.actions,
                    "deciding": [r.id for r in d.deciding],
                    "matched": [r.id for r in d.matched],
                }, ensure_ascii=False).translate(breaks))
            if len(buffer) >= 512:
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            out.write("\n".join(buffer) + "\n")
        out.flush()
    else:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        for name in ("line", "event", "decision", "decided by", "also matched"):
            table.add_column(name, overflow="fold")
        for line, ev in rows:
            if isinstance(ev, BadEvent):
                bad.append(ev)
                table.add_row(str(line), Text(ev.message, style="red"), Text("error", style="bold red"), "", "")
                continue
            d = decide_indexed(rs, ev, index)
            table.add_row(
                str(line),
                format_event(ev),
                ", ".join(d.actions) if d.actions else Text("none", style="dim"),
                ", ".join(r.id for r in d.deciding),
                ", ".join(r.id for r in d.lost),
            )
        make_console(color).print(table)
        for ev in bad:
            say(f"rulelint: error: {shown}:{ev.line}: {ev.message}")
    if bad:
        print(
            f"rulelint: error: {len(bad)} line{'s' if len(bad) != 1 else ''} of {shown} "
            f"{'were' if len(bad) != 1 else 'was'} not an event (first: line {bad[0].line}); "
            "the others were decided",
            file=sys.stderr,
        )
    return len(bad)


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
