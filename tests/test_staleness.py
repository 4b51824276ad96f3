"""RL401-RL404 from dates, hit logs and git blame, all relative to --today."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from git_helpers import Repo
from rulelint.cli import app
from rulelint.engine import analyse, load_rules
from rulelint.history import blame
from rulelint.load.config import resolve_settings
from rulelint.load.loading import parse_text
from rulelint.load.project import RuleEntry


def run(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, args)
    finally:
        os.chdir(old)


def findings(cwd: Path, *args: str, select: str = "RL4") -> list[dict]:
    result = run(["check", *args, "--select", select, "--format", "json"], cwd)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def notices(cwd: Path, today: str, paths: list[Path], select=("RL403",)) -> list[str]:
    settings = resolve_settings(cwd=cwd, today=dt.date.fromisoformat(today), select=list(select))
    project = load_rules(paths, settings)
    _, ctx = analyse(project, settings)
    return ctx.cache.get("notices", [])


# --- RL401 / RL402 --------------------------------------------------------------------------

EXPIRY = """\
rules:
  - {id: gone, action: a, match: {x: 1}, expires: 2026-05-31, reviewed: 2026-05-01}
  - {id: today, action: a, match: {x: 2}, expires: 2026-06-01, reviewed: 2026-05-01}
  - {id: edge, action: a, match: {x: 3}, expires: 2026-06-15, reviewed: 2026-05-01}
  - {id: later, action: a, match: {x: 4}, expires: 2026-06-16, reviewed: 2026-05-01}
  - {id: forever, action: a, match: {x: 5}, reviewed: 2026-05-01}
"""


def test_expired_and_expiring_boundaries(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(EXPIRY)
    got = {(f["code"], f["rule_ids"][0]): f for f in findings(tmp_path, "--today", "2026-06-01")}
    assert set(got) == {("RL401", "gone"), ("RL402", "today"), ("RL402", "edge")}
    assert "expired on 2026-05-31 (1 day ago)" in got["RL401", "gone"]["message"]
    assert got["RL401", "gone"]["severity"] == "warning" and got["RL401", "gone"]["line"] == 2
    assert "(today;" in got["RL402", "today"]["message"]
    assert "in 14 days" in got["RL402", "edge"]["message"]
    assert got["RL402", "edge"]["severity"] == "info"


def test_expiring_days_from_config(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(EXPIRY)
    (tmp_path / "rulelint.yaml").write_text("paths: [rules.yaml]\nstaleness: {expiring_days: 0}\n")
    got = {(f["code"], f["rule_ids"][0]) for f in findings(tmp_path, "--today", "2026-06-01")}
    assert got == {("RL401", "gone"), ("RL402", "today")}


# --- RL403 ------------------------------------------------------------------------------------

REVIEW = """\
rules:
  - id: reviewed-recently
    action: a
    match: {x: 1}
    created: 2020-01-01
    reviewed: 2026-04-01
  - id: reviewed-long-ago
    action: a
    match: {x: 2}
    reviewed: 2026-03-02
  - id: created-only
    action: a
    match: {x: 3}
    created: 2026-03-03
"""


def test_review_date_precedence_and_threshold(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(REVIEW)
    got = findings(tmp_path, "--today", "2026-06-01", select="RL403")
    # 2026-03-02 is 91 days before 2026-06-01 (over 90); 2026-03-03 is exactly 90 (not over)
    assert [f["rule_ids"][0] for f in got] == ["reviewed-long-ago"]
    assert "last reviewed on 2026-03-02, 91 days ago (review_days 90)" in got[0]["message"]
    got = findings(tmp_path, "--today", "2026-06-02", select="RL403")
    assert [f["rule_ids"][0] for f in got] == ["reviewed-long-ago", "created-only"]
    assert "no `reviewed` date; it was created on 2026-03-03" in got[1]["message"]


GIT_RULES = """\
ruleset: support
rules:
  - id: untouched
    action: escalate
    match: {region: JP}

  # a comment between rules belongs to neither
  - id: edited
    action: escalate
    match: {region: KR}
  - {id: flow-style, action: escalate, match: {region: US}}
  - id: dated
    action: escalate
    match: {region: DE}
    created: 2020-01-01
"""


def test_git_blame_fallback(tmp_path: Path, monkeypatch):
    repo = Repo(tmp_path / "repo")
    repo.write("rules/a.yaml", GIT_RULES)
    repo.write("rules/b.yaml", "rules:\n  - {id: b1, action: x, match: {y: 1}, reviewed: 2026-05-01}\n")
    repo.commit(dt.date(2025, 1, 10))
    text = GIT_RULES.replace("match: {region: KR}", "match: {region: [KR, TW]}")
    text = text.replace("# a comment between", "# an edited comment between")
    repo.write("rules/a.yaml", text)
    repo.commit(dt.datetime(2026, 5, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))))

    calls: list[list[str]] = []
    real = blame.run_git

    def spy(args, cwd, **kw):
        calls.append(list(args))
        return real(args, cwd, **kw)

    monkeypatch.setattr(blame, "run_git", spy)
    got = findings(repo.path, "rules", "--today", "2026-06-01", select="RL403")
    by_id = {f["rule_ids"][0]: f for f in got}
    assert set(by_id) == {"untouched", "flow-style", "dated"}
    assert "its lines last changed in git on 2025-01-10, 507 days ago" in by_id["untouched"]["message"]
    assert "created on 2020-01-01" in by_id["dated"]["message"]
    # one walk for both files, then one blame, for the one file edited since it was added,
    # limited to its undated rules' lines
    assert [c[0] for c in calls] == ["rev-parse", "--literal-pathspecs", "--literal-pathspecs", "blame"]
    assert [c[1] for c in calls[1:3]] == ["log", "status"]
    assert calls[3][-1] == "a.yaml"
    assert calls[3][2:-2] == ["-L", "3,5", "-L", "8,11"]

    # 'edited' changed on 2026-05-01 in the committer's zone (04:30 UTC the next day)
    settings = resolve_settings(cwd=repo.path, today=dt.date(2026, 6, 1))
    project = load_rules([repo.path / "rules"], settings)
    rs = project.rulesets["support"]
    entries = [r for r in rs.rules if r.id in ("edited", "untouched")]
    dates = blame.rule_line_dates(project, entries, settings.today).dates
    by = {r.id: d for r, d in dates.items()}
    assert by["edited"] == blame.LineDates(dt.date(2025, 1, 10), dt.date(2026, 5, 1))
    assert by["untouched"] == blame.LineDates(dt.date(2025, 1, 10), dt.date(2025, 1, 10))


def test_uncommitted_changes_count_as_today(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("rules.yaml", GIT_RULES)
    repo.commit(dt.date(2025, 1, 10))
    repo.write("rules.yaml", GIT_RULES.replace("{region: JP}", "{region: [JP, CN]}"))
    got = findings(repo.path, "--today", "2026-06-01", select="RL403")
    assert {f["rule_ids"][0] for f in got} == {"edited", "flow-style", "dated"}


def test_no_git_says_so_once(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(GIT_RULES)
    (tmp_path / "b.yaml").write_text("ruleset: other\nrules:\n  - {id: x1, action: a, match: {}}\n")
    got = findings(tmp_path, "a.yaml", "b.yaml", "--today", "2026-06-01", select="RL403")
    assert [f["rule_ids"][0] for f in got] == ["dated"]
    notes = notices(tmp_path, "2026-06-01", [tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert len(notes) == 1
    assert "a.yaml, b.yaml are not in a git repository" in notes[0]
    assert "4 rules without `reviewed`/`created` dates" in notes[0]


def test_untracked_file_in_a_repo(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("tracked.yaml", "rules:\n  - {id: t, action: a, match: {}, reviewed: 2026-05-01}\n")
    repo.commit(dt.date(2026, 1, 1))
    repo.write("new.yaml", "ruleset: n\nrules:\n  - {id: n, action: a, match: {}}\n")
    notes = notices(repo.path, "2026-06-01", [repo.path / "new.yaml", repo.path / "tracked.yaml"])
    assert len(notes) == 1 and "new.yaml is not committed yet" in notes[0]


def test_no_blame_when_every_rule_is_dated(tmp_path: Path, monkeypatch):
    (tmp_path / "rules.yaml").write_text(REVIEW)
    monkeypatch.setattr(blame, "run_git", lambda *a, **k: pytest.fail("blame was run"))
    assert findings(tmp_path, "--today", "2026-06-01", select="RL403")


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("rules:\n  - id: a\n    action: x\n\n  # about b\n  - id: b\n    action: y\n",
         [(2, 3), (6, 7)]),
        ("rules:\n  - {id: a, action: x,\n     match: {}}\n  - {id: b, action: y}\nz: 1\n",
         [(2, 3), (4, 4)]),
        ("rules:\n- id: a\n  action: x\nfields: {}\n", [(2, 3)]),
    ],
)
def test_rule_spans(text: str, spans: list[tuple[int, int]]):
    doc = parse_text(text, "x")
    lines = text.splitlines()
    got = []
    for raw in doc.data["rules"]:
        entry = RuleEntry.__new__(RuleEntry)
        entry.line, entry.raw = raw.line, raw
        got.append(blame.rule_span(entry, lines))
    assert got == spans


# --- RL404 with git ages --------------------------------------------------------------------


def test_unused_exemption_uses_the_oldest_git_line(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("rules.yaml", "rules:\n  - id: old\n    action: a\n    match: {x: 1}\n")
    repo.commit(dt.date(2025, 1, 1))
    repo.write("rules.yaml", "rules:\n  - id: old\n    action: a\n    match: {x: 1}\n"
                             "  - id: new\n    action: a\n    match: {x: 2}\n")
    repo.commit(dt.date(2026, 5, 20))
    repo.write("hits.csv", "rule_id,timestamp\nsomething,2026-05-30\n")
    got = findings(repo.path, "rules.yaml", "--hits", "hits.csv", "--today", "2026-06-01",
                   select="RL404")
    assert [f["rule_ids"][0] for f in got] == ["old"]


def test_subprocess_check_exit_codes(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(EXPIRY)
    cmd = [sys.executable, "-m", "rulelint", "check", "--today", "2026-06-01", "--select", "RL4",
           "--format", "json"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr  # warnings only: below the default fail level
    codes = sorted(f["code"] for f in json.loads(proc.stdout)["findings"])
    assert codes == ["RL401", "RL402", "RL402"]
    proc = subprocess.run([*cmd, "--fail-on", "warning"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    proc = subprocess.run([*cmd[:-2], "--today", "2026-02-30"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
