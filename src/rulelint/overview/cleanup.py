"""What a clean-up frees, per ruleset: the slots ``suggest-merge`` frees with no option, with
``--include-redundant`` and with ``--include-shadowed``, and the slots expired and unused rules
take.

``frees`` is the one place the page takes these numbers from: the check pipeline's
``summary.rulesets[].frees`` (the RL601 pass runs ``merge.plan_all`` once per run), so the page,
``check --format json`` and ``suggest-merge`` agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rulelint.consolidate.merge import plan_all
from rulelint.engine import Report
from rulelint.load.config import Settings
from rulelint.util.gcpause import paused_gc


@dataclass(frozen=True, slots=True)
class Frees:
    merge: int  # suggest-merge
    include_redundant: int  # suggest-merge --include-redundant
    include_shadowed: int  # suggest-merge --include-shadowed
    expired: int  # slots of RL401 rules
    unused: int  # slots of RL404 rules


_COUNTED = ("RL401", "RL404")


def _rules_by_code(report: Report) -> dict[tuple[str | None, str], set[str]]:
    """(ruleset, code) -> the rules the findings of that code are about, in one pass."""
    out: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for f in report.findings:
        if f.code in _COUNTED and f.rule_ids:
            out[(f.ruleset, f.code)].add(f.rule_ids[0])
    return out


def frees(report: Report, settings: Settings) -> dict[str, Frees]:
    """Ruleset name -> what each clean-up frees.

    The suggest-merge numbers are the check pipeline's own (``summary.rulesets[].frees``,
    made by the RL601 pass with ``merge.plan_all``: exactly what ``suggest-merge`` then frees
    with each flag). When RL601 is not selected the same planner is asked here, the same way."""
    keys = tuple(settings.config.merge.keys)
    summaries = {rs.name: rs for rs in report.rulesets}
    rules_of = _rules_by_code(report)
    out: dict[str, Frees] = {}
    with paused_gc():
        for name, rs in report.project.rulesets.items():
            shared = summaries[name].frees if name in summaries else None
            if shared is None:
                shared = {flag: plan.freed
                          for flag, plan in plan_all(rs, keys, named=False).items()}
            out[name] = Frees(
                merge=shared["merge"],
                include_redundant=shared["include_redundant"],
                include_shadowed=shared["include_shadowed"],
                expired=len(rules_of[(name, "RL401")]),
                unused=len(rules_of[(name, "RL404")]),
            )
    return out
