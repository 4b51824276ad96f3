"""One benchmark phase, run in a fresh process by ``benchmarks/run.py``.

    python benchmarks/phase.py PHASE RULES_FILE CONFIG_FILE TODAY [--skip pass1,pass2]

Prints one JSON object per line on stdout, flushed as soon as it is known, so that a phase
killed by the runner's timeout still leaves what it finished. Times are taken around the
measured call only (the file is read before, imports are done before); the runner adds the
process's own wall time and peak RSS from ``wait4``.

Phases: ``yaml_c`` (``yaml.load`` with ``CSafeLoader``, the yardstick), ``parse_text``
(``rulelint.load.loading.parse_text``), ``load_rules`` (``engine.load_rules``: read, parse,
validate, conditions, kinds), ``passes`` (``load_rules`` and then every pass of
``passes.all_passes()`` in order, each ``run(ctx)`` fully consumed, one line per pass).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def emit(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields, default=str) + "\n")
    sys.stdout.flush()


class Timer:
    def __enter__(self) -> Timer:
        self.rss_before = _rss_kib()
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0
        self.rss_after = _rss_kib()

    def fields(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "cpu": self.cpu,
                "rss_kib_before": self.rss_before, "rss_kib": self.rss_after}


def yaml_c(path: Path) -> None:
    import yaml

    text = path.read_text(encoding="utf-8")
    with Timer() as t:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    emit(event="result", **t.fields(), info={"rules": len(data.get("rules") or [])})


def parse_text(path: Path) -> None:
    from rulelint.load.loading import parse_text as parse

    text = path.read_text(encoding="utf-8")
    with Timer() as t:
        doc = parse(text, path.name)
    emit(event="result", **t.fields(), info={"problems": len(doc.problems)})


def _settings(config: Path, today: str):
    from rulelint.load.config import resolve_settings

    return resolve_settings(config=config, cwd=config.parent, today=dt.date.fromisoformat(today))


def load_rules(path: Path, config: Path, today: str) -> None:
    from rulelint.engine import load_rules as load

    settings = _settings(config, today)
    with Timer() as t:
        project = load([path], settings)
    emit(event="result", **t.fields(),
         info={"rules": project.rule_count, "findings": len(project.findings)})


def passes(path: Path, config: Path, today: str, skip: set[str]) -> None:
    from rulelint.engine import load_rules as load
    from rulelint.engine import make_enabled
    from rulelint.passes import Context, all_passes
    from rulelint.util.gcpause import paused_gc

    settings = _settings(config, today)
    with Timer() as t:
        project = load([path], settings)
    emit(event="load", **t.fields(), info={"rules": project.rule_count})
    enabled = make_enabled(settings)
    ctx = Context(project, settings, enabled)
    with paused_gc():  # as engine.analyse runs them in `rulelint check`
        _run_passes(ctx, enabled, skip, all_passes())
    emit(event="done")


def _run_passes(ctx, enabled, skip: set[str], passes) -> None:
    for p in passes:
        if p.name in skip:
            emit(event="skipped", name=p.name)
            continue
        if not any(enabled(c) for c in p.codes):
            emit(event="disabled", name=p.name)
            continue
        emit(event="start", name=p.name)
        with Timer() as t:
            found = list(p.run(ctx))
        counts: dict[str, int] = {}
        for f in found:
            counts[f.code] = counts.get(f.code, 0) + 1
        info: dict[str, Any] = {"findings": counts}
        if p.name == "mergeable" and "mergeable_slots" in ctx.cache:
            # what the planner frees without the proof: the compression estimate
            info["mergeable_slots"] = sum(ctx.cache["mergeable_slots"].values())
        emit(event="pass", name=p.name, **t.fields(), info=info)


def main(argv: list[str]) -> int:
    phase, rules, config, today, *rest = argv
    skip: set[str] = set()
    if rest[:1] == ["--skip"] and len(rest) > 1:
        skip = {s for s in rest[1].split(",") if s}
    path, cfg = Path(rules), Path(config)
    if phase == "yaml_c":
        yaml_c(path)
    elif phase == "parse_text":
        parse_text(path)
    elif phase == "load_rules":
        load_rules(path, cfg, today)
    elif phase == "passes":
        passes(path, cfg, today, skip)
    else:
        print(f"unknown phase {phase!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
