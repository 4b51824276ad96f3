"""``rulelint review``: one check run's findings per owner, in text, markdown, csv and json.

Real files in tmp dirs, the real CLI in-process (CliRunner) and as a subprocess, and a real
git repository for the review date that falls back to git."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

from conftest import assert_clean_exit, run_cli, write_rules
from git_helpers import Repo

EXAMPLE = Path(__file__).resolve().parents[1] / "rules.example.yaml"

TEAM = """\
ruleset: team
limits: {max_rules: 10}
rules:
  - id: a-first
    action: allow
    owner: alice@example.com
    description: the one that decides
    match: {region: JP}
    reviewed: 2026-10-01
  - id: a-dup
    action: allow
    owner: alice@example.com
    description: same as a-first
    match: {region: [JP]}
    reviewed: 2026-10-01
  - id: a-conflict
    action: deny
    owner: alice@example.com
    description: same match, other action
    match: {region: JP}
    reviewed: 2026-10-01
  - id: b-expired
    action: allow
    owner: bob@example.com
    description: an old campaign
    match: {campaign: X}
    reviewed: 2026-10-01
    expires: 2026-01-31
  - id: b-stale
    action: allow
    owner: bob@example.com
    description: not looked at for a long time
    match: {campaign: Y}
    reviewed: 2025-01-01
  - id: nobody
    action: allow
    match: {campaign: Z}
    reviewed: 2026-10-01
  - id: c-soon
    action: allow
    owner: carol@example.com
    description: ends next week
    match: {campaign: W}
    reviewed: 2026-10-01
    expires: 2026-12-08
"""

CONFIG = "require: [description, owner]\nstaleness: {review_days: 90, expiring_days: 14}\n"


def _team(tmp_path: Path) -> Path:
    write_rules(tmp_path, TEAM)
    write_rules(tmp_path, CONFIG, "rulelint.yaml")
    return tmp_path


def _json(cli, *args: str, cwd: Path) -> dict:
    result = cli("review", *args, "--format", "json", cwd=cwd)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _rules(doc: dict) -> dict[str, dict]:
    return {r["id"]: {**r, "owner": o["label"]} for o in doc["owners"] for r in o["rules"]}


def test_example_review_matches_the_check_findings(cli, tmp_path: Path):
    shutil.copy(EXAMPLE, tmp_path / "rules.example.yaml")
    doc = _json(cli, "rules.example.yaml", "--today", "2026-11-23", cwd=tmp_path)
    assert doc["version"] == 1 and doc["today"] == "2026-11-23"
    got = {i: (r["owner"], r["codes"], r["action"], r["frees"]) for i, r in _rules(doc).items()}
    assert got == {
        "enterprise-jp-billing-no-autoclose": ("apac-support@example.com", ["RL301"], "delete", 1),
        "blackfriday-2025-refund-waiver": (
            "billing-ops@example.com", ["RL401", "RL403"], "delete or extend expires", 1),
        "incident-review-no-autoclose": ("cs-ops@example.com", ["RL302"], "delete", 1),
        "legal-hold-keep-open": ("legal-ops@example.com", ["RL201"], "delete", 1),
    }
    # the reasons are the check's own findings, word for word
    check = cli("check", "rules.example.yaml", "--today", "2026-11-23", "--format", "json", cwd=tmp_path)
    messages = {(f["rule_ids"][0], f["code"]): f["message"]
                for f in json.loads(check.stdout)["findings"] if f["rule_ids"]}
    for rid, r in _rules(doc).items():
        for reason in r["reasons"]:
            assert messages[(rid, reason["code"])] == reason["message"]
    rs = doc["summary"]["rulesets"]
    assert rs == [{"name": "support-exceptions", "rules": 34, "max_rules": 40, "frees": 4}]
    assert doc["summary"]["frees"] == 4 and doc["summary"]["rules"] == 4


def test_owners_sorted_by_slots_at_stake_with_actions(cli, tmp_path: Path):
    doc = _json(cli, "--today", "2026-12-01", cwd=_team(tmp_path))
    assert [(o["label"], o["frees"], len(o["rules"])) for o in doc["owners"]] == [
        ("alice@example.com", 2, 2),
        ("bob@example.com", 1, 2),
        ("carol@example.com", 1, 1),
        ("(no owner)", 0, 1),
    ]
    assert doc["owners"][-1]["owner"] is None
    rules = _rules(doc)
    assert rules["a-dup"]["codes"] == ["RL201"] and rules["a-dup"]["action"] == "delete"
    assert rules["a-conflict"]["codes"] == ["RL202"] and rules["a-conflict"]["action"] == "delete"
    assert "a-first" not in rules  # the rule that decides needs no decision
    assert rules["b-expired"]["action"] == "delete or extend expires"
    assert rules["b-stale"]["codes"] == ["RL403"]
    assert (rules["b-stale"]["action"], rules["b-stale"]["frees"]) == ("re-review", 0)
    assert rules["c-soon"]["action"] == "delete on 2026-12-08 or extend expires"
    assert rules["nobody"]["codes"] == ["RL501"]
    assert (rules["nobody"]["action"], rules["nobody"]["frees"]) == ("add description, owner", 0)
    assert doc["summary"]["rulesets"][0]["frees"] == 4


def test_owner_filter_and_the_no_owner_label(cli, tmp_path: Path):
    _team(tmp_path)
    doc = _json(cli, "--today", "2026-12-01", "--owner", "BOB@example.com", cwd=tmp_path)
    assert [o["label"] for o in doc["owners"]] == ["bob@example.com"]
    doc = _json(cli, "--today", "2026-12-01", "--owner", "(no owner),carol@example.com", cwd=tmp_path)
    assert [o["label"] for o in doc["owners"]] == ["carol@example.com", "(no owner)"]
    text = cli("review", "--today", "2026-12-01", cwd=tmp_path).stdout
    assert "(no owner): 1 rule, frees 0 slots" in text
    assert text.index("alice@example.com: 2 rules, frees 2 slots") < text.index("bob@example.com")
    assert "a-dup  rules.yaml:" in text and "-> delete (frees 1)" in text
    assert "After a review: rulelint review --mark-reviewed ID" in text


def test_unused_by_the_hit_log(cli, tmp_path: Path):
    write_rules(tmp_path, """\
        rules:
          - {id: used, action: x, owner: o@example.com, match: {a: 1}, created: 2025-01-01}
          - {id: idle, action: x, owner: o@example.com, match: {a: 2}, created: 2025-01-01}
    """)
    (tmp_path / "hits.csv").write_text(
        "rule_id,hits,last_hit\nused,40,2026-11-30\nidle,3,2026-01-02\ngone,7,2026-11-01\n")
    doc = _json(cli, "--today", "2026-12-01", "--hits", "hits.csv", "--select", "RL404", cwd=tmp_path)
    rules = _rules(doc)
    assert set(rules) == {"idle"}
    assert rules["idle"]["codes"] == ["RL404"]
    assert rules["idle"]["action"] == "delete or keep with a reason"
    result = cli("review", "--today", "2026-12-01", "--hits", "hits.csv", cwd=tmp_path)
    assert "rulelint: note: hits.csv names 1 rule id that no loaded rule has" in result.stderr


def test_select_and_ignore_as_in_check(cli, tmp_path: Path):
    _team(tmp_path)
    doc = _json(cli, "--today", "2026-12-01", "--select", "RL4", cwd=tmp_path)
    assert {c for r in _rules(doc).values() for c in r["codes"]} == {"RL401", "RL402", "RL403"}
    doc = _json(cli, "--today", "2026-12-01", "--ignore", "RL2,RL501", cwd=tmp_path)
    assert set(_rules(doc)) == {"b-expired", "b-stale", "c-soon"}
    result = cli("review", "--select", "RL601", cwd=tmp_path)
    assert result.exit_code == 2
    assert "leave none of the review checks on" in result.stderr
    assert_clean_exit(result.output, result.exit_code)


def test_csv_parses_one_row_per_rule(cli, tmp_path: Path):
    _team(tmp_path)
    result = cli("review", "--today", "2026-12-01", "--format", "csv", cwd=tmp_path)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert list(rows[0]) == ["owner", "ruleset", "rule_id", "file", "line", "codes", "action",
                             "frees", "reasons"]
    by_id = {r["rule_id"]: r for r in rows}
    assert len(rows) == 6 and len(by_id) == 6
    assert by_id["a-dup"]["owner"] == "alice@example.com" and by_id["a-dup"]["frees"] == "1"
    assert by_id["nobody"]["owner"] == "(no owner)"
    assert by_id["b-stale"]["codes"] == "RL403"
    assert by_id["a-dup"]["file"] == "rules.yaml" and by_id["a-dup"]["line"].isdigit()
    assert by_id["a-dup"]["reasons"].startswith("RL201 duplicate-rule: rule 'a-dup' duplicates")


def test_csv_cells_are_not_formulas(cli, tmp_path: Path):
    write_rules(tmp_path, """\
        rules:
          - {id: a, action: x, owner: "=HYPERLINK(1)", match: {a: 1}}
          - {id: b, action: x, owner: "=HYPERLINK(1)", match: {a: 1}}
    """)
    rows = list(csv.reader(io.StringIO(cli("review", "--format", "csv", cwd=tmp_path).stdout)))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_markdown_tables_have_a_fixed_shape(cli, tmp_path: Path):
    _team(tmp_path)
    text = cli("review", "--today", "2026-12-01", "--format", "markdown", cwd=tmp_path).stdout
    lines = text.splitlines()
    assert lines[0].startswith("## Review on 2026-12-01: 6 rules need a decision")
    owners = [line for line in lines if line.startswith("### ")]
    assert owners[0] == "### alice@example.com: 2 rules, frees 2 slots"
    assert owners[-1] == "### (no owner): 1 rule, frees 0 slots"
    header = "| rule | where | reasons | suggested action | frees | decision |"
    assert lines.count(header) == 4
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 6
    width = header.count("|")
    for row in rows:  # escaped pipes do not count as columns
        assert row.replace("\\|", "").count("|") == width, row
    assert any(r.startswith("| `b-stale` | rules.yaml:") and "| re-review | 0 |  |" in r for r in rows)


def test_review_overdue_falls_back_to_git_dates(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("rules.yaml", "rules:\n"
               "  - id: undated\n    action: x\n    owner: ops@example.com\n    match: {a: 1}\n"
               "  - id: dated\n    action: x\n    owner: ops@example.com\n    match: {a: 2}\n"
               "    reviewed: 2026-11-01\n")
    repo.commit(dt.date(2025, 3, 1))
    proc = run_cli(["review", "rules.yaml", "--today", "2026-12-01", "--format", "json"], repo.path)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 0, proc.stderr
    rules = _rules(json.loads(proc.stdout))
    assert set(rules) == {"undated"}
    assert "its lines last changed in git on 2025-03-01" in rules["undated"]["reasons"][0]["message"]
    assert rules["undated"]["action"] == "re-review"


def test_subprocess_text_and_errors(tmp_path: Path):
    shutil.copy(EXAMPLE, tmp_path / "rules.example.yaml")
    proc = run_cli(["review", "--today", "2026-11-23"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Review on 2026-11-23: 4 rules need a decision (4 owners)")
    assert "support-exceptions: 34 of 40 rules; 30 after the suggested actions" in proc.stdout
    for args, says in (
        (["review", "--format", "xml"], "unknown format 'xml'"),
        (["review", "--today", "2026-13-01"], "is not a date"),
        (["review", "--date", "2026-01-01"], "--date and --ruleset go with --mark-reviewed"),
        (["review", "nope.yaml"], "nope.yaml"),
    ):
        proc = run_cli(args, tmp_path)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)


def test_load_problems_are_noted(cli, tmp_path: Path):
    write_rules(tmp_path, "rules:\n  - {id: a, action: x, match: {a: 1}}\n  - {id: b, action: x}\n")
    result = cli("review", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["load_problems"] == 1
    assert "keep rules out of this review; run `rulelint check`" in result.stderr


def _readme_block(after: str) -> str:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index(after + "\n") + len(after) + 1
    return text[start : text.index("```", start)]


def test_readme_review_output_is_real(tmp_path: Path):
    shutil.copy(EXAMPLE, tmp_path / "rules.example.yaml")
    proc = run_cli(["review", "rules.example.yaml", "--today", "2026-11-23"], tmp_path,
                   env={"COLUMNS": "100"})
    assert proc.stdout == _readme_block("$ rulelint review rules.example.yaml --today 2026-11-23")


def test_actions_combine_re_review_and_metadata(cli, tmp_path: Path):
    write_rules(tmp_path, "rules:\n  - {id: old, action: x, owner: o@example.com, match: {a: 1}, reviewed: 2025-01-01}\n")
    write_rules(tmp_path, "require: [description]\n", "rulelint.yaml")
    rules = _rules(_json(cli, "--today", "2026-12-01", cwd=tmp_path))
    assert rules["old"]["codes"] == ["RL403", "RL501"]
    assert (rules["old"]["action"], rules["old"]["frees"]) == ("re-review; add description", 0)
    rules = _rules(_json(cli, "--today", "2026-12-01", "--ignore", "RL501", cwd=tmp_path))
    assert (rules["old"]["codes"], rules["old"]["action"]) == (["RL403"], "re-review")
