"""``rulelint review``: the findings of one check run that need a human decision, per owner.

Nothing is analysed here: the data is a view of a check report (``pipeline.run_check``),
grouped by the owner of the rule each finding is about. Per rule: its reasons (the
findings, as codes), one suggested action, and the slots that action frees. Owners are
sorted by the slots at stake, then by how many rules they have to decide on.

Actions, strongest first (a rule with several reasons gets the first that applies):

* ``delete`` when the rule never decides (RL201 the later duplicate, RL202 the rule that
  loses under first-match, RL301, RL302): deleting it changes no decision; frees 1;
* ``delete or extend expires`` (RL401 expired: it still matches until deleted); frees 1;
* ``delete or keep with a reason`` (RL404 unused by the hit log); frees 1;
* ``keep one`` (RL202 under any-match: both rules apply, one is a mistake); frees 1;
* ``delete on D or extend expires`` (RL402 expiring soon); frees 1 once deleted;
* ``re-review`` (RL403: then ``rulelint review --mark-reviewed ID``); frees 0;
* ``add FIELDS`` (RL501 missing metadata), appended to a ``re-review``; frees 0.

The report is taken duck-typed (``engine.Report``): ``report/`` sits below the engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rulelint.report.registry import CHECKS, is_enabled

REVIEW_CODES = ("RL201", "RL202", "RL301", "RL302", "RL401", "RL402", "RL403", "RL404", "RL501")
# also run: load problems (to say that rules are missing from the review), unknown hit ids
CONTEXT_CODES = ("RL001", "RL002", "RL003", "RL004", "RL005", "RL903")
NEVER_DECIDES = ("RL201", "RL301", "RL302")
NO_OWNER = "(no owner)"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    name: str
    severity: str
    message: str


@dataclass(slots=True)
class ReviewItem:
    """One rule that needs a decision."""

    rule_id: str
    ruleset: str
    file: str | None
    line: int | None
    owner: str | None
    reasons: list[Reason] = field(default_factory=list)
    action: str = ""
    frees: int = 0

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


@dataclass(slots=True)
class OwnerReview:
    owner: str | None
    items: list[ReviewItem] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.owner if self.owner is not None else NO_OWNER

    @property
    def frees(self) -> int:
        return sum(i.frees for i in self.items)


@dataclass(slots=True)
class RulesetLine:
    name: str
    rules: int
    max_rules: int | None
    frees: int  # slots the suggested actions of the rules listed free in this ruleset


@dataclass
class Review:
    today: dt.date
    owners: list[OwnerReview]
    rulesets: list[RulesetLine]
    notices: list[str] = field(default_factory=list)  # run-level remarks for stderr
    load_problems: int = 0  # findings RL001-RL005: rules that could not be reviewed
    owner_filter: list[str] | None = None

    @property
    def items(self) -> list[ReviewItem]:
        return [i for o in self.owners for i in o.items]

    @property
    def frees(self) -> int:
        return sum(o.frees for o in self.owners)


def review_selection(select: list[str], ignore: list[str]) -> list[str]:
    """The codes a review run turns on: the review checks the selection enables (as in
    check), plus what it needs to say about the run. Empty when no review check is on."""
    codes = [c for c in REVIEW_CODES if is_enabled(c, select, ignore)]
    if not codes:
        return []
    return codes + [c for c in CONTEXT_CODES if c == "RL001" or is_enabled(c, select, ignore)]


def _action(item: ReviewItem, semantics: str, missing: list[str], expires: Any) -> tuple[str, int]:
    codes = set(item.codes)
    if codes & set(NEVER_DECIDES) or ("RL202" in codes and semantics == "first-match"):
        return "delete", 1
    if "RL401" in codes:
        return "delete or extend expires", 1
    if "RL404" in codes:
        return "delete or keep with a reason", 1
    if "RL202" in codes:
        return "keep one", 1
    if "RL402" in codes:
        return f"delete on {expires} or extend expires", 1
    parts = []
    if "RL403" in codes:
        parts.append("re-review")
    if missing and "RL501" in codes:
        parts.append("add " + ", ".join(missing))
    return "; ".join(parts) or "decide", 0


def _matches_owner(owner: str | None, wanted: list[str]) -> bool:
    for w in wanted:
        if w.strip().lower() in (NO_OWNER, "none", "") and owner is None:
            return True
        if owner is not None and owner.lower() == w.strip().lower():
            return True
    return False


def build_review(report: Any, owners: list[str] | None = None) -> Review:
    """Group the review findings of ``report`` by the owner of their rule."""
    project = report.project
    settings = project.settings
    required = list(settings.config.require)
    items: dict[tuple[str, str, str | None], ReviewItem] = {}
    entries: dict[tuple[str, str, str | None], Any] = {}
    load_problems = 0
    notices = list(report.notices)
    index: dict[str, dict[tuple[str, str], Any]] = {}  # ruleset -> (id, file) -> entry
    for f in report.findings:
        if f.code in ("RL001", "RL002", "RL003", "RL004", "RL005"):
            load_problems += 1
            continue
        if f.code == "RL903":  # the hit log names ids no rule has: said once, as in check
            notices.append(f.message)
            continue
        if f.code not in REVIEW_CODES or not f.rule_ids or f.ruleset not in project.rulesets:
            continue
        rs = project.rulesets[f.ruleset]
        key = (rs.name, f.rule_ids[0], f.file)
        item = items.get(key)
        if item is None:
            by_key = index.get(rs.name)
            if by_key is None:
                by_key = index[rs.name] = {}
                for r in rs.rules:
                    by_key.setdefault((r.id, r.file), r)
            entry = by_key.get((key[1], f.file))
            owner = entry.rule.owner if entry is not None else None
            item = items[key] = ReviewItem(key[1], rs.name, f.file, f.line, owner or None)
            entries[key] = entry
        if item.line is None or (f.line is not None and f.line < item.line):
            item.line = f.line
        item.reasons.append(Reason(f.code, CHECKS[f.code].name, str(f.severity), f.message))
    by_owner: dict[str | None, OwnerReview] = {}
    for key, item in items.items():
        entry = entries[key]
        rs = project.rulesets[item.ruleset]
        item.reasons.sort(key=lambda r: REVIEW_CODES.index(r.code))
        missing = [] if entry is None else [
            k for k in required if getattr(entry.rule, k, None) in (None, "", [])
        ]
        expires = entry.rule.expires if entry is not None else None
        item.action, item.frees = _action(item, rs.semantics, missing, expires)
        if owners and not _matches_owner(item.owner, owners):
            continue
        by_owner.setdefault(item.owner, OwnerReview(item.owner)).items.append(item)
    for o in by_owner.values():
        o.items.sort(key=lambda i: (-i.frees, i.ruleset, i.file or "", i.line or 0, i.rule_id))
    ordered = sorted(
        by_owner.values(),
        key=lambda o: (-o.frees, -len(o.items), o.owner is None, (o.owner or "").lower()),
    )
    freed: dict[str, int] = {}
    for o in ordered:
        for i in o.items:
            freed[i.ruleset] = freed.get(i.ruleset, 0) + i.frees
    lines = [
        RulesetLine(rs.name, rs.rules, rs.max_rules, freed.get(rs.name, 0))
        for rs in report.rulesets
    ]
    return Review(settings.today, ordered, lines, notices, load_problems, owners)


def review_dict(review: Review) -> dict[str, Any]:
    """The JSON document (version 1) of a review; README "rulelint review" shows its shape."""
    return {
        "version": 1,
        "today": review.today.isoformat(),
        "summary": {
            "rules": len(review.items),
            "owners": len(review.owners),
            "frees": review.frees,
            "load_problems": review.load_problems,
            "rulesets": [
                {"name": r.name, "rules": r.rules, "max_rules": r.max_rules, "frees": r.frees}
                for r in review.rulesets
            ],
        },
        "owners": [
            {
                "owner": o.owner,
                "label": o.label,
                "frees": o.frees,
                "rules": [
                    {
                        "id": i.rule_id,
                        "ruleset": i.ruleset,
                        "file": i.file,
                        "line": i.line,
                        "codes": i.codes,
                        "reasons": [
                            {"code": r.code, "name": r.name, "severity": r.severity,
                             "message": r.message}
                            for r in i.reasons
                        ],
                        "action": i.action,
                        "frees": i.frees,
                    }
                    for i in o.items
                ],
            }
            for o in review.owners
        ],
    }
