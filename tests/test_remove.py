"""``rulelint remove``: the impact of deleting rules on purpose (real files in tmp dirs, the
real CLI in process and as a subprocess), ``--apply`` byte for byte, and the impact against
brute force on generated rule sets."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from merge_gen import MergeSet, events, merge_sets
from rulelint.compare.removal import impact
from rulelint.evaluate import decide, decision_key
from test_include_shadowed import dense_sets
from test_merge_properties import PROPS, examples, load_dir

EXAMPLE = Path(__file__).resolve().parent.parent / "rules.example.yaml"

RULES = """\
ruleset: s
rules:
  - id: a
    action: close
    match: {plan: [pro, free]}
    owner: ops
  # keep JP tickets
  - id: b
    action: keep
    match: {region: JP}
    owner: apac
  # a dead copy
  - id: late
    action: keep
    match: {plan: pro}
    owner: ops
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path


def test_dead_rule_changes_no_decision(cli, rules):
    r = cli("remove", "late", "rules.yaml", cwd=rules)
    assert r.exit_code == 0, r.output
    assert "s (first-match): remove 1 rule, 3 → 2" in r.stdout
    assert "  - late (rules.yaml:13, ops)" in r.stdout
    assert "  no decision changed" in r.stdout
    doc = json.loads(cli("remove", "late", "rules.yaml", "--format", "json", cwd=rules).stdout)
    assert doc["version"] == 1 and doc["changes"] == []
    assert [x["id"] for x in doc["removed"]] == ["late"]
    assert doc["rulesets"][0]["no_decision_changed"] is True
    assert (rules / "rules.yaml").read_text() == RULES  # nothing written without --apply


def test_deciding_rule_shows_each_change_with_a_verified_witness(cli, rules):
    r = cli("remove", "a", "rules.yaml", "--format", "json", cwd=rules)
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    old = load_dir(rules / "old", {"rules.yaml": RULES}, "s")
    new = load_dir(rules / "new", {"rules.yaml": RULES.replace(
        "  - id: a\n    action: close\n    match: {plan: [pro, free]}\n    owner: ops\n", "")}, "s")
    pairs = set()
    for c in doc["changes"]:
        w = c["witness"]
        a, b = decide(old, w), decide(new, w)
        assert [x.id for x in a.deciding] == [c["from"]["rule"]] and a.actions == c["from"]["decision"]
        assert [x.id for x in b.deciding] == ([c["to"]["rule"]] if c["to"]["rule"] else [])
        pairs.add((c["from"]["rule"], c["to"]["rule"]))
    assert pairs == {("a", None), ("a", "b"), ("a", "late")}
    assert cli("remove", "a", "rules.yaml", "--exit-code", cwd=rules).exit_code == 1
    assert cli("remove", "late", "rules.yaml", "--exit-code", cwd=rules).exit_code == 0
    text = cli("remove", "a", "rules.yaml", cwd=rules).stdout
    assert "3 decision changes:" in text and "'a' (close) → 'late' (keep)" in text


def test_apply_is_byte_exact_and_takes_the_comment(cli, rules):
    before = (rules / "rules.yaml").read_bytes()
    r = cli("remove", "late", "rules.yaml", "--diff", cwd=rules)
    assert "-  # a dead copy\n-  - id: late\n" in r.stdout
    assert (rules / "rules.yaml").read_bytes() == before  # --diff writes nothing
    r = cli("remove", "late", "rules.yaml", "--apply", cwd=rules)
    assert r.exit_code == 0 and "applied: rules.yaml" in r.stdout
    assert (rules / "rules.yaml").read_text() == RULES.split("  # a dead copy\n")[0]
    assert cli("check", "rules.yaml", cwd=rules).exit_code == 0


CIDR = """\
rules:
  - id: office
    action: allow
    match: {src: {cidr: 10.0.0.0/8}}
  - id: not-one
    action: deny
    match: {src: {not_in: ["2001:db8::1"]}}
"""


def test_apply_keeps_the_kind_of_a_field_whose_only_cidr_goes(cli, tmp_path):
    """Removing the only cidr would make ``src`` a string field, and the rule left would
    start to match "hello": --apply declares ``src: ip`` instead (SPEC, one meaning per
    field), says so, and the reloaded rules are the planned ones."""
    (tmp_path / "rules.yaml").write_text(CIDR)
    r = cli("remove", "office", "rules.yaml", "--apply", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert "keeps field 'src' ip" in r.stdout
    text = (tmp_path / "rules.yaml").read_text()
    assert "fields:" in text and "src: ip" in text and "office" not in text
    ev = cli("eval", "rules.yaml", "--event", '{"src": "hello"}', "--format", "json", cwd=tmp_path)
    assert json.loads(ev.stdout)["decision"] == [], ev.output


def test_a_broken_edit_is_caught_after_writing_and_undone(cli, rules, monkeypatch):
    """A deliberately broken editor (it also deletes rule 'b'): the verified writer reloads,
    sees a rule set other than the planned one, puts the original bytes back, exits 2."""
    import rulelint.compare.removal as removal

    real = removal.edits

    def broken(results):
        out = real(results)
        for e in out:
            e.new = e.new.replace("  - id: b\n    action: keep\n    match: {region: JP}\n    owner: apac\n", "")
        return out

    monkeypatch.setattr(removal, "edits", broken)
    before = (rules / "rules.yaml").read_bytes()
    r = cli("remove", "late", "rules.yaml", "--apply", cwd=rules)
    assert r.exit_code == 2, r.output
    assert "verification after writing failed" in r.stderr and "planned" in r.stderr, r.stderr
    assert (rules / "rules.yaml").read_bytes() == before


def test_apply_on_the_example_removes_only_those_lines(cli, tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "rules.yaml")
    text = EXAMPLE.read_text()
    r = cli("remove", "--select", "RL201,RL302", "rules.yaml", "--apply", cwd=tmp_path)
    assert r.exit_code == 0, r.output
    assert "[RL201]" in r.stdout and "[RL302]" in r.stdout and "no decision changed" in r.stdout
    expect = text.split("\n")
    # the two rules, each with the comment line above it and the blank line after it
    for rid in ("incident-review-no-autoclose", "legal-hold-keep-open"):
        i = expect.index(f"  - id: {rid}")
        j = i + 1
        while expect[j].strip():
            j += 1
        del expect[i - 1:j + 1]
    assert (tmp_path / "rules.yaml").read_text() == "\n".join(expect)


def test_select_and_owner_combine_and_errors_are_one_line(cli, rules):
    r = cli("remove", "--select", "RL2,RL3", "--owner", "ops", "rules.yaml", "--format", "json", cwd=rules)
    assert [x["id"] for x in json.loads(r.stdout)["removed"]] == ["late"]
    r = cli("remove", "--owner", "apac", "rules.yaml", "--format", "json", cwd=rules)
    assert [x["id"] for x in json.loads(r.stdout)["removed"]] == ["b"]
    r = cli("remove", "a,b", "--owner", "ops", "rules.yaml", "--format", "json", cwd=rules)
    assert [x["id"] for x in json.loads(r.stdout)["removed"]] == ["a"]
    for args, msg in (
        (["lat", "rules.yaml"], "no rule with id 'lat' in the rule files read (did you mean 'late'?)"),
        (["--owner", "nobody", "rules.yaml"], "no rule matches owner nobody; nothing to remove"),
        (["--select", "RL999", "rules.yaml"], "unknown check code"),
    ):
        r = cli("remove", *args, cwd=rules)
        assert r.exit_code == 2 and msg in r.stderr, r.output
        assert len(r.stderr.strip().splitlines()) == 1
    r = cli("remove", cwd=rules)
    assert r.exit_code == 2 and "name the rules to remove" in r.stderr


def test_remove_as_a_subprocess(rules):
    p = run_cli(["remove", "late", "rules.yaml", "--format", "json"], rules)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["changes"] == []


def _check(spec: MergeSet, pick: list[int]) -> None:
    with tempfile.TemporaryDirectory() as d:
        rs = load_dir(Path(d), spec.files())
        gone = [r for i, r in enumerate(rs.rules) if i in pick]
        res = impact(rs, gone, {})
        keep = [r for r in rs.rules if r not in gone]
        differ = [
            ev for ev in events(list(spec.fields), missing=True)
            if decision_key(rs, ev) != decision_key(rs, ev, keep)
        ]
        assert res.impact.complete
        assert bool(res.impact.decisions) == bool(differ)
        for c in res.impact.decisions:
            assert decision_key(rs, c.witness) != decision_key(rs, c.witness, keep), c


@settings(max_examples=examples(60), **PROPS)
@given(spec=merge_sets(max_rules=10), pick=st.lists(st.integers(0, 9), max_size=3, unique=True))
def test_impact_matches_brute_force(spec, pick):
    _check(spec, pick)


@settings(max_examples=examples(40), **PROPS)
@given(spec=dense_sets(), pick=st.lists(st.integers(0, 23), max_size=4, unique=True))
def test_impact_matches_brute_force_dense(spec, pick):
    _check(spec, pick)
