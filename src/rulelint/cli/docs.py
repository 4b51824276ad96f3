"""``rulelint rule`` and ``rulelint schema``: documentation and the JSON Schema."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from rulelint.cli import app
from rulelint.cli.common import Color, ColorOpt, DebugOpt, guarded, make_console
from rulelint.load.config import ConfigError
from rulelint.report.registry import CHECKS, lookup


def check_doc_markdown(code: str) -> str:
    c = CHECKS[code]
    return (
        f"# {c.code} {c.name} ({c.severity})\n\n{c.summary}\n\n"
        f"## What it means\n\n{c.what}\n\n## Why it matters\n\n{c.why}\n\n"
        f"## How to fix it\n\n{c.fix}\n\n## Example\n\n{c.example}\n"
    )


@app.command("rule")
@guarded
def rule_cmd(
    code: Annotated[str | None, typer.Argument(help="A check code (RL302) or name (shadowed).")] = None,
    format: Annotated[str, typer.Option("--format", help="text, markdown or json.")] = "text",
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Show the documentation of one check, or the table of all checks."""
    if format not in ("text", "markdown", "json"):
        raise ConfigError(f"--format {format!r}: use text, markdown or json")
    if code is None:
        checks = list(CHECKS.values())
        if format == "json":
            print(json.dumps([_check_json(c.code) for c in checks], indent=2))
            return
        if format == "markdown":
            print("| code | name | severity | summary |\n|---|---|---|---|")
            for c in checks:
                print(f"| {c.code} | {c.name} | {c.severity} | {c.summary} |")
            return
        from rulelint.render.text import rules_table

        console = make_console(color)
        console.print(rules_table(checks))
        console.print(Text("\n`rulelint rule CODE` shows what a check means and how to fix it.", style="dim"))
        return
    check = lookup(code)
    if check is None:
        raise ConfigError(f"no check named {code!r}; `rulelint rule` lists them")
    if format == "json":
        print(json.dumps(_check_json(check.code), indent=2))
    elif format == "markdown":
        print(check_doc_markdown(check.code))
    else:
        from rich.markdown import Markdown  # here: it costs every other command 30 ms to import

        make_console(color).print(Markdown(check_doc_markdown(check.code)))


def _check_json(code: str) -> dict:
    c = CHECKS[code]
    return {
        "code": c.code, "name": c.name, "severity": str(c.severity), "summary": c.summary,
        "what": c.what, "why": c.why, "fix": c.fix, "example": c.example,
    }


@app.command("schema")
@guarded
def schema_cmd(debug: DebugOpt = False) -> None:
    """Print the JSON Schema of a rule file (for editors' YAML language servers)."""
    from rulelint.load.model import rule_json_schema

    print(json.dumps(rule_json_schema(), indent=2))
