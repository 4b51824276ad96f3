"""``rulelint schema`` and ``rulelint schema --config`` agree with the loader.

For every file of a corpus of good and bad rule files (and configurations), the JSON Schema
accepts it exactly when ``rulelint check`` reads it without a schema error (RL001-RL003;
for a configuration: without exit 2). The file goes to the schema as an editor's YAML
language server hands it over (dates as strings). What no JSON Schema can say is listed in
``LOADER_ONLY`` and checked the other way round: the schema lets it pass, the loader does not.
Also: every property of both schemas has a description (the editor's hover).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from conftest import _clean_env, write_rules
from rulelint.cli import app

HEAD = "rules:\n"
RULE = "  - {id: a, action: keep, match: {plan: pro}}\n"

GOOD_RULES = {
    "minimal": "rules: []\n",
    "null-rules": "rules:\n",
    "one-rule": HEAD + RULE,
    "int-id": "rules:\n  - {id: 1234, action: keep, match: {}}\n",
    # ids are the text as written, whatever type YAML would give the scalar
    "bool-id": "rules:\n  - {id: true, action: keep, match: {}}\n",
    "float-id": "rules:\n  - {id: 1.5, action: keep, match: {}}\n",
    "hex-id": "rules:\n  - {id: 0x1F, action: keep, match: {}}\n",
    "null-match": "rules:\n  - id: a\n    action: keep\n    match:\n",
    "x-anchor": (
        "x-base: &base {action: keep, owner: ops}\n"
        "rules:\n  - {<<: *base, id: a, match: {plan: pro}}\n"
    ),
    "x-any-value": "x-notes: [1, 2, {a: b}]\n" + HEAD + RULE,
    "header": (
        "ruleset: support\nsemantics: any-match\n"
        "limits: {max_rules: 5, warn_ratio: 0.5, max_conditions: 2, max_values: 9, "
        "max_bytes: 100, max_cost: 3}\n" + HEAD + RULE
    ),
    "empty-header-values": "ruleset:\nsemantics:\nlimits:\ndefaults:\nfields:\n" + HEAD + RULE,
    "int-ruleset": "ruleset: 2024\n" + HEAD + RULE,
    "defaults-action": "defaults: {action: keep, owner: ops}\nrules:\n  - {id: a, match: {plan: pro}}\n",
    "all-rule-keys": (
        "rules:\n  - id: a.b_c:d-1\n    action: keep\n    match: {plan: pro}\n    priority: -3\n"
        "    description: d\n    owner: o\n    ticket: [T-1, T-2]\n    tags: [x]\n"
        "    created: 2025-01-01\n    reviewed: 2025-02-01\n    expires: 2027-01-01\n"
        "    enabled: false\n    cost: 0\n    merged_from: [x, y]\n"
    ),
    "null-metadata": (
        "rules:\n  - id: a\n    action: k\n    match: {}\n    description:\n    owner:\n"
        "    ticket:\n    created:\n"
    ),
    "conditions": (
        "rules:\n  - id: a\n    action: keep\n    match:\n      plan: enterprise\n"
        "      region: [JP, KR]\n      n: 3\n      flag: true\n      cust: {not_in: [C-1, 7]}\n"
        "      age: {range: [0, 30]}\n      port: {gte: 1, lt: 100}\n      both: {range: [0, 9], gt: 2}\n"
        "      ip: {cidr: [10.0.0.0/8, '2001:db8::/32']}\n      ip2: {cidr: 192.168.0.0/16}\n"
        "      subject: {prefix: '[URGENT]'}\n      email: {glob: '*@example.com'}\n"
        "      other: {not_in: x}\n"
    ),
    "fields": (
        "fields:\n  a: int\n  b: {kind: int, min: 0, max: 10}\n  c: {kind: enum, values: [x, y, 3]}\n"
        "  d: bool\n  e: {kind: ip}\n  f: {kind: string}\n  g:\n    kind: int\n    min:\n" + HEAD + RULE
    ),
}

BAD_RULES = {
    "no-rules": "ruleset: x\n",
    "top-list": "- a\n- b\n",
    "unknown-header-key": "colour: red\n" + HEAD + RULE,
    "y-key-is-not-x": "y-base: 1\n" + HEAD + RULE,
    "unknown-rule-key": "rules:\n  - {id: a, acton: keep, match: {}}\n",
    "missing-action": "rules:\n  - {id: a, match: {}}\n",
    "missing-id": "rules:\n  - {action: keep, match: {}}\n",
    "missing-match": "rules:\n  - {id: a, action: keep}\n",
    "defaults-null-action": "defaults: {action:}\nrules:\n  - {id: a, match: {}}\n",
    "bad-id-pattern": "rules:\n  - {id: -a, action: keep, match: {}}\n",
    "bad-id-space": "rules:\n  - {id: 'a b', action: keep, match: {}}\n",
    "negative-int-id": "rules:\n  - {id: -5, action: keep, match: {}}\n",
    "long-id": f"rules:\n  - {{id: {'a' * 201}, action: keep, match: {{}}}}\n",
    "empty-action": "rules:\n  - {id: a, action: '', match: {}}\n",
    "int-action": "rules:\n  - {id: a, action: 3, match: {}}\n",
    "match-list": "rules:\n  - {id: a, action: keep, match: [a]}\n",
    "bad-priority": "rules:\n  - {id: a, action: keep, match: {}, priority: high}\n",
    "null-priority": "rules:\n  - {id: a, action: keep, match: {}, priority:}\n",
    "bad-enabled": "rules:\n  - {id: a, action: keep, match: {}, enabled: maybe}\n",
    "negative-cost": "rules:\n  - {id: a, action: keep, match: {}, cost: -1}\n",
    "bad-date": "rules:\n  - {id: a, action: keep, match: {}, expires: someday}\n",
    "bad-tags": "rules:\n  - {id: a, action: keep, match: {}, tags: x}\n",
    "bad-semantics": "semantics: best-match\n" + HEAD + RULE,
    "unknown-limits-key": "limits: {max_rule: 3}\n" + HEAD + RULE,
    "bad-warn-ratio": "limits: {warn_ratio: 2}\n" + HEAD + RULE,
    "negative-max-rules": "limits: {max_rules: -1}\n" + HEAD + RULE,
    "unknown-operator": "rules:\n  - {id: a, action: k, match: {n: {betwen: [1, 2]}}}\n",
    "two-operators": "rules:\n  - {id: a, action: k, match: {n: {prefix: a, glob: 'b*'}}}\n",
    "operator-and-bound": "rules:\n  - {id: a, action: k, match: {n: {not_in: [1], gte: 3}}}\n",
    "empty-condition": "rules:\n  - {id: a, action: k, match: {n: {}}}\n",
    "empty-list": "rules:\n  - {id: a, action: k, match: {n: []}}\n",
    "null-value": "rules:\n  - {id: a, action: k, match: {n:}}\n",
    "nested-list": "rules:\n  - {id: a, action: k, match: {n: [[1]]}}\n",
    "float-value": "rules:\n  - {id: a, action: k, match: {n: 1.5}}\n",
    "short-range": "rules:\n  - {id: a, action: k, match: {n: {range: [1]}}}\n",
    "string-bound": "rules:\n  - {id: a, action: k, match: {n: {gte: a}}}\n",
    "int-prefix": "rules:\n  - {id: a, action: k, match: {n: {prefix: 3}}}\n",
    "empty-not-in": "rules:\n  - {id: a, action: k, match: {n: {not_in: []}}}\n",
    "unknown-kind": "fields: {a: integer}\n" + HEAD + RULE,
    "enum-without-values": "fields: {a: {kind: enum}}\n" + HEAD + RULE,
    "enum-empty-values": "fields: {a: {kind: enum, values: []}}\n" + HEAD + RULE,
    "enum-repeated-values": "fields: {a: {kind: enum, values: [x, x]}}\n" + HEAD + RULE,
    "values-on-int": "fields: {a: {kind: int, values: [1]}}\n" + HEAD + RULE,
    "min-on-string": "fields: {a: {kind: string, min: 1}}\n" + HEAD + RULE,
    "max-on-enum": "fields: {a: {kind: enum, values: [x], max: 3}}\n" + HEAD + RULE,
    "unknown-field-key": "fields: {a: {kind: int, maximum: 3}}\n" + HEAD + RULE,
}

# what a JSON Schema cannot say: the schema accepts these, the loader does not
LOADER_ONLY = {
    "min-above-max": "fields: {a: {kind: int, min: 5, max: 1}}\n" + HEAD + RULE,
    "empty-range": "rules:\n  - {id: a, action: k, match: {n: {range: [5, 1]}}}\n",
    "bounds-admit-nothing": "rules:\n  - {id: a, action: k, match: {n: {gte: 5, lt: 5}}}\n",
    "cidr-host-bits": "rules:\n  - {id: a, action: k, match: {n: {cidr: 10.0.0.1/8}}}\n",
    "cidr-not-a-network": "rules:\n  - {id: a, action: k, match: {n: {cidr: nowhere}}}\n",
    # the editor reads 0.5, the id as written is '.5' (not a letter or digit first)
    "dot-float-id": "rules:\n  - {id: .5, action: keep, match: {}}\n",
}

GOOD_CONFIGS = {
    "empty": "{}\n",
    "full": (
        'paths: ["rules/*.yaml"]\nruleset: main\n'
        "rulesets:\n  support: {paths: [a.yaml], semantics: first-match, max_rules: 5, warn_ratio: 0.5}\n"
        "require: [description, owner]\nstaleness: {review_days: 30, unused_days: 60, expiring_days: 0}\n"
        "fields: {port: {kind: int, min: 0, max: 65535}, plan: {kind: enum, values: [a, b]}, x: bool}\n"
        "select: [RL2, rl301, ALL]\nignore: [RL4]\nextend_select: [RL104]\n"
        'per_file_ignores: {"legacy/*.yaml": [RL403]}\nmerge: {keys: [owner]}\n'
        "allow_outside_root: false\n"
    ),
    "null-paths": "paths:\nhits:\n",
}

BAD_CONFIGS = {
    "unknown-key": "requre: [owner]\n",
    "bad-require": "require: [colour]\n",
    "bad-staleness": "staleness: {review_days: 0}\n",
    "bad-select": "select: [RL7]\n",
    "bad-extend-select": "extend_select: [XX1]\n",
    "bad-per-file-code": 'per_file_ignores: {"a.yaml": [RL77]}\n',
    "per-file-not-list": 'per_file_ignores: {"a.yaml": RL201}\n',
    "ruleset-unknown-key": "rulesets: {s: {max_rule: 3}}\n",
    "bad-field": "fields: {a: {kind: enum}}\n",
    "bad-merge": "merge: {keys: owner}\n",
    "bad-allow": "allow_outside_root: sometimes\n",
}


def as_editor_sees_it(text: str) -> Any:
    """YAML as a language server hands it to the schema: dates as strings."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def schema_of(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@pytest.fixture(scope="module")
def rule_schema() -> dict[str, Any]:
    return schema_of()


@pytest.fixture(scope="module")
def cfg_schema() -> dict[str, Any]:
    return schema_of("--config")


def schema_ok(schema: dict[str, Any], text: str) -> bool:
    v = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return not list(v.iter_errors(as_editor_sees_it(text)))


def loader_ok(cli, tmp_path: Path, text: str) -> bool:
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    result = cli("check", "r.yaml", "--select", "RL001,RL002,RL003", "--format", "json",
                 cwd=tmp_path)
    assert result.exit_code in (0, 1), result.output
    return not json.loads(result.stdout)["findings"]


def config_ok(cli, tmp_path: Path, text: str) -> bool:
    write_rules(tmp_path, HEAD + RULE, "r.yaml")
    (tmp_path / "rulelint.yaml").write_text(text, encoding="utf-8")
    result = cli("check", "r.yaml", "--format", "json", cwd=tmp_path)
    assert result.exit_code in (0, 1, 2), result.output
    return result.exit_code != 2


@pytest.mark.parametrize(("name", "text", "good"),
                         [(k, v, True) for k, v in GOOD_RULES.items()]
                         + [(k, v, False) for k, v in BAD_RULES.items()],
                         ids=[*GOOD_RULES, *BAD_RULES])
def test_rule_schema_agrees_with_the_loader(rule_schema, cli, tmp_path, name, text, good):
    assert loader_ok(cli, tmp_path, text) is good, f"loader on {name}"
    assert schema_ok(rule_schema, text) is good, f"schema on {name}"


@pytest.mark.parametrize("name", list(LOADER_ONLY))
def test_what_only_the_loader_can_tell(rule_schema, cli, tmp_path, name):
    text = LOADER_ONLY[name]
    assert schema_ok(rule_schema, text) and not loader_ok(cli, tmp_path, text)


@pytest.mark.parametrize(("name", "text", "good"),
                         [(k, v, True) for k, v in GOOD_CONFIGS.items()]
                         + [(k, v, False) for k, v in BAD_CONFIGS.items()],
                         ids=[*GOOD_CONFIGS, *BAD_CONFIGS])
def test_config_schema_agrees_with_the_loader(cfg_schema, cli, tmp_path, name, text, good):
    assert config_ok(cli, tmp_path, text) is good, f"loader on {name}"
    assert schema_ok(cfg_schema, text) is good, f"schema on {name}"


def test_the_example_file_validates(rule_schema):
    example = Path(__file__).resolve().parents[1] / "rules.example.yaml"
    assert schema_ok(rule_schema, example.read_text(encoding="utf-8"))


def _properties(node: Any, path: str = "#"):
    """Every (path, schema) under a ``properties`` (or ``patternProperties``) keyword."""
    if isinstance(node, dict):
        if path.endswith(("/if", "/else")):
            return  # a condition on other properties (a rule needs an action unless...)
        for key in ("properties", "patternProperties"):
            for name, sub in (node.get(key) or {}).items():
                yield f"{path}/{key}/{name}", sub
        for k, v in node.items():
            yield from _properties(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _properties(v, f"{path}/{i}")


@pytest.mark.parametrize("which", ["rule", "config"])
def test_every_property_has_a_description(rule_schema, cfg_schema, which):
    schema = rule_schema if which == "rule" else cfg_schema
    props = list(_properties(schema))
    assert len(props) > 40
    missing = [p for p, sub in props if not (isinstance(sub, dict) and sub.get("description"))]
    assert missing == []


def test_ids_and_hover_texts(rule_schema, cfg_schema):
    assert rule_schema["$id"] != cfg_schema["$id"]
    assert rule_schema["$schema"] == cfg_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    rule = rule_schema["$defs"]["rule"]["properties"]
    from rulelint.load.model import ID_PATTERN

    assert rule["id"]["anyOf"][0]["pattern"] == ID_PATTERN
    assert "first match decides" in rule_schema["properties"]["semantics"]["description"]


def test_schema_as_a_subprocess(tmp_path):
    for args in ([], ["--config"]):
        proc = subprocess.run([sys.executable, "-m", "rulelint", "schema", *args],
                              capture_output=True, text=True, cwd=tmp_path, env=_clean_env(None),
                              timeout=120)
        assert proc.returncode == 0 and proc.stderr == ""
        jsonschema.Draft202012Validator.check_schema(json.loads(proc.stdout))
