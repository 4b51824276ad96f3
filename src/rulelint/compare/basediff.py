"""``--base REF``: only the findings the working tree adds over a git ref.

The base side is read from git (``git ls-tree`` / ``git cat-file``), never checked out:
the same rule paths as they were at REF are loaded into a second project with the current
configuration and analysed by the same passes (inline suppressions included). A head
finding is kept when its fingerprint is not among the base's; fingerprints are
line-independent, so moving rules adds nothing. Limit findings (RL101/RL102) compare the
counts instead: they are kept only when the change makes the count grow.

Which files were rule files at REF: the current discovery (mapped to repository paths)
plus what the same discovery (explicit files and directories, config globs or the default
locations) finds in REF's tree, so renamed, split and deleted rule files are compared too.
Files outside the repository are read from disk on both sides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from rulelint.history import git
from rulelint.load.config import CONFIG_NAMES, DEFAULT_PATHS, ConfigError, Settings
from rulelint.load.files import YAML_SUFFIXES, SourceFile, display_path
from rulelint.load.loading import decode, read_text
from rulelint.load.project import Project, RuleSet, load_project
from rulelint.report.findings import Finding

LIMIT_CODES = ("RL101", "RL102", "RL104")  # compared by counts
# Verdicts that may rest on git dates of the rule's lines (``blame`` reads the working tree,
# not REF): compared by rule identity instead. A rule that is unchanged since REF has the
# same dates and the same content, so the same verdict there; a new or edited rule is new.
DATED_CODES = ("RL403", "RL404")
STALE_BASELINE = "RL902"  # about the baseline file, which the base side does not read
_NOUN = {"rules": "rules", "bytes": "bytes", "cost": "cost units"}
_MAGIC = ("*", "?", "[")


@dataclass
class BaseSide:
    ref: str
    commit: str
    root: Path
    project: Project


# --- which files, and their text at REF -------------------------------------------------------


def _rel(path: Path, root: Path) -> str | None:
    """``path`` relative to the (resolved) repository root, also through symlinked
    directories such as a temporary directory; None when it is outside."""
    for p in (Path(os.path.normpath(path)), path.resolve()):
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            continue
    return None


def _hidden_or_config(rel: str, under: str) -> bool:
    """What ``files._walk_dir`` skips: hidden files and directories, config files."""
    tail = rel[len(under) + 1 :] if under else rel
    parts = tail.split("/")
    return any(p.startswith(".") for p in parts) or parts[-1] in CONFIG_NAMES


def _seg_match(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False  # like glob: wildcards do not match hidden names
    return fnmatchcase(name, pattern)


def glob_match(pattern: str, path: str) -> bool:
    """``glob.glob(pattern, recursive=True)`` semantics on a POSIX path string."""
    pat = pattern.split("/")
    parts = path.split("/")
    memo: dict[tuple[int, int], bool] = {}

    def go(i: int, j: int) -> bool:
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(pat):
            res = j == len(parts)
        elif pat[i] == "**":
            res = go(i + 1, j) or (
                j < len(parts) and not parts[j].startswith(".") and go(i, j + 1)
            )
        else:
            res = j < len(parts) and _seg_match(pat[i], parts[j]) and go(i + 1, j + 1)
        memo[key] = res
        return res

    return go(0, 0)


def _repo_pattern(pattern: str, base: Path, root: Path) -> str | None:
    full = pattern if os.path.isabs(pattern) else os.path.join(str(base), pattern)
    full = os.path.normpath(full)
    rel = _rel(Path(full), root)
    return None if rel is None or rel.startswith("..") else rel


def rule_paths_at(
    tree: list[str], paths: list[Path] | None, settings: Settings, root: Path
) -> set[str]:
    """Repository paths in ``tree`` (the files at REF) that discovery would read."""
    cwd = settings.cwd
    out: set[str] = set()
    patterns: list[str] = []
    if paths:
        for p in paths:
            ap = p if p.is_absolute() else cwd / p
            rel = _rel(ap, root)
            if rel is None:
                continue
            if ap.is_dir():
                under = "" if rel == "." else rel
                prefix = under + "/" if under else ""
                out.update(
                    t for t in tree
                    if t.startswith(prefix) and t.endswith(YAML_SUFFIXES)
                    and not _hidden_or_config(t, under)
                )
            elif any(ch in str(p) for ch in _MAGIC):
                patterns.append(rel)
            else:
                out.add(rel)
    else:
        cfg = settings.config
        globs = [*(cfg.paths or []), *(g for rs in cfg.rulesets.values() for g in rs.paths or [])]
        base = settings.root if globs else cwd
        for g in globs or DEFAULT_PATHS:
            rp = _repo_pattern(g, base, root)
            if rp is not None:
                patterns.append(rp)
    for pat in patterns:
        out.update(t for t in tree if glob_match(pat, t))
    return out & set(tree)


def load_base(
    ref: str, paths: list[Path] | None, settings: Settings, head: Project
) -> BaseSide:
    """The project as it was at ``ref``: same discovery, same settings, texts from git."""
    root = git.repo_root(settings.cwd)
    if root is None:
        raise ConfigError(f"--base needs a git repository; {settings.cwd} is not inside one")
    root = root.resolve()
    commit = git.resolve_commit(ref, root)
    tree = git.files_at(commit, root)
    wanted: set[str] = set()
    outside: list[SourceFile] = []
    for info in head.files:
        rel = _rel(info.source.path, root)
        if rel is None:
            outside.append(info.source)
        else:
            wanted.add(rel)
    wanted |= rule_paths_at(tree, paths, settings, root)
    blobs = git.read_blobs(commit, sorted(wanted), root)
    sources: list[SourceFile] = []
    texts: dict[str, str] = {}
    for rel, raw in blobs.items():
        if raw is None:
            continue  # not there at REF
        text, _ = decode(raw)
        src = SourceFile(root / rel, display_path(root / rel, settings.cwd))
        sources.append(src)
        texts[src.display] = text if text is not None else ""
    for src in outside:  # not in the repository: the same file on both sides
        sources.append(src)
        text, _ = read_text(src.path, src.display)
        texts[src.display] = text or ""
    sources.sort(key=lambda s: s.display)
    project = load_project(sources, settings, texts=texts)
    return BaseSide(ref, commit, root, project)


# --- comparing findings -----------------------------------------------------------------------


def unchanged_files(head: Project, base: Project) -> set[str]:
    """Display paths of the files whose text is the same on both sides."""
    texts = {fi.source.display: fi.doc.text for fi in base.files}
    return {fi.source.display for fi in head.files if texts.get(fi.source.display) == fi.doc.text}


def unchanged_rulesets(head: Project, base: Project) -> set[str]:
    """Rulesets whose files (names and texts) are the same on both sides: the same
    settings give them the same findings, so the base side need not analyse them again."""
    def files(p: Project) -> dict[str, list[tuple[str, str]]]:
        return {
            name: [(fi.source.display, fi.doc.text) for fi in rs.files]
            for name, rs in p.rulesets.items()
        }

    h, b = files(head), files(base)
    return {name for name, sig in h.items() if b.get(name) == sig}


def base_fingerprints(base: BaseSide, settings: Settings, skip: set[str]) -> set[str]:
    """Fingerprints of what ``check`` reports at REF (passes, then inline suppressions),
    for the rulesets not in ``skip``; the git-dated checks are left out (``DATED_CODES``)."""
    from rulelint.engine import analyse, apply_suppressions

    project = replace(
        base.project,
        rulesets={n: rs for n, rs in base.project.rulesets.items() if n not in skip},
    )
    base_settings = replace(settings, ignore=[*settings.ignore, *DATED_CODES])
    findings, ctx = analyse(project, base_settings)
    findings, _ = apply_suppressions(project, findings, ctx.enabled)
    return {f.fingerprint for f in findings if f.fingerprint}


def _measure(f: Finding) -> str:
    m = str(f.content_key).split(":", 1)[0]
    return m if m in _NOUN else "rules"


def _used(rs: RuleSet | None) -> dict[str, tuple[int, int]]:
    from rulelint.load.project import usage

    return {m: (used, cap) for m, used, cap in usage(rs)} if rs is not None else {}


def _limit_finding(f: Finding, head: Project, base: Project) -> Finding | None:
    measure = _measure(f)
    h_rs = head.rulesets.get(f.ruleset or "")
    b_rs = base.rulesets.get(f.ruleset or "")
    h = _used(h_rs).get(measure)
    if h is None:
        return f
    after, cap = h
    before = _used(b_rs).get(measure, (0, 0))[0]
    if after <= before:
        return None
    added = after - before
    noun = _NOUN[measure] if added != 1 else _NOUN[measure][:-1]
    f.message = (
        f"this change adds {added:,} {noun}: {before:,} → {after:,} of {cap:,}; "
        + f.message
    )
    return f


def _unchanged_rule(f: Finding, head: Project, base: Project) -> bool:
    if not f.rule_ids:
        return False
    h_rs, b_rs = head.rulesets.get(f.ruleset or ""), base.rulesets.get(f.ruleset or "")
    if h_rs is None or b_rs is None:
        return False
    h, b = h_rs.by_id().get(f.rule_ids[0]), b_rs.by_id().get(f.rule_ids[0])
    return h is not None and b is not None and h.content() == b.content()


def keep_added(findings: list[Finding], head: Project, base: BaseSide, settings: Settings):
    """The head findings that are new over the base side; (kept, number left out)."""
    same = unchanged_rulesets(head, base.project)
    same_files = unchanged_files(head, base.project)
    known = base_fingerprints(base, settings, same)
    kept: list[Finding] = []
    for f in findings:
        if f.code == STALE_BASELINE:
            kept.append(f)
            continue
        if f.ruleset in same or (f.ruleset is None and f.file in same_files):
            continue  # an untouched ruleset, or a problem of an untouched file, adds nothing
        if f.code in LIMIT_CODES:
            g = _limit_finding(f, head, base.project)
            if g is not None:
                kept.append(g)
        elif f.code in DATED_CODES:
            if not _unchanged_rule(f, head, base.project):
                kept.append(f)
        elif f.fingerprint not in known:
            kept.append(f)
    return kept, len(findings) - len(kept)
