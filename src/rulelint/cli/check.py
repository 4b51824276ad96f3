"""``rulelint check``: run every pass and print the report; exit 0/1/2 for CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from rulelint.cli import app
from rulelint.cli.common import (
    Color,
    ColorOpt,
    ConfigOpt,
    DebugOpt,
    FailOn,
    PathsArg,
    QuietOpt,
    guarded,
    make_console,
    parse_today,
)
from rulelint.engine import Report
from rulelint.load.config import ConfigError, resolve_settings, split_codes
from rulelint.pipeline import run_check
from rulelint.render import FORMATS
from rulelint.report.baseline import load_baseline
from rulelint.report.baseline import write_baseline as save_baseline
from rulelint.report.findings import Severity
from rulelint.util.fastexit import keep
from rulelint.util.gcpause import paused_gc


def resolve_format(explicit: str | None) -> str:
    fmt = explicit or os.environ.get("RULELINT_FORMAT") or (
        "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    )
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def render_report(report: Report, fmt: str, color: Color, quiet: bool) -> None:
    if fmt == "text":
        from rulelint.render import text

        text.render(report, make_console(color), quiet=quiet)
        return
    from rulelint.render import load_writer

    for piece in load_writer(fmt)(report):  # written as made: one huge text costs memory
        typer.echo(piece, nl=False)


@app.command("check")
@guarded
def check_cmd(
    paths: PathsArg = None,
    format: Annotated[str | None, typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)} (env RULELINT_FORMAT; github under GitHub Actions).", show_default=False)] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Codes or prefixes to enable, comma-separated (RL2,RL301).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Codes or prefixes to disable, comma-separated.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1.")] = FailOn.error,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings reach --fail-on.")] = False,
    max_rules: Annotated[int | None, typer.Option("--max-rules", min=0, help="Cap for every ruleset (overrides config and headers).")] = None,
    today: Annotated[str | None, typer.Option("--today", help="Date for staleness checks (YYYY-MM-DD; default: today).")] = None,
    hits: Annotated[Path | None, typer.Option("--hits", help="Hit log (CSV or JSON Lines) for the unused-rule check.")] = None,
    base: Annotated[str | None, typer.Option("--base", metavar="GIT_REF", help="Report only findings the working tree adds over this git ref (limit findings compare rule counts).")] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Suppress the findings recorded in this baseline file; report its stale entries (RL902).")] = None,
    write_baseline: Annotated[Path | None, typer.Option("--write-baseline", help="Record every current finding in this baseline file (atomically) and exit 0.")] = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Check rule files: limits, duplicates, overlaps, staleness, metadata."""
    fmt = resolve_format(format)
    settings = resolve_settings(
        config=config,
        today=parse_today(today),
        select=split_codes(select),
        ignore=split_codes(ignore),
        max_rules=max_rules,
        hits=hits,
    )
    rule_paths = list(paths) if paths else None
    if write_baseline is not None:
        if base is not None:
            raise ConfigError("--write-baseline records every current finding; drop --base")
        report = run_check(rule_paths, settings)
        n = save_baseline(write_baseline, report.findings)
        print(f"rulelint: wrote {n} finding{'s' if n != 1 else ''} to {write_baseline}", file=sys.stderr)
        return
    known = load_baseline(baseline) if baseline is not None else None
    with paused_gc():  # the report holds the whole project: no full collections while drawn
        report = run_check(rule_paths, settings, baseline=known, base_ref=base)
        keep("check-report", report)  # freed by the process exit, not object by object
        render_report(report, fmt, color, quiet)
    if (note := report.incomplete_notice()) is not None:
        print(note, file=sys.stderr)  # unanswered questions: never silent, in every format
    if not exit_zero and report.fails(Severity(fail_on.value)):
        raise typer.Exit(1)


__all__ = ["check_cmd", "render_report", "resolve_format", "Path"]
