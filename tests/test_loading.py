"""The YAML loader (``rulelint.load.loading``) and what its problems look like through the CLI:
RL001 (not YAML, not text) and RL003 (a mapping repeats a key)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import assert_clean_exit, codes, findings, one, write_rules
from rulelint.load.loading import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    BadScalar,
    LocDict,
    LocList,
    WrittenTimestamp,
    load_file,
    parse_text,
)

VALID = """\
ruleset: demo
rules:
  - id: first
    action: keep
    match:
      plan: pro
      region: [JP, KR]
  - id: second
    action: drop
    match: {plan: free}
"""


# --- library: values, lines, spans -----------------------------------------------------------


def test_plain_values_and_lines():
    doc = parse_text(VALID, "v.yaml")
    assert doc.ok and doc.problems == []
    data = doc.data
    assert isinstance(data, LocDict)
    assert data["ruleset"] == "demo"
    assert data.line_of("ruleset") == 1 and data.line_of("rules") == 2
    rules = data["rules"]
    assert isinstance(rules, LocList)
    assert rules.item_lines == [3, 8]
    first = rules[0]
    assert (first.line, first.end_line) == (3, 8)
    assert first.key_lines == {"id": 3, "action": 4, "match": 5}
    assert first["match"].line_of("region") == 7
    assert first["match"]["region"] == ["JP", "KR"]
    assert rules[1]["match"] == {"plan": "free"}


def test_scalars_resolve_like_yaml_1_1_safe_loading():
    doc = parse_text(
        "a: 1\nb: true\nc: ~\nd: 2026-01-10\ne: '1'\nf: 0x10\ng: 1.5\nh: yes\n", "s.yaml"
    )
    import datetime as dt

    assert doc.data == {
        "a": 1, "b": True, "c": None, "d": "2026-01-10", "e": "1", "f": 16, "g": 1.5,
        "h": True,
    }
    # a plain timestamp is the text as written; a date field reads the date it names
    assert isinstance(doc.data["d"], WrittenTimestamp)
    assert doc.data["d"].as_date() == dt.date(2026, 1, 10)


def test_invalid_yaml_has_line_and_column():
    doc = parse_text("rules:\n  - id: a\n    action: x: y\n    match: {}\n", "bad.yaml")
    assert doc.data is None
    [p] = doc.problems
    assert p.code == "RL001"
    assert (p.line, p.column) == (3, 14)
    assert "invalid YAML" in p.message


def test_flow_sequence_error_position():
    doc = parse_text("rules: [\n  {id: a, action: x, match: {k: [1, 2}}\n]\n", "bad.yaml")
    [p] = doc.problems
    assert p.code == "RL001" and p.line == 2 and p.column is not None and p.column > 1


def test_tabs_get_a_hint():
    doc = parse_text("rules:\n\t- id: a\n", "tabs.yaml")
    [p] = doc.problems
    assert p.code == "RL001" and p.line == 2
    assert "tabs" in p.message


def test_multi_document_is_rl001_at_the_second_document():
    doc = parse_text("rules: []\n---\nrules: []\n", "multi.yaml")
    [p] = doc.problems
    assert p.code == "RL001" and p.line == 2
    assert "more than one YAML document" in p.message
    assert doc.data is None


def test_explicit_single_document_is_fine():
    doc = parse_text("---\nrules: []\n...\n", "one.yaml")
    assert doc.ok and doc.data == {"rules": []}


def test_duplicate_key_reports_both_lines_and_keeps_first():
    doc = parse_text("rules:\n  - id: a\n    action: x\n    action: y\n    match: {}\n", "d.yaml")
    [p] = doc.problems
    assert p.code == "RL003"
    assert p.line == 4
    assert "line 3" in p.message and "'action'" in p.message


def test_duplicate_key_in_nested_flow_mapping():
    doc = parse_text("rules:\n  - id: a\n    action: x\n    match: {plan: a, plan: b}\n", "d.yaml")
    assert [p.code for p in doc.problems] == ["RL003"]
    assert doc.problems[0].line == 4


def test_equal_keys_of_different_spelling_are_one_key():
    # 1 and 0x1 are the same integer key once resolved
    doc = parse_text("1: a\n0x1: b\n", "k.yaml")
    assert [p.code for p in doc.problems] == ["RL003"]


def test_bom_is_a_warning_and_the_text_is_read(tmp_path: Path):
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbfrules: []\n")
    doc = load_file(p, "bom.yaml")
    assert doc.data == {"rules": []}
    [prob] = doc.problems
    assert prob.code == "RL001" and prob.severity == "warning"
    assert doc.ok


def test_nul_bytes(tmp_path: Path):
    p = tmp_path / "nul.yaml"
    p.write_bytes(b"rules:\n  - id: a\x00\x01\x02\n")
    doc = load_file(p, "nul.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and prob.line == 2 and "NUL" in prob.message
    assert doc.data is None


def test_non_utf8_names_line_column_and_byte(tmp_path: Path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes("rules: []\n# café\n".encode("latin-1"))
    doc = load_file(p, "latin1.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and (prob.line, prob.column) == (2, 6)
    assert "0xe9" in prob.message and "UTF-8" in prob.message


def test_directory_is_not_a_rule_file(tmp_path: Path):
    d = tmp_path / "x.yaml"
    d.mkdir()
    doc = load_file(d, "x.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and "directory" in prob.message and "x.yaml" in prob.message


def test_python_tags_are_refused_not_constructed():
    doc = parse_text("a: !!python/object/apply:os.getcwd []\n", "t.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and "tag" in prob.message and prob.line == 1
    assert doc.data is None


def test_custom_tag_on_a_scalar_is_refused():
    doc = parse_text("a: !env HOME\n", "t.yaml")
    assert [p.code for p in doc.problems] == ["RL001"]


def test_standard_tags_are_accepted():
    doc = parse_text("a: !!str 12\nb: !!int '7'\n", "t.yaml")
    assert doc.ok and doc.data == {"a": "12", "b": 7}


def test_bad_scalar_is_reported_once_as_schema_problem():
    big = "9" * 5000
    doc = parse_text(f"n: {big}\n", "d.yaml")
    [prob] = doc.problems
    assert prob.code == "RL002" and (prob.line, prob.column) == (1, 4)
    assert "is not a valid int" in prob.message
    assert isinstance(doc.data["n"], BadScalar)


def test_impossible_date_is_text_as_written_for_the_loader():
    """``2026-02-30`` is not reported by the YAML reader: it is the text the user wrote; a
    date field of the schema reports it (test_model.test_invalid_date), a condition
    matches that text."""
    doc = parse_text("expires: 2026-02-30\n", "d.yaml")
    assert doc.problems == [] and doc.data["expires"] == "2026-02-30"
    with pytest.raises(ValueError, match="2026-02-30"):
        doc.data["expires"].as_date()


@pytest.mark.parametrize(
    ("value", "what"),
    [("!!bool maybe", "true/false"), ('!!bool ""', "true/false"), ("!!timestamp nope", "date"),
     ('!!int ""', "int"), ("!!int x", "int"), ('!!float ""', "float")],
)
def test_explicit_tag_with_a_value_it_does_not_fit_is_rl002(value, what):
    doc = parse_text(f"rules:\n  - a: {value}\n", "t.yaml")
    [prob] = doc.problems
    assert prob.code == "RL002" and prob.line == 2
    assert f"is not a valid {what}" in prob.message and "tag" in prob.message
    assert isinstance(doc.data["rules"][0]["a"], BadScalar)


def test_depth_cap_is_rl001_not_a_crash():
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    doc = parse_text(text, "deep.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and "nesting" in prob.message


def test_depth_just_under_the_cap_is_fine():
    n = MAX_DEPTH - 2
    doc = parse_text("a: " + "[" * n + "]" * n + "\n", "ok.yaml")
    assert doc.ok


def test_hundred_thousand_open_brackets_do_not_crash():
    doc = parse_text("rules: " + "[" * 100_000, "deep.yaml")
    assert [p.code for p in doc.problems] == ["RL001"]


def test_alias_bomb_is_refused():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    doc = parse_text("\n".join(lines) + "\nrules: []\n", "bomb.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and "alias" in prob.message
    assert f"{ALIAS_BUDGET:,}" in prob.message


def test_modest_aliases_are_fine():
    text = "base: &m {plan: pro}\nrules:\n  - {id: a, action: x, match: *m}\n  - {id: b, action: y, match: *m}\n"
    doc = parse_text(text, "alias.yaml")
    assert doc.ok
    assert doc.data["rules"][0]["match"] == {"plan": "pro"}


def test_unknown_alias_is_rl001():
    doc = parse_text("a: *nothere\n", "a.yaml")
    assert [p.code for p in doc.problems] == ["RL001"]


def test_mapping_key_that_is_a_list_is_rl001():
    doc = parse_text("? [a, b]\n: 1\n", "k.yaml")
    assert [p.code for p in doc.problems] == ["RL001"]


@pytest.mark.parametrize("text", ["<<: {a: 1}\n", "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n"])
def test_merge_keys_load(text):
    doc = parse_text(text, "merge.yaml")
    assert doc.problems == []
    target = doc.data.get("x", doc.data)
    assert target["a"] == 1


def test_merge_key_explicit_keys_win():
    doc = parse_text("base: &b {a: 1, b: 1}\nx:\n  <<: *b\n  b: 2\n", "merge.yaml")
    assert doc.data["x"] == {"a": 1, "b": 2}
    assert doc.data["x"].line_of("b") == 4
    assert doc.data["x"].line_of("a") == 3  # a merged key is on the line of its `<<`


def test_containers_laid_out_alike_share_their_line_offsets():
    text = (
        "rules:\n"
        "  - id: a\n    action: x\n    match:\n      plan: [free, pro]\n"
        "  - id: b\n    action: y\n    match:\n      plan: [pro, biz]\n"
        "  - id: c\n    match: {plan: [free,\n      pro]}\n    action: x\n"
    )
    doc = parse_text(text, "alike.yaml")
    a, b, c = doc.data["rules"]
    assert a.offsets is b.offsets and a["match"].offsets is b["match"].offsets
    assert a["match"]["plan"].offsets is b["match"]["plan"].offsets
    assert c.offsets is not a.offsets
    assert [r.line_of("match") for r in (a, b, c)] == [4, 8, 11]
    assert [r.line_of("action") for r in (a, b, c)] == [3, 7, 13]
    assert b["match"].key_lines == {"plan": 9} and b["match"]["plan"].item_lines == [9, 9]
    assert c["match"]["plan"].item_lines == [11, 12]
    assert c.line_of("missing") == c.line == 10
    assert doc.data["rules"].item_lines == [2, 6, 10]
    assert len({id(k) for r in (a, b, c) for k in r}) == 3  # one object per key name


@pytest.mark.parametrize("text", ["x: =\n", "rules: []\nop: =\n"])
def test_equals_sign_scalar_loads_as_text(text):
    doc = parse_text(text, "eq.yaml")
    assert doc.problems == []


def test_load_file_unreadable_reports_reason(tmp_path: Path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(loop)
    doc = load_file(loop, "loop.yaml")
    [prob] = doc.problems
    assert prob.code == "RL001" and "cannot read loop.yaml" in prob.message


# --- through the CLI ---------------------------------------------------------------------------


def test_cli_invalid_yaml(cli, tmp_path):
    write_rules(tmp_path, "rules:\n  - id: a\n    action: x: y\n    match: {}\n", "bad.yaml")
    rc, report = cli.json("check", "bad.yaml", cwd=tmp_path)
    assert rc == 1
    f = one(report, "RL001")
    assert (f["file"], f["line"], f["severity"]) == ("bad.yaml", 3, "error")
    assert f["name"] == "yaml-syntax"
    assert report["summary"]["errors"] == 1 and report["summary"]["rules"] == 0


def test_cli_shows_the_column_of_a_syntax_error(cli, tmp_path):
    write_rules(tmp_path, "rules:\n  - id: a\n    action: x: y\n    match: {}\n", "bad.yaml")
    result = cli("check", "bad.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert re.search(r"(3:14|column 14|col 14)", result.output), result.output


def test_cli_tabs(cli, tmp_path):
    write_rules(tmp_path, "rules:\n\t- id: a\n\t  action: x\n", "tabs.yaml")
    rc, report = cli.json("check", "tabs.yaml", cwd=tmp_path)
    f = one(report, "RL001")
    assert rc == 1 and f["line"] == 2 and "tabs" in f["message"]


def test_cli_multi_document(cli, tmp_path):
    write_rules(tmp_path, VALID + "---\n" + VALID, "multi.yaml")
    rc, report = cli.json("check", "multi.yaml", cwd=tmp_path)
    f = one(report, "RL001")
    assert rc == 1 and f["line"] == VALID.count("\n") + 1 and "document" in f["message"]


def test_cli_binary_and_nul(cli, tmp_path):
    (tmp_path / "bin.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    rc, report = cli.json("check", "bin.yaml", cwd=tmp_path)
    f = one(report, "RL001")
    assert rc == 1 and f["file"] == "bin.yaml" and "NUL" in f["message"]


def test_cli_non_utf8(cli, tmp_path):
    (tmp_path / "sjis.yaml").write_bytes("rules: []\n# 日本語\n".encode("shift_jis"))
    rc, report = cli.json("check", "sjis.yaml", cwd=tmp_path)
    f = one(report, "RL001")
    assert rc == 1 and f["line"] == 2 and "UTF-8" in f["message"]


def test_cli_bom_is_a_warning_and_the_rules_are_analysed(cli, tmp_path):
    body = "limits: {max_rules: 1}\nrules:\n  - {id: a, action: x, match: {k: v}}\n  - {id: b, action: x, match: {k: v}}\n"
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + body.encode())
    rc, report = cli.json("check", "bom.yaml", cwd=tmp_path)
    bom = one(report, "RL001")
    assert bom["severity"] == "warning" and "byte-order mark" in bom["message"]
    # the file was analysed: duplicate and cap findings on its rules
    assert "RL201" in codes(report) and "RL101" in codes(report)
    assert report["summary"]["rules"] == 2
    assert rc == 1


def test_cli_bom_alone_does_not_fail_at_error_level(cli, tmp_path):
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbfrules:\n  - {id: a, action: x, match: {k: v}}\n")
    rc, report = cli.json("check", "bom.yaml", cwd=tmp_path)
    assert codes(report) == ["RL001"] and rc == 0
    result = cli("check", "bom.yaml", "--fail-on", "warning", cwd=tmp_path)
    assert result.exit_code == 1


def test_cli_duplicate_key(cli, tmp_path):
    write_rules(
        tmp_path,
        """\
        rules:
          - id: a
            action: keep
            match:
              plan: pro
              region: JP
              plan: free
        """,
        "dup.yaml",
    )
    rc, report = cli.json("check", "dup.yaml", cwd=tmp_path)
    f = one(report, "RL003")
    assert rc == 1 and f["line"] == 7 and f["name"] == "duplicate-key"
    assert "line 5" in f["message"] and "'plan'" in f["message"]


def test_cli_duplicate_key_in_header(cli, tmp_path):
    write_rules(tmp_path, "limits: {max_rules: 5}\nlimits: {max_rules: 500}\nrules: []\n", "dup.yaml")
    rc, report = cli.json("check", "dup.yaml", cwd=tmp_path)
    f = one(report, "RL003")
    assert f["line"] == 2 and "line 1" in f["message"] and rc == 1


def test_cli_one_broken_file_does_not_hide_the_others(cli, tmp_path):
    write_rules(tmp_path, "rules: [\n", "a.yaml")
    write_rules(tmp_path, "rules:\n  - {id: x, action: y, match: {}}\n", "b.yaml")
    rc, report = cli.json("check", "a.yaml", "b.yaml", cwd=tmp_path)
    assert rc == 1
    assert [f["file"] for f in findings(report, "RL001")] == ["a.yaml"]
    assert [f["file"] for f in findings(report, "RL304")] == ["b.yaml"]
    assert report["summary"]["files"] == 2


def test_cli_yaml_errors_never_traceback(cli, tmp_path):
    write_rules(tmp_path, "rules:\n  - id: 'unterminated\n", "q.yaml")
    result = cli("check", "q.yaml", cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 1 and "q.yaml" in result.output and "RL001" in result.output


def test_cli_merge_key_does_not_crash(cli, tmp_path):
    write_rules(
        tmp_path,
        """\
        base: &base {action: keep, match: {plan: pro}}
        rules:
          - <<: *base
            id: a
        """,
        "merge.yaml",
    )
    rc, report = cli.json("check", "merge.yaml", cwd=tmp_path)
    # `base` is not a header key; the merged rule itself is complete and valid
    assert codes(report) == ["RL002"] and "'base'" in report["findings"][0]["message"]
    assert report["summary"]["rules"] == 1 and rc == 1
