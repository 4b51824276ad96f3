"""``python -m tests.fuzz --minutes 60 --out DIR [--seed N]``: the long fuzz run.

Prints one line per new failure and a summary; the results directory holds each failure's
input, minimised input, command and output, and summary.json. Failures of the known families
(known.py, being fixed on other branches) are counted apart, with one example each. Exit 1
when it found anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .known import known_family
from .loop import run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=None, help="stop after this long")
    ap.add_argument("--mutants", type=int, default=None, help="stop after this many cases")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock (printed)")
    ap.add_argument("--out", type=Path, default=Path("fuzz-results"))
    ap.add_argument("--timeout", type=float, default=30.0, help="time bound per call, seconds")
    ap.add_argument("--quick", action="store_true", help="3 check formats per case, fewer events")
    ap.add_argument("--subprocess", action="store_true", help="run each call as python -m rulelint")
    ap.add_argument("--subprocess-every", type=int, default=25, metavar="N",
                    help="run every N-th case as real processes (0: never)")
    ap.add_argument("--no-minimize", action="store_true")
    ap.add_argument("--no-known", action="store_true",
                    help="count the known families (tests/fuzz/known.py) as failures too")
    args = ap.parse_args(argv)
    if args.minutes is None and args.mutants is None:
        args.minutes = 10.0
    seed = args.seed if args.seed is not None else int(time.time())
    print(f"fuzz: seed {seed}, results in {args.out}", flush=True)
    res = run(seed, mutants=args.mutants, minutes=args.minutes, out=args.out, timeout=args.timeout,
              full=not args.quick, minimize=not args.no_minimize, subprocess_mode=args.subprocess,
              subprocess_every=args.subprocess_every,
              known=None if args.no_known else known_family, log=lambda s: print(s, flush=True))
    s = res.summary()
    s.pop("kept")
    print(json.dumps(s, indent=2, ensure_ascii=False))
    return 1 if res.by_signature else 0


if __name__ == "__main__":
    sys.exit(main())
