"""The result cache (issue 19): a hit gives byte-identical output in every format, any change
of an input gives what a --no-cache run gives, damaged entries are misses, the size is
bounded, and the directory stays out of git. Real files, a real git repository, the real
CLI as a subprocess (and in-process where a spy must see that the engine did not run)."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import git_init, run_cli
from rulelint import pipeline
from rulelint.report import cache as result_cache

FORMATS = ["text", "json", "sarif", "github", "junit", "markdown"]

RULES = """\
ruleset: support
limits: {max_rules: 12}
rules:
  - id: vip
    action: skip_autoclose
    match: {plan: enterprise, region: [JP, KR]}
    owner: cs@example.com
    reviewed: 2026-01-10
  - id: vip-copy
    action: skip_autoclose
    match: {plan: enterprise, region: [KR, JP]}
    reviewed: 2026-01-10
  - id: jp-late
    action: escalate
    match: {plan: enterprise, region: JP}
    reviewed: 2026-01-10
  - id: old
    action: escalate
    match: {customer_id: C-1}
    expires: 2026-02-01
  - id: undated
    action: escalate
    match: {customer_id: C-2}
  - id: age-1
    action: escalate
    match: {region: DE, ticket_age_days: {range: [0, 9]}}
    reviewed: 2026-01-10
  - id: age-2
    action: escalate
    match: {region: DE, ticket_age_days: {range: [10, 30]}}
    reviewed: 2026-01-10
  - id: net
    action: allow
    match: {source_ip: {cidr: 10.0.0.0/8}}
    reviewed: 2026-01-10
"""
HITS = "rule_id,hits,last_hit\nvip,10,2026-05-30\nghost,3,2026-05-01\n"


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2025-06-01T12:00:00+00:00",
           "GIT_COMMITTER_DATE": "2025-06-01T12:00:00+00:00"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = git_init(tmp_path / "proj")
    (root / "rules").mkdir()
    (root / "rules" / "support.yaml").write_text(RULES, encoding="utf-8")
    (root / "hits.csv").write_text(HITS, encoding="utf-8")
    (root / "rulelint.yaml").write_text('paths: ["rules/*.yaml"]\nhits: hits.csv\n', encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "rules")
    return root


def check(root: Path, *args: str, env: dict[str, str] | None = None):
    env = {"RULELINT_NO_CACHE": "0", **(env or {})}  # conftest turns it off for other tests
    proc = run_cli(["check", "--today", "2026-06-01", *args], root, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def entries(root: Path) -> list[Path]:
    return sorted((root / result_cache.CACHE_DIR).glob("*.json"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hit_is_byte_identical_in_every_format(project, fmt):
    fresh = check(project, "--format", fmt, "--no-cache")
    assert not (project / result_cache.CACHE_DIR).exists()  # --no-cache writes nothing
    miss = check(project, "--format", fmt)
    # sarif and junit read the loaded rules (end lines, a case per rule): analysed afresh
    from rulelint.cli.check import NEEDS_PROJECT

    assert len(entries(project)) == (0 if fmt in NEEDS_PROJECT else 1)
    hit = check(project, "--format", fmt)
    assert fresh == miss == hit
    assert fresh[0] == 1 and fresh[1]  # findings, so the comparison means something


def test_one_entry_serves_every_format(project, monkeypatch):
    check(project, "--format", "json")
    assert len(entries(project)) == 1
    for fmt in FORMATS:
        assert check(project, "--format", fmt) == check(project, "--format", fmt, "--no-cache")
    assert len(entries(project)) == 1


def test_a_hit_does_not_run_the_engine(project, monkeypatch):
    from typer.testing import CliRunner

    from rulelint.cli import app

    monkeypatch.chdir(project)
    monkeypatch.setenv("RULELINT_NO_CACHE", "0")
    args = ["check", "--today", "2026-06-01", "--format", "json"]
    first = CliRunner().invoke(app, args)
    monkeypatch.setattr(pipeline, "analyse", lambda *a, **k: pytest.fail("the engine ran"))
    monkeypatch.setattr(pipeline, "load_rules", lambda *a, **k: pytest.fail("the loader ran"))
    second = CliRunner().invoke(app, args)
    assert (first.exit_code, first.stdout) == (second.exit_code, second.stdout)
    with pytest.raises(pytest.fail.Exception):
        CliRunner().invoke(app, [*args, "--no-cache"], catch_exceptions=False)


@pytest.mark.parametrize("change", ["rule", "today", "hits", "config", "commit", "select"])
def test_after_a_change_the_output_equals_a_no_cache_run(project, change):
    before = check(project, "--format", "json")
    extra: list[str] = []
    rules = project / "rules" / "support.yaml"
    if change == "rule":
        rules.write_text(RULES.replace("{customer_id: C-2}", "{customer_id: C-3}"), encoding="utf-8")
    elif change == "today":
        extra = ["--today", "2026-12-01"]
    elif change == "hits":
        (project / "hits.csv").write_text(HITS.replace("ghost", "undated"), encoding="utf-8")
    elif change == "config":
        (project / "rulelint.yaml").write_text(
            'paths: ["rules/*.yaml"]\nhits: hits.csv\nstaleness: {review_days: 30}\n', encoding="utf-8")
    elif change == "commit":  # the undated rule's git date moves
        rules.write_text(RULES.replace("  - id: undated\n", "  - id: undated   # moved\n"), encoding="utf-8")
        git(project, "commit", "-qam", "edit")
        check(project, "--format", "json")
        rules.write_text(RULES, encoding="utf-8")
    elif change == "select":
        extra = ["--select", "RL4"]
    after = check(project, "--format", "json", *extra)
    fresh = check(project, "--format", "json", "--no-cache", *extra)
    assert after == fresh
    assert after != before
    assert len(entries(project)) >= 2


def test_env_turns_it_off(project):
    check(project, env={"RULELINT_NO_CACHE": "1"})
    assert not (project / result_cache.CACHE_DIR).exists()
    check(project, env={"RULELINT_NO_CACHE": "0"})
    assert len(entries(project)) == 1


def test_the_cache_stays_out_of_git(project):
    check(project)
    cache_dir = project / result_cache.CACHE_DIR
    assert (cache_dir / ".gitignore").read_text() == result_cache.GITIGNORE
    assert (cache_dir / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    assert status == ""


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage-checksum"])
def test_a_damaged_entry_is_a_miss_and_is_replaced(project, damage):
    good = check(project, "--format", "json")
    [entry] = entries(project)
    raw = entry.read_bytes()
    if damage == "flip":
        i = len(raw) // 2
        raw = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]
    elif damage == "truncate":  # as a writer killed without atomic rename would leave it
        raw = raw[: len(raw) // 3]
    elif damage == "empty":
        raw = b""
    else:
        raw = b"0" * 64 + raw[64:]
    entry.write_bytes(raw)
    assert result_cache.ResultCache(project).get(entry.stem) is None
    assert check(project, "--format", "json") == good
    assert result_cache.ResultCache(project).get(entry.stem) is not None  # rewritten whole


def test_a_run_killed_mid_write_leaves_only_a_temp_file(project):
    good = check(project, "--format", "json")
    cache_dir = project / result_cache.CACHE_DIR
    stale = cache_dir / ".abc.json.x1.tmp"
    stale.write_bytes(b"half an entry")
    os.utime(stale, (1, 1))  # long ago
    fresh_tmp = cache_dir / ".def.json.x2.tmp"
    fresh_tmp.write_bytes(b"another run writing now")
    (cache_dir / "old.json").unlink(missing_ok=True)
    for e in entries(project):
        e.unlink()
    assert check(project, "--format", "json") == good
    assert not stale.exists()  # cleaned up
    assert fresh_tmp.exists()  # a concurrent writer's file is left alone


def test_concurrent_runs_agree_and_leave_a_valid_cache(project):
    expected = check(project, "--format", "json", "--no-cache")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: check(project, "--format", "json"), range(4)))
    assert all(r == expected for r in results)
    [entry] = entries(project)
    assert result_cache.ResultCache(project).get(entry.stem) is not None
    assert not list((project / result_cache.CACHE_DIR).glob("*.tmp"))


def test_the_size_is_bounded_oldest_go_first(tmp_path, monkeypatch):
    monkeypatch.setattr(result_cache, "MAX_ENTRIES", 3)
    store = result_cache.ResultCache(tmp_path)
    for i in range(5):
        assert store.put(f"k{i}", {"i": i})
        os.utime(store.dir / f"k{i}.json", (1000 + i, 1000 + i))
    assert sorted(p.stem for p in store.dir.glob("*.json")) == ["k2", "k3", "k4"]
    assert store.get("k2") == {"i": 2}  # a hit is a use: k2 is now the newest
    store.put("k5", {"i": 5})
    assert sorted(p.stem for p in store.dir.glob("*.json")) == ["k2", "k4", "k5"]
    monkeypatch.setattr(result_cache, "MAX_BYTES", 40)
    store.put("big", {"x": "y" * 30})
    assert [p.stem for p in store.dir.glob("*.json")] == ["big"]


def test_a_fifo_is_never_read_for_the_key(project):
    os.mkfifo(project / "rules" / "pipe.yaml")
    got = check(project, "--format", "json", "rules/support.yaml", "rules/pipe.yaml")
    assert got == check(project, "--format", "json", "--no-cache", "rules/support.yaml", "rules/pipe.yaml")
    assert not entries(project)  # not cacheable: a FIFO has no bytes to key on


def test_unwritable_cache_is_skipped_silently(project):
    (project / result_cache.CACHE_DIR).write_text("not a directory")
    assert check(project, "--format", "json") == check(project, "--format", "json", "--no-cache")


def _same(a, b) -> bool:
    """Equal values of the same types all the way down (the reference for ``_exact``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


_json_like = st.recursive(
    st.one_of(st.text(max_size=4), st.integers(), st.floats(), st.booleans(), st.none(),
              st.dates()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=2).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers(-3, 3), st.booleans()),
                        inner, max_size=3),
    ),
    max_leaves=12,
)


@given(_json_like)
@settings(max_examples=300, deadline=None)
def test_exact_is_what_a_json_round_trip_gives_back(value):
    try:
        back = json.loads(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        back = object()  # not JSON at all
    assert result_cache._exact(value) == _same(back, value)


def test_values_json_cannot_give_back_are_not_cached():
    assert result_cache._exact([1, "a", {"b": None}, 2.5, float("inf")])
    assert not result_cache._exact((1, 2))
    assert not result_cache._exact({1: "a"})
    assert not result_cache._exact([float("nan")])


def test_key_separates_parts():
    assert result_cache.key([("a", b"bc")]) != result_cache.key([("ab", b"c")])
    assert result_cache.key([("a", b"x"), ("b", b"")]) != result_cache.key([("a", b"x")])
    data = json.dumps({"k": 1})
    assert result_cache.key([("a", data.encode())]) == result_cache.key([("a", data.encode())])


def test_an_entry_is_written_in_pieces_with_its_checksum_last(tmp_path):
    store = result_cache.ResultCache(tmp_path)
    assert store.put_text("k", iter(['{"a":', '[1,2]', "}"]))
    raw = (store.dir / "k.json").read_bytes()
    body, _, tail = raw.rpartition(b"\n")
    assert body == b'{"a":[1,2]}' and len(tail) == 64
    assert store.get("k") == {"a": [1, 2]}

    def not_exact():
        yield '{"a":'
        raise result_cache.NotExact("witness")

    assert not store.put_text("k2", not_exact())  # not stored, nothing left half written
    assert sorted(p.name for p in store.dir.iterdir()) == [".gitignore", "CACHEDIR.TAG", "k.json"]
    (store.dir / "k.json").write_bytes(raw[:-1] + (b"1" if raw.endswith(b"0") else b"0"))
    assert store.get("k") is None and not (store.dir / "k.json").exists()  # damaged: a miss
