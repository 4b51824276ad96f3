"""``rulelint diff``: an added or edited rule that decides no event in the new rule set is
said so, with the rules that take its events (real git repos, the real CLI), and
``semdiff.never_deciding`` agrees with brute force on generated rule sets."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from typer.testing import CliRunner

from ci_gitrepo import Repo
from merge_gen import MergeSet, events, merge_sets
from rulelint.cli import app
from rulelint.compare.semdiff import RuleChange, RuleRef, never_deciding
from rulelint.evaluate import decide
from test_include_shadowed import dense_sets
from test_merge_properties import PROPS, examples, load_dir

BASE = """\
ruleset: support
rules:
  - id: a
    action: close
    match: {plan: [pro, free]}
  - id: b
    action: keep
    match: {region: JP}
"""


def diff(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["diff", *args, "--color", "never"], env={"COLUMNS": "200"})
    assert "Traceback" not in r.output
    return r.exit_code, r.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("rules.yaml", BASE)
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    return repo


def test_added_dead_rule_is_named_with_the_rule_that_takes_it(repo: Repo) -> None:
    repo.write("rules.yaml", BASE + "  - id: late\n    action: keep\n    match: {plan: pro}\n")
    code, out = diff("HEAD")
    assert code == 0
    assert "  added 'late' (rules.yaml:9) never decides: 'a' (line 3) takes all of it\n" in out
    assert "no decision changed" in out
    [rs] = json.loads(diff("HEAD", "--format", "json")[1])["rulesets"]
    [n] = rs["never_decides"]
    assert (n["kind"], n["rule"]["id"], [t["id"] for t in n["takers"]]) == ("added", "late", ["a"])
    md = diff("HEAD", "--format", "markdown")[1]
    assert "added 'late' (rules.yaml:9) never decides" in md


def test_added_rule_that_decides_is_not_named(repo: Repo) -> None:
    repo.write("rules.yaml", BASE + "  - id: ent\n    action: keep\n    match: {plan: enterprise}\n")
    code, out = diff("HEAD")
    assert "never decides" not in out
    assert json.loads(diff("HEAD", "--format", "json")[1])["rulesets"][0]["never_decides"] == []


def test_edited_rule_made_dead_and_jointly_covered(repo: Repo) -> None:
    head = BASE.replace("match: {region: JP}", "match: {plan: free, region: JP}")
    head += "  - id: c\n    action: keep\n    match: {plan: [pro, enterprise], region: JP}\n"
    repo.write("rules.yaml", head)
    out = diff("HEAD")[1]
    assert "  edited 'b' (rules.yaml:6) never decides: 'a' (line 3) takes all of it\n" in out
    assert "added 'c' (rules.yaml:9) never decides" not in out  # c decides plan=enterprise


def test_taker_that_is_itself_dead_is_not_named(repo: Repo) -> None:
    # d is dead (a takes it); late lies inside d: the rule that decides its events is a
    head = BASE + "  - id: d\n    action: keep\n    match: {plan: free}\n"
    repo.write("rules.yaml", head)
    repo.commit("d")
    repo.write("rules.yaml", head.replace("  - id: d", "  - id: late\n    action: skip\n"
                                          "    match: {plan: free}\n  - id: d", 1)
               .replace("  - id: late", "  - id: d0\n    action: keep\n    match: {plan: free}\n"
                        "  - id: late", 1))
    out = diff("HEAD")[1]
    assert "added 'late' (rules.yaml:12) never decides: 'a' (line 3) takes all of it" in out


def test_any_match_rule_covered_by_its_action_changes_nothing(repo: Repo) -> None:
    base = BASE.replace("ruleset: support\n", "ruleset: support\nsemantics: any-match\n")
    repo.write("rules.yaml", base)
    repo.commit("any")
    repo.write("rules.yaml", base + "  - id: late\n    action: close\n    match: {plan: pro}\n"
               "  - id: other\n    action: keep\n    match: {plan: pro}\n")
    out = diff("HEAD")[1]
    assert "added 'late' (rules.yaml:10) changes no decision: 'a' (line 4) already applies 'close'" in out
    assert "added 'other' (rules.yaml:13) changes no decision" not in out


def _check(spec: MergeSet) -> None:
    with tempfile.TemporaryDirectory() as d:
        rs = load_dir(Path(d), spec.files())
        changes = [RuleChange("added", r.id, new=RuleRef.of(r)) for r in rs.rules]
        found = {n.rule.id: [t.id for t in n.takers] for n in never_deciding(rs, changes)}
        deciders: set[str] = set()
        for ev in events(list(spec.fields), missing=True):
            deciders.update(r.id for r in decide(rs, ev).deciding)
        live = {r.id for r in rs.live_rules()}
        if rs.semantics == "first-match":
            assert set(found) == live - deciders
            for rid, takers in found.items():
                assert takers and set(takers) <= deciders, (rid, takers)
        else:  # any-match: removing the rule alone changes no decision
            for r in rs.live_rules():
                others = [x for x in rs.rules if x is not r]
                same = all(decide(rs, ev).actions == decide(rs, ev, others).actions
                           for ev in events(list(spec.fields), missing=True))
                assert (r.id in found) == same, r.id


@settings(max_examples=examples(60), **PROPS)
@given(spec=merge_sets(max_rules=12))
def test_never_deciding_matches_brute_force(spec: MergeSet) -> None:
    _check(spec)


@settings(max_examples=examples(60), **PROPS)
@given(spec=dense_sets())
def test_never_deciding_matches_brute_force_dense(spec: MergeSet) -> None:
    _check(spec)


def test_only_dead_rules_added_is_no_change_even_with_globs(repo: Repo) -> None:
    glob = "  - id: g\n    action: allow\n    match: {email: {glob: '*x*@example.com'}}\n"
    repo.write("rules.yaml", BASE + glob)
    repo.commit("glob")
    repo.write("rules.yaml", BASE + glob + "  - id: late\n    action: keep\n    match: {plan: pro}\n")
    [rs] = json.loads(diff("HEAD", "--format", "json")[1])["rulesets"]
    assert rs["complete"] is True and rs["no_decision_changed"] is True and rs["notes"] == []
    assert "no decision changed" in diff("HEAD")[1]
    # a rule that decides: the glob keeps the answer open, as before
    repo.write("rules.yaml", BASE + glob + "  - id: ent\n    action: keep\n    match: {plan: enterprise}\n")
    [rs] = json.loads(diff("HEAD", "--format", "json")[1])["rulesets"]
    assert rs["never_decides"] == [] and rs["complete"] is False
