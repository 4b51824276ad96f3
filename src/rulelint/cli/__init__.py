"""The command line. Thin: it parses options, calls library functions, and renders."""

from __future__ import annotations

import sys

import typer

from rulelint import __version__
from rulelint.cli.help import RulelintGroup
from rulelint.util.fastexit import exit_code, hard_exit

app = typer.Typer(
    name="rulelint",
    help="Lint and consolidate capped exception-rule lists kept as YAML.",
    no_args_is_help=True,
    cls=RulelintGroup,  # ruff-like metavars and an example in every command's help
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"rulelint {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """rulelint: how close your exception rules are to the cap, and what to remove or merge."""


from rulelint.cli import check as _check  # noqa: E402,F401  (registers commands)
from rulelint.cli import diff as _diff  # noqa: E402,F401
from rulelint.cli import docs as _docs  # noqa: E402,F401
from rulelint.cli import evaluate as _evaluate  # noqa: E402,F401
from rulelint.cli import history as _history  # noqa: E402,F401
from rulelint.cli import merge as _merge  # noqa: E402,F401
from rulelint.cli import review as _review  # noqa: E402,F401


def main() -> None:
    """The console script: run the app, then leave without freeing the heap (fastexit)."""
    try:
        app(prog_name="rulelint")  # also under `python -m rulelint`: completion keys on it
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        print("rulelint: interrupted", file=sys.stderr)
        code = 130
    except SystemExit as e:  # typer's standalone mode always ends with one
        code = exit_code(e.code)
    else:  # pragma: no cover - typer exits in standalone mode
        code = 0
    hard_exit(code)
