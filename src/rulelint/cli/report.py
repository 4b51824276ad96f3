"""``rulelint report --html FILE``: the overview of every ruleset as one self-contained page.

Thin: resolve the settings as ``check`` does, build the data (``overview.data.build``), draw it
(``render.html``), write it atomically. Exit 0, or 2 on bad input (no findings level: this is
a picture, not a gate)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rulelint.cli import app
from rulelint.cli.common import ConfigOpt, DebugOpt, PathsArg, guarded, parse_today, say
from rulelint.load.config import ConfigError, resolve_settings, split_codes
from rulelint.load.files import discover
from rulelint.util.atomicio import write_atomic
from rulelint.util.fastexit import keep
from rulelint.util.gcpause import paused_gc

GENERATOR_MARK = b'<meta name="generator" content="rulelint'


def _check_target(target: Path, rule_files: set[Path]) -> None:
    """Never write over something the user wrote: a rule file, a directory, or any existing
    file that is not an earlier report."""
    if target.is_dir():
        raise ConfigError(f"--html {target} is a directory; name the .html file to write")
    if target.exists():
        if target.resolve() in rule_files:
            raise ConfigError(f"--html {target} is one of the rule files; name a new .html file")
        if not target.is_file():
            raise ConfigError(f"--html {target} is not a regular file; name a new .html file")
        try:
            head = target.read_bytes()[:4096]
        except OSError as exc:
            raise ConfigError(f"cannot read {target}: {exc.strerror or exc}") from None
        if GENERATOR_MARK not in head:
            raise ConfigError(
                f"--html {target} exists and is not a rulelint report; name a new file, or "
                "delete it first"
            )
    elif not target.parent.is_dir():
        raise ConfigError(f"--html {target}: the directory {target.parent} does not exist")


@app.command("report")
@guarded
def report_cmd(
    paths: PathsArg = None,
    html: Annotated[Path | None, typer.Option("--html", metavar="FILE", help="Write the report as one self-contained HTML page to FILE (- for stdout).")] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Codes or prefixes to enable, comma-separated (RL2,RL301).")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Codes or prefixes to disable, comma-separated.")] = None,
    max_rules: Annotated[int | None, typer.Option("--max-rules", min=0, help="Cap for every ruleset (overrides config and headers).")] = None,
    today: Annotated[str | None, typer.Option("--today", help="Date for staleness checks and the forecast (YYYY-MM-DD; default: today).")] = None,
    hits: Annotated[Path | None, typer.Option("--hits", help="Hit log (CSV or JSON Lines) for the unused-rule check.")] = None,
    config: ConfigOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Write an HTML overview: headroom, growth and forecast, findings, clean-up plan."""
    if html is None:
        raise ConfigError("rulelint report needs --html FILE (the page to write; - for stdout)")
    settings = resolve_settings(
        config=config,
        today=parse_today(today),
        select=split_codes(select),
        ignore=split_codes(ignore),
        max_rules=max_rules,
        hits=hits,
    )
    from rulelint.overview.data import build
    from rulelint.render.html import render

    rule_paths = list(paths) if paths else None
    to_stdout = str(html) == "-"
    if not to_stdout:  # before the work: a bad target is said at once
        sources, _ = discover(rule_paths, settings)
        _check_target(html, {s.path.resolve() for s in sources})
    with paused_gc():
        overview = build(rule_paths, settings)
        keep("html-report", overview)  # freed by the process exit, not object by object
        if not to_stdout:
            _check_target(html, set(overview.file_paths))
        page = render(overview)
    for n in overview.notices:
        say(f"rulelint: {n}")
    if to_stdout:
        typer.echo(page, nl=False)
        return
    data = page.encode("utf-8")
    write_atomic(html, data)
    print(f"rulelint: wrote {html} ({len(data) / 1024:,.0f} KiB, "
          f"{len(overview.rulesets)} ruleset{'s' if len(overview.rulesets) != 1 else ''})",
          file=sys.stderr)
