"""suggest-merge plans to a fixpoint: a second run on what it wrote finds nothing more.

Removing one rule can make another removable (``a`` is needed while ``b`` never decides,
since ``early-deny`` takes part of it; once ``a`` goes, ``b`` decides and ``c`` covers it),
and a merge can make a rule redundant. One pass of each left a slot for the next run
(found by tests/test_merge_properties.py's second-run property with random seeds)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli

CHAIN = """\
ruleset: gen
semantics: first-match
fields:
  plan: {kind: enum, values: [free, pro, enterprise]}
  age: {kind: int, min: 0, max: 7}
rules:
- {id: early-deny, action: deny, match: {age: 0}, owner: ops}
- {id: a, action: allow, match: {plan: free}, owner: ops}
- {id: b, action: allow, match: {plan: free}, owner: sec}
- {id: c, action: allow, match: {plan: free}, owner: ops}
"""


def _removed(cli: Cli, path: str, cwd: Path) -> list[str]:
    result = cli("suggest-merge", "--include-redundant", path, "--format", "json", cwd=cwd)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return [rid for rs in doc.get("rulesets", [doc]) for rid in rs["removed"]]


def test_a_removal_that_enables_another_is_taken_in_the_same_run(cli: Cli, tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(CHAIN, encoding="utf-8")
    assert sorted(_removed(cli, "rules.yaml", tmp_path)) == ["a", "b"]
    _, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert report["summary"]["rulesets"][0]["frees"]["include_redundant"] == 2
    out = cli("suggest-merge", "--include-redundant", "rules.yaml", "--output", "out.yaml",
              cwd=tmp_path)
    assert out.exit_code == 0, out.output
    assert _removed(cli, "out.yaml", tmp_path) == []
