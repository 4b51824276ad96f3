"""RL104 cap-forecast: the date each capped ruleset reaches ``max_rules`` at its recent growth.

Only inside a git repository, for rulesets with enough history (two commits touching them at
least a week apart) that are growing; flat, shrinking and full rulesets get nothing here
(``rulelint history`` says why). The walk reads only the last ``window`` days of history.
"""

from __future__ import annotations

from collections.abc import Iterator

from rulelint.history import growth as history
from rulelint.history.git import GitError
from rulelint.passes import Pass
from rulelint.report.findings import Finding


def _where(rs) -> tuple[str | None, int | None]:
    for info in rs.files:
        data = info.doc.data
        if isinstance(data, dict) and "limits" in data:
            return info.source.display, data.line_of("limits")
    return (rs.files[0].source.display, 1) if rs.files else (None, None)


def run(ctx) -> Iterator[Finding]:
    try:
        forecasts = history.project_forecasts(ctx.project, ctx.settings)
    except GitError as exc:
        ctx.cache.setdefault("notices", []).append(f"no cap forecast (RL104): {exc}")
        return
    ctx.cache["forecasts"] = forecasts
    for h in forecasts:
        if h.status != "growing":
            continue
        rs = ctx.project.rulesets[h.name]
        file, line = _where(rs)
        yield Finding(
            "RL104",
            f"{h.sentence()}. Plan a clean-up before then (rulelint suggest-merge; "
            "`rulelint history` shows the trend)",
            file, line, ruleset=h.name, content_key=f"forecast:{h.max_rules}",
        )


PASS = Pass("forecast", ("RL104",), run)
