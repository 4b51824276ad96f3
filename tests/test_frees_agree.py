"""The numbers agree: ``check``'s ``summary.rulesets[].frees`` (and the text summary) are what
``suggest-merge`` then frees with no flag, ``--include-redundant`` and ``--include-shadowed``,
on the same files; and the RL201/RL301/RL302 hint names a flag that really removes the rule.

Runs the real CLI (CliRunner, and once as a subprocess) on rules.example.yaml and on
generated rule sets (``merge_gen``, sparse and dense) written to tmp dirs."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings

from conftest import Cli, run_cli
from merge_gen import MergeSet, merge_sets
from test_include_shadowed import dense_sets
from test_merge_properties import PROPS, examples

EXAMPLE = Path(__file__).resolve().parent.parent / "rules.example.yaml"
FLAGS = {"merge": [], "include_redundant": ["--include-redundant"],
         "include_shadowed": ["--include-shadowed"]}
HINT = {"include_redundant": "suggest-merge --include-redundant removes it",
        "include_shadowed": "suggest-merge --include-shadowed removes it"}


def _suggest(cli: Cli, files: list[str], cwd: Path, *flags: str) -> list[dict]:
    result = cli("suggest-merge", *files, *flags, "--format", "json", cwd=cwd)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return doc.get("rulesets", [doc])


def assert_agree(cli: Cli, files: list[str], cwd: Path) -> dict[str, dict[str, int]]:
    _, report = cli.json("check", *files, cwd=cwd)
    frees = {rs["name"]: rs["frees"] for rs in report["summary"]["rulesets"]}
    removed: dict[str, dict[str, set[str]]] = {}
    for flag, args in FLAGS.items():
        for doc in _suggest(cli, files, cwd, *args):
            assert doc["verified"]
            assert frees[doc["ruleset"]][flag] == doc["before"] - doc["after"], (flag, doc)
            assert doc["frees"] == frees[doc["ruleset"]]
            removed.setdefault(doc["ruleset"], {})[flag] = set(doc["removed"])
    for rs in report["summary"]["rulesets"]:
        assert rs["frees"]["merge"] == rs["mergeable_slots"]
    for f in report["findings"]:
        if f["code"] not in ("RL201", "RL301", "RL302"):
            continue
        rid, by = f["rule_ids"][0], removed[f["ruleset"]]
        if rid in by["include_redundant"]:
            assert f["message"].endswith(f"(rulelint {HINT['include_redundant']})"), f
        elif rid in by["include_shadowed"]:
            assert f["message"].endswith(f"(rulelint {HINT['include_shadowed']})"), f
        else:
            assert "removes it)" not in f["message"], f
    return frees


def test_example_numbers_agree(cli, tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "rules.yaml")
    frees = assert_agree(cli, ["rules.yaml"], tmp_path)
    assert frees == {"support-exceptions": {"merge": 6, "include_redundant": 7, "include_shadowed": 8}}
    text = cli("check", "rules.yaml", cwd=tmp_path).stdout
    assert "suggest-merge can free 6\n  suggest-merge --include-redundant frees 7, --include-shadowed 8\n" in text
    out = cli("suggest-merge", "rules.yaml", cwd=tmp_path).stdout
    assert out.rstrip().endswith("--include-redundant frees 1 more slot, --include-shadowed frees 2 more")


def test_example_numbers_agree_as_a_process(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "rules.yaml")
    check = run_cli(["check", "rules.yaml", "--format", "json"], tmp_path)
    [rs] = json.loads(check.stdout)["summary"]["rulesets"]
    for flag, args in FLAGS.items():
        sm = run_cli(["suggest-merge", "rules.yaml", *args, "--format", "json"], tmp_path)
        assert sm.returncode == 0, sm.stderr
        doc = json.loads(sm.stdout)
        assert rs["frees"][flag] == doc["before"] - doc["after"]


def _generated(cli: Cli, spec: MergeSet) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for name, text in spec.files().items():
            (root / name).write_text(text, encoding="utf-8")
        assert_agree(cli, sorted(spec.files()), root)


@settings(max_examples=examples(25), **PROPS)
@given(spec=merge_sets(max_rules=12))
def test_generated_numbers_agree(spec):
    with pytest.MonkeyPatch.context() as mp:
        _generated(Cli(mp), spec)


@settings(max_examples=examples(25), **PROPS)
@given(spec=dense_sets())
def test_dense_numbers_agree(spec):
    with pytest.MonkeyPatch.context() as mp:
        _generated(Cli(mp), spec)
