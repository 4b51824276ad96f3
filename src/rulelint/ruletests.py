"""Rule tests: YAML files of ``{event, expect}`` cases, run against the reference evaluator.

A test file is a mapping with ``cases:`` (and optionally ``ruleset:``), or a bare list of
cases. ``expect`` is an action, ``none`` (no rule matches), a rule id, or explicitly
``{action: X}`` / ``{rule: ID}`` / ``{actions: [X, Y]}`` (any-match: the set of actions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.evaluate import Decision, decide
from rulelint.load.config import ConfigError
from rulelint.load.events import parse_event  # noqa: F401  (its old home)
from rulelint.load.files import display_path
from rulelint.load.loading import LocDict, LocList, load_file
from rulelint.load.project import Project, RuleSet

DEFAULT_TEST_GLOBS = ("tests/**/*.yaml", "tests/**/*.yml", "rules-tests/**/*.yaml")


@dataclass
class CaseResult:
    file: str
    line: int | None
    name: str
    ruleset: str
    event: dict[str, Any]
    expected: str
    passed: bool
    got: str = ""
    decision: Decision | None = None
    error: str | None = None


@dataclass
class TestRun:
    results: list[CaseResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files that could not be read

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]


def pick_ruleset(project: Project, name: str | None) -> RuleSet:
    if name is not None:
        rs = project.rulesets.get(name)
        if rs is None:
            known = ", ".join(sorted(project.rulesets)) or "none"
            raise ConfigError(f"no ruleset named {name!r} (loaded: {known})")
        return rs
    if len(project.rulesets) == 1:
        return next(iter(project.rulesets.values()))
    if not project.rulesets:
        raise ConfigError("no valid ruleset was loaded; run `rulelint check` to see why")
    raise ConfigError(
        "several rulesets are loaded ("
        + ", ".join(sorted(project.rulesets))
        + "); choose one with --ruleset"
    )


def describe(rs: RuleSet, d: Decision) -> str:
    if not d.actions:
        return "none (no rule matches)"
    if rs.semantics == "first-match":
        return f"{d.actions[0]!r} (rule {d.deciding[0].id!r})"
    return ", ".join(repr(a) for a in d.actions) + " (rules " + ", ".join(
        repr(r.id) for r in d.deciding
    ) + ")"


def _check(rs: RuleSet, expect: Any, d: Decision) -> tuple[bool, str]:
    actions = {r.action for r in rs.rules}
    ids = {r.id for r in rs.rules}
    if isinstance(expect, dict):
        if set(expect) == {"action"}:
            want = str(expect["action"])
            ok = want in d.actions if rs.semantics == "any-match" else d.actions == [want]
            return ok, f"action {want!r}"
        if set(expect) == {"rule"}:
            want = str(expect["rule"])
            return any(r.id == want for r in d.deciding), f"rule {want!r} to decide"
        if set(expect) == {"actions"} and isinstance(expect["actions"], list):
            want_set = sorted(str(a) for a in expect["actions"])
            return sorted(d.actions) == want_set, f"actions {want_set}"
        raise ValueError("expect takes an action, none, a rule id, or {action|rule|actions: ...}")
    if expect is None or (isinstance(expect, str) and expect.lower() == "none"):
        return not d.actions, "none (no rule matches)"
    want = str(expect)
    if want in actions:
        ok = want in d.actions if rs.semantics == "any-match" else d.actions == [want]
        return ok, f"action {want!r}"
    if want in ids:
        return any(r.id == want for r in d.deciding), f"rule {want!r} to decide"
    raise ValueError(f"expect {want!r} is neither an action nor a rule id of ruleset {rs.name!r}")


def find_test_files(paths: list[Path] | None, root: Path) -> list[Path]:
    import glob

    out: list[Path] = []
    if paths:
        for p in paths:
            if p.is_dir():
                out.extend(sorted(x for x in p.rglob("*.y*ml") if x.is_file()))
            elif p.exists():
                out.append(p)
            else:
                raise ConfigError(f"{p}: no such test file or directory")
    else:
        for g in DEFAULT_TEST_GLOBS:
            out.extend(Path(x) for x in sorted(glob.glob(str(root / g), recursive=True)))
    return out


def run_tests(project: Project, files: list[Path], ruleset: str | None, cwd: Path) -> TestRun:
    run = TestRun()
    for path in files:
        display = display_path(path.absolute(), cwd)
        doc = load_file(path, display)
        bad = [p for p in doc.problems if p.severity is None]
        if bad:
            where = f"{display}:{bad[0].line}" if bad[0].line else display
            message = bad[0].message
            if bad[0].line is None:  # the file itself (missing, a device...): say it once
                message = message.removeprefix(f"{display} ")
            run.errors.append(f"{where}: {message}")
            continue
        data = doc.data
        rs_name = ruleset
        if isinstance(data, LocDict):
            if "cases" not in data:
                continue  # not a rule-test file (maybe a rule file in the same folder)
            rs_name = rs_name or data.get("ruleset")
            cases = data.get("cases")
        else:
            cases = data
        if not isinstance(cases, LocList):
            run.errors.append(f"{display}: 'cases' must be a list of {{event, expect}}")
            continue
        try:
            rs = pick_ruleset(project, rs_name)
        except ConfigError as exc:
            run.errors.append(f"{display}: {exc}")
            continue
        for i, case in enumerate(cases):
            line = cases.line_of(i)
            if not isinstance(case, dict) or "event" not in case or "expect" not in case:
                run.errors.append(f"{display}:{line}: a case needs 'event' and 'expect'")
                continue
            name = str(case.get("name") or f"case {i + 1}")
            event = case["event"]
            if not isinstance(event, dict):
                run.errors.append(f"{display}:{line}: 'event' must be a mapping")
                continue
            event = {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in event.items()}
            d = decide(rs, event)
            try:
                ok, expected = _check(rs, case["expect"], d)
            except ValueError as exc:
                run.errors.append(f"{display}:{line}: {exc}")
                continue
            run.results.append(
                CaseResult(display, line, name, rs.name, event, expected, ok, describe(rs, d), d)
            )
    return run
