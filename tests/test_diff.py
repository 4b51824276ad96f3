"""``rulelint diff REF``: rules added/removed/edited and the decisions that changed.

CLI tests in real git repos, and a property test: for random pairs of related rule sets
(a rule set and a mutation of it) the semantic difference is compared with brute force over
every event class (``ruleset_gen``), and every witness is checked by an evaluator that does
not share code with the product.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ci_gitrepo import Repo
from rulelint.cli import app
from rulelint.compare.semdiff import diff_ruleset
from rulelint.evaluate import decide
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import RuleSet, load_project
from ruleset_gen import ACTIONS, Cond, Events, RuleSpec, SetSpec, rule_sets

BASE = """\
ruleset: support
limits: {max_rules: 10}
rules:
  - id: pro-close
    action: close
    match: {plan: pro}
  - id: free-close
    action: close
    match: {plan: free}
  - id: jp-keep
    action: keep
    match: {region: JP}
"""


def diff(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["diff", *args])
    assert "Traceback" not in r.output
    return r.exit_code, r.stdout if r.exit_code in (0, 1) else r.stderr


def diff_json(*args: str) -> dict:
    code, out = diff(*args, "--format", "json")
    assert code == 0, out
    return json.loads(out)


def load_text(text: str, name: str = "rules.yaml"):
    """The ruleset of one rule file text, loaded by the product's loader (no git)."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / name).write_text(text)
        cfg = Settings(root=root, cwd=root)
        project = load_project([SourceFile(root / name, name)], cfg)
    [rs] = project.rulesets.values()
    return rs


def decision(rs, event):
    d = decide(rs, event)
    return d.actions, [r.id for r in d.deciding]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("rules/support.yaml", BASE)
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    return repo


def swap(text: str, a: str, b: str) -> str:
    """Swap the rule blocks with ids a and b (3 lines each) in a rule file text."""
    lines = text.splitlines(keepends=True)
    ia = next(i for i, line in enumerate(lines) if line == f"  - id: {a}\n")
    ib = next(i for i, line in enumerate(lines) if line == f"  - id: {b}\n")
    block_a, block_b = lines[ia:ia + 3], lines[ib:ib + 3]
    lines[ib:ib + 3] = block_a
    lines[ia:ia + 3] = block_b
    return "".join(lines)


def test_diff_names_the_changed_decision_with_a_verified_witness(repo: Repo) -> None:
    head = swap(BASE, "free-close", "jp-keep")  # jp-keep now decides JP free tickets
    repo.write("rules/support.yaml", head)
    data = diff_json("HEAD")
    [rs] = data["rulesets"]
    assert rs["added"] == rs["removed"] == rs["edited"] == []
    assert rs["complete"] is True and rs["no_decision_changed"] is False
    [change] = rs["decisions"]
    assert change["old"]["id"] == "free-close" and change["new"]["id"] == "jp-keep"
    assert (change["before"], change["after"]) == (["close"], ["keep"])
    w = change["witness"]
    assert w["plan"] == "free" and w["region"] == "JP"
    # the witness, evaluated on both sides by the reference evaluator
    assert decision(load_text(BASE), w) == (["close"], ["free-close"])
    assert decision(load_text(head), w) == (["keep"], ["jp-keep"])
    code, out = diff("HEAD", "--color", "never")
    assert code == 0
    assert "'free-close' (close) → 'jp-keep' (keep)" in out
    assert "witness: plan=free, region=JP" in out
    assert diff("HEAD", "--exit-code")[0] == 1


def test_pure_reorder_of_non_overlapping_rules_changes_no_decision(repo: Repo) -> None:
    repo.write("rules/support.yaml", swap(BASE, "pro-close", "free-close"))
    data = diff_json("HEAD")
    [rs] = data["rulesets"]
    assert rs["decisions"] == [] and rs["complete"] and rs["no_decision_changed"]
    code, out = diff("HEAD", "--color", "never", "--exit-code")
    assert code == 0 and "no decision changed" in out
    # the same rules swapped where they overlap is a change (control for the test above)
    repo.write("rules/support.yaml", swap(BASE, "free-close", "jp-keep"))
    assert diff_json("HEAD")["rulesets"][0]["decisions"]


def test_added_removed_and_edited_rules(repo: Repo) -> None:
    head = BASE.replace(
        "  - id: free-close\n    action: close\n    match: {plan: free}\n",
        "  - id: free-close\n    action: escalate\n    match: {plan: free}\n"
        "  - id: de-refund\n    action: refund\n    match: {region: DE, plan: enterprise}\n",
    ).replace("  - id: pro-close\n    action: close\n    match: {plan: pro}\n", "")
    repo.write("rules/support.yaml", head)
    data = diff_json("HEAD")
    [rs] = data["rulesets"]
    assert [c["id"] for c in rs["added"]] == ["de-refund"]
    assert [c["id"] for c in rs["removed"]] == ["pro-close"]
    assert [(c["id"], c["keys"]) for c in rs["edited"]] == [("free-close", ["action"])]
    assert rs["counts"][0] == {"measure": "rules", "before": 3, "after": 3, "cap": 10}
    pairs = {
        (c["old"]["id"] if c["old"] else None, c["new"]["id"] if c["new"] else None)
        for c in rs["decisions"]
    }
    assert pairs == {
        ("pro-close", None),  # pro tickets outside JP: no rule now
        ("pro-close", "jp-keep"),  # pro tickets in JP: jp-keep now
        ("free-close", "free-close"),  # the new action
        (None, "de-refund"),
    }
    old_rs, new_rs = load_text(BASE), load_text(head)
    for c in rs["decisions"]:
        before, after = decision(old_rs, c["witness"]), decision(new_rs, c["witness"])
        assert before[0] == c["before"] and after[0] == c["after"] and before[0] != after[0]
    code, out = diff("HEAD", "--color", "never")
    assert "no match → 'de-refund' (refund)" in out
    assert "'pro-close' (close) → no match" in out
    assert "edited   free-close" in out and "changed: action" in out


def test_counts_and_markdown(repo: Repo) -> None:
    extra = "".join(
        f"  - id: c{i}\n    action: tag\n    match: {{customer_id: C-{i}}}\n" for i in range(8)
    )
    repo.write("rules/support.yaml", BASE + extra)
    code, out = diff("HEAD", "--format", "markdown")
    assert code == 0
    assert out.startswith("## rulelint diff against `HEAD`")
    assert "| rules | 3 | 11 | 10 |" in out
    assert "**Added** (8)" in out
    assert "| before | after | witness |" in out
    assert "| no match | 'c0' (tag) | `customer_id=C-0`" in out


def test_any_match_compares_the_sets_of_actions(repo: Repo) -> None:
    base = "ruleset: lists\nsemantics: any-match\nrules:\n" \
           "  - id: tag-jp\n    action: tag\n    match: {region: JP}\n" \
           "  - id: notify-pro\n    action: notify\n    match: {plan: pro}\n"
    repo.write("rules/lists.yaml", base)
    repo.commit("lists")
    head = base + "  - id: notify-jp\n    action: notify\n    match: {region: JP, plan: free}\n"
    repo.write("rules/lists.yaml", head)
    data = diff_json("HEAD", "rules/lists.yaml")
    [rs] = data["rulesets"]
    [c] = rs["decisions"]
    assert c["new"]["id"] == "notify-jp" and c["old"] is None
    assert (c["before"], c["after"]) == (["tag"], ["notify", "tag"])
    assert decision(load_text(base), c["witness"])[0] == ["tag"]
    assert decision(load_text(head), c["witness"])[0] == ["notify", "tag"]
    # adding a rule whose events are already notified changes nothing
    repo.write("rules/lists.yaml", base + "  - id: n2\n    action: notify\n"
               "    match: {plan: pro, region: KR}\n")
    assert diff_json("HEAD", "rules/lists.yaml")["rulesets"][0]["no_decision_changed"]


def test_glob_rules_report_only_verified_changes(repo: Repo) -> None:
    base = "ruleset: mail\nrules:\n" \
           "  - id: vendors\n    action: allow\n    match: {email: {glob: '*@*.example.com'}}\n"
    repo.write("rules/mail.yaml", base)
    repo.commit("mail")
    head = "ruleset: mail\nrules:\n" \
           "  - id: block-x\n    action: block\n    match: {email: {glob: 'x*@*.example.com'}}\n" \
           + base.split("rules:\n")[1]
    repo.write("rules/mail.yaml", head)
    data = diff_json("HEAD", "rules/mail.yaml")
    [rs] = data["rulesets"]
    assert rs["complete"] is False and rs["notes"]  # opaque globs: no "no decision changed"
    old_rs, new_rs = load_text(base), load_text(head)
    for c in rs["decisions"]:
        assert decision(old_rs, c["witness"])[0] != decision(new_rs, c["witness"])[0]
    code, out = diff("HEAD", "rules/mail.yaml", "--color", "never")
    assert "no decision changed" not in out and "note:" in out


def test_removed_ruleset_and_unknown_ref(repo: Repo) -> None:
    repo.write("rules/other.yaml", "ruleset: other\nrules:\n"
               "  - id: o1\n    action: keep\n    match: {plan: pro}\n")
    repo.commit("other")
    (repo.root / "rules/other.yaml").unlink()
    data = diff_json("HEAD")
    other = next(rs for rs in data["rulesets"] if rs["name"] == "other")
    assert [c["id"] for c in other["removed"]] == ["o1"]
    assert other["counts"][0]["after"] == 0
    assert [(c["old"]["id"], c["new"]) for c in other["decisions"]] == [("o1", None)]
    code, err = diff("nope")
    assert code == 2 and "unknown git ref 'nope'" in err


def test_diff_as_a_subprocess(repo: Repo) -> None:
    repo.write("rules/support.yaml", swap(BASE, "free-close", "jp-keep"))
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "diff", "HEAD", "--format", "markdown"],
        capture_output=True, text=True, cwd=repo.root, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| 'free-close' (close) | 'jp-keep' (keep) | `plan=free, region=JP` |" in proc.stdout


# --- property test against brute force --------------------------------------------------------


@st.composite
def related_pairs(draw, glob_tags: bool = False) -> tuple[SetSpec, SetSpec]:
    """A rule set and a mutation of it: swaps, drops, new actions, priorities, new rules."""
    bounded = draw(st.booleans())  # age declared {min: 0, max: 10} on both sides, or not
    old = draw(rule_sets(glob_tags=glob_tags, max_rules=6, bounded_age=bounded))
    rules = list(old.rules)
    ops = draw(st.lists(st.sampled_from(["swap", "drop", "action", "priority", "add"]),
                        min_size=1, max_size=3))
    fresh = 0
    for op in ops:
        if op == "add" or not rules:
            extra = draw(rule_sets(glob_tags=glob_tags, max_rules=2, bounded_age=bounded)).rules
            for r in extra:
                rules.insert(draw(st.integers(0, len(rules))), replace(r, id=f"n{fresh}"))
                fresh += 1
            continue
        i = draw(st.integers(0, len(rules) - 1))
        if op == "swap" and len(rules) > 1:
            j = draw(st.integers(0, len(rules) - 1))
            rules[i], rules[j] = rules[j], rules[i]
        elif op == "drop":
            del rules[i]
        elif op == "action":
            rules[i] = replace(rules[i], action=draw(st.sampled_from(ACTIONS)))
        elif op == "priority":
            rules[i] = replace(rules[i], priority=draw(st.sampled_from([0, 1, 2])))
    new = SetSpec(old.semantics, tuple(rules), glob_tags, bounded)
    return old, new


def _load_spec(spec: SetSpec):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        sources = []
        for name, text in spec.files().items():
            (root / name).write_text(text)
            sources.append(SourceFile(root / name, name))
        cfg = Settings(root=root, cwd=root)
        project = load_project(sources, cfg)
    assert not project.findings or all(f.code == "RL004" for f in project.findings), [
        f.message for f in project.findings
    ]
    return project.rulesets.get("gen")


def _truth(spec: SetSpec, event: dict):
    order = spec.ordered()
    matched = [r for r in order if r.matches(event)]
    if spec.semantics == "first-match":
        return (matched[0].action if matched else None), matched
    return frozenset(r.action for r in matched), matched


def _blame(spec_sem, old_m, new_m, old_d, new_d):
    if spec_sem == "first-match":
        return (old_m[0].id if old_m else None, new_m[0].id if new_m else None)
    lost = [r.id for r in old_m if r.action not in new_d]
    gained = [r.id for r in new_m if r.action not in old_d]
    return (lost[0] if lost else None, gained[0] if gained else None)


def _differences(old: SetSpec, new: SetSpec) -> set[tuple]:
    """(old decider, new decider) of every event class decided differently, including
    events that lack some fields (with globs the classes are a sample, not a proof)."""
    both = SetSpec(old.semantics, old.rules + tuple(replace(r, id="x" + r.id) for r in new.rules),
                   old.glob_tags or new.glob_tags, old.bounded_age)
    ev = Events(both)
    truth: set[tuple] = set()
    mask = ev.all
    while mask:
        low = mask & -mask
        mask ^= low
        e = ev.event(low.bit_length() - 1)
        od, om = _truth(old, e)
        nd, nm = _truth(new, e)
        if od != nd:
            truth.add(_blame(old.semantics, om, nm, od, nd))
    return truth


def _diff(old: SetSpec, new: SetSpec):
    old_rs, new_rs = _load_spec(old), _load_spec(new)
    d = diff_ruleset(old_rs or RuleSet("gen", old.semantics),
                     new_rs or RuleSet("gen", new.semantics), "gen")
    assert not d.truncated
    return d


def _check_witnesses(old: SetSpec, new: SetSpec, d) -> None:
    for c in d.decisions:  # every witness, judged by the independent evaluator
        od, om = _truth(old, c.witness)
        nd, nm = _truth(new, c.witness)
        assert od != nd, (c, od, nd)
        assert _blame(old.semantics, om, nm, od, nd) == (
            c.old.id if c.old else None, c.new.id if c.new else None
        )


PROPERTY = dict(deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# a glob over an enum field is exact: its witness comes from the box, not from the pattern
ENUM_GLOB = (
    SetSpec("first-match", (RuleSpec("r0", "allow", 0, 0, (), enabled=False),)),
    SetSpec("first-match", (
        RuleSpec("n0", "allow", 0, 0, (Cond("plan", "glob", ("*",)), Cond("region", "eq", "JP"))),
        RuleSpec("r0", "allow", 0, 0, (), enabled=False),
    )),
)


@settings(max_examples=150, **PROPERTY)
@example(ENUM_GLOB)
@given(related_pairs())
def test_semantic_diff_matches_brute_force(pair) -> None:
    old, new = pair
    if len({r.id for r in new.rules}) != len(new.rules):
        return
    d = _diff(old, new)
    truth = _differences(old, new)
    reported = {(c.old.id if c.old else None, c.new.id if c.new else None) for c in d.decisions}
    _check_witnesses(old, new, d)
    assert d.complete
    if old.semantics == "first-match":
        assert reported == truth, (old, new)
    else:
        assert bool(reported) == bool(truth), (old, new)
    assert d.no_decision_changed == (not truth)


@settings(max_examples=80, **PROPERTY)
@given(related_pairs(glob_tags=True))
def test_semantic_diff_is_sound_with_globs(pair) -> None:
    """Opaque globs: every reported change is real, and "no decision changed" is never
    claimed when some sample event is decided differently."""
    old, new = pair
    if len({r.id for r in new.rules}) != len(new.rules):
        return
    d = _diff(old, new)
    _check_witnesses(old, new, d)
    if d.no_decision_changed:
        assert not _differences(old, new), (old, new)


def test_enum_values_added_and_field_kind_changed() -> None:
    base = "ruleset: s\nfields: {plan: {kind: enum, values: [free, pro]}}\nrules:\n" \
           "  - id: a\n    action: keep\n    match: {plan: {not_in: [free]}}\n"
    head = base.replace("values: [free, pro]", "values: [free, pro, enterprise]") \
        + "  - id: b\n    action: close\n    match: {plan: enterprise}\n"
    d = diff_ruleset(load_text(base), load_text(head), "s")
    # at the ref `enterprise` was no value of the field: no rule matched it
    assert [(c.old, c.new.id, c.witness) for c in d.decisions] == [
        (None, "a", {"plan": "enterprise"})
    ]
    assert d.complete
    assert decision(load_text(base), {"plan": "enterprise"}) == ([], [])
    assert decision(load_text(head), {"plan": "enterprise"}) == (["keep"], ["a"])
    # a field whose kind changed cannot be compared with sets: said, not guessed
    kinds = "ruleset: s\nrules:\n  - id: a\n    action: keep\n    match: {code: A1}\n"
    ints = "ruleset: s\nrules:\n  - id: a\n    action: keep\n    match: {code: {range: [1, 5]}}\n"
    d = diff_ruleset(load_text(kinds), load_text(ints), "s")
    assert not d.complete and d.decisions == []
    assert d.notes == ["field 'code' is string at the ref but int now; decisions were not compared"]
    assert [c.id for c in d.edited] == ["a"]
