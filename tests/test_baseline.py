"""``--write-baseline`` / ``--baseline``: accept today's findings, fail on new ones; and the
order of filters (inline suppressions before the baseline)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulelint.cli import app

RULES = """\
ruleset: support
rules:
  - id: enterprise
    action: keep_open
    match: {plan: enterprise, region: DE}
  - id: enterprise-again
    action: keep_open
    match: {plan: enterprise, region: DE}
  - id: jp
    action: escalate
    match: {region: JP}
  - id: jp-pro
    action: close
    match: {region: JP, plan: pro}
"""

# the same rules with the two independent blocks swapped, comments, blank lines and block
# style: no rule is on the same line, the relative order of overlapping rules is kept
MOVED = """\
ruleset: support
# a comment that shifts every line

rules:
  - id: jp
    action: escalate
    match:
      region: JP

  - id: jp-pro
    action: close
    match: {region: JP, plan: pro}
  # the enterprise block moved below
  - id: enterprise
    action: keep_open
    match: {plan: enterprise, region: DE}
  - id: enterprise-again
    action: keep_open
    match: {plan: enterprise, region: DE}
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for var in ("GITHUB_ACTIONS", "RULELINT_FORMAT"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path


def check(*args: str) -> tuple[int, dict | None, str]:
    r = CliRunner().invoke(app, ["check", "rules.yaml", *args])
    data = json.loads(r.stdout) if "json" in args and r.stdout.strip() else None
    return r.exit_code, data, r.stderr


def codes(data: dict) -> list[str]:
    return sorted(f["code"] for f in data["findings"])


def test_write_baseline_records_every_finding(here: Path) -> None:
    code, ref, _ = check("--format", "json")
    assert code == 1 and ref["findings"]
    code, _, err = check("--write-baseline", "baseline.json")
    assert code == 0
    assert f"wrote {len(ref['findings'])} finding" in err
    doc = json.loads((here / "baseline.json").read_text())
    assert doc["version"] == 1
    assert sorted(e["fingerprint"] for e in doc["findings"]) == sorted(
        f["fingerprint"] for f in ref["findings"]
    )
    for e in doc["findings"]:
        f = next(f for f in ref["findings"] if f["fingerprint"] == e["fingerprint"])
        assert (e["code"], e["ruleset"], e["rule_ids"], e["message"]) == (
            f["code"], f["ruleset"], f["rule_ids"], f["message"]
        )
    assert [p.name for p in here.iterdir() if p.name.endswith(".tmp")] == []


def test_baseline_suppresses_known_findings_and_survives_moving_rules(here: Path) -> None:
    _, first, _ = check("--format", "json")
    check("--write-baseline", "baseline.json")
    code, data, _ = check("--baseline", "baseline.json", "--format", "json")
    assert code == 0 and data["findings"] == []
    (here / "rules.yaml").write_text(MOVED)
    code, moved, _ = check("--format", "json")
    assert code == 1 and moved["findings"]  # the findings are still there, on other lines...
    old_lines = {f["fingerprint"]: f["line"] for f in first["findings"]}
    assert all(old_lines[f["fingerprint"]] != f["line"] for f in moved["findings"])
    code, data, _ = check("--baseline", "baseline.json", "--format", "json")
    assert code == 0 and data["findings"] == []  # ...and still suppressed


def test_new_finding_fails_and_stale_entries_are_reported(here: Path) -> None:
    check("--write-baseline", "baseline.json")
    before = json.loads((here / "baseline.json").read_text())["findings"]
    # fix the shadowing by changing jp-pro's content; add a new duplicate instead
    text = RULES.replace("match: {region: JP, plan: pro}", "match: {region: KR, plan: pro}")
    assert text != RULES
    text += "  - id: jp-copy\n    action: escalate\n    match: {region: JP}\n"
    (here / "rules.yaml").write_text(text)
    code, data, _ = check("--baseline", "baseline.json", "--format", "json")
    assert code == 1
    new = [f for f in data["findings"] if f["code"] != "RL902"]
    assert [f["rule_ids"][0] for f in new] == ["jp-copy"]
    stale = [f for f in data["findings"] if f["code"] == "RL902"]
    gone = [e for e in before if "jp-pro" in e["rule_ids"]]
    assert gone and len(stale) == len(gone)
    lines = (here / "baseline.json").read_text().splitlines()
    for f in stale:
        assert f["severity"] == "info" and f["file"] == "baseline.json"
        assert any(e["fingerprint"] in lines[f["line"] - 1] for e in gone)
        assert "matches no current finding" in f["message"]
    # stale entries can be turned off like any check
    _, data, _ = check("--baseline", "baseline.json", "--format", "json", "--ignore", "RL902")
    assert "RL902" not in codes(data)


def test_rewriting_keeps_the_file_mode(here: Path) -> None:
    target = here / "baseline.json"
    target.write_text("{}")
    os.chmod(target, 0o640)
    code, _, _ = check("--write-baseline", "baseline.json")
    assert code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert json.loads(target.read_text())["findings"]


def test_inline_suppressions_apply_before_the_baseline(here: Path) -> None:
    text = RULES.replace(
        "  - id: jp-pro\n", "  - id: jp-pro   # rulelint: ignore[RL302] known, ticket CS-9\n"
    )
    (here / "rules.yaml").write_text(text)
    check("--write-baseline", "baseline.json")
    doc = json.loads((here / "baseline.json").read_text())
    assert "RL302" not in {e["code"] for e in doc["findings"]}  # suppressed inline: not recorded
    code, data, _ = check("--baseline", "baseline.json", "--format", "json")
    assert code == 0 and data["findings"] == []
    # removing the comment brings the finding back: the baseline never held it
    (here / "rules.yaml").write_text(RULES)
    code, data, _ = check("--baseline", "baseline.json", "--format", "json")
    assert code == 1 and codes(data) == ["RL302"]


def test_unused_inline_suppression_is_reported(here: Path) -> None:
    text = RULES.replace("  - id: jp\n", "  - id: jp   # rulelint: ignore[RL404] rarely used\n")
    (here / "rules.yaml").write_text(text)
    code, data, _ = check("--format", "json")
    unused = [f for f in data["findings"] if f["code"] == "RL901"]
    assert len(unused) == 1 and unused[0]["rule_ids"] == ["jp"] and unused[0]["line"] == 9


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"version": 1, "findings": [', "baseline.json:1: baseline file is not valid JSON"),
        ('{\n  "version": 1,\n  "findings": [}\n', "baseline.json:3: baseline file is not valid"),
        ("[1, 2]", "not a rulelint baseline"),
        ('{"version": 7, "findings": []}', "baseline version 7 is not supported"),
        ('{"version": 1, "findings": [{"code": "RL301"}]}', 'findings[0] has no "fingerprint"'),
    ],
)
def test_bad_baseline_is_a_clear_error(here: Path, content: str, needle: str) -> None:
    (here / "baseline.json").write_text(content)
    code, _, err = check("--baseline", "baseline.json")
    assert code == 2
    assert needle in err and "Traceback" not in err


def test_missing_baseline_says_how_to_create_it(here: Path) -> None:
    code, _, err = check("--baseline", "nope.json")
    assert code == 2 and "--write-baseline nope.json" in err


def test_write_baseline_refuses_base(here: Path) -> None:
    code, _, err = check("--write-baseline", "b.json", "--base", "HEAD")
    assert code == 2 and "drop --base" in err
    assert not (here / "b.json").exists()


def test_baseline_round_trip_as_a_subprocess(here: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "rulelint", "check", "rules.yaml", *args],
            capture_output=True, text=True, cwd=here, check=False,
        )

    assert run().returncode == 1
    assert run("--write-baseline", "bl.json").returncode == 0
    done = run("--baseline", "bl.json", "--format", "github")
    # no annotations left; the run's notes (no git here) stay as ::notice title=rulelint:: lines
    assert done.returncode == 0
    assert all(ln.startswith("::notice title=rulelint::") for ln in done.stdout.splitlines())
