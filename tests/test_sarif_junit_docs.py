"""SARIF ``helpUri`` and ``endLine``, docs/rules.md kept in step with the registry, and
JUnit's one test case per rule (issue 18, items 8 and 9). All through the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from typer.testing import CliRunner

from ci_gitrepo import Repo
from rulelint.cli import app
from rulelint.load.loading import parse_text
from rulelint.render.rules_doc import REGENERATE
from rulelint.render.spans import last_line
from rulelint.report.registry import CHECKS
from rulelint.util.lines import split_keepends
from test_formats import SARIF_SUBSET

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"

# every rule's first and last line, by hand: blank lines, comments, a block scalar, a flow
# rule on one line and a flow list over two lines
SPANS_RULES = """\
ruleset: spans
rules:
  - id: first
    action: keep
    match:
      plan: pro
      region: [JP,
        KR]

  # the same rule again
  - id: dup
    action: keep
    match:
      plan: pro
      region: [JP, KR]
  - {id: flow, action: keep, match: {plan: pro, region: JP}}
  - id: last
    action: drop
    match: {plan: pro}
    description: |
      two lines
      of text
# a trailing comment

"""
SPANS = {"first": (3, 8), "dup": (11, 15), "flow": (16, 16), "last": (17, 22)}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    r = Repo(tmp_path / "repo")
    r.write("rules/spans.yaml", SPANS_RULES)
    r.commit("rules")
    monkeypatch.chdir(r.root)
    for var in ("GITHUB_ACTIONS", "RULELINT_FORMAT", "RULELINT_DOCS_URL"):
        monkeypatch.delenv(var, raising=False)
    return r.root


def invoke(*args: str, env: dict | None = None):
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# --- docs/rules.md -------------------------------------------------------------------------


def test_docs_rules_md_is_what_the_registry_generates() -> None:
    out = invoke("rule", "--all", "--format", "markdown").stdout
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert current == out, f"docs/rules.md is stale: regenerate it with `{REGENERATE}`"


def test_docs_rules_md_has_one_section_per_check_with_its_documentation() -> None:
    text = DOCS.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == [f"{c.code} {c.name}" for c in CHECKS.values()]
    for c in CHECKS.values():
        section = text.split(f"## {c.code} {c.name}\n", 1)[1].split("\n## ", 1)[0]
        for part in (c.summary, c.what, c.why, c.fix, c.example):
            assert part in section


def test_rule_all_rejects_a_code(repo: Path) -> None:
    result = invoke("rule", "RL301", "--all")
    assert result.exit_code == 2
    assert "--all" in result.output and "Traceback" not in result.output


# --- SARIF helpUri ------------------------------------------------------------------------


def sarif(*args: str, env: dict | None = None) -> dict:
    result = invoke("check", "rules", "--format", "sarif", *args, env=env)
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SARIF_SUBSET)
    return doc


def test_every_rule_descriptor_links_its_section_of_docs_rules_md(repo: Path) -> None:
    rules = sarif()["runs"][0]["tool"]["driver"]["rules"]
    anchors = {
        github_slug(h): h.split()[0]
        for h in re.findall(r"^## (.+)$", DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    }
    assert [r["id"] for r in rules] == list(CHECKS)
    for r in rules:
        parts = urlsplit(r["helpUri"])
        assert parts.scheme == "https" and parts.netloc  # SARIF 3.49.12: absolute
        assert parts.path.endswith("/docs/rules.md")
        assert anchors[parts.fragment] == r["id"]


def test_docs_url_can_point_elsewhere(repo: Path) -> None:
    base = "https://git.example.com/ops/rulelint/-/blob/v1/docs/rules.md"
    rules = sarif(env={"RULELINT_DOCS_URL": base})["runs"][0]["tool"]["driver"]["rules"]
    assert {r["helpUri"] for r in rules} == {
        f"{base}#{c.url_fragment}" for c in CHECKS.values()
    }


@pytest.mark.parametrize("bad", ["docs/rules.md", "https://x.example/rules.md#rl301"])
def test_a_docs_url_that_is_not_absolute_is_one_clear_error(repo: Path, bad: str) -> None:
    result = invoke("check", "rules", "--format", "sarif", env={"RULELINT_DOCS_URL": bad})
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "RULELINT_DOCS_URL" in lines[0] and "absolute" in lines[0]
    assert "internal error" not in result.output


# --- SARIF regions --------------------------------------------------------------------------


def _region_lines(phys: dict) -> tuple[int, int]:
    region = phys["region"]
    return region["startLine"], region.get("endLine", region["startLine"])


def test_results_span_the_lines_of_their_rule(repo: Path) -> None:
    results = sarif()["runs"][0]["results"]
    codes = {r["ruleId"] for r in results}
    assert {"RL201", "RL301"} <= codes, codes
    checked = 0
    for res in results:
        ids = res["properties"].get("ruleIds") or []
        if not ids or ids[0] not in SPANS:
            continue
        assert _region_lines(res["locations"][0]["physicalLocation"]) == SPANS[ids[0]]
        checked += 1
        for rel in res.get("relatedLocations", []):
            rid = re.fullmatch(r"rule '(.+)'", rel["message"]["text"]).group(1)
            assert _region_lines(rel["physicalLocation"]) == SPANS[rid]
    assert checked >= 2


def test_regions_as_a_subprocess(repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "rules", "--format", "sarif"],
        capture_output=True, text=True, cwd=repo, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, SARIF_SUBSET)
    dup = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "RL201")
    assert dup["locations"][0]["physicalLocation"]["region"] == {"startLine": 11, "endLine": 15}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the next item starts at column 1
        ("rules:\n- id: a\n  action: b\n  match: {}\n- id: c\n  action: b\n  match: {}", [(2, 4), (5, 7)]),
        # flow mappings: over two lines, then one line with a comment, then a top-level key
        ("rules:\n  - {id: a, action: b,\n     match: {}}\n  - {id: c, action: b, match: {}}  # x\nx-y: 1\n",
         [(2, 3), (4, 4)]),
        # comments and blank lines after the last rule, before a top-level key
        ("rules:\n  - id: a\n    action: b\n\n    # c\n    match: {}\n\n# z\n\nx-y: 1\n", [(2, 6)]),
    ],
)
def test_last_line_of_a_rule(text: str, expected: list[tuple[int, int]]) -> None:
    doc = parse_text(text, "t.yaml")
    lines = split_keepends(text)
    assert [(r.line, last_line(r, lines)) for r in doc.data["rules"]] == expected


# --- JUnit ----------------------------------------------------------------------------------


def test_junit_has_one_case_per_rule_passing_when_it_has_no_findings(repo: Path) -> None:
    today = ("--today", "2026-01-05")  # nothing is overdue for review yet
    ref = json.loads(invoke("check", "rules", "--format", "json", *today).stdout)
    result = invoke("check", "rules", "--format", "junit", *today)
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout.encode("utf-8"))
    (suite,) = root.findall("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["capacity", *SPANS]
    assert suite.get("tests") == root.get("tests") == str(len(cases))
    for rid, (start, _) in SPANS.items():
        case = cases[rid]
        assert case.get("file") == "rules/spans.yaml" and case.get("line") == str(start)
    failing_ids = {
        f["rule_ids"][0] for f in ref["findings"] if f["severity"] != "info" and f["rule_ids"]
    }
    assert failing_ids == {"dup", "flow"}  # RL201 and RL301; 'first' has only an info
    assert "RL601" in (cases["first"].findtext("system-out") or "")
    for rid in SPANS:
        assert (cases[rid].find("failure") is not None) == (rid in failing_ids), rid
    assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases.values()))


# --- docs/ci.md shows real output -----------------------------------------------------------

CI_EXAMPLE = """\
ruleset: support
rules:
  - id: vip
    action: escalate
    match:
      plan: enterprise
      region: [JP, KR]
    reviewed: 2026-11-01
  - id: vip-again
    action: escalate
    match:
      plan: enterprise
      region: [JP, KR]
    reviewed: 2026-11-01
  - id: jp-free
    action: keep
    match: {plan: free, region: JP}
    reviewed: 2026-11-01
"""


def _ci_block(lang: str, after: str) -> str:
    text = (DOCS.parent / "ci.md").read_text(encoding="utf-8")
    start = text.index(f"```{lang}\n", text.index(after)) + len(lang) + 4
    return text[start : text.index("```", start)]


def test_docs_ci_md_shows_the_real_junit_and_sarif_output(tmp_path: Path, monkeypatch) -> None:
    r = Repo(tmp_path / "repo")
    r.write("rules/support.yaml", CI_EXAMPLE)
    r.commit("rules")
    monkeypatch.chdir(r.root)
    monkeypatch.delenv("RULELINT_DOCS_URL", raising=False)
    junit = invoke("check", "--today", "2026-12-01", "--format", "junit").stdout
    assert junit == _ci_block("xml", "For the file above (real output")
    doc = json.loads(invoke("check", "--today", "2026-12-01", "--format", "sarif").stdout)
    res = doc["runs"][0]["results"][0]
    res.pop("message")
    shown = json.loads(_ci_block("json", "(real output, trimmed)"))
    assert {k: res[k] for k in shown} == shown
    rl201 = next(d for d in doc["runs"][0]["tool"]["driver"]["rules"] if d["id"] == "RL201")
    assert f'"helpUri": "{rl201["helpUri"]}"' in (DOCS.parent / "ci.md").read_text()
