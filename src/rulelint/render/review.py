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
from rulelint.util.lines import escape_controls, escape_output

FORMATS = ("text", "markdown", "csv", "json")
CSV_COLUMNS = ("owner", "ruleset", "rule_id", "file", "line", "codes", "action", "frees", "reasons")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _where(i: ReviewItem) -> str:
    if i.file and i.line:
        return escape_controls(f"{i.file}:{i.line}")
    return escape_controls(i.file) if i.file else "—"


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
        out.append(f"{r.name}: {r.rules}{cap} rule{'' if r.rules == 1 and not cap else 's'}{after}")
    return out


def _owner_title(o) -> str:
    label = escape_controls(o.label)
    return f"{label}: {_plural(len(o.items), 'rule')}, frees {_plural(o.frees, 'slot')}"


def text_lines(review: Review, width: int) -> list[Text]:
    """The text report, one styled line each."""
    out = [Text(headline(review), style="bold")]
    out += [Text("  " + line) for line in _ruleset_lines(review)]
    several = len(review.rulesets) > 1
    for o in review.owners:
        out.append(Text())
        out.append(Text(_owner_title(o), style="bold underline"))
        for i in o.items:
            head = Text("  ")
            head.append(escape_controls(i.rule_id), style="bold")
            head.append(f"  {_where(i)}  ")
            if several:
                head.append(f"[{escape_controls(i.ruleset)}]  ")
            head.append(f"-> {i.action}", style="green" if i.frees else "cyan")
            head.append(f" (frees {i.frees})" if i.frees else "")
            out.append(head)
            for r in i.reasons:
                lines = textwrap.wrap(
                    f"{r.code} {r.name}: {escape_controls(r.message)}", width - 6,
                    subsequent_indent="  ",
                    break_long_words=False, break_on_hyphens=False,
                ) or [r.code]
                out.extend(Text("      " + line, style="dim") for line in lines)
    if any(i.frees == 0 and "re-review" in i.action for i in review.items):
        out.append(Text())
        out.append(Text("After a review: rulelint review --mark-reviewed ID[,ID...] "
                        "[--date YYYY-MM-DD] writes `reviewed:` into the rules.", style="dim"))
    return out


def text(review: Review, console: Console) -> None:
    lines = text_lines(review, max(60, console.width))
    if console.color_system is None:  # plain output (pipes, NO_COLOR): no styling to draw
        console.file.write(escape_output("".join(line.plain + "\n" for line in lines)))
        console.file.flush()
        return
    console.print(Text("\n").join(lines), soft_wrap=True)


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
