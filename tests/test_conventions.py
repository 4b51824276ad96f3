"""Ecosystem conventions (issue 18): run-level notes on stderr, ``--format concise`` and
``gitlab``, SARIF's result limit, stdin (``-``, ``--stdin-filename``), ``pyproject.toml``
``[tool.rulelint]``, ``extend_select``, ``per_file_ignores``, ``--statistics``,
``--output-file`` and repeated ``--format FMT[:PATH]``.

Everything runs through the real CLI: typer's CliRunner in-process, and ``python -m
rulelint`` as a subprocess, on real files in tmp dirs and real git repositories.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import _clean_env, assert_clean_exit, codes, git_init, run_cli, write_rules
from rulelint.cli import app

# a near-limit ruleset (RL102), a duplicate (RL201), missing metadata with require (RL501)
RULES = """\
ruleset: support
limits: {max_rules: 5}
rules:
  - id: a
    action: keep
    match: {plan: pro}
  - id: b
    action: keep
    match: {plan: pro}
  - id: c
    action: close
    match: {plan: [pro, free], region: JP}
  - id: d
    action: close
    match: {region: KR}
"""

CONCISE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<code>RL\d{3}) (?P<msg>.+)$")


def invoke(args: list[str], cwd: Path, monkeypatch, input: bytes | str | None = None):
    monkeypatch.chdir(cwd)
    env = {"COLUMNS": "400", "NO_COLOR": None, "FORCE_COLOR": None, "GITHUB_ACTIONS": None,
           "RULELINT_FORMAT": None, "RULELINT_DEBUG": None}
    result = CliRunner().invoke(app, args, input=input, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}\n{result.output}")
    assert_clean_exit(result.output, result.exit_code)
    return result


def json_report(args: list[str], cwd: Path, monkeypatch, input=None) -> dict:
    result = invoke([*args, "--format", "json"], cwd, monkeypatch, input)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """Rules outside git: the run has a note (no git dates for RL403)."""
    write_rules(tmp_path, RULES)
    return tmp_path


# --- 1. run-level notes ------------------------------------------------------------------------


NOTE = "the git fallback for rule dates is unavailable"


@pytest.mark.parametrize("fmt", ["json", "junit", "concise", "gitlab", "sarif", "markdown", "github"])
def test_notes_go_to_stderr_in_every_machine_format(plain, fmt):
    proc = run_cli(["check", "rules.yaml", "--format", fmt], plain)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines and all(ln.startswith("rulelint: note: ") for ln in lines), proc.stderr
    assert any(NOTE in ln for ln in lines)


def test_github_notes_are_notice_commands(plain, monkeypatch):
    out = invoke(["check", "rules.yaml", "--format", "github"], plain, monkeypatch).stdout
    notices = [ln for ln in out.splitlines() if ln.startswith("::notice title=rulelint::")]
    assert len(notices) == 1 and NOTE in notices[0]
    # a newline or % inside a note is escaped as the runner expects (one command, one line)
    assert all("\n" not in n for n in notices)


def test_sarif_and_markdown_keep_the_notes(plain, monkeypatch):
    sarif = json.loads(invoke(["check", "rules.yaml", "-f", "sarif"], plain, monkeypatch).stdout)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any(NOTE in n["message"]["text"] for n in notes)
    md = invoke(["check", "rules.yaml", "-f", "markdown"], plain, monkeypatch).stdout
    assert f"> Note: {NOTE}" in md


def test_text_report_shows_the_notes_once_on_stdout(plain):
    proc = run_cli(["check", "rules.yaml"], plain)
    assert f"note: {NOTE}" in proc.stdout and proc.stderr == ""


def test_quiet_drops_the_notes(plain):
    proc = run_cli(["check", "rules.yaml", "-f", "json", "--quiet"], plain)
    assert proc.stderr == ""


def test_no_notes_no_stderr(tmp_path):
    repo = git_init(tmp_path / "repo")
    write_rules(repo, RULES)
    subprocess.run(["git", "add", "."], cwd=repo, check=True, env=_clean_env(None))
    subprocess.run(["git", "commit", "-qm", "rules"], cwd=repo, check=True, env=_clean_env(None))
    proc = run_cli(["check", "rules.yaml", "-f", "json", "--today", "2026-01-02"], repo)
    assert proc.returncode == 1 and proc.stderr == ""


# --- 2. concise and gitlab ---------------------------------------------------------------------


def test_concise_one_line_per_finding(plain, monkeypatch):
    ref = json_report(["check", "rules.yaml"], plain, monkeypatch)
    result = invoke(["check", "rules.yaml", "--format", "concise"], plain, monkeypatch)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == len(ref["findings"]) > 0
    for line, f in zip(lines, ref["findings"], strict=True):
        m = CONCISE.match(line)
        assert m, line
        assert (m["file"], int(m["line"]), m["code"]) == (f["file"], f["line"], f["code"])
        assert int(m["col"]) >= 1 and m["msg"].startswith(f["message"].split("\n")[0])


def test_concise_witness_stays_on_the_line(tmp_path, monkeypatch):
    write_rules(tmp_path, """\
        rules:
          - {id: first, action: keep, match: {plan: pro}}
          - {id: other, action: close, match: {plan: pro}}
        """)
    out = invoke(["check", "rules.yaml", "-f", "concise"], tmp_path, monkeypatch).stdout
    [line] = [ln for ln in out.splitlines() if " RL202 " in ln]
    assert CONCISE.match(line) and "(witness: " in line and "plan" in line


def test_concise_matches_vim_errorformat_via_subprocess(plain):
    proc = run_cli(["check", "rules.yaml", "--format", "concise"], plain)
    assert proc.returncode == 1
    assert proc.stdout and all(CONCISE.match(ln) for ln in proc.stdout.splitlines())


def test_gitlab_code_quality(plain, monkeypatch):
    ref = json_report(["check", "rules.yaml"], plain, monkeypatch)
    out = invoke(["check", "rules.yaml", "--format", "gitlab"], plain, monkeypatch).stdout
    issues = json.loads(out)
    assert isinstance(issues, list) and len(issues) == len(ref["findings"])
    for issue, f in zip(issues, ref["findings"], strict=True):
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["check_name"] == f["code"]
        assert f["message"] in issue["description"]
        assert issue["location"] == {"path": f["file"], "lines": {"begin": f["line"]}}
        want = {"error": "major", "warning": "minor", "info": "info"}[f["severity"]]
        assert issue["severity"] == want
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_gitlab_critical_for_over_limit_and_unreadable(tmp_path, monkeypatch):
    write_rules(tmp_path, RULES.replace("max_rules: 5", "max_rules: 2"))
    write_rules(tmp_path, "rules: [\n", "broken.yaml")
    issues = json.loads(invoke(["check", ".", "-f", "gitlab"], tmp_path, monkeypatch).stdout)
    sev = {i["check_name"]: i["severity"] for i in issues}
    assert sev["RL101"] == "critical" and sev["RL001"] == "critical" and sev["RL201"] == "major"


def test_gitlab_paths_relative_to_the_repository_root(tmp_path, monkeypatch):
    repo = git_init(tmp_path / "repo")
    write_rules(repo, RULES, "ops/rules.yaml")
    issues = json.loads(invoke(["check", "rules.yaml", "-f", "gitlab"], repo / "ops", monkeypatch).stdout)
    assert {i["location"]["path"] for i in issues} == {"ops/rules.yaml"}


def test_gitlab_clean_is_an_empty_array(tmp_path, monkeypatch):
    write_rules(tmp_path, "rules:\n  - {id: a, action: x, match: {k: v}}\n")
    result = invoke(["check", "rules.yaml", "-f", "gitlab"], tmp_path, monkeypatch)
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_sarif_result_limit_most_severe_first(tmp_path, monkeypatch):
    from rulelint.render import sarif

    write_rules(tmp_path, RULES)
    write_rules(tmp_path, "require: [owner]\n", "rulelint.yaml")  # RL501 warnings
    ref = json_report(["check", "rules.yaml"], tmp_path, monkeypatch)
    n = len(ref["findings"])
    errors = sum(f["severity"] == "error" for f in ref["findings"])
    assert 1 <= errors < n - 1  # the limit below keeps the errors and cuts the rest
    monkeypatch.setattr(sarif, "MAX_RESULTS", errors + 1)
    doc = json.loads(invoke(["check", "rules.yaml", "-f", "sarif"], tmp_path, monkeypatch).stdout)
    results = doc["runs"][0]["results"]
    assert len(results) == errors + 1
    assert [r["level"] for r in results[:errors]] == ["error"] * errors
    assert results[errors]["level"] == "warning"
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    [limit] = [x for x in notes if "results left out" in x["message"]["text"]]
    assert limit["message"]["text"].startswith(f"{n - errors - 1} of {n} results left out")


def test_sarif_under_the_limit_keeps_file_order(plain, monkeypatch):
    ref = json_report(["check", "rules.yaml"], plain, monkeypatch)
    doc = json.loads(invoke(["check", "rules.yaml", "-f", "sarif"], plain, monkeypatch).stdout)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == codes(ref)
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert not any("results left out" in x["message"]["text"] for x in notes)


def test_sarif_over_25000_results_as_a_subprocess(tmp_path):
    """A real run with 25,010 findings (RL501 on every rule, one RL201 error) is cut to
    25,000, the error kept."""
    n = 25_009
    lines = ["ruleset: big", "rules:"]
    lines += [f"  - {{id: r{i}, action: keep, match: {{k: v{i}}}}}" for i in range(n)]
    lines.append(f"  - {{id: dup, action: keep, match: {{k: v{n - 1}}}}}")
    (tmp_path / "rules.yaml").write_text("\n".join(lines) + "\n")
    (tmp_path / "rulelint.yaml").write_text("require: [owner]\nselect: [RL2, RL501]\n")
    proc = run_cli(["check", "-f", "sarif"], tmp_path, timeout=600)
    assert proc.returncode == 1, proc.stderr
    run = json.loads(proc.stdout)["runs"][0]
    assert len(run["results"]) == 25_000
    assert run["results"][0]["ruleId"] == "RL201" and run["results"][0]["level"] == "error"
    texts = [x["message"]["text"] for x in run["invocations"][0]["toolExecutionNotifications"]]
    assert any(t.startswith("11 of 25011 results left out") for t in texts), texts


# --- 3. stdin ----------------------------------------------------------------------------------


def test_stdin_with_a_filename(tmp_path, monkeypatch):
    report = json_report(["check", "-", "--stdin-filename", "rules/support.yaml"], tmp_path,
                         monkeypatch, input=RULES)
    assert {f["file"] for f in report["findings"]} == {"rules/support.yaml"}
    assert "RL201" in codes(report) and report["summary"]["files"] == 1


def test_stdin_filename_alone_reads_stdin(tmp_path, monkeypatch):
    report = json_report(["check", "--stdin-filename", "x.yaml"], tmp_path, monkeypatch,
                         input=RULES)
    assert {f["file"] for f in report["findings"]} == {"x.yaml"}


def test_stdin_without_a_name_is_dash(tmp_path, monkeypatch):
    out = invoke(["check", "-", "-f", "concise"], tmp_path, monkeypatch, input=RULES).stdout
    assert out and all(ln.startswith("-:") for ln in out.splitlines())


def test_stdin_stands_in_for_the_file_on_disk(tmp_path, monkeypatch):
    """An editor pipes its buffer: the file of that name on disk is not read too."""
    write_rules(tmp_path, RULES, "rules.yaml")
    clean = "ruleset: support\nrules:\n  - {id: a, action: keep, match: {plan: pro}}\n"
    report = json_report(["check", "-", "rules.yaml", "--stdin-filename", "rules.yaml"],
                         tmp_path, monkeypatch, input=clean)
    assert report["summary"]["files"] == 1 and report["summary"]["rules"] == 1


def test_stdin_ruleset_name_from_the_filename(tmp_path, monkeypatch):
    text = "rules:\n  - {id: a, action: keep, match: {plan: pro}}\n"
    report = json_report(["check", "-", "--stdin-filename", "teams/billing.yaml"], tmp_path,
                         monkeypatch, input=text)
    assert [r["name"] for r in report["summary"]["rulesets"]] == ["billing"]


def test_stdin_errors_name_the_filename(tmp_path, monkeypatch):
    report = json_report(["check", "-", "--stdin-filename", "bad.yaml"], tmp_path, monkeypatch,
                         input=b"rules: [\n")
    [f] = report["findings"]
    assert f["code"] == "RL001" and f["file"] == "bad.yaml"
    report = json_report(["check", "-"], tmp_path, monkeypatch, input=b"rules: \xff\n")
    assert codes(report) == ["RL001"]


def test_stdin_per_file_ignores_use_the_filename(tmp_path, monkeypatch):
    write_rules(tmp_path, 'per_file_ignores: {"legacy/*.yaml": [RL201]}\n', "rulelint.yaml")
    args = ["check", "-", "--stdin-filename"]
    assert "RL201" not in codes(json_report([*args, "legacy/a.yaml"], tmp_path, monkeypatch, RULES))
    assert "RL201" in codes(json_report([*args, "new/a.yaml"], tmp_path, monkeypatch, RULES))


def test_stdin_filename_without_dash_among_paths_is_exit_2(tmp_path, monkeypatch):
    write_rules(tmp_path, RULES)
    result = invoke(["check", "rules.yaml", "--stdin-filename", "x.yaml"], tmp_path, monkeypatch)
    assert result.exit_code == 2 and "--stdin-filename" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_stdin_as_a_subprocess(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "-", "--stdin-filename", "rules/a.yaml",
         "-f", "concise"],
        input=RULES, capture_output=True, text=True, cwd=tmp_path, env=_clean_env(None),
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("rules/a.yaml:")
    assert "read from stdin" in proc.stderr  # the git dates are not the buffer's


# --- 4. pyproject.toml, extend_select, per_file_ignores, --statistics --------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = git_init(tmp_path / "repo")
    write_rules(root, RULES, "rules/support.yaml")
    (root / "sub" / "deeper").mkdir(parents=True)
    return root


def max_rules(report) -> int:
    [rs] = report["summary"]["rulesets"]
    return rs["max_rules"]


def test_pyproject_table_is_read_from_a_subdirectory(repo, monkeypatch):
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.rulelint]\npaths = ["rules/*.yaml"]\n\n'
        "[tool.rulelint.rulesets.support]\nmax_rules = 50\n"
    )
    report = json_report(["check"], repo / "sub" / "deeper", monkeypatch)
    assert max_rules(report) == 50 and report["summary"]["files"] == 1


def test_rulelint_yaml_wins_over_pyproject_in_one_directory(repo, monkeypatch):
    (repo / "pyproject.toml").write_text("[tool.rulelint.rulesets.support]\nmax_rules = 50\n")
    write_rules(repo, "rulesets:\n  support: {max_rules: 40}\n", ".rulelint.yaml")
    assert max_rules(json_report(["check", "rules"], repo, monkeypatch)) == 40
    write_rules(repo, "rulesets:\n  support: {max_rules: 30}\n", "rulelint.yaml")
    assert max_rules(json_report(["check", "rules"], repo, monkeypatch)) == 30


def test_pyproject_without_the_table_is_passed_over(repo, monkeypatch):
    write_rules(repo, "rulesets:\n  support: {max_rules: 40}\n", "rulelint.yaml")
    (repo / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.ruff]\nline-length = 1\n')
    report = json_report(["check", str(repo / "rules")], repo / "sub", monkeypatch)
    assert max_rules(report) == 40


def test_pyproject_dashed_keys_and_extend_select(repo, monkeypatch):
    (repo / "pyproject.toml").write_text(
        '[tool.rulelint]\nselect = ["RL2"]\nextend-select = ["RL102"]\n'
        'per-file-ignores = {"rules/*.yaml" = ["RL201"]}\n'
    )
    report = json_report(["check", "rules"], repo, monkeypatch)
    assert codes(report) == ["RL102"]


def test_bad_pyproject_is_one_line_with_its_line(repo, monkeypatch):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.rulelint]\nrequre = ["owner"]\n')
    result = invoke(["check", "rules"], repo, monkeypatch)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "pyproject.toml:5:" in line and "did you mean 'require'?" in line
    (repo / "pyproject.toml").write_text("[tool.rulelint]\npaths = [\n")
    result = invoke(["check", "rules"], repo, monkeypatch)
    assert result.exit_code == 2 and "invalid TOML" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_explicit_pyproject_config(repo, tmp_path, monkeypatch):
    cfg = tmp_path / "elsewhere" / "pyproject.toml"
    cfg.parent.mkdir()
    cfg.write_text("[tool.rulelint.rulesets.support]\nmax_rules = 7\n")
    report = json_report(["check", "rules", "--config", str(cfg)], repo, monkeypatch)
    assert max_rules(report) == 7


def test_config_paths_relative_to_the_config_file(repo, monkeypatch):
    write_rules(repo, 'paths: ["../rules/*.yaml"]\nallow_outside_root: true\nhits: ../hits.csv\n',
                "sub/rulelint.yaml")
    (repo / "hits.csv").write_text("rule_id,hits,last_hit\na,3,2026-01-01\n")
    for cwd in (repo / "sub", repo / "sub" / "deeper"):
        report = json_report(["check", "--today", "2026-01-05"], cwd, monkeypatch)
        assert report["summary"]["files"] == 1 and "RL201" in codes(report)


def test_extend_select_adds_to_the_selection(repo, monkeypatch):
    write_rules(repo, "select: [RL2]\nextend_select: [RL102]\nrequire: [owner]\n", "rulelint.yaml")
    assert codes(json_report(["check", "rules"], repo, monkeypatch)) == ["RL102", "RL201"]
    got = codes(json_report(["check", "rules", "--extend-select", "RL5"], repo, monkeypatch))
    assert set(got) == {"RL102", "RL201", "RL501"}
    # a --select on the command line replaces the config's select and extend_select
    assert set(codes(json_report(["check", "rules", "--select", "RL5"], repo, monkeypatch))) == {"RL501"}


def test_extend_select_beats_a_broader_ignore(repo, monkeypatch):
    args = ["check", "rules", "--ignore", "RL2", "--extend-select", "RL201"]
    assert "RL201" in codes(json_report(args, repo, monkeypatch))


def test_per_file_ignores_glob_and_bare_name(repo, monkeypatch):
    write_rules(repo, RULES, "rules/legacy/old.yaml")
    (repo / "rules" / "legacy" / "old.yaml").write_text(RULES.replace("support", "old"))
    write_rules(repo, 'paths: ["rules/**/*.yaml"]\nper_file_ignores: {"rules/legacy/*.yaml": [RL2]}\n',
                "rulelint.yaml")
    report = json_report(["check"], repo / "sub", monkeypatch)
    files = {(f["file"].rsplit("/", 2)[-2], f["code"]) for f in report["findings"]}
    assert ("rules", "RL201") in files and ("legacy", "RL201") not in files
    write_rules(repo, 'paths: ["rules/**/*.yaml"]\nper_file_ignores: {"support.yaml": [RL201, RL102]}\n',
                "rulelint.yaml")
    report = json_report(["check"], repo, monkeypatch)
    assert {(f["file"], f["code"]) for f in report["findings"] if f["code"] in ("RL201", "RL102")} == {
        ("rules/legacy/old.yaml", "RL201"), ("rules/legacy/old.yaml", "RL102")}


def test_per_file_ignores_unknown_code_is_exit_2_with_line(repo, monkeypatch):
    write_rules(repo, 'require: []\nper_file_ignores: {"x/*.yaml": [RL9999]}\n', "rulelint.yaml")
    result = invoke(["check", "rules"], repo, monkeypatch)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "rulelint.yaml:2" in line and "RL9999" in line


def test_statistics_counts_per_code(repo, monkeypatch):
    write_rules(repo, RULES.replace("id: c", "id: c2").replace("support", "other"), "rules/other.yaml")
    ref = json_report(["check", "rules"], repo, monkeypatch)
    want = {}
    for c in codes(ref):
        want[c] = want.get(c, 0) + 1
    result = invoke(["check", "rules", "--statistics"], repo, monkeypatch)
    assert result.exit_code == 1
    rows = [ln.split("\t") for ln in result.stdout.splitlines()]
    assert {code: int(n.strip()) for n, code, _ in rows} == want
    counts = [int(n) for n, _, _ in rows]
    assert counts == sorted(counts, reverse=True)
    data = json.loads(invoke(["check", "rules", "--statistics", "-f", "json"], repo, monkeypatch).stdout)
    assert {d["code"]: d["count"] for d in data} == want
    assert all(set(d) == {"code", "name", "severity", "count"} for d in data)


def test_statistics_keeps_the_exit_code(repo, monkeypatch):
    result = invoke(["check", "rules", "--statistics", "--select", "RL5"], repo, monkeypatch)
    assert result.exit_code == 0 and result.stdout == ""


# --- 5. --output-file and repeated --format ----------------------------------------------------


def test_output_file(plain, monkeypatch):
    ref = invoke(["check", "rules.yaml", "-f", "json"], plain, monkeypatch).stdout
    result = invoke(["check", "rules.yaml", "-f", "json", "--output-file", "out/r.json"], plain,
                    monkeypatch)
    assert result.exit_code == 1 and result.stdout == ""
    assert (plain / "out" / "r.json").read_text() == ref


def test_several_formats_in_one_run(plain, monkeypatch):
    single = {fmt: invoke(["check", "rules.yaml", "-f", fmt], plain, monkeypatch).stdout
              for fmt in ("github", "markdown", "sarif", "junit")}
    result = invoke(["check", "rules.yaml", "--format", "github", "--format", "markdown:summary.md",
                     "-f", "sarif:out.sarif", "-f", "junit:junit.xml"], plain, monkeypatch)
    assert result.exit_code == 1
    assert result.stdout == single["github"]
    assert (plain / "summary.md").read_text() == single["markdown"]
    assert (plain / "out.sarif").read_text() == single["sarif"]
    ET.fromstring((plain / "junit.xml").read_text())


def test_text_report_to_a_file_has_no_colour(plain, monkeypatch):
    result = invoke(["check", "rules.yaml", "-o", "report.txt", "--color", "always"], plain, monkeypatch)
    text = (plain / "report.txt").read_text()
    assert result.stdout == "" and "RL201" in text and "\x1b[" not in text
    assert result.stderr.startswith("rulelint: note: ")  # the notes: not on stdout this time


def test_output_file_with_formats_that_all_name_files(plain, monkeypatch):
    result = invoke(["check", "rules.yaml", "-f", "json:a.json", "-o", "b.json"], plain, monkeypatch)
    assert result.exit_code == 2 and not (plain / "a.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-f", "json", "-f", "sarif"], "only one report"),
        (["-f", "json:x.out", "-f", "sarif:x.out"], "both"),
        (["-f", "yaml"], "unknown format"),
        (["-f", "json:"], "name a file"),
        (["-o", "."], "directory"),
    ],
)
def test_bad_output_options_are_exit_2(plain, monkeypatch, args, needle):
    result = invoke(["check", "rules.yaml", *args], plain, monkeypatch)
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert needle in line


def test_output_files_as_a_subprocess(plain):
    proc = run_cli(["check", "rules.yaml", "-f", "concise", "-f", "gitlab:gl.json",
                    "-f", "markdown:md/summary.md"], plain)
    assert proc.returncode == 1
    assert all(CONCISE.match(ln) for ln in proc.stdout.splitlines())
    assert isinstance(json.loads((plain / "gl.json").read_text()), list)
    assert (plain / "md" / "summary.md").read_text().startswith("## rulelint")


def test_pyproject_forms_of_the_table(repo, monkeypatch):
    # dotted keys and an inline table are the same table to TOML
    (repo / "pyproject.toml").write_text('tool.rulelint.rulesets.support.max_rules = 9\n')
    assert max_rules(json_report(["check", "rules"], repo, monkeypatch)) == 9
    (repo / "pyproject.toml").write_text('[tool]\nrulelint = {rulesets = {support = {max_rules = 8}}}\n')
    assert max_rules(json_report(["check", "rules"], repo, monkeypatch)) == 8


def test_broken_pyproject_of_another_tool_is_passed_over(repo, monkeypatch):
    (repo / "pyproject.toml").write_text("[tool.black\nline-length = 1\n")
    assert max_rules(json_report(["check", "rules"], repo, monkeypatch)) == 5
