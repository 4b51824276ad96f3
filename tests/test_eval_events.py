"""``rulelint eval --events`` (issue 16 item 5): many events, one load, one answer per line.

The index that narrows the rules per event (``evaluate.EventIndex``) is checked against the
reference evaluator and against the brute-force oracle of ``ruleset_gen`` on random rule
sets; the command itself through the real CLI, in process and as a subprocess reading stdin.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import _clean_env, assert_clean_exit, write_rules
from rulelint.evaluate import EventIndex, decide, decide_indexed
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project
from ruleset_gen import Events, rule_sets

RULES = """\
fields: {dst_port: int, src: ip}
rules:
  - id: vip
    action: skip_autoclose
    match: {plan: enterprise}
  - id: jp
    action: escalate
    match: {region: [JP, KR], plan: [pro, enterprise]}
  - id: port
    action: allow
    priority: 5
    match: {dst_port: {range: [0, 1023]}}
  - id: net
    action: allow
    match: {src: {cidr: 10.0.0.0/8}}
  - id: disabled
    action: never
    enabled: false
    match: {plan: enterprise}
  - id: anyone
    action: log
    priority: 9
    match: {}
"""


# --- the index gives exactly the reference decisions -------------------------------------------


def _load(spec):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        sources = []
        for name, text in spec.files().items():
            (root / name).write_text(text, encoding="utf-8")
            sources.append(SourceFile(root / name, name))
        project = load_project(sources, Settings(root=root, cwd=root))
        assert not project.findings, [f.message for f in project.findings]
    return project.rulesets["gen"]


@given(rule_sets(max_rules=10))
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_index_decides_as_the_reference_and_the_oracle(spec):
    rs = _load(spec)
    index = EventIndex(rs)
    ev = Events(spec)
    ids = [r.id for r in ev.order]
    rng = random.Random(ev.n)
    picks = range(ev.n) if ev.n <= 400 else rng.sample(range(ev.n), 400)
    for i in picks:
        event = ev.event(i)
        got = decide_indexed(rs, event, index)
        want = decide(rs, event)
        assert [r.id for r in got.matched] == [r.id for r in want.matched], event
        assert got.actions == want.actions and got.deciding == want.deciding
        oracle = [ids[k] for k, m in enumerate(ev.masks) if m >> i & 1]
        assert sorted(r.id for r in got.matched) == sorted(oracle), event


def test_index_files_rules_under_eq_conditions_only(tmp_path: Path):
    write_rules(tmp_path, RULES)
    project = load_project([SourceFile(tmp_path / "rules.yaml", "rules.yaml")],
                           Settings(root=tmp_path, cwd=tmp_path))
    rs = project.rulesets["rules"]
    index = EventIndex(rs)
    by_pos = {i: r.id for i, r in enumerate(index.rules)}
    assert sorted(by_pos[i] for i in index.unfiled) == ["anyone", "net", "port"]
    # vip under plan; jp under region (two values each: the first condition is kept)
    assert {f: sorted(by_pos[i] for ps in b.values() for i in ps) for f, b in index.buckets.items()} == {
        "plan": ["vip"], "region": ["jp", "jp"]}
    # the disabled rule is filed nowhere
    assert all(by_pos[i] != "disabled" for b in index.buckets.values() for ps in b.values() for i in ps)
    # unhashable event values meet no bucket and do not fail
    assert [r.id for r in decide_indexed(rs, {"plan": ["enterprise"]}, index).matched] == ["anyone"]


# --- the command ----------------------------------------------------------------------------------


EVENTS = [
    {"plan": "enterprise", "region": "JP"},
    {"region": "KR", "plan": "pro"},
    {"dst_port": 22, "src": "10.1.2.3"},
    {"src": "2001:db8::1"},
    {},
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_rules(tmp_path, RULES)
    return tmp_path


def _single(cli, cwd: Path, event: dict) -> dict:
    result = cli("eval", "--event", json.dumps(event), "-f", "json", cwd=cwd)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_events_answer_one_json_line_per_line_as_eval_does(project: Path, cli):
    (project / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    result = cli("eval", "--events", "events.jsonl", cwd=project)
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == len(EVENTS)
    for event, line in zip(EVENTS, lines, strict=True):
        assert set(line) == {"event", "decision", "deciding", "matched"}
        assert line["event"] == event
        assert {k: line[k] for k in ("decision", "deciding", "matched")} == _single(cli, project, event)
    assert lines[0]["deciding"] == ["vip"] and lines[0]["matched"] == ["vip", "jp", "anyone"]


def test_bad_lines_are_reported_by_line_and_the_rest_decided(project: Path):
    text = (
        json.dumps(EVENTS[0]) + "\n"
        "\n"                                   # 2: blank, skipped
        "{not json\n"                          # 3
        "[1, 2]\n"                             # 4
        '{"n": ' + "9" * 5000 + "}\n"          # 5
        + "[" * 5000 + "]" * 5000 + "\n"       # 6
        + json.dumps(EVENTS[1]) + "\n"         # 7
    )
    (project / "events.jsonl").write_text(text)
    proc = subprocess.run([sys.executable, "-m", "rulelint", "eval", "--events", "events.jsonl"],
                          cwd=project, env=_clean_env(None), capture_output=True, text=True,
                          timeout=60)
    assert_clean_exit(proc.stdout + proc.stderr, proc.returncode)
    assert proc.returncode == 2
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [o.get("line") for o in out] == [None, 3, 4, 5, 6, None]
    assert out[0]["deciding"] == ["vip"] and out[-1]["deciding"] == ["jp"]
    assert "not valid JSON" in out[1]["error"] and "JSON object" in out[2]["error"]
    assert "4,300 digits" in out[3]["error"] and "nests too deeply" in out[4]["error"]
    errors = proc.stderr.splitlines()
    assert errors[0].startswith("rulelint: error: events.jsonl:3: not valid JSON")
    assert errors[-1] == ("rulelint: error: 4 lines of events.jsonl were not an event "
                          "(first: line 3); the others were decided")


def test_events_from_stdin(project: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "eval", "--events", "-"], cwd=project,
        env=_clean_env(None), input="".join(json.dumps(e) + "\n" for e in EVENTS),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x)["decision"] for x in proc.stdout.splitlines()] == [
        ["skip_autoclose"], ["escalate"], ["allow"], ["log"], ["log"]]


def test_events_text_format_is_a_table(project: Path, cli):
    (project / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS[:3]) + "oops\n")
    result = cli("eval", "--events", "events.jsonl", "--format", "text", cwd=project)
    assert result.exit_code == 2
    rows = result.stdout.splitlines()
    assert rows[0].split() == ["line", "event", "decision", "decided", "by", "also", "matched"]
    assert rows[1].split()[:4] == ["1", "plan=enterprise,", "region=JP", "skip_autoclose"]
    assert "vip" in rows[1] and "jp, anyone" in rows[1]
    assert rows[4].split()[0] == "4" and "error" in rows[4]


def test_event_and_events_together_or_neither_is_a_usage_error(project: Path, cli):
    for args in ([], ["--event", "{}", "--events", "e.jsonl"]):
        result = cli("eval", *args, cwd=project)
        assert result.exit_code == 2 and "give one of --event" in result.output


def test_events_file_missing(project: Path, cli):
    result = cli("eval", "--events", "nope.jsonl", cwd=project)
    assert result.exit_code == 2 and "events file nope.jsonl does not exist" in result.output


def test_overlong_event_line_is_a_bad_line_and_the_next_is_read(project: Path, cli, monkeypatch):
    monkeypatch.setattr("rulelint.load.events.MAX_EVENT_BYTES", 100)
    (project / "events.jsonl").write_text(
        json.dumps({"plan": "x" * 300}) + "\n" + json.dumps(EVENTS[0]) + "\n")
    result = cli("eval", "--events", "events.jsonl", cwd=project)
    assert result.exit_code == 2
    first, second = (json.loads(x) for x in result.stdout.splitlines()[:2])
    assert first["line"] == 1 and "longer than" in first["error"]
    assert second["deciding"] == ["vip"]
