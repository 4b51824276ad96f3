"""Issue 14, families 1-5: data loss and false proofs on the write path, one named test per
family, on the committed files ``tests/hostile/write-*.yaml`` and the real CLI (in a real
process where nothing is patched). Each test checks the written bytes and the decisions.

On the code before this change: family 1 printed "applied" with shifted edits (the merged
rule lost, ``z`` deleted) and ``--diff`` looped; family 2 ended in IndexError; family 3
wrote a file in which ``other`` matches ``src: "hello"``; family 4's ``--output`` dropped
``broken``; family 5 wrote ``&id001``/``*id001`` twice, which PyYAML refuses.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest

from conftest import assert_clean_exit, run_cli
from rulelint.evaluate import decision_key
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project

CORPUS = Path(__file__).resolve().parent / "hostile"
BREAKS = {"lf": "\n", "crlf": "\r\n", "cr": "\r", "nel": "\x85", "ls": "\u2028", "ps": "\u2029"}


def ruleset(path: Path, name: str = "s"):
    project = load_project([SourceFile(path, path.name)], Settings(root=path.parent, cwd=path.parent))
    assert not [f for f in project.findings if str(f.severity) == "error"], project.findings
    return project.rulesets[name]


def events(fields: dict[str, list]) -> list[dict]:
    """Every combination of the values given (a value None: the field is absent)."""
    names = sorted(fields)
    out = []
    for combo in itertools.product(*(fields[n] for n in names)):
        out.append({n: v for n, v in zip(names, combo, strict=True) if v is not None})
    return out


def same_decisions(old, new, fields: dict[str, list]) -> None:
    for ev in events(fields):
        assert decision_key(old, ev) == decision_key(new, ev), ev


def copy(name: str, tmp_path: Path, as_name: str = "rules.yaml") -> Path:
    dest = tmp_path / as_name
    shutil.copy(CORPUS / name, dest)
    return dest


def cli(tmp_path: Path, *args: str, timeout: float = 60):
    proc = run_cli(["suggest-merge", *args, "--color", "never"], tmp_path, timeout=timeout)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    return proc


# --- family 1 and 2: one line model ------------------------------------------------------------

HEAD = [
    "ruleset: s",
    "rules:",
    "  - id: x",
    "    action: note",
    '    description: "before{IN}after"',
    "    match: {plan: free}",
]
A1 = ["  - id: a1", "    action: close", "    match:", "      region: EU"]
A2 = ["  - id: a2", "    action: close", "    match:", "      region: US"]
TAIL = ["  - id: z  # in no group: must stay", "    action: q", "    match: {plan: pro}"]
MERGED = ["  - id: a1", "    action: close", "    match:", "      region: [EU, US]",
          "    merged_from: [a1, a2]"]


def _join(lines: list[str], breaks: list[str]) -> str:
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=True))


def _cases():
    for name, brk in BREAKS.items():
        yield name, [brk] * 17, brk
    kinds = list(BREAKS.values())
    yield "mixed", [kinds[i % len(kinds)] for i in range(17)], "\u2028"
    yield "mixed-crlf-first", [kinds[(i + 1) % len(kinds)] for i in range(17)], "\x85"


@pytest.mark.parametrize(("breaks", "inside"), [(b, i) for _, b, i in _cases()],
                         ids=[n for n, _, _ in _cases()])
def test_family1_every_line_break_kind_apply_and_diff(tmp_path, breaks, inside):
    lines = [*(h.replace("{IN}", inside) for h in HEAD), *A1, *A2, *TAIL]
    text = _join(lines, breaks)
    path = tmp_path / "rules.yaml"
    path.write_bytes(text.encode("utf-8"))
    old = ruleset(path)

    diff = cli(tmp_path, "rules.yaml", "--diff", timeout=30)  # once looped forever on U+2028
    assert diff.returncode == 0, diff.stderr
    assert "+      region: [EU, US]\n" in diff.stdout and "-  - id: a2\n" in diff.stdout
    assert "-  - id: z" not in diff.stdout and "-  - id: x" not in diff.stdout
    assert path.read_bytes() == text.encode("utf-8")  # --diff writes nothing

    proc = cli(tmp_path, "rules.yaml", "--apply", timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "applied: rules.yaml" in proc.stdout
    # new lines take the file's commonest of \n, \r\n, \r; the last takes a1's own break
    lf, crlf = sum(b == "\n" for b in breaks), sum(b == "\r\n" for b in breaks)
    cr = sum(b == "\r" for b in breaks)
    eol = "\n" if lf >= max(crlf, cr) else ("\r\n" if crlf >= cr else "\r")
    merged_breaks = [eol] * (len(MERGED) - 1) + [breaks[9]]
    expected = (
        _join(lines[:6], breaks[:6]) + _join(MERGED, merged_breaks) + _join(TAIL, breaks[14:])
    )
    assert path.read_bytes().decode("utf-8") == expected
    new = ruleset(path)
    assert [r.id for r in new.rules] == ["x", "a1", "z"]
    same_decisions(old, new, {"plan": ["free", "pro", "x", None], "region": ["EU", "US", "JP", None]})


def test_family1_line_separators_in_descriptions(tmp_path):
    path = copy("write-line-separators.yaml", tmp_path)
    before = path.read_bytes()
    old = ruleset(path)
    diff = cli(tmp_path, "rules.yaml", "--diff", timeout=30)
    assert diff.returncode == 0 and "-  - id: a2\n" in diff.stdout
    proc = cli(tmp_path, "rules.yaml", "--apply", timeout=30)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = path.read_bytes()
    # x and z, with their separators, are byte-identical; a1 is merged, a2 gone
    cut_start = before.index(b"  - id: a1")
    cut_end = before.index(b"  - id: z")
    assert after.startswith(before[:cut_start]) and after.endswith(before[cut_end:])
    assert after[cut_start : len(after) - (len(before) - cut_end)] == (
        b"  - id: a1\n    action: close\n    match:\n      region: [EU, US]\n"
        b"    merged_from: [a1, a2]\n"
    )
    new = ruleset(path)
    assert [r.id for r in new.rules] == ["x", "a1", "z"]
    assert new.by_id()["x"].rule.description == old.by_id()["x"].rule.description
    same_decisions(old, new, {"plan": ["free", "pro", None], "region": ["EU", "US", None]})


def test_family1_output_keeps_separators_in_values(tmp_path):
    path = copy("write-line-separators.yaml", tmp_path)
    old = ruleset(path)
    proc = cli(tmp_path, "rules.yaml", "--output", "new.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = ruleset(tmp_path / "new.yaml")
    for rid in ("x", "z"):
        assert new.by_id()[rid].rule.description == old.by_id()[rid].rule.description


def test_family2_cr_only_file(tmp_path):
    path = copy("write-cr-only.yaml", tmp_path)
    before = path.read_bytes()
    old = ruleset(path)
    diff = cli(tmp_path, "rules.yaml", "--diff")
    assert diff.returncode == 0, diff.stderr  # was: internal error IndexError
    assert "\r" not in diff.stdout and "-  - id: a2\n" in diff.stdout
    proc = cli(tmp_path, "rules.yaml", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_bytes() == before.replace(
        b"      region: EU\r", b"      region: [EU, US]\r    merged_from: [a1, a2]\r"
    ).replace(b"  - id: a2\r    action: close\r    match:\r      region: US\r", b"")
    same_decisions(old, ruleset(path), {"plan": ["pro", None], "region": ["EU", "US", "DE", None]})


# --- family 3: one meaning per field -------------------------------------------------------------

KIND_EVENTS = {"src": ["hello", "2001:DB8:0::1", "2001:db8::1", "10.1.2.3", None],
               "plan": ["pro", None]}


def test_family3_apply_declares_the_kind_it_would_change(tmp_path):
    path = copy("write-kind-change.yaml", tmp_path)
    before = path.read_text()
    old = ruleset(path)
    proc = cli(tmp_path, "rules.yaml", "--include-redundant", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "keeps field 'src' ip" in proc.stdout and "declares `src: ip`" in proc.stdout
    expected = before.replace("ruleset: s\nrules:\n", "ruleset: s\nfields: {src: ip}\nrules:\n")
    expected = expected.replace(
        "  - id: net\n    action: allow\n    match: {src: {cidr: 10.0.0.0/8}, plan: pro}\n", "")
    assert path.read_text() == expected
    new = ruleset(path)
    assert new.domains["src"].kind == "ip"
    same_decisions(old, new, KIND_EVENTS)
    # "hello" is no address: `other` does not match it, before or after
    assert decision_key(new, {"src": "hello"}) == decision_key(old, {"src": "hello"})


def test_family3_existing_fields_header_gets_the_entry(tmp_path):
    path = tmp_path / "rules.yaml"
    text = (CORPUS / "write-kind-change.yaml").read_text().replace(
        "ruleset: s\n", "ruleset: s\nfields:\n  plan: string   # declared\n\n")
    path.write_text(text)
    old = ruleset(path)
    proc = cli(tmp_path, "rules.yaml", "--include-redundant", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert path.read_text().startswith(
        "# --include-redundant removes `net`, the only rule with a cidr on src: without a\n"
        "# declaration src would be read as a string and `other` would match \"hello\".\n"
        "ruleset: s\nfields:\n  plan: string   # declared\n  src: ip\n\nrules:\n  - id: net2\n")
    same_decisions(old, ruleset(path), KIND_EVENTS)


def test_family3_declaration_goes_to_the_first_file_of_the_ruleset(tmp_path):
    """The cidr rule goes from b.yaml; the kind is declared in a.yaml (the ruleset's first
    file, none has a fields: header), which is otherwise untouched."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text('ruleset: s\nrules:\n  - id: other\n    action: deny\n'
                 '    match: {src: {not_in: ["2001:db8::1"]}, plan: free}\n')
    b.write_text("ruleset: s\nrules:\n  - id: net\n    action: allow\n"
                 "    match: {src: {cidr: 10.0.0.0/8}, plan: pro}\n"
                 "  - id: net2\n    action: allow\n    match: {plan: pro}\n")
    a0 = a.read_text()
    old = load_project([SourceFile(a, "a.yaml"), SourceFile(b, "b.yaml")],
                       Settings(root=tmp_path, cwd=tmp_path)).rulesets["s"]
    proc = cli(tmp_path, "a.yaml", "b.yaml", "--include-redundant", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert a.read_text() == a0.replace("ruleset: s\n", "ruleset: s\nfields: {src: ip}\n")
    assert b.read_text() == "ruleset: s\nrules:\n  - id: net2\n    action: allow\n    match: {plan: pro}\n"
    new = load_project([SourceFile(a, "a.yaml"), SourceFile(b, "b.yaml")],
                       Settings(root=tmp_path, cwd=tmp_path)).rulesets["s"]
    same_decisions(old, new, {**KIND_EVENTS, "plan": ["pro", "free", None]})


def test_family3_output_declares_every_kind(tmp_path):
    path = copy("write-kind-change.yaml", tmp_path)
    old = ruleset(path)
    proc = cli(tmp_path, "rules.yaml", "--include-redundant", "--output", "new.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = ruleset(tmp_path / "new.yaml")
    assert new.domains["src"].kind == "ip" and "src" in new.declared
    same_decisions(old, new, KIND_EVENTS)


def test_family3_json_reports_the_declaration(tmp_path):
    copy("write-kind-change.yaml", tmp_path)
    proc = cli(tmp_path, "rules.yaml", "--include-redundant", "--format", "json")
    doc = json.loads(proc.stdout)
    assert doc["verified"] is True
    assert doc["declared_kinds"] == {"src": {"kind": "ip", "would_be": "string"}}


# --- family 4: rules with schema errors are never dropped ---------------------------------------


def test_family4_output_refuses_instead_of_dropping(tmp_path):
    path = copy("write-schema-error.yaml", tmp_path)
    before = path.read_bytes()
    proc = cli(tmp_path, "rules.yaml", "--output", "new.yaml")
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "rules.yaml:12" in err and "colour" in err and "--output would leave this rule out" in err
    assert not (tmp_path / "new.yaml").exists()
    assert path.read_bytes() == before


def test_family4_apply_refuses_too(tmp_path):
    path = copy("write-schema-error.yaml", tmp_path)
    before = path.read_bytes()
    proc = cli(tmp_path, "rules.yaml", "--apply")
    assert proc.returncode == 2 and "rules.yaml:12" in proc.stderr and "before --apply" in proc.stderr
    assert path.read_bytes() == before


def test_family4_other_rulesets_errors_do_not_block_output(tmp_path):
    copy("write-schema-error.yaml", tmp_path, "broken.yaml")
    good = tmp_path / "good.yaml"
    good.write_text("ruleset: g\nrules:\n  - {id: a, action: x, match: {r: A}}\n"
                    "  - {id: b, action: x, match: {r: B}}\n")
    proc = cli(tmp_path, "good.yaml", "broken.yaml", "--ruleset", "g", "--output", "new.yaml")
    assert proc.returncode == 0, proc.stderr
    assert [r.id for r in ruleset(tmp_path / "new.yaml", "g").rules] == ["a"]


# --- family 5: no anchors or aliases ------------------------------------------------------------


def test_family5_no_anchors_and_a_second_apply(tmp_path):
    path = copy("write-same-dates.yaml", tmp_path)
    old = ruleset(path)
    proc = cli(tmp_path, "rules.yaml", "--apply")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "&" not in proc.stdout and "*id" not in proc.stdout
    text = path.read_text()
    assert "&id" not in text and "*id" not in text
    assert text.count("created: 2026-01-05\n    reviewed: 2026-01-05\n") == 1
    assert text.count("created: 2026-02-01\n    reviewed: 2026-02-01\n") == 1
    new = ruleset(path)
    assert [r.id for r in new.rules] == ["a1", "b1"]
    same_decisions(old, new, {"region": ["EU", "US", None], "plan": ["pro", "free", None]})
    again = cli(tmp_path, "rules.yaml", "--apply")
    assert again.returncode == 0 and "applied: nothing to change" in again.stdout
    assert path.read_text() == text


def test_family5_output_has_no_anchors(tmp_path):
    copy("write-same-dates.yaml", tmp_path)
    proc = cli(tmp_path, "rules.yaml", "--output", "new.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "new.yaml").read_text()
    assert "&id" not in text and "*id" not in text
    assert [r.id for r in ruleset(tmp_path / "new.yaml").rules] == ["a1", "b1"]


def test_family5_a_value_that_cannot_be_written_is_refused_naming_the_rule(tmp_path):
    """``created: 2026-02-30`` could not be converted: --output refuses with one line naming
    the file and line (it was an internal error), and the dumper itself names the rule."""
    from rulelint.consolidate.rewrite import dump_rule
    from rulelint.load.loading import BadScalar
    from rulelint.util.errors import ConfigError

    (tmp_path / "rules.yaml").write_text(
        "rules:\n  - id: a1\n    action: close\n    match: {region: EU}\n"
        "    created: 2026-02-30\n"
        "  - id: a2\n    action: close\n    match: {region: US}\n")
    proc = cli(tmp_path, "rules.yaml", "--output", "new.yaml")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "rules.yaml:5" in proc.stderr and not (tmp_path / "new.yaml").exists()
    with pytest.raises(ConfigError, match="rule 'r1': a value cannot be written back"):
        dump_rule({"id": "r1", "action": "x", "match": {}, "created": BadScalar("2026-02-30")})
