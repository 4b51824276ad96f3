"""Which files to read: command-line paths, config globs, or the default locations.

The path ``-`` is the rule file read from stdin (``Settings.stdin``): it is shown by its
``--stdin-filename`` (relative to the current directory), else as ``-``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rulelint.load.config import CONFIG_NAMES, DEFAULT_PATHS, ConfigError, Settings
from rulelint.load.globs import _MAGIC, glob_regex

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  # absolute
    display: str  # as shown to the user: relative to the current directory when inside it
    data: bytes | None = None  # the file's bytes when they came from stdin, not from path


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves inside ``root`` (already resolved: once per run, not per
    file)."""
    try:
        path.resolve().relative_to(root)
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


def glob_base(pattern: str, base: Path) -> tuple[Path, str]:
    """Split a glob into the directory before its first wildcard and the rest."""
    full = Path(pattern) if os.path.isabs(pattern) else base / pattern
    parts = full.parts
    for i, part in enumerate(parts):
        if _MAGIC.search(part):
            return Path(*parts[:i]), "/".join(parts[i:])
    return full, ""


def _expand_glob(pattern: str, base: Path, root: Path | None = None) -> list[Path]:
    """Files matching a glob, walking the tree without following directory symlinks (a link
    loop cannot make this hang). With ``root``, refuse a pattern that starts outside it
    before walking anything."""
    start, rest = glob_base(pattern, base)
    if root is not None and not _inside(start, root):
        raise ConfigError(
            f"config path {pattern!r} points outside the project root {root}; "
            "set allow_outside_root: true to allow it"
        )
    if not rest:
        return [start] if start.exists() or start.is_symlink() else []
    if not start.is_dir():
        return []
    rx = glob_regex(rest)
    found = []
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, start)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        for name in sorted(filenames + dirnames):  # a directory named x.yaml is reported
            if rx.match(rel_dir + name):
                found.append(Path(dirpath) / name)
    return sorted(found)


def discover(paths: list[Path] | None, settings: Settings) -> tuple[list[SourceFile], bool]:
    """Return the files to read (sorted by path, deduplicated) and whether defaults were used.

    Explicit paths may be files (any name) or directories (every *.yaml/*.yml inside, hidden
    ones skipped). Config globs are relative to the config file and must stay inside the
    project root unless ``allow_outside_root: true``.
    """
    cwd = settings.cwd
    found: list[Path] = []
    used_default = False
    stdin_file: SourceFile | None = None
    if paths:
        for p in paths:
            if str(p) == "-":
                stdin_file = stdin_file or _stdin_source(settings)
                continue
            ap = p if p.is_absolute() else cwd / p
            if ap.is_dir():
                inside = _walk_dir(ap)
                if not inside and ap.name.endswith(YAML_SUFFIXES):
                    found.append(ap)  # `x.yaml` that is a directory: reported as RL001
                elif not inside:
                    raise ConfigError(f"{p}: a directory with no *.yaml or *.yml files in it")
                found.extend(inside)
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
            root = None if settings.config.allow_outside_root else settings.root
            real_root = settings.root.resolve()
            for pattern in [*(cfg_paths or []), *rs_paths]:
                for m in _expand_glob(pattern, base, root):
                    if not settings.config.allow_outside_root and not _inside(m, real_root):
                        raise ConfigError(
                            f"config path {pattern!r} matches {m}, outside the project root "
                            f"{settings.root}; set allow_outside_root: true to allow it"
                        )
                    found.append(m)
        else:
            used_default = True
            for pattern in DEFAULT_PATHS:
                found.extend(m for m in _expand_glob(pattern, cwd) if m.is_file())
    seen: set[Path] = set()
    out: list[SourceFile] = []
    if stdin_file is not None:  # stands in for the file of that name on disk
        seen.add(stdin_file.path)
        out.append(stdin_file)
    for f in sorted(found, key=lambda x: display_path(x.absolute(), cwd)):
        key = f.absolute()
        if key in seen:
            continue
        seen.add(key)
        out.append(SourceFile(key, display_path(key, cwd)))
    out.sort(key=lambda s: s.display)
    return out, used_default


def _stdin_source(settings: Settings) -> SourceFile:
    stdin = settings.stdin
    if stdin is None:
        raise ConfigError("`-` reads a rule file from stdin, but no stdin was given")
    if stdin.filename is None:
        return SourceFile(settings.cwd / "-", "-", stdin.data)
    name = stdin.filename
    ap = Path(os.path.normpath(name if name.is_absolute() else settings.cwd / name))
    return SourceFile(ap, display_path(ap, settings.cwd), stdin.data)
