"""Machine formats of ``rulelint check``: SARIF, GitHub annotations, JUnit XML, Markdown.

Every expectation is derived from the JSON report of the same run (the reference format), so
these tests check the translation, not hard-coded findings.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from ci_gitrepo import Repo
from rulelint.cli import app
from rulelint.render.github import escape_data, escape_property
from rulelint.report.registry import CHECKS

RULES = """\
ruleset: support
semantics: first-match
limits: {max_rules: 5}
rules:
  - id: "vip:gold"
    action: "escalate, then notify: 100%"
    match: {plan: enterprise}
  - id: vip-dup
    action: "escalate, then notify: 100%"
    match: {plan: enterprise}
  - id: jp
    action: keep
    match: {region: JP}
  - id: late
    action: "close|now <&> \\"x\\" \\x01"
    match: {region: JP, plan: pro}
"""

CLEAN = """\
ruleset: clean
rules:
  - id: only
    action: keep
    match: {plan: pro}
"""

# The parts of the SARIF 2.1.0 schema (OASIS) that a producer must satisfy, plus what GitHub
# code scanning requires on top (a location with a start line for every result).
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": {"$ref": "#/$defs/run"}},
    },
    "$defs": {
        "message": {
            "type": "object", "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1}},
        },
        "mfString": {
            "type": "object", "required": ["text"],
            "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}},
        },
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {
                    "type": "object", "required": ["driver"],
                    "properties": {"driver": {"$ref": "#/$defs/driver"}},
                },
                "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
            },
        },
        "driver": {
            "type": "object",
            "required": ["name", "version", "informationUri", "rules"],
            "properties": {
                "name": {"const": "rulelint"},
                "informationUri": {"type": "string", "pattern": "^https://"},
                "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
            },
        },
        "rule": {
            "type": "object",
            "required": ["id", "name", "shortDescription", "fullDescription", "help",
                         "defaultConfiguration"],
            "properties": {
                "id": {"type": "string"},
                "shortDescription": {"$ref": "#/$defs/mfString"},
                "fullDescription": {"$ref": "#/$defs/mfString"},
                "help": {
                    "allOf": [{"$ref": "#/$defs/mfString"}, {"required": ["markdown"]}]
                },
                "defaultConfiguration": {
                    "type": "object", "required": ["level"],
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "ruleIndex", "level", "message", "locations",
                         "partialFingerprints"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/$defs/message"},
                "locations": {
                    "type": "array", "minItems": 1, "items": {"$ref": "#/$defs/location"}
                },
                "relatedLocations": {
                    "type": "array",
                    "items": {
                        "allOf": [{"$ref": "#/$defs/location"}, {"required": ["id", "message"]}]
                    },
                },
                "partialFingerprints": {
                    "type": "object", "minProperties": 1,
                    "additionalProperties": {"type": "string"},
                },
            },
        },
        "location": {
            "type": "object",
            "required": ["physicalLocation"],
            "properties": {
                "id": {"type": "integer", "minimum": 0},
                "message": {"$ref": "#/$defs/message"},
                "physicalLocation": {
                    "type": "object",
                    "required": ["artifactLocation", "region"],
                    "properties": {
                        "artifactLocation": {
                            "type": "object", "required": ["uri"],
                            "properties": {"uri": {"type": "string"},
                                           "uriBaseId": {"const": "%SRCROOT%"}},
                        },
                        "region": {
                            "type": "object", "required": ["startLine"],
                            "properties": {"startLine": {"type": "integer", "minimum": 1}},
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repo whose rules live in a subdirectory; the run happens in that subdirectory,
    so display paths (relative to it) differ from repository paths."""
    repo = Repo(tmp_path / "repo")
    repo.write("ops/rules/support.yaml", RULES)
    sub = repo.root / "ops"
    monkeypatch.chdir(sub)
    for var in ("GITHUB_ACTIONS", "RULELINT_FORMAT", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return sub


def run(*args: str, env: dict | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["check", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def reference(*args: str) -> dict:
    code, out = run(*args, "--format", "json")
    assert code in (0, 1)
    return json.loads(out)


def test_fixture_has_the_findings_these_tests_need(project: Path) -> None:
    codes = {f["code"] for f in reference("rules")["findings"]}
    assert {"RL102", "RL201", "RL302"} <= codes


# --- SARIF ------------------------------------------------------------------------------------


def test_sarif_has_required_fields_and_matches_the_json_report(project: Path) -> None:
    ref = reference("rules")
    code, out = run("rules", "--format", "sarif")
    assert code == 1
    doc = json.loads(out)
    jsonschema.validate(doc, SARIF_SUBSET)
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    run0 = doc["runs"][0]
    driver = run0["tool"]["driver"]
    rules = driver["rules"]
    # one descriptor per registry check, documented from the registry
    assert [r["id"] for r in rules] == list(CHECKS)
    for r in rules:
        c = CHECKS[r["id"]]
        assert r["name"] == c.name
        assert r["shortDescription"]["text"] == c.summary
        assert r["fullDescription"]["text"] == c.what
        assert c.fix in r["help"]["text"] and c.why in r["help"]["markdown"]
        level = {"error": "error", "warning": "warning", "info": "note"}[str(c.severity)]
        assert r["defaultConfiguration"]["level"] == level
    results = run0["results"]
    assert len(results) == len(ref["findings"])
    for res, f in zip(results, ref["findings"], strict=True):
        assert res["ruleId"] == f["code"]
        assert rules[res["ruleIndex"]]["id"] == f["code"]
        assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[
            f["severity"]
        ]
        assert res["message"]["text"].startswith(f["message"])
        loc = res["locations"][0]["physicalLocation"]
        # repository-relative: the run was in ops/, the file is ops/rules/support.yaml
        assert f["file"] == "rules/support.yaml"
        assert loc["artifactLocation"] == {
            "uri": "ops/rules/support.yaml", "uriBaseId": "%SRCROOT%"
        }
        assert loc["region"]["startLine"] == f["line"]
        assert res["partialFingerprints"] == {"rulelint/v1": f["fingerprint"]}
        if f["witness"] is not None:
            assert res["properties"]["witness"] == f["witness"]


def test_sarif_related_locations_point_at_the_other_rules(project: Path) -> None:
    doc = json.loads(run("rules", "--format", "sarif")[1])
    lines = {
        m.group(1): n
        for n, line in enumerate((project / "rules/support.yaml").read_text().splitlines(), 1)
        if (m := re.match(r'\s+- id: "?([^"]+)"?$', line))
    }
    shadowed = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "RL302"]
    assert shadowed
    for res in shadowed:
        related = res["relatedLocations"]
        assert len({r["id"] for r in related}) == len(related)
        for rel in related:
            rid = re.fullmatch(r"rule '(.+)'", rel["message"]["text"]).group(1)
            assert rid in res["properties"]["ruleIds"][1:]
            assert rel["physicalLocation"]["region"]["startLine"] == lines[rid]
            assert rel["physicalLocation"]["artifactLocation"]["uri"] == "ops/rules/support.yaml"


def test_sarif_without_findings_still_lists_the_rules(project: Path) -> None:
    (project / "clean.yaml").write_text(CLEAN)
    code, out = run("clean.yaml", "--format", "sarif")
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SARIF_SUBSET)
    assert doc["runs"][0]["results"] == []
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == len(CHECKS)


def test_sarif_as_a_subprocess(project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "rules", "--format", "sarif"],
        capture_output=True, text=True, cwd=project, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "\x1b[" not in proc.stdout and "\x1b[" not in proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SARIF_SUBSET)
    # stderr holds the run's notes only, the same as the SARIF notifications
    notes = [n["message"]["text"]
             for n in doc["runs"][0]["invocations"][0].get("toolExecutionNotifications", [])]
    assert proc.stderr.splitlines() == [f"rulelint: note: {n}" for n in notes]


# --- GitHub annotations -----------------------------------------------------------------------


def test_github_escaping_of_data_and_properties() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("rules/a,b:c%.yaml\n") == "rules/a%2Cb%3Ac%25.yaml%0A"
    # % first: an already-escaped-looking text must not be double-decoded by the runner
    assert escape_data("%0A") == "%250A"


def _unescape(s: str) -> str:
    for a, b in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        s = s.replace(a, b)
    return s


ANNOTATION = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


NOTE_PREFIX = "::notice title=rulelint::"  # a run-level note, not a finding


def parse_annotations(out: str) -> list[tuple[str, dict[str, str], str]]:
    """The annotations of findings (the run's notes, which have no file, left out)."""
    parsed = []
    for line in out.splitlines():
        if line.startswith(NOTE_PREFIX):
            continue
        m = ANNOTATION.match(line)
        assert m, line
        props = {}
        for part in m.group(2).split(","):
            key, _, value = part.partition("=")
            props[key] = _unescape(value)
        parsed.append((m.group(1), props, _unescape(m.group(3))))
    return parsed


def test_github_is_the_default_under_actions_and_round_trips(project: Path) -> None:
    ref = reference("rules")
    code, out = run("rules", env={"GITHUB_ACTIONS": "true"})
    assert code == 1
    assert "\x1b[" not in out
    annotations = parse_annotations(out)
    assert len(annotations) == len(ref["findings"])
    for (cmd, props, message), f in zip(annotations, ref["findings"], strict=True):
        assert cmd == {"error": "error", "warning": "warning", "info": "notice"}[f["severity"]]
        assert props["file"] == "ops/rules/support.yaml"  # repository-relative
        assert props["line"] == str(f["line"])
        assert props["title"] == f"rulelint ({f['code']})"
        assert message.startswith(f["message"])
        if f["witness"] is not None:
            assert "\nwitness: " in message
    raw = out.splitlines()
    assert any("%25" in line for line in raw)  # RL102: "80%"
    assert any("%0A" in line for line in raw)  # a witness on its own line


def test_github_escapes_commas_and_colons_in_file_names(project: Path) -> None:
    (project / "team,a:b.yaml").write_text(RULES.replace("support", "other"))
    code, out = run("team,a:b.yaml", "--format", "github", "--color", "always")
    assert code == 1 and "\x1b[" not in out
    for line in out.splitlines():
        assert "file=ops/team%2Ca%3Ab.yaml," in line or line.startswith(NOTE_PREFIX)
    for _, props, message in parse_annotations(out):
        assert props["file"] == "ops/team,a:b.yaml"
        assert "\r" not in message


def test_rulelint_format_env_and_explicit_flag(project: Path) -> None:
    _, out = run("rules", env={"RULELINT_FORMAT": "junit", "GITHUB_ACTIONS": "true"})
    assert out.startswith("<?xml")
    _, out = run("rules", "--format", "json", env={"RULELINT_FORMAT": "junit"})
    assert json.loads(out)["version"] == 1
    code, _ = run("rules", env={"RULELINT_FORMAT": "yaml"})
    assert code == 2


# --- JUnit ------------------------------------------------------------------------------------


def test_junit_parses_and_counts_failures(project: Path) -> None:
    ref = reference("rules")
    code, out = run("rules", "--format", "junit")
    assert code == 1
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["support"]
    cases = suites[0].findall("testcase")
    assert suites[0].get("tests") == str(len(cases))
    failing = [c for c in cases if c.find("failure") is not None]
    assert suites[0].get("failures") == str(len(failing)) == root.get("failures")
    # every error and warning is in a failure of the case of its rule; infos are not failures
    expected_fail = {
        (f["rule_ids"][0] if f["rule_ids"] else "capacity")
        for f in ref["findings"] if f["severity"] != "info"
    }
    assert {c.get("name") for c in failing} == expected_fail
    text = "\n".join(
        (c.findtext("failure") or "") + (c.findtext("system-out") or "") for c in cases
    )
    for f in ref["findings"]:
        assert f["code"] in text
    # XML-special characters survive the round trip
    assert "close|now <&> \"x\"" in text


def test_junit_makes_control_characters_visible(project: Path) -> None:
    """XML 1.0 cannot hold most control characters even escaped; they are shown as \\xNN."""
    from rulelint.load.config import resolve_settings
    from rulelint.pipeline import run_check
    from rulelint.render import junit
    from rulelint.report.findings import Finding

    report = run_check([Path("rules")], resolve_settings())
    report.findings.append(
        Finding("RL002", "bad\x01key\x1b[31m <&>", "rules/support.yaml", 2, ruleset="support")
    )
    root = ET.fromstring(junit.render(report))
    text = "".join(root.itertext())
    assert "bad\\x01key\\x1b[31m <&>" in text


def test_junit_clean_run_has_one_passing_case_per_ruleset(project: Path) -> None:
    (project / "clean.yaml").write_text(CLEAN)
    code, out = run("clean.yaml", "--format", "junit")
    assert code == 0
    root = ET.fromstring(out)
    assert root.get("tests") == "1" and root.get("failures") == "0"


# --- Markdown ---------------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_markdown_tables(project: Path) -> None:
    ref = reference("rules")
    code, out = run("rules", "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "## rulelint"
    s = ref["summary"]
    assert f"**{s['errors']} errors, {s['warnings']} warning" in out
    rs = s["rulesets"][0]
    row = next(line for line in lines if line.startswith("| support |"))
    cells = _cells(row)
    assert cells[:3] == ["support", str(rs["rules"]), str(rs["max_rules"])]
    left = rs["max_rules"] - rs["rules"]
    assert cells[3].startswith(f"{left} left ({rs['rules'] / rs['max_rules']:.0%} used)")
    finding_rows = [line for line in lines if re.match(r"\| RL\d{3} ", line)]
    assert len(finding_rows) == len(ref["findings"])
    for r in finding_rows:
        assert len(_cells(r)) == 5  # pipes inside messages are escaped
    # errors come first
    sev = [_cells(r)[1] for r in finding_rows]
    assert sev == sorted(sev, key=["error", "warning", "info"].index)
    shadowed = next(r for r in finding_rows if r.startswith("| RL302"))
    assert "close\\|now &lt;&amp;&gt;" in shadowed
    f302 = next(f for f in ref["findings"] if f["code"] == "RL302")
    assert _cells(shadowed)[2] == f"`{f302['file']}:{f302['line']}`"
    assert _cells(shadowed)[4].startswith("`") and "region=JP" in _cells(shadowed)[4]


def test_markdown_clean(project: Path) -> None:
    (project / "clean.yaml").write_text(CLEAN)
    code, out = run("clean.yaml", "--format", "markdown")
    assert code == 0
    assert "**All checks passed** (1 rule in 1 file)" in out
    assert "| code |" not in out


def test_run_notices_reach_markdown_and_sarif(project: Path) -> None:
    """Run-level remarks (git dates unavailable, hit log problems) are not findings: the
    Markdown summary quotes them and SARIF lists them as tool notifications."""
    from rulelint.load.config import resolve_settings
    from rulelint.pipeline import run_check
    from rulelint.render import markdown, sarif

    report = run_check([Path("rules")], resolve_settings())
    report.notices = ["hit log logs/hits.csv: 3 rows | unreadable"]
    md = markdown.render(report)
    assert "> Note: hit log logs/hits.csv: 3 rows \\| unreadable" in md
    doc = json.loads(sarif.render(report))
    jsonschema.validate(doc, SARIF_SUBSET)
    [inv] = doc["runs"][0]["invocations"]
    assert inv["executionSuccessful"] is True
    assert [n["message"]["text"] for n in inv["toolExecutionNotifications"]] == report.notices
