"""``rulelint remove ID[,ID...] [PATHS...]``: delete rules on purpose, seeing first every
decision that changes (with a witness event), or "no decision changed"."""

from __future__ import annotations

import json
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
    guarded,
    make_console,
    parse_today,
)
from rulelint.load.config import ConfigError, resolve_settings, split_codes


def _ids_and_paths(args: list[str], by_filter: bool) -> tuple[list[str], list[Path] | None]:
    """The first argument is the ids, unless --select/--owner pick the rules and it names
    an existing file or directory; the rest are paths."""
    if not args:
        return [], None
    first, rest = args[0], args[1:]
    if by_filter and Path(first).exists():
        return [], [Path(a) for a in args]
    ids = [i for i in split_codes([first]) if i]
    return ids, [Path(a) for a in rest] or None


@app.command("remove")
@guarded
def remove_cmd(
    args: Annotated[list[str] | None, typer.Argument(metavar="[ID[,ID...]] [PATHS]...", help="Ids of the rules to remove (comma-separated), then rule files or directories.", show_default=False)] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Remove the rules these findings are about (codes or prefixes, comma-separated: RL302,RL401).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Remove only rules of this owner.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    diff: Annotated[bool, typer.Option("--diff", help="Print the unified diff --apply would make.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Delete the rules from the files (atomically; the comment lines just above a rule go with it).")] = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when some decision changes.")] = False,
    today: Annotated[str | None, typer.Option("--today", help="Date for --select of staleness codes (YYYY-MM-DD).")] = None,
    hits: Annotated[Path | None, typer.Option("--hits", help="Hit log, for --select RL404.")] = None,
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Delete rules on purpose: every decision the removal changes, each with a witness
    event, or "no decision changed"; --diff, --apply. Rules picked by id, --select and
    --owner together must meet every criterion given."""
    from rulelint.compare.removal import declared_kinds, edits, removals, result_dict, write
    from rulelint.engine import load_rules
    from rulelint.render.removals import render_removal_text

    if format not in ("text", "json"):
        raise ConfigError(f"--format {format!r}: use text or json")
    codes = split_codes(select)
    ids, paths = _ids_and_paths(list(args or []), bool(codes or owner is not None))
    settings = resolve_settings(config=config, today=parse_today(today), hits=hits)
    project = load_rules(paths, settings)
    errors = [f for f in project.findings if str(f.severity) == "error"]
    if apply and errors:
        e = errors[0]
        raise ConfigError(f"{e.file}:{e.line}: {e.message} — fix rule file errors before --apply")
    results = removals(project, settings, ids, codes, owner)
    planned = edits(results) if (diff or apply) else []
    if format == "json":
        print(json.dumps(result_dict(results), indent=2, ensure_ascii=False, default=str))
    else:
        render_removal_text(results, make_console(color))
    if diff:
        out = sys.stderr if format == "json" else sys.stdout
        for e in planned:
            out.write(e.diff())
    if apply:
        write(planned, results, lambda: load_rules(paths, settings))
        if format == "text":
            console = make_console(color)
            for name, kinds in declared_kinds(results).items():
                for f, kind in kinds.items():
                    console.print(f"keeps field {f!r} {kind} in {name}: the rules left would read "
                                  f"it as another kind, so the rewrite declares `{f}: {kind}` under fields:")
            files = ", ".join(e.display for e in planned) or "nothing to change"
            console.print(f"applied: {files} (reloaded and verified: the planned rules)")
    if exit_code and any(r.impact.decisions for r in results):
        raise typer.Exit(1)
