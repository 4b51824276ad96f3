"""``rulelint history``: rule counts per ruleset over the git history, growth per week, and
the projected date each ruleset reaches its cap."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from rulelint.cli import app
from rulelint.cli.common import (
    MAX_WINDOW_DAYS,
    Color,
    ColorOpt,
    ConfigOpt,
    DebugOpt,
    PathsArg,
    guarded,
    make_console,
    parse_date,
    parse_today,
    say,
)
from rulelint.history import growth as history
from rulelint.load.config import ConfigError, resolve_settings
from rulelint.load.files import discover
from rulelint.load.project import load_project


@app.command("history")
@guarded
def history_cmd(
    paths: PathsArg = None,
    since: Annotated[str | None, typer.Option("--since", help="Show history from this date (YYYY-MM-DD).")] = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="Only this ruleset.")] = None,
    window_days: Annotated[int, typer.Option("--window-days", min=2, max=MAX_WINDOW_DAYS, help="Fit the trend over this many recent days.")] = history.DEFAULT_WINDOW_DAYS,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    max_rules: Annotated[int | None, typer.Option("--max-rules", min=0, help="Cap for every ruleset (overrides config and headers).")] = None,
    today: Annotated[str | None, typer.Option("--today", help="Date to project from (YYYY-MM-DD; default: today).")] = None,
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Rule counts per ruleset over the git history, growth per week, and the cap date."""
    if format not in ("text", "json"):
        raise ConfigError(f"--format {format!r}: use text or json")
    settings = resolve_settings(config=config, today=parse_today(today), max_rules=max_rules)
    start = parse_date(since, "--since")
    sources, _ = discover(list(paths) if paths else None, settings)
    project = load_project(sources, settings) if sources else None
    root = history.repo_for(project, settings)
    if root is None:
        raise ConfigError(
            f"rulelint history reads the git history, but {settings.cwd} is not inside a git "
            "repository"
        )
    specs = history.pathspecs_for(list(paths) if paths else None, settings, root, sources)
    if not specs:
        raise ConfigError("no rule files inside the git repository to follow")
    window_from = settings.today - dt.timedelta(days=window_days)
    walk_from = min(start, window_from) if start is not None else None
    report = history.build(
        project, settings, root, specs, window_days=window_days, since=start,
        walk_from=walk_from,
    )
    if ruleset is not None:
        chosen = [h for h in report.rulesets if h.name == ruleset]
        if not chosen:
            names = ", ".join(h.name for h in report.rulesets) or "none"
            raise ConfigError(f"--ruleset {ruleset!r}: no such ruleset (known: {names})")
        report.rulesets = chosen
    note = report.future_note()
    if note:  # a run-level note: stderr, in every format
        say(f"rulelint: note: {note}")
    if format == "json":
        typer.echo(json.dumps(history.to_dict(report), indent=2, ensure_ascii=False))
        return
    from rulelint.render import history_chart

    history_chart.render(report, make_console(color))
