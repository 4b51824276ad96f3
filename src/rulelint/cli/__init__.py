"""The command line. Thin: it parses options, calls library functions, and renders.

Start-up is lazy (issue 19): importing this package imports neither typer nor any command
module. ``rulelint --version`` answers before typer is imported; any other run builds the
typer app (``app``, made on first use) and imports only the module of the command named on
the command line (``COMMAND_MODULES``), so ``rulelint check`` never imports the merge
planner, the history code or the diff engine. Reading ``rulelint.cli.app`` from outside
(tests, CliRunner, ``python -m rulelint``) registers every command module of this package,
found by listing it, so a new command module needs no line here; a name missing from
``COMMAND_MODULES`` only costs laziness (every module is imported), never correctness.
"""

from __future__ import annotations

import pkgutil
import sys
from typing import TYPE_CHECKING, Any

from rulelint import __version__
from rulelint.util.fastexit import exit_code, hard_exit

if TYPE_CHECKING:
    import typer

# command name -> the module of this package that registers it (an optimisation only)
COMMAND_MODULES: dict[str, str] = {
    "check": "check",
    "diff": "diff",
    "rule": "docs",
    "schema": "docs",
    "eval": "evaluate",
    "test": "evaluate",
    "history": "history",
    "suggest-merge": "merge",
    "remove": "remove",
    "report": "report",
    "review": "review",
}
_NOT_COMMANDS = frozenset({"common", "help", "progress"})
_app: Any = None


def _version(value: bool) -> None:
    if value:
        import typer

        print(f"rulelint {__version__}")
        raise typer.Exit()


def _make_app() -> typer.Typer:
    """The typer app with its root callback and no commands yet (``app`` while importing)."""
    global _app
    if _app is not None:
        return _app
    import typer

    from rulelint.cli.help import RulelintGroup

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

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    ) -> None:
        """rulelint: how close your exception rules are to the cap, and what to remove or merge."""

    _app = app
    globals()["app"] = app  # command modules' `from rulelint.cli import app` finds it now
    return app


def command_modules() -> list[str]:
    """Every module of this package that may register commands, in name order."""
    names = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
    return sorted(n for n in names if n not in _NOT_COMMANDS)


def load_commands(command: str | None = None) -> typer.Typer:
    """The app with ``command``'s module registered, or every command module (None, or a
    name ``COMMAND_MODULES`` does not know)."""
    app = _make_app()
    module = COMMAND_MODULES.get(command or "")
    for name in [module] if module else command_modules():
        __import__(f"{__name__}.{name}")  # not importlib: -X importtime reports this one
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_name(argv: list[str]) -> str | None:
    """The subcommand named on the command line: the first word not an option (the root
    takes only flags)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main() -> None:
    """The console script: run the app, then leave without freeing the heap (fastexit)."""
    argv = sys.argv[1:]
    if argv == ["--version"]:  # the common case, answered before typer is imported
        print(f"rulelint {__version__}")
        sys.stdout.flush()
        hard_exit(0)
    try:
        # prog_name: also under `python -m rulelint` (completion keys on it)
        load_commands(_command_name(argv))(prog_name="rulelint")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        print("rulelint: interrupted", file=sys.stderr)
        code = 130
    except SystemExit as e:  # typer's standalone mode always ends with one
        code = exit_code(e.code)
    else:  # pragma: no cover - typer exits in standalone mode
        code = 0
    hard_exit(code)
