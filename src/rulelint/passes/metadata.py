"""RL501 missing-metadata: fields the configuration's ``require`` list asks of every rule."""

from __future__ import annotations

from collections.abc import Iterator

from rulelint.passes import Pass
from rulelint.report.findings import Finding, LazyContent


def _missing(value) -> bool:
    return value is None or value == "" or value == []


def run(ctx) -> Iterator[Finding]:
    required = ctx.settings.config.require
    if not required:
        return
    for rs in ctx.project.rulesets.values():
        for r in rs.rules:
            missing = [k for k in required if _missing(getattr(r.rule, k, None))]
            if missing:
                names = ", ".join(repr(k) for k in missing)
                yield Finding(
                    "RL501",
                    f"rule {r.id!r} has no {names}; the configuration requires it "
                    "(add it to the rule, or to the file's defaults:)",
                    r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
                    content_key=LazyContent(r, ",".join(missing)),
                )


PASS = Pass("metadata", ("RL501",), run)
