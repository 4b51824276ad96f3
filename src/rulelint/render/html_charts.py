"""Inline SVG charts for the HTML report: a headroom bar per cap, the growth line with the
cap, the warn line and the forecast, and horizontal bars of findings per code.

A small module of our own rather than a chart library: three chart shapes, no script, print-
friendly, with the accessibility the page needs (``role="img"``, ``<title>`` and ``<desc>``,
a text label on every mark, severity shown by pattern as well as colour). Nothing here
analyses: every number comes from ``overview.data``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup, escape

# Colours (the page's CSS uses the same ones); every mark also has a text label or pattern.
COLOURS = {"error": "#b42318", "warning": "#b54708", "info": "#1d4ed8", "ok": "#067647"}

SEVERITY_FILL = {"error": "url(#p-error)", "warning": "url(#p-warning)", "info": COLOURS["info"]}
STATUS_FILL = {"over": "url(#p-error)", "near": "url(#p-warning)", "ok": COLOURS["ok"]}


def patterns() -> Markup:
    """The shared fill patterns, defined once per page (ids ``p-error``, ``p-warning``)."""
    return Markup(
        '<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">'
        "<defs>"
        '<pattern id="p-error" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{COLOURS["error"]}"/>'
        '<path d="M0 0L8 8M8 0L0 8" stroke="#fff" stroke-width="1.4" stroke-opacity=".55"/>'
        "</pattern>"
        '<pattern id="p-warning" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{COLOURS["warning"]}"/>'
        '<rect width="3" height="8" fill="#fff" fill-opacity=".45"/>'
        "</pattern>"
        "</defs></svg>"
    )


def _open(chart_id: str, width: int, height: int, title: str, desc: str,
          cls: str = "chart") -> str:
    return (
        f'<svg class="{cls}" id="{chart_id}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<title id="{chart_id}-t">{escape(title)}</title>'
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>'
    )


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def gauge(chart_id: str, measure: str, used: int, cap: int, warn_ratio: float, status: str,
          sentence: str) -> Markup:
    """One cap: the used part as a bar (pattern by status), the warn ratio and the cap as
    labelled ticks."""
    w, h, left, right, top, bar = 460, 58, 8, 8, 20, 18
    scale_max = max(cap, used, 1)
    span = w - left - right

    def x(v: float) -> float:
        return left + span * v / scale_max

    warn_at = warn_ratio * cap
    parts = [_open(chart_id, w, h, f"{measure} used against the cap", sentence, "chart gauge")]
    parts.append(f'<rect class="track" x="{left}" y="{top}" width="{_num(x(cap) - left)}" '
                 f'height="{bar}" rx="3"/>')
    if used:
        parts.append(f'<rect x="{left}" y="{top}" width="{_num(x(used) - left)}" height="{bar}" '
                     f'rx="3" fill="{STATUS_FILL[status]}"/>')
    wx, cx = x(warn_at), x(cap)
    parts.append(f'<line class="tick warn" x1="{_num(wx)}" x2="{_num(wx)}" y1="{top - 4}" '
                 f'y2="{top + bar + 4}"/>')
    anchor = "end" if wx > w - 120 else "start"
    parts.append(f'<text class="lab" x="{_num(wx)}" y="{top - 7}" text-anchor="{anchor}">'
                 f"warn {warn_ratio:.0%} ({_amount(warn_at)})</text>")
    parts.append(f'<line class="tick cap" x1="{_num(cx)}" x2="{_num(cx)}" y1="{top - 4}" '
                 f'y2="{top + bar + 4}"/>')
    parts.append(f'<text class="lab" x="{_num(cx)}" y="{top + bar + 16}" text-anchor="end">'
                 f"cap {_int(cap)}</text>")
    parts.append(f'<text class="lab" x="{left}" y="{top + bar + 16}">{_int(used)} used</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _int(v: int) -> str:
    return f"{v:,}"


def _amount(v: float) -> str:
    """``2.4``, ``84,000``: one decimal at most, none when whole."""
    return f"{v:,.1f}".removesuffix(".0")


def _ticks(lo: float, hi: float, most: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / most
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = (lo // step) * step
    out, v = [], start
    while v <= hi + 1e-9:
        if v >= lo:
            out.append(v)
        v += step
    return out


def growth(chart_id: str, points: Sequence[tuple[dt.date, int]], *, cap: int | None,
           warn_ratio: float, end: dt.date, window_start: dt.date | None,
           cap_date: dt.date | None, current: int, sentence: str) -> Markup:
    """Rule count over time (a step line: the count after each commit), the cap and warn
    lines, the trend window shaded, and the forecast as a dashed line to the cap date."""
    w, h = 720, 280
    ml, mr, mt, mb = 56, 96, 16, 40
    first = points[0][0] if points else end
    last = max(end, cap_date or end)
    days = max((last - first).days, 1)
    top_v = max([current, *(v for _, v in points), cap or 0, 1])
    top_v = top_v * 1.08

    def x(d: dt.date) -> float:
        return ml + (w - ml - mr) * (d - first).days / days

    def y(v: float) -> float:
        return mt + (h - mt - mb) * (1 - v / top_v)

    title = "Rule count over the git history" + (", with the forecast" if cap_date else "")
    parts = [_open(chart_id, w, h, title, sentence, "chart wide")]
    if window_start is not None:
        x0 = x(max(window_start, first))
        parts.append(f'<rect class="window" x="{_num(x0)}" y="{mt}" '
                     f'width="{_num(x(end) - x0)}" height="{h - mt - mb}"/>')
        parts.append(f'<text class="lab" x="{_num(x0 + 4)}" y="{mt + 12}">trend window</text>')
    for v in _ticks(0, top_v):
        yy = y(v)
        parts.append(f'<line class="grid" x1="{ml}" x2="{w - mr}" y1="{_num(yy)}" y2="{_num(yy)}"/>')
        parts.append(f'<text class="lab" x="{ml - 6}" y="{_num(yy + 4)}" text-anchor="end">'
                     f"{_int(int(v))}</text>")
    for d in _date_ticks(first, last, (w - ml - mr) // 110):
        xx = x(d)
        parts.append(f'<line class="grid" x1="{_num(xx)}" x2="{_num(xx)}" y1="{mt}" '
                     f'y2="{h - mb}"/>')
        parts.append(f'<text class="lab" x="{_num(xx)}" y="{h - mb + 16}" '
                     f'text-anchor="middle">{d.isoformat()}</text>')
    parts.append(f'<line class="axis" x1="{ml}" x2="{w - mr}" y1="{h - mb}" y2="{h - mb}"/>')
    if cap:
        for cls, v, label in (("cap", cap, f"cap {_int(cap)}"),
                              ("warn", warn_ratio * cap, f"warn {warn_ratio:.0%}")):
            yy = y(v)
            parts.append(f'<line class="tick {cls}" x1="{ml}" x2="{w - mr}" y1="{_num(yy)}" '
                         f'y2="{_num(yy)}"/>')
            parts.append(f'<text class="lab" x="{w - mr + 10}" y="{_num(yy + 4)}">{label}</text>')
    if points:
        path = [f"M{_num(x(points[0][0]))} {_num(y(points[0][1]))}"]
        prev = points[0][1]
        for d, v in points[1:]:
            path.append(f"H{_num(x(d))}V{_num(y(v))}")
            prev = v
        path.append(f"H{_num(x(end))}V{_num(y(current))}" if prev != current else f"H{_num(x(end))}")
        parts.append(f'<path class="series" d="{"".join(path)}"/>')
        parts.append(f'<circle class="now" cx="{_num(x(end))}" cy="{_num(y(current))}" r="4"/>')
        below = cap_date is not None  # the forecast label sits above the line
        parts.append(f'<text class="lab strong" x="{_num(x(end) - 6)}" '
                     f'y="{_num(y(current) + (18 if below else -8))}" '
                     f'text-anchor="end">{_int(current)} now</text>')
    if cap_date is not None and cap:
        parts.append(f'<line class="forecast" x1="{_num(x(end))}" y1="{_num(y(current))}" '
                     f'x2="{_num(x(cap_date))}" y2="{_num(y(cap))}"/>')
        parts.append(f'<circle class="hit" cx="{_num(x(cap_date))}" cy="{_num(y(cap))}" r="4"/>')
        parts.append(f'<text class="lab strong" x="{_num(x(cap_date))}" y="{_num(y(cap) - 8)}" '
                     f'text-anchor="end">full on {cap_date.isoformat()}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _date_ticks(first: dt.date, last: dt.date, most: int = 5) -> list[dt.date]:
    """At most ``most + 1`` dates from ``first`` to ``last``, evenly spaced, none too close to
    the last one to be read."""
    days = (last - first).days
    if days < 1:
        return [first]
    most = max(1, min(most, days))
    step = -(-days // most)
    inner = [first + dt.timedelta(days=i * step) for i in range(most)
             if i * step <= days - step * 0.6]
    return [*inner, last]


def code_bars(chart_id: str, rows: Sequence[tuple[str, str, str, int]]) -> Markup:
    """Findings per code: one bar per (code, name, severity, count), severity by pattern and
    by its name in the label."""
    w, label_w, row_h, pad = 540, 250, 24, 6
    h = pad * 2 + row_h * max(len(rows), 1)
    most = max((n for *_, n in rows), default=1) or 1
    span = w - label_w - 70
    total = sum(n for *_, n in rows)
    desc = "; ".join(f"{c} {name} ({sev}): {n}" for c, name, sev, n in rows) or "no findings"
    parts = [_open(chart_id, w, h, f"Findings by code ({total} in all)", desc, "chart bars")]
    for i, (code, name, sev, n) in enumerate(rows):
        yy = pad + i * row_h
        bw = max(span * n / most, 2)
        parts.append(f'<text class="lab" x="{label_w - 8}" y="{yy + 16}" text-anchor="end">'
                     f"{escape(code)} {escape(name)} · {escape(sev)}</text>")
        parts.append(f'<rect x="{label_w}" y="{yy + 4}" width="{_num(bw)}" height="{row_h - 8}" '
                     f'rx="2" fill="{SEVERITY_FILL.get(sev, COLOURS["info"])}"/>')
        parts.append(f'<text class="lab strong" x="{_num(label_w + bw + 6)}" y="{yy + 16}">'
                     f"{_int(n)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
