"""``--help`` that reads like ruff's: metavars and an example for every command.

typer shows a parameter's Python type (``<str>``, ``<list[Path]>``, ``<int range>``) where
ruff and click show what to type (``PATH...``, ``CODE``, ``[text|json]``). ``RulelintGroup``
(the app's click group) fixes that once for every command when the CLI is built, so the
commands' own modules stay as they are: a parameter that names its metavar keeps it; the
others get one from ``ARGUMENTS``, ``OPTIONS`` or ``FORMATS`` below (a ``click.Choice``
lists its choices), else their name in capitals. ``EXAMPLES`` becomes the epilog of every
command that has none.
"""

from __future__ import annotations

from typing import Any

import typer.core

# argument name -> metavar (nargs=-1 arguments show "..." after it)
ARGUMENTS = {"paths": "PATH", "code": "CODE", "git_ref": "GIT_REF", "ids": "ID[,ID...]"}

# option name -> metavar, where the option's name alone would not say what to type
OPTIONS = {
    "config": "FILE",
    "output": "FILE",
    "output_file": "FILE",
    "hits": "FILE",
    "baseline": "FILE",
    "write_baseline": "FILE",
    "html": "FILE",
    "tests": "PATH",
    "ruleset": "NAME",
    "owner": "OWNER",
    "target": "N",
    "max_rules": "N",
    "window_days": "DAYS",
    "since": "YYYY-MM-DD",
    "today": "YYYY-MM-DD",
    "date": "YYYY-MM-DD",
    "merge_keys": "KEY[,KEY...]",
    "select": "CODE[,CODE...]",
    "ignore": "CODE[,CODE...]",
    "event": "JSON|@FILE|@-",
    "events": "FILE.jsonl|-",
    "mark_reviewed": "ID[,ID...]",
}

# command -> the choices of its --format (SPEC.md "Commands"), shown as a choice list
FORMATS = {
    "suggest-merge": "text|json",
    "eval": "text|json",
    "history": "text|json",
    "diff": "text|markdown|json",
    "rule": "text|markdown|json",
    "review": "text|markdown|csv|json",
    "remove": "text|json",
}

EXAMPLES = {
    "check": [
        ("rulelint check", "the paths of the config, else rules.yaml, rules/"),
        ("rulelint check rules/ --select RL3 --fail-on warning", ""),
        ("rulelint check --format github --format markdown:summary.md", "one run, two reports"),
        ("rulelint check - --stdin-filename rules/a.yaml < buffer.yaml", "from stdin"),
    ],
    "suggest-merge": [
        ("rulelint suggest-merge", "merges that free slots, proven"),
        ("rulelint suggest-merge --include-redundant --target 450 --diff", ""),
        ("rulelint suggest-merge --apply", "rewrite only the rules it merges"),
    ],
    "eval": [
        ("rulelint eval --event '{\"plan\": \"pro\", \"region\": \"JP\"}'", ""),
        ("rulelint eval --event @ticket.json --format json", ""),
    ],
    "test": [
        ("rulelint test", "run the rule tests"),
        ("rulelint test rules/ -t tests/cases.yaml -v", ""),
    ],
    "history": [
        ("rulelint history", "growth per week, the date of the cap"),
        ("rulelint history --since 2025-01-01 --format json", ""),
    ],
    "diff": [
        ("rulelint diff origin/main", "decisions this branch changes"),
        ("rulelint diff HEAD~1 --format markdown > comment.md", ""),
    ],
    "rule": [
        ("rulelint rule", "the table of all checks"),
        ("rulelint rule RL302", "what it means, how to fix it"),
    ],
    "schema": [
        ("rulelint schema > rulelint.schema.json", "for the YAML language server"),
        ("rulelint schema --config > rulelint-config.schema.json", "for rulelint.yaml"),
    ],
    "review": [
        ("rulelint review --owner cs-ops@example.com", ""),
        ("rulelint review --mark-reviewed vip-no-autoclose", ""),
    ],
    "remove": [
        ("rulelint remove old-rule-1,old-rule-2 --diff", ""),
        ("rulelint remove --select RL302 --apply", ""),
    ],
    "report": [("rulelint report --html rules.html", "")],
}


def epilog(command: str) -> str | None:
    lines = EXAMPLES.get(command)
    if not lines:
        return None
    body: list[str] = []
    for cmd, why in lines:
        if why:
            body.append(f"  # {why}")
        body.append(f"  {cmd}")
    return "\b\nExamples:\n" + "\n".join(body)  # \b: click keeps the lines as they are


def _choices(p: Any) -> list[Any] | None:
    """The choices of an enum-typed option (typer's own descriptor, else click's type)."""
    desc = getattr(p, "type_descriptor", None)
    if desc is not None:
        return list(desc.choices or ()) if getattr(desc, "is_choice", False) else None
    return getattr(getattr(p, "type", None), "choices", None)


def _no_type(ctx: Any) -> None:
    return None


def fix_params(command_name: str, command: Any) -> None:
    """Metavars as ruff would show them, and the example epilog."""
    for p in command.params:
        if getattr(p, "is_flag", False) or getattr(p, "count", False):
            continue
        name = p.name or ""
        if p.param_type_name == "argument":
            if p.metavar is None:
                p.metavar = ARGUMENTS.get(name, name.upper())
            shown = p.metavar + ("..." if p.nargs != 1 else "")
            # typer's help shows the Python type after the name; the metavar says enough
            p.display_type_rich = _no_type
            p._rich_display_name = lambda shown=shown: shown
            continue
        if p.metavar is not None:
            continue
        choices = _choices(p)
        if choices:
            p.metavar = "[" + "|".join(str(getattr(c, "value", c)) for c in choices) + "]"
        elif name == "format" and command_name in FORMATS:
            p.metavar = f"[{FORMATS[command_name]}]"
        else:
            p.metavar = OPTIONS.get(name, name.upper())
    if getattr(command, "epilog", None) is None:
        command.epilog = epilog(command_name)


class RulelintGroup(typer.core.TyperGroup):
    """The app's click group: every command's help gets ruff-like metavars and examples."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, command in self.commands.items():
            fix_params(name, command)
