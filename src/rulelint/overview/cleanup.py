"""What a clean-up frees, per ruleset: the slots ``suggest-merge`` frees with no option, with
``--include-redundant`` and with ``--include-shadowed``, and the slots expired and unused rules
take.

``frees`` is the one place these numbers come from. The merge numbers are the planner's
(``consolidate/merge.py``, with ``consolidate/redundant.py`` for the removals), asked the way
the RL601 pass asks it; ``include_shadowed`` is, until the check pipeline reports it, the
removals plus the slots of the rules that never decide (the rule of each RL302 finding and the
losing rule of each RL202 finding), counted from the findings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rulelint.consolidate.merge import plan_merges
from rulelint.engine import Report, make_enabled
from rulelint.load.config import Settings
from rulelint.util.gcpause import paused_gc

NEVER_DECIDES = ("RL302", "RL202")  # the finding's first rule never decides
# Above this many live rules the removals are not planned here: at 100k rules
# ``--include-redundant`` planning takes minutes (see BENCHMARKS.md, "HTML report"), so the
# page says to run the command instead of making the report many times slower than ``check``.
REDUNDANT_PLAN_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Frees:
    merge: int  # suggest-merge
    include_redundant: int | None  # suggest-merge --include-redundant (None: not worked out)
    include_shadowed: int | None  # suggest-merge --include-shadowed (see the module docstring)
    never_decides: int  # slots of the RL302 / RL202 rules (what --include-shadowed adds)
    expired: int  # slots of RL401 rules
    unused: int  # slots of RL404 rules
    shared: bool = False  # True once the numbers come from the check pipeline's summary


_COUNTED = (*NEVER_DECIDES, "RL401", "RL404")


def _rules_by_code(report: Report) -> dict[tuple[str | None, str], set[str]]:
    """(ruleset, code) -> the rules the findings of that code are about, in one pass."""
    out: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for f in report.findings:
        if f.code in _COUNTED and f.rule_ids:
            out[(f.ruleset, f.code)].add(f.rule_ids[0])
    return out


def frees(report: Report, settings: Settings) -> dict[str, Frees]:
    """Ruleset name -> what each clean-up frees.

    Swap point: when ``summary.rulesets[].frees`` lands in the check pipeline, take
    ``merge``, ``include_redundant`` and ``include_shadowed`` from it here (and set
    ``shared=True``); nothing else in the report changes."""
    keys = tuple(settings.config.merge.keys)
    summaries = {rs.name: rs for rs in report.rulesets}
    planned = make_enabled(settings)("RL601")  # then the check ran this very planner
    rules_of = _rules_by_code(report)
    out: dict[str, Frees] = {}
    with paused_gc():
        for name, rs in report.project.rulesets.items():
            if planned and name in summaries:
                merged = summaries[name].mergeable_slots
            else:
                merged = plan_merges(rs, keys).freed
            redundant = None
            if len(rs.live_rules()) <= REDUNDANT_PLAN_LIMIT:
                redundant = plan_merges(rs, keys, include_redundant=True).freed
            never = len(rules_of[(name, "RL302")] | rules_of[(name, "RL202")])
            out[name] = Frees(
                merge=merged,
                include_redundant=redundant,
                include_shadowed=None if redundant is None else redundant + never,
                never_decides=never,
                expired=len(rules_of[(name, "RL401")]),
                unused=len(rules_of[(name, "RL404")]),
            )
    return out
