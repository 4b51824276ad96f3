"""``rulelint history`` for people: per ruleset a bar chart of the rule count over time with
the cap marked and the projected growth drawn to the cap date, the weekly growth and the
forecast in words. Analysis lives in ``rulelint.history.growth``; this only draws."""

from __future__ import annotations

import datetime as dt
import math

from rich.console import Console
from rich.text import Text

from rulelint.history.growth import HistoryReport, RulesetHistory

BLOCKS = " ▁▂▃▄▅▆▇█"
HEIGHT = 6
WEEKS_SHOWN = 8


def _style(value: float, h: RulesetHistory, future: bool) -> str:
    if future:
        return "grey50"
    if not h.max_rules:
        return "cyan"
    ratio = value / h.max_rules
    return "red" if ratio >= 1 else "yellow" if ratio >= h.warn_ratio else "green"


def columns(h: RulesetHistory, width: int) -> tuple[list[tuple[float, bool]], dt.date, dt.date, int]:
    """(value, is_projection) per column, the first and last day shown, days per column."""
    if not h.points:
        return [], h.end, h.end, 1
    start = h.points[0].day
    end = h.end
    past_days = (end - start).days + 1
    last = end
    if h.status == "growing" and h.cap_date is not None:
        future = (h.cap_date - end).days
        last = end + dt.timedelta(days=min(future, max(2 * past_days, 28)))
    total = (last - start).days + 1
    per_col = max(1, math.ceil(total / max(1, width)))
    cols: list[tuple[float, bool]] = []
    day = start
    i = 0
    value = 0
    pts = h.points
    slope = float(h.per_day or 0)
    while day <= last:
        col_end = min(day + dt.timedelta(days=per_col - 1), last)
        if col_end <= end:
            while i < len(pts) and pts[i].day <= col_end:
                value = pts[i].rules
                i += 1
            cols.append((float(value), False))
        else:
            projected = h.current + slope * (col_end - end).days
            cols.append((min(projected, float(h.max_rules or projected)), True))
        day = col_end + dt.timedelta(days=1)
    return cols, start, last, per_col


def chart(h: RulesetHistory, width: int) -> list[Text]:
    cols, start, last, per_col = columns(h, width)
    if not cols:
        return [Text("  (no history)", style="dim")]
    cap = h.max_rules or 0
    top = max([cap, *(v for v, _ in cols)]) or 1
    label_w = max(len(str(int(top))), len(str(cap)) + 4 if cap else 0, 1)
    eighths = [round(v / top * HEIGHT * 8) for v, _ in cols]
    lines: list[Text] = []
    cap_row = None
    if cap and cap < top:
        cap_row = HEIGHT - 1 - min(HEIGHT - 1, int((cap / top * HEIGHT * 8 - 1e-9) // 8))
    if cap and cap >= top:
        t = Text(f"{'cap ' + str(cap):>{label_w}} ┤", style="dim")
        t.append("╌" * len(cols), style="red")
        lines.append(t)
    for r in range(HEIGHT):
        bottom = (HEIGHT - 1 - r) * 8
        if r == cap_row:
            label = f"cap {cap}"
        elif r == 0 and not (cap and cap >= top):
            label = str(int(top))
        elif r == HEIGHT - 1:
            label = "0"
        else:
            label = ""
        t = Text(f"{label:>{label_w}} {'┤' if label else '│'}", style="dim")
        for (v, future), e in zip(cols, eighths, strict=True):
            fill = min(8, max(0, e - bottom))
            if future and e - bottom > 8:
                fill = 0  # the projection is a line along its top, not a bar
            if fill == 0 and r == cap_row:
                t.append("╌", style="red")
            else:
                t.append(BLOCKS[fill], style=_style(v, h, future))
        lines.append(t)
    lines.append(_axis(cols, start, last, label_w))
    unit = "day" if per_col == 1 else f"{per_col} days"
    note = f"one column per {unit}"
    if any(f for _, f in cols):
        note += "; the thin line after today is the projection at the current trend"
    lines.append(Text(" " * (label_w + 2) + note, style="dim"))
    return lines


def _axis(cols: list[tuple[float, bool]], start: dt.date, last: dt.date, label_w: int) -> Text:
    """First and last date under the ends, and where today is when a projection follows."""
    width = len(cols)
    cells = [" "] * max(width, 1)
    left, right = start.isoformat(), last.isoformat()

    def put(at: int, text: str) -> bool:
        if at < 0 or at + len(text) > len(cells) or any(c != " " for c in cells[at:at + len(text)]):
            return False
        cells[at:at + len(text)] = list(text)
        return True

    put(0, left)
    put(width - len(right), right)
    future = next((i for i, (_, f) in enumerate(cols) if f), None)
    if future is not None:
        today = future - 1
        _ = put(today, "▲ today") or put(today - 6, "today ▲")
    return Text(" " * (label_w + 2) + "".join(cells).rstrip(), style="dim")


def weeks_line(h: RulesetHistory) -> Text:
    weeks = h.weeks[-WEEKS_SHOWN:]
    t = Text("  growth per week", style="dim")
    if not weeks:
        t.append(": no data")
        return t
    t.append(f" (weeks of {weeks[0].start} to {weeks[-1].start}): ", style="dim")
    for i, w in enumerate(weeks):
        if i:
            t.append(" ")
        style = "green" if w.change < 0 else "yellow" if w.change > 0 else "dim"
        t.append(f"{w.change:+d}" if w.change else "0", style=style)
    return t


def title(h: RulesetHistory) -> Text:
    t = Text(h.name, style="bold")
    if h.max_rules:
        t.append(f"  {h.current}/{h.max_rules} rules ({h.current / h.max_rules:.0%})")
    else:
        t.append(f"  {h.current} rules (no max_rules cap)")
    if h.per_week is not None:
        t.append(f"  {h.per_week:+.1f} rules/week over the last {h.window_used} days",
                 style="dim")
    return t


_VERDICT_STYLE = {"growing": "yellow", "over-cap": "red", "at-cap": "red", "flat": "green",
                  "shrinking": "green", "far": "green"}


def render(report: HistoryReport, console: Console) -> None:
    head = Text(
        f"{report.commits} commit{'s' if report.commits != 1 else ''} touching the rule files "
        f"in {report.root}; today {report.today}",
        style="dim",
    )
    if report.since:
        head.append(f"; since {report.since}", style="dim")
    console.print(head)
    if report.unreadable:
        console.print(Text(
            f"{report.unreadable} file version(s) in the history were not valid YAML; "
            "their previous count was kept", style="yellow"))
    if not report.rulesets:
        console.print("No rule files in the history.")
        return
    width = max(20, min(console.width - 12, 90))
    for h in report.rulesets:
        console.print()
        console.print(title(h))
        for line in chart(h, width):
            console.print(line, overflow="crop", no_wrap=True)
        console.print(weeks_line(h))
        console.print(Text("  " + h.sentence(), style=_VERDICT_STYLE.get(h.status, "")))
