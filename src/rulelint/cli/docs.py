"""``rulelint rule`` and ``rulelint schema``: documentation and the JSON Schema."""

from __future__ import annotations

import json
import re
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
        print_trimmed(console, rules_table(checks))
        print_trimmed(console, Text("\n`rulelint rule CODE` shows what a check means and how to fix it.", style="dim"))
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

        print_trimmed(make_console(color), Markdown(check_doc_markdown(check.code)))


_TRAILING = re.compile(r"(?:[ \t]|\x1b\[[0-9;]*m)+$", re.MULTILINE)
_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def print_trimmed(console, renderable) -> None:
    """Print as Rich would, without the spaces Rich pads each line with (tables and
    Markdown fill the width): a line never ends in blanks, coloured or not."""
    with console.capture() as capture:
        console.print(renderable)
    # the blanks go, the colour codes among them stay (so the styles still close)
    trimmed = _TRAILING.sub(lambda m: "".join(_ESCAPE.findall(m.group())), capture.get())
    console.file.write(trimmed)


def _check_json(code: str) -> dict:
    c = CHECKS[code]
    return {
        "code": c.code, "name": c.name, "severity": str(c.severity), "summary": c.summary,
        "what": c.what, "why": c.why, "fix": c.fix, "example": c.example,
    }


@app.command("schema")
@guarded
def schema_cmd(
    config: Annotated[bool, typer.Option("--config", help="The schema of rulelint.yaml instead of a rule file's.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema of a rule file (for editors' YAML language servers).

    Every property carries a description, which editors show on hover."""
    from rulelint.load.schema import config_schema, rule_file_schema

    print(json.dumps(config_schema() if config else rule_file_schema(), indent=2, ensure_ascii=False))
