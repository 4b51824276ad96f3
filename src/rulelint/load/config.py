"""Configuration: ``rulelint.yaml`` discovery, validation and precedence.

Discovery: in the current directory, then each parent up to the git root (outside git, the
current directory only), the first of ``rulelint.yaml``, ``.rulelint.yaml`` and a
``pyproject.toml`` that has a ``[tool.rulelint]`` table (a pyproject without one is passed
over, as ruff does). Paths in a configuration (``paths``, ``rulesets.*.paths``, ``hits``,
``per_file_ignores`` patterns) are relative to the file that holds it, so a run from any
subdirectory reads the same rules. In ``pyproject.toml`` keys may also be spelled with
dashes (``extend-select``, ``per-file-ignores``), as in ruff's table.

Precedence, most specific first: command-line flags > ``rulesets.<name>`` in the config file
> the rule file's own header > built-in defaults. ``fields:`` declared in the config override
a declaration of the same field in a file header.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictInt, ValidationError, field_validator

from rulelint.load.loading import LocDict, load_file
from rulelint.load.model import FieldDecl, Semantics, _Strict, explain
from rulelint.util.errors import ConfigError as ConfigError  # re-exported: callers catch it here

CONFIG_NAMES = ("rulelint.yaml", ".rulelint.yaml")
PYPROJECT = "pyproject.toml"
DEFAULT_PATHS = ("rules.yaml", "rules.example.yaml", "rules/**/*.yaml", "rules/**/*.yml")
DEFAULT_MERGE_KEYS = ("owner", "enabled", "expires")


class Staleness(_Strict):
    review_days: Annotated[StrictInt, Field(ge=1)] = 90
    unused_days: Annotated[StrictInt, Field(ge=1)] = 90
    expiring_days: Annotated[StrictInt, Field(ge=0)] = 14


class RulesetConfig(_Strict):
    paths: list[str] | None = None
    semantics: Semantics | None = None
    max_rules: Annotated[StrictInt, Field(ge=0)] | None = None
    warn_ratio: Annotated[float, Field(gt=0, le=1)] | None = None
    max_conditions: Annotated[StrictInt, Field(ge=1)] | None = None
    max_values: Annotated[StrictInt, Field(ge=1)] | None = None
    max_bytes: Annotated[StrictInt, Field(ge=1)] | None = None
    max_cost: Annotated[StrictInt, Field(ge=0)] | None = None


class MergeConfig(_Strict):
    keys: list[str] = Field(default_factory=lambda: list(DEFAULT_MERGE_KEYS))


class ConfigFile(_Strict):
    paths: list[str] | None = None
    ruleset: str | None = None
    rulesets: dict[str, RulesetConfig] = Field(default_factory=dict)
    require: list[str] = Field(default_factory=list)
    staleness: Staleness = Field(default_factory=Staleness)
    fields: dict[str, FieldDecl] = Field(default_factory=dict)
    hits: str | None = None
    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    extend_select: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict)
    merge: MergeConfig = Field(default_factory=MergeConfig)
    allow_outside_root: bool = False

    @field_validator("require")
    @classmethod
    def _known_metadata(cls, v: list[str]) -> list[str]:
        from rulelint.load.model import RULE_KEYS
        from rulelint.util.spelling import closest

        allowed = [k for k in RULE_KEYS if k not in ("id", "action", "match")]
        for k in v:
            if k not in allowed:
                hint = closest(k, allowed)
                tail = f"; did you mean {hint!r}?" if hint else f" (one of {', '.join(allowed)})"
                raise ValueError(f"{k!r} is not a rule field{tail}")
        return v

    @field_validator("select", "ignore", "extend_select")
    @classmethod
    def _known_codes(cls, v: list[str]) -> list[str]:
        _check_selectors(v)
        return v

    @field_validator("per_file_ignores")
    @classmethod
    def _known_codes_per_file(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for codes in v.values():
            _check_selectors(codes)
        return v


def _check_selectors(selectors: list[str]) -> None:
    from rulelint.report.registry import unknown_selectors

    bad = unknown_selectors(selectors)
    if bad:
        raise ValueError(f"{bad[0]!r} is no check code or prefix; `rulelint rule` lists them")


@dataclass(frozen=True)
class StdinSource:
    """The rule file read from stdin (``rulelint check -``): its bytes, and the name it
    goes by (``--stdin-filename``; findings, per-file ignores and rulesets use it)."""

    data: bytes
    filename: Path | None = None


@dataclass
class Settings:
    """Everything a run needs, resolved from defaults, config file and flags."""

    config: ConfigFile = field(default_factory=lambda: ConfigFile())
    config_path: Path | None = None
    root: Path = field(default_factory=Path.cwd)  # config dir, else git root, else cwd
    cwd: Path = field(default_factory=Path.cwd)
    today: dt.date = field(default_factory=dt.date.today)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    max_rules: int | None = None  # --max-rules, applies to every ruleset
    hits: Path | None = None
    stdin: StdinSource | None = None
    _per_file: list[tuple[Any, bool, list[str]]] | None = field(default=None, repr=False)

    def ruleset_config(self, name: str) -> RulesetConfig | None:
        return self.config.rulesets.get(name)

    def per_file_ignored(self, display: str | None) -> list[str]:
        """The codes ``per_file_ignores`` turns off for the file shown as ``display``.

        A pattern is a path glob relative to the config file's directory (``**`` spans
        directories); a pattern without a ``/`` also matches the file's name alone."""
        if not display or not self.config.per_file_ignores:
            return []
        if self._per_file is None:
            from rulelint.load.globs import glob_regex

            self._per_file = [
                (glob_regex(pat), "/" not in pat, codes)
                for pat, codes in self.config.per_file_ignores.items()
            ]
        p = Path(display)
        absolute = p if p.is_absolute() else self.cwd / p
        try:
            rel = Path(os.path.normpath(absolute)).relative_to(self.root).as_posix()
        except ValueError:
            rel = Path(os.path.normpath(absolute)).as_posix()
        out: list[str] = []
        for rx, bare, codes in self._per_file:
            if rx.match(rel) or (bare and rx.match(rel.rsplit("/", 1)[-1])):
                out.extend(codes)
        return out


def find_git_root(start: Path) -> Path | None:
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    return None


def has_rulelint_table(path: Path) -> bool:
    """A ``pyproject.toml`` with a ``[tool.rulelint]`` table. One that is not valid TOML
    counts when its text seems to hold the table (so its problem is reported), and is
    passed over otherwise (a broken pyproject of another tool is not rulelint's concern)."""
    import tomllib

    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return re.search(r"^\s*\[\s*tool\s*\.\s*rulelint\s*[\].]", text, re.MULTILINE) is not None
    return isinstance(tool, dict) and "rulelint" in tool


def discover_config(cwd: Path) -> Path | None:
    """rulelint.yaml / .rulelint.yaml / pyproject.toml ``[tool.rulelint]`` in cwd or a
    parent, up to the git root.

    Outside a git repository only the current directory is searched, so a stray config
    file in a parent (a home directory, /tmp) never changes a run by surprise.
    """
    git_root = find_git_root(cwd)
    dirs = [cwd]
    if git_root is not None:
        d = cwd
        while d != git_root and d.parent != d:
            d = d.parent
            dirs.append(d)
    for d in dirs:
        for name in CONFIG_NAMES:
            p = d / name
            if p.is_file():
                return p
        p = d / PYPROJECT
        if p.is_file() and has_rulelint_table(p):
            return p
    return None


_TOML_TABLE = re.compile(r"\s*\[\s*tool\s*\.\s*rulelint\s*(?:\.\s*\"?([\w-]+)\"?\s*)?\]")
_TOML_KEY = re.compile(r"\s*\"?([\w-]+)\"?\s*=")


def _toml_line(text: str, key: str | None) -> int | None:
    """The line of ``key = ...`` in ``[tool.rulelint]`` (or of ``[tool.rulelint.key]``),
    else of ``[tool.rulelint]`` itself: tomllib keeps no lines."""
    names = {key, key.replace("_", "-")} if key else set()
    head = None
    inside = False
    for i, ln in enumerate(text.split("\n"), 1):  # TOML's lines end in LF (or CRLF) only
        m = _TOML_TABLE.match(ln)
        if m:
            if m.group(1) is None:
                head, inside = i, True
            elif m.group(1) in names:
                return i
            else:
                inside = False
            continue
        if ln.lstrip().startswith("["):
            inside = False
        elif inside and (k := _TOML_KEY.match(ln)) and k.group(1) in names:
            return i
    return head


def load_pyproject(path: Path) -> ConfigFile:
    """``[tool.rulelint]`` of a pyproject.toml, validated like rulelint.yaml."""
    import tomllib

    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("rulelint") if isinstance(data.get("tool"), dict) else None
    if table is None:
        return ConfigFile()
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.rulelint] must be a table")
    table = {k.replace("-", "_") if isinstance(k, str) else k: v for k, v in table.items()}
    try:
        return ConfigFile.model_validate(table)
    except ValidationError as exc:
        problems = explain(exc, table, tuple(ConfigFile.model_fields), "[tool.rulelint]", None)
        first = problems[0]
        err = exc.errors(include_url=False)[0]
        key = str(err["loc"][0]) if err["loc"] else None
        line = _toml_line(text, key)
        where = f"{path}:{line}" if line else str(path)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{where}: {first.message}{more}") from None


def load_config(path: Path) -> ConfigFile:
    if path.name == PYPROJECT:
        return load_pyproject(path)
    doc = load_file(path)
    for p in doc.problems:
        if p.severity is None:
            where = f"{path}:{p.line}" if p.line else str(path)
            raise ConfigError(f"{where}: {p.message}")
    data = doc.data
    if data is None:
        return ConfigFile()
    if not isinstance(data, LocDict):
        raise ConfigError(f"{path}: the configuration must be a YAML mapping")
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems = explain(exc, data, tuple(ConfigFile.model_fields), "the configuration", 1)
        first = problems[0]
        where = f"{path}:{first.line}" if first.line else str(path)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{where}: {first.message}{more}") from None


def resolve_settings(
    *,
    config: Path | None = None,
    cwd: Path | None = None,
    today: dt.date | None = None,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    extend_select: list[str] | None = None,
    max_rules: int | None = None,
    hits: Path | None = None,
    stdin: StdinSource | None = None,
) -> Settings:
    cwd = (cwd or Path.cwd()).resolve()
    if config is not None:
        if config.is_dir():
            raise ConfigError(f"--config {config} is a directory; name the rulelint.yaml file")
        if not config.is_file():  # the read itself goes through util/userfile.py
            what = "is not a regular file" if config.exists() else "does not exist"
            raise ConfigError(f"config file {config} {what}")
        path: Path | None = config.resolve()
    else:
        path = discover_config(cwd)
    cfg = load_config(path) if path else ConfigFile()
    root = path.parent if path else (find_git_root(cwd) or cwd)
    # a --select on the command line replaces the config's whole selection (select,
    # extend_select and ignore): the command line wins, as in ruff
    chosen = list(select) if select else list(cfg.select)
    extend = list(extend_select or []) if select else [*cfg.extend_select, *(extend_select or [])]
    if extend:
        chosen = [*(chosen or ["ALL"]), *extend]
    settings = Settings(
        config=cfg,
        config_path=path,
        root=root,
        cwd=cwd,
        today=today or dt.date.today(),
        select=chosen,
        ignore=list(ignore or []) if select else list(cfg.ignore) + list(ignore or []),
        max_rules=max_rules,
        stdin=stdin,
    )
    if hits is not None:
        settings.hits = hits
    elif cfg.hits:
        settings.hits = (root / cfg.hits) if not Path(cfg.hits).is_absolute() else Path(cfg.hits)
    return settings


def split_codes(values: list[str] | None) -> list[str]:
    """``--select RL2,RL301 --select RL4`` -> ["RL2", "RL301", "RL4"]."""
    out: list[str] = []
    for v in values or []:
        out.extend(s.strip() for s in v.split(",") if s.strip())
    return out


def as_dict(cfg: ConfigFile) -> dict[str, Any]:
    return cfg.model_dump(mode="json", exclude_defaults=True)
