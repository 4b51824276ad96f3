"""The proof as ``suggest-merge`` uses it: real rule files through the real loader, plans
from the real planner, and the reference evaluator (``evaluate.decide``) as the judge.

* a plan over rules with opaque globs (``suggest._slots`` gates them) is proven;
* a plan that is made wrong on purpose (a merged rule that grows, or changes its action) is
  refused, and the witness is an event on which the original rule set and the written-out
  new rule set really decide differently;
* ``rulelint suggest-merge`` on a generated benchmark-style rule set (a few hundred rules,
  dense overlaps) says "verified", in-process and as a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulelint.cli import app
from rulelint.consolidate.merge import DEFAULT_KEYS, plan_merges
from rulelint.consolidate.rewrite import dump_ruleset, new_rule_list
from rulelint.consolidate.suggest import verify
from rulelint.evaluate import decision_key
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import RuleSet, load_project

ROOT = Path(__file__).resolve().parents[1]

RULES = """\
ruleset: support
semantics: {semantics}
fields:
  plan: {{kind: enum, values: [free, pro, enterprise]}}
  age: {{kind: int, min: 0, max: 365}}
rules:
  - id: glob-early
    action: escalate
    match: {{email: {{glob: "*@vip.example"}}}}
  - id: jp
    action: skip_autoclose
    match: {{region: JP, plan: pro}}
  - id: kr
    action: skip_autoclose
    match: {{region: KR, plan: pro}}
  - id: blocker
    action: escalate
    match: {{region: DE, age: {{range: [0, 7]}}}}
  - id: de
    action: skip_autoclose
    match: {{region: DE, plan: pro}}
  - id: glob-mid
    action: route_tier2
    match: {{email: {{glob: "ops-?@example.com"}}, plan: pro}}
  - id: young
    action: route_tier2
    match: {{age: {{range: [0, 7]}}, channel: chat}}
  - id: older
    action: route_tier2
    match: {{age: {{range: [8, 30]}}, channel: chat}}
  - id: cidr-a
    action: trust
    match: {{source_ip: 10.0.0.0/25}}
  - id: cidr-b
    action: trust
    match: {{source_ip: 10.0.0.128/25}}
"""

EVENT_VALUES = {
    "region": ["JP", "KR", "DE", "US"],
    "plan": ["free", "pro"],
    "age": [3, 20, 100],
    "channel": ["chat", "email"],
    "source_ip": ["10.0.0.1", "10.0.0.200", "192.0.2.1"],
    "email": ["a@vip.example", "ops-1@example.com", "x@other.example"],
}


def load(root: Path, text: str) -> RuleSet:
    root.mkdir(parents=True, exist_ok=True)
    (root / "rules.yaml").write_text(text, encoding="utf-8")
    project = load_project([SourceFile(root / "rules.yaml", "rules.yaml")],
                           Settings(root=root, cwd=root))
    assert not project.findings, [f.message for f in project.findings]
    return project.rulesets["support"]


def sample_events():
    """Every combination over the sample values, each field possibly missing (small)."""
    events: list[dict] = [{}]
    for f, vals in EVENT_VALUES.items():
        events = [e for e in events for e in ([e] + [{**e, f: v} for v in vals])]
    return events


@pytest.mark.parametrize("semantics", ["first-match", "any-match"])
def test_plan_with_globs_is_proven_and_really_equivalent(tmp_path, semantics):
    rs = load(tmp_path / "in", RULES.format(semantics=semantics))
    plan = plan_merges(rs, DEFAULT_KEYS)
    assert plan.groups, "nothing merged: the test would prove nothing"
    assert verify(plan) is None
    out = load(tmp_path / "out", dump_ruleset(rs, new_rule_list(plan)))
    assert out.slot_count < rs.slot_count
    for ev in sample_events():
        assert decision_key(rs, ev) == decision_key(out, ev), ev


@pytest.mark.parametrize("semantics", ["first-match", "any-match"])
@pytest.mark.parametrize("tamper", ["grow", "action"])
def test_a_wrong_plan_is_refused_with_a_real_witness(tmp_path, semantics, tamper):
    rs = load(tmp_path / "in", RULES.format(semantics=semantics))
    plan = plan_merges(rs, DEFAULT_KEYS)
    group = next(g for g in plan.groups if "region" in g.rule["match"])
    if tamper == "grow":  # the merged rule takes one region more than its members had
        group.rule["match"]["region"] = [*group.rule["match"]["region"], "US"]
    else:
        group.rule["action"] = "close_now"
    diff = verify(plan)
    assert diff is not None
    out = load(tmp_path / "out", dump_ruleset(rs, new_rule_list(plan)))
    before, after = decision_key(rs, diff.event), decision_key(out, diff.event)
    assert before != after, diff
    if semantics == "first-match":
        assert (diff.old, diff.new) == (before, after)
    else:
        action = diff.old if diff.old is not None else diff.new
        assert (action in before) != (action in after)
    assert not any(k.startswith("\x00") for k in diff.event)  # no glob gate leaks out


def generated(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "rules.yaml"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--rules", str(n),
         "--seed", "7", "-o", str(path)],
        check=True, capture_output=True, timeout=120,
    )
    (tmp_path / "rulelint.yaml").write_text("paths: [rules.yaml]\n", encoding="utf-8")
    return path


def test_suggest_merge_on_a_generated_set_is_verified(tmp_path, monkeypatch):
    generated(tmp_path, 400)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["suggest-merge", "rules.yaml", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["verified"] is True
    assert doc["after"] < doc["before"] == 400


def test_suggest_merge_as_a_subprocess(tmp_path):
    generated(tmp_path, 300)
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "suggest-merge", "rules.yaml", "--color", "never"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "verified equivalent" in proc.stdout
