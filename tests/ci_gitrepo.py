"""A real git repository in a tmp dir, with controlled dates, for the CI-integration tests
(``--base``, ``rulelint diff``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

DATE = "2026-01-{day:02d}T12:00:00+00:00"


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.day = 1
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test User")
        self.git("config", "user.email", "test@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        env = dict(os.environ)
        date = DATE.format(day=self.day)
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date, LC_ALL="C")
        for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            env.pop(k, None)
        out = subprocess.run(
            ["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True
        )
        return out.stdout

    def write(self, rel: str, text: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        self.day += 1
        return self.git("rev-parse", "HEAD").strip()


def rules_file(rules: str, *, ruleset: str = "support", header: str = "") -> str:
    """A rule file: ``rules`` is the indented YAML list under ``rules:``."""
    return f"ruleset: {ruleset}\n{header}rules:\n{rules}"
