"""Hit logs: both CSV forms, JSON Lines, timestamps, unknown ids, merged rules, bad rows."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulelint.cli import app
from rulelint.engine import analyse, load_rules
from rulelint.load.config import ConfigError, resolve_settings
from rulelint.load.hits import BadRow, load_hits, parse_when

TODAY = "2026-06-01"

RULES = """\
ruleset: support
rules:
  - id: busy
    action: escalate
    match: {plan: pro}
    created: 2025-01-01
  - id: quiet
    action: escalate
    match: {plan: free}
    created: 2025-01-01
  - id: fresh
    action: escalate
    match: {plan: team}
    created: 2026-05-20
  - id: merged-rule
    action: escalate
    match: {plan: [gold, silver]}
    created: 2025-01-01
    merged_from: [gold-rule, silver-rule]
"""


def run(args: list[str], cwd: Path):
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, args)
    finally:
        os.chdir(old)


def check_json(tmp_path: Path, log: Path, *extra: str) -> dict:
    result = run(["check", "rules.yaml", "--hits", str(log), "--today", TODAY,
                  "--select", "RL404,RL903", "--format", "json", *extra], tmp_path)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def codes_by_rule(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        key = f["rule_ids"][0] if f["rule_ids"] else "-"
        out.setdefault(key, set()).add(f["code"])
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-30", dt.date(2026, 5, 30)),
        ("2026-05-30T23:59:59", dt.date(2026, 5, 30)),
        ("2026-05-30 08:00:00", dt.date(2026, 5, 30)),
        ("2026-05-30T23:30:00Z", dt.date(2026, 5, 30)),
        ("2026-05-31T01:00:00+09:00", dt.date(2026, 5, 30)),  # 16:00 UTC the day before
        ("2026-05-30T20:00:00-05:00", dt.date(2026, 5, 31)),  # 01:00 UTC the next day
        ("2026-05-30T10:00:00.123456Z", dt.date(2026, 5, 30)),
        ("1780185600", dt.date(2026, 5, 31)),  # epoch seconds
        ("1780185600.5", dt.date(2026, 5, 31)),
        ("1780185600000", dt.date(2026, 5, 31)),  # epoch milliseconds
        (1780185600, dt.date(2026, 5, 31)),  # a JSON number
    ],
)
def test_timestamps(value, expected):
    assert parse_when(value) == expected


@pytest.mark.parametrize("value", ["", "yesterday", "2026-13-01", "31/05/2026", True, None, "-5"])
def test_bad_timestamps(value):
    with pytest.raises(BadRow):
        parse_when(value)


# --- the forms ----------------------------------------------------------------------------


def test_per_hit_csv_counts_and_last_hit(tmp_path: Path):
    log = tmp_path / "hits.csv"
    log.write_text(
        "rule_id,timestamp,client\n"
        "busy,2026-05-01T10:00:00Z,a\n"
        "busy,2026-05-20T10:00:00Z,b\n"
        "busy,2026-04-01,c\n"
        "quiet,2025-12-01,d\n"
    )
    hits = load_hits(log)
    busy = hits.lookup("support", "busy")
    assert (busy.hits, busy.last, busy.line) == (3, dt.date(2026, 5, 20), 2)
    assert hits.lookup("support", "quiet").last == dt.date(2025, 12, 1)
    assert hits.lookup("support", "nothing") is None
    assert hits.forms == {"per-hit"}
    assert hits.first_hit == dt.date(2025, 12, 1)
    assert (hits.rows, hits.bad_rows) == (4, 0)


def test_aggregated_csv(tmp_path: Path):
    log = tmp_path / "hits.csv"
    log.write_text(
        "rule_id,hits,last_hit\n"
        "busy,412,2026-05-30\n"
        "quiet,0,\n"
        "fresh,3,2026-05-25T08:00:00Z\n"
    )
    hits = load_hits(log)
    assert hits.forms == {"aggregated"}
    assert (hits.lookup("s", "busy").hits, hits.lookup("s", "busy").last) == (
        412, dt.date(2026, 5, 30))
    quiet = hits.lookup("s", "quiet")
    assert (quiet.hits, quiet.last) == (0, None)
    assert hits.first_hit is None  # an aggregate says nothing about the log's coverage


def test_json_lines_both_forms(tmp_path: Path):
    log = tmp_path / "hits.jsonl"
    lines = [
        {"rule_id": "busy", "timestamp": "2026-05-30T10:00:00Z"},
        {"rule_id": "busy", "timestamp": 1780185600},
        {"rule_id": "quiet", "hits": 7, "last_hit": "2026-01-02"},
        {"rule_id": "fresh", "hits": 0, "last_hit": None},
    ]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    hits = load_hits(log)
    assert hits.forms == {"per-hit", "aggregated"}
    assert (hits.lookup("s", "busy").hits, hits.lookup("s", "busy").last) == (
        2, dt.date(2026, 5, 31))
    assert hits.lookup("s", "quiet").hits == 7
    assert hits.lookup("s", "fresh").last is None


def test_format_detected_without_extension(tmp_path: Path):
    log = tmp_path / "export"
    log.write_text('{"rule_id": "busy", "timestamp": "2026-05-30"}\n')
    assert load_hits(log).lookup("s", "busy").hits == 1
    log.write_text("rule_id\ttimestamp\nbusy\t2026-05-30\n")  # tab-separated
    assert load_hits(log).lookup("s", "busy").hits == 1


def test_gzip_and_bom(tmp_path: Path):
    log = tmp_path / "hits.csv.gz"
    with gzip.open(log, "wt", encoding="utf-8-sig") as fh:
        fh.write("rule_id,timestamp\r\nbusy,2026-05-30\r\n")
    assert load_hits(log).lookup("s", "busy").last == dt.date(2026, 5, 30)


def test_ruleset_column_disambiguates(tmp_path: Path):
    log = tmp_path / "hits.csv"
    log.write_text(
        "ruleset,rule_id,timestamp\n"
        "support,busy,2026-05-30\n"
        "network,busy,2026-01-01\n"
        ",busy,2026-02-01\n"
    )
    hits = load_hits(log)
    assert hits.has_ruleset
    assert hits.lookup("support", "busy").hits == 2  # its own row and the row without ruleset
    assert hits.lookup("network", "busy").last == dt.date(2026, 2, 1)
    assert hits.lookup("other", "busy").hits == 1


# --- the checks ---------------------------------------------------------------------------


def test_rl404_unused_young_and_merged(project: Path):
    log = project / "hits.csv"
    log.write_text(
        "rule_id,timestamp\n"
        "busy,2026-05-30T10:00:00Z\n"
        "quiet,2026-01-15T10:00:00Z\n"  # 137 days before today
        "silver-rule,2026-05-10\n"  # merged into merged-rule
    )
    report = check_json(project, log)
    by_rule = codes_by_rule(report)
    assert by_rule == {"quiet": {"RL404"}}  # fresh is younger than unused_days
    (f,) = report["findings"]
    assert "2026-01-15" in f["message"] and "137 days" in f["message"]
    assert f["line"] == 7  # the id line of 'quiet'


def test_merged_rule_without_hits_names_its_sources(project: Path):
    log = project / "hits.csv"
    log.write_text("rule_id,timestamp\nbusy,2026-05-30\nquiet,2026-05-30\n")
    report = check_json(project, log)
    (f,) = report["findings"]
    assert f["rule_ids"] == ["merged-rule"] and f["code"] == "RL404"
    assert "gold-rule, silver-rule" in f["message"]


def test_aggregated_log_drives_rl404(project: Path):
    log = project / "hits.csv"
    log.write_text(
        "rule_id,hits,last_hit\n"
        "busy,412,2026-05-30\n"
        "quiet,0,\n"
        "gold-rule,2,2025-06-01\n"
        "silver-rule,5,2026-03-20\n"
    )
    assert codes_by_rule(check_json(project, log)) == {"quiet": {"RL404"}}


def test_unknown_ids_reported_once_with_counts(project: Path):
    log = project / "hits.jsonl"
    rows = [{"rule_id": "busy", "timestamp": "2026-05-30"},
            {"rule_id": "quiet", "timestamp": "2026-05-30"}]
    rows += [{"rule_id": f"ghost-{i % 7}", "timestamp": "2026-05-01"} for i in range(40)]
    rows += [{"rule_id": "busy", "ruleset": "elsewhere", "hits": 3, "last_hit": "2026-05-01"}]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = check_json(project, log)
    unknown = [f for f in report["findings"] if f["code"] == "RL903"]
    assert len(unknown) == 1
    msg = unknown[0]["message"]
    assert "8 rule ids" in msg and "43 hits" in msg
    assert "ghost-0" in msg and "and 3 more" in msg
    assert unknown[0]["file"] == "hits.jsonl" and unknown[0]["line"] == 3
    # the fingerprint depends on which ids are unknown, not on how often they were hit
    rows.append({"rule_id": "ghost-1", "timestamp": "2026-05-02"})
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    again = [f for f in check_json(project, log)["findings"] if f["code"] == "RL903"]
    assert again[0]["fingerprint"] == unknown[0]["fingerprint"]
    assert "44 hits" in again[0]["message"]


def test_merged_from_ids_are_not_unknown(project: Path):
    log = project / "hits.csv"
    log.write_text("rule_id,timestamp\ngold-rule,2026-05-30\nbusy,2026-05-30\nquiet,2026-05-30\n")
    assert codes_by_rule(check_json(project, log)) == {}


def test_config_hits_path_is_relative_to_config(project: Path):
    (project / "logs").mkdir()
    (project / "logs" / "hits.csv").write_text("rule_id,timestamp\nbusy,2026-05-30\n")
    (project / "rulelint.yaml").write_text("paths: [rules.yaml]\nhits: logs/hits.csv\n")
    result = run(["check", "--today", TODAY, "--select", "RL404", "--format", "json"], project)
    ids = {f["rule_ids"][0] for f in json.loads(result.stdout)["findings"]}
    assert ids == {"quiet", "merged-rule"}


# --- bad input ----------------------------------------------------------------------------


def notices_for(tmp_path: Path, log: Path) -> list[str]:
    settings = resolve_settings(cwd=tmp_path, today=dt.date(2026, 6, 1), hits=log,
                                select=["RL404"])
    project = load_rules([tmp_path / "rules.yaml"], settings)
    _, ctx = analyse(project, settings)
    return ctx.cache.get("notices", [])


def test_a_few_bad_rows_are_skipped_with_a_notice(project: Path):
    log = project / "hits.csv"
    good = "".join(f"busy,2026-05-{1 + i % 28:02d}\n" for i in range(200))
    log.write_text("rule_id,timestamp\n" + good + "quiet,not-a-date\n,2026-05-01\nbusy\n")
    hits = load_hits(log, project)
    assert (hits.rows, hits.bad_rows) == (200, 3)
    assert hits.first_bad.startswith("hits.csv:202: timestamp 'not-a-date'")
    notes = notices_for(project, log)
    assert any("skipped 3 malformed rows of 203" in n and "hits.csv:202" in n for n in notes)


def test_many_bad_rows_are_an_error_naming_file_and_line(project: Path):
    log = project / "hits.csv"
    log.write_text("rule_id,hits,last_hit\nbusy,1,2026-05-01\n" +
                   "".join(f"r{i},lots,2026-05-01\n" for i in range(12)))
    with pytest.raises(ConfigError, match=r"hits.csv:3: hits 'lots' is not a whole number"):
        load_hits(log, project)
    result = run(["check", "rules.yaml", "--hits", "hits.csv", "--today", TODAY], project)
    assert result.exit_code == 2
    assert "hits.csv:3" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("id,when\nbusy,2026-05-01\n", "hits.csv:1: the header must name rule_id"),
        ("rule_id,timestamp,hits\nbusy,2026-05-01,1\n", "both timestamp and hits"),
        ("rule_id,hits,last_hit\nbusy,3,\n", "hits.csv:2: rule 'busy' has 3 hits but no last_hit"),
    ],
)
def test_bad_logs(project: Path, content: str, message: str):
    log = project / "hits.csv"
    log.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_hits(log, project)


def test_missing_and_binary_logs(project: Path):
    result = run(["check", "rules.yaml", "--hits", "nope.csv", "--today", TODAY], project)
    assert result.exit_code == 2 and "nope.csv does not exist" in result.output
    (project / "bin.csv").write_bytes(b"rule_id,timestamp\nbusy,\xff\xfe\n")
    result = run(["check", "rules.yaml", "--hits", "bin.csv", "--today", TODAY], project)
    assert result.exit_code == 2 and "not UTF-8" in result.output


def test_short_log_gets_a_coverage_notice(project: Path):
    log = project / "hits.csv"
    log.write_text("rule_id,timestamp\nbusy,2026-05-20\n")
    notes = notices_for(project, log)
    assert any("starts on 2026-05-20" in n and "less than unused_days (90)" in n for n in notes)


def test_large_log_is_streamed(tmp_path: Path):
    """A log many times larger than what is kept: memory stays flat (rows are not kept)."""
    log = tmp_path / "big.csv"
    with log.open("w") as fh:
        fh.write("rule_id,timestamp,ruleset,client_ip,extra\n")
        for i in range(150_000):
            fh.write(f"rule-{i % 50},2026-05-{1 + i % 28:02d}T{i % 24:02d}:00:00Z,,"
                     f"10.0.{i % 256}.{i % 200},{'x' * 40}\n")
    size = log.stat().st_size
    tracemalloc.start()
    hits = load_hits(log)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert hits.rows == 150_000 and len(hits.usage) == 50
    assert hits.lookup("s", "rule-0").hits == 3000
    assert peak < size / 10, (peak, size)
