"""``rulelint review --mark-reviewed``: ``reviewed: D`` written into rules, every other byte
kept (comments, quoting, flow style, CRLF and libyaml's other line breaks), atomically, and
checked by reloading the written file."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from conftest import assert_clean_exit, run_cli
from rulelint.consolidate import markreview
from rulelint.consolidate.markreview import mark_text

D = dt.date(2026, 12, 1)

BLOCK = """\
# Support exceptions (keep this header comment)
ruleset: s
rules:
  # the first rule
  - id: a   # rulelint: ignore[RL404] kept on purpose
    action: allow
    match:
      region: [JP, KR]   # two regions
    created: 2025-01-01
    # why it expires
    expires: 2027-01-01

  - id: b
    action: deny
    match: {plan: free}
    reviewed: 2025-02-03  # last review
  - id: c
    action: deny
    match:
      plan: pro
"""


def _write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def _mark(cli, tmp_path: Path, *args: str):
    result = cli("review", *args, cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    return result


def test_block_style_add_and_replace_byte_exact(cli, tmp_path: Path):
    p = _write(tmp_path, BLOCK)
    result = _mark(cli, tmp_path, "--mark-reviewed", "a,b", "--mark-reviewed", "c", "--date", "2026-12-01")
    assert result.exit_code == 0, result.output
    expected = (
        BLOCK.replace("    created: 2025-01-01\n", "    created: 2025-01-01\n    reviewed: 2026-12-01\n")
        .replace("reviewed: 2025-02-03  # last review", "reviewed: 2026-12-01  # last review")
        .replace("      plan: pro\n", "      plan: pro\n    reviewed: 2026-12-01\n")
    )
    assert p.read_text(encoding="utf-8") == expected
    assert "rules.yaml:5: a: reviewed: 2026-12-01" in result.stdout
    assert "marked 3 rules reviewed on 2026-12-01" in result.stderr


def test_the_key_goes_before_later_keys_and_their_comments():
    text = "rules:\n  - id: a\n    action: x\n    match: {}\n    # note on expiry\n    expires: 2027-01-01\n    enabled: true\n"
    new, marked = mark_text(text, {"a"}, D, "f")
    assert marked == ["a"]
    assert new == text.replace("    # note on expiry", "    reviewed: 2026-12-01\n    # note on expiry")


def test_flow_style_add_and_replace():
    text = ("rules:\n  - {id: a, action: x, match: {p: [1, 2]}}   # flow\n"
            "  - {id: b, action: x, match: {p: 3}, reviewed: 2020-01-01, enabled: true}\n"
            "  - {id: c,\n     action: x,\n     match: {p: 4}\n    }\n")
    new, _ = mark_text(text, {"a", "b", "c"}, D, "f")
    assert new == (
        "rules:\n  - {id: a, action: x, match: {p: [1, 2]}, reviewed: 2026-12-01}   # flow\n"
        "  - {id: b, action: x, match: {p: 3}, reviewed: 2026-12-01, enabled: true}\n"
        "  - {id: c,\n     action: x,\n     match: {p: 4}, reviewed: 2026-12-01\n    }\n"
    )


def test_flow_rules_list():
    text = "rules: [{id: a, action: x, match: {}}, {id: b, action: y, match: {}}]\n"
    new, _ = mark_text(text, {"b"}, D, "f")
    assert new == "rules: [{id: a, action: x, match: {}}, {id: b, action: y, match: {}, reviewed: 2026-12-01}]\n"


@pytest.mark.parametrize("old,new", [
    ("'2025-01-01'", "'2026-12-01'"),
    ('"2025-01-01"', '"2026-12-01"'),
    ("2025-01-01", "2026-12-01"),
    ("", "2026-12-01"),
    ("null", "2026-12-01"),
])
def test_replacing_keeps_the_quoting(old: str, new: str):
    for tail in ("\n", "  # c\n"):
        text = f"rules:\n  - id: a\n    action: x\n    match: {{}}\n    reviewed: {old}{tail}"
        got, _ = mark_text(text, {"a"}, D, "f")
        assert got == text.replace(f"reviewed: {old}{tail}", f"reviewed: {new}{tail}")
    # followed by another key; and last in a file without a final line break
    text = f"rules:\n  - id: a\n    action: x\n    match: {{}}\n    reviewed: {old}\n    tags: [t]\n"
    got, _ = mark_text(text, {"a"}, D, "f")
    assert got == text.replace(f"reviewed: {old}\n", f"reviewed: {new}\n")
    text = f"rules:\n  - id: a\n    action: x\n    match: {{}}\n    reviewed: {old}"
    got, _ = mark_text(text, {"a"}, D, "f")
    assert got == text.replace(f"reviewed: {old}", f"reviewed: {new}")


def test_quoted_reviewed_through_the_cli(cli, tmp_path: Path):
    text = "rules:\n  - id: q\n    action: x\n    match: {a: 1}\n    reviewed: '2024-05-06'\n"
    p = _write(tmp_path, text)
    assert _mark(cli, tmp_path, "--mark-reviewed", "q", "--today", "2026-12-01").exit_code == 0
    assert p.read_bytes() == text.replace("'2024-05-06'", "'2026-12-01'").encode()


def test_crlf_file_stays_crlf(cli, tmp_path: Path):
    text = BLOCK.replace("\n", "\r\n")
    p = _write(tmp_path, text)
    assert _mark(cli, tmp_path, "--mark-reviewed", "a,b,c", "--date", "2026-12-01").exit_code == 0
    got = p.read_bytes()
    expected = BLOCK.replace("    created: 2025-01-01\n", "    created: 2025-01-01\n    reviewed: 2026-12-01\n")
    expected = expected.replace("reviewed: 2025-02-03", "reviewed: 2026-12-01")
    expected = expected.replace("      plan: pro\n", "      plan: pro\n    reviewed: 2026-12-01\n")
    assert got == expected.replace("\n", "\r\n").encode()
    assert got.count(b"\n") == got.count(b"\r\n")


@pytest.mark.parametrize(("brk", "eol"), [
    ("\r", "\r"),
    # NEL, U+2028 and U+2029 break lines for YAML but for no editor: a new line never ends
    # with one, it ends with the file's dominant real break (none here: \n)
    ("\x85", "\n"), ("\u2028", "\n"), ("\u2029", "\n"),
])
def test_libyaml_line_breaks(brk: str, eol: str, cli, tmp_path: Path):
    text = ("rules:\n  - id: a\n    action: x\n    match: {p: 1}\n    enabled: true\n"
            "  - id: b\n    action: x\n    match: {p: 2}").replace("\n", brk)
    p = _write(tmp_path, text)
    assert _mark(cli, tmp_path, "--mark-reviewed", "a,b", "--date", "2026-12-01").exit_code == 0
    want = ("rules:\n  - id: a\n    action: x\n    match: {p: 1}\n    reviewed: 2026-12-01@"
            "    enabled: true\n  - id: b\n    action: x\n    match: {p: 2}@    reviewed: 2026-12-01")
    assert p.read_bytes() == want.replace("\n", brk).replace("@", eol).encode()


LS = "\u2028"
MIXED_DESCRIPTION = (
    "# a header\nruleset: s\nrules:\n"
    "  - id: a\n    action: allow\n"
    '    description: "first\u2028second"\n'
    "    match: {region: JP}\n    enabled: true\n"
    "  - id: b\n    action: deny\n"
    '    description: "one\u2028two\u2028three"\n'
    "    match:\n      plan: free\n"
    '  - {id: c, action: deny, description: "x\u2028y", match: {plan: pro}}\n'
    "  - id: d\n    action: deny\n    match: {plan: team}"
)


@pytest.mark.parametrize("brk", ["\r\n", "\r", "mix", "crlf-many-ls"])
def test_marking_writes_the_dominant_real_break(brk: str, cli, tmp_path: Path):
    """A file whose lines end with CRLF, CR, or a mix of LF and CRLF with U+2028 inside
    quoted descriptions: each new `reviewed:` line ends with the file's dominant real
    break (the one of the line above), never U+2028, and the file reloads to exactly the
    planned rules."""
    from rulelint.engine import load_rules
    from rulelint.load.config import resolve_settings
    from rulelint.util.lines import dominant_break

    text = MIXED_DESCRIPTION
    if brk == "mix":  # LF mostly; the rule b's lines CRLF
        lines = text.split("\n")
        text = "\n".join(lines[:8]) + "\n" + "\r\n".join(lines[8:13]) + "\r\n" + "\n".join(lines[13:])
        assert dominant_break(text) == "\n" and "\r\n" in text
    elif brk == "crlf-many-ls":  # more U+2028 (in a quoted description) than real breaks
        text = text.replace("first\u2028second", "\u2028".join(["w"] * 40)).replace("\n", "\r\n")
        brk = "\r\n"
    else:
        text = text.replace("\n", brk)
    p = _write(tmp_path, text)
    settings = resolve_settings(cwd=tmp_path)
    before = {r.id: to_plain_rule(r) for r in load_rules([p], settings).rulesets["s"].rules}
    assert _mark(cli, tmp_path, "--mark-reviewed", "a,b,c,d", "--date", "2026-12-01").exit_code == 0
    got = p.read_bytes().decode("utf-8")
    eol = {"mix": "\n"}.get(brk, brk)
    eol_b = "\r\n" if brk == "mix" else brk  # b's key lines end with CRLF in the mix
    assert f"    match: {{region: JP}}{eol}    reviewed: 2026-12-01{eol}    enabled: true" in got
    assert f"      plan: free{eol_b}    reviewed: 2026-12-01{eol_b}  - {{id: c" in got
    assert f'description: "x{LS}y", match: {{plan: pro}}, reviewed: 2026-12-01}}' in got
    assert got.endswith(f"    match: {{plan: team}}{eol}    reviewed: 2026-12-01")
    assert got.count(LS) == text.count(LS)
    # the new text is the old one with exactly the four insertions
    assert len(got) == len(text) + 3 * len(f"    reviewed: 2026-12-01{eol}") + len(", reviewed: 2026-12-01") \
        + (len(eol_b) - len(eol))
    after = {r.id: to_plain_rule(r) for r in load_rules([p], settings).rulesets["s"].rules}
    assert list(after) == list(before) == ["a", "b", "c", "d"]
    for rid in before:
        assert str(after[rid].pop("reviewed")) == "2026-12-01"
        assert after[rid] == before[rid]
    assert after["a"]["description"] == before["a"]["description"]


def to_plain_rule(r) -> dict:
    from rulelint.load.loading import to_plain

    return to_plain(r.raw)


def test_bom_kept(cli, tmp_path: Path):
    p = tmp_path / "rules.yaml"
    p.write_bytes(b"\xef\xbb\xbfrules:\n  - {id: a, action: x, match: {}}\n")
    assert _mark(cli, tmp_path, "--mark-reviewed", "a", "--date", "2026-12-01").exit_code == 0
    assert p.read_bytes() == b"\xef\xbb\xbfrules:\n  - {id: a, action: x, match: {}, reviewed: 2026-12-01}\n"


def test_unknown_ids_write_nothing(cli, tmp_path: Path):
    p = _write(tmp_path, BLOCK)
    before = p.read_bytes()
    result = _mark(cli, tmp_path, "--mark-reviewed", "a,zz,yy")
    assert result.exit_code == 2
    assert "'zz', 'yy'" in result.stderr and "nothing was written" in result.stderr
    assert p.read_bytes() == before


def test_ambiguous_and_duplicate_ids(cli, tmp_path: Path):
    _write(tmp_path, "ruleset: one\nrules:\n  - {id: a, action: x, match: {p: 1}}\n", "one.yaml")
    _write(tmp_path, "ruleset: two\nrules:\n  - {id: a, action: x, match: {p: 2}}\n", "two.yaml")
    result = _mark(cli, tmp_path, "one.yaml", "two.yaml", "--mark-reviewed", "a")
    assert result.exit_code == 2 and "--ruleset" in result.stderr
    result = _mark(cli, tmp_path, "one.yaml", "two.yaml", "--mark-reviewed", "a", "--ruleset", "two",
                   "--date", "2026-12-01")
    assert result.exit_code == 0
    assert (tmp_path / "two.yaml").read_text().endswith("{p: 2}, reviewed: 2026-12-01}\n")
    assert "reviewed" not in (tmp_path / "one.yaml").read_text()
    _write(tmp_path, "rules:\n  - {id: d, action: x, match: {p: 1}}\n  - {id: d, action: y, match: {p: 2}}\n", "dup.yaml")
    result = _mark(cli, tmp_path, "dup.yaml", "--mark-reviewed", "d")
    assert result.exit_code == 2 and "RL004" in result.stderr


def test_anchored_rule_is_refused(cli, tmp_path: Path):
    text = ("rules:\n  - &base {id: a, action: x, match: {p: 1}}\n"
            "  - {<<: *base, id: b, match: {p: 2}}\n")
    p = _write(tmp_path, text)
    result = _mark(cli, tmp_path, "--mark-reviewed", "a")
    assert result.exit_code == 2 and "anchor" in result.stderr
    assert p.read_text() == text


def test_a_broken_edit_is_caught_and_undone(cli, tmp_path: Path, monkeypatch):
    p = _write(tmp_path, BLOCK)
    before = p.read_bytes()
    real = markreview.mark_text

    def broken(text, ids, date, display):
        new, marked = real(text, ids, date, display)
        return new.replace("action: deny", "action: allow", 1), marked

    monkeypatch.setattr(markreview, "mark_text", broken)
    result = _mark(cli, tmp_path, "--mark-reviewed", "b")
    assert result.exit_code == 2
    assert "is not what was asked (rule 'b' changed beyond `reviewed`)" in result.stderr
    assert "nothing was written" in result.stderr
    assert p.read_bytes() == before


def test_a_broken_write_is_caught_after_writing_and_undone(cli, tmp_path: Path, monkeypatch):
    """With the check of the planned text out of the way, the verified writer still sees the
    damage in what it wrote (reloaded with the normal loader) and puts the original back."""
    p = _write(tmp_path, BLOCK)
    before = p.read_bytes()
    real = markreview.mark_text

    def broken(text, ids, date, display):
        new, marked = real(text, ids, date, display)
        return new.replace("action: deny", "action: allow", 1), marked

    monkeypatch.setattr(markreview, "mark_text", broken)
    monkeypatch.setattr(markreview, "check_reload", lambda plan, written, date: None)
    result = _mark(cli, tmp_path, "--mark-reviewed", "b")
    assert result.exit_code == 2
    assert "'b'" in result.stderr and "planned" in result.stderr, result.stderr
    assert p.read_bytes() == before


def test_check_reload_sees_every_kind_of_damage(tmp_path: Path):
    p = _write(tmp_path, BLOCK)
    plan = markreview.plan_file(p, "rules.yaml", {"a"}, D)
    assert markreview.check_reload(plan, plan.new, D) is None
    bad = {
        b"ruleset: s": b"ruleset: t",
        b"reviewed: 2026-12-01": b"reviewed: 2026-12-02",
        b"  - id: c": b"  - id: cc",
        b"match:\n      plan: pro\n": b"match:\n      plan: pro\n  - {id: e, action: x, match: {}}\n",
        b"rules:": b"rules: [",
    }
    for old, new in bad.items():
        assert old in plan.new, old
        assert markreview.check_reload(plan, plan.new.replace(old, new, 1), D) is not None, old


def test_symlink_written_through(cli, tmp_path: Path):
    real = _write(tmp_path, "rules:\n  - {id: a, action: x, match: {}}\n", "real.yaml")
    (tmp_path / "rules.yaml").symlink_to("real.yaml")
    assert _mark(cli, tmp_path, "rules.yaml", "--mark-reviewed", "a", "--date", "2026-12-01").exit_code == 0
    assert (tmp_path / "rules.yaml").is_symlink()
    assert real.read_text().endswith("reviewed: 2026-12-01}\n")


def test_mode_kept_and_no_temp_files_left(cli, tmp_path: Path):
    p = _write(tmp_path, BLOCK)
    os.chmod(p, 0o640)
    assert _mark(cli, tmp_path, "--mark-reviewed", "c").exit_code == 0
    assert (p.stat().st_mode & 0o777) == 0o640
    assert sorted(x.name for x in tmp_path.iterdir()) == ["rules.yaml"]


def test_subprocess_mark_then_review(tmp_path: Path):
    _write(tmp_path, "rules:\n  - id: old\n    action: x\n    owner: o@example.com\n"
           "    match: {a: 1}\n    reviewed: 2025-01-01\n")
    args = ["review", "--today", "2026-12-01", "--format", "json"]
    proc = run_cli(args, tmp_path)
    assert [r["id"] for o in json.loads(proc.stdout)["owners"] for r in o["rules"]] == ["old"]
    proc = run_cli(["review", "--mark-reviewed", "old", "--today", "2026-12-01"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "reviewed: 2026-12-01" in (tmp_path / "rules.yaml").read_text()
    proc = run_cli(args, tmp_path)
    assert json.loads(proc.stdout)["owners"] == []
    proc = run_cli(["review", "--mark-reviewed", "old", "--date", "01/12/2026"], tmp_path)
    assert proc.returncode == 2 and "is not a date" in proc.stderr
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)


def test_listing_options_do_not_go_with_marking(cli, tmp_path: Path):
    p = _write(tmp_path, BLOCK)
    before = p.read_bytes()
    for extra in (["--format", "json"], ["--owner", "x@example.com"]):
        result = _mark(cli, tmp_path, "--mark-reviewed", "a", *extra)
        assert result.exit_code == 2 and "do not go with --mark-reviewed" in result.stderr
    assert p.read_bytes() == before
