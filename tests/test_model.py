"""The schema of rule files (RL002), ids (RL004) and field kinds (RL005), through the CLI,
plus the library functions that produce them (``model``, ``conditions``)."""

from __future__ import annotations

import math

import pytest

from conftest import codes, findings, one, write_rules
from rulelint.load.conditions import ConditionError, infer_kind, parse_condition
from rulelint.load.loading import parse_text
from rulelint.load.model import validate_rule


def check_one(cli, tmp_path, text, name="rules.yaml"):
    write_rules(tmp_path, text, name)
    return cli.json("check", name, cwd=tmp_path)


def rl002(report):
    return findings(report, "RL002")


# --- RL002: schema -----------------------------------------------------------------------------


def test_unknown_key_names_key_line_and_closest(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        rules:
          - id: vip
            acton: skip_autoclose
            match: {plan: enterprise}
        """,
    )
    assert rc == 1
    msgs = [f for f in rl002(report) if "unknown key" in f["message"]]
    assert len(msgs) == 1
    f = msgs[0]
    assert "'acton'" in f["message"] and "(line 3)" in f["message"]
    assert "did you mean 'action'?" in f["message"]
    assert f["line"] == 3 and f["rule_ids"] == ["vip"] and f["file"] == "rules.yaml"


def test_unknown_header_key_suggests_header_key(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "semantic: first-match\nrules: []\n")
    f = one(report, "RL002")
    assert "'semantic'" in f["message"] and "did you mean 'semantics'?" in f["message"]
    assert f["line"] == 1 and rc == 1


def test_unknown_limits_key(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "limits:\n  max_rule: 5\nrules: []\n")
    f = one(report, "RL002")
    assert "did you mean 'max_rules'?" in f["message"] and f["line"] == 2


def test_unknown_key_without_close_match_lists_known_keys(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - {id: a, action: x, match: {}, zzzzqqq: 1}\n"
    )
    f = [f for f in rl002(report) if "unknown key" in f["message"]][0]
    assert "known keys" in f["message"] and "action" in f["message"]


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("priority", "high", "priority"),
        ("enabled", "maybe", "enabled"),
        ("cost", "-1", "cost"),
        ("tags", "{a: 1}", "tags"),
        ("created", "yesterday", "created"),
        ("action", "[a, b]", "action"),
    ],
)
def test_bad_types(cli, tmp_path, field, value, needle):
    rc, report = check_one(
        cli, tmp_path, f"rules:\n  - id: a\n    action: x\n    match: {{}}\n    {field}: {value}\n"
        if field != "action" else f"rules:\n  - id: a\n    action: {value}\n    match: {{}}\n",
    )
    bad = rl002(report)
    assert rc == 1 and len(bad) == 1, report["findings"]
    assert bad[0]["message"].startswith(needle) and bad[0]["rule_ids"] == ["a"]
    assert bad[0]["line"] == (5 if field != "action" else 3)


def test_missing_required_keys(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "rules:\n  - id: a\n    match: {}\n")
    f = one(report, "RL002")
    assert "missing the required key 'action'" in f["message"] and f["line"] == 2


def test_missing_rules_key(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "ruleset: x\n")
    f = one(report, "RL002")
    assert "'rules'" in f["message"] and rc == 1


def test_rule_that_is_not_a_mapping(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "rules:\n  - just-a-string\n  - [a, b]\n")
    bad = rl002(report)
    assert [f["line"] for f in bad] == [2, 3] and rc == 1
    assert report["summary"]["rules"] == 2  # broken rules still take a slot


def test_bad_id(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "rules:\n  - {id: '-bad id', action: x, match: {}}\n")
    f = one(report, "RL002")
    assert "an id starts with a letter or digit" in f["message"]


def test_integer_id_is_text(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - {id: 1234, action: x, match: {a: b}}\n  - {id: '1234', action: y, match: {a: c}}\n"
    )
    f = one(report, "RL004")
    assert f["rule_ids"][0] == "1234"


def test_cidr_with_host_bits_suggests_network(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - id: a\n    action: x\n    match:\n      src: {cidr: 10.1.2.3/8}\n"
    )
    f = one(report, "RL002")
    assert "host bits" in f["message"] and "10.0.0.0/8" in f["message"]
    assert f["line"] == 5 and f["rule_ids"] == ["a"] and rc == 1


@pytest.mark.parametrize("net", ["10.0.0.0/33", "300.1.1.1/32", "not-a-net", "2001:db8::1/200"])
def test_bad_cidr(cli, tmp_path, net):
    rc, report = check_one(
        cli, tmp_path, f"rules:\n  - id: a\n    action: x\n    match:\n      src: {{cidr: '{net}'}}\n"
    )
    f = one(report, "RL002")
    assert net in f["message"] and f["line"] == 5


def test_reversed_range(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - id: a\n    action: x\n    match:\n      age: {range: [30, 0]}\n"
    )
    f = one(report, "RL002")
    assert "empty range [30, 0]" in f["message"] and "did you mean [0, 30]?" in f["message"]
    assert f["line"] == 5


def test_bounds_that_admit_nothing(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - id: a\n    action: x\n    match:\n      age: {gt: 5, lt: 6}\n"
    )
    f = one(report, "RL002")
    assert "admit no integer" in f["message"]


def test_unknown_operator_suggests_closest(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - id: a\n    action: x\n    match:\n      age: {rnage: [1, 2]}\n"
    )
    f = one(report, "RL002")
    assert "unknown operator 'rnage'" in f["message"] and "did you mean 'range'?" in f["message"]
    assert f["line"] == 5


def test_two_operators_in_one_condition(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "rules:\n  - id: a\n    action: x\n    match:\n      email: {prefix: a, glob: '*b'}\n",
    )
    f = one(report, "RL002")
    assert "two operators" in f["message"] and "'prefix'" in f["message"]


def test_range_combined_with_bounds_is_one_operator(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - id: a\n    action: x\n    match:\n      age: {range: [0, 30], gte: 5}\n"
    )
    assert "RL002" not in codes(report) and rc == 0


def test_cidr_and_not_in_are_two_operators(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "rules:\n  - id: a\n    action: x\n    match:\n      src: {cidr: 10.0.0.0/8, not_in: [10.0.0.1]}\n",
    )
    assert "two operators" in one(report, "RL002")["message"]


def test_enum_value_outside_declared_values(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        fields:
          plan: {kind: enum, values: [free, pro, enterprise]}
        rules:
          - id: a
            action: x
            match:
              plan: [pro, platinum]
        """,
    )
    f = one(report, "RL002")
    assert "'platinum'" in f["message"] and "free, pro, enterprise" in f["message"]
    assert f["line"] == 7 and f["rule_ids"] == ["a"] and rc == 1


def test_enum_not_in_outside_declared_values(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "fields: {plan: {kind: enum, values: [free, pro]}}\nrules:\n  - {id: a, action: x, match: {plan: {not_in: [gold]}}}\n",
    )
    assert "'gold'" in one(report, "RL002")["message"]


def test_int_outside_declared_min_max(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        fields:
          dst_port: {kind: int, min: 0, max: 65535}
        rules:
          - id: a
            action: x
            match:
              dst_port: [443, 70000]
        """,
    )
    f = one(report, "RL002")
    assert "70000" in f["message"] and "0..65535" in f["message"] and f["line"] == 7


def test_bad_field_declaration(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path, "fields:\n  plan: {kind: enum}\nrules: []\n"
    )
    f = one(report, "RL002")
    assert "values" in f["message"] and f["line"] == 2


def test_unknown_field_kind(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "fields:\n  plan: text\nrules: []\n")
    assert one(report, "RL002")["line"] == 2


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "~\n"])
def test_empty_file(cli, tmp_path, text):
    rc, report = check_one(cli, tmp_path, text, "empty.yaml")
    f = one(report, "RL002")
    assert f["file"] == "empty.yaml" and "empty" in f["message"] and rc == 1


@pytest.mark.parametrize(
    ("text", "what"),
    [("- id: a\n- id: b\n", "a list"), ("hello\n", "a single value"), ("42\n", "a single value")],
)
def test_top_level_not_a_mapping(cli, tmp_path, text, what):
    rc, report = check_one(cli, tmp_path, text, "top.yaml")
    f = one(report, "RL002")
    assert what in f["message"] and "mapping" in f["message"] and f["file"] == "top.yaml"


def test_rules_not_a_list(cli, tmp_path):
    rc, report = check_one(cli, tmp_path, "rules: {id: a}\n")
    f = one(report, "RL002")
    assert "must be a list" in f["message"] and rc == 1


def test_invalid_date(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "rules:\n  - id: a\n    action: x\n    match: {k: v}\n    expires: 2026-02-30\n",
    )
    f = one(report, "RL002")
    assert "2026-02-30" in f["message"] and f["line"] == 5 and rc == 1


def test_invalid_date_names_its_rule(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "rules:\n  - id: a\n    action: x\n    match: {k: v}\n    expires: 2026-02-30\n",
    )
    f = one(report, "RL002")
    assert f["rule_ids"] == ["a"] and f["ruleset"] == "rules"


def test_nan_and_inf(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        limits: {warn_ratio: .nan}
        rules:
          - {id: a, action: x, match: {n: .nan}}
          - {id: b, action: x, match: {n: .inf}}
          - {id: c, action: x, match: {n: {gte: -.inf}}}
        """,
    )
    bad = rl002(report)
    assert sorted(f["line"] for f in bad) == [1, 3, 4, 5] and rc == 1
    for f in bad:
        assert "nan" in f["message"].lower() or "inf" in f["message"].lower() or "finite" in f["message"]


def test_one_bad_rule_does_not_stop_the_others(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        rules:
          - {id: a, action: x, match: {k: v}, acton: y}
          - {id: b, action: x, match: {k: w}}
          - {id: c, action: x, match: {k: w}}
        """,
    )
    assert "RL002" in codes(report)
    dup = one(report, "RL201")
    assert dup["rule_ids"] == ["c", "b"]
    assert report["summary"]["rules"] == 3


# --- RL004 ---------------------------------------------------------------------------------------


def test_duplicate_id(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        rules:
          - id: vip
            action: x
            match: {plan: enterprise}
          - id: vip
            action: y
            match: {plan: pro}
        """,
    )
    f = one(report, "RL004")
    assert f["line"] == 5 and f["rule_ids"] == ["vip", "vip"] and "line 2" in f["message"]
    assert f["name"] == "duplicate-id" and rc == 1


def test_duplicate_id_across_files_of_one_ruleset(cli, tmp_path):
    write_rules(tmp_path, "ruleset: s\nrules:\n  - {id: vip, action: x, match: {p: a}}\n", "a.yaml")
    write_rules(tmp_path, "ruleset: s\nrules:\n  - {id: vip, action: x, match: {p: b}}\n", "b.yaml")
    rc, report = cli.json("check", "a.yaml", "b.yaml", cwd=tmp_path)
    f = one(report, "RL004")
    assert f["file"] == "b.yaml" and "a.yaml:3" in f["message"] and f["ruleset"] == "s"


def test_same_id_in_different_rulesets_is_fine(cli, tmp_path):
    write_rules(tmp_path, "rules:\n  - {id: vip, action: x, match: {p: a}}\n", "a.yaml")
    write_rules(tmp_path, "rules:\n  - {id: vip, action: x, match: {p: b}}\n", "b.yaml")
    rc, report = cli.json("check", "a.yaml", "b.yaml", cwd=tmp_path)
    assert "RL004" not in codes(report) and rc == 0


# --- RL005 ---------------------------------------------------------------------------------------


def test_int_range_here_string_there(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        rules:
          - id: young
            action: x
            match:
              age: {range: [0, 30]}
          - id: named
            action: y
            match:
              age: thirty
        """,
    )
    f = one(report, "RL005")
    assert f["line"] == 9 and f["rule_ids"] == ["named", "young"]
    assert "int" in f["message"] and "text" in f["message"] and "rules.yaml:5" in f["message"]
    assert f["name"] == "field-kind-conflict" and rc == 1


def test_cidr_anywhere_makes_ip_so_plain_text_conflicts(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        rules:
          - id: plain
            action: x
            match: {src: office}
          - id: net
            action: y
            match: {src: {cidr: 10.0.0.0/8}}
          - id: addr
            action: z
            match: {src: 192.0.2.7}
        """,
    )
    f = one(report, "RL005")
    assert f["rule_ids"][0] == "plain" and f["line"] == 4
    assert "ip" in f["message"] and "cidr" in f["message"]
    # a plain address is fine for an ip field
    assert all("addr" not in x["rule_ids"] for x in report["findings"] if x["code"] in ("RL002", "RL005"))


def test_declared_kind_conflicts_with_use(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        """\
        fields: {ticket_age_days: int}
        rules:
          - id: a
            action: x
            match: {ticket_age_days: old}
        """,
    )
    f = one(report, "RL005")
    assert "declared int" in f["message"] and f["line"] == 5 and rc == 1


def test_bool_conflicts_with_text_and_hints_quoting(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "fields: {region: string}\nrules:\n  - {id: a, action: x, match: {region: no}}\n",
    )
    f = one(report, "RL005")
    assert "quote" in f["message"]


def test_declared_kind_in_config_wins(cli, tmp_path):
    write_rules(tmp_path, "fields:\n  code: string\n", "rulelint.yaml")
    rc, report = check_one(
        cli, tmp_path, "rules:\n  - {id: a, action: x, match: {code: 42}}\n"
    )
    f = one(report, "RL005")
    assert "configuration" in f["message"]


def test_prefix_on_an_int_field_conflicts(cli, tmp_path):
    rc, report = check_one(
        cli, tmp_path,
        "rules:\n  - {id: a, action: x, match: {n: 5}}\n  - {id: b, action: x, match: {n: {prefix: '5'}}}\n",
    )
    assert one(report, "RL005")["rule_ids"][0] == "b"


# --- library ------------------------------------------------------------------------------------


def test_validate_rule_applies_defaults_only_where_missing():
    raw = parse_text("id: a\naction: x\nmatch: {}\nowner: me\n", "r.yaml").data
    rule, problems = validate_rule(raw, {"owner": "team", "tags": ["t"]}, 1)
    assert problems == [] and rule.owner == "me" and rule.tags == ["t"]


def test_parse_condition_forms():
    assert parse_condition("f", "a").values == ("a",)
    assert parse_condition("f", ["b", "a", "b"]).values == ("b", "a")
    c = parse_condition("n", {"gt": 1, "lte": 9})
    assert (c.op, c.lo, c.hi) == ("bounds", 2, 9)
    c = parse_condition("n", {"lt": 0})
    assert c.lo == -math.inf and c.hi == -1
    assert parse_condition("ip", {"cidr": "10.0.0.0/8"}).op == "cidr"
    with pytest.raises(ConditionError):
        parse_condition("f", {})
    with pytest.raises(ConditionError):
        parse_condition("f", [])
    with pytest.raises(ConditionError):
        parse_condition("f", None)
    with pytest.raises(ConditionError):
        parse_condition("f", {"range": [1]})
    with pytest.raises(ConditionError):
        parse_condition("f", {"gte": True})


def test_infer_kind_order():
    p = parse_condition
    assert infer_kind([p("f", "10.0.0.1"), p("f", {"cidr": "10.0.0.0/8"})]) == "ip"
    assert infer_kind([p("f", "10.0.0.1")]) == "string"
    assert infer_kind([p("f", 1), p("f", {"gte": 3})]) == "int"
    assert infer_kind([p("f", True)]) == "bool"
    assert infer_kind([p("f", "x")]) == "string"
