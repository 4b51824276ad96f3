"""``rulelint review`` output: text for the terminal, Markdown to paste into a ticket, CSV
for a spreadsheet, JSON (version 1). Each takes a ``report.review.Review``; nothing here
analyses."""

from __future__ import annotations

import csv
import io
import json
import textwrap

from rich.console import Console
from rich.text import Text

from rulelint.render.markdown import cell, code
from rulelint.report.review import Review, ReviewItem, review_dict

FORMATS = ("text", "markdown", "csv", "json")
CSV_COLUMNS = ("owner", "ruleset", "rule_id", "file", "line", "codes", "action", "frees", "reasons")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _where(i: ReviewItem) -> str:
    if i.file and i.line:
        return f"{i.file}:{i.line}"
    return i.file or "—"


def headline(review: Review) -> str:
    scope = f" for {', '.join(review.owner_filter)}" if review.owner_filter else ""
    if not review.items:
        return f"Review on {review.today}{scope}: no rule needs a decision"
    return (
        f"Review on {review.today}{scope}: {_plural(len(review.items), 'rule')} "
        f"need{'s' if len(review.items) == 1 else ''} a decision "
        f"({_plural(len(review.owners), 'owner')}); the suggested actions free "
        f"{_plural(review.frees, 'slot')}"
    )


def _ruleset_lines(review: Review) -> list[str]:
    out = []
    for r in review.rulesets:
        cap = f" of {r.max_rules}" if r.max_rules is not None else ""
        after = f"; {r.rules - r.frees} after the suggested actions" if r.frees else ""
        out.append(f"{r.name}: {r.rules}{cap} rules{after}")
    return out


def _owner_title(o) -> str:
    return f"{o.label}: {_plural(len(o.items), 'rule')}, frees {_plural(o.frees, 'slot')}"


def text(review: Review, console: Console) -> None:
    width = max(60, console.width)
    console.print(Text(headline(review), style="bold"), soft_wrap=True)
    for line in _ruleset_lines(review):
        console.print(Text("  " + line), soft_wrap=True)
    for o in review.owners:
        console.print()
        console.print(Text(_owner_title(o), style="bold underline"), soft_wrap=True)
        for i in o.items:
            head = Text("  ")
            head.append(i.rule_id, style="bold")
            head.append(f"  {_where(i)}  ")
            head.append(f"-> {i.action}", style="green" if i.frees else "cyan")
            head.append(f" (frees {i.frees})" if i.frees else "")
            console.print(head, soft_wrap=True)
            for r in i.reasons:
                lines = textwrap.wrap(
                    f"{r.code} {r.name}: {r.message}", width - 6, subsequent_indent="  ",
                    break_long_words=False, break_on_hyphens=False,
                ) or [r.code]
                console.print(Text("      " + lines[0], style="dim"), soft_wrap=True)
                for rest in lines[1:]:
                    console.print(Text("      " + rest, style="dim"), soft_wrap=True)
    if any(i.frees == 0 and "re-review" in i.action for i in review.items):
        console.print()
        console.print(Text("After a review: rulelint review --mark-reviewed ID[,ID...] "
                           "[--date YYYY-MM-DD] writes `reviewed:` into the rules.", style="dim"),
                      soft_wrap=True)


def markdown(review: Review) -> str:
    out = [f"## {cell(headline(review))}", ""]
    if review.rulesets:
        out += [
            "| ruleset | rules | cap | freed by the suggested actions | after |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in review.rulesets:
            cap = str(r.max_rules) if r.max_rules is not None else "—"
            out.append(f"| {cell(r.name)} | {r.rules} | {cap} | {r.frees} | {r.rules - r.frees} |")
        out.append("")
    for o in review.owners:
        out += [f"### {cell(_owner_title(o))}", ""]
        out += [
            "| rule | where | reasons | suggested action | frees | decision |",
            "|---|---|---|---|---:|---|",
        ]
        for i in o.items:
            reasons = "<br>".join(f"**{r.code}** {cell(r.name)}: {cell(r.message)}" for r in i.reasons)
            out.append(
                f"| {code(i.rule_id)} | {cell(_where(i))} | {reasons} | {cell(i.action)} "
                f"| {i.frees} |  |"
            )
        out.append("")
    return "\n".join(out)


def _safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP: CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(review: Review) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for o in review.owners:
        for i in o.items:
            w.writerow([
                _safe(o.label), _safe(i.ruleset), _safe(i.rule_id), _safe(i.file or ""),
                i.line or "", " ".join(i.codes), i.action, i.frees,
                _safe("\n".join(f"{r.code} {r.name}: {r.message}" for r in i.reasons)),
            ])
    return buf.getvalue()


def json_text(review: Review) -> str:
    return json.dumps(review_dict(review), indent=2, ensure_ascii=False) + "\n"
