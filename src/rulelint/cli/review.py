"""``rulelint review``: per owner, the rules that need a human decision (one check run,
grouped by ``report/review.py``, drawn by ``render/review.py``); ``--mark-reviewed`` writes
``reviewed: D`` into rules (``consolidate/markreview.py``)."""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer

from rulelint.cli import app
from rulelint.cli.common import (
    Color,
    ColorOpt,
    ConfigOpt,
    DebugOpt,
    PathsArg,
    guarded,
    make_console,
    parse_today,
    say,
)
from rulelint.load.config import ConfigError, Settings, resolve_settings, split_codes
from rulelint.render import review as render_review
from rulelint.report.review import REVIEW_CODES, build_review, review_selection


def _split(values: list[str] | None) -> list[str]:
    return [s.strip() for v in values or [] for s in v.split(",") if s.strip()]


@app.command("review")
@guarded
def review_cmd(
    paths: PathsArg = None,
    owner: Annotated[list[str] | None, typer.Option("--owner", help="Only these owners (comma-separated or repeated; '(no owner)' for rules without one).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="Output format: text, markdown (for a ticket), csv (for a spreadsheet), json.")] = "text",
    select: Annotated[list[str] | None, typer.Option("--select", help="Codes or prefixes to enable, comma-separated, as in check.")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Codes or prefixes to disable, comma-separated.")] = None,
    today: Annotated[str | None, typer.Option("--today", help="Date for the staleness checks (YYYY-MM-DD; default: today).")] = None,
    hits: Annotated[Path | None, typer.Option("--hits", help="Hit log (CSV or JSON Lines) for the unused-rule check.")] = None,
    mark_reviewed: Annotated[list[str] | None, typer.Option("--mark-reviewed", metavar="ID[,ID...]", help="Write `reviewed: DATE` into these rules (atomically, byte-exact elsewhere) instead of listing.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="The review date --mark-reviewed writes (YYYY-MM-DD; default: --today, else today).")] = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="With --mark-reviewed: the ruleset, when an id is used in several.")] = None,
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """The periodic review: per owner, every rule that needs a decision, with the reasons,
    the suggested action and the slots it frees."""
    fmt = format.strip().lower()
    if fmt not in render_review.FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(render_review.FORMATS)}")
    settings = resolve_settings(
        config=config, today=parse_today(today), select=split_codes(select),
        ignore=split_codes(ignore), hits=hits,
    )
    rule_paths = list(paths) if paths else None
    if mark_reviewed:
        if owner or fmt != "text":
            raise ConfigError("--owner and --format list rules; they do not go with --mark-reviewed")
        when = _parse_date(date) if date is not None else settings.today
        _mark(rule_paths, settings, _split(mark_reviewed), when, ruleset)
        return
    if date is not None or ruleset is not None:
        raise ConfigError("--date and --ruleset go with --mark-reviewed")
    codes = review_selection(settings.select, settings.ignore)
    if not codes:
        raise ConfigError(
            f"--select/--ignore leave none of the review checks on ({', '.join(REVIEW_CODES)})"
        )
    settings.select, settings.ignore = codes, []

    from rulelint.pipeline import run_check

    report = run_check(rule_paths, settings)
    review = build_review(report, _split(owner) or None)
    for note in review.notices:
        say(f"rulelint: note: {note}")
    if review.load_problems:
        n = review.load_problems
        print(
            f"rulelint: note: {n} problem{'s' if n != 1 else ''} in the rule files (RL001-RL005) "
            "keep rules out of this review; run `rulelint check`",
            file=sys.stderr,
        )
    if fmt == "text":
        render_review.text(review, make_console(color))
    elif fmt == "markdown":
        typer.echo(render_review.markdown(review), nl=False)
    elif fmt == "csv":
        sys.stdout.write(render_review.csv_text(review))
    else:
        typer.echo(render_review.json_text(review), nl=False)


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--date {value!r} is not a date; use YYYY-MM-DD") from None


def _mark(paths: list[Path] | None, settings: Settings, ids: list[str], when: dt.date,
          ruleset: str | None) -> None:
    from rulelint.consolidate.markreview import plan_file, write_marked
    from rulelint.engine import load_rules

    if not ids:
        raise ConfigError("--mark-reviewed needs rule ids (comma-separated)")
    project = load_rules(paths, settings)
    if ruleset is not None and ruleset not in project.rulesets:
        raise ConfigError(f"no ruleset {ruleset!r}; the rules read hold {', '.join(project.rulesets)}")
    found: dict[str, list] = defaultdict(list)
    wanted = set(ids)
    for rs in project.rulesets.values():
        if ruleset is not None and rs.name != ruleset:
            continue
        for r in rs.rules:
            if r.id in wanted:
                found[r.id].append((rs, r))
    unknown = [i for i in dict.fromkeys(ids) if i not in found]
    if unknown:
        names = ", ".join(repr(i) for i in unknown)
        raise ConfigError(
            f"no rule has the id {names} in the files read (a rule with a schema error is "
            "not loaded: `rulelint check` shows it); nothing was written"
        )
    for rid, hits in found.items():
        if len({rs.name for rs, _ in hits}) > 1:
            names = ", ".join(sorted({rs.name for rs, _ in hits}))
            raise ConfigError(f"id {rid!r} is used in rulesets {names}; pick one with --ruleset; nothing was written")
        if len(hits) > 1:
            where = ", ".join(f"{r.file}:{r.line}" for _, r in hits)
            raise ConfigError(f"id {rid!r} names {len(hits)} rules ({where}; RL004): give them distinct ids first; nothing was written")
    for rid, [(_, r)] in found.items():
        if not r.valid:
            raise ConfigError(
                f"{r.file}:{r.line}: rule {rid!r} has errors (`rulelint check` shows them): "
                "fix them before --mark-reviewed; nothing was written"
            )
    by_file: dict[str, tuple[Path, set[str]]] = {}
    for rid, [(rs, r)] in found.items():
        info = next(i for i in rs.files if i.source.display == r.file)
        by_file.setdefault(r.file, (info.source.path, set()))[1].add(rid)
    plans = []
    for display, (path, file_ids) in sorted(by_file.items()):
        plan = plan_file(path, display, file_ids, when)
        missing = sorted(file_ids - set(plan.ids))
        if missing:
            raise ConfigError(f"{display}: cannot find rule {missing[0]!r} in the text; nothing was written")
        plans.append(plan)
    write_marked(plans, [(rs, r) for [(rs, r)] in found.values()], when,
                 lambda: load_rules(paths, settings), project)
    for rid in dict.fromkeys(ids):
        (_, r), = found[rid]
        print(f"{r.file}:{r.line}: {rid}: reviewed: {when}")
    n = len(found)
    say(f"rulelint: marked {n} rule{'s' if n != 1 else ''} reviewed on {when}")
