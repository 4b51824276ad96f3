"""``rulelint check``: run every pass and print the report; exit 0/1/2 for CI."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
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
    say,
)
from rulelint.cli.progress import shown as progress_shown
from rulelint.engine import Report
from rulelint.load.config import ConfigError, StdinSource, resolve_settings, split_codes
from rulelint.load.loading import MAX_FILE_BYTES
from rulelint.pipeline import run_check
from rulelint.render import FORMATS
from rulelint.report.baseline import load_baseline
from rulelint.report.baseline import write_baseline as save_baseline
from rulelint.report.cache import enabled as cache_enabled
from rulelint.report.findings import Severity
from rulelint.report.registry import CHECKS
from rulelint.util.fastexit import keep
from rulelint.util.gcpause import paused_gc

# formats whose renderer reads the loaded rules themselves, not only the report data
NEEDS_PROJECT = frozenset({"sarif", "junit"})


@dataclass(frozen=True)
class Output:
    """One report to write: a format and where (``None``: stdout)."""

    fmt: str
    path: Path | None = None


def _check_format(fmt: str) -> str:
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def resolve_format(explicit: str | None) -> str:
    fmt = explicit or os.environ.get("RULELINT_FORMAT") or (
        "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    )
    return _check_format(fmt)


def resolve_outputs(formats: list[str] | None, output_file: Path | None) -> list[Output]:
    """``--format FMT[:PATH]`` (repeatable) and ``--output-file``: the reports to write.

    A format without a path goes to ``--output-file`` when given, else to stdout; only one
    may. With no ``--format``: RULELINT_FORMAT, else github under GitHub Actions, else text."""
    if not formats:
        return [Output(resolve_format(None), output_file)]
    outputs: list[Output] = []
    for spec in formats:
        fmt, sep, where = spec.partition(":")
        if sep and not where:
            raise ConfigError(f"--format {spec!r}: name a file after the colon, or drop it")
        outputs.append(Output(_check_format(fmt), Path(where) if where else None))
    plain = [o for o in outputs if o.path is None]
    if len(plain) > 1:
        names = " and ".join(o.fmt for o in plain)
        raise ConfigError(
            f"--format {names}: only one report can go to "
            f"{'--output-file' if output_file else 'stdout'}; give the others a file "
            "(--format markdown:summary.md)"
        )
    if output_file is not None:
        if not plain:
            raise ConfigError("--output-file: every --format already names its own file; drop it")
        outputs = [Output(o.fmt, output_file) if o.path is None else o for o in outputs]
    seen: dict[Path, str] = {}
    for o in outputs:
        if o.path is None:
            continue
        key = Path(os.path.abspath(o.path))
        if key in seen:
            raise ConfigError(f"{o.path}: both the {seen[key]} and the {o.fmt} report would go there")
        seen[key] = o.fmt
    return outputs


def render_report(report: Report, fmt: str, color: Color, quiet: bool, out=None) -> None:
    """Write the report in ``fmt`` to ``out`` (a text file; default stdout)."""
    if fmt == "text":
        from rulelint.render import text

        if out is None:
            console = make_console(color)
        else:
            from rulelint.render.console import SafeConsole

            console = SafeConsole(file=out, color_system=None, no_color=True, force_terminal=False,
                              highlight=False, width=100)
        text.render(report, console, quiet=quiet)
        return
    from rulelint.render import load_writer

    for piece in load_writer(fmt)(report):  # written as made: one huge text costs memory
        if out is None:
            typer.echo(piece, nl=False)
        else:
            out.write(piece)


def write_report_file(report: Report, output: Output, color: Color, quiet: bool) -> None:
    """The report in a file, written whole or not at all (a temporary file renamed over it)."""
    import io

    from rulelint.util.atomicio import write_atomic

    assert output.path is not None
    if output.path.is_dir():
        raise ConfigError(f"--output-file {output.path} is a directory; name a file")
    try:
        output.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write {output.path}: {exc.strerror or exc}") from None
    buf = io.StringIO()
    render_report(report, output.fmt, color, quiet, out=buf)
    write_atomic(output.path, buf.getvalue().encode("utf-8"))


def print_notes(report: Report, outputs: list[Output], quiet: bool) -> None:
    """Run-level notes on stderr, unless the text report on stdout already shows them."""
    if quiet or not report.notices:
        return
    if any(o.fmt == "text" and o.path is None for o in outputs):
        return
    for note in report.notices:
        say(f"rulelint: note: {note}")


def statistics(report: Report) -> list[dict]:
    """Findings per code, most frequent first (``--statistics``, as ruff's)."""
    counts = Counter(f.code for f in report.findings)
    return [
        {"code": code, "name": CHECKS[code].name, "severity": str(CHECKS[code].severity),
         "count": n}
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def render_statistics(rows: list[dict], fmt: str) -> str:
    if fmt in ("json", "gitlab", "sarif"):
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = len(str(rows[0]["count"]))
    return "".join(f"{r['count']:>{width}}\t{r['code']}\t{r['name']}\n" for r in rows)


FORMAT_CHOICES = "|".join(FORMATS)
CODES = "CODE[,CODE...]"
@app.command("check")
@guarded
def check_cmd(
    paths: PathsArg = None,
    format: Annotated[list[str] | None, typer.Option("--format", "-f", metavar=f"[{FORMAT_CHOICES}][:PATH]", help="Output format, repeatable; FORMAT:PATH writes that report to PATH, so one run feeds several (--format github --format markdown:summary.md). Default: env RULELINT_FORMAT, github under GitHub Actions, else text.", show_default=False)] = None,
    output_file: Annotated[Path | None, typer.Option("--output-file", "-o", metavar="FILE", help="Write the report to FILE instead of stdout (atomically).", show_default=False)] = None,
    select: Annotated[list[str] | None, typer.Option("--select", metavar=CODES, help="Codes or prefixes to enable, comma-separated (RL2,RL301); replaces the config's selection.", show_default=False)] = None,
    extend_select: Annotated[list[str] | None, typer.Option("--extend-select", metavar=CODES, help="Codes or prefixes to enable on top of the selection.", show_default=False)] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", metavar=CODES, help="Codes or prefixes to disable, comma-separated.", show_default=False)] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1.")] = FailOn.error,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when findings reach --fail-on.")] = False,
    statistics_: Annotated[bool, typer.Option("--statistics", help="Print the number of findings per code instead of the findings (JSON with --format json).")] = False,
    max_rules: Annotated[int | None, typer.Option("--max-rules", min=0, metavar="N", help="Cap for every ruleset (overrides config and headers).", show_default=False)] = None,
    today: Annotated[str | None, typer.Option("--today", metavar="YYYY-MM-DD", help="Date for staleness checks (default: today).", show_default=False)] = None,
    hits: Annotated[Path | None, typer.Option("--hits", metavar="FILE", help="Hit log (CSV or JSON Lines) for the unused-rule check.", show_default=False)] = None,
    base: Annotated[str | None, typer.Option("--base", metavar="GIT_REF", help="Report only findings the working tree adds over this git ref (limit findings compare rule counts).", show_default=False)] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="FILE", help="Suppress the findings recorded in this baseline file; report its stale entries (RL902).", show_default=False)] = None,
    write_baseline: Annotated[Path | None, typer.Option("--write-baseline", metavar="FILE", help="Record every current finding in this baseline file (atomically) and exit 0.", show_default=False)] = None,
    stdin_filename: Annotated[Path | None, typer.Option("--stdin-filename", metavar="PATH", help="The name of the rule file read from stdin (`-`): used in findings, per_file_ignores and ruleset names. Implies `-` when no path is given.", show_default=False)] = None,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the result cache (.rulelint_cache/; env RULELINT_NO_CACHE=1).")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress display on stderr (it is shown only on a terminal, for text output, after a second).")] = False,
) -> None:
    """Check rule files: limits, duplicates, overlaps, staleness, metadata.

    Exit code 0: nothing at --fail-on or above; 1: findings that are; 2: usage, config or
    I/O error. `-` as a path reads one rule file from stdin."""
    outputs = resolve_outputs(format, output_file)
    rule_paths = list(paths) if paths else None
    if stdin_filename is not None and not rule_paths:
        rule_paths = [Path("-")]
    stdin = None
    if rule_paths and any(str(p) == "-" for p in rule_paths):
        stdin = StdinSource(read_stdin(), stdin_filename)
    elif stdin_filename is not None:
        raise ConfigError("--stdin-filename names the rule file read from stdin; add `-` to the paths")
    settings = resolve_settings(
        config=config,
        today=parse_today(today),
        select=split_codes(select),
        ignore=split_codes(ignore),
        extend_select=split_codes(extend_select),
        max_rules=max_rules,
        hits=hits,
        stdin=stdin,
    )
    if write_baseline is not None:
        if base is not None:
            raise ConfigError("--write-baseline records every current finding; drop --base")
        report = run_check(rule_paths, settings)
        n = save_baseline(write_baseline, report.findings)
        say(f"rulelint: wrote {n} finding{'s' if n != 1 else ''} to {write_baseline}")
        return
    known = load_baseline(baseline) if baseline is not None else None
    with paused_gc():  # the report holds the whole project: no full collections while drawn
        # progress only when the report on the terminal is the text one
        on_screen = next((o.fmt for o in outputs if o.path is None), "json")
        with progress_shown(on_screen, quiet=quiet, no_progress=no_progress):
            # sarif (rule end lines) and junit (a case per rule) read the loaded rules, which a
            # cache hit does not hold: those runs analyse afresh (report/cache.py: CachedProject)
            cache = cache_enabled(no_cache) and not any(o.fmt in NEEDS_PROJECT for o in outputs)
            report = run_check(rule_paths, settings, baseline=known, base_ref=base, cache=cache)
        keep("check-report", report)  # freed by the process exit, not object by object
        for o in outputs:
            if o.path is not None:
                write_report_file(report, o, color, quiet)
        on_stdout = next((o for o in outputs if o.path is None), None)
        if statistics_:
            typer.echo(render_statistics(statistics(report), on_stdout.fmt if on_stdout else "text"), nl=False)
        elif on_stdout is not None:
            render_report(report, on_stdout.fmt, color, quiet)
        print_notes(report, [] if statistics_ else outputs, quiet)
    if not exit_zero and report.fails(Severity(fail_on.value)):
        raise typer.Exit(1)


def read_stdin() -> bytes:
    """The rule file piped in (``-``), at most ``MAX_FILE_BYTES`` (and one byte to tell)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        if sys.stdin is None:
            raise ConfigError("`-` reads a rule file from stdin, but stdin is closed")
        return sys.stdin.read(MAX_FILE_BYTES + 1).encode("utf-8")
    try:
        return stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read stdin: {exc.strerror or exc}") from None


__all__ = ["check_cmd", "render_report", "resolve_format", "resolve_outputs", "Path"]
