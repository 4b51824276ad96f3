"""Many small rule files against the same rules in one file (issue 19, item 4).

    python benchmarks/many_files.py --rules 5000 --out /tmp/many

writes two git repositories under ``--out``: ``one/`` (one file of N rules) and ``many/``
(N files of one rule each, 100 per directory), the same rules, committed once, none with a
``reviewed``/``created`` date (so RL403 needs the git dates of every rule). Time them with
any whole-process timer, e.g. ``/usr/bin/time -v rulelint check --format json`` in each.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

HEADER = "ruleset: support\nlimits: {max_rules: 100000}\n"


def rule(i: int) -> str:
    return (f"  - id: r{i}\n    action: {'escalate' if i % 3 else 'skip_autoclose'}\n"
            f"    match: {{customer_id: C-{i:06d}, region: [JP, KR]}}\n"
            f"    owner: team{i % 7}@example.com\n")


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2025-01-10T12:00:00+00:00",
           "GIT_COMMITTER_DATE": "2025-01-10T12:00:00+00:00"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_repo(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "bench")
    git(path, "config", "user.email", "bench@example.com")
    git(path, "config", "commit.gpgsign", "false")
    (path / "rulelint.yaml").write_text('paths: ["rules/**/*.yaml"]\n', encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=int, default=5000)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    one, many = a.out / "one", a.out / "many"
    for repo in (one, many):
        make_repo(repo)
    (one / "rules").mkdir()
    (one / "rules" / "all.yaml").write_text(HEADER + "rules:\n" + "".join(rule(i) for i in range(a.rules)))
    for i in range(a.rules):
        d = many / "rules" / f"d{i // 100:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"r{i:06d}.yaml").write_text(HEADER + "rules:\n" + rule(i), encoding="utf-8")
    for repo in (one, many):
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "rules")
    print(f"wrote {one} and {many}")


if __name__ == "__main__":
    main()
