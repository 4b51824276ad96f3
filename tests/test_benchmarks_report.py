"""``benchmarks/run.py`` keeps the hand-written sections of BENCHMARKS.md when it regenerates
it (``<!-- hand:NAME -->`` … ``<!-- /hand:NAME -->``), and ``--section NAME`` measures into a
section of its own. Run as the real script, in a subprocess, on files in a temp dir."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "benchmarks" / "run.py"

MACHINE = {"cpu": "test cpu", "cores": 2, "usable_cores": 2, "ram_gib": 4.0, "os": "Linux",
           "python": "3.12", "pyyaml": "6.0", "libyaml": True, "pydantic": "2.0"}


def _row(key: str, seconds: float, info: dict | None = None) -> dict:
    return {"key": key, "status": "ok", "seconds": seconds, "cpu": seconds, "rss_kib": 40960,
            "info": info or {}}


def _results(tmp: Path) -> Path:
    size = {
        "n": 1000, "seed": 7, "profile": "realistic", "file": "benchmarks/out/x.yaml",
        "bytes": 123456, "measured_at": "2026-12-02T10:00:00", "commit": "abc1234",
        "timeout": 600, "loadavg": [1.0, 2.0], "command": "python benchmarks/run.py",
        "rows": [_row("yaml_c", 0.1), _row("check", 0.15, {
            "errors": 1, "warnings": 2, "infos": 3, "mergeable_slots": 4, "findings": {}})],
    }
    path = tmp / "results.json"
    path.write_text(json.dumps({"machine": MACHINE,
                                "profiles": {"realistic": {"sizes": {"1000": size}}}}))
    return path


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


HAND = """<!-- hand:notes -->
## Notes written by hand

| a | b |
|---|---|
| 1 | 2 |   trailing blanks and `<!-- hand:` inside a line stay as they are
<!-- /hand:notes -->
"""

SECOND = "<!-- hand:more -->\nsecond\n<!-- /hand:more -->"  # no final newline


def test_report_only_keeps_hand_sections_verbatim(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\nan old generated table that goes away\n\n" + HAND
                   + "\nmore old generated text\n\n" + SECOND, encoding="utf-8")
    proc = run("--report-only", "--results", str(_results(tmp_path)), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "old generated" not in text
    assert "### 1,000 rules" in text and "test cpu" in text  # the generated part, from results
    assert HAND in text
    assert text.index(HAND) < text.index(SECOND)  # in their order, after the generated part
    assert text.index("## Method") < text.index(HAND)
    assert text.endswith(SECOND + "\n")
    # again: the same file (nothing doubled)
    assert run("--report-only", "--results", str(tmp_path / "results.json"),
               "--out", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8") == text


def test_an_unclosed_hand_section_is_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    before = "# old\n\n<!-- hand:notes -->\nkept by hand\n"
    out.write_text(before, encoding="utf-8")
    proc = run("--report-only", "--results", str(_results(tmp_path)), "--out", str(out))
    assert proc.returncode == 2
    assert f"{out}:3: `<!-- hand:notes -->` has no `<!-- /hand:notes -->` line" in proc.stderr
    assert out.read_text(encoding="utf-8") == before


def test_the_repository_benchmarks_md_keeps_its_hand_sections(tmp_path):
    text = (REPO / "BENCHMARKS.md").read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location("_bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    blocks = mod.hand_sections(text)
    names = [n for n, _ in blocks]
    assert {"eval-events", "html-report", "big-repositories", "million"} <= set(names)
    assert any("## Many events: `eval --events`" in b for _, b in blocks)
    assert any("## HTML report" in b for _, b in blocks)
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(text, encoding="utf-8")
    proc = run("--report-only", "--results", str(_results(tmp_path)), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    new = out.read_text(encoding="utf-8")
    for _, block in blocks:
        assert block in new


@pytest.mark.parametrize("phases", ["check,suggest-merge"])
def test_section_measures_into_its_own_section(tmp_path, phases):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\ngenerated\n\n" + HAND, encoding="utf-8")
    args = ["--sizes", "300", "--profiles", "realistic", "--phases", phases,
            "--section", "small", "--out", str(out), "--results", str(tmp_path / "r.json")]
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\ngenerated\n\n" + HAND)  # the rest untouched
    assert not (tmp_path / "r.json").exists()  # not a per-size result
    section = text[text.index("<!-- hand:small -->"):]
    assert section.endswith("<!-- /hand:small -->\n")
    assert "## 300 rules: `check`, `suggest-merge` (realistic profile)" in section
    assert "--section small" in section
    check = next(line for line in section.splitlines() if "`rulelint check" in line)
    merge = next(line for line in section.splitlines() if "`rulelint suggest-merge" in line)
    assert check.startswith("| realistic | 300 |") and "mergeable slots" in check
    assert "verified true" in merge
    # peak RSS is a number of MiB
    assert int(check.split("|")[7]) > 10
    # a second run replaces the section instead of adding one; a regeneration keeps it
    assert run(*args).returncode == 0
    again = out.read_text(encoding="utf-8")
    assert again.count("<!-- hand:small -->") == 1 and again.count(HAND) == 1
    assert run("--report-only", "--results", str(_results(tmp_path)),
               "--out", str(out)).returncode == 0
    regenerated = out.read_text(encoding="utf-8")
    assert again[again.index("<!-- hand:small -->"):] in regenerated
    assert HAND in regenerated and "generated\n" not in regenerated.split("## Machine")[0]


def _generate_module():
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generator_has_room_for_a_million_rules():
    """Past ~300k rules the usual /24 and /48 blocks and the six-digit customer ids run out:
    the generator then draws from wider spaces instead of looping for ever (the 1M figure of
    issue 19 hung in `net24`)."""
    gen = _generate_module()
    g = gen.Generator(1000, 7, "realistic")
    g.used_nets.update(f"10.{a}.{b}.0/24" for a in range(256) for b in range(256))
    g.used_nets.update(f"172.{a}.{b}.0/24" for a in range(16, 32) for b in range(256))
    g.used_nets.update(f"100.{a}.{b}.0/24" for a in range(64, 128) for b in range(256))
    g.used_nets.update(f"2001:db8:{a:x}::/48" for a in range(0x10000))
    full = len(g.used_nets)
    nets = {g.net24() for _ in range(50)} | {g.net24(v6=True) for _ in range(50)}
    assert len(nets) == 100 and len(g.used_nets) == full + 100
    ids = gen.customer_ids(gen.random.Random(1), 2_000_000)
    assert len(set(ids)) == 2_000_000


def test_a_report_too_large_to_read_back_is_described():
    """At a million rules the JSON report is not read back: the row says so (writing the
    1M section crashed on the missing counts)."""
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(RUN.parent))
    spec.loader.exec_module(mod)
    for key in ("check", "suggest_merge"):
        row = {"key": key, "status": "ok", "seconds": 1.0, "cpu": 1.0, "rss_kib": 1,
               "info": {"unread_mib": 1300}}
        assert "1300 MiB JSON report was not read back" in mod.describe(row)


def test_issue_15_targets_are_judged_on_cpu_time_per_profile():
    """The issue-15 rows: check over the parse against the profile's goal (1.0x dense, 0.5x
    realistic), suggest-merge over check, peak RSS and the 10k->100k exponents, on CPU."""
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(RUN.parent))
    spec.loader.exec_module(mod)

    def size(n: int, parse: float, check: float, merge: float) -> dict:
        return {"n": n, "rows": [_row("yaml_c", parse), _row("check", check),
                                 _row("suggest_merge", merge)]}

    sizes = [size(10_000, 2.0, 1.5, 2.0), size(100_000, 20.0, 18.0, 40.0)]
    dense = "\n".join(mod.targets15(sizes, "dense"))
    assert "| `check` ≤ 1.0× the C-loader parse, at 100k | 18.0 s / 20.0 s = 0.90× | **met** |" in dense
    assert "| `suggest-merge` ≤ 2.0× `check`, at 100k | 40.0 s / 18.0 s = 2.22× | **missed** |" in dense
    assert "(f) `rulelint suggest-merge --format json` 1.30" in dense  # 2 s -> 40 s
    assert "(e) `rulelint check --format json`" not in dense  # 1.5 s -> 18 s: 1.08
    realistic = "\n".join(mod.targets15(sizes, "realistic"))
    assert "| `check` ≤ 0.5× the C-loader parse, at 100k | 18.0 s / 20.0 s = 0.90× | **missed** |" in realistic
    assert "100k not run" in "\n".join(mod.targets15(sizes[:1], "dense"))
    assert mod.targets15(sizes, "saturated") == []  # shown for reference, not judged
