"""Configuration: ``rulelint.yaml`` discovery, validation and precedence.

Precedence, most specific first: command-line flags > ``rulesets.<name>`` in the config file
> the rule file's own header > built-in defaults. ``fields:`` declared in the config override
a declaration of the same field in a file header.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictInt, ValidationError, field_validator

from rulelint.load.loading import LocDict, load_file
from rulelint.load.model import FieldDecl, Semantics, _Strict, explain
from rulelint.util.errors import ConfigError as ConfigError  # re-exported: callers catch it here

CONFIG_NAMES = ("rulelint.yaml", ".rulelint.yaml")
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

    def ruleset_config(self, name: str) -> RulesetConfig | None:
        return self.config.rulesets.get(name)


def find_git_root(start: Path) -> Path | None:
    for d in [start, *start.parents]:
        if (d / ".git").exists():
            return d
    return None


def discover_config(cwd: Path) -> Path | None:
    """rulelint.yaml / .rulelint.yaml in cwd or a parent, up to the git root.

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
    return None


def load_config(path: Path) -> ConfigFile:
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
    max_rules: int | None = None,
    hits: Path | None = None,
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
    settings = Settings(
        config=cfg,
        config_path=path,
        root=root,
        cwd=cwd,
        today=today or dt.date.today(),
        # a --select on the command line replaces the config's whole selection (select and
        # ignore): the command line wins, as in ruff
        select=list(select) if select else list(cfg.select),
        ignore=list(ignore or []) if select else list(cfg.ignore) + list(ignore or []),
        max_rules=max_rules,
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
