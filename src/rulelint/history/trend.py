"""The trend of a ruleset's rule count and the date it reaches its cap.

The trend is a least-squares line through the daily rule count (the count at the end of each
day) over the last ``window_days`` days, computed exactly with fractions. Sampling per day,
not per commit, keeps a burst of small commits from outweighing months of quiet. The
projection starts from the current count (the working tree, as ``check`` sees it) on the
last day and follows the slope to ``max_rules``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction

DEFAULT_WINDOW_DAYS = 90
MIN_SPAN_DAYS = 7  # a forecast needs two commits at least this far apart
MAX_YEARS = 10  # a cap further away than this is "not in sight"
FLAT_PER_WEEK = 0.05  # |slope| below this (rules/week) is flat
_WORKTREE = ""  # the commit of the working-tree point


@dataclass(frozen=True, slots=True)
class Point:
    day: dt.date
    commit: str  # "" for the working tree
    rules: int


@dataclass(frozen=True, slots=True)
class Week:
    start: dt.date  # Monday
    rules: int  # count at the end of the week (or today, for this week)
    change: int


@dataclass
class RulesetHistory:
    """One ruleset: its counts over time, weekly growth, trend and the cap date."""

    name: str
    max_rules: int | None
    warn_ratio: float
    current: int
    points: list[Point]
    commits: int  # commits that touched the ruleset's files
    window_days: int
    end: dt.date
    per_day: Fraction | None = None  # least-squares slope over the window
    window_start: dt.date | None = None
    status: str = "not-enough-history"
    cap_date: dt.date | None = None
    days_left: int | None = None
    weeks: list[Week] = field(default_factory=list)

    @property
    def window_used(self) -> int:
        """Days the trend was fitted over: the window, or less when the ruleset is younger."""
        if self.window_start is None:
            return self.window_days
        return (self.end - self.window_start).days + 1

    @property
    def per_week(self) -> float | None:
        return None if self.per_day is None else float(self.per_day * 7)

    def value_at(self, day: dt.date) -> int | None:
        """The count at the end of ``day`` (None before the ruleset existed)."""
        value = None
        for p in self.points:
            if p.day > day:
                break
            value = p.rules
        return value

    def sentence(self) -> str:
        """The trend and forecast in one sentence, for people."""
        n, cap = self.name, self.max_rules
        rate = f"{self.per_week:+.1f} rules/week" if self.per_week is not None else ""
        window = f"over the last {self.window_used} days"
        if self.status == "no-cap":
            tail = f" ({rate} {window})" if rate else ""
            return f"{n} has no max_rules cap, so there is no date to project{tail}"
        if self.status == "not-enough-history":
            return (
                f"{n}: not enough git history for a forecast (needs 2 commits touching it at "
                f"least {MIN_SPAN_DAYS} days apart)"
            )
        if self.status == "over-cap":
            return f"{n} is already over its cap: {self.current} of {cap} rules"
        if self.status == "at-cap":
            return f"{n} is at its cap: {self.current} of {cap} rules"
        if self.status == "flat":
            return f"{n} is flat ({rate} {window}): the cap of {cap} is not in sight"
        if self.status == "shrinking":
            return f"{n} is shrinking ({rate} {window}): the cap of {cap} is not in sight"
        if self.status == "far":
            return (f"at {rate} {window}, {n} reaches {cap} more than {MAX_YEARS} years from "
                    "now")
        return (f"at {rate}, {n} reaches {cap} on {self.cap_date} "
                f"(in {_span(self.days_left or 0)}; {self.current} now, trend {window})")


def _span(days: int) -> str:
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 120:
        return f"{round(days / 7)} weeks"
    return f"{round(days / 30.44)} months"


def daily(points: list[Point], start: dt.date, end: dt.date) -> list[int]:
    """The count at the end of each day from ``start`` to ``end`` (inclusive)."""
    out: list[int] = []
    i = 0
    value = 0
    n = len(points)
    day = start
    while day <= end:
        while i < n and points[i].day <= day:
            value = points[i].rules
            i += 1
        out.append(value)
        day += dt.timedelta(days=1)
    return out


def slope(samples: list[int]) -> Fraction:
    """Least-squares slope of ``samples`` against 0, 1, 2... (exact)."""
    n = len(samples)
    sx = n * (n - 1) // 2
    sxx = (n - 1) * n * (2 * n - 1) // 6
    sy = sum(samples)
    sxy = sum(i * y for i, y in enumerate(samples))
    den = n * sxx - sx * sx
    return Fraction(n * sxy - sx * sy, den) if den else Fraction(0)


def weekly(points: list[Point], start: dt.date, end: dt.date) -> list[Week]:
    """Count at the end of each ISO week (Monday-based) from ``start``'s week to ``end``."""
    if not points:
        return []
    monday = start - dt.timedelta(days=start.weekday())
    weeks: list[Week] = []
    prev = _value_before(points, monday)
    i = 0
    value = prev
    while monday <= end:
        last = min(monday + dt.timedelta(days=6), end)
        while i < len(points) and points[i].day <= last:
            value = points[i].rules
            i += 1
        weeks.append(Week(monday, value, value - prev))
        prev = value
        monday += dt.timedelta(days=7)
    return weeks


def _value_before(points: list[Point], day: dt.date) -> int:
    value = 0
    for p in points:
        if p.day >= day:
            break
        value = p.rules
    return value


def analyse_ruleset(
    name: str,
    points: list[Point],
    commits: int,
    current: int | None,
    max_rules: int | None,
    warn_ratio: float,
    today: dt.date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    weeks_from: dt.date | None = None,
) -> RulesetHistory:
    """Trend over the window and the projected cap date, from the points of one ruleset.

    ``current`` (the working tree) is the count today; None means the ruleset is gone."""
    pts = list(points)
    end = max(today, pts[-1].day) if pts else today
    if current is not None and (not pts or pts[-1].rules != current):
        pts.append(Point(end, _WORKTREE, current))  # uncommitted changes count as today
    cur = current if current is not None else (pts[-1].rules if pts else 0)
    h = RulesetHistory(name, max_rules, warn_ratio, cur, pts, commits, window_days, end)
    if not pts:
        return h
    h.weeks = weekly(pts, max(weeks_from or pts[0].day, pts[0].day), end)
    first = pts[0].day
    h.window_start = max(first, end - dt.timedelta(days=window_days - 1))
    samples = daily(pts, h.window_start, end)
    if len(samples) >= 2:
        h.per_day = slope(samples)
    span = (points[-1].day - points[0].day).days if points else 0
    if not max_rules:
        h.status = "no-cap"
    elif commits < 2 or span < MIN_SPAN_DAYS or h.per_day is None:
        h.status = "not-enough-history"
    elif cur > max_rules:
        h.status = "over-cap"
    elif cur == max_rules:
        h.status = "at-cap"
    elif h.per_day * 7 <= -FLAT_PER_WEEK:
        h.status = "shrinking"
    elif h.per_day * 7 < FLAT_PER_WEEK:
        h.status = "flat"
    else:
        days = math.ceil(Fraction(max_rules - cur) / h.per_day)
        if days > MAX_YEARS * 366:
            h.status = "far"
        else:
            h.status = "growing"
            h.days_left = days
            h.cap_date = end + dt.timedelta(days=days)
    return h


