"""Deterministic events (JSON Lines) for ``rulelint eval --events`` benchmarks.

    python benchmarks/events.py RULES.yaml -n 5000 -o events.jsonl [--seed 7]

Three events in four are built from a rule picked at random (a value that satisfies each
of its conditions, so the rule, or an earlier one, decides), the rest carry random values
of the same fields (most match nothing). The same (rules, n, seed) gives the same bytes.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
from pathlib import Path

from rulelint.load.loading import load_file, to_plain

FIELDS = ("plan", "region", "product", "channel", "customer_id", "category", "subject",
          "ticket_age_days", "source_ip")


def _satisfy(cond, rng: random.Random):
    if not isinstance(cond, dict):
        values = cond if isinstance(cond, list) else [cond]
        return rng.choice(values)
    if "range" in cond:
        lo, hi = cond["range"]
        return rng.randint(lo, hi)
    if "gte" in cond or "gt" in cond:
        lo = cond.get("gte", cond.get("gt", 0) + 1)
        return lo + rng.randint(0, 30)
    if "lte" in cond or "lt" in cond:
        hi = cond.get("lte", cond.get("lt", 1) - 1)
        return max(0, hi - rng.randint(0, 3))
    if "cidr" in cond:
        nets = cond["cidr"] if isinstance(cond["cidr"], list) else [cond["cidr"]]
        net = ipaddress.ip_network(rng.choice(nets), strict=False)
        return str(net.network_address + min(1, net.num_addresses - 1))
    if "prefix" in cond:
        p = cond["prefix"]
        return (rng.choice(p) if isinstance(p, list) else p) + " something happened"
    if "not_in" in cond:
        return f"other-{rng.randint(0, 10**6)}"
    if "glob" in cond:
        g = cond["glob"]
        return (rng.choice(g) if isinstance(g, list) else g).replace("*", "x").replace("?", "y")
    return "?"


def _random_value(field: str, rng: random.Random):
    if field == "ticket_age_days":
        return rng.randint(0, 400)
    if field == "source_ip":
        return f"192.0.2.{rng.randint(1, 254)}"
    return f"{field}-{rng.randint(0, 10**6)}"


def make_events(rules: list[dict], n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rules and rng.random() < 0.75:
            match = rng.choice(rules).get("match") or {}
            out.append({f: _satisfy(c, rng) for f, c in match.items()})
        else:
            fields = rng.sample(FIELDS, rng.randint(1, 4))
            out.append({f: _random_value(f, rng) for f in fields})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rules", type=Path)
    ap.add_argument("-n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args(argv)
    doc = load_file(args.rules)
    rules = [r for r in to_plain(doc.data or {}).get("rules", []) if isinstance(r, dict)]
    events = make_events(rules, args.n, args.seed)
    args.out.write_text("".join(json.dumps(e, default=str) + "\n" for e in events))
    print(f"wrote {len(events)} events to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
