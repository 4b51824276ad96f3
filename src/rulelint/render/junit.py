"""``--format junit``: JUnit XML for CI test-report views (GitLab, Jenkins, Azure...).

One ``testsuite`` per ruleset (findings outside any ruleset, such as a file that is not
valid YAML, get a suite named after their file). One ``testcase`` per rule, named after the
rule id, with the ``file`` and ``line`` of the rule (GitLab shows them): a rule without
findings is a passing test, so the test report counts the rules checked, as GitLab's and
Jenkins' views count test cases (they read ``testcase`` elements, not the ``tests``
attributes). A rule the loader could not read (a schema error) still gets a case, from its
findings. Each ruleset also has a ``capacity`` case for its ruleset-wide findings (over or
near the cap). Errors and warnings make the case fail (one ``failure`` listing every
finding of the case); info findings leave it passing and are listed in ``system-out``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from rulelint.engine import Report
from rulelint.render.text import format_event
from rulelint.report.findings import Finding, Severity

CAPACITY_CASE = "capacity"
# characters XML 1.0 cannot hold even escaped
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(s: str) -> str:
    return _INVALID_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", s)


@dataclass
class _Case:
    name: str
    file: str | None
    line: int | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is not Severity.INFO]


def _describe(f: Finding) -> str:
    where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "-")
    text = f"{f.code} {f.name} ({f.severity}) at {where}: {f.message}"
    if f.witness is not None:
        text += f"\n  witness: {format_event(f.witness)}"
    return text


def _groups(report: Report) -> dict[str, dict[tuple, _Case]]:
    suites: dict[str, dict[tuple, _Case]] = {}
    for rs in report.rulesets:
        cases = suites[rs.name] = {("capacity",): _Case(CAPACITY_CASE, None, None)}
        loaded = report.project.rulesets.get(rs.name)
        for rule in loaded.rules if loaded is not None else ():
            cases.setdefault(("rule", rule.id, rule.file), _Case(rule.id, rule.file, rule.line))
    for f in report.findings:
        suite = f.ruleset or f.file or "rulelint"
        cases = suites.setdefault(suite, {})
        if f.rule_ids:
            key: tuple = ("rule", f.rule_ids[0], f.file)
            name = f.rule_ids[0]
        elif f.ruleset:
            key, name = ("capacity",), CAPACITY_CASE
        else:
            key, name = ("file", f.file), f.file or "rulelint"
        case = cases.get(key)
        if case is None:
            case = cases[key] = _Case(name, f.file, f.line)
        if case.file is None and f.file:
            case.file, case.line = f.file, f.line
        case.findings.append(f)
    return suites


def junit_tree(report: Report) -> ET.Element:
    root = ET.Element("testsuites", name="rulelint")
    total = failed = 0
    for suite_name, cases in _groups(report).items():
        suite = ET.SubElement(root, "testsuite", name=xml_text(suite_name))
        n_fail = 0
        for case in cases.values():
            attrs = {"name": xml_text(case.name), "classname": xml_text(f"rulelint.{suite_name}")}
            if case.file:
                attrs["file"] = xml_text(case.file)
            if case.line:
                attrs["line"] = str(case.line)
            el = ET.SubElement(suite, "testcase", attrs, time="0")
            failing = case.failing
            if failing:
                n_fail += 1
                first = failing[0]
                more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
                fail = ET.SubElement(
                    el,
                    "failure",
                    message=xml_text(f"{first.code} {first.name}: {first.message}{more}"),
                    type=",".join(dict.fromkeys(f.code for f in failing)),
                )
                fail.text = xml_text("\n".join(_describe(f) for f in failing))
            infos = [f for f in case.findings if f.severity is Severity.INFO]
            if infos:
                out = ET.SubElement(el, "system-out")
                out.text = xml_text("\n".join(_describe(f) for f in infos))
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", "0")
        total += len(cases)
        failed += n_fail
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    return root


def render(report: Report) -> str:
    root = junit_tree(report)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
