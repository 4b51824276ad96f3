"""Which files to read: command-line paths, config globs, or the default locations."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from rulelint.config import CONFIG_NAMES, DEFAULT_PATHS, ConfigError, Settings

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  # absolute
    display: str  # as shown to the user: relative to the current directory when inside it


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


def _walk_dir(d: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(d, followlinks=False):
        dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
        for name in filenames:
            if name.endswith(YAML_SUFFIXES) and name not in CONFIG_NAMES and not name.startswith("."):
                out.append(Path(dirpath) / name)
    return sorted(out)


def _expand_glob(pattern: str, base: Path) -> list[Path]:
    full = pattern if os.path.isabs(pattern) else str(base / pattern)
    return sorted(Path(p) for p in glob.glob(full, recursive=True))


def discover(paths: list[Path] | None, settings: Settings) -> tuple[list[SourceFile], bool]:
    """Return the files to read (sorted by path, deduplicated) and whether defaults were used.

    Explicit paths may be files (any name) or directories (every *.yaml/*.yml inside, hidden
    ones skipped). Config globs are relative to the config file and must stay inside the
    project root unless ``allow_outside_root: true``.
    """
    cwd = settings.cwd
    found: list[Path] = []
    used_default = False
    if paths:
        for p in paths:
            ap = p if p.is_absolute() else cwd / p
            if ap.is_dir():
                found.extend(_walk_dir(ap))
            elif ap.exists() or ap.is_symlink():
                found.append(ap)
            elif any(ch in str(p) for ch in "*?["):
                found.extend(_expand_glob(str(p), cwd))
            else:
                raise ConfigError(f"{p}: no such file or directory")
    else:
        cfg_paths = settings.config.paths
        rs_paths = [g for rs in settings.config.rulesets.values() for g in (rs.paths or [])]
        if cfg_paths or rs_paths:
            base = settings.root
            for pattern in [*(cfg_paths or []), *rs_paths]:
                for m in _expand_glob(pattern, base):
                    if not settings.config.allow_outside_root and not _inside(m, settings.root):
                        raise ConfigError(
                            f"config path {pattern!r} matches {m}, outside the project root "
                            f"{settings.root}; set allow_outside_root: true to allow it"
                        )
                    if m.is_file() or m.is_symlink():
                        found.append(m)
        else:
            used_default = True
            for pattern in DEFAULT_PATHS:
                found.extend(m for m in _expand_glob(pattern, cwd) if m.is_file())
    seen: set[Path] = set()
    out: list[SourceFile] = []
    for f in sorted(found, key=lambda x: display_path(x.absolute(), cwd)):
        key = f.absolute()
        if key in seen:
            continue
        seen.add(key)
        out.append(SourceFile(key, display_path(key, cwd)))
    return out, used_default
