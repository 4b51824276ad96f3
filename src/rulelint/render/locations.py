"""Paths as CI systems want them: relative to the repository root, with forward slashes.

Findings carry display paths (relative to the current directory). GitHub annotations and
SARIF need paths relative to the checkout root, which differs when rulelint runs in a
subdirectory; this turns one into the other without asking git (it looks for ``.git``).
"""

from __future__ import annotations

import os
from pathlib import Path

from rulelint.load.config import Settings, find_git_root


class RepoPaths:
    """Maps display paths to repository-relative POSIX paths (None when outside the repo)."""

    def __init__(self, settings: Settings) -> None:
        self.cwd = settings.cwd
        self.root = find_git_root(settings.cwd) or settings.root
        self._cache: dict[str, str | None] = {}

    def absolute(self, display: str) -> Path:
        p = Path(display)
        return p if p.is_absolute() else Path(os.path.normpath(self.cwd / p))

    def relative(self, display: str) -> str | None:
        if display in self._cache:
            return self._cache[display]
        try:
            rel: str | None = self.absolute(display).relative_to(self.root).as_posix()
        except ValueError:
            rel = None
        self._cache[display] = rel
        return rel

    def best(self, display: str) -> str:
        """Repository-relative when possible, else the absolute path."""
        rel = self.relative(display)
        return rel if rel is not None else self.absolute(display).as_posix()
