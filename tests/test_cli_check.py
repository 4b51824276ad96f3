"""``rulelint check`` end to end: the limit, duplicate and match-all passes, the JSON report
(SPEC.md version 1), and every option (select/ignore, fail-on, exit-zero, max-rules, quiet,
colour, debug), in-process (CliRunner) and as a real process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import assert_clean_exit, codes, findings, one, run_cli, write_rules

ANSI = re.compile(r"\x1b\[")


def rules_text(n: int, *, header: str = "", action: str = "keep", field: str = "k") -> str:
    """n rules with distinct, non-overlapping, non-mergeable matches (different actions)."""
    out = [header, "rules:"]
    for i in range(n):
        out += [f"  - id: r{i}", f"    action: {action}{i}", f"    match: {{{field}: 'v{i}'}}"]
    return "\n".join(out) + "\n"


def id_lines(path: Path) -> dict[str, int]:
    """Line of each ``- id: X`` in a file, read independently of rulelint."""
    out = {}
    for no, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r"\s*- id: ([^\s#]+)", line)
        if m:
            out.setdefault(m.group(1), no)
    return out


# --- RL101 / RL102: caps ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "cap", "expect"), [(3, 2, "RL101"), (3, 3, "RL102"), (2, 3, None)])
def test_count_cap(cli, tmp_path, n, cap, expect):
    write_rules(tmp_path, rules_text(n, header=f"limits: {{max_rules: {cap}}}"))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    got = [c for c in codes(report) if c in ("RL101", "RL102")]
    assert got == ([expect] if expect else [])
    assert rc == (1 if expect == "RL101" else 0)
    if expect == "RL101":
        f = one(report, "RL101")
        assert f"holds {n} rules" in f["message"] and f"max_rules of {cap} by {n - cap}" in f["message"]
        assert f["line"] == 1 and f["file"] == "rules.yaml" and f["ruleset"] == "rules"
        assert f["name"] == "over-limit" and f["severity"] == "error"


def test_disabled_and_invalid_rules_still_take_a_slot(cli, tmp_path):
    write_rules(
        tmp_path,
        """\
        limits: {max_rules: 2}
        rules:
          - {id: a, action: x, match: {k: '1'}}
          - {id: b, action: y, match: {k: '2'}, enabled: false}
          - {id: c, action: z, match: {k: {rnage: 1}}}
        """,
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "holds 3 rules" in one(report, "RL101")["message"]
    assert report["summary"]["rules"] == 3


@pytest.mark.parametrize(("n", "expect"), [(7, False), (8, True), (10, True)])
def test_near_limit_default_ratio(cli, tmp_path, n, expect):
    write_rules(tmp_path, rules_text(n, header="limits: {max_rules: 10}"))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert ("RL102" in codes(report)) is expect
    if expect:
        f = one(report, "RL102")
        assert f"holds {n} of 10 rules" in f["message"] and f"{10 - n} left" in f["message"]
        assert f["severity"] == "warning" and f["name"] == "near-limit"
    assert rc == 0


def test_near_limit_custom_ratio(cli, tmp_path):
    write_rules(tmp_path, rules_text(5, header="limits: {max_rules: 10, warn_ratio: 0.5}"))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "warn at 50%" in one(report, "RL102")["message"]


def _compact_bytes(path: Path) -> int:
    data = yaml.safe_load(path.read_text())
    return sum(
        len(json.dumps(r, separators=(",", ":"), default=str, ensure_ascii=False).encode())
        for r in data["rules"]
        if r.get("enabled", True)
    )


def test_max_bytes(cli, tmp_path):
    text = """\
        limits: {max_bytes: CAP}
        rules:
          - {id: a, action: keep, match: {plan: pro}, description: "Ünïcode counts in bytes"}
          - {id: b, action: drop, match: {plan: free}, created: 2026-01-05}
          - {id: c, action: drop, match: {plan: gold}, enabled: false, description: "not counted"}
        """
    path = write_rules(tmp_path, text.replace("CAP", "1"))
    size = _compact_bytes(path)
    write_rules(tmp_path, text.replace("CAP", str(size)))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "RL101" not in codes(report)
    write_rules(tmp_path, text.replace("CAP", str(size - 1)))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL101")
    assert f"{size:,} bytes" in f["message"] and "max_bytes" in f["message"] and rc == 1


def test_max_cost_with_per_rule_cost(cli, tmp_path):
    text = """\
        limits: {max_cost: CAP}
        rules:
          - {id: a, action: keep, match: {plan: pro}, cost: 5}
          - {id: b, action: drop, match: {plan: free}}
          - {id: c, action: hold, match: {plan: gold}, cost: 0}
          - {id: d, action: wait, match: {plan: tin}, cost: 3, enabled: false}
        """
    # 5 + 1 (default) + 0 + 3 (a disabled rule still takes its capacity)
    write_rules(tmp_path, text.replace("CAP", "9"))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "RL101" not in codes(report)
    assert "9 of 9 cost units" in one(report, "RL102")["message"]
    write_rules(tmp_path, text.replace("CAP", "8"))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL101")
    assert "9 cost units" in f["message"] and "max_cost of 8 by 1" in f["message"] and rc == 1


def test_several_caps_report_separately(cli, tmp_path):
    write_rules(tmp_path, rules_text(3, header="limits: {max_rules: 1, max_cost: 2}"))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    msgs = [f["message"] for f in findings(report, "RL101")]
    assert len(msgs) == 2 and any("max_rules" in m for m in msgs) and any("max_cost" in m for m in msgs)


def test_cap_across_files_of_one_ruleset(cli, tmp_path):
    write_rules(tmp_path, "ruleset: s\nlimits: {max_rules: 3}\n" + rules_text(2), "a.yaml")
    write_rules(tmp_path, "ruleset: s\n" + rules_text(2, field="other"), "b.yaml")
    rc, report = cli.json("check", "a.yaml", "b.yaml", cwd=tmp_path)
    f = one(report, "RL101")
    assert "holds 4 rules" in f["message"] and f["file"] == "a.yaml"
    assert report["summary"]["rulesets"] == [
        {"name": "s", "rules": 4, "max_rules": 3, "mergeable_slots": 0,
         "frees": {"merge": 0, "include_redundant": 0, "include_shadowed": 0}}
    ]


# --- RL103 ------------------------------------------------------------------------------------


def test_too_many_conditions(cli, tmp_path):
    write_rules(
        tmp_path,
        """\
        limits: {max_conditions: 2}
        rules:
          - id: ok
            action: x
            match: {a: '1', b: '2'}
          - id: big
            action: y
            match: {a: '1', b: '2', c: '3'}
        """,
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL103")
    assert f["rule_ids"] == ["big"] and f["line"] == 6
    assert "3 conditions (max_conditions 2)" in f["message"] and f["severity"] == "warning"


def test_too_many_values(cli, tmp_path):
    write_rules(
        tmp_path,
        """\
        limits: {max_values: 3}
        rules:
          - id: three
            action: x
            match: {a: ['1', '2'], n: {range: [1, 9]}}
          - id: four
            action: y
            match: {a: {not_in: ['1', '2']}, ip: {cidr: [10.0.0.0/8, 192.0.2.0/24]}}
          - id: dups
            action: z
            match: {a: ['1', '1', '1', '2']}
        """,
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL103")
    assert f["rule_ids"] == ["four"] and "4 values (max_values 3)" in f["message"]


def test_conditions_and_values_in_one_message(cli, tmp_path):
    write_rules(
        tmp_path,
        "limits: {max_conditions: 1, max_values: 1}\nrules:\n"
        "  - id: r\n    action: x\n    match: {a: ['1', '2'], b: '3'}\n",
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    msg = one(report, "RL103")["message"]
    assert "2 conditions" in msg and "3 values" in msg


# --- RL201 / RL202: equal matches after normalisation ------------------------------------------

EQUAL_PAIRS = [
    pytest.param("{region: [JP, KR, CN]}", "{region: [CN, JP, KR]}", id="list-order"),
    pytest.param("{region: JP}", "{region: [JP]}", id="scalar-vs-one-element-list"),
    pytest.param("{region: [JP, JP]}", "{region: JP}", id="repeated-value"),
    pytest.param("{age: {range: [1, 5]}}", "{age: {gte: 1, lte: 5}}", id="range-vs-gte-lte"),
    pytest.param("{age: {range: [1, 5]}}", "{age: {gt: 0, lt: 6}}", id="range-vs-gt-lt"),
    pytest.param("{age: [1, 2, 3]}", "{age: {range: [1, 3]}}", id="int-list-vs-range"),
    pytest.param(
        "{src: {cidr: [10.0.0.0/25, 10.0.0.128/25]}}", "{src: {cidr: 10.0.0.0/24}}",
        id="adjacent-cidrs-collapse",
    ),
    pytest.param(
        "{src: {cidr: ['2001:db8::/33', '2001:db8:8000::/33']}}", "{src: {cidr: '2001:db8::/32'}}",
        id="ipv6-cidrs-collapse",
    ),
    pytest.param("{src: {cidr: 192.0.2.7/32}}", "{src: 192.0.2.7}", id="host-cidr-vs-address"),
    pytest.param("{plan: pro, region: JP}", "{region: JP, plan: pro}", id="key-order"),
    pytest.param("{plan: {not_in: [free]}}", "{plan: [pro, enterprise]}", id="enum-not-in-vs-list"),
    # a list of every declared value is the whole field, like glob '*' (both still require
    # the field to be present: SPEC.md, a condition on a missing field does not hold)
    pytest.param("{plan: [free, pro, enterprise], region: JP}", "{plan: {glob: '*'}, region: JP}",
                 id="enum-whole-domain"),
    pytest.param("{plan: [enterprise, pro, free]}", "{plan: {prefix: ''}}", id="enum-whole-prefix"),
    pytest.param("{mail: {glob: 'a*'}}", "{mail: {prefix: a}}", id="glob-star-vs-prefix"),
]

ENUM_HEADER = "fields:\n  plan: {kind: enum, values: [free, pro, enterprise]}\n"


@pytest.mark.parametrize(("m1", "m2"), EQUAL_PAIRS)
def test_equal_matches_same_action_is_rl201(cli, tmp_path, m1, m2):
    path = write_rules(
        tmp_path,
        ENUM_HEADER + f"rules:\n  - id: first\n    action: keep\n    match: {m1}\n"
        f"  - id: second\n    action: keep\n    match: {m2}\n",
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL201")
    assert f["rule_ids"] == ["second", "first"]
    assert f["line"] == id_lines(path)["second"]
    assert f"(line {id_lines(path)['first']})" in f["message"]
    assert f["name"] == "duplicate-rule" and rc == 1
    # the duplicate is not reported a second time as covered
    assert not [x for x in report["findings"] if x["code"] in ("RL301", "RL302")]


@pytest.mark.parametrize(("m1", "m2"), EQUAL_PAIRS)
def test_equal_matches_other_action_is_rl202_with_witness(cli, tmp_path, m1, m2):
    write_rules(
        tmp_path,
        ENUM_HEADER + f"rules:\n  - id: first\n    action: keep\n    match: {m1}\n"
        f"  - id: second\n    action: close\n    match: {m2}\n",
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL202")
    assert f["rule_ids"] == ["second", "first"] and rc == 1
    assert "'close'" in f["message"] and "'keep'" in f["message"]
    w = f["witness"]
    assert isinstance(w, dict)
    # the witness really is an event both rules match: the first one decides it
    result = cli("eval", "rules.yaml", "--event", json.dumps(w), "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["deciding"] == ["first"] and "second" in decision["matched"]


NOT_EQUAL_PAIRS = [
    pytest.param("{region: [JP, KR]}", "{region: JP}", id="superset-list"),
    pytest.param("{age: {range: [1, 5]}}", "{age: {range: [1, 6]}}", id="ranges-differ"),
    pytest.param("{src: {cidr: [10.0.0.0/25, 10.0.1.128/25]}}", "{src: {cidr: 10.0.0.0/24}}",
                 id="non-adjacent-cidrs"),
    pytest.param("{plan: [free, pro], region: JP}", "{region: JP}", id="enum-partial"),
    pytest.param("{region: JP}", "{country: JP}", id="other-field"),
    pytest.param("{mail: {glob: 'a*b'}}", "{mail: {glob: 'a*c'}}", id="opaque-globs"),
    pytest.param("{region: JP}", "{region: JP, plan: pro}", id="extra-condition"),
    pytest.param(
        "{plan: [free, pro, enterprise], region: JP}", "{region: JP}", id="whole-enum-vs-absent",
    ),
]


@pytest.mark.parametrize(("m1", "m2"), NOT_EQUAL_PAIRS)
def test_different_matches_are_not_duplicates(cli, tmp_path, m1, m2):
    write_rules(
        tmp_path,
        ENUM_HEADER + f"rules:\n  - id: first\n    action: keep\n    match: {m1}\n"
        f"  - id: second\n    action: keep\n    match: {m2}\n",
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "RL201" not in codes(report) and "RL202" not in codes(report)


def test_duplicate_in_another_file_names_the_file(cli, tmp_path):
    write_rules(tmp_path, "ruleset: s\nrules:\n  - {id: a, action: keep, match: {k: v}}\n", "a.yaml")
    write_rules(tmp_path, "ruleset: s\nrules:\n  - {id: b, action: keep, match: {k: [v]}}\n", "b.yaml")
    rc, report = cli.json("check", "a.yaml", "b.yaml", cwd=tmp_path)
    f = one(report, "RL201")
    assert f["file"] == "b.yaml" and "a.yaml:3" in f["message"] and f["rule_ids"] == ["b", "a"]


def test_three_copies(cli, tmp_path):
    write_rules(tmp_path, rules_text(0) + "".join(
        f"  - {{id: c{i}, action: keep, match: {{k: v}}}}\n" for i in range(3)
    ))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert sorted(f["rule_ids"][0] for f in findings(report, "RL201")) == ["c1", "c2"]


def test_disabled_duplicate_is_not_reported(cli, tmp_path):
    write_rules(
        tmp_path,
        "rules:\n  - {id: a, action: keep, match: {k: v}}\n"
        "  - {id: b, action: keep, match: {k: v}, enabled: false}\n",
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "RL201" not in codes(report)


# --- RL304 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "match", ["{}", "", "null"]
)
def test_match_all(cli, tmp_path, match):
    path = write_rules(
        tmp_path,
        ENUM_HEADER + f"rules:\n  - id: keep-b\n    action: keep\n    match: {{k: b}}\n"
        f"  - id: everything\n    action: close\n    match: {match}\n",
    )
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    f = one(report, "RL304")
    assert f["rule_ids"] == ["everything"] and f["line"] == id_lines(path)["everything"]
    assert f["severity"] == "warning" and f["name"] == "match-all"
    assert "every rule after it is dead" in f["message"]


def test_match_all_any_match_wording(cli, tmp_path):
    write_rules(tmp_path, "semantics: any-match\nrules:\n  - {id: all, action: log, match: {}}\n")
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "action 'log' applies to everything" in one(report, "RL304")["message"]


def test_disabled_match_all_is_quiet(cli, tmp_path):
    write_rules(tmp_path, "rules:\n  - {id: all, action: log, match: {}, enabled: false}\n")
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert "RL304" not in codes(report) and rc == 0


# --- the JSON report, version 1 ------------------------------------------------------------------

MIXED = """\
ruleset: support
limits: {max_rules: 5, max_conditions: 1}
rules:
  - id: a
    action: keep
    match: {plan: pro}
  - id: a-copy
    action: keep
    match: {plan: [pro]}
  - id: wide
    action: close
    match: {plan: pro, region: JP}
  - id: bad
    action: keep
    match: {n: {range: [3, 1]}}
  - id: conflict
    action: drop
    match: {plan: pro}
"""


def test_json_report_shape(cli, tmp_path):
    path = write_rules(tmp_path, MIXED)
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert rc == 1
    assert {"version", "summary", "findings"} <= set(report) and report["version"] == 1
    s = report["summary"]
    assert set(s) == {"files", "rules", "errors", "warnings", "infos", "rulesets", "incomplete"}
    assert (s["files"], s["rules"]) == (1, 5) and s["incomplete"] == []
    [rs] = s["rulesets"]
    assert set(rs) == {"name", "rules", "max_rules", "mergeable_slots", "frees"}
    assert (rs["name"], rs["rules"], rs["max_rules"]) == ("support", 5, 5)
    assert isinstance(rs["mergeable_slots"], int) and rs["mergeable_slots"] >= 0
    sev = [f["severity"] for f in report["findings"]]
    assert (s["errors"], s["warnings"], s["infos"]) == (
        sev.count("error"), sev.count("warning"), sev.count("info"))
    keys = {"code", "name", "severity", "message", "file", "line", "ruleset", "rule_ids",
            "witness", "fingerprint"}
    lines = id_lines(path)
    for f in report["findings"]:
        assert set(f) == keys
        assert re.fullmatch(r"RL\d{3}", f["code"]) and f["severity"] in ("error", "warning", "info")
        assert isinstance(f["name"], str) and isinstance(f["message"], str) and f["message"]
        assert f["file"] == "rules.yaml" and isinstance(f["line"], int)
        assert f["ruleset"] == "support"
        assert isinstance(f["rule_ids"], list) and all(isinstance(i, str) for i in f["rule_ids"])
        assert f["witness"] is None or isinstance(f["witness"], dict)
        assert isinstance(f["fingerprint"], str) and f["fingerprint"]
        if f["rule_ids"] and f["code"] != "RL002":
            # the rule the finding is about comes first: the finding sits on its id line
            assert f["line"] == lines[f["rule_ids"][0]], f
    got = {f["code"]: f for f in report["findings"]}
    assert got["RL201"]["rule_ids"] == ["a-copy", "a"]
    assert got["RL202"]["rule_ids"] == ["conflict", "a"]
    assert got["RL103"]["rule_ids"] == ["wide"]
    assert got["RL102"]["rule_ids"] == [] and got["RL102"]["line"] == 2
    assert got["RL002"]["rule_ids"] == ["bad"]
    assert len({f["fingerprint"] for f in report["findings"]}) == len(report["findings"])


def test_json_top_level_keys_are_exactly_spec_v1(cli, tmp_path):
    write_rules(tmp_path, MIXED)
    _, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert set(report) == {"version", "summary", "findings"}


def test_json_fingerprints_ignore_line_numbers(cli, tmp_path):
    write_rules(tmp_path, MIXED)
    _, before = cli.json("check", "rules.yaml", cwd=tmp_path)
    write_rules(tmp_path, MIXED.replace("rules:\n", "rules:\n\n\n  # moved down\n"))
    _, after = cli.json("check", "rules.yaml", cwd=tmp_path)
    fp = {(f["code"], tuple(f["rule_ids"])): f["fingerprint"] for f in before["findings"]}
    fp2 = {(f["code"], tuple(f["rule_ids"])): f["fingerprint"] for f in after["findings"]}
    assert fp == fp2
    assert [f["line"] for f in after["findings"]] != [f["line"] for f in before["findings"]]


def test_json_findings_sorted_by_file_then_line(cli, tmp_path):
    write_rules(tmp_path, MIXED, "b.yaml")
    write_rules(tmp_path, MIXED.replace("support", "other"), "a.yaml")
    _, report = cli.json("check", "b.yaml", "a.yaml", cwd=tmp_path)
    keys = [(f["file"], f["line"]) for f in report["findings"]]
    assert keys == sorted(keys) and keys[0][0] == "a.yaml"


def test_json_clean_report(cli, tmp_path):
    write_rules(tmp_path, rules_text(2))
    rc, report = cli.json("check", "rules.yaml", cwd=tmp_path)
    assert rc == 0 and report["findings"] == []
    assert report["summary"]["errors"] == report["summary"]["warnings"] == 0
    assert report["summary"]["rulesets"][0]["max_rules"] is None


# --- select / ignore -------------------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path):
    write_rules(tmp_path, MIXED)
    return tmp_path


def run_codes(cli, cwd, *args):
    result = cli("check", "rules.yaml", "--format", "json", *args, cwd=cwd)
    assert_clean_exit(result.output, result.exit_code)
    return set(codes(json.loads(result.stdout))), result.exit_code


def test_select_exact_and_prefix(cli, mixed):
    assert run_codes(cli, mixed, "--select", "RL201")[0] == {"RL201"}
    assert run_codes(cli, mixed, "--select", "RL2")[0] == {"RL201", "RL202"}
    assert run_codes(cli, mixed, "--select", "RL2,RL103")[0] == {"RL201", "RL202", "RL103"}
    assert run_codes(cli, mixed, "--select", "RL2", "--select", "RL103")[0] == {
        "RL201", "RL202", "RL103"}
    assert run_codes(cli, mixed, "--select", "rl201")[0] == {"RL201"}


def test_ignore_exact_and_prefix(cli, mixed):
    all_codes, _ = run_codes(cli, mixed)
    assert {"RL002", "RL102", "RL103", "RL201", "RL202"} <= all_codes
    assert run_codes(cli, mixed, "--ignore", "RL2")[0] == all_codes - {"RL201", "RL202"}
    assert run_codes(cli, mixed, "--ignore", "RL1,RL002")[0] == all_codes - {
        "RL102", "RL103", "RL002"}


def test_more_specific_selector_wins(cli, mixed):
    assert run_codes(cli, mixed, "--select", "RL2", "--ignore", "RL201")[0] == {"RL202"}
    assert run_codes(cli, mixed, "--ignore", "RL2", "--select", "RL201")[0] == {"RL201"}
    assert run_codes(cli, mixed, "--select", "RL", "--ignore", "RL1")[0] >= {"RL201", "RL002"}
    codes_, _ = run_codes(cli, mixed, "--select", "RL", "--ignore", "RL1")
    assert not {c for c in codes_ if c.startswith("RL1")}


def test_selection_changes_the_exit_code(cli, mixed):
    assert run_codes(cli, mixed, "--select", "RL1")[1] == 0  # warnings only
    assert run_codes(cli, mixed, "--ignore", "RL0,RL2,RL3")[1] == 0


@pytest.mark.parametrize("bad", ["RL999", "XX", "RL9999", "RL2,RL77"])
def test_unknown_code_in_select_is_exit_2(cli, mixed, bad):
    for opt in ("--select", "--ignore"):
        result = cli("check", "rules.yaml", opt, bad, cwd=mixed)
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1
        assert "unknown check code" in result.output


# --- exit codes and failure level ------------------------------------------------------------------


WARN_ONLY = rules_text(4, header="limits: {max_rules: 4}")


def test_exit_0_clean(cli, tmp_path):
    write_rules(tmp_path, rules_text(2))
    result = cli("check", "rules.yaml", cwd=tmp_path)
    assert result.exit_code == 0 and "All checks passed" in result.output


def test_fail_on_levels(cli, tmp_path):
    write_rules(tmp_path, WARN_ONLY)
    assert cli("check", "rules.yaml", cwd=tmp_path).exit_code == 0
    assert cli("check", "rules.yaml", "--fail-on", "error", cwd=tmp_path).exit_code == 0
    assert cli("check", "rules.yaml", "--fail-on", "warning", cwd=tmp_path).exit_code == 1
    assert cli("check", "rules.yaml", "--fail-on", "info", cwd=tmp_path).exit_code == 1
    bad = cli("check", "rules.yaml", "--fail-on", "fatal", cwd=tmp_path)
    assert bad.exit_code == 2


def test_fail_on_info(cli, tmp_path):
    write_rules(tmp_path, "rules:\n  - {id: a, action: x, match: {k: v}, expires: 2026-12-01}\n")
    rc, report = cli.json("check", "rules.yaml", "--today", "2026-11-23", cwd=tmp_path)
    assert {f["severity"] for f in report["findings"]} == {"info"}
    assert rc == 0
    args = ("check", "rules.yaml", "--today", "2026-11-23")
    assert cli(*args, "--fail-on", "warning", cwd=tmp_path).exit_code == 0
    assert cli(*args, "--fail-on", "info", cwd=tmp_path).exit_code == 1


def test_exit_zero(cli, mixed):
    result = cli("check", "rules.yaml", "--exit-zero", cwd=mixed)
    assert result.exit_code == 0 and "RL201" in result.output
    result = cli("check", "rules.yaml", "--exit-zero", "--fail-on", "info", cwd=mixed)
    assert result.exit_code == 0


def test_exit_zero_does_not_hide_usage_errors(cli, mixed):
    assert cli("check", "nope.yaml", "--exit-zero", cwd=mixed).exit_code == 2


def test_max_rules_option(cli, tmp_path):
    write_rules(tmp_path, rules_text(3, header="limits: {max_rules: 100}"))
    rc, report = cli.json("check", "rules.yaml", "--max-rules", "2", cwd=tmp_path)
    assert "max_rules of 2" in one(report, "RL101")["message"] and rc == 1
    assert report["summary"]["rulesets"][0]["max_rules"] == 2
    rc, report = cli.json("check", "rules.yaml", "--max-rules", "3", cwd=tmp_path)
    assert codes(report) == ["RL102"] and rc == 0
    assert cli("check", "rules.yaml", "--max-rules", "-1", cwd=tmp_path).exit_code == 2
    assert cli("check", "rules.yaml", "--max-rules", "many", cwd=tmp_path).exit_code == 2


def test_missing_path_is_exit_2_with_one_line(cli, tmp_path):
    result = cli("check", "nope.yaml", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "nope.yaml" in lines[0] and "Traceback" not in result.output


def test_missing_path_among_good_ones(cli, tmp_path):
    write_rules(tmp_path, rules_text(1))
    result = cli("check", "rules.yaml", "missing/x.yaml", cwd=tmp_path)
    assert result.exit_code == 2 and "missing/x.yaml" in result.output


def test_bad_today_and_format_are_exit_2(cli, tmp_path):
    write_rules(tmp_path, rules_text(1))
    r = cli("check", "rules.yaml", "--today", "2026-02-30", cwd=tmp_path)
    assert r.exit_code == 2 and "--today" in r.output
    r = cli("check", "rules.yaml", "--format", "yaml", cwd=tmp_path)
    assert r.exit_code == 2 and "yaml" in r.output
    r = cli("check", "rules.yaml", "--no-such-option", cwd=tmp_path)
    assert r.exit_code == 2


def test_default_paths_say_what_was_read(cli, tmp_path):
    write_rules(tmp_path, rules_text(1), "rules.yaml")
    write_rules(tmp_path, rules_text(1, field="z"), "rules/team/b.yaml")
    write_rules(tmp_path, rules_text(1, field="q"), "unrelated.yaml")
    result = cli("check", cwd=tmp_path)
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.startswith("Read ") and "rules.yaml" in first and "rules/team/b.yaml" in first
    assert "unrelated.yaml" not in result.output


def test_no_rule_files_is_exit_2(cli, tmp_path):
    result = cli("check", cwd=tmp_path)
    assert result.exit_code == 2 and "no rule files found" in result.output


def test_directory_argument_reads_yaml_inside(cli, tmp_path):
    write_rules(tmp_path, rules_text(1), "rules/a.yaml")
    write_rules(tmp_path, rules_text(1, field="y"), "rules/sub/b.yml")
    write_rules(tmp_path, "not: yaml: at: all", "rules/notes.txt")
    rc, report = cli.json("check", "rules", cwd=tmp_path)
    assert report["summary"]["files"] == 2 and rc == 0


# --- text output: quiet, colour ------------------------------------------------------------------


def test_text_report_groups_by_file_with_summary(cli, mixed):
    result = cli("check", "rules.yaml", cwd=mixed)
    out = result.output
    assert result.exit_code == 1
    assert out.splitlines()[0] == "rules.yaml"
    assert re.search(r"^\s+7\s+error\s+RL201 duplicate-rule$", out, re.M)
    assert "support  5/5 rules" in out and "100%" in out
    assert re.search(r"Found \d+ errors?, \d+ warnings? \(5 rules in 1 file\)", out)


def test_quiet_prints_findings_only(cli, mixed):
    loud = cli("check", "rules.yaml", cwd=mixed).output
    quiet = cli("check", "rules.yaml", "--quiet", cwd=mixed)
    assert quiet.exit_code == 1
    assert "RL201" in quiet.output and "Found" not in quiet.output
    assert "5/5 rules" not in quiet.output and "5/5 rules" in loud
    assert cli("check", "rules.yaml", "-q", cwd=mixed).output == quiet.output


def test_quiet_clean_run_prints_nothing(cli, tmp_path):
    write_rules(tmp_path, rules_text(1))
    result = cli("check", "rules.yaml", "--quiet", cwd=tmp_path)
    assert result.exit_code == 0 and result.output.strip() == ""


def test_color_never_and_no_color(cli, mixed):
    assert not ANSI.search(cli("check", "rules.yaml", "--color", "never", cwd=mixed).output)
    assert not ANSI.search(cli("check", "rules.yaml", cwd=mixed, env={"NO_COLOR": "1"}).output)
    # non-TTY output (a pipe, CI logs) has no colour by default
    assert not ANSI.search(cli("check", "rules.yaml", cwd=mixed).output)
    # even when the environment forces a terminal, --color never wins
    forced = cli("check", "rules.yaml", "--color", "never", cwd=mixed, env={"FORCE_COLOR": "1"})
    assert not ANSI.search(forced.output)


def test_color_always(cli, mixed):
    out = cli("check", "rules.yaml", "--color", "always", cwd=mixed).output
    assert ANSI.search(out)
    assert "\x1b[1;31m" in out or "\x1b[31m" in out  # errors in red


def test_machine_formats_never_coloured(cli, mixed):
    result = cli("check", "rules.yaml", "--format", "json", "--color", "always", cwd=mixed)
    assert not ANSI.search(result.output)
    json.loads(result.stdout)


# --- the error boundary and --debug ---------------------------------------------------------------


def test_unexpected_error_is_exit_2_one_line(cli, mixed, monkeypatch):
    import rulelint.cli.check as check_module

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(check_module, "run_check", boom)
    result = cli("check", "rules.yaml", cwd=mixed)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "kaboom" in lines[0] and "--debug" in lines[0]
    assert "Traceback" not in result.output

    result = cli("check", "rules.yaml", "--debug", cwd=mixed)
    assert result.exit_code == 2
    assert "Traceback" in result.output and "kaboom" in result.output


def test_debug_on_a_clean_run_changes_nothing(cli, mixed):
    a = cli("check", "rules.yaml", "--format", "json", cwd=mixed)
    b = cli("check", "rules.yaml", "--format", "json", "--debug", cwd=mixed)
    assert a.exit_code == b.exit_code == 1 and a.stdout == b.stdout


# --- a real process ----------------------------------------------------------------------------------


def test_subprocess_check(tmp_path):
    write_rules(tmp_path, MIXED)
    proc = run_cli(["check", "rules.yaml", "--format", "json"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert {"RL201", "RL202", "RL002"} <= set(codes(report))
    # stderr holds the run's notes (here: no git for rule dates), nothing else
    assert proc.stderr and all(ln.startswith("rulelint: note: ") for ln in proc.stderr.splitlines())
    proc = run_cli(["check", "rules.yaml", "missing.yaml", "--exit-zero"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "missing.yaml" in proc.stderr


def test_subprocess_color_on_a_tty(tmp_path):
    """--color auto colours a terminal, and NO_COLOR turns that off (needs a real pty)."""
    import os
    import pty
    import subprocess
    import sys

    write_rules(tmp_path, MIXED)

    def on_tty(env_extra):
        master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        env.update(env_extra)
        proc = subprocess.Popen(
            [sys.executable, "-m", "rulelint", "check", "rules.yaml"],
            stdout=slave, stderr=slave, cwd=tmp_path, env=env,
        )
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=60)
        os.close(master)
        return proc.returncode, out.decode("utf-8", "replace")

    rc, out = on_tty({})
    assert rc == 1 and ANSI.search(out)
    rc, out = on_tty({"NO_COLOR": "1"})
    assert rc == 1 and not ANSI.search(out) and "RL201" in out
