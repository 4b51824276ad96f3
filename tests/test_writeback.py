"""The check after writing (``consolidate/writeback.py``) must be able to fail: editors
broken on purpose (a rule dropped, rules swapped, a merged rule narrowed, metadata changed,
a kind declaration left out) are caught, the command exits 2, and the originals are back
byte for byte. Then the library function itself: a written set that is the planned one
but decides differently (the proof), a failed second file (the first is put back), and an
``--output`` that fails verification (a new file is removed, an old one restored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import rulelint.cli.merge as cli_merge
from conftest import assert_clean_exit
from rulelint.consolidate.writeback import Planned, WriteBackError, write_back
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project

CORPUS = Path(__file__).resolve().parent / "hostile"

RULES = """\
ruleset: s
rules:
  - id: x
    action: note
    description: first
    match: {plan: free}
  - id: a1
    action: close
    match:
      region: EU
  - id: a2
    action: close
    match:
      region: US
  - id: z
    action: q
    match: {plan: pro}
"""


def load(*paths: Path):
    root = paths[0].parent
    return load_project([SourceFile(p, p.name) for p in paths], Settings(root=root, cwd=root))


def _broken(monkeypatch, change):
    real = cli_merge.plan_edits

    def broken_editor(plan, *args):
        edits = real(plan, *args)
        for e in edits:
            e.new = change(e.new)
        return edits

    monkeypatch.setattr(cli_merge, "plan_edits", broken_editor)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.replace("  - id: z\n    action: q\n    match: {plan: pro}\n", ""),
         "hold 2 rules, 3 were planned"),
        (lambda t: t.replace("  - id: x\n    action: note\n    description: first\n"
                             "    match: {plan: free}\n", "") +
         "  - id: x\n    action: note\n    description: first\n    match: {plan: free}\n",
         "rule 1 in evaluation order is 'a1'"),
        (lambda t: t.replace("region: [EU, US]", "region: [EU]"),
         "rule 'a1' matches other events than planned"),
        (lambda t: t.replace("description: first", "description: changed"),
         "rule 'x' does not hold the planned data"),
        (lambda t: t.replace("    merged_from: [a1, a2]\n", "    merged_from: [a1, a2]\n    colour: x\n"),
         "new RL002 error"),
    ],
    ids=["drops-a-rule", "moves-a-rule", "narrows-the-merge", "edits-metadata", "schema-error"],
)
def test_broken_editor_is_caught_and_the_original_is_back(cli, tmp_path, monkeypatch, change, reason):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    before = path.read_bytes()
    _broken(monkeypatch, change)
    result = cli("suggest-merge", "rules.yaml", "--apply", "--color", "never", cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 2, result.output
    assert "verification after writing failed" in result.stderr and reason in result.stderr
    assert "the original files were put back" in result.stderr
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["rules.yaml"]  # no temp file left


def test_the_same_editor_unbroken_passes(cli, tmp_path, monkeypatch):
    """The control for the test above: the patch itself changes nothing."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    _broken(monkeypatch, lambda t: t)
    result = cli("suggest-merge", "rules.yaml", "--apply", "--color", "never", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "region: [EU, US]" in path.read_text()


def test_a_missing_kind_declaration_is_caught(cli, tmp_path, monkeypatch):
    """Family 3's check: an editor that forgets to declare ``src: ip`` writes a file in
    which ``other`` would match "hello"; the reload sees src read as a string."""
    path = tmp_path / "rules.yaml"
    shutil.copy(CORPUS / "write-kind-change.yaml", path)
    before = path.read_bytes()
    real = cli_merge.plan_edits
    monkeypatch.setattr(cli_merge, "plan_edits", lambda plan, declare=None: real(plan))
    result = cli("suggest-merge", "rules.yaml", "--include-redundant", "--apply", "--color",
                 "never", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "field 'src' would be read as string (it was ip)" in result.stderr
    assert path.read_bytes() == before


def test_broken_output_is_caught_new_file_removed(cli, tmp_path, monkeypatch):
    (tmp_path / "rules.yaml").write_text(RULES)
    real = cli_merge.output_text
    monkeypatch.setattr(cli_merge, "output_text",
                        lambda rs, plan: real(rs, plan).replace("  - id: z\n", "  - id: zz\n"))
    result = cli("suggest-merge", "rules.yaml", "--output", "new.yaml", "--color", "never",
                 cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "'zz'" in result.stderr and "'z'" in result.stderr
    assert not (tmp_path / "new.yaml").exists()


def test_broken_output_over_an_old_file_restores_it(cli, tmp_path, monkeypatch):
    (tmp_path / "rules.yaml").write_text(RULES)
    old = tmp_path / "new.yaml"
    old.write_bytes(b"# an older output the user keeps\n")
    real = cli_merge.output_text
    monkeypatch.setattr(cli_merge, "output_text",
                        lambda rs, plan: real(rs, plan).replace("action: q", "action: qq"))
    result = cli("suggest-merge", "rules.yaml", "--output", "new.yaml", "--color", "never",
                 cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert old.read_bytes() == b"# an older output the user keeps\n"


# --- the library function ------------------------------------------------------------------------


def test_write_back_proves_decisions_not_only_the_plan(tmp_path):
    """Planned rules equal to what is written, but deciding unlike the old set: the proof
    step fails with a witness and the file is restored."""
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    before = path.read_bytes()
    old_rs = load(path).rulesets["s"]
    changed = RULES.replace("region: US", "region: JP")
    other = tmp_path / "planned" / "rules.yaml"
    other.parent.mkdir()
    other.write_text(changed)
    planned = Planned.after(load(other).rulesets["s"], prove=False)
    planned.old = old_rs
    with pytest.raises(WriteBackError) as err:
        write_back({path: changed.encode()}, {path: before}, lambda: load(path), [planned])
    msg = str(err.value)
    assert "decide differently on" in msg and "region" in msg
    assert path.read_bytes() == before


def test_write_back_passes_and_returns_the_reloaded_project(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    rs = load(path).rulesets["s"]
    new = RULES.replace("description: first", "description: second")
    planned = Planned.after(rs, {id(rs.by_id()["x"]): {"id": "x", "action": "note",
                                                       "description": "second",
                                                       "match": {"plan": "free"}}}, prove=True)
    project = write_back({path: new.encode()}, {path: RULES.encode()}, lambda: load(path), [planned])
    assert project.rulesets["s"].by_id()["x"].rule.description == "second"
    assert path.read_text() == new


def test_write_back_puts_the_first_file_back_when_the_second_fails(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("ruleset: s\nrules:\n  - {id: a, action: x, match: {r: A}}\n")
    b.write_text("ruleset: s\nrules:\n  - {id: b, action: x, match: {r: B}}\n")
    a0, b0 = a.read_bytes(), b.read_bytes()
    rs = load(a, b).rulesets["s"]
    writes = {a: a0.replace(b"r: A", b"r: AA"), b: b0.replace(b"r: B", b"r: BB")}
    stale = {a: a0, b: b0 + b"# what we read was not what is there now\n"}
    with pytest.raises(WriteBackError) as err:
        write_back(writes, stale, lambda: load(a, b), [Planned.after(rs)])
    assert "changed since it was read" in str(err.value)
    assert "put back" in str(err.value)
    assert a.read_bytes() == a0 and b.read_bytes() == b0
