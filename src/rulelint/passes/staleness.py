"""RL401 expired, RL402 expiring-soon, RL403 review-overdue, RL404 unused, RL903 unknown-hit-ids.

Everything is relative to ``settings.today`` (``--today``). Dates come from the rules
(``expires``, ``reviewed``, ``created``), from git for rules without ``reviewed``/``created``
(see ``blame``: one history walk for all files that have such rules, blame only for
files edited since they were added), and from the hit
log (see ``hits``). Problems that are not about one rule (no git, a short or partly broken
hit log) go to ``ctx.cache["notices"]`` as plain sentences, once each.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

from rulelint.history import blame
from rulelint.load.hits import HitLog, Usage, combine, iter_unknown, load_hits
from rulelint.load.project import RuleEntry, RuleSet
from rulelint.passes import Pass
from rulelint.report.findings import Finding, LazyContent

MAX_IDS_SHOWN = 5


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def notices(ctx) -> list[str]:
    return ctx.cache.setdefault("notices", [])


def hit_log(ctx) -> HitLog | None:
    """The run's hit log, read once and shared through the cache."""
    path = ctx.settings.hits
    if path is None:
        return None
    if "hits" not in ctx.cache:
        log = load_hits(path, ctx.settings.cwd)
        ctx.cache["hits"] = log
        st = ctx.settings.config.staleness
        notices(ctx).extend(log.notices(ctx.settings.today, st.unused_days))
    return ctx.cache["hits"]


def _expiry(rs: RuleSet, r: RuleEntry, today: dt.date, expiring_days: int, enabled):
    exp = r.rule.expires
    if exp is None:
        return
    left = (exp - today).days
    if left < 0 and enabled("RL401"):
        yield Finding(
            "RL401",
            f"rule {r.id!r} expired on {exp} ({_days(-left)} ago) and still takes a slot; "
            "the target system keeps applying it until it is deleted: delete it, or move "
            "`expires` forward with a ticket if it must stay",
            r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
            content_key=LazyContent(r),
        )
    elif 0 <= left <= expiring_days and enabled("RL402"):
        when = "today" if left == 0 else f"in {_days(left)}"
        yield Finding(
            "RL402",
            f"rule {r.id!r} expires on {exp} ({when}; expiring_days {expiring_days}): plan "
            "to delete it then, or extend `expires` deliberately",
            r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
            content_key=LazyContent(r),
        )


def _review(rs: RuleSet, r: RuleEntry, today: dt.date, review_days: int,
            git_dates: dict[RuleEntry, blame.LineDates]) -> Finding | None:
    if r.rule.reviewed is not None:
        when, source = r.rule.reviewed, "was last reviewed on {d}"
    elif r.rule.created is not None:
        when, source = r.rule.created, "has no `reviewed` date; it was created on {d}"
    elif r in git_dates:
        when = git_dates[r].newest
        source = "has no `reviewed` or `created` date; its lines last changed in git on {d}"
    else:
        return None
    age = (today - when).days
    if age <= review_days:
        return None
    owner = f" ({r.rule.owner})" if r.rule.owner else ""
    return Finding(
        "RL403",
        f"rule {r.id!r} {source.format(d=when)}, {_days(age)} ago (review_days "
        f"{review_days}); ask its owner{owner} whether it is still needed, then set "
        "`reviewed:` to the review date or delete the rule",
        r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
        content_key=LazyContent(r),
    )


def _usage(log: HitLog, rs: RuleSet, r: RuleEntry) -> Usage | None:
    ids = [r.id, *r.rule.merged_from]
    return combine([log.lookup(rs.name, i) for i in ids])


def _is_used(u: Usage | None, today: dt.date, unused_days: int) -> bool:
    return u is not None and u.last is not None and (today - u.last).days <= unused_days


def _unused(rs: RuleSet, r: RuleEntry, u: Usage | None, log: HitLog, today: dt.date,
            unused_days: int, git_dates: dict[RuleEntry, blame.LineDates]) -> Finding | None:
    born = r.rule.created
    born_note = ""
    if born is None and r in git_dates:
        born = git_dates[r].oldest
    if born is not None and (today - born).days < unused_days:
        return None  # younger than the window: no verdict yet
    if born is None:
        born_note = " (its age is unknown: no `created` date and no git history)"
    merged = ""
    if r.rule.merged_from:
        merged = f", counting the rules it was merged from ({', '.join(r.rule.merged_from)})"
    if u is None or u.last is None:
        seen = f"has no hit in {log.display}{merged}"
    else:
        seen = (f"has had no hit since {u.last} ({_days((today - u.last).days)} ago) in "
                f"{log.display}{merged}")
    disabled = "; it is disabled, so it cannot match" if not r.enabled else ""
    return Finding(
        "RL404",
        f"rule {r.id!r} {seen}; unused_days is {unused_days}{born_note}{disabled}. Ask its "
        "owner, then delete it to free a slot, or keep it on purpose with "
        "`# rulelint: ignore[RL404] <reason>` on its id line",
        r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
        content_key=LazyContent(r),
    )


def _unknown_ids(ctx, log: HitLog) -> Finding | None:
    known: dict[str, set[str]] = {}
    for rs in ctx.project.rulesets.values():
        ids = known.setdefault(rs.name, set())
        for r in rs.rules:
            ids.add(r.id)
            ids.update(r.rule.merged_from)
    unknown = sorted(iter_unknown(log, known), key=lambda item: (-item[1].hits, item[0]))
    if not unknown:
        return None
    hits = sum(u.hits for _, u in unknown)
    shown = ", ".join(i for i, _ in unknown[:MAX_IDS_SHOWN])
    more = f" and {len(unknown) - MAX_IDS_SHOWN} more" if len(unknown) > MAX_IDS_SHOWN else ""
    first_line = min(u.line for _, u in unknown)
    n = len(unknown)
    ids_key = "\n".join(sorted(i for i, _ in unknown))
    return Finding(
        "RL903",
        f"{log.display} names {n} rule id{'s' if n != 1 else ''} that no loaded rule has "
        f"({hits:,} hit{'s' if hits != 1 else ''}): {shown}{more}. Renamed or merged rules, "
        "another ruleset, or rule files missing from the paths checked?",
        log.display, first_line,
        content_key=hashlib.sha256(ids_key.encode("utf-8")).hexdigest(),
    )


def run(ctx) -> Iterator[Finding]:
    settings = ctx.settings
    today = settings.today
    st = settings.config.staleness
    enabled = ctx.enabled
    rules = [(rs, r) for rs in ctx.project.rulesets.values() for r in rs.rules]

    if enabled("RL401") or enabled("RL402"):
        for rs, r in rules:
            yield from _expiry(rs, r, today, st.expiring_days, enabled)

    log = hit_log(ctx) if enabled("RL404") or enabled("RL903") else None
    unused: list[tuple[RuleSet, RuleEntry, Usage | None]] = []
    if log is not None and enabled("RL404"):
        for rs, r in rules:
            u = _usage(log, rs, r)
            if not _is_used(u, today, st.unused_days):
                unused.append((rs, r, u))

    # Git dates (a few git calls for all files), only for rules whose verdict depends on one.
    need: list[RuleEntry] = []
    if enabled("RL403"):
        need += [r for _, r in rules if r.rule.reviewed is None and r.rule.created is None]
    need_ids = {id(r) for r in need}
    need += [r for _, r, _ in unused if r.rule.created is None and id(r) not in need_ids]
    git_dates: dict[RuleEntry, blame.LineDates] = {}
    if need:
        found = blame.rule_line_dates(ctx.project, need, today)
        git_dates = found.dates
        notices(ctx).extend(found.notices)

    if enabled("RL403"):
        for rs, r in rules:
            f = _review(rs, r, today, st.review_days, git_dates)
            if f is not None:
                yield f
    if log is not None:
        for rs, r, u in unused:
            f = _unused(rs, r, u, log, today, st.unused_days, git_dates)
            if f is not None:
                yield f
        if enabled("RL903"):
            f = _unknown_ids(ctx, log)
            if f is not None:
                yield f


PASS = Pass("staleness", ("RL401", "RL402", "RL403", "RL404", "RL903"), run)
