"""The schema of rule files: pydantic models for the header, limits, fields and rules.

Validation runs per rule, so one bad rule is reported (RL002, with its line and the closest
known key) and the rest of the file is still analysed. Conditions inside ``match`` are
parsed separately (see ``conditions``) because their meaning depends on field kinds that
are only known once the whole ruleset has been read.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from rulelint.load.loading import BadScalar, LocDict, LocList, WrittenTimestamp, name_of
from rulelint.util.spelling import closest

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
MAX_ID_LENGTH = 200
Semantics = Literal["first-match", "any-match"]
Kind = Literal["string", "enum", "bool", "int", "ip"]


def _int_to_str(v: Any) -> Any:
    # `id: 1234` is an int in YAML; an id is text.
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def _date_only(v: Any) -> Any:
    if isinstance(v, WrittenTimestamp):  # `created: 2025-04-01` as written: the date it names
        return v.as_date()
    if isinstance(v, dt.datetime):
        return v.date()
    return v


Text = Annotated[str, Field(min_length=1)]
IsoDate = Annotated[dt.date, BeforeValidator(_date_only)]
RuleId = Annotated[
    str,
    BeforeValidator(_int_to_str),
    Field(pattern=ID_PATTERN, max_length=MAX_ID_LENGTH),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


# no system caps anything at more than this; a larger number is a typo (and overflows floats)
MAX_CAP = 10**15


class Limits(_Strict):
    """Caps of the target system. A cap left out is not checked."""

    max_rules: Annotated[StrictInt, Field(ge=0, le=MAX_CAP)] | None = None
    warn_ratio: Annotated[float, Field(gt=0, le=1)] | None = None
    max_conditions: Annotated[StrictInt, Field(ge=1, le=MAX_CAP)] | None = None
    max_values: Annotated[StrictInt, Field(ge=1, le=MAX_CAP)] | None = None
    max_bytes: Annotated[StrictInt, Field(ge=1, le=MAX_CAP)] | None = None
    max_cost: Annotated[StrictInt, Field(ge=0, le=MAX_CAP)] | None = None

    @field_validator("warn_ratio", mode="before")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError("must be a finite number between 0 and 1")
        return v


class FieldDecl(_Strict):
    """A declared field kind: ``int`` or ``{kind: int, min: 0, max: 65535}``."""

    kind: Kind
    values: list[Annotated[str, BeforeValidator(_int_to_str)]] | None = None
    min: StrictInt | None = None
    max: StrictInt | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"kind": v}
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FieldDecl:
        if self.kind == "enum":
            if not self.values:
                raise ValueError("an enum field needs a non-empty 'values' list")
            if len(set(self.values)) != len(self.values):
                raise ValueError("enum 'values' repeat a value")
        elif self.values is not None:
            raise ValueError(f"'values' only applies to enum fields, not {self.kind}")
        if (self.min is not None or self.max is not None) and self.kind != "int":
            raise ValueError(f"'min'/'max' only apply to int fields, not {self.kind}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class RuleDefaults(_Strict):
    """Metadata applied to every rule of the file that lacks it."""

    action: Text | None = None
    priority: StrictInt | None = None
    description: str | None = None
    owner: str | None = None
    ticket: str | list[str] | None = None
    tags: list[str] | None = None
    created: IsoDate | None = None
    reviewed: IsoDate | None = None
    expires: IsoDate | None = None
    enabled: StrictBool | None = None
    cost: Annotated[StrictInt, Field(ge=0)] | None = None


class Rule(_Strict):
    id: RuleId
    action: Text
    match: dict[str, Any]
    priority: StrictInt = 0
    description: str | None = None
    owner: str | None = None
    ticket: str | list[str] | None = None
    tags: list[str] = Field(default_factory=list)
    created: IsoDate | None = None
    reviewed: IsoDate | None = None
    expires: IsoDate | None = None
    enabled: StrictBool = True
    cost: Annotated[StrictInt, Field(ge=0)] = 1
    merged_from: list[str] = Field(default_factory=list)

    @field_validator("match", mode="before")
    @classmethod
    def _match_mapping(cls, v: Any) -> Any:
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ValueError("must be a mapping of field names to conditions ({} matches all)")
        bad = [k for k in v if not isinstance(k, str)]
        if bad:
            raise ValueError(f"field names must be text, got {bad[0]!r}")
        return v

    @property
    def tickets(self) -> list[str]:
        if self.ticket is None:
            return []
        return [self.ticket] if isinstance(self.ticket, str) else list(self.ticket)


class Header(_Strict):
    ruleset: Annotated[str, BeforeValidator(_int_to_str), Field(min_length=1)] | None = None
    semantics: Semantics | None = None
    limits: Limits | None = None
    defaults: RuleDefaults | None = None
    fields: dict[str, FieldDecl] | None = None
    rules: list[Any]

    @field_validator("rules", mode="before")
    @classmethod
    def _rules_list(cls, v: Any) -> Any:
        if v is None:
            return []
        if not isinstance(v, list):
            raise ValueError("must be a list of rules (each starting with '- id: ...')")
        return v


RULE_KEYS = tuple(Rule.model_fields)
HEADER_KEYS = tuple(Header.model_fields)


# --- turning pydantic errors into findings ---------------------------------------------------


class SchemaProblem:
    __slots__ = ("message", "line")

    def __init__(self, message: str, line: int | None) -> None:
        self.message = message
        self.line = line

    def __repr__(self) -> str:
        return f"SchemaProblem({self.message!r}, line={self.line})"


def _locate(raw: Any, loc: Sequence[Any], fallback: int | None) -> int | None:
    line = fallback
    node = raw
    for part in loc:
        if isinstance(node, LocDict):
            if part in node:
                line = node.line_of(part)
                node = node[part]
                continue
            return line
        if isinstance(node, LocList) and isinstance(part, int):
            line = node.line_of(part)
            node = node[part] if part < len(node) else None
            continue
        return line
    return line


def _path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def explain(
    exc: ValidationError, raw: Any, known: Sequence[str], where: str, fallback: int | None
) -> list[SchemaProblem]:
    problems: list[SchemaProblem] = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "union[")))]
        # pydantic reports a union once per member; keep the loc, drop the member names
        loc = [p for p in loc if p not in ("str", "list[str]", "int", "constrained-str")]
        if isinstance(err.get("input"), BadScalar):
            continue  # the YAML reader reported it already
        kind = err["type"]
        line = _locate(raw, loc, fallback)
        path = _path(loc)
        if kind == "extra_forbidden" and loc:
            key = str(loc[-1])
            choices = known if len(loc) == 1 else _known_for(loc)
            hint = closest(key, choices)
            msg = f"unknown key {key!r} in {where}"
            if len(loc) > 1:
                msg = f"unknown key {key!r} in {_path(loc[:-1])}"
            msg += f" (line {line})" if line else ""
            msg += f"; did you mean {hint!r}?" if hint else f"; known keys: {', '.join(choices)}"
            problems.append(SchemaProblem(msg, line))
        elif kind == "missing":
            problems.append(SchemaProblem(f"{where} is missing the required key {path!r}", line))
        else:
            text = err["msg"]
            text = text.removeprefix("Value error, ")
            if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
                text = "an id starts with a letter or digit, then letters, digits or . _ : -"
            elif kind == "string_type" and loc == ["id"] and err.get("input") is None:
                text = ("the id is empty (YAML reads `id:`, `id: ~` and `id: null` as no value): "
                        'give the rule an id, quoted if it is a word YAML reserves ("null")')
            elif kind == "string_too_long" and loc and loc[-1] == "id":
                text = f"an id is at most {MAX_ID_LENGTH} characters"
            problems.append(SchemaProblem(f"{path or where}: {text}", line))
    # "unknown key 'acton'; did you mean 'action'?" already says what "missing 'action'" would
    suggested = {p.message.rsplit("did you mean ", 1)[1].strip("?'") for p in problems if "did you mean" in p.message}
    problems = [
        p for p in problems
        if not (p.message.endswith("'") and "is missing the required key" in p.message
                and p.message.rsplit("'", 2)[-2] in suggested)
    ]
    # one union failure yields several errors with the same path and line: keep the first
    seen: set[tuple[str, int | None]] = set()
    unique = []
    for p in problems:
        key = (p.message.split(":")[0], p.line)
        if key in seen:
            continue
        seen.add(key)
        unique.append(p)
    return unique


def _known_for(loc: Sequence[Any]) -> list[str]:
    head = loc[0]
    if head == "limits":
        return list(Limits.model_fields)
    if head == "defaults":
        return list(RuleDefaults.model_fields)
    if head == "fields":
        return list(FieldDecl.model_fields)
    return list(RULE_KEYS)


def validate_header(raw: LocDict) -> tuple[Header | None, list[SchemaProblem]]:
    # `x-...` keys are extensions (a place for YAML anchors), as in docker compose files
    data = {k: v for k, v in raw.items() if not (isinstance(k, str) and k.startswith("x-"))}
    try:
        return Header.model_validate(data), []
    except ValidationError as exc:
        return None, explain(exc, raw, HEADER_KEYS, "the file header", raw.line)


def validate_rule(
    raw: Any, defaults: dict[str, Any] | None, line: int | None
) -> tuple[Rule | None, list[SchemaProblem]]:
    if not isinstance(raw, dict):
        what = "a list" if isinstance(raw, list) else repr(raw)
        return None, [
            SchemaProblem(f"a rule must be a mapping with id, action and match, not {what}", line)
        ]
    data = raw
    if defaults:
        missing = {k: v for k, v in defaults.items() if k not in raw}
        if missing:
            data = {**missing, **raw}
    rid = name_of(raw)
    if rid is not raw.get("id"):  # `id: 12:30` is the name '12:30', not YAML 1.1's 750
        data = {**data, "id": rid}
    where = f"rule {rid!r}" if isinstance(rid, (str, int)) and not isinstance(rid, bool) else "this rule"
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        return None, explain(exc, raw, RULE_KEYS, where, line)
    return _share_fields_set(rule), []


# The keys each rule was given (pydantic's ``__pydantic_fields_set__``, a set per instance:
# 720 bytes, half the size of the rule's own values) take a few combinations in a file, so
# rules given the same keys share one set. A frozen model never adds to it, and pydantic
# copies it for ``model_copy``.
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _share_fields_set(rule: Rule) -> Rule:
    given = rule.__pydantic_fields_set__
    shared = _FIELDS_SETS.setdefault(frozenset(given), given)
    if shared is not given:
        object.__setattr__(rule, "__pydantic_fields_set__", shared)
    return rule
