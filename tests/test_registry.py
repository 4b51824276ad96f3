"""The check registry and ``rulelint rule``: every code of SPEC.md is documented, with the
name and default severity SPEC.md gives it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rulelint.report.registry import CHECKS, is_enabled, lookup, unknown_selectors

SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "SPEC.md"
ROW = re.compile(r"^\|\s*(RL\d{3})\s*\|\s*([a-z0-9-]+)\s*\|\s*(error|warning|info)\s*\|(.+)\|\s*$")


def spec_table() -> dict[str, tuple[str, str]]:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not present")
    rows = {}
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    assert len(rows) >= 20, "could not parse the check table of SPEC.md"
    return rows


def test_every_spec_code_is_in_the_registry_with_its_name_and_severity():
    table = spec_table()
    missing = sorted(set(table) - set(CHECKS))
    assert missing == []
    for code, (name, severity) in table.items():
        check = CHECKS[code]
        assert (check.name, str(check.severity)) == (name, severity), code


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_every_check_is_documented(code):
    c = CHECKS[code]
    assert c.code == code and re.fullmatch(r"RL\d{3}", code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", c.name)
    for part in ("summary", "what", "why", "fix", "example"):
        text = getattr(c, part)
        assert isinstance(text, str) and len(text.strip()) >= 10, (code, part)
    assert "\n" not in c.summary


def test_names_are_unique():
    names = [c.name for c in CHECKS.values()]
    assert len(names) == len(set(names))


def test_lookup_by_code_or_name():
    assert lookup("RL302").name == "shadowed"
    assert lookup("rl302") is CHECKS["RL302"]
    assert lookup("shadowed") is CHECKS["RL302"]
    assert lookup(" Shadowed ") is CHECKS["RL302"]
    assert lookup("RL999") is None and lookup("nothing") is None


def test_selector_semantics():
    assert is_enabled("RL301", [], [])
    assert not is_enabled("RL301", ["RL2"], [])
    assert is_enabled("RL301", ["RL3"], [])
    assert not is_enabled("RL301", ["RL3"], ["RL301"])
    assert is_enabled("RL302", ["RL3"], ["RL301"])
    assert is_enabled("RL301", ["RL301"], ["RL3"])
    assert not is_enabled("RL301", ["ALL"], ["RL"])
    assert unknown_selectors(["RL3", "RL301", "ALL", "RL8", "rl2", "foo"]) == ["RL8", "foo"]


# --- the CLI -------------------------------------------------------------------------------------


def test_rule_table(cli, tmp_path):
    result = cli("rule", cwd=tmp_path)
    assert result.exit_code == 0
    for code, check in CHECKS.items():
        assert re.search(rf"^{code}\s+{re.escape(check.name)}\s+{check.severity}\s", result.output,
                         re.M), code
    assert "rulelint rule CODE" in result.output


def test_rule_table_formats(cli, tmp_path):
    result = cli("rule", "--format", "json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert [d["code"] for d in data] == list(CHECKS)
    assert set(data[0]) == {"code", "name", "severity", "summary", "what", "why", "fix", "example"}
    md = cli("rule", "--format", "markdown", cwd=tmp_path).output
    assert md.startswith("| code | name | severity | summary |")
    assert md.count("\n| RL") == len(CHECKS)


@pytest.mark.parametrize("arg", ["RL302", "rl302", "shadowed"])
def test_rule_doc(cli, tmp_path, arg):
    result = cli("rule", arg, cwd=tmp_path)
    assert result.exit_code == 0
    out = result.output
    c = CHECKS["RL302"]
    assert "RL302" in out and "shadowed" in out and "error" in out
    for heading in ("What it means", "Why it matters", "How to fix it", "Example"):
        assert heading in out
    first_words = " ".join(c.what.split()[:4])
    assert first_words in " ".join(out.split())


def test_rule_doc_markdown_and_json(cli, tmp_path):
    md = cli("rule", "RL201", "--format", "markdown", cwd=tmp_path)
    assert md.output.startswith("# RL201 duplicate-rule (error)")
    js = json.loads(cli("rule", "RL201", "--format", "json", cwd=tmp_path).stdout)
    assert js["code"] == "RL201" and js["fix"] == CHECKS["RL201"].fix


@pytest.mark.parametrize("arg", ["RL999", "nonsense", "RL30"])
def test_rule_unknown_is_exit_2(cli, tmp_path, arg):
    result = cli("rule", arg, cwd=tmp_path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and arg in lines[0] and "Traceback" not in result.output


def test_rule_bad_format_is_exit_2(cli, tmp_path):
    assert cli("rule", "RL302", "--format", "yaml", cwd=tmp_path).exit_code == 2
