"""Issue 14 families 7-11, issue 16 item 5, issue 18 item 3: hostile input to the readers.

Every reader of a file the user names refuses what is not a regular file and caps the size
(``util/userfile.py``), values that YAML or JSON allow but Python cannot hold are one clear
line, dates and day counts out of range are usage errors naming the option, a plain
timestamp is the text as written, and ``eval --events`` decides many events in one run.
Everything goes through the real CLI (CliRunner, and a subprocess where stdin, stderr or a
FIFO matter) on real files and real git repositories.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import _clean_env, assert_clean_exit, findings, git_init, run_cli, write_rules
from rulelint.util import userfile
from rulelint.util.userfile import UserFileError, read_user_bytes

RULES = """\
rules:
  - id: vip
    action: skip_autoclose
    match: {plan: enterprise}
  - id: jp
    action: escalate
    match: {region: [JP, KR]}
  - id: port
    action: allow
    match: {dst_port: {range: [0, 1023]}}
"""

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")


def run_in(args: list[str], cwd: Path, stdin: str | None = None, timeout: float = 60):
    """``python -m rulelint`` with ``stdin`` as its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "rulelint", *args], cwd=cwd, env=_clean_env(None),
        input=stdin, capture_output=True, text=True, timeout=timeout,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def one_error_line(proc) -> str:
    """Exit 2, no traceback, and one ``rulelint: error:`` line; that line."""
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("rulelint: error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_rules(tmp_path, RULES)
    return tmp_path


# --- util/userfile.py ----------------------------------------------------------------------


def test_userfile_reads_a_regular_file_and_caps_it(tmp_path: Path):
    p = tmp_path / "f.json"
    p.write_bytes(b"x" * 100)
    assert read_user_bytes(p, "thing", 100) == b"x" * 100
    with pytest.raises(UserFileError, match=r"thing .*f\.json is 100 bytes; rulelint reads up to 99"):
        read_user_bytes(p, "thing", 99)


def test_userfile_names_what_the_path_is(tmp_path: Path):
    with pytest.raises(UserFileError, match="thing .*nope does not exist"):
        read_user_bytes(tmp_path / "nope", "thing", 10)
    with pytest.raises(UserFileError, match="is a directory"):
        read_user_bytes(tmp_path, "thing", 10)


@needs_dev_zero
def test_userfile_refuses_a_device_without_reading_it():
    with pytest.raises(UserFileError, match="/dev/zero is a character device, not a regular file"):
        read_user_bytes("/dev/zero", "thing", 1 << 30)


@needs_fifo
def test_userfile_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserFileError, match=r"pipe \(FIFO\), not a regular file"):
        read_user_bytes(fifo, "thing", 10)  # blocked forever before: open() waits for a writer


def test_userfile_stops_reading_at_the_cap_when_the_file_grows(tmp_path: Path, monkeypatch):
    """The size is checked on the descriptor and again while reading: a file that grows
    past the cap after fstat is still refused, never read to the end."""
    p = tmp_path / "grows"
    p.write_bytes(b"x" * 10)
    real_fstat = os.fstat
    monkeypatch.setattr(userfile.os, "fstat", lambda fd: _shrunk(real_fstat(fd)))
    p.write_bytes(b"x" * 5000)
    with pytest.raises(UserFileError, match="larger than"):
        read_user_bytes(p, "thing", 1000)


def _shrunk(st: os.stat_result) -> os.stat_result:
    fields = list(st)
    fields[6] = 0  # st_size: claims to be empty
    return os.stat_result(fields)


# --- family 9 and issue 18 item 3: --event ---------------------------------------------------


def test_event_from_stdin(project: Path):
    proc = run_in(["eval", "--event", "@-", "-f", "json"], project, stdin='{"region": "KR"}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"decision": ["escalate"], "deciding": ["jp"], "matched": ["jp"]}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 5000 + "]" * 5000, "nests too deeply"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deeply"),
        ('{"n": ' + "9" * 5000 + "}", "integer of more than 4,300 digits"),
        ('{"n": 1', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
    ],
    ids=["array-5000-deep", "object-100k-deep", "int-5000-digits", "truncated", "not-an-object"],
)
def test_event_that_python_cannot_hold_is_one_line(project: Path, text: str, says: str):
    (project / "ev.json").write_text(text)
    for spec in (text, "@ev.json"):
        proc = run_cli(["eval", "--event", spec], project) if len(spec) < 100_000 else None
        if proc is None:  # too long for an argument: the file only
            continue
        line = one_error_line(proc)
        assert says in line, line
    line = one_error_line(run_in(["eval", "--event", "@-"], project, stdin=text))
    assert says in line and "stdin" in line, line


@needs_dev_zero
def test_event_file_dev_zero_is_refused(project: Path):
    line = one_error_line(run_cli(["eval", "--event", "@/dev/zero"], project, timeout=30))
    assert "event file /dev/zero is a character device" in line


@needs_fifo
def test_event_file_fifo_is_refused_at_once(project: Path):
    os.mkfifo(project / "ev.fifo")
    line = one_error_line(run_cli(["eval", "--event", "@ev.fifo"], project, timeout=30))
    assert "event file ev.fifo is a pipe (FIFO)" in line


def test_event_file_over_the_cap_is_refused(project: Path, cli, monkeypatch):
    monkeypatch.setattr("rulelint.load.events.MAX_EVENT_BYTES", 64)
    (project / "big.json").write_text('{"plan": "' + "x" * 100 + '"}')
    result = cli("eval", "--event", "@big.json", cwd=project)
    assert result.exit_code == 2 and "event file big.json is 112 bytes" in result.output


def test_event_file_missing_or_a_directory(project: Path, cli):
    result = cli("eval", "--event", "@nope.json", cwd=project)
    assert result.exit_code == 2 and "event file nope.json does not exist" in result.output
    result = cli("eval", "--event", "@.", cwd=project)
    assert result.exit_code == 2 and "event file . is a directory" in result.output


# --- family 11: the other readers --------------------------------------------------------------


@needs_dev_zero
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["check", "--baseline", "/dev/zero"], "baseline file /dev/zero is a character device"),
        (["check", "--hits", "/dev/zero"], "hit log /dev/zero is a character device"),
        (["check", "--config", "/dev/zero"], "config file /dev/zero is not a regular file"),
        (["eval", "--events", "/dev/zero"], "events file /dev/zero is a character device"),
    ],
    ids=["baseline", "hits", "config", "events"],
)
def test_readers_refuse_dev_zero(project: Path, args, says):
    line = one_error_line(run_cli(args, project, timeout=30))
    assert says in line, line


@needs_fifo
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["check", "--baseline", "p.fifo"], "baseline file p.fifo is a pipe"),
        (["check", "--hits", "p.fifo"], "hit log p.fifo is a pipe"),
        (["check", "--config", "p.fifo"], "config file p.fifo is not a regular file"),
        (["eval", "--events", "p.fifo"], "events file p.fifo is a pipe"),
    ],
    ids=["baseline", "hits", "config", "events"],
)
def test_readers_refuse_a_fifo_at_once(project: Path, args, says):
    os.mkfifo(project / "p.fifo")
    line = one_error_line(run_cli(args, project, timeout=30))
    assert says in line, line


@needs_dev_zero
def test_rule_tests_refuse_a_device(project: Path):
    proc = run_cli(["test", "--tests", "/dev/zero"], project, timeout=30)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 2
    assert "ERROR /dev/zero: is a character device, not a regular file" in proc.stdout


def test_hit_log_gz_is_still_read_through_the_checked_descriptor(project: Path, cli):
    import gzip

    with gzip.open(project / "hits.csv.gz", "wt") as fh:
        fh.write("rule_id,timestamp\nvip,2026-11-01\n")
    result = cli("check", "--hits", "hits.csv.gz", "--today", "2026-12-01", "--format", "json",
                 cwd=project)
    assert_clean_exit(result.output, result.exit_code)
    report = json.loads(result.stdout)
    unused = {f["rule_ids"][0] for f in findings(report, "RL404")}
    assert "vip" not in unused and "jp" in unused


def test_hit_log_overlong_jsonl_line_is_a_bad_row(project: Path, cli, monkeypatch):
    monkeypatch.setattr("rulelint.load.hits.MAX_LINE_CHARS", 200)
    rows = [json.dumps({"rule_id": "vip", "timestamp": "2026-11-01"})] * 200
    rows.insert(3, json.dumps({"rule_id": "x" * 500, "timestamp": "2026-11-01"}))
    (project / "hits.jsonl").write_text("\n".join(rows) + "\n")
    result = cli("check", "--hits", "hits.jsonl", "--today", "2026-12-01", cwd=project)
    assert_clean_exit(result.output, result.exit_code)
    assert "skipped 1 malformed row of 201 (first: hits.jsonl:4: line longer" in result.output and "longer than 200 characters" in result.output


def test_baseline_nested_too_deep_is_one_line(project: Path):
    (project / "b.json").write_text("[" * 100_000 + "]" * 100_000)
    line = one_error_line(run_cli(["check", "--baseline", "b.json"], project))
    assert "b.json: not a rulelint baseline" in line


# --- family 10: dates and numbers out of range -------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = git_init(tmp_path / "repo")
    write_rules(root, RULES.replace("rules:\n", "limits: {max_rules: 10}\nrules:\n", 1))
    env = _clean_env({"GIT_AUTHOR_DATE": "2026-01-01T12:00:00+00:00",
                      "GIT_COMMITTER_DATE": "2026-01-01T12:00:00+00:00"})
    subprocess.run(["git", "add", "."], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "rules"], cwd=root, env=env, check=True)
    return root


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9900-01-01", "1969-12-31"])
@pytest.mark.parametrize("command", ["check", "history"])
def test_today_out_of_range_is_a_usage_error(repo: Path, cli, command: str, day: str):
    result = cli(command, "--today", day, cwd=repo)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 2
    assert f"--today {day} is out of range: use a date from 1970-01-01 to 9899-12-31" in result.output


@pytest.mark.parametrize("day", ["9899-12-31", "1970-01-01"])
def test_today_at_the_ends_of_the_range_works(repo: Path, cli, day: str):
    for command in ("check", "history"):
        result = cli(command, "--today", day, cwd=repo)
        assert_clean_exit(result.output, result.exit_code)
        assert result.exit_code in (0, 1), result.output


def test_history_window_days_out_of_range_names_the_option(repo: Path):
    proc = run_cli(["history", "--window-days", "100000000"], repo)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 2 and "--window-days" in proc.stderr


def test_history_since_out_of_range_names_the_option(repo: Path, cli):
    result = cli("history", "--since", "0001-01-01", cwd=repo)
    assert result.exit_code == 2 and "--since 0001-01-01 is out of range" in result.output


def test_a_commit_dated_in_the_future_is_noted_not_charted(repo: Path):
    env = _clean_env({"GIT_AUTHOR_DATE": "2096-01-01T12:00:00+00:00",
                      "GIT_COMMITTER_DATE": "2096-01-01T12:00:00+00:00"})
    rules = repo / "rules.yaml"
    rules.write_text(rules.read_text() + "  - id: late\n    action: x\n    match: {plan: pro}\n")
    subprocess.run(["git", "commit", "-qam", "from the future"], cwd=repo, env=env, check=True)
    proc = run_cli(["history", "--today", "2026-06-01", "-f", "json"], repo)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    [rs] = report["rulesets"]
    assert all(p["date"] <= "2026-06-01" for p in rs["points"]), rs["points"]
    assert all(w["week"] <= "2026-06-01" for w in rs["weeks"])
    assert [c["date"] for c in report["future_commits"]] == ["2096-01-01"]
    assert rs["rules"] == 4  # the working tree, which holds the future commit's rule
    assert "1 commit touching the rule files is dated after today (2026-06-01)" in proc.stderr
    text = run_cli(["history", "--today", "2026-06-01"], repo)
    assert "2096" not in text.stdout and "dated after today" in text.stderr


# --- families 7 and 8 through the CLI ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "what"),
    [("!!bool maybe", "true/false"), ('!!bool ""', "true/false"), ("!!timestamp nope", "date"),
     ('!!int ""', "int")],
)
def test_explicit_tag_is_rl002_in_every_command(tmp_path: Path, cli, value: str, what: str):
    write_rules(tmp_path, f"rules:\n  - id: a\n    action: x\n    match: {{f: {value}}}\n"
                          "  - id: b\n    action: x\n    match: {g: y}\n")
    code, report = cli.json("check", cwd=tmp_path)
    [f] = findings(report, "RL002")
    assert f["line"] == 4 and f"is not a valid {what}" in f["message"]
    for args in (["suggest-merge"], ["eval", "--event", '{"g": "y"}'],
                 ["suggest-merge", "--output", "out.yaml"]):
        result = cli(*args, cwd=tmp_path)
        assert_clean_exit(result.output, result.exit_code)


def test_output_with_values_that_could_not_be_converted(tmp_path: Path, cli):
    """``--output`` with a 5,000-digit integer and 2026-02-30 was a RepresenterError. The
    integer is an RL002 error, so ``--output`` refuses (SPEC: rules with schema errors are
    carried over byte for byte or the command refuses) with one line naming the rule, and
    writes nothing; without it, 2026-02-30 is the text as written and merges."""
    big = "9" * 5000
    text = ("rules:\n  - id: b\n    action: x\n    match: {day: 2026-02-30}\n"
            "  - id: c\n    action: x\n    match: {day: 2026-02-28}\n")
    write_rules(tmp_path, f"rules:\n  - id: a\n    action: x\n    match: {{n: {big}}}\n"
                + text.removeprefix("rules:\n"))
    result = cli("suggest-merge", "--output", "out.yaml", cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 2 and "rules.yaml:4" in result.stderr, result.stderr
    assert not (tmp_path / "out.yaml").exists()
    write_rules(tmp_path, text)
    result = cli("suggest-merge", "--output", "out.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "2026-02-30" in (tmp_path / "out.yaml").read_text()
    # b and c merged: the values are the text as written
    result = cli("eval", "out.yaml", "--event", '{"day": "2026-02-30"}', "-f", "json", cwd=tmp_path)
    assert json.loads(result.stdout)["decision"] == ["x"]


# --- the unquoted timestamp: the text as written -----------------------------------------------


TIMESTAMPS = """\
rules:
  - id: at-ten
    action: page
    match: {when: 2026-01-01 10:00:00}
  - id: at-eleven
    action: page
    match: {when: 2026-01-01 11:00:00}
  - id: day
    action: log
    match: {when: 2026-01-02}
"""


def test_timestamp_is_matched_as_written_by_eval(tmp_path: Path, cli):
    write_rules(tmp_path, TIMESTAMPS)
    for value, want in [("2026-01-01 10:00:00", ["page"]), ("2026-01-01T10:00:00", []),
                        ("2026-01-02", ["log"])]:
        result = cli("eval", "--event", json.dumps({"when": value}), "-f", "json", cwd=tmp_path)
        assert json.loads(result.stdout)["decision"] == want, value


def test_timestamp_is_text_for_check(tmp_path: Path, cli):
    write_rules(tmp_path, TIMESTAMPS + '  - id: again\n    action: page\n'
                                       '    match: {when: "2026-01-01 10:00:00"}\n')
    code, report = cli.json("check", cwd=tmp_path)
    [dup] = findings(report, "RL201")
    assert dup["rule_ids"] == ["again", "at-ten"] or set(dup["rule_ids"]) == {"again", "at-ten"}
    assert not findings(report, "RL005")  # all text: no kind conflict with the date-only value


def test_timestamp_is_rewritten_as_written_by_suggest_merge(tmp_path: Path, cli):
    write_rules(tmp_path, TIMESTAMPS)
    result = cli("suggest-merge", "--output", "out.yaml", cwd=tmp_path)
    assert_clean_exit(result.output, result.exit_code)
    written = (tmp_path / "out.yaml").read_text()
    assert "T10:00:00" not in written and "2026-01-01 10:00:00" in written
    assert "2026-01-01 11:00:00" in written
    for value, want in [("2026-01-01 10:00:00", ["page"]), ("2026-01-01 11:00:00", ["page"]),
                        ("2026-01-01T10:00:00", [])]:
        result = cli("eval", "out.yaml", "--event", json.dumps({"when": value}), "-f", "json",
                     cwd=tmp_path)
        assert json.loads(result.stdout)["decision"] == want, (value, written)


def test_timestamp_in_a_rule_test_is_the_same_text(tmp_path: Path, cli):
    write_rules(tmp_path, TIMESTAMPS)
    write_rules(tmp_path, "cases:\n  - event: {when: 2026-01-01 10:00:00}\n    expect: page\n"
                          "  - event: {when: 2026-01-02}\n    expect: day\n", "tests/t.yaml")
    result = cli("test", "rules.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.output


def test_metadata_dates_still_read_as_dates(tmp_path: Path, cli):
    write_rules(tmp_path, "rules:\n  - id: a\n    action: x\n    match: {k: v}\n"
                          "    expires: 2026-01-01 10:00:00\n    reviewed: 2026-11-30\n")
    code, report = cli.json("check", "--today", "2026-12-01", cwd=tmp_path)
    [f] = findings(report, "RL401")
    assert "2026-01-01" in f["message"]
