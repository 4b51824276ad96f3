"""Real git repositories in temporary directories, with commit dates under control."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, date: str | None = None) -> str:
        env = dict(os.environ)
        env.pop("GIT_DIR", None)
        env.pop("GIT_WORK_TREE", None)
        if date is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        out = subprocess.run(
            ["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True
        )
        return out.stdout

    def write(self, rel: str, text: str) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    def commit(self, when: dt.date | dt.datetime | str, message: str = "change") -> str:
        """Stage everything and commit with author and committer date ``when`` (noon UTC for
        a date)."""
        if isinstance(when, dt.datetime):
            stamp = when.isoformat()
        elif isinstance(when, dt.date):
            stamp = f"{when.isoformat()}T12:00:00+00:00"
        else:
            stamp = when
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=stamp)
        return self.git("rev-parse", "HEAD").strip()


def rules_text(ids: list[str], *, ruleset: str | None = None, max_rules: int | None = None,
               extra: str = "") -> str:
    """A block-style rule file with one small rule per id."""
    head = ""
    if ruleset:
        head += f"ruleset: {ruleset}\n"
    if max_rules is not None:
        head += f"limits: {{max_rules: {max_rules}}}\n"
    body = "".join(
        f"  - id: {i}\n    action: escalate\n    match: {{customer_id: C-{i}}}\n{extra}"
        for i in ids
    )
    return head + "rules:\n" + body if ids else head + "rules: []\n"
