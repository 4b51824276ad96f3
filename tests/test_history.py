"""`rulelint history` and RL104: counts over real git histories with controlled dates, weekly
growth, the least-squares trend and the projected cap date; the fast rule counter."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from git_helpers import Repo, rules_text
from rulelint.cli import app
from rulelint.engine import load_rules
from rulelint.history import growth as history
from rulelint.history.rulecount import _Unusual, count_rules, scan_count
from rulelint.history.trend import Point, analyse_ruleset, daily, slope, weekly
from rulelint.load.config import resolve_settings
from rulelint.load.loading import parse_text


def run(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, args)
    finally:
        os.chdir(old)


def history_json(cwd: Path, *args: str) -> dict:
    result = run(["history", *args, "--format", "json"], cwd)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ids(n: int, prefix: str = "r") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


D0 = dt.date(2026, 1, 5)  # a Monday


# --- counting rules in one file ---------------------------------------------------------------

TRICKY = {
    "block": "ruleset: s\nrules:\n  - id: a\n    action: x\n  - id: b\n    action: y\n",
    "col0 items": "rules:\n- id: a\n  action: x\n- id: b\n  action: y\nfields: {}\n",
    "flow items": "rules:\n  - {id: a, action: x}\n  - {id: b, action: y}\n",
    "flow list": "rules: [{id: a}, {id: b}, {id: c}]\n",
    "empty list": "rules: []\n",
    "null rules": "rules:\nfields: {}\n",
    "doc start": "---\nrules:\n  - id: a\n",
    "comments": "# header\nrules:  # the list\n  # - id: commented-out\n  - id: a\n\n  - id: b\n",
    "block scalar": "rules:\n  - id: a\n    description: |\n      - not an item\n      - nor this\n  - id: b\n",
    "multiline dq": 'rules:\n  - id: a\n    description: "one\n  - two"\n  - id: b\n',
    "multiline sq": "rules:\n  - id: a\n    description: 'one\n  - two'\n  - id: b\n",
    "apostrophes": "rules:\n  - id: a\n    description: don't close 'em'\n  - id: b\n",
    "escaped dq": 'rules:\n  - id: a\n    description: "say \\"hi\\""\n',
    "quoted ruleset": 'ruleset: "support team"\nrules:\n  - id: a\n',
    "plain ruleset": "ruleset: support-exceptions  # the main one\nrules:\n  - id: a\n",
    "int ruleset": "ruleset: 2024\nrules:\n  - id: a\n",
    "crlf": "ruleset: s\r\nrules:\r\n  - id: a\r\n  - id: b\r\n",
    "after list": "rules:\n  - id: a\nlimits: {max_rules: 3}\ndefaults:\n  - id: not-a-rule\n",
    "nested lists": "rules:\n  - id: a\n    match:\n      region:\n        - JP\n        - KR\n  - id: b\n",
    "deeper items": "rules:\n    - id: a\n    - id: b\n",
    "scalar items": "rules:\n  - a\n  - b\n  -\n",
    "tabs": "rules:\n  - id: a\n\tx: 1\n",
    "anchors": "base: &b {id: z, action: x}\nrules:\n  - &a {id: a}\n  - *b\n  - *a\n",
    "no rules": "ruleset: s\nfields: {}\n",
    "flow continued": "rules:\n  - {id: a,\n     action: x}\n  - {id: b}\n",
    "two docs": "rules:\n  - id: a\n---\nrules:\n  - id: b\n",
    "quoted key": '"rules":\n  - id: a\n',
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_fast_count_agrees_with_the_loader(name: str):
    text = TRICKY[name]
    doc = parse_text(text, name)
    data = doc.data
    loader_ok = isinstance(data, dict) and not any(p.severity is None for p in doc.problems)
    want_rules = len(data["rules"]) if loader_ok and isinstance(data.get("rules"), list) else None
    want_name = data.get("ruleset") if loader_ok else None
    if isinstance(want_name, int):
        want_name = str(want_name)
    try:
        got_name, got = scan_count(text)
    except _Unusual:
        fc = count_rules(text.encode(), name)  # the loader decides
        assert fc.rules == want_rules
        return
    assert loader_ok, f"{name}: the scanner counted a file the loader rejects"
    assert (got_name, got) == (want_name, want_rules)


@pytest.mark.parametrize("name", ["block", "col0 items", "flow items", "comments", "apostrophes",
                                  "block scalar", "nested lists", "plain ruleset", "crlf",
                                  "after list", "deeper items", "quoted ruleset"])
def test_ordinary_files_take_the_fast_path(name: str):
    scan_count(TRICKY[name])  # raises _Unusual if not


def test_example_file_takes_the_fast_path():
    root = Path(__file__).resolve().parents[1]
    text = (root / "rules.example.yaml").read_text()
    assert scan_count(text)[1] == len(parse_text(text, "x").data["rules"])


# --- trend arithmetic -------------------------------------------------------------------------


def test_daily_weekly_and_exact_slope():
    pts = [Point(D0, "a", 10), Point(D0 + dt.timedelta(days=3), "b", 13),
           Point(D0 + dt.timedelta(days=9), "c", 11)]
    assert daily(pts, D0, D0 + dt.timedelta(days=10)) == [10, 10, 10, 13, 13, 13, 13, 13, 13, 11,
                                                          11]
    wk = weekly(pts, D0, D0 + dt.timedelta(days=10))
    assert [(w.start, w.rules, w.change) for w in wk] == [
        (D0, 13, 13), (D0 + dt.timedelta(days=7), 11, -2)]
    assert slope([5, 7, 9, 11]) == 2
    samples = [3, 3, 4, 10, 10, 12, 15]
    assert float(slope(samples)) == pytest.approx(
        statistics.linear_regression(range(len(samples)), samples).slope)


def test_projection_is_exact_for_a_linear_series():
    # +3 rules a day for 30 days: 100, 103, ... 187; cap 500; today is the last day
    pts = [Point(D0 + dt.timedelta(days=i), str(i), 100 + 3 * i) for i in range(30)]
    today = pts[-1].day
    h = analyse_ruleset("s", pts, 30, 187, 500, 0.8, today, window_days=90)
    assert h.per_day == 3 and h.per_week == 21.0
    assert h.status == "growing"
    assert h.days_left == math.ceil(Fraction(500 - 187, 3)) == 105
    assert h.cap_date == today + dt.timedelta(days=105) == dt.date(2026, 5, 19)
    assert h.sentence().startswith("at +21.0 rules/week, s reaches 500 on 2026-05-19")


@pytest.mark.parametrize(
    ("counts", "current", "cap", "status"),
    [
        ([100] * 20, 100, 500, "flat"),
        ([200 - i for i in range(20)], 181, 500, "shrinking"),
        ([490 + i for i in range(10)] + [500] * 10, 500, 500, "at-cap"),
        ([100 + i for i in range(20)], 510, 500, "over-cap"),
        ([100 + i for i in range(20)], 119, None, "no-cap"),
        ([1000 + (i // 10) for i in range(20)], 1001, 10**9, "far"),
    ],
)
def test_statuses(counts, current, cap, status):
    pts = [Point(D0 + dt.timedelta(days=i), str(i), c) for i, c in enumerate(counts)]
    h = analyse_ruleset("s", pts, len(pts), current, cap, 0.8, pts[-1].day)
    assert h.status == status
    assert h.cap_date is None


def test_not_enough_history():
    pts = [Point(D0, "a", 10), Point(D0 + dt.timedelta(days=6), "b", 30)]
    h = analyse_ruleset("s", pts, 2, 30, 100, 0.8, D0 + dt.timedelta(days=6))
    assert h.status == "not-enough-history" and h.cap_date is None
    pts[1] = Point(D0 + dt.timedelta(days=7), "b", 30)
    h = analyse_ruleset("s", pts, 2, 30, 100, 0.8, D0 + dt.timedelta(days=7))
    assert h.status == "growing"


# --- real repositories ------------------------------------------------------------------------


@pytest.fixture
def grown(tmp_path: Path) -> Repo:
    """support: 4 rules on D0, +2 a day for 20 days (one commit a day) -> 44; cap 100.
    network: created on day 3, one rule, never changes; no cap. Plus unrelated commits."""
    repo = Repo(tmp_path / "repo")
    repo.write("rulelint.yaml", "paths: ['rules/**/*.yaml']\n")
    repo.write("README.md", "hello\n")
    repo.commit(D0 - dt.timedelta(days=30), "unrelated")
    for day in range(21):
        repo.write("rules/support.yaml",
                   rules_text(ids(4 + 2 * day), ruleset="support", max_rules=100))
        if day == 3:
            repo.write("rules/net.yaml", rules_text(["n1"], ruleset="network"))
        repo.commit(D0 + dt.timedelta(days=day), f"day {day}")
        if day == 10:
            repo.write("README.md", "still unrelated\n")
            repo.commit(D0 + dt.timedelta(days=day, hours=1), "docs")
    return repo


def test_history_counts_growth_and_cap_date(grown: Repo):
    today = D0 + dt.timedelta(days=20)  # 2026-01-25, a Sunday
    out = history_json(grown.path, "--today", today.isoformat())
    assert out["commits"] == 21
    support, network = (next(r for r in out["rulesets"] if r["name"] == n)
                        for n in ("support", "network"))
    assert [p["rules"] for p in support["points"]] == [4 + 2 * d for d in range(21)]
    assert support["points"][0]["date"] == "2026-01-05"
    assert support["rules"] == 44 and support["max_rules"] == 100
    assert support["per_week"] == 14.0
    # (100 - 44) / 2 per day = 28 days after 2026-01-25
    assert (support["status"], support["cap_date"], support["days_left"]) == (
        "growing", "2026-02-22", 28)
    assert support["message"].startswith("at +14.0 rules/week, support reaches 100 on 2026-02-22")
    assert [(w["week"], w["rules"], w["change"]) for w in support["weeks"]] == [
        ("2026-01-05", 16, 16), ("2026-01-12", 30, 14), ("2026-01-19", 44, 14)]
    assert network["status"] == "no-cap" and [p["rules"] for p in network["points"]] == [1]


def test_history_text_chart(grown: Repo):
    result = run(["history", "--today", "2026-01-25", "--color", "never"], grown.path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "support  44/100 rules (44%)  +14.0 rules/week" in out
    assert "cap 100 ┤╌╌╌" in out
    assert "reaches 100 on 2026-02-22" in out
    assert "growth per week (weeks of 2026-01-05 to 2026-01-19): +16 +14 +14" in out
    assert "network  1 rules (no max_rules cap)" in out
    assert "█" in out and "▲ today" in out and "projection at the current trend" in out


def test_history_options(grown: Repo):
    out = history_json(grown.path, "--today", "2026-01-25", "--ruleset", "support",
                       "--since", "2026-01-20", "--window-days", "7")
    (support,) = out["rulesets"]
    assert [p["date"] for p in support["points"]] == [f"2026-01-{d}" for d in range(20, 26)]
    assert support["window_start"] == "2026-01-19" and support["per_week"] == 14.0
    assert [w["week"] for w in support["weeks"]] == ["2026-01-19"]
    bad = run(["history", "--ruleset", "nope"], grown.path)
    assert bad.exit_code == 2 and "no such ruleset (known: network, support)" in bad.output
    bad = run(["history", "--since", "last week"], grown.path)
    assert bad.exit_code == 2 and "--since 'last week' is not a date" in bad.output


def test_rl104_in_check(grown: Repo):
    result = run(["check", "--today", "2026-01-25", "--select", "RL104", "--format", "json"],
                 grown.path)
    assert result.exit_code == 0, result.output
    (f,) = json.loads(result.stdout)["findings"]
    assert f["code"] == "RL104" and f["severity"] == "info" and f["ruleset"] == "support"
    assert f["message"].startswith("at +14.0 rules/week, support reaches 100 on 2026-02-22")
    assert (f["file"], f["line"]) == ("rules/support.yaml", 2)


def test_rl104_uncommitted_rules_count_as_today(grown: Repo):
    grown.write("rules/support.yaml", rules_text(ids(72), ruleset="support", max_rules=100))
    result = run(["check", "--today", "2026-01-25", "--select", "RL104", "--format", "json"],
                 grown.path)
    (f,) = json.loads(result.stdout)["findings"]
    # the window's last day jumps from 44 to 72: a steeper trend, from 72 rules now
    assert "72 now" in f["message"]
    h = history.project_forecasts(
        load_rules(None, s := resolve_settings(cwd=grown.path, today=dt.date(2026, 1, 25))), s)
    (support,) = h
    samples = [4 + 2 * d for d in range(20)] + [72]
    assert support.per_day == slope(samples)
    assert support.cap_date == dt.date(2026, 1, 25) + dt.timedelta(
        days=math.ceil(Fraction(28) / slope(samples)))


def test_rl104_needs_history_and_growth(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("rules.yaml", rules_text(ids(5), max_rules=10))
    repo.commit(D0)
    repo.write("rules.yaml", rules_text(ids(8), max_rules=10))
    repo.commit(D0 + dt.timedelta(days=6))  # two commits, but only 6 days apart
    args = ["check", "--today", "2026-01-11", "--select", "RL104", "--format", "json"]
    assert json.loads(run(args, repo.path).stdout)["findings"] == []
    repo.write("rules.yaml", rules_text(ids(9), max_rules=10))
    repo.commit(D0 + dt.timedelta(days=7))
    args[2] = "2026-01-12"
    (f,) = json.loads(run(args, repo.path).stdout)["findings"]
    assert "reaches 10 on" in f["message"]
    # shrinking: nothing in check; history says why
    repo.write("rules.yaml", rules_text(ids(2), max_rules=10))
    repo.commit(D0 + dt.timedelta(days=8))
    args[2] = "2026-01-30"
    assert json.loads(run(args, repo.path).stdout)["findings"] == []
    (rs,) = history_json(repo.path, "--today", "2026-01-30")["rulesets"]
    assert rs["status"] == "shrinking" and "is shrinking" in rs["message"]


def test_rl104_outside_git_is_silent(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(rules_text(ids(5), max_rules=10))
    result = run(["check", "--select", "RL104", "--format", "json"], tmp_path)
    assert result.exit_code == 0 and json.loads(result.stdout)["findings"] == []
    result = run(["history"], tmp_path)
    assert result.exit_code == 2 and "not inside a git repository" in result.output


def test_window_ignores_old_growth(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    for i in range(10):  # fast growth long ago ...
        repo.write("rules.yaml", rules_text(ids(10 * (i + 1)), max_rules=120))
        repo.commit(dt.date(2025, 1, 1) + dt.timedelta(days=7 * i))
    repo.write("README.md", "x")  # ... then nothing touches the rules for a year
    repo.commit(dt.date(2026, 1, 1))
    (rs,) = history_json(repo.path, "--today", "2026-03-01")["rulesets"]
    assert rs["status"] == "flat" and rs["per_week"] == 0
    (rs,) = history_json(repo.path, "--today", "2026-03-01", "--window-days", "500")["rulesets"]
    assert rs["status"] == "growing" and 0.5 < rs["per_week"] < 1  # +90 early, then a flat year


def test_windowed_walk_matches_full_walk(grown: Repo):
    settings = resolve_settings(cwd=grown.path, today=dt.date(2026, 1, 25))
    project = load_rules(None, settings)
    root = history.repo_for(project, settings)
    specs = history.pathspecs_for(None, settings, root, [f.source for f in project.files])
    full = history.build(project, settings, root, specs, window_days=10)
    part = history.build(project, settings, root, specs, window_days=10,
                         walk_from=dt.date(2026, 1, 15))
    for a, b in zip(full.rulesets, part.rulesets, strict=True):
        assert (a.name, a.per_day, a.cap_date, a.status) == (b.name, b.per_day, b.cap_date, b.status)
    assert part.commits < full.commits


def test_renames_deletions_merges_and_header_changes(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.write("rules/a.yaml", rules_text(ids(3)))  # ruleset 'a' from the stem
    repo.commit(D0)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("rules/a.yaml", rules_text(ids(5)))
    repo.commit(D0 + dt.timedelta(days=1))
    repo.write("rules/a.yaml", rules_text(ids(6)))
    repo.commit(D0 + dt.timedelta(days=2))
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "feature", "-m", "merge", date="2026-01-09T12:00:00+00:00")
    repo.git("mv", "rules/a.yaml", "rules/b.yaml")  # now ruleset 'b'
    repo.commit(D0 + dt.timedelta(days=5))
    repo.write("rules/b.yaml", rules_text(ids(6), ruleset="a"))  # back to 'a' by header
    repo.write("rules/c.yaml", "rules: [{id: x, action: y, match: {}}]\n")  # flow style
    repo.commit(D0 + dt.timedelta(days=6))
    repo.write("rules/c.yaml", "rules: [oops\n")  # broken YAML: c keeps its count
    repo.commit(D0 + dt.timedelta(days=7))
    (repo.path / "rules/c.yaml").unlink()
    repo.commit(D0 + dt.timedelta(days=8))
    out = history_json(repo.path, "--today", "2026-01-14", "rules")
    series = {r["name"]: [(p["date"][-2:], p["rules"]) for p in r["points"]]
              for r in out["rulesets"]}
    # first parent only: the feature commits land with the merge on the 9th
    assert series["a"] == [("05", 3), ("09", 6), ("10", 0), ("11", 6)]
    assert series["b"] == [("10", 6), ("11", 0)]
    assert series["c"] == [("11", 1), ("12", 1), ("13", 0)]


def test_subprocess_history(grown: Repo):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "history", "--today", "2026-01-25", "--format",
         "json"], cwd=grown.path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert {r["name"]: r["cap_date"] for r in json.loads(proc.stdout)["rulesets"]} == {
        "support": "2026-02-22", "network": None}
    proc = subprocess.run([sys.executable, "-m", "rulelint", "history", "--format", "yaml"],
                          cwd=grown.path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "use text or json" in proc.stderr
