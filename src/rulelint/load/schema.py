"""JSON Schemas (Draft 2020-12) of a rule file and of ``rulelint.yaml``, for editors.

The YAML language server (VS Code, Neovim, JetBrains) validates and completes with them and
shows each property's ``description`` on hover, so every property has one. The texts live
in ``DOCS`` below, worded as the README's "Rule files" and "Configuration" sections word
them. The schemas say what the loader (``model``, ``conditions``, ``config``) accepts:
top-level ``x-`` keys (the home of YAML anchors), the id pattern, one operator per condition
(``gte``/``gt``/``lte``/``lt`` and ``range`` may be combined), the keys that only one field
kind takes (``values`` for enum, ``min``/``max`` for int), and ``null`` where the loader
reads an empty value as "not given". ``tests/test_schema_corpus.py`` checks schema and loader
against each other on a corpus of good and bad files.

What a schema cannot say is left to ``rulelint check``: that ``min`` is not above ``max``,
that a cidr has no host bits, that ids are unique, and the field kinds across rules.
"""

from __future__ import annotations

from typing import Any

from rulelint import __version__
from rulelint.load.conditions import BOUND_OPS, KINDS, MAX_VALUE_LENGTH
from rulelint.load.model import ID_PATTERN, MAX_ID_LENGTH

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# identifiers, not addresses: the schemas are printed by `rulelint schema`, not served
RULE_FILE_ID = f"urn:rulelint:schema:rule-file:{__version__}"
CONFIG_ID = f"urn:rulelint:schema:config:{__version__}"

DOCS: dict[str, str] = {
    # --- rule file header
    "ruleset": "Name of the ruleset the rules belong to. Default: from the config, else the "
               "file's stem. Files with the same name form one ruleset with one cap.",
    "semantics": "first-match (default): rules are ordered by priority, then file path and "
                 "position, and the first match decides. any-match: every matching rule "
                 "applies (exclusion and allow lists).",
    "limits": "Caps of the target system; a cap left out is not checked.",
    "defaults": "Metadata applied to every rule of this file that lacks it.",
    "fields": "Field kinds: string, enum (with values), bool, int (with optional min/max) or "
              "ip. Undeclared fields take their kind from all their conditions.",
    "rules": "The exception rules. Each has an id, an action and a match.",
    "x-": "An extension key, ignored by rulelint: a place for YAML anchors "
          "(x-base: &base {...}, then <<: *base in a rule).",
    # --- limits
    "max_rules": "How many rules the target system accepts (disabled rules count too). Over "
                 "it: RL101; at warn_ratio of it: RL102.",
    "warn_ratio": "Share of max_rules from which RL102 (near-limit) warns; default 0.8.",
    "max_conditions": "Most conditions one rule may have (RL103).",
    "max_values": "Most values one rule may list over all its conditions (RL103).",
    "max_bytes": "Cap on the size of all enabled rules serialized as compact JSON, in bytes "
                 "(as Exchange caps inbox rules at 256 KB).",
    "max_cost": "Cap on the sum of the rules' cost (weighted capacity, as AWS WAF's "
                "capacity units).",
    # --- field declarations
    "field": "A field kind, as a name (int) or a mapping ({kind: int, min: 0, max: 65535}).",
    "kind": "string (any text), enum (the declared values only), bool, int or ip (IPv4 and "
            "IPv6 addresses, cidr conditions).",
    "values": "enum only: every value the field can take. A value outside them is RL002.",
    "min": "int only: the lowest value the field can take (unbounded when left out).",
    "max": "int only: the highest value the field can take (unbounded when left out).",
    # --- rules
    "id": "Unique in its ruleset: a letter or digit, then letters, digits or . _ : - "
          f"(at most {MAX_ID_LENGTH} characters). The text as written is the id: "
          "`id: 0x1F` is '0x1F'.",
    "action": "The outcome of a match: any text the target system understands.",
    "match": "AND of conditions, one per field; a field the rule does not name matches "
             "anything. A condition on a field the event lacks does not hold. {} matches all.",
    "condition": "plan: pro (equals), region: [JP, KR] (any of), or one operator: not_in, "
                 "range / gte / gt / lte / lt (combinable), cidr, prefix, glob.",
    "priority": "Lower is evaluated first; default 0. Ties go by file path, then position.",
    "description": "What the rule is for, in a sentence.",
    "owner": "Who decides about the rule (a team or a mail address); the review groups by it.",
    "ticket": "The ticket or tickets that asked for the rule (a string or a list).",
    "tags": "Free labels.",
    "created": "When the rule was added (YYYY-MM-DD).",
    "reviewed": "When someone last confirmed the rule is still needed (YYYY-MM-DD); RL403 "
                "counts from it (else created, else the rule's last git change).",
    "expires": "When the rule should go (YYYY-MM-DD). Metadata only: the target system keeps "
               "applying it until it is deleted (RL401 expired, RL402 expiring soon).",
    "enabled": "false: the rule matches nothing but still takes a slot; default true.",
    "cost": "The rule's weight against max_cost; default 1.",
    "merged_from": "Written by suggest-merge: the ids of the rules this one replaces.",
    # --- condition operators
    "not_in": "Any value but these (a value or a list). The field must be present.",
    "range": "Inclusive integer range [low, high].",
    "gte": "At least this integer.",
    "gt": "More than this integer.",
    "lte": "At most this integer.",
    "lt": "Less than this integer.",
    "cidr": "IPv4 or IPv6 networks (a string or a list), without host bits: 10.0.0.0/8.",
    "prefix": "Text starting with this (a string or a list).",
    "glob": "Text matching this shell pattern: * any text, ? one character, [abc] a set.",
    # --- rulelint.yaml
    "cfg.paths": "Rule files to read: globs relative to this file (** spans directories), "
                 "inside the repository unless allow_outside_root.",
    "cfg.ruleset": "Ruleset name for files that do not name one.",
    "cfg.rulesets": "Settings per ruleset, by name; they override the files' headers.",
    "cfg.rulesets.paths": "Rule files of this ruleset: globs relative to this file.",
    "cfg.require": "Metadata every rule must have (RL501), such as description and owner.",
    "cfg.staleness": "Ages (in days) for the staleness checks.",
    "review_days": "RL403: a rule not reviewed for this many days is overdue; default 90.",
    "unused_days": "RL404: a rule without a hit in the hit log for this many days is unused; "
                   "default 90.",
    "expiring_days": "RL402: expires within this many days; default 14.",
    "cfg.fields": "Field kinds for every ruleset; they override a file header's declaration.",
    "cfg.hits": "Hit log for RL404 (CSV or JSON Lines), relative to this file.",
    "cfg.select": "Codes or prefixes to enable (RL2, RL301, ALL); default: all. As in ruff.",
    "cfg.ignore": "Codes or prefixes to disable.",
    "cfg.extend_select": "Codes or prefixes enabled on top of select.",
    "cfg.per_file_ignores": "Codes to ignore per file: a glob relative to this file (a "
                            "pattern without / also matches a file name) -> codes or prefixes.",
    "cfg.merge": "What suggest-merge may merge.",
    "cfg.merge.keys": "Metadata merged rules must share; default owner, enabled, expires.",
    "cfg.allow_outside_root": "Allow paths outside the project root; default false.",
}

LIMIT_KEYS = ("max_rules", "warn_ratio", "max_conditions", "max_values", "max_bytes", "max_cost")
NULL = {"type": "null"}


def _doc(schema: dict[str, Any], key: str) -> dict[str, Any]:
    return {"description": DOCS[key], **schema}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, NULL]}


def _int(minimum: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    return out


def _strings() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string", "minLength": 1}


def _limits() -> dict[str, Any]:
    mins = {"max_rules": 0, "max_conditions": 1, "max_values": 1, "max_bytes": 1, "max_cost": 0}
    props: dict[str, Any] = {k: _doc(_nullable(_int(mins[k])), k) for k in mins}
    props["warn_ratio"] = _doc(
        _nullable({"type": "number", "exclusiveMinimum": 0, "maximum": 1}), "warn_ratio"
    )
    return {"type": "object", "additionalProperties": False,
            "properties": {k: props[k] for k in LIMIT_KEYS}}


def _field_decl() -> dict[str, Any]:
    """``int``, or a mapping whose other keys depend on its kind."""
    value = {"type": ["string", "integer"]}
    unused = _doc(NULL, "values")

    def kind(name: str, required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
        props = {
            "kind": _doc({"const": name}, "kind"),
            "values": unused,
            "min": _doc(NULL, "min"),
            "max": _doc(NULL, "max"),
            **extra,
        }
        return {"type": "object", "additionalProperties": False,
                "required": ["kind", *required], "properties": props}

    mappings = [
        kind("enum", ("values",), values=_doc(
            {"type": "array", "items": value, "minItems": 1, "uniqueItems": True}, "values")),
        kind("int", min=_doc(_nullable(_int()), "min"), max=_doc(_nullable(_int()), "max")),
        *(kind(k) for k in KINDS if k not in ("enum", "int")),
    ]
    return {
        "description": DOCS["field"],
        "anyOf": [_doc({"type": "string", "enum": list(KINDS)}, "kind"), *mappings],
    }


def _condition() -> dict[str, Any]:
    scalar = {"anyOf": [{"type": "string", "maxLength": MAX_VALUE_LENGTH}, {"type": "integer"},
                        {"type": "boolean"}]}
    scalars = {"anyOf": [scalar, {"type": "array", "items": scalar, "minItems": 1}]}
    strings = {"anyOf": [{"type": "string"},
                         {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
    single = []
    for op, values in (("not_in", scalars), ("cidr", strings), ("prefix", strings),
                       ("glob", strings)):
        single.append({"type": "object", "additionalProperties": False, "required": [op],
                       "properties": {op: _doc(values, op)}})
    bounds = {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {
            "range": _doc({"type": "array", "items": {"type": "integer"}, "minItems": 2,
                           "maxItems": 2}, "range"),
            **{op: _doc({"type": "integer"}, op) for op in BOUND_OPS if op != "range"},
        },
    }
    return {
        "description": DOCS["condition"],
        "anyOf": [scalar, {"type": "array", "items": scalar, "minItems": 1}, *single, bounds],
    }


def _rule_schemas() -> dict[str, dict[str, Any]]:
    """Each key of a rule, as the loader takes it (without its description)."""
    return {
        "id": {"anyOf": [{"type": "string", "pattern": ID_PATTERN, "maxLength": MAX_ID_LENGTH},
                         # the text as written is the id: `id: 12`, `id: 1.5` and `id: true`
                         # are the ids '12', '1.5' and 'true' (an editor reads them typed)
                         _int(0), {"type": "number", "minimum": 0}, {"type": "boolean"}]},
        "action": TEXT,
        "match": {"anyOf": [{"type": "object",
                             "additionalProperties": {"$ref": "#/$defs/condition"}}, NULL]},
        "priority": _int(),
        "description": _nullable({"type": "string"}),
        "owner": _nullable({"type": "string"}),
        "ticket": _nullable({"anyOf": [{"type": "string"}, _strings()]}),
        "tags": _strings(),
        "created": _nullable(DATE),
        "reviewed": _nullable(DATE),
        "expires": _nullable(DATE),
        "enabled": {"type": "boolean"},
        "cost": _int(0),
        "merged_from": _strings(),
    }


DEFAULT_KEYS = ("action", "priority", "description", "owner", "ticket", "tags", "created",
                "reviewed", "expires", "enabled", "cost")


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file."""
    keys = _rule_schemas()
    rule = {"type": "object", "additionalProperties": False, "required": ["id", "match"],
            "properties": {k: _doc(v, k) for k, v in keys.items()}}
    # in `defaults:` every key is optional and may be empty
    defaults = {k: _doc(_nullable(keys[k]), k) for k in DEFAULT_KEYS}
    return {
        "$schema": DRAFT,
        "$id": RULE_FILE_ID,
        "title": "rulelint rule file",
        "description": "Exception rules for a system that caps how many it accepts; checked "
                       "by `rulelint check`.",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "patternProperties": {"^x-": {"description": DOCS["x-"]}},
        "properties": {
            "ruleset": _doc(_nullable({"anyOf": [TEXT, _int()]}), "ruleset"),
            "semantics": _doc(_nullable({"enum": ["first-match", "any-match"]}), "semantics"),
            "limits": _doc(_nullable({"$ref": "#/$defs/limits"}), "limits"),
            "defaults": _doc(_nullable({"type": "object", "additionalProperties": False,
                                        "properties": defaults}), "defaults"),
            "fields": _doc(_nullable({"type": "object",
                                      "additionalProperties": {"$ref": "#/$defs/field"}}),
                           "fields"),
            "rules": _doc({"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/rule"}}, NULL]},
                          "rules"),
        },
        # a rule needs an action unless `defaults:` gives one
        "if": {"required": ["defaults"],
               "properties": {"defaults": {"type": "object", "required": ["action"],
                                           "properties": {"action": {"type": "string"}}}}},
        "else": {"properties": {"rules": {"anyOf": [
            NULL, {"type": "array", "items": {"required": ["action"]}}]}}},
        "$defs": {"rule": rule, "condition": _condition(), "field": _field_decl(),
                  "limits": _limits()},
    }


def _selectors() -> dict[str, Any]:
    """A code or prefix of one (``RL3``, ``rl301``, ``ALL``), as select/ignore take them."""
    from rulelint.report.registry import CHECKS

    prefixes = sorted({c[:i] for c in CHECKS for i in range(1, len(c) + 1)} | {"ALL"})

    def ci(s: str) -> str:  # case-insensitive, as the loader reads them
        return "".join(f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else ch for ch in s)

    pattern = "^\\s*(" + "|".join(ci(p) for p in prefixes) + ")\\s*$"
    return {"type": "array", "items": {"type": "string", "pattern": pattern}}


def config_schema() -> dict[str, Any]:
    """The JSON Schema of ``rulelint.yaml`` (and of ``[tool.rulelint]``)."""
    from rulelint.load.model import RULE_KEYS

    def c(key: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": DOCS[f"cfg.{key}"], **schema}

    ruleset = {
        "type": "object", "additionalProperties": False,
        "properties": {
            "paths": c("rulesets.paths", _nullable(_strings())),
            "semantics": _doc(_nullable({"enum": ["first-match", "any-match"]}), "semantics"),
            **_limits()["properties"],
        },
    }
    days = {"review_days": 1, "unused_days": 1, "expiring_days": 0}
    metadata = [k for k in RULE_KEYS if k not in ("id", "action", "match")]
    return {
        "$schema": DRAFT,
        "$id": CONFIG_ID,
        "title": "rulelint configuration (rulelint.yaml)",
        "description": "Which rule files to read and how to check them; flags override it.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "paths": c("paths", _nullable(_strings())),
            "ruleset": c("ruleset", _nullable({"type": "string"})),
            "rulesets": c("rulesets", {"type": "object", "additionalProperties": ruleset}),
            "require": c("require", {"type": "array", "items": {"enum": metadata}}),
            "staleness": c("staleness", {
                "type": "object", "additionalProperties": False,
                "properties": {k: _doc(_int(v), k) for k, v in days.items()},
            }),
            "fields": c("fields", {"type": "object", "additionalProperties": {"$ref": "#/$defs/field"}}),
            "hits": c("hits", _nullable({"type": "string"})),
            "select": c("select", _selectors()),
            "ignore": c("ignore", _selectors()),
            "extend_select": c("extend_select", _selectors()),
            "per_file_ignores": c("per_file_ignores", {"type": "object",
                                                       "additionalProperties": _selectors()}),
            "merge": c("merge", {"type": "object", "additionalProperties": False,
                                 "properties": {"keys": c("merge.keys", _strings())}}),
            "allow_outside_root": c("allow_outside_root", {"type": "boolean"}),
        },
        "$defs": {"field": _field_decl()},
    }
