"""``suggest-merge --apply`` / ``--diff`` / ``--output`` through the real CLI, on real files.

The central check: after ``--apply`` every byte outside the rules it changed is as it was.
The expected file is built independently from the original text: each merged rule's lines
(from its ``-`` to its last non-blank, non-comment line) are replaced by that rule's lines
as found in the new file, and each deleted rule's lines go, together with the comment lines
directly above it at its own indent (they describe it; documented in rewrite.py) and the
blank separator after it. Everything else must be identical, byte for byte.
"""

from __future__ import annotations

import difflib
import errno
import itertools
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import rulelint.cli.merge as cli_merge
import rulelint.util.atomicio as atomicio
from rulelint.cli import app
from rulelint.evaluate import decision_key
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["suggest-merge", *args, "--color", "never"])


# --- helpers ---------------------------------------------------------------------------------

ID_RE = re.compile(r"""^\s*(?:-\s+)?id:\s*["']?([A-Za-z0-9][A-Za-z0-9._:-]*)["']?\s*(?:#.*)?$""")


def _blank_or_comment(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


def rule_regions(text: str) -> dict[str, tuple[int, int, int]]:
    """id -> (first line, end line exclusive, indent of the dash) of each block-style rule."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(r"^rules:\s*(#.*)?$", line))
    items: list[int] = []
    indent = None
    k = start + 1
    while k < len(lines):
        line = lines[k]
        if _blank_or_comment(line):
            k += 1
            continue
        ind = len(line) - len(line.lstrip(" "))
        if indent is None:
            indent = ind
        if ind < indent or (ind == indent and not line.strip().startswith("-")):
            break
        if ind == indent:
            items.append(k)
        k += 1
    regions = {}
    for n, first in enumerate(items):
        end = items[n + 1] if n + 1 < len(items) else k
        while end - 1 > first and _blank_or_comment(lines[end - 1]):
            end -= 1
        rid = next(m.group(1) for j in range(first, end) if (m := ID_RE.match(lines[j])))
        regions[rid] = (first, end, indent or 0)
    return regions


def expected_after_apply(old: str, new: str, replaced: set[str], deleted: set[str]) -> str:
    old_lines, new_lines = old.split("\n"), new.split("\n")
    old_regions, new_regions = rule_regions(old), rule_regions(new)
    starts = {r[0]: (rid, r) for rid, r in old_regions.items() if rid in replaced | deleted}
    out: list[str] = []
    k = 0
    while k < len(old_lines):
        if k not in starts:
            out.append(old_lines[k])
            k += 1
            continue
        rid, (first, end, indent) = starts[k]
        if rid in replaced:
            a, b, _ = new_regions[rid]
            out.extend(new_lines[a:b])
        else:
            while out and out[-1].strip().startswith("#") and (
                len(out[-1]) - len(out[-1].lstrip(" ")) == indent
            ):
                out.pop()
            if not out or not out[-1].strip():
                while end < len(old_lines) and not old_lines[end].strip() and end not in starts:
                    end += 1
        k = end
    return "\n".join(out)


def load_rs(*paths: Path):
    root = paths[0].parent
    project = load_project([SourceFile(p, p.name) for p in paths], Settings(root=root, cwd=root))
    return project, next(iter(project.rulesets.values()), None)


def same_decisions(old_paths: list[Path], new_paths: list[Path]) -> None:
    _, old = load_rs(*old_paths)
    project, new = load_rs(*new_paths)
    problems = [f.message for f in project.findings if "byte-order mark" not in f.message]
    assert not problems, problems
    missing = object()
    for region, channel in itertools.product(
        ["JP", "KR", "CN", "DE", "US", "ZZ", missing], ["email", "chat", missing]
    ):
        ev = {k: v for k, v in (("region", region), ("channel", channel)) if v is not missing}
        assert decision_key(old, ev) == decision_key(new, ev), ev


# --- files -----------------------------------------------------------------------------------

# comments between rules, 4-space indentation, quoted strings, a `-` on its own line, flow
# style match, a comment inside a rule, a section header that must stay, an unrelated rule
MESSY = """\
# Top comment: keep me.
ruleset: "support"   # quoted name
semantics: first-match
limits: {max_rules: 10}

rules:
    # --- SLA exceptions (section header, keep) ---

    -
        id: "jp-email"
        action: 'extend_sla'
        match: {region: JP, channel: email}
        owner: "ops@example.com"   # trailing comment inside a rule
        tags: ["apac"]

    # comment directly above kr-email: goes with it
    - id: kr-email
      action: extend_sla
      match:
          region: KR
          channel: email
      owner: ops@example.com
      ticket: 'CS-2'

    # unrelated rule in between, another action (does not overlap)
    - id: escalate-de
      action: escalate
      match: {region: DE}
      owner: "ops@example.com"    # keep   this   spacing

    # a disabled rule stays as it is
    - id: old-thing
      action: extend_sla
      enabled: false
      match: {region: US}
      owner: ops@example.com

    - id: cn-email
      action: extend_sla
      match: {region: CN, channel: email}
      owner: ops@example.com
      created: 2025-01-02
    # trailing comment at the end of the list

# a comment after the list
"""

RULES_NOT_LAST = """\
rules:
- id: a
  action: allow
  match: {region: JP}
# between a and b
- id: b
  action: allow
  match: {region: KR}
- id: keep
  action: deny
  match: {region: DE}
ruleset: tail-header   # header keys after the list
semantics: any-match
"""

NO_TRAILING_NEWLINE = "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n" \
    "  - id: b\n    action: x\n    match: {region: KR}"


@pytest.mark.parametrize(
    ("text", "bom"),
    [(MESSY, False), (MESSY, True), (RULES_NOT_LAST, False), (NO_TRAILING_NEWLINE, False)],
    ids=["messy", "messy-bom", "rules-not-last", "no-trailing-newline"],
)
def test_apply_keeps_every_byte_outside_the_changed_rules(tmp_path, monkeypatch, text, bom):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    raw = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path.write_bytes(raw)
    path.chmod(0o640)
    orig = tmp_path / "orig" / "rules.yaml"
    orig.parent.mkdir()
    orig.write_bytes(raw)

    plan = run("rules.yaml", "--format", "json")
    assert plan.exit_code == 0, plan.output
    doc = json.loads(plan.stdout)
    assert doc["verified"] is True and doc["groups"], doc
    replaced = {g["merged_id"] for g in doc["groups"]}
    deleted = {m for g in doc["groups"] for m in g["from"] if m != g["merged_id"]}
    deleted |= set(doc["removed"])

    result = run("rules.yaml", "--apply")
    assert result.exit_code == 0, result.output
    assert "applied: rules.yaml" in result.stdout
    new_raw = path.read_bytes()
    assert new_raw.startswith(b"\xef\xbb\xbf") == bom
    new = new_raw.decode("utf-8").removeprefix("\ufeff")
    assert new == expected_after_apply(text, new, replaced, deleted)
    assert new != text
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orig", "rules.yaml"]  # no temp left
    same_decisions([orig], [path])
    # and a second run has nothing left to do
    again = run("rules.yaml", "--format", "json")
    assert json.loads(again.stdout)["groups"] == []


def test_apply_messy_file_merges_the_expected_rules(tmp_path, monkeypatch):
    """What the messy file holds: the three extend_sla email rules become one (the disabled
    rule and the escalate rule in between stay)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(MESSY, encoding="utf-8")
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 0, result.output
    _, rs = load_rs(tmp_path / "rules.yaml")
    assert [r.id for r in rs.rules] == ["jp-email", "escalate-de", "old-thing"]
    merged = rs.rules[0]
    assert merged.rule.merged_from == ["jp-email", "kr-email", "cn-email"]
    assert sorted(merged.rule.match["region"]) == ["CN", "JP", "KR"]
    text = (tmp_path / "rules.yaml").read_text(encoding="utf-8")
    assert "# --- SLA exceptions (section header, keep) ---" in text
    assert "# comment directly above kr-email" not in text
    assert 'owner: "ops@example.com"    # keep   this   spacing' in text
    assert text.endswith("    # trailing comment at the end of the list\n\n# a comment after the list\n")


def test_apply_merges_across_two_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = "# file a: header comment\nruleset: s\nrules:\n  - id: a1\n    action: x\n" \
        "    match: {region: JP}\n  # other action, does not overlap\n  - id: a2\n" \
        "    action: y\n    match: {region: DE}\n# end of a\n"
    b = "# file b\nruleset: s\nrules:\n  # b's only rule\n  - id: b1\n    action: x\n" \
        "    match: {region: KR}\n# end of b\n"
    (tmp_path / "a.yaml").write_text(a, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(b, encoding="utf-8")
    (tmp_path / "orig").mkdir()
    for n, t in (("a.yaml", a), ("b.yaml", b)):
        (tmp_path / "orig" / n).write_text(t, encoding="utf-8")
    result = run("a.yaml", "b.yaml", "--apply")
    assert result.exit_code == 0, result.output
    assert "applied: a.yaml, b.yaml" in result.stdout
    new_a = (tmp_path / "a.yaml").read_text(encoding="utf-8")
    new_b = (tmp_path / "b.yaml").read_text(encoding="utf-8")
    assert new_a == expected_after_apply(a, new_a, {"a1"}, set())
    assert new_b == expected_after_apply(b, new_b, set(), {"b1"})
    assert new_b == "# file b\nruleset: s\nrules:\n# end of b\n"
    same_decisions(
        [tmp_path / "orig" / "a.yaml", tmp_path / "orig" / "b.yaml"],
        [tmp_path / "a.yaml", tmp_path / "b.yaml"],
    )


CRLF = "ruleset: s\r\nrules:\r\n  - id: a\r\n    action: x\r\n    match: {region: JP}\r\n" \
    "  # about b\r\n  - id: b\r\n    action: x\r\n    match: {region: KR}\r\n" \
    "  - id: c\r\n    action: y\r\n    match: {region: DE}\r\n"


def test_apply_crlf_file_keeps_crlf_or_refuses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_bytes(CRLF.encode())
    result = run("rules.yaml", "--apply")
    data = path.read_bytes()
    if result.exit_code == 2:  # refused: clearly, and nothing written
        assert "line ending" in result.stderr.lower() or "crlf" in result.stderr.lower()
        assert data == CRLF.encode()
        return
    assert result.exit_code == 0, result.output
    assert data.count(b"\n") == data.count(b"\r\n")  # every line ends in CRLF
    assert data.startswith(b"ruleset: s\r\nrules:\r\n")


def test_apply_crlf_file_still_loads_and_is_equivalent(tmp_path, monkeypatch):
    """Whatever the line endings, the applied CRLF file loads and decides the same."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_bytes(CRLF.encode())
    (tmp_path / "orig").mkdir()
    (tmp_path / "orig" / "rules.yaml").write_bytes(CRLF.encode())
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 0, result.output
    same_decisions([tmp_path / "orig" / "rules.yaml"], [path])
    text = path.read_bytes().decode()
    assert text.endswith("  - id: c\r\n    action: y\r\n    match: {region: DE}\r\n")


@pytest.mark.parametrize(
    "text",
    [
        "ruleset: s\nrules:\n  - {id: a, action: x, match: {region: JP}}\n"
        "  - {id: b, action: x, match: {region: KR}}\n",
        "ruleset: s\nrules: [{id: a, action: x, match: {region: JP}}, "
        "{id: b, action: x, match: {region: KR}}]\n",
    ],
    ids=["flow-items", "flow-list"],
)
def test_apply_refuses_rules_written_in_flow_style(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 2
    assert "rules.yaml:" in result.stderr and "flow style" in result.stderr
    assert "--output" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == text


BROKEN = {
    "duplicate-key": "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n"
    "  - id: b\n    action: x\n    action: x\n    match: {region: KR}\n",
    "unknown-key": "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n"
    "  - id: b\n    action: x\n    match: {region: KR}\n  - id: c\n    action: x\n"
    "    mtach: {region: DE}\n",
    "bad-cidr": "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n"
    "  - id: b\n    action: x\n    match: {region: KR}\n  - id: c\n    action: x\n"
    "    match: {src: {cidr: 10.0.0.300/8}}\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_apply_refuses_when_a_file_has_errors(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(BROKEN[name], encoding="utf-8")
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 2, result.output
    assert re.search(r"rules\.yaml:\d+: ", result.stderr), result.stderr
    assert "before --apply" in result.stderr
    assert path.read_text(encoding="utf-8") == BROKEN[name]


def test_apply_refuses_when_another_file_of_the_run_is_not_yaml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n" \
        "  - id: b\n    action: x\n    match: {region: KR}\n"
    (tmp_path / "a.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("ruleset: s\nrules: [\n", encoding="utf-8")
    result = run(".", "--apply")
    assert result.exit_code == 2
    assert "b.yaml:" in result.stderr
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8") == good


SIMPLE = "ruleset: s\nrules:\n  - id: a\n    action: x\n    match: {region: JP}\n" \
    "  - id: b\n    action: x\n    match: {region: KR}\n  - id: c\n    action: y\n" \
    "    match: {region: DE}\n"


def test_apply_refuses_when_the_file_changed_since_it_was_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(SIMPLE, encoding="utf-8")
    concurrent = SIMPLE + "  - id: added-meanwhile\n    action: y\n    match: {region: US}\n"
    real = cli_merge.plan_edits

    def plan_then_someone_edits(plan, *args):
        edits = real(plan, *args)
        path.write_text(concurrent, encoding="utf-8")  # a colleague saves the file now
        return edits

    monkeypatch.setattr(cli_merge, "plan_edits", plan_then_someone_edits)
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 2
    assert "changed since it was read" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == concurrent
    assert [p.name for p in tmp_path.iterdir()] == ["rules.yaml"]


def test_apply_in_a_read_only_directory_fails_clearly(tmp_path, monkeypatch):
    d = tmp_path / "ro"
    d.mkdir()
    path = d / "rules.yaml"
    path.write_text(SIMPLE, encoding="utf-8")
    d.chmod(0o555)
    try:
        probe = d / ".probe"
        try:
            probe.write_text("x")
        except PermissionError:
            pass
        else:
            probe.unlink()
            pytest.skip("this user can write into a read-only directory (root)")
        monkeypatch.chdir(d)
        result = run("rules.yaml", "--apply")
        assert result.exit_code == 2
        assert "cannot write" in result.stderr
        assert "Traceback" not in result.output
        assert path.read_text(encoding="utf-8") == SIMPLE
    finally:
        d.chmod(0o755)


@pytest.mark.parametrize("where", ["mkstemp", "replace"])
def test_apply_write_failure_leaves_the_original_intact(tmp_path, monkeypatch, where):
    """The same error path simulated (runs as root too): no temp file left, file intact."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(SIMPLE, encoding="utf-8")
    def deny(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    if where == "mkstemp":
        monkeypatch.setattr(atomicio.tempfile, "mkstemp", deny)
    else:
        monkeypatch.setattr(atomicio.os, "replace", deny)
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "Permission denied" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_text(encoding="utf-8") == SIMPLE
    assert [p.name for p in tmp_path.iterdir()] == ["rules.yaml"]


ANCHORS = """\
ruleset: s
rules:
  - id: a
    action: allow
    owner: &ops ops@example.com
    match: {region: JP}
  - id: b
    action: allow
    owner: *ops
    match: {region: KR}
  - id: c
    action: deny
    owner: *ops
    match: {region: DE}
"""


def test_apply_with_yaml_anchors_keeps_the_file_loadable_or_refuses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(ANCHORS, encoding="utf-8")
    result = run("rules.yaml", "--apply")
    if result.exit_code == 2:
        assert "anchor" in result.stderr or "alias" in result.stderr
        assert path.read_text(encoding="utf-8") == ANCHORS
        return
    assert result.exit_code == 0
    project, _ = load_rs(path)
    assert not project.findings, [f"{f.code} {f.message}" for f in project.findings]


def test_apply_an_ampersand_in_plain_text_is_not_an_anchor(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(
        "ruleset: s\nrules:\n  - id: a\n    action: x\n    description: Tom &Jerry tickets\n"
        "    match: {region: JP}\n  - id: b\n    action: x\n    match: {region: KR}\n",
        encoding="utf-8",
    )
    result = run("rules.yaml", "--apply")
    assert result.exit_code == 0, result.stderr
    _, rs = load_rs(path)
    assert rs.rules[0].rule.description == "Tom &Jerry tickets"


# --- --output and --diff ---------------------------------------------------------------------


def test_output_writes_a_complete_rule_set_that_loads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(MESSY, encoding="utf-8")
    result = run("rules.yaml", "--output", "out/new.yaml")
    assert result.exit_code == 2  # the directory does not exist: a clear error
    assert "cannot write" in result.stderr and "Traceback" not in result.output
    (tmp_path / "out").mkdir()
    result = run("rules.yaml", "--output", "out/new.yaml")
    assert result.exit_code == 0, result.output
    assert "wrote out/new.yaml" in result.stdout
    assert (tmp_path / "rules.yaml").read_text(encoding="utf-8") == MESSY
    out = tmp_path / "out" / "new.yaml"
    project, rs = load_rs(out)
    assert not project.findings
    assert rs.name == "support" and rs.semantics == "first-match" and rs.max_rules == 10
    assert [r.id for r in rs.rules] == ["jp-email", "escalate-de", "old-thing"]
    assert rs.rules[2].rule.enabled is False
    assert rs.rules[0].rule.tags == ["apac"] and rs.rules[0].rule.tickets == ["CS-2"]
    same_decisions([tmp_path / "rules.yaml"], [out])


def test_output_keeps_owner_from_file_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.yaml").write_text(
        "ruleset: s\ndefaults: {owner: ops@example.com}\nrules:\n"
        "  - id: a\n    action: x\n    match: {region: JP}\n"
        "  - id: b\n    action: x\n    match: {region: KR}\n"
        "  - id: c\n    action: y\n    match: {region: DE}\n",
        encoding="utf-8",
    )
    result = run("rules.yaml", "--output", "new.yaml")
    assert result.exit_code == 0, result.output
    _, rs = load_rs(tmp_path / "new.yaml")
    assert {r.id: r.rule.owner for r in rs.rules} == {
        "a": "ops@example.com", "c": "ops@example.com"
    }


def test_diff_prints_the_unified_diff_of_apply_and_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "rules.yaml"
    path.write_text(MESSY, encoding="utf-8")
    before = path.stat()
    result = run("rules.yaml", "--diff")
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == MESSY
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    out = result.stdout
    diff = out[out.index("--- a/rules.yaml"):]
    assert "+++ b/rules.yaml\n@@ " in diff
    # it is exactly the diff between the file and what --apply then writes
    assert run("rules.yaml", "--apply").exit_code == 0
    applied = path.read_text(encoding="utf-8")
    want = "".join(difflib.unified_diff(
        MESSY.splitlines(keepends=True), applied.splitlines(keepends=True),
        fromfile="a/rules.yaml", tofile="b/rules.yaml",
    ))
    assert diff == want
    # with --format json the diff goes to stderr and stdout stays JSON
    path.write_text(MESSY, encoding="utf-8")
    result = run("rules.yaml", "--diff", "--format", "json")
    assert json.loads(result.stdout)["verified"] is True
    assert "--- a/rules.yaml" in result.stderr


def test_apply_as_a_subprocess(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(MESSY, encoding="utf-8")
    path.chmod(0o600)
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "suggest-merge", "rules.yaml", "--apply",
         "--color", "never"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "verified equivalent" in proc.stdout and "applied: rules.yaml" in proc.stdout
    new = path.read_text(encoding="utf-8")
    deleted = {"kr-email", "cn-email"}
    assert new == expected_after_apply(MESSY, new, {"jp-email"}, deleted)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
