"""Regression tests for what the fuzz harness (tests/fuzz/) found: one file
``tests/hostile/fuzz-<family>-<n>.yaml`` per failure, minimised, each run through the real
CLI (in-process and as a subprocess) with the command that failed.

Families being fixed on other branches are ``xfail(strict=True)`` with the branch named; the
mark comes off when the fix is merged into main (a strict xfail that passes fails the suite,
so a fix cannot land unnoticed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import assert_clean_exit, run_cli
from fuzz.cli import Runner
from fuzz.harness import Case, run_case

HOSTILE = Path(__file__).resolve().parent / "hostile"

READERS = "fixed on branch readers"

# file -> (checks of the harness to run, suggest-merge flags, the command that failed, xfail reason)
# (reason None: fixed in main; fuzz-linebreak-*, -cr-, -anchors-, -output-drops-, -kindchange-,
# -tags-3, -hugeint-1, -dates- and -symlink- by the write branch, -tags-1/2 and -event-* by the
# readers branch, -verify-1 by the glob gate named by its match, all merged 2026-12-02)
REGRESSIONS: dict[str, tuple[set[str], list[str], list[str], str | None]] = {
    # NEL (U+0085) inside a quoted description: --apply deleted r7, a rule in no group
    "fuzz-linebreak-1.yaml": ({"apply"}, ["--include-redundant"],
                              ["suggest-merge", "--apply", "--include-redundant"],
                              None),
    # NEL and U+2028 in quoted strings of rules with schema errors: --diff never ends
    "fuzz-linebreak-2.yaml": ({"suggest"}, [], ["suggest-merge", "--diff"],
                              None),
    # CR-only line endings: --diff and --apply end in IndexError
    "fuzz-cr-1.yaml": ({"suggest", "apply"}, [], ["suggest-merge", "--diff"],
                       None),
    # two merged rules with created == reviewed: &id001 twice in the --output file
    "fuzz-anchors-1.yaml": ({"output", "apply"}, [], ["suggest-merge", "--output", "out/new.yaml"],
                            None),
    # --include-redundant removes the only cidr on src: src becomes a string, and not_in
    # then matches "hello" (the file should declare src: ip instead)
    "fuzz-kindchange-1.yaml": ({"apply"}, ["--include-redundant"],
                               ["suggest-merge", "--apply", "--include-redundant"],
                               None),
    # a rule with an unknown key is left out of the --output file
    "fuzz-output-drops-1.yaml": ({"output"}, [], ["suggest-merge", "--output", "out/new.yaml"],
                                 None),
    # !!timestamp on a string: internal error AttributeError
    "fuzz-tags-1.yaml": ({"check"}, [], ["check"], None),
    # !!bool 0x1F: internal error KeyError
    "fuzz-tags-2.yaml": ({"check"}, [], ["check"], None),
    # !!float on a word: check reports it, --output ends in RepresenterError
    "fuzz-tags-3.yaml": ({"output"}, [], ["suggest-merge", "--output", "out/new.yaml"],
                         None),
    # a rule whose id is a list: review --mark-reviewed of another rule ends in TypeError
    "fuzz-markreviewed-1.yaml": ({"mark"}, [], ["review", "--mark-reviewed", "b", "--date", "2026-12-01"],
                                 None),
    # NEL in descriptions and an opaque glob: plain --output fails its own check after writing
    # ("the written rules decide differently ... This is a bug in rulelint"; the file is put back)
    "fuzz-verify-1.yaml": ({"output"}, [], ["suggest-merge", "--output", "out/new.yaml"],
                           None),
    # a 5,000-digit range bound: --output ends in RepresenterError (and echoes the digits)
    "fuzz-hugeint-1.yaml": ({"output"}, [], ["suggest-merge", "--output", "out/new.yaml"],
                            None),
    # limits: {max_rules: <400 digits>}: check ends in OverflowError (int too large for a float)
    "fuzz-hugeint-2.yaml": ({"check"}, [], ["check"], None),
    # id: 2026-02-30 on a merge-key rule: --output --target 7 ends in RepresenterError
    "fuzz-dates-1.yaml": ({"output"}, ["--target", "7"],
                          ["suggest-merge", "--output", "out/new.yaml", "--target", "7"],
                          None),
    # ids PyYAML reads as dates (9999-12-31): the harness's mark check keyed rules by the
    # loaded id and reported a correct --mark-reviewed as "more than 'reviewed' changed"
    "fuzz-markreviewed-3.yaml": ({"mark"}, [], ["review", "--mark-reviewed", "9999-12-31", "--date", "2026-12-01"],
                                 None),
    # every line-break character in quoted values that messages quote: --format concise put
    # part of a finding on a line of its own ("not 'file:line:col: CODE message'")
    "fuzz-linebreak-3.yaml": ({"check"}, [], ["check", "--format", "concise", "--today", "2026-12-01"],
                              None),
    # `id: !!int 0x1F` (an explicit tag on an id): rulelint named the rule '31', the text
    # says '0x1F'; --output "left out" 0x1F and --apply "changed an untouched rule"
    "fuzz-tagged-id-1.yaml": ({"output", "apply"}, ["--include-redundant"],
                              ["suggest-merge", "--apply", "--include-redundant"],
                              None),
    # U+1F600 in an action: the cases file the harness wrote (json.dumps, a surrogate pair)
    # was not YAML, and rulelint test refused it
    "fuzz-testcases-1.yaml": ({"test"}, [], ["test"], None),
}


def _params():
    out = []
    for name, (checks, flags, command, reason) in sorted(REGRESSIONS.items()):
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(name, checks, flags, command, marks=marks, id=name))
    return out


# events for ``eval --event`` (JSON is YAML: these files are also in the fuzz corpus)
EVENT_REGRESSIONS: dict[str, str] = {
    "fuzz-event-1.yaml": "JSON nested 5,000 deep: internal error RecursionError",
    "fuzz-event-2.yaml": "an int of 5,001 digits: internal error ValueError (4300-digit limit)",
}


# files with a test of their own below
OWN_TESTS = {"fuzz-symlink-1.yaml", "fuzz-markreviewed-2.yaml", "fuzz-tagged-timestamp-1.yaml"}


@pytest.mark.parametrize("rule_id", ["host-bits", "b"])
def test_mark_reviewed_with_a_schema_error_in_the_file(cli, tmp_path, rule_id):
    """host-bits has a bad cidr (RL002). Marking it ends in an internal ConditionError;
    marking b fails its own check after writing ('new RL002 error', 'a bug in rulelint')
    because the error was already there. Either mark, or refuse up front in one line."""
    src = (HOSTILE / "fuzz-markreviewed-2.yaml").read_bytes()
    (tmp_path / "rules.yaml").write_bytes(src)
    result = cli("review", "rules.yaml", "--mark-reviewed", rule_id, "--date", "2026-12-01", cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    assert "bug in rulelint" not in result.output, result.output
    if result.exit_code == 0:
        new = (tmp_path / "rules.yaml").read_text(encoding="utf-8")
        assert "reviewed: 2026-12-01" in new
    else:
        assert result.exit_code == 2 and (tmp_path / "rules.yaml").read_bytes() == src


def test_every_fuzz_file_has_a_test():
    on_disk = {p.name for p in HOSTILE.glob("fuzz-*.yaml")}
    assert on_disk == set(REGRESSIONS) | set(EVENT_REGRESSIONS) | OWN_TESTS


def test_apply_writes_through_a_symlink(cli, tmp_path):
    """The rule file is a symlink (a shared checkout, a dotfiles repo): --apply must write
    the target and keep the link, not replace the link by a regular file."""
    (tmp_path / "real").mkdir()
    shutil.copy(HOSTILE / "fuzz-symlink-1.yaml", tmp_path / "real" / "rules.yaml")
    (tmp_path / "rules.yaml").symlink_to(Path("real") / "rules.yaml")
    before = (tmp_path / "real" / "rules.yaml").read_bytes()
    result = cli("suggest-merge", "rules.yaml", "--apply", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rules.yaml").is_symlink()
    assert (tmp_path / "real" / "rules.yaml").read_bytes() != before


@pytest.mark.parametrize("name", sorted(EVENT_REGRESSIONS))
@pytest.mark.parametrize("how", ["inline", "file"])
def test_hostile_event_is_a_usage_error(tmp_path, name, how):
    """As a real process: exit 2 with one short line naming --event, no internal error."""
    shutil.copy(HOSTILE.parent.parent / "rules.example.yaml", tmp_path / "rules.yaml")
    shutil.copy(HOSTILE / name, tmp_path / "event.json")
    payload = (HOSTILE / name).read_text(encoding="utf-8") if how == "inline" else "@event.json"
    proc = run_cli(["eval", "rules.yaml", "--event", payload, "--format", "json"], tmp_path, timeout=30)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 2
    assert "--event" in proc.stderr or "event.json" in proc.stderr
    assert all(len(line) < 600 for line in proc.stderr.splitlines())


@pytest.mark.parametrize(("name", "checks", "flags", "command"), _params())
def test_harness_finds_nothing(name, checks, flags, command):
    """The harness's own checks (exit codes, no internal error, time bound, byte-exact
    --apply, nothing dropped by --output, oracle decisions) on the minimised input."""
    text = (HOSTILE / name).read_bytes().decode("utf-8")
    failures, _ = run_case(Case(text, "rules.yaml", seed=14, flags=flags), Runner(timeout=10),
                           full=True, only=checks)
    assert failures == [], [(f.kind, f.command, f.detail[:300]) for f in failures]


# the families whose failing command crashes or hangs (the others end cleanly but write wrong)
CRASHES = {"fuzz-linebreak-2.yaml", "fuzz-cr-1.yaml", "fuzz-tags-1.yaml", "fuzz-tags-2.yaml",
           "fuzz-tags-3.yaml", "fuzz-hugeint-1.yaml", "fuzz-dates-1.yaml", "fuzz-markreviewed-1.yaml",
           "fuzz-hugeint-2.yaml"}


def _process_params():
    out = []
    for name, (_checks, _flags, command, reason) in sorted(REGRESSIONS.items()):
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason and name in CRASHES else []
        out.append(pytest.param(name, command, marks=marks, id=name))
    return out


@pytest.mark.parametrize(("name", "command"), _process_params())
def test_real_process(tmp_path, name, command):
    """The command that failed, as a real ``python -m rulelint`` process: a clean exit
    within the time bound, no internal error, no traceback."""
    shutil.copy(HOSTILE / name, tmp_path / "rules.yaml")
    (tmp_path / "out").mkdir()
    try:
        proc = run_cli([command[0], "rules.yaml", *command[1:]], tmp_path, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} on {name} ran past 15 s")
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)


def test_huge_int_output_is_clear_and_short(tmp_path):
    """--output with a 5,000-digit bound, as a real process: written as its source text or
    refused in one short line naming the rule; never a 5,000-digit error message."""
    shutil.copy(HOSTILE / "fuzz-hugeint-1.yaml", tmp_path / "rules.yaml")
    proc = run_cli(["suggest-merge", "rules.yaml", "--output", "new.yaml"], tmp_path, timeout=30)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode in (0, 2)
    for line in proc.stderr.splitlines():
        assert len(line) < 600, line[:200]
    if proc.returncode == 0:
        assert "9" * 5000 in (tmp_path / "new.yaml").read_text(encoding="utf-8")
    else:
        assert "rules.yaml" in proc.stderr


def _has_anchor_or_alias(text: str) -> bool:
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None) is not None:
            return True
    return False


def test_output_never_uses_anchors(cli, tmp_path):
    shutil.copy(HOSTILE / "fuzz-anchors-1.yaml", tmp_path / "rules.yaml")
    result = cli("suggest-merge", "rules.yaml", "--output", "new.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "new.yaml").read_text(encoding="utf-8")
    assert not _has_anchor_or_alias(text), text
    assert len(yaml.safe_load(text)["rules"]) == 2


def test_output_keeps_or_refuses_schema_error_rules(cli, tmp_path):
    src = (HOSTILE / "fuzz-output-drops-1.yaml").read_text(encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(src, encoding="utf-8")
    result = cli("suggest-merge", "rules.yaml", "--output", "new.yaml", cwd=tmp_path)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        new = (tmp_path / "new.yaml").read_text(encoding="utf-8")
        broken = src[src.index("  - id: broken"):]
        assert broken in new, new  # carried over byte for byte
    else:
        assert "broken" in result.output or "rules.yaml:7" in result.output


def test_output_keeps_schema_error_rules_check_can_fail():
    """The check above fails on today's output (the rule is missing), not by accident."""
    src = (HOSTILE / "fuzz-output-drops-1.yaml").read_text(encoding="utf-8")
    assert "acton: typo" in src and src.count("- id:") == 3


@pytest.mark.parametrize("name", ["fuzz-tags-1.yaml", "fuzz-tags-2.yaml"])
def test_explicit_tags_are_findings(cli, tmp_path, name):
    shutil.copy(HOSTILE / name, tmp_path / "rules.yaml")
    result = cli("check", "rules.yaml", "--format", "json", cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert {f["code"] for f in report["findings"]} & {"RL001", "RL002"}
    assert {f["line"] for f in report["findings"]} & {2, 3}


# --- review --mark-reviewed on ids that look like dates (fuzz-markreviewed-3) ------------------

MARK_DATE = "2026-12-01"


@pytest.mark.parametrize("rule_id", ["9999-12-31", "2026-02-01", "quoted-timestamp"])
def test_mark_reviewed_date_like_id_changes_only_reviewed(cli, tmp_path, rule_id):
    """rulelint reads ``id: 9999-12-31`` as the text it is; marking it sets ``reviewed:`` on
    that rule and leaves every other byte, and the harness's check agrees."""
    from fuzz.harness import marked_rule_changes
    from fuzz.spans import untouched_kept

    src = (HOSTILE / "fuzz-markreviewed-3.yaml").read_text(encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(src, encoding="utf-8")
    result = cli("review", "rules.yaml", "--mark-reviewed", rule_id, "--date", MARK_DATE, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    new = (tmp_path / "rules.yaml").read_text(encoding="utf-8")
    assert new != src
    assert untouched_kept(src, new, {rule_id}) is None
    assert marked_rule_changes(src, new, [rule_id], MARK_DATE) is None
    rules = {str(r["id"]): r for r in yaml.safe_load(new)["rules"]}
    assert str(rules[rule_id]["reviewed"]) == MARK_DATE
    # the other rules keep their reviewed (or lack of it)
    old_rules = {str(r["id"]): r for r in yaml.safe_load(src)["rules"]}
    for rid in old_rules.keys() - {rule_id}:
        assert rules[rid] == old_rules[rid]


def test_mark_check_reads_ids_as_written_and_can_fail():
    """The harness's check finds the rule by the id's text (not PyYAML's date) and reports
    a marked rule whose other keys changed, or whose reviewed is not the date."""
    from fuzz.harness import marked_rule_changes

    src = (HOSTILE / "fuzz-markreviewed-3.yaml").read_text(encoding="utf-8")
    marked = src.replace("    action: keep\n    match: {when", f"    action: keep\n    reviewed: {MARK_DATE}\n    match: {{when", 1)
    assert marked != src
    assert marked_rule_changes(src, marked, ["9999-12-31"], MARK_DATE) is None
    wrong_action = marked.replace("action: keep", "action: drop", 1)
    assert "more than 'reviewed' changed" in marked_rule_changes(src, wrong_action, ["9999-12-31"], MARK_DATE)
    wrong_date = marked.replace(f"reviewed: {MARK_DATE}", "reviewed: 2026-12-02", 1)
    assert marked_rule_changes(src, wrong_date, ["9999-12-31"], MARK_DATE)
    assert marked_rule_changes(src, src, ["9999-12-31"], MARK_DATE)  # not marked at all


# --- line breaks in messages (fuzz-linebreak-3) -------------------------------------------------

# each break kind in the file, as written there (a YAML escape), and as the output shows it
BREAK_KINDS = {
    "lf": ("\n", "\\n"), "cr": ("\r", "\\r"), "vt": ("\x0b", "\\x0b"), "ff": ("\x0c", "\\x0c"),
    "fs": ("\x1c", "\\x1c"), "gs": ("\x1d", "\\x1d"), "rs": ("\x1e", "\\x1e"),
    "nel": ("\x85", "\\x85"), "ls": ("\u2028", "\\u2028"), "ps": ("\u2029", "\\u2029"),
    "crlf": ("\r\n", "\\r\\n"),
    # not breaks, but as dangerous on a line: a terminal escape, C1's CSI, NUL, an RTL override
    "esc": ("\x1b", "\\x1b"), "csi": ("\x9b", "\\x9b"), "nul": ("\x00", "\\x00"),
    "rlo": ("\u202e", "\\u202e"),
}
CONCISE_LINE = r"^.+:\d+:\d+: RL\d{3} "


def _check_output(tmp_path, fmt: str) -> str:
    shutil.copy(HOSTILE / "fuzz-linebreak-3.yaml", tmp_path / "rules.yaml")
    proc = run_cli(["check", "rules.yaml", "--format", fmt, "--today", "2026-12-01"], tmp_path, timeout=30)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_escape_controls_leaves_one_line():
    from rulelint.util.lines import escape_controls

    every = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF)
    assert len(escape_controls(every).splitlines()) == 1
    for raw, shown in BREAK_KINDS.values():
        assert escape_controls(f"a{raw}b") == f"a{shown}b"
    assert escape_controls("plain text, tab\tkept") == "plain text, tab\tkept"


@pytest.mark.parametrize("kind", sorted(BREAK_KINDS))
def test_concise_keeps_each_break_kind_on_the_line(tmp_path, kind):
    """As a real process: one 'file:line:col: CODE message' line per finding (as many as
    --format json has), the owner written with its visible escape."""
    import re

    out = _check_output(tmp_path, "concise")
    raw, shown = BREAK_KINDS[kind]
    lines = out.splitlines()  # splits at every break kind
    assert all(re.match(CONCISE_LINE, ln) for ln in lines), [ln for ln in lines if not re.match(CONCISE_LINE, ln)]
    report = json.loads(_check_output(tmp_path, "json"))
    assert len(lines) == len(report["findings"])
    [line] = [ln for ln in lines if f"rule '{kind}' " in ln]
    assert f"owner (a{shown}b)" in line, line
    assert f"a{raw}b" not in out


@pytest.mark.parametrize("fmt", ["github", "markdown", "text"])
def test_line_based_formats_escape_every_break_kind(tmp_path, fmt):
    """github annotations, Markdown table rows and the text report: a finding's lines are
    its own (an annotation is one line, a row is one line), every break kind escaped."""
    out = _check_output(tmp_path, fmt)
    for raw, shown in BREAK_KINDS.values():
        assert f"a{raw}b" not in out
        assert f"a{shown}b" in out.replace("\\\\", "\\")  # Markdown doubles the backslash
    lines = out.splitlines()
    if fmt == "github":
        assert all(ln.startswith("::") for ln in lines), lines
        assert len(lines) == len(json.loads(_check_output(tmp_path, "json"))["findings"])
        [rl202] = [ln for ln in lines if "(RL202)" in ln]
        assert "%0Awitness: k=w\\nv" in rl202  # the witness still on an annotation line of its own
    elif fmt == "markdown":
        rows = [ln for ln in lines if ln.startswith("| RL")]
        assert len(rows) == len(BREAK_KINDS) + 1 and all(ln.endswith("|") for ln in rows)
    else:
        import re

        for kind, (_raw, shown) in BREAK_KINDS.items():
            [head] = [i for i, ln in enumerate(lines) if "RL403" in ln and f"rule '{kind}'" in lines[i + 1]]
            end = head + 1
            while end < len(lines) and lines[end].startswith(" " * 9):
                end += 1
            # the message, indented, up to the next finding's head line (or the blank after)
            assert " ".join(lines[head + 1:end]).count(f"a{shown}b") == 1, lines[head:end + 1]
            assert lines[end] == "" or re.match(r"^ +\d+  (error|warning|info) ", lines[end]), lines[end]


# --- rulelint test on a cases file with characters beyond U+FFFF (fuzz-testcases-1) ------------


def test_harness_cases_file_is_yaml(tmp_path):
    """The harness writes cases as JSON that YAML reads: a character beyond U+FFFF as
    ``\\U0001f600``, not json.dumps' surrogate pair; rulelint test runs them all."""
    from fuzz.events import yaml_json

    shutil.copy(HOSTILE / "fuzz-testcases-1.yaml", tmp_path / "rules.yaml")
    tricky = ["allow\U0001f600", "\\ud83d\\ude00", "\\\U0001f600", "\U0010ffff", "x\u2028y", "a\x85b"]
    cases = {"cases": [
        {"event": {"subject": "日本"}, "expect": {"actions": ["allow", "allow\U0001f600", "escalate"]}},
        *({"event": {"subject": s}, "expect": {"actions": ["allow", "allow\U0001f600"]}} for s in tricky),
    ]}
    text = yaml_json(cases)
    assert yaml.safe_load(text) == cases
    assert yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) == cases  # noqa: S506
    assert json.loads(text.replace("\\U0001f600", "\U0001f600").replace("\\U0010ffff", "\U0010ffff")) == cases
    (tmp_path / "cases.yaml").write_text(text, encoding="utf-8")
    proc = run_cli(["test", "rules.yaml", "--tests", "cases.yaml"], tmp_path, timeout=30)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(cases['cases'])} passed" in proc.stdout + proc.stderr


# --- explicit tags carried over by the writers (fuzz-tagged-timestamp-1) ------------------

_TAGGED = ["!!timestamp '2026-01-01 10:00:00'", "!!timestamp 2026-01-01 10:00:00",
           "!!timestamp 2026-01-01T10:00:00+01:00", "!!timestamp 2026-01-01",
           "!!str 2026-01-01 10:00:00", "!!str 123", "!!int '5'", "!!int 0x1F"]


def _tagged_rules(tag: str, flow: bool) -> str:
    other = 7 if tag.startswith("!!int") else "other"  # c uses the field as the same kind
    if flow:
        return ("rules:\n"
                f"  - {{id: a, action: keep, match: {{when: {tag}}}}}\n"
                f"  - {{id: b, action: keep, match: {{when: {tag}}}}}\n"
                f"  - {{id: c, action: drop, match: {{when: {other}}}}}\n")
    return ("rules:\n"
            f"  - id: a\n    action: keep\n    match: {{when: {tag}}}\n"
            f"  - id: b\n    action: keep\n    match:\n      when: {tag}\n"
            f"  - id: c\n    action: drop\n    match: {{when: {other}}}\n")


_EVENTS = [{"when": w} for w in ("2026-01-01 10:00:00", "2026-01-01T10:00:00",
                                  "2026-01-01T10:00:00+01:00", "2026-01-01", "123", "5", 5, 31, 7,
                                  "other")]


def _meaning(path: Path) -> tuple[dict[str, list], list]:
    """Each rule's conditions, and the decision on each event, as loaded from ``path``."""
    from rulelint.evaluate import decision_key
    from rulelint.load.config import Settings
    from rulelint.load.files import SourceFile
    from rulelint.load.project import load_project

    project = load_project([SourceFile(path, path.name)], Settings(root=path.parent, cwd=path.parent))
    (rs,) = project.rulesets.values()
    conds = {r.id: sorted((c.field, c.op, repr(c.values)) for c in r.conditions.values())
             for r in rs.rules}
    return conds, [decision_key(rs, e) for e in _EVENTS]


def test_tagged_timestamp_output_reloads_to_the_planned_rules(cli, tmp_path):
    """An explicit !!timestamp '2026-01-01 10:00:00' is a date-time, matched as its ISO text
    (2026-01-01T10:00:00). --output wrote it plain with a space, which reads back as the
    text 2026-01-01 10:00:00: its own check after writing failed ('a bug in rulelint')."""
    shutil.copy(HOSTILE / "fuzz-tagged-timestamp-1.yaml", tmp_path / "support.yaml")
    (tmp_path / "out").mkdir()
    result = cli("suggest-merge", "support.yaml", "--output", "out/new.yaml", "--format", "json",
                 "--include-shadowed", "--target", "8", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "bug in rulelint" not in result.output
    report = json.loads(result.output[result.output.index("{"):result.output.rindex("}") + 1])
    assert report["verified"] is True and report["after"] == 2
    assert _meaning(tmp_path / "out" / "new.yaml") == _meaning(tmp_path / "support.yaml")


@pytest.mark.parametrize("flow", [False, True], ids=["block", "flow"])
@pytest.mark.parametrize("tag", _TAGGED)
@pytest.mark.parametrize("command", [
    ["suggest-merge", "r.yaml", "--output", "new.yaml", "--include-shadowed", "--target", "1"],
    ["suggest-merge", "r.yaml", "--apply", "--include-shadowed", "--include-redundant"],
    ["remove", "c", "r.yaml", "--apply"],
    ["review", "r.yaml", "--mark-reviewed", "a", "--date", "2026-12-01"],
], ids=["output", "apply", "remove", "mark"])
def test_tagged_values_are_written_back_or_refused(cli, tmp_path, command, tag, flow):
    """Every writer on rules with explicitly tagged values: a file that reads back to the
    same rules (bar what the command changes), or a clean refusal that leaves it alone."""
    src = _tagged_rules(tag, flow)
    (tmp_path / "r.yaml").write_text(src, encoding="utf-8")
    before = _meaning(tmp_path / "r.yaml")
    result = cli(*command, cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    assert "bug in rulelint" not in result.output, result.output
    if result.exit_code == 2:
        assert (tmp_path / "r.yaml").read_text(encoding="utf-8") == src
        assert "r.yaml" in result.output, result.output
        return
    assert result.exit_code in (0, 1), result.output
    written = tmp_path / ("new.yaml" if "--output" in command else "r.yaml")
    conds, decisions = _meaning(written)
    if command[0] == "remove":
        assert conds == {k: v for k, v in before[0].items() if k != "c"}
    elif command[0] == "review":
        assert (conds, decisions) == before
    else:
        assert decisions == before[1]


def test_empty_rules_key_is_an_empty_ruleset_for_test_and_eval(tmp_path):
    """fuzz (seed 1796245020): `rules:` followed only by a comment passed check (0 rules)
    while `rulelint test` refused "no valid ruleset was loaded". It is an empty ruleset: no
    event gets an exception."""
    from typer.testing import CliRunner

    from rulelint.cli import app

    (tmp_path / "rules.yaml").write_text(
        "# generated by tests/fuzz/gen.py\nfields: {plan: {kind: enum, values: [free, pro]}}\n"
        "rules:\n  # about r0\n", encoding="utf-8")
    (tmp_path / "cases.yaml").write_text(
        "cases:\n  - name: nothing\n    event: {plan: pro}\n    expect: none\n", encoding="utf-8")
    runner = CliRunner()
    got = runner.invoke(app, ["check", str(tmp_path / "rules.yaml")])
    assert got.exit_code == 0, got.output
    got = runner.invoke(app, ["test", str(tmp_path / "rules.yaml"), "--tests",
                              str(tmp_path / "cases.yaml")])
    assert got.exit_code == 0 and "1 passed" in got.output, got.output
    got = runner.invoke(app, ["eval", str(tmp_path / "rules.yaml"), "--event", '{"plan": "pro"}'])
    assert got.exit_code == 0, got.output


# plain scalars YAML 1.1 reads as numbers, bools or dates; the id is the text as written
TYPED_IDS = ["12:30", "0x1F", "1_000", "007", "on", "yes", "1.5", "2026-01-01", "9999-12-31"]


def test_ids_are_the_text_as_written(tmp_path):
    """read-through of #14: `id: 12:30` was silently the rule '750' (YAML 1.1 sexagesimal),
    `0x1F` '31', `1_000` '1000'; `on` and `1.5` were RL002 although SPEC's id pattern allows
    them. An id is a name: the text as written, in check, eval, --mark-reviewed, remove and
    suggest-merge --apply alike."""
    from typer.testing import CliRunner

    from rulelint.cli import app

    body = "".join(
        f"  - id: {rid}\n    action: a{n % 2}\n    owner: o\n    match: {{x: {n}}}\n"
        for n, rid in enumerate(TYPED_IDS)
    )
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + body + "  - id: dup\n    action: a0\n    match: {x: 0}\n",
                    encoding="utf-8")
    runner = CliRunner()
    got = runner.invoke(app, ["check", str(path), "--format", "json"])
    assert got.exit_code in (0, 1), got.output
    report = json.loads(got.stdout)
    assert not [f for f in report["findings"] if f["code"] == "RL002"], report["findings"]
    dead = [f["rule_ids"][0] for f in report["findings"] if f["code"] in ("RL201", "RL301")]
    assert dead == ["dup"], dead
    for n, rid in enumerate(TYPED_IDS):
        decided = runner.invoke(app, ["eval", str(path), "--event", json.dumps({"x": n}),
                                      "--format", "json"])
        assert json.loads(decided.stdout)["deciding"] == [rid], decided.output
    marked = runner.invoke(app, ["review", str(path), "--mark-reviewed", "12:30,0x1F,on",
                                 "--date", "2026-12-01"])
    assert marked.exit_code == 0, marked.output
    text = path.read_text(encoding="utf-8")
    assert text.count("reviewed: 2026-12-01") == 3 and "  - id: 12:30\n" in text, text
    removed = runner.invoke(app, ["remove", "0x1F", str(path), "--apply"])
    assert removed.exit_code == 0, removed.output
    assert "id: 0x1F" not in path.read_text(encoding="utf-8")
    decided = runner.invoke(app, ["eval", str(path), "--event", '{"x": 1}', "--format", "json"])
    assert json.loads(decided.stdout)["deciding"] == [], decided.output
    merged = runner.invoke(app, ["suggest-merge", str(path), "--include-redundant", "--apply"])
    assert merged.exit_code == 0 and "reloaded the written files" in merged.output, merged.output
    for n, rid in enumerate(TYPED_IDS):
        decided = runner.invoke(app, ["eval", str(path), "--event", json.dumps({"x": n}),
                                      "--format", "json"])
        assert json.loads(decided.stdout)["decision"] == ([] if rid == "0x1F" else [f"a{n % 2}"])


@pytest.mark.parametrize("text", ["", "~", "null"])
def test_an_empty_id_says_so(tmp_path, text):
    """`id: null` is no id; the message says so and how to name a rule 'null'."""
    from typer.testing import CliRunner

    from rulelint.cli import app

    path = tmp_path / "rules.yaml"
    path.write_text(f"rules:\n  - id: {text}\n    action: a\n    match: {{x: 1}}\n",
                    encoding="utf-8")
    got = CliRunner().invoke(app, ["check", str(path), "--format", "concise"])
    assert got.exit_code == 1, got.output
    assert "rules.yaml:2:" in got.output and "the id is empty" in got.output, got.output


@pytest.mark.parametrize("command", [
    ["review", "--today", "2026-12-01"],
    ["review", "--today", "2026-12-01", "--format", "markdown"],
    ["suggest-merge", "--include-shadowed"],
    ["remove", "w2,esc,nul"],
    ["remove", "w1"],
])
def test_review_and_removal_lists_escape_controls(tmp_path, command):
    """The owners' lists (review, suggest-merge's removals, remove) interpolate owners,
    files and messages: no control character reaches the terminal as itself."""
    shutil.copy(HOSTILE / "fuzz-linebreak-3.yaml", tmp_path / "rules.yaml")
    proc = run_cli([*command[:1], "rules.yaml", *command[1:]], tmp_path, timeout=30)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    out = proc.stdout
    for kind, (raw, _shown) in BREAK_KINDS.items():
        if kind in ("lf", "crlf"):
            continue  # the output's own line ends
        assert raw not in out, (kind, out)
    if command[0] == "review":
        assert "a\\x1bb" in out.replace("\\\\", "\\"), out
