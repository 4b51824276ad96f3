"""``rulelint suggest-merge`` through the real CLI: text and JSON output, options, and the
RL601 / ``mergeable_slots`` side in ``rulelint check``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rulelint.consolidate.suggest as suggest_mod
from rulelint.cli import app
from rulelint.consolidate.equivalence import Difference

runner = CliRunner()

RULES = """\
ruleset: support
limits: {max_rules: 10}
defaults: {owner: ops@example.com}
rules:
  - id: jp-email
    action: extend_sla
    match: {region: JP, channel: email}
    ticket: CS-1
    tags: [apac]
    created: 2025-03-01
    description: Japanese email
  - id: kr-email
    action: extend_sla
    match: {region: KR, channel: email}
    ticket: CS-2
    tags: [apac, kr]
    created: 2025-01-15
    reviewed: 2026-01-01
  - id: de-escalate
    action: escalate
    match: {region: DE}
  - id: cn-email
    action: extend_sla
    match: {region: CN, channel: email}
    ticket: [CS-3, CS-1]
    description: Chinese email
  - id: vip-a
    action: skip
    match: {customer: C-1}
  - id: vip-b
    action: skip
    match: {customer: C-2}
  - id: other-owner
    action: skip
    match: {customer: C-3}
    owner: sec@example.com
"""


def sm(*args: str):
    return runner.invoke(app, ["suggest-merge", *args, "--color", "never"])


@pytest.fixture
def rules(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- text ------------------------------------------------------------------------------------


def test_text_output_shows_groups_merged_yaml_total_and_proof(rules):
    result = sm("rules.yaml")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("support (first-match): 7 rules of 10\n")
    # the groups table
    header = next(line for line in out.splitlines() if line.startswith("merged id"))
    assert header.split() == ["merged", "id", "merges", "field", "frees"]
    assert re.search(r"^jp-email\s+jp-email, kr-email, cn-email\s+region\s+2$", out, re.M)
    assert re.search(r"^vip-a\s+vip-a, vip-b\s+customer\s+1$", out, re.M)
    assert "other-owner" not in out  # another owner: not merged by default
    # each merged rule as YAML
    assert "# jp-email: replaces 3 rules" in out
    assert "  - id: jp-email\n    action: extend_sla\n    match:\n" in out
    assert "    merged_from: [jp-email, kr-email, cn-email]" in out
    assert "    ticket: [CS-1, CS-2, CS-3]" in out
    assert "    tags: [apac, kr]" in out
    assert "    created: 2025-01-15" in out  # the earliest
    assert "    description: Japanese email; Chinese email" in out
    # the total and the proof
    assert "frees 3 slots: 7 → 4 of 10" in out
    assert "verified equivalent" in out
    assert result.stderr == ""


def test_text_output_when_there_is_nothing_to_merge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n"
          "  - id: b\n    action: y\n    match: {region: KR}\n")
    result = sm("rules.yaml")
    assert result.exit_code == 0
    assert "nothing to merge" in result.stdout
    assert "frees 0 slots: 2 → 2" in result.stdout
    assert "verified" not in result.stdout  # nothing proposed, nothing to prove


def test_the_merged_yaml_shown_is_the_rule_written(rules, tmp_path):
    """The YAML printed for a group loads as a rule: the one --apply writes in place, and,
    with the file's defaults made explicit, the one --output writes."""
    import yaml

    out = sm("rules.yaml", "--output", "new.yaml").stdout
    block = out[out.index("# jp-email: replaces 3 rules"):].split("\n\n")[0]
    shown = yaml.safe_load("\n".join(block.splitlines()[1:]))[0]
    written = yaml.safe_load((tmp_path / "new.yaml").read_text(encoding="utf-8"))["rules"][0]
    assert written == {**shown, "owner": "ops@example.com"}  # from `defaults:`
    assert sm("rules.yaml", "--apply").exit_code == 0
    applied = yaml.safe_load((tmp_path / "rules.yaml").read_text(encoding="utf-8"))["rules"][0]
    assert applied == shown


def test_the_merged_yaml_is_never_wrapped_at_the_terminal_width(tmp_path, monkeypatch):
    """A long description in a merged rule stays one line, so the YAML pastes back intact
    (a narrow console once cut it into lines that started with '- ')."""
    monkeypatch.chdir(tmp_path)
    words = " ".join(["- escalate all tickets of this region"] * 6)
    write(tmp_path, "ruleset: s\nrules:\n"
          f"  - id: a\n    action: x\n    description: '{words}'\n    match: {{region: JP}}\n"
          "  - id: b\n    action: x\n    match: {region: KR}\n")
    result = runner.invoke(app, ["suggest-merge", "rules.yaml"], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    assert f"    description: '{words}'\n" in result.stdout  # one line, as written


# --- JSON ------------------------------------------------------------------------------------


def test_json_output_has_the_spec_shape(rules):
    result = sm("rules.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    spec_keys = {"version", "ruleset", "before", "after", "verified", "groups", "removed"}
    assert spec_keys <= set(doc)
    assert doc["version"] == 1 and doc["ruleset"] == "support"
    assert (doc["before"], doc["after"], doc["verified"]) == (7, 4, True)
    assert doc["removed"] == []
    assert [g["merged_id"] for g in doc["groups"]] == ["jp-email", "vip-a"]
    for g in doc["groups"]:
        assert {"merged_id", "from", "rule"} <= set(g)
        assert g["rule"]["id"] == g["merged_id"] and g["merged_id"] in g["from"]
        assert g["rule"]["merged_from"] == g["from"]
    g = doc["groups"][0]
    assert g["from"] == ["jp-email", "kr-email", "cn-email"]
    assert g["rule"]["match"]["channel"] == "email"
    assert sorted(g["rule"]["match"]["region"]) == ["CN", "JP", "KR"]
    assert g["rule"]["created"] == "2025-01-15" and g["rule"]["reviewed"] == "2026-01-01"
    assert sorted(g["rule"]["ticket"]) == ["CS-1", "CS-2", "CS-3"]
    assert doc["before"] - doc["after"] == sum(len(g["from"]) - 1 for g in doc["groups"]) + len(
        doc["removed"]
    )


def test_json_with_two_rulesets_and_the_ruleset_option(rules, tmp_path):
    write(tmp_path, "ruleset: other\nrules:\n  - id: x1\n    action: a\n    match: {n: 1}\n"
          "  - id: x2\n    action: a\n    match: {n: 3}\n", "other.yaml")
    both = json.loads(sm("rules.yaml", "other.yaml", "--format", "json").stdout)
    assert both["version"] == 1
    assert [d["ruleset"] for d in both["rulesets"]] == ["other", "support"]
    one = json.loads(sm(".", "--ruleset", "other", "--format", "json").stdout)
    assert one["ruleset"] == "other" and one["groups"][0]["rule"]["match"] == {"n": [1, 3]}
    # --output needs one ruleset
    result = sm(".", "--output", "new.yaml")
    assert result.exit_code == 2 and "--ruleset" in result.stderr
    result = sm(".", "--ruleset", "nope")
    assert result.exit_code == 2 and "no ruleset named 'nope'" in result.stderr


def test_json_as_a_subprocess(rules, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "suggest-merge", "rules.yaml", "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ},
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["before"], doc["after"], doc["verified"]) == (7, 4, True)


# --- merge keys ------------------------------------------------------------------------------


def test_merge_keys_option_and_config(rules, tmp_path):
    default = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert ["vip-a", "vip-b"] in [g["from"] for g in default["groups"]]
    # no keys: the rule of another owner merges too
    none = json.loads(sm("rules.yaml", "-f", "json", "--merge-keys", "none").stdout)
    assert ["vip-a", "vip-b", "other-owner"] in [g["from"] for g in none["groups"]]
    assert none["after"] == default["after"] - 1 and none["verified"]
    # tickets as a key: the email rules all have other tickets now
    tk = json.loads(sm("rules.yaml", "-f", "json", "--merge-keys", "owner,ticket").stdout)
    assert [g["from"] for g in tk["groups"]] == [["vip-a", "vip-b"]]
    # a key that is no rule field: exit 2, one line
    bad = sm("rules.yaml", "--merge-keys", "owner,colour")
    assert bad.exit_code == 2 and "'colour' is not a rule field" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    # the configuration's merge.keys
    write(tmp_path, "merge: {keys: []}\n", "rulelint.yaml")
    cfg = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert [g["from"] for g in cfg["groups"]] == [g["from"] for g in none["groups"]]


# --- --include-redundant ---------------------------------------------------------------------


def test_include_redundant_removes_one_of_two_identical_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ruleset: s\nrules:\n"
          "  - id: first\n    action: allow\n    match: {region: JP, plan: pro}\n"
          "  - id: other\n    action: deny\n    match: {region: KR}\n"
          "  - id: again\n    action: allow\n    match: {plan: pro, region: [JP]}\n")
    check = runner.invoke(app, ["check", "rules.yaml", "--format", "json"])
    rl201 = [f for f in json.loads(check.stdout)["findings"] if f["code"] == "RL201"]
    assert rl201 and set(rl201[0]["rule_ids"]) == {"first", "again"}
    plain = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert plain["removed"] == []
    doc = json.loads(sm("rules.yaml", "-f", "json", "--include-redundant").stdout)
    assert doc["removed"] == ["again"]  # exactly one: the copy added later
    assert (doc["before"], doc["after"], doc["verified"]) == (3, 2, True)
    text = sm("rules.yaml", "--include-redundant").stdout
    assert "remove (no decision depends on them):" in text
    assert re.search(r"- again \(rules\.yaml:\d+\): never decides \(earlier rule first takes all", text)
    assert "frees 1 slot: 3 → 2" in text and "verified equivalent" in text


def test_include_redundant_removes_one_at_a_time(tmp_path, monkeypatch):
    """Three identical rules and one covered jointly by two others (RL301): removing all
    RL201/RL301 rules at once would lose decisions; one at a time keeps exactly one copy."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ruleset: s\nsemantics: any-match\nrules:\n"
          "  - id: c1\n    action: tag\n    match: {n: {range: [0, 9]}}\n"
          "  - id: c2\n    action: tag\n    match: {n: {range: [0, 9]}}\n"
          "  - id: c3\n    action: tag\n    match: {n: {range: [0, 9]}}\n"
          "  - id: low\n    action: flag\n    match: {n: {range: [0, 4]}}\n"
          "  - id: high\n    action: flag\n    match: {n: {range: [5, 20]}}\n"
          "  - id: mid\n    action: flag\n    match: {n: {range: [3, 6]}}\n")
    check = json.loads(runner.invoke(app, ["check", "rules.yaml", "-f", "json"]).stdout)
    dupes = {i for f in check["findings"] if f["code"] == "RL201" for i in f["rule_ids"]}
    assert dupes == {"c1", "c2", "c3"}
    assert [f["rule_ids"][0] for f in check["findings"] if f["code"] == "RL301"] == ["mid"]
    doc = json.loads(sm("rules.yaml", "-f", "json", "--include-redundant").stdout)
    assert doc["verified"] is True
    assert set(doc["removed"]) == {"mid", "c3", "c2"}
    kept = {"c1", "low", "high"}
    assert doc["after"] == len(kept) - sum(len(g["from"]) - 1 for g in doc["groups"])


# --- --target --------------------------------------------------------------------------------

TARGET_RULES = """\
ruleset: s
limits: {max_rules: 6}
rules:
  - id: a
    action: x
    match: {region: JP}
  - id: b
    action: x
    match: {region: KR}
  - id: c
    action: x
    match: {region: CN}
  - id: promo-2025
    action: waive
    match: {campaign: BF-2025}
    expires: 2025-12-31
  - id: keep
    action: y
    match: {region: DE}
"""


def test_target_reached_stops_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, TARGET_RULES)
    doc = json.loads(sm("rules.yaml", "-f", "json", "--target", "4").stdout)
    assert (doc["before"], doc["after"], doc["target"], doc["target_reached"]) == (5, 4, 4, True)
    assert doc["verified"] is True
    text = sm("rules.yaml", "--target", "4").stdout
    assert "target reached: 4 ≤ 4" in text and "frees 1 slot: 5 → 4 of 6" in text


def test_target_not_reachable_lists_rules_for_a_human(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, TARGET_RULES)
    result = sm("rules.yaml", "--target", "2", "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "frees 2 slots: 5 → 3 of 6" in out
    assert "target not reached: 3 > 2 (1 more to go)" in out
    assert re.search(r"expired rules a human must decide on: promo-2025$", out, re.M)
    assert "--include-redundant also removes rules that no decision depends on" in out
    hinted = sm("rules.yaml", "--target", "2", "--today", "2026-06-01", "--include-redundant")
    assert "--include-redundant also" not in hinted.stdout
    doc = json.loads(sm("rules.yaml", "-f", "json", "--target", "2", "--today", "2026-06-01").stdout)
    assert doc["target_reached"] is False and doc["after"] == 3
    assert doc["left_for_review"]["expired"] == ["promo-2025"]
    # before it expired, nothing is left for a human
    early = json.loads(sm("rules.yaml", "-f", "json", "--target", "2", "--today", "2025-06-01").stdout)
    assert "expired" not in early["left_for_review"]


def test_target_reachable_is_reached(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ruleset: t\nrules:\n"
          "  - {id: wide, action: deny, match: {n: {gte: 2}}}\n"
          "  - {id: zero-a, action: deny, match: {n: 0}}\n"
          "  - {id: zero-b, action: deny, match: {n: 0}}\n")
    free = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert (free["before"], free["after"]) == (3, 2)
    doc = json.loads(sm("rules.yaml", "-f", "json", "--target", "2").stdout)
    assert doc["after"] == 2 and doc["target_reached"] is True


# --- the proof failing -----------------------------------------------------------------------


def test_a_failed_proof_shows_the_witness_and_writes_nothing(rules, tmp_path, monkeypatch):
    witness = Difference({"region": "JP", "channel": "email"}, "extend_sla", None, "jp-email", None)
    monkeypatch.setattr(suggest_mod, "verify", lambda plan: witness)
    result = sm("rules.yaml", "--apply", "--output", "new.yaml")
    assert result.exit_code == 2
    out = result.stdout
    assert "NOT verified" in out and "verified equivalent" not in out
    assert "region=JP" in out and "channel=email" in out and "jp-email" in out
    assert "nothing was written" in out
    assert (tmp_path / "rules.yaml").read_text(encoding="utf-8") == RULES
    assert not (tmp_path / "new.yaml").exists()
    doc = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert doc["verified"] is False
    assert doc["difference"]["event"] == {"region": "JP", "channel": "email"}


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.yaml"], "missing.yaml: no such file or directory"),
        (["rules.yaml", "--format", "xml"], "--format 'xml'"),
        (["rules.yaml", "--today", "yesterday"], "--today 'yesterday' is not a date"),
    ],
)
def test_usage_errors_exit_2_with_one_line(rules, args, needle):
    result = sm(*args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


# --- rulelint check: RL601 and mergeable_slots ------------------------------------------------


def test_check_reports_rl601_and_mergeable_slots(rules, tmp_path):
    result = runner.invoke(app, ["check", "rules.yaml", "--format", "json", "--today",
                                 "2026-02-01"])
    doc = json.loads(result.stdout)
    rl601 = [f for f in doc["findings"] if f["code"] == "RL601"]
    assert [f["rule_ids"] for f in rl601] == [
        ["jp-email", "kr-email", "cn-email"], ["vip-a", "vip-b"]
    ]
    lines = RULES.splitlines()
    for f in rl601:
        assert f["severity"] == "info" and f["name"] == "mergeable"
        assert f["file"] == "rules.yaml" and f["ruleset"] == "support"
        assert lines[f["line"] - 1].strip() == f"- id: {f['rule_ids'][0]}"
        assert "suggest-merge" in f["message"]
    (summary,) = doc["summary"]["rulesets"]
    merge = json.loads(sm("rules.yaml", "-f", "json").stdout)
    assert summary["mergeable_slots"] == merge["before"] - merge["after"] == 3
    assert summary["rules"] == 7 and summary["max_rules"] == 10
    text = runner.invoke(app, ["check", "rules.yaml", "--color", "never", "--today",
                               "2026-02-01"]).stdout
    assert "suggest-merge can free 3" in text


def test_check_mergeable_slots_per_ruleset(rules, tmp_path):
    write(tmp_path, "ruleset: other\nrules:\n  - id: x1\n    action: a\n    match: {n: 1}\n"
          "  - id: x2\n    action: b\n    match: {n: 2}\n", "other.yaml")
    doc = json.loads(runner.invoke(app, ["check", ".", "--format", "json"]).stdout)
    slots = {r["name"]: r["mergeable_slots"] for r in doc["summary"]["rulesets"]}
    assert slots == {"support": 3, "other": 0}
    assert all(f["ruleset"] == "support" for f in doc["findings"] if f["code"] == "RL601")


def test_rl601_skips_plain_duplicates_but_counts_their_slot(tmp_path, monkeypatch):
    """Two identical rules are RL201's business; RL601 stays quiet about them."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n"
          "  - id: b\n    action: x\n    match: {region: JP}\n")
    doc = json.loads(runner.invoke(app, ["check", "rules.yaml", "-f", "json"]).stdout)
    codes = [f["code"] for f in doc["findings"]]
    assert "RL201" in codes and "RL601" not in codes
    assert doc["summary"]["rulesets"][0]["mergeable_slots"] == 1
