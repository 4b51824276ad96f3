"""``rulelint schema``: a Draft 2020-12 JSON Schema of a rule file that accepts
``rules.example.yaml`` and rejects what rulelint rejects as RL002."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[1] / "rules.example.yaml"


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    from typer.testing import CliRunner

    from rulelint.cli import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def as_editor_sees_it(text: str):
    """YAML as a language server hands it to the schema: dates are strings."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


@pytest.fixture(scope="module")
def example():
    return as_editor_sees_it(EXAMPLE.read_text(encoding="utf-8"))


def errors(schema, data):
    v = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [e.message for e in v.iter_errors(data)]


def test_schema_is_draft_2020_12(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and "rules" in schema["required"]


def test_example_validates(schema, example):
    assert errors(schema, example) == []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["rules"][0].__setitem__("acton", "x"), id="unknown-rule-key"),
        pytest.param(lambda d: d.__setitem__("colour", "red"), id="unknown-header-key"),
        pytest.param(lambda d: d["limits"].__setitem__("max_rule", 3), id="unknown-limits-key"),
        pytest.param(lambda d: d["rules"][0].pop("action"), id="missing-action"),
        pytest.param(lambda d: d.pop("rules"), id="missing-rules"),
        pytest.param(lambda d: d["rules"][0]["match"].__setitem__("plan", {"betwen": [1, 2]}),
                     id="unknown-operator"),
        pytest.param(lambda d: d["rules"][0].__setitem__("priority", "high"), id="bad-priority"),
        pytest.param(lambda d: d["rules"][0].__setitem__("enabled", "maybe"), id="bad-enabled"),
        pytest.param(lambda d: d["rules"][0].__setitem__("expires", "someday"), id="bad-date"),
        pytest.param(lambda d: d.__setitem__("semantics", "best-match"), id="bad-semantics"),
        pytest.param(lambda d: d["rules"][0]["match"].__setitem__("n", {"range": [1]}),
                     id="short-range"),
    ],
)
def test_schema_rejects(schema, example, mutate):
    data = copy.deepcopy(example)
    mutate(data)
    assert errors(schema, data)


def test_unknown_key_file_fails_schema_and_check(schema, cli, tmp_path):
    text = "rules:\n  - id: a\n    acton: x\n    match: {}\n"
    (tmp_path / "r.yaml").write_text(text)
    assert any("acton" in m for m in errors(schema, as_editor_sees_it(text)))
    rc, report = cli.json("check", "r.yaml", cwd=tmp_path)
    assert rc == 1 and any("acton" in f["message"] for f in report["findings"])


def test_minimal_file_validates(schema):
    assert errors(schema, {"rules": []}) == []
    assert errors(schema, {"rules": [{"id": "a", "action": "x", "match": {}}]}) == []
    assert errors(schema, {"rules": [{"id": 12, "action": "x", "match": None}]}) == []

