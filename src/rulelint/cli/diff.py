"""``rulelint diff GIT_REF [PATHS]``: rules added, removed and edited, and changed decisions."""

from __future__ import annotations

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
)
from rulelint.load.config import ConfigError, resolve_settings

DIFF_FORMATS = ("text", "markdown", "json")

RefArg = Annotated[
    str,
    typer.Argument(
        metavar="GIT_REF",
        help="The git ref to compare the working tree with (origin/main, HEAD~1, a SHA).",
    ),
]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="text, markdown (for a PR comment) or json.")
]
ExitCodeOpt = Annotated[
    bool, typer.Option("--exit-code", help="Exit 1 when some decision changed.")
]


@app.command("diff")
@guarded
def diff_cmd(
    ref: RefArg,
    paths: PathsArg = None,
    format: FormatOpt = "text",
    exit_code: ExitCodeOpt = False,
    config: ConfigOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """What a change does: rules added, removed and edited against GIT_REF, rule counts against
    the caps, and every (old rule, new rule) pair that now decides some event differently,
    with a witness event, or "no decision changed"."""
    fmt = format.strip().lower()
    if fmt not in DIFF_FORMATS:
        raise ConfigError(f"--format {format!r}: use {', '.join(DIFF_FORMATS)}")
    from rulelint.compare.semdiff import semantic_diff
    from rulelint.render import diff as render_diff

    settings = resolve_settings(config=config)
    result = semantic_diff(ref, list(paths) if paths else None, settings)
    if fmt == "text":
        render_diff.render_text(result, make_console(color))
    elif fmt == "markdown":
        typer.echo(render_diff.render_markdown(result), nl=False)
    else:
        typer.echo(render_diff.render_json(result), nl=False)
    if exit_code and result.decisions_changed:
        raise typer.Exit(1)
