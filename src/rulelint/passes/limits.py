"""RL101 over-limit, RL102 near-limit, RL103 too-complex: the caps of the target system."""

from __future__ import annotations

from collections.abc import Iterator

from rulelint.load.project import RuleSet, usage
from rulelint.passes import Pass
from rulelint.report.findings import Finding, LazyContent


def _where(rs: RuleSet) -> tuple[str | None, int | None]:
    for info in rs.files:
        data = info.doc.data
        if isinstance(data, dict) and "limits" in data:
            return info.source.display, data.line_of("limits")
    if rs.files:
        return rs.files[0].source.display, 1
    return None, None


_NOUN = {"rules": "rules", "bytes": "bytes of enabled rules (compact JSON)", "cost": "cost units"}
_CAP = {"rules": "max_rules", "bytes": "max_bytes", "cost": "max_cost"}


def check_ruleset(rs: RuleSet, enabled) -> Iterator[Finding]:
    file, line = _where(rs)
    for measure, used, cap in usage(rs):
        noun = _NOUN[measure]
        if used > cap:
            if enabled("RL101"):
                yield Finding(
                    "RL101",
                    f"ruleset {rs.name!r} holds {used:,} {noun}, over its {_CAP[measure]} of "
                    f"{cap:,} by {used - cap:,}; the target system will refuse new rules. "
                    "Remove or merge rules (rulelint suggest-merge)",
                    file, line, ruleset=rs.name, content_key=f"{measure}:{cap}",
                )
        elif cap and used >= rs.warn_ratio * cap and enabled("RL102"):
            yield Finding(
                "RL102",
                f"ruleset {rs.name!r} holds {used:,} of {cap:,} {noun} "
                f"({used / cap:.0%}, warn at {rs.warn_ratio:.0%}); {cap - used:,} left",
                file, line, ruleset=rs.name, content_key=f"{measure}:{cap}",
            )
    if not enabled("RL103"):
        return
    max_c, max_v = rs.limits.max_conditions, rs.limits.max_values
    if max_c is None and max_v is None:
        return
    for r in rs.rules:
        n_cond = len(r.rule.match)
        n_val = sum(c.value_count for c in r.conditions.values())
        parts = []
        if max_c is not None and n_cond > max_c:
            parts.append(f"{n_cond} conditions (max_conditions {max_c})")
        if max_v is not None and n_val > max_v:
            parts.append(f"{n_val} values (max_values {max_v})")
        if parts:
            yield Finding(
                "RL103",
                f"rule {r.id!r} has {' and '.join(parts)}; split it or simplify its match",
                r.file, r.id_line or r.line, ruleset=rs.name, rule_ids=[r.id],
                content_key=LazyContent(r),
            )


def run(ctx) -> Iterator[Finding]:
    for rs in ctx.project.rulesets.values():
        yield from check_ruleset(rs, ctx.enabled)


PASS = Pass("limits", ("RL101", "RL102", "RL103"), run)
