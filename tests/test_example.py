"""The newcomer's first run: ``rulelint check rules.example.yaml`` shows what the tool finds
(near the cap, a duplicate, a covered rule, a shadowed rule with a real witness)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import assert_clean_exit, findings, one, run_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "rules.example.yaml"
TODAY = "2026-11-23"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLE, tmp_path / "rules.example.yaml")
    return tmp_path


@pytest.fixture
def report(cli, workdir):
    rc, data = cli.json("check", "rules.example.yaml", "--today", TODAY, cwd=workdir)
    assert rc == 1
    return data


def about(report, code, rule_id):
    got = [f for f in findings(report, code) if f["rule_ids"] and f["rule_ids"][0] == rule_id]
    assert len(got) == 1, (code, rule_id, report["findings"])
    return got[0]


def test_example_is_realistic():
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert 25 <= len(data["rules"]) <= 40
    assert all({"id", "action", "match"} <= set(r) for r in data["rules"])


def test_near_limit(report):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    n, cap = len(data["rules"]), data["limits"]["max_rules"]
    f = one(report, "RL102")
    assert f"holds {n} of {cap} rules" in f["message"]
    [rs] = report["summary"]["rulesets"]
    assert (rs["name"], rs["rules"], rs["max_rules"]) == ("support-exceptions", n, cap)
    assert report["summary"]["rules"] == n and report["summary"]["files"] == 1


def test_duplicate(report):
    f = about(report, "RL201", "legal-hold-keep-open")
    assert f["rule_ids"] == ["legal-hold-keep-open", "legal-hold-no-autoclose"]
    assert f["severity"] == "error"


def test_redundant(report):
    f = about(report, "RL301", "enterprise-jp-billing-no-autoclose")
    assert "vip-enterprise-no-autoclose" in f["rule_ids"][1:]
    assert "'vip-enterprise-no-autoclose'" in f["message"]


def test_shadowed_names_both_covering_rules(report):
    f = about(report, "RL302", "incident-review-no-autoclose")
    assert set(f["rule_ids"][1:]) == {"outage-escalate-apac", "outage-escalate-de"}
    assert "'outage-escalate-apac'" in f["message"] and "'outage-escalate-de'" in f["message"]
    assert set(f["witness"]) >= {"category", "region"}


def test_shadowed_witness_really_matches(cli, workdir, report):
    f = about(report, "RL302", "incident-review-no-autoclose")
    result = cli(
        "eval", "rules.example.yaml", "--event", json.dumps(f["witness"]), "--format", "json",
        cwd=workdir,
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["decision"] == ["escalate"]
    assert d["deciding"][0] in ("outage-escalate-apac", "outage-escalate-de")
    assert "incident-review-no-autoclose" in d["matched"]


def test_expired_campaign(report):
    f = about(report, "RL401", "blackfriday-2025-refund-waiver")
    assert "2025-12-31" in f["message"]


def test_every_finding_is_about_a_real_rule(report):
    ids = {r["id"] for r in yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["rules"]}
    for f in report["findings"]:
        assert set(f["rule_ids"]) <= ids
        assert f["file"] == "rules.example.yaml" and f["line"] >= 1


def test_first_run_text_as_a_process(workdir):
    proc = run_cli(["check", "rules.example.yaml", "--today", TODAY], workdir)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 1 and proc.stderr == ""
    out = proc.stdout
    assert out.splitlines()[0] == "rules.example.yaml"
    for needle in ("RL102 near-limit", "RL201 duplicate-rule", "RL301 redundant",
                   "RL302 shadowed", "witness: category=outage", "support-exceptions"):
        assert needle in out, needle
    assert re.search(r"^Found \d+ errors?, \d+ warnings?", out, re.M)


def test_default_discovery_finds_the_example(cli, workdir):
    result = cli("check", "--today", TODAY, cwd=workdir)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "Read rules.example.yaml"
