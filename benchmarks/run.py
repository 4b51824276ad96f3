"""Benchmark rulelint at 1k / 10k / 100k rules and write BENCHMARKS.md.

    python benchmarks/run.py [--sizes 1000,10000,100000] [--out BENCHMARKS.md]
                             [--timeout 600] [--phases check,suggest_merge] [--repeat 1]
                             [--profiles realistic,dense,saturated]

The rule-set profiles of ``generate.py --profile`` that ``generate.MEASURED_PROFILES`` names,
each reported in its own section: ``realistic``, on which the targets of issue 7 are judged;
``dense``, issue 15's support desk (hundreds of earlier rules meet a rule), judged with
``realistic`` on issue 15's targets; ``saturated``, the first generator, whose fixed pools
saturate as n grows (shown, not judged). ``--profiles acl`` measures the ClassBench-like
ACLs too.

For each size the rule file is generated once (``benchmarks/generate.py``, cached under
``benchmarks/out/``, which git ignores) and every phase runs in a FRESH process, so the peak
RSS reported for a phase is that process's own (``os.wait4`` gives each child's rusage):

  startup        ``python -c "import rulelint.cli"`` (fixed cost in every command)
  yaml_c    (a)  ``yaml.load(text, Loader=yaml.CSafeLoader)`` alone: the yardstick
  parse_text(b)  ``rulelint.load.loading.parse_text``
  load_rules(c)  ``engine.load_rules``: parse + validation + conditions + field kinds
  passes    (d)  load, then each pass of ``passes.all_passes()`` in order, ``run(ctx)``
                 fully consumed, timed one by one in that process
  check     (e)  ``rulelint check FILE --format json`` as a subprocess: the headline
  suggest_merge (f) ``rulelint suggest-merge FILE --format json`` (verification included)

A phase that exceeds ``--timeout`` is killed and reported as "timeout"; if a pass times
out, the remaining passes are measured in a new process that skips it. Results are kept in
``benchmarks/out/results.json`` (``--results``; per size, with the commit and time they were
measured at), so ``--sizes 100000`` later adds the 100k section to a report that already has
1k and 10k; ``--fresh`` starts over.

Sections written by hand (or by ``--section``) sit between ``<!-- hand:NAME -->`` and
``<!-- /hand:NAME -->`` lines: every regeneration of ``--out`` carries them over verbatim,
after the generated part, in their order. ``--section NAME`` measures into such a section
of its own instead of the per-size tables and ``results.json`` (replacing an older section
of that name, else appended), for one-off figures such as issue 19's million rules::

    python benchmarks/run.py --sizes 1000000 --profiles realistic,dense \\
        --phases check,suggest-merge --timeout 7200 --section million
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

PHASES = ("startup", "yaml_c", "parse_text", "load_rules", "passes", "check", "suggest_merge")
TODAY = "2026-06-01"  # fixed, so staleness findings do not change from day to day
TARGET_RATIO = 2.0
TARGET_RSS_MIB = 1024
TARGET_EXPONENT = 1.1
TARGET_MERGE_SECONDS = 60.0
# issue 15, judged on CPU time at 100k: check over the C-loader parse, per profile; every
# phase's exponent 10k -> 100k; suggest-merge over check; peak RSS as issue 7's
TARGET15_RATIO = {"dense": 1.0, "realistic": 0.5}
TARGET15_EXPONENT = 1.15
TARGET15_MERGE_OVER_CHECK = 2.0
LABELS = {
    "startup": "startup: `import rulelint.cli`",
    "yaml_c": "(a) `yaml.load` CSafeLoader (yardstick)",
    "parse_text": "(b) `loading.parse_text`",
    "load_rules": "(c) `engine.load_rules` (parse + validation)",
    "passes.load": "(d) load, in the passes process",
    "check": "(e) `rulelint check --format json`",
    "suggest_merge": "(f) `rulelint suggest-merge --format json`",
}


def label(key: str) -> str:
    if key.startswith("pass."):
        return f"(d) pass `{key[5:]}`"
    return LABELS.get(key, key)


# --- running one process --------------------------------------------------------------------


MAX_STDOUT = 256 * 1024 * 1024  # a larger report is not read back (at 1M rules: GiBs)


def spawn(cmd: list[str], timeout: float, cwd: Path) -> dict[str, Any]:
    """Run ``cmd`` in its own session; wall time, CPU time and peak RSS of that child only.

    On timeout the child's process group (only what we started) is killed. ``stdout`` is
    None when the child wrote more than ``MAX_STDOUT`` bytes (``stdout_bytes`` says how
    many): parsing it would cost this process more memory than the child used."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe, cwd=cwd, start_new_session=True)
        box: dict[str, Any] = {}

        def wait() -> None:
            _, status, ru = os.wait4(proc.pid, 0)
            box.update(end=time.perf_counter(), status=status, ru=ru)

        waiter = threading.Thread(target=wait, daemon=True)
        waiter.start()
        waiter.join(timeout)
        timed_out = waiter.is_alive()
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            waiter.join()
        rc = os.waitstatus_to_exitcode(box["status"])
        proc.returncode = rc  # already reaped by wait4; keep Popen from waiting again
        ru = box["ru"]
        size = fo.seek(0, os.SEEK_END)
        fo.seek(0)
        fe.seek(0)
        return {
            "status": "timeout" if timed_out else "ok" if rc in (0, 1) else "error",
            "rc": rc,
            "wall": box["end"] - t0,
            "cpu": ru.ru_utime + ru.ru_stime,
            "rss_kib": ru.ru_maxrss,
            "stdout": fo.read().decode("utf-8", "replace") if size <= MAX_STDOUT else None,
            "stdout_bytes": size,
            "stderr": fe.read().decode("utf-8", "replace"),
        }


def _events(stdout: str) -> list[dict[str, Any]]:
    out = []
    for line in stdout.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def _last_line(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[-1][:300] if lines else ""


def row(key: str, status: str, seconds: float | None, cpu: float | None, rss_kib: int | None,
        **extra: Any) -> dict[str, Any]:
    return {"key": key, "status": status, "seconds": seconds, "cpu": cpu, "rss_kib": rss_kib,
            **extra}


# --- the phases -----------------------------------------------------------------------------


def _phase_cmd(name: str, file: Path, config: Path, *rest: str) -> list[str]:
    return [sys.executable, str(HERE / "phase.py"), name, str(file), str(config), TODAY, *rest]


def run_inprocess(name: str, file: Path, config: Path, timeout: float) -> dict[str, Any]:
    r = spawn(_phase_cmd(name, file, config), timeout, OUT)
    res = next((e for e in _events(r["stdout"]) if e.get("event") == "result"), None)
    if r["status"] != "ok" or res is None:
        status = r["status"] if r["status"] != "ok" else "error"
        return row(name, status, r["wall"] if status == "timeout" else None, r["cpu"],
                   r["rss_kib"], process_wall=r["wall"], error=_last_line(r["stderr"]))
    return row(name, "ok", res["seconds"], res["cpu"], r["rss_kib"], process_wall=r["wall"],
               rss_kib_before=res["rss_kib_before"], info=res.get("info", {}))


def run_startup(timeout: float) -> dict[str, Any]:
    r = spawn([sys.executable, "-c", "import rulelint.cli"], timeout, OUT)
    return row("startup", r["status"], r["wall"], r["cpu"], r["rss_kib"],
               error=_last_line(r["stderr"]) if r["rc"] else "")


def run_passes(file: Path, config: Path, timeout: float) -> list[dict[str, Any]]:
    """All passes in order in one process; a pass that times out or fails is skipped in a
    new process so the ones after it are still measured."""
    rows: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    skip: list[str] = []
    while True:
        r = spawn(_phase_cmd("passes", file, config, "--skip", ",".join(skip)), timeout, OUT)
        started: str | None = None
        done = False
        spent = cpu_spent = 0.0
        for e in _events(r["stdout"]):
            ev = e.get("event")
            if ev == "load":
                spent += e["seconds"]
                cpu_spent += e["cpu"]
                rows.setdefault("passes.load", row("passes.load", "ok", e["seconds"], e["cpu"],
                                                   e["rss_kib"], info=e.get("info", {})))
            elif ev == "start":
                started = e["name"]
                if started not in order:
                    order.append(started)
            elif ev == "pass":
                spent += e["seconds"]
                cpu_spent += e["cpu"]
                rows[e["name"]] = row("pass." + e["name"], "ok", e["seconds"], e["cpu"],
                                      e["rss_kib"], info=e.get("info", {}))
                started = None
            elif ev in ("disabled", "skipped") and e["name"] not in order:
                order.append(e["name"])
            elif ev == "done":
                done = True
        if done or r["status"] == "ok":
            break
        if started is None:  # died before or between passes: nothing more we can learn
            rows.setdefault("passes.load", row("passes.load", r["status"], None, None,
                                               r["rss_kib"], error=_last_line(r["stderr"])))
            break
        # the killed pass: the process's time minus what the finished steps took (this
        # includes interpreter start and imports, under a second)
        timed_out = r["status"] == "timeout"
        rows[started] = row("pass." + started, r["status"],
                            max(0.0, r["wall"] - spent) if timed_out else None,
                            max(0.0, r["cpu"] - cpu_spent) if timed_out else None,
                            r["rss_kib"], error=_last_line(r["stderr"]))
        skip.append(started)
    out = [rows["passes.load"]] if "passes.load" in rows else []
    out.extend(rows[name] for name in order if name in rows)
    return out


def run_cli(command: str, file: Path, config: Path, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "rulelint", command, str(file), "--format", "json",
           "--config", str(config)]
    if command == "check":
        cmd += ["--today", TODAY]
    r = spawn(cmd, timeout, OUT)
    key = command.replace("-", "_")
    info: dict[str, Any] = {}
    status = r["status"]
    if status == "ok" and r["stdout"] is None:
        info = {"unread_mib": round(r["stdout_bytes"] / 2**20)}
    elif status == "ok":
        try:
            doc = json.loads(r["stdout"])
        except json.JSONDecodeError:
            status = "error"
        else:
            refused = _refused(doc)
            if refused:
                status, r["stderr"] = "error", refused
            elif command == "check":
                s = doc["summary"]
                codes: dict[str, int] = {}
                for f in doc["findings"]:
                    codes[f["code"]] = codes.get(f["code"], 0) + 1
                info = {"errors": s["errors"], "warnings": s["warnings"], "infos": s["infos"],
                        "mergeable_slots": sum(x.get("mergeable_slots", 0)
                                               for x in s["rulesets"]),
                        "findings": codes}
            else:
                info = {"before": doc["before"], "after": doc["after"],
                        "verified": doc["verified"], "groups": len(doc["groups"]),
                        "removed": len(doc.get("removed", []))}
    return row(key, status, r["wall"], r["cpu"], r["rss_kib"], rc=r["rc"],
               command=" ".join(["rulelint", *cmd[3:]]),
               error=_last_line(r["stderr"]) if status != "ok" else "", info=info)


def _refused(doc: dict) -> str:
    """Why a run answered without doing the work (a file it would not read, say), or ""."""
    if "summary" in doc:
        if doc["summary"].get("rules") == 0 and doc["summary"].get("errors"):
            return next((f["message"] for f in doc.get("findings", ())
                         if f.get("severity") == "error"), "no rules loaded")
        return ""
    if "before" not in doc:
        return str(doc.get("error") or doc.get("message") or json.dumps(doc)[:300])
    return ""


def best_of(fn, repeat: int):
    """The fastest of ``repeat`` runs (the first failure is returned as it is). For the
    passes, which come as one row each from one process, every row is the fastest of its
    own: a pass slowed by another job on the machine in one run does not hide its time in
    the others (the usual minimum-of-repeats estimator, as ``timeit`` uses)."""
    runs = []
    for _ in range(max(1, repeat)):
        got = fn()
        rows = got if isinstance(got, list) else [got]
        if any(r["status"] != "ok" for r in rows):
            return got
        runs.append(got)
    if not isinstance(runs[0], list):
        return min(runs, key=lambda r: r["seconds"] or 0)
    best: dict[str, dict[str, Any]] = {}
    for rows in runs:
        for r in rows:
            k = r["key"]
            if k not in best or (r["seconds"] or 0) < (best[k]["seconds"] or 0):
                best[k] = r
    return [best[r["key"]] for r in runs[0]]


def measure_size(n: int, seed: int, profile: str, timeout: float, phases: list[str],
                 repeat: int, log) -> dict[str, Any]:
    file = generate.default_path(n, seed, profile)
    if not file.exists() or file.stat().st_mtime < Path(generate.__file__).stat().st_mtime:
        log(f"[{n}] generating {file.name}")
        generate.write(n, file, seed, profile)
    config = OUT / "bench-config.yaml"
    if not config.exists():
        config.write_text("# benchmarks run with the defaults; this file stops the search for "
                          "a rulelint.yaml further up\n", encoding="utf-8")
    rows: list[dict[str, Any]] = []
    loadavg = [os.getloadavg()[0]]
    for ph in phases:
        log(f"[{n}] {ph} ...")
        if ph == "startup":
            got = best_of(lambda: run_startup(timeout), repeat)
        elif ph == "passes":
            got = best_of(lambda: run_passes(file, config, timeout), repeat)
        elif ph in ("check", "suggest_merge"):
            cmd = ph.replace("_", "-")
            got = best_of(lambda cmd=cmd: run_cli(cmd, file, config, timeout), repeat)
        else:
            got = best_of(lambda ph=ph: run_inprocess(ph, file, config, timeout), repeat)
        new = got if isinstance(got, list) else [got]
        for r in new:
            log(f"[{n}]   {r['key']}: {r['status']} {fmt_s(r['seconds'])} s, "
                f"{fmt_mib(r['rss_kib'])} MiB {r.get('error') or ''}")
        rows.extend(new)
        loadavg.append(os.getloadavg()[0])
    return {
        "n": n,
        "seed": seed,
        "profile": profile,
        "file": str(file.relative_to(ROOT)),
        "bytes": file.stat().st_size,
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "timeout": timeout,
        "loadavg": [round(min(loadavg), 2), round(max(loadavg), 2)],
        "rows": rows,
    }


# --- the machine ----------------------------------------------------------------------------


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+uncommitted changes in src/" if dirty else "")


def machine() -> dict[str, Any]:
    import pydantic
    import yaml

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gib": round(mem, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pyyaml": yaml.__version__,
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "pydantic": pydantic.VERSION,
    }


# --- the report -----------------------------------------------------------------------------


def fmt_s(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def fmt_mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.0f}"


def fmt_n(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def by_key(size: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in size["rows"]}


def seconds_of(r: dict[str, Any] | None, attr: str = "seconds") -> float | None:
    return r.get(attr) if r and r["status"] in ("ok", "timeout") else None


def exponent(a: dict[str, Any] | None, b: dict[str, Any] | None, na: int, nb: int,
             attr: str = "seconds") -> str:
    """log(t_b / t_a) / log(n_b / n_a); '≥' when the larger run timed out."""
    ta, tb = seconds_of(a, attr), seconds_of(b, attr)
    if ta is None or tb is None or ta <= 0 or tb <= 0 or a["status"] != "ok":
        return "–"
    e = math.log(tb / ta) / math.log(nb / na)
    small = " (tiny)" if ta < 0.02 else ""
    return (f"≥ {e:.2f}" if b["status"] == "timeout" else f"{e:.2f}") + small


def exponent_value(a, b, na, nb, attr: str = "seconds") -> float | None:
    ta, tb = seconds_of(a, attr), seconds_of(b, attr)
    if ta is None or tb is None or ta <= 0 or tb <= 0 or a["status"] != "ok" or ta < 0.02:
        return None
    return math.log(tb / ta) / math.log(nb / na)


def describe(r: dict[str, Any]) -> str:
    info = r.get("info") or {}
    parts = []
    if r["status"] == "timeout":
        parts.append("**timeout** (killed)")
    elif r["status"] == "error":
        parts.append(f"**error**: {r.get('error', '')}")
    if r["key"] == "check" and "errors" in info:
        parts.append(f"{info['errors']} errors, {info['warnings']} warnings, {info['infos']} infos;"
                     f" mergeable slots {info['mergeable_slots']}")
    elif r["key"] == "suggest_merge" and "before" in info:
        ratio = info["after"] / info["before"] if info["before"] else float("nan")
        parts.append(f"{info['before']} → {info['after']} rules ({ratio:.3f}), "
                     f"{info['groups']} groups, {info['removed']} removed, "
                     f"verified {str(info['verified']).lower()}")
    elif r["key"].startswith("pass.") and "findings" in info:
        f = info["findings"]
        parts.append(", ".join(f"{k} {v}" for k, v in sorted(f.items())) or "no findings")
        if "mergeable_slots" in info:
            parts.append(f"planner frees {info['mergeable_slots']} slots (unverified)")
    elif "rules" in info:
        parts.append(f"{info['rules']} rules")
    if "unread_mib" in info:
        parts.append(f"its {info['unread_mib']} MiB JSON report was not read back")
    if r.get("rss_kib_before"):
        parts.append(f"RSS before the call {fmt_mib(r['rss_kib_before'])} MiB")
    if r.get("rc") not in (None, 0, 1):
        parts.append(f"exit {r['rc']}")
    return "; ".join(parts)


def size_table(size: dict[str, Any], h: str = "###") -> list[str]:
    rows = by_key(size)
    base = seconds_of(rows.get("yaml_c"))
    base_cpu = seconds_of(rows.get("yaml_c"), "cpu")
    out = [
        f"{h} {size['n']:,} rules",
        "",
        f"`{size['file']}` ({size['bytes'] / 1e6:.1f} MB); measured {size['measured_at']} at "
        f"commit {size['commit']}; load average during the run {size['loadavg'][0]}–"
        f"{size['loadavg'][1]}; timeout {size['timeout']:.0f} s per phase; "
        f"`{size.get('command', 'python benchmarks/run.py')}`.",
        "",
        "| phase | wall s | CPU s | peak RSS MiB | × (a) wall | × (a) CPU | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in size["rows"]:
        t, c = seconds_of(r), seconds_of(r, "cpu")
        ratio = f"{t / base:.1f}" if base and t is not None else "–"
        cratio = f"{c / base_cpu:.1f}" if base_cpu and c is not None else "–"
        wall, cpu = fmt_s(r["seconds"]), fmt_s(r["cpu"])
        if r["status"] == "timeout":
            wall, cpu = f"> {wall}", f"> {cpu}" if r["cpu"] is not None else cpu
        out.append(f"| {label(r['key'])} | {wall} | {cpu} | {fmt_mib(r['rss_kib'])} "
                   f"| {ratio} | {cratio} | {describe(r)} |")
    out.append("")
    return out


def targets(sizes: list[dict[str, Any]]) -> list[str]:
    by_n = {s["n"]: s for s in sizes}
    out = ["| target (issue 7) | measured | verdict |", "|---|---|---|"]

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else "**met**" if ok else "**missed**"

    # the targets are set at 100k; when 100k was not run, the largest size is shown instead,
    # for reference, and the verdict stays "not measured"
    n = 100_000 if 100_000 in by_n else max(by_n, default=None)
    if n is not None:
        at = "100k" if n == 100_000 else f"{fmt_n(n)} (100k not run)"
        final = n == 100_000
        rows = by_key(by_n[n])
        chk, sm = rows.get("check"), rows.get("suggest_merge")
        base, base_cpu = seconds_of(rows.get("yaml_c")), seconds_of(rows.get("yaml_c"), "cpu")
        name = f"`check` ≤ {TARGET_RATIO}× the C-loader parse, at {at}"
        if chk and base and seconds_of(chk) is not None:
            ratio = seconds_of(chk) / base
            more = " (at least: killed at the timeout)" if chk["status"] == "timeout" else ""
            cpu = ""
            if base_cpu and chk["cpu"]:
                cpu = f"; CPU {fmt_s(chk['cpu'])} s / {fmt_s(base_cpu)} s = " \
                      f"{chk['cpu'] / base_cpu:.1f}×"
            ok = chk["status"] == "ok" and ratio <= TARGET_RATIO
            out.append(f"| {name} | wall {fmt_s(seconds_of(chk))} s / {fmt_s(base)} s = "
                       f"{ratio:.1f}×{more}{cpu} | {verdict(ok if final else None)} |")
        else:
            out.append(f"| {name} | – | {verdict(None)} |")
        if chk and chk["rss_kib"]:
            mib = chk["rss_kib"] / 1024
            ok = chk["status"] == "ok" and mib <= TARGET_RSS_MIB
            out.append(f"| `check` peak RSS ≤ 1 GiB, at {at} | {mib:.0f} MiB"
                       f"{' (when killed)' if chk['status'] == 'timeout' else ''} | "
                       f"{verdict(ok if final else None)} |")
        if sm and seconds_of(sm) is not None:
            ok = sm["status"] == "ok" and seconds_of(sm) <= TARGET_MERGE_SECONDS
            more = " (killed at the timeout)" if sm["status"] == "timeout" else ""
            out.append(f"| `suggest-merge` ≤ {TARGET_MERGE_SECONDS:.0f} s with verification, at "
                       f"{at} | {fmt_s(seconds_of(sm))} s{more}, peak {fmt_mib(sm['rss_kib'])} "
                       f"MiB | {verdict(ok if final else None)} |")
    pairs = [(a, b) for a, b in ((10_000, 100_000), (1_000, 10_000)) if a in by_n and b in by_n]
    if pairs:
        a, b = pairs[0]
        ra, rb = by_key(by_n[a]), by_key(by_n[b])
        worst, unknown = [], []
        for key, r in rb.items():
            if not _judged(key):
                continue
            attr = "cpu" if seconds_of(r, "cpu") and seconds_of(ra.get(key), "cpu") else "seconds"
            e = exponent_value(ra.get(key), r, a, b, attr)
            if e is not None and e > TARGET_EXPONENT:
                bound = "≥ " if r["status"] == "timeout" else ""
                worst.append(f"{label(key)} {bound}{e:.2f}")
            elif e is None and r["status"] != "ok":
                unknown.append(f"{label(key)} ({r['status']} at both sizes)"
                               if (ra.get(key) or {}).get("status") != "ok"
                               else f"{label(key)} ({r['status']})")
        text = "; ".join(worst + unknown) if worst or unknown else f"all ≤ {TARGET_EXPONENT}"
        ok = None if (unknown and not worst) else not worst
        why = "" if b == 100_000 else " (10k→100k not run)"
        out.append(f"| every phase ≤ n log n (exponent ≲ {TARGET_EXPONENT}, on CPU time), "
                   f"{fmt_n(a)}→{fmt_n(b)}{why} | {text} | "
                   f"{verdict(ok) if ok is not None else 'not measurable: timeouts'} |")
    out.append("")
    return out


def _judged(key: str) -> bool:
    """The phases whose scaling the targets judge."""
    return key.startswith("pass.") or key in ("check", "suggest_merge", "load_rules", "parse_text")


def _ratio_row(name: str, top: float | None, bottom: float | None, goal: float, ok: bool) -> str:
    """``| name | top s / bottom s = r× | verdict |`` (``ok``: the runs themselves ended)."""
    if not (top and bottom):
        return f"| {name} | – | not measured |"
    met = ok and top / bottom <= goal
    return (f"| {name} | {fmt_s(top)} s / {fmt_s(bottom)} s = {top / bottom:.2f}× | "
            f"{'**met**' if met else '**missed**'} |")


def targets15(sizes: list[dict[str, Any]], profile: str) -> list[str]:
    """Issue 15's targets for one profile, on CPU time (user + system of the process); none
    for the profiles it does not judge."""
    if profile not in TARGET15_RATIO:
        return []
    by_n = {s["n"]: s for s in sizes}
    out = ["| target (issue 15, CPU time) | measured | verdict |", "|---|---|---|"]
    if 100_000 not in by_n:
        return [*out, "| all, at 100k | 100k not run | not measured |", ""]
    rows = by_key(by_n[100_000])
    chk, sm = rows.get("check"), rows.get("suggest_merge")
    base = seconds_of(rows.get("yaml_c"), "cpu")
    c_cpu, s_cpu = seconds_of(chk, "cpu"), seconds_of(sm, "cpu")

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    goal = TARGET15_RATIO[profile]
    out.append(_ratio_row(f"`check` ≤ {goal}× the C-loader parse, at 100k", c_cpu, base,
                          goal, bool(chk) and chk["status"] == "ok"))
    out.append(_ratio_row(f"`suggest-merge` ≤ {TARGET15_MERGE_OVER_CHECK}× `check`, at 100k",
                          s_cpu, c_cpu, TARGET15_MERGE_OVER_CHECK,
                          bool(sm) and sm["status"] == "ok"))
    if chk and chk["rss_kib"]:
        mib = chk["rss_kib"] / 1024
        out.append(f"| `check` peak RSS ≤ 1 GiB, at 100k | {mib:.0f} MiB | "
                   f"{verdict(chk['status'] == 'ok' and mib <= TARGET_RSS_MIB)} |")
    if 10_000 in by_n:
        ra = by_key(by_n[10_000])
        worst = []
        for key, r in rows.items():
            if not _judged(key):
                continue
            e = exponent_value(ra.get(key), r, 10_000, 100_000, "cpu")
            if e is not None and e > TARGET15_EXPONENT:
                worst.append(f"{label(key)} {e:.2f}")
            elif e is None and r["status"] != "ok":
                worst.append(f"{label(key)} ({r['status']})")
        text = "; ".join(worst) if worst else f"all ≤ {TARGET15_EXPONENT}"
        out.append(f"| every phase's exponent ≤ {TARGET15_EXPONENT}, 10k→100k | {text} | "
                   f"{verdict(not worst)} |")
    out.append("")
    return out


def scaling(sizes: list[dict[str, Any]]) -> list[str]:
    ns = sorted(s["n"] for s in sizes)
    by_n = {s["n"]: by_key(s) for s in sizes}
    pairs = list(zip(ns, ns[1:], strict=False))
    if not pairs:
        return ["(one size only: no exponent)", ""]
    head = "| phase | " + " | ".join(f"{fmt_n(a)}→{fmt_n(b)} wall | {fmt_n(a)}→{fmt_n(b)} CPU"
                                     for a, b in pairs) + " |"
    out = [head, "|---|" + "---:|" * (2 * len(pairs))]
    keys: list[str] = []
    for n in ns:
        for k in by_n[n]:
            if k not in keys:
                keys.append(k)
    for k in keys:
        cells = [exponent(by_n[a].get(k), by_n[b].get(k), a, b, attr)
                 for a, b in pairs for attr in ("seconds", "cpu")]
        out.append(f"| {label(k)} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def compression(sizes: list[dict[str, Any]]) -> list[str]:
    out = ["| rules | before | after | after/before | slots freed | verified |",
           "|---:|---:|---:|---:|---:|---|"]
    for s in sorted(sizes, key=lambda s: s["n"]):
        rows = by_key(s)
        r = rows.get("suggest_merge")
        info = (r or {}).get("info") or {}
        if not info:
            why = f"`suggest-merge` {r['status']}" if r else "`suggest-merge` not run"
            plan = (rows.get("pass.mergeable") or {}).get("info") or {}
            before = ((rows.get("passes.load") or {}).get("info") or {}).get("rules")
            if "mergeable_slots" in plan and before:
                after = before - plan["mergeable_slots"]
                out.append(f"| {s['n']:,} | {before:,} | {after:,} | {after / before:.3f} | "
                           f"{plan['mergeable_slots']:,} | no: {why}; planner only (the "
                           "RL601 pass), unproven |")
            else:
                out.append(f"| {s['n']:,} | – | – | – | – | {why} |")
            continue
        b, a = info["before"], info["after"]
        out.append(f"| {s['n']:,} | {b:,} | {a:,} | {a / b:.3f} | {b - a:,} | "
                   f"{str(info['verified']).lower()} |")
    out.append("")
    return out


def _sizes(results: dict[str, Any], profile: str) -> list[dict[str, Any]]:
    got = results.get("profiles", {}).get(profile, {}).get("sizes", {})
    return sorted(got.values(), key=lambda s: s["n"])


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    sizes = _sizes(results, "realistic")
    cores = f"{m['cores']} cores" + (f" ({m['usable_cores']} usable)"
                                     if m.get("usable_cores") not in (None, m["cores"]) else "")
    lines = [
        "# Benchmarks",
        "",
        "Written by `python benchmarks/run.py` (each size names the command that measured it); "
        "rerun it rather than editing this file, except between `<!-- hand:NAME -->` markers: "
        "those sections (written by hand, or by `run.py --section NAME`) are carried over "
        "verbatim, after the generated ones. Targets are those of issue 7, judged on the "
        "`realistic` profile of the generator; they are measured here, never as timed unit "
        "tests. The other profiles (the `dense` stress test, on which issue 15's targets "
        "are judged too, and the first generator's `saturated` one) follow at the end.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {cores}; RAM {m['ram_gib']} GiB; {m['os']}",
        f"- Python {m['python']}, PyYAML {m['pyyaml']} "
        f"({'with libyaml: CSafeLoader is the C loader' if m['libyaml'] else 'WITHOUT libyaml'}),"
        f" pydantic {m['pydantic']}",
        "- The machine is a shared VM: wall times are noisy (the same run varies by up to 30%); "
        "CPU times (user + system of the measured process) are steadier. The load average "
        "is given per size.",
        "",
    ]
    lines += _profile_sections(sizes, "##", "realistic")
    lines += _method()
    for profile, (title, intro) in OTHER_PROFILES.items():
        got = _sizes(results, profile)
        if got:
            lines += [f"## {title}", "", intro, ""]
            lines += _profile_sections(got, "###", profile)
    return "\n".join(lines)


# the profiles reported after the realistic one: (section title, what the profile is)
OTHER_PROFILES = {
    "dense": (
        "Stress test: the `dense` profile",
        "`generate.py --profile dense`: the support desk of issue 15 (20% region × plan "
        "rules from 12 regions and 5 plans, half with a `ticket_age_days` range; 55% "
        "per-customer rules from a pool of n/2 customers, so customers collide, often with "
        "another action; 15% CIDR allowlists; 10% email prefix + plan; 5 actions; 10% with "
        "priorities; 2% copies): hundreds of earlier rules overlap a typical rule, and about "
        "half of the rules never decide. Issue 7's targets are shown for reference; issue "
        "15's are judged on this profile too.",
    ),
    "saturated": (
        "The first generator: the `saturated` profile",
        "`generate.py --profile saturated`: region, plan and product from fixed pools (96 "
        "products), and every later rule of a customer with a plain exception is narrower, "
        "so the pools saturate as n grows (39% of the rules are dead at 10k, 53% at 100k). "
        "Shown for reference: no target is judged on it.",
    ),
    "acl": (
        "ClassBench-like ACLs: the `acl` profile",
        "`generate.py --profile acl` (measured only when named in `--profiles`): five-field "
        "firewall ACLs whose boxes overlap heavily. Shown for reference.",
    ),
}


def _profile_sections(sizes: list[dict[str, Any]], h: str, profile: str) -> list[str]:
    if not sizes:
        return [f"{h} Targets", "", f"(no results for the {profile} profile yet)", ""]
    lines = [
        f"{h} Targets",
        "",
        *targets(sizes),
        *targets15(sizes, profile),
        f"{h} Compression reached by suggest-merge",
        "",
        *compression(sizes),
        f"{h} Scaling exponents",
        "",
        "log(t_large / t_small) / log(n_large / n_small), on wall and on CPU time; 1.0 is "
        "linear, n log n from 10k to 100k is about 1.1, 2.0 is quadratic. `≥` marks a lower "
        "bound from a timeout; (tiny): under 20 ms, noise. Subprocess phases include the fixed "
        "startup, which flattens small sizes.",
        "",
        *scaling(sizes),
        f"{h} Results per size",
        "",
        "wall s: the measured call for (a)–(d) (file already read, imports done), the whole "
        "process for startup, (e) and (f). Peak RSS: the process's maximum resident set "
        "(for passes: the high-water mark of the passes process after that pass). "
        "× (a): wall time over the yardstick's.",
        "",
    ]
    for s in sizes:
        lines.extend(size_table(s, h + "#"))
    return lines


def _method() -> list[str]:
    return [
        "## Method",
        "",
        "- Rule files: `python benchmarks/generate.py --rules N [--profile dense]` (seeded, "
        "deterministic): per-customer exceptions that pile up, region/plan/product "
        "combinations with `ticket_age_days` ranges (staircases of adjacent ranges), CIDR "
        "allowlists (/24, /28, adjacent pairs, IPv6), subject prefixes, a few `not_in`, a few "
        "percent duplicates and covered rules, some priorities, disabled and expiring rules; "
        "`fields:` declared; `limits: {max_rules: ceil(1.05 n)}`. In the `realistic` profile "
        "the keys that grow with a company (customers, products) grow with n, so about 8% of "
        "the rules are dead at every size; see the generator's docstring.",
        "- `--repeat N`: every row is the fastest of N runs; each pass keeps its own fastest "
        "run (a pass slowed by another job in one run does not set its exponent). On this VM "
        "a single run's exponent can be off by ±0.1.",
        "- Every phase runs in a fresh process (`benchmarks/phase.py`), so its peak RSS is its own "
        "(`os.wait4` rusage of that child). `check` runs with `--today " + TODAY + "` and an "
        "empty config file.",
        "- Reproduce one size: `python benchmarks/run.py --sizes 10000 --out /tmp/b.md`; one "
        "phase: add `--phases check`; one profile: `--profiles dense`.",
        "",
    ]


# --- sections kept across regenerations --------------------------------------------------

HAND_OPEN = re.compile(r"^<!-- hand:([A-Za-z0-9_.-]+) -->[ \t]*$")


class HandSectionError(ValueError):
    pass


def _hand_spans(text: str, where: str) -> list[tuple[str, int, int]]:
    """(name, start, end) character offsets of each ``<!-- hand:NAME -->`` …
    ``<!-- /hand:NAME -->`` block, the marker lines and the closing line's break included."""
    out: list[tuple[str, int, int]] = []
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    i = 0
    while i < len(lines):
        m = HAND_OPEN.match(lines[i].rstrip("\r\n"))
        if m is None:
            i += 1
            continue
        name, close = m.group(1), f"<!-- /hand:{m.group(1)} -->"
        j = next((k for k in range(i + 1, len(lines)) if lines[k].strip() == close), None)
        if j is None:
            raise HandSectionError(
                f"{where}:{i + 1}: `<!-- hand:{name} -->` has no `{close}` line; close the "
                "section, or regenerating would drop it (nothing was written)")
        if any(n == name for n, _, _ in out):
            raise HandSectionError(f"{where}:{i + 1}: a second section named {name!r}; "
                                   "rename one (nothing was written)")
        out.append((name, starts[i], starts[j + 1]))
        i = j + 1
    return out


def hand_sections(text: str, where: str = "BENCHMARKS.md") -> list[tuple[str, str]]:
    """The hand sections of ``text`` in order: (name, the block verbatim with its marker
    lines, ending with a line break)."""
    out = []
    for name, a, b in _hand_spans(text, where):
        block = text[a:b]
        out.append((name, block if block.endswith("\n") else block + "\n"))
    return out


def with_hand_sections(generated: str, old: str | None, where: str = "BENCHMARKS.md") -> str:
    """``generated`` followed by the hand sections of ``old`` (the file it replaces)."""
    blocks = hand_sections(old, where) if old else []
    if not blocks:
        return generated
    return generated.rstrip("\n") + "\n" + "".join("\n" + b for _, b in blocks)


def write_report(path: Path, results: dict[str, Any]) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(with_hand_sections(report(results), old, str(path)), encoding="utf-8")


def put_section(text: str, name: str, block: str, where: str = "BENCHMARKS.md") -> str:
    """``text`` with the hand section ``name`` replaced by ``block`` (appended if new)."""
    for n, a, b in _hand_spans(text, where):
        if n == name:
            return text[:a] + block + text[b:]
    return (text.rstrip("\n") + "\n\n" if text.strip() else "") + block


def figure_section(name: str, measured: list[dict[str, Any]]) -> str:
    """A hand-style section with the rows of a ``--section`` run (one size per profile)."""
    ns = sorted({s["n"] for s in measured})
    profiles = list(dict.fromkeys(s["profile"] for s in measured))
    phases = list(dict.fromkeys(_phase_of(r["key"]) for s in measured for r in s["rows"]))
    first = measured[0]
    loads = [x for s in measured for x in s["loadavg"]]
    lines = [
        f"<!-- hand:{name} -->",
        f"## {' and '.join(f'{n:,}' for n in ns)} rules: "
        f"{', '.join('`' + p.replace('_', '-') + '`' for p in phases)} "
        f"({' and '.join(profiles)} profile{'s' if len(profiles) > 1 else ''})",
        "",
        f"Written by `{first['command']}` (`--section {name}`: this section is its own and "
        "is kept by later regenerations; rerun that command to refresh it) at commit "
        f"{first['commit']}, {first['measured_at']}; load average during the run "
        f"{min(loads)}–{max(loads)}; timeout {first['timeout']:.0f} s per phase. Each phase "
        "is a fresh process: wall and CPU time (user + system) and peak RSS are its own.",
        "",
        "| profile | rules | file MB | phase | wall s | CPU s | peak RSS MiB | notes |",
        "|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for s in measured:
        for r in s["rows"]:
            wall, cpu = fmt_s(r["seconds"]), fmt_s(r["cpu"])
            if r["status"] == "timeout":
                wall = f"> {wall}"
            lines.append(f"| {s['profile']} | {s['n']:,} | {s['bytes'] / 1e6:.1f} | "
                         f"{label(r['key'])} | {wall} | {cpu} | {fmt_mib(r['rss_kib'])} | "
                         f"{describe(r)} |")
    lines += ["", f"<!-- /hand:{name} -->", ""]
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        p = part.strip().lower().replace("_", "")
        if not p:
            continue
        mult = 1000 if p.endswith("k") else 1
        out.append(int(p.rstrip("k")) * mult)
    if not out or any(n < 1 for n in out):
        raise argparse.ArgumentTypeError("sizes are positive integers, e.g. 1000,10k,100000")
    return out


def parse_profiles(text: str) -> list[str]:
    out = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in out if p not in generate.PROFILES]
    if not out or bad:
        raise argparse.ArgumentTypeError(
            f"unknown profile {bad[0] if bad else text!r}; choose from "
            f"{', '.join(generate.PROFILES)}")
    return out


def parse_phases(text: str) -> list[str]:
    out = [p.strip().replace("-", "_") for p in text.split(",") if p.strip()]
    bad = [p for p in out if p not in PHASES]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown phase {bad[0]!r}; choose from {', '.join(PHASES)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark rulelint; write BENCHMARKS.md.")
    ap.add_argument("--sizes", type=parse_sizes, default=list(generate.DEFAULT_SIZES))
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per phase")
    ap.add_argument("--phases", type=parse_phases, default=list(PHASES))
    ap.add_argument("--repeat", type=int, default=1, help="runs per phase; the fastest is kept")
    ap.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    ap.add_argument("--profiles", type=parse_profiles, default=list(generate.MEASURED_PROFILES),
                    help="generator profiles to measure (default: "
                         f"{','.join(generate.MEASURED_PROFILES)})")
    ap.add_argument("--fresh", action="store_true",
                    help="forget earlier results instead of keeping other sizes")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: rewrite --out from benchmarks/out/results.json")
    ap.add_argument("--results", type=Path, default=OUT / "results.json",
                    help="where results are kept (default benchmarks/out/results.json)")
    ap.add_argument("--section", metavar="NAME", type=_section_name,
                    help="write these measurements into their own section "
                         "<!-- hand:NAME --> of --out (kept by regenerations), not into "
                         "the per-size tables or --results")
    args = ap.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    store = args.results
    if args.section and args.report_only:
        ap.error("--section measures; --report-only measures nothing: choose one")
    try:
        old_out = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        hand_sections(old_out, str(args.out))  # refuse before measuring, not after
    except HandSectionError as exc:
        ap.error(str(exc))
    if args.section:
        return _measure_section(args, argv, old_out)
    results: dict[str, Any] = {"profiles": {}}
    if store.exists() and not args.fresh:
        try:
            results = json.loads(store.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            results = {"profiles": {}}
        if "profiles" not in results:  # written before the profiles: the dense generator
            results = {"profiles": {"dense": {"sizes": results.get("sizes", {})}}}
    if args.report_only:
        if not any(p.get("sizes") for p in results["profiles"].values()):
            ap.error("--report-only: no results yet in benchmarks/out/results.json")
        results.setdefault("machine", machine())
        write_report(args.out, results)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    results["machine"] = machine()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    for profile in args.profiles:
        for n in args.sizes:
            _measure_into(results, profile, n, args, argv, log)
            store.write_text(json.dumps(results, indent=1), encoding="utf-8")
            write_report(args.out, results)
    log(f"wrote {args.out}")
    return 0


def _measure_into(results: dict[str, Any], profile: str, n: int, args, argv, log) -> None:
    got = measure_size(n, args.seed, profile, args.timeout, args.phases, args.repeat,
                       lambda msg: log(f"{profile} {msg}"))
    sizes = results["profiles"].setdefault(profile, {"sizes": {}})["sizes"]
    old = sizes.get(str(n))
    got["command"] = _argv_line(argv)
    if old and old.get("seed") == args.seed and set(args.phases) != set(PHASES):
        # a partial rerun (--phases) replaces only the phases it ran; the header says both
        keep = [r for r in old["rows"] if _phase_of(r["key"]) not in args.phases]
        got["rows"] = _ordered(keep + got["rows"])
        got["command"] = f"{old.get('command', '?')}, then {got['command']}"
        got["commit"] = f"{old.get('commit', '?')}, then {got['commit']}"
    sizes[str(n)] = got


def _section_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        raise argparse.ArgumentTypeError(f"{text!r}: a section name is letters, digits, . _ -")
    return text


def _measure_section(args, argv, text: str) -> int:
    """``--section NAME``: measure every profile × size and (re)write that one section of
    ``--out`` after each, so a run stopped later still leaves what it measured."""
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    measured: list[dict[str, Any]] = []
    for profile in args.profiles:
        for n in args.sizes:
            got = measure_size(n, args.seed, profile, args.timeout, args.phases, args.repeat,
                               lambda msg, profile=profile: log(f"{profile} {msg}"))
            got["command"] = _argv_line(argv)
            measured.append(got)
            text = put_section(text, args.section, figure_section(args.section, measured),
                               str(args.out))
            args.out.write_text(text, encoding="utf-8")
    log(f"wrote the section {args.section!r} of {args.out}")
    return 0


def _phase_of(key: str) -> str:
    return "passes" if key.startswith(("pass.", "passes.")) else key


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: PHASES.index(_phase_of(r["key"])))


def _argv_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return " ".join(["python benchmarks/run.py", *args])


if __name__ == "__main__":
    sys.exit(main())
