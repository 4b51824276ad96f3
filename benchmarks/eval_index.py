"""Per-event cost of deciding events by a scan of every rule and through the event index.

    python benchmarks/eval_index.py RULES.yaml EVENTS.jsonl [--events 300]

Loads the rules once, then decides the first ``--events`` events with ``evaluate.decide``
(every rule) and with ``evaluate.decide_indexed`` (``EventIndex`` candidates), checks that
the answers are equal, and prints CPU milliseconds per event, the index build time and the
mean number of candidates per event (BENCHMARKS.md, "Many events").
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rulelint.engine import load_rules
from rulelint.evaluate import EventIndex, decide, decide_indexed
from rulelint.load.config import resolve_settings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rules", type=Path)
    ap.add_argument("events", type=Path)
    ap.add_argument("--events", dest="count", type=int, default=300)
    args = ap.parse_args(argv)
    project = load_rules([args.rules], resolve_settings())
    rs = next(iter(project.rulesets.values()))
    with args.events.open() as fh:
        events = [json.loads(line) for line, _ in zip(fh, range(args.count), strict=False)]
    t = time.process_time()
    index = EventIndex(rs)
    build = time.process_time() - t
    t = time.process_time()
    scanned = [decide(rs, e).actions for e in events]
    scan = time.process_time() - t
    t = time.process_time()
    indexed = [decide_indexed(rs, e, index).actions for e in events]
    fast = time.process_time() - t
    assert scanned == indexed, "the index changed a decision"
    candidates = sum(len(index.candidates(index.prepare(e))) for e in events) / len(events)
    print(f"{len(rs.rules)} rules, {len(events)} events: scan {scan / len(events) * 1e3:.2f} "
          f"ms/event; index build {build:.2f} s, indexed {fast / len(events) * 1e3:.3f} "
          f"ms/event, {candidates:.1f} candidates/event, {len(index.unfiled)} rules unfiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
