"""Generate a git repository with a long rule history, to time ``rulelint history``.

    python benchmarks/history_repo.py /tmp/hist-repo --commits 2000
    cd /tmp/hist-repo && time rulelint history --today 2027-12-31

Deterministic (seeded). Two rulesets grow over about two years of commits (one per ~8 hours
on average), with clean-ups now and then and commits that touch other files only; the files
are block-style YAML with quoted scalars, flow mappings and comments, as people write them.
Built with one ``git fast-import`` stream, so even thousands of commits take seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
from pathlib import Path

HEADER = {
    "support": "ruleset: support-exceptions\nlimits: {max_rules: 900, warn_ratio: 0.8}\n",
    "network": "# firewall allowlist\nruleset: \"network-allow\"\nsemantics: any-match\n"
               "limits: {max_rules: 400}\n",
}


def _rule(kind: str, k: int, rnd: random.Random) -> str:
    if kind == "support":
        region = rnd.choice(["JP", "KR", "US", "DE"])
        return (
            f"  - id: cs-{k}\n"
            f"    action: {rnd.choice(['escalate', 'skip_autoclose', 'extend_sla'])}\n"
            f"    match:\n"
            f"      region: [{region}]\n"
            f"      customer_id: C-{100000 + k}\n"
            f"      subject: {{prefix: \"[URGENT-{k % 7}]\"}}\n"
            f"    owner: cs-ops@example.com\n"
            f"    created: 2025-0{1 + k % 9}-1{k % 10}\n"
        )
    return (
        f"  - {{id: net-{k}, action: allow, "
        f"match: {{source_ip: {{cidr: \"10.{k // 256 % 256}.{k % 256}.0/24\"}}}}}}\n"
    )


def generate(dest: Path, commits: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    rules: dict[str, list[str]] = {"support": [], "network": []}
    next_id = {"support": 0, "network": 0}
    for kind, n in (("support", 120), ("network", 40)):
        for _ in range(n):
            rules[kind].append(_rule(kind, next_id[kind], rnd))
            next_id[kind] += 1
    when = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
    out = bytearray()

    def data(b: bytes) -> None:
        out.extend(b"data %d\n" % len(b))
        out.extend(b)
        out.extend(b"\n")

    for i in range(commits):
        when += dt.timedelta(minutes=rnd.randint(30, 900))
        out.extend(b"commit refs/heads/main\n")
        out.extend(b"committer Bench <bench@example.com> %d +0000\n" % int(when.timestamp()))
        data(f"change {i}".encode())
        roll = rnd.random()
        if roll < 0.1:
            out.extend(b"M 100644 inline README.md\n")
            data(f"notes {i}\n".encode())
            continue
        kind = "support" if roll < 0.8 or i == 0 else "network"
        if rnd.random() < 0.03 and len(rules[kind]) > 50:  # a clean-up
            for _ in range(rnd.randint(5, 30)):
                rules[kind].pop(rnd.randrange(len(rules[kind])))
        else:
            for _ in range(rnd.choice([1, 1, 1, 2, 3])):
                rules[kind].append(_rule(kind, next_id[kind], rnd))
                next_id[kind] += 1
        text = HEADER[kind] + "rules:\n" + "".join(rules[kind])
        out.extend(f"M 100644 inline rules/{kind}.yaml\n".encode())
        data(text.encode())
        if i == 0:
            text = HEADER["network"] + "rules:\n" + "".join(rules["network"])
            out.extend(b"M 100644 inline rules/network.yaml\n")
            data(text.encode())
    dest.mkdir(parents=True, exist_ok=False)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=dest, input=bytes(out), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=dest, check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    generate(args.dest, args.commits, args.seed)


if __name__ == "__main__":
    main()
