"""Classic overlap cases, end to end through ``rulelint check --format json`` (and ``eval``).

Each case states the expected finding precisely (code, rule ids, witness) and, where it could
pass by accident, has a near-miss twin that must not be reported.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rulelint.cli import app

runner = CliRunner()

ONE_RULESET = "ruleset: support\n"
PLAN = ("free", "pro", "enterprise")
PLAN_ENUM = """\
fields:
  plan: {kind: enum, values: [free, pro, enterprise]}
"""


@pytest.fixture
def rules_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return sorted(files)


def check(root: Path, files: dict[str, str], select: str = "RL2,RL3") -> list[dict]:
    names = write(root, files)
    result = runner.invoke(app, ["check", *names, "--format", "json", "--select", select])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    assert data["version"] == 1
    findings = data["findings"]
    errors = any(f["severity"] == "error" for f in findings)
    assert result.exit_code == (1 if errors else 0)
    return findings


def evaluate(root: Path, names: list[str], event: dict) -> dict:
    result = runner.invoke(
        app, ["eval", *names, "--event", json.dumps(event), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def about(findings: list[dict], rule_id: str, code: str | None = None) -> list[dict]:
    return [
        f for f in findings
        if f["rule_ids"][0] == rule_id and (code is None or f["code"] == code)
    ]


def only(findings: list[dict], rule_id: str, code: str) -> dict:
    got = about(findings, rule_id, code)
    assert len(got) == 1, (code, rule_id, findings)
    return got[0]


def rules_yaml(*rules: str, header: str = "") -> str:
    body = "".join(textwrap.indent(textwrap.dedent(r), "  ") for r in rules)
    return textwrap.dedent(header) + "rules:\n" + body


def rule(rid: str, action: str, match: str, extra: str = "") -> str:
    return f"- id: {rid}\n  action: {action}\n  match: {match}\n" + (
        f"  {extra}\n" if extra else ""
    )


# --- joint coverage ------------------------------------------------------------------------


def test_slash7_covered_by_two_slash8s(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("net10", "deny", "{src: {cidr: 10.0.0.0/8}}"),
        rule("net11", "deny", "{src: {cidr: 11.0.0.0/8}}"),
        rule("net10-11", "deny", "{src: {cidr: 10.0.0.0/7}}"),
    )}
    findings = check(rules_dir, files)
    f = only(findings, "net10-11", "RL301")
    assert f["rule_ids"] == ["net10-11", "net10", "net11"]
    # each /8 alone is redundant too (the /7 below catches it): removing one at a time is safe
    assert only(findings, "net10", "RL301")["rule_ids"] == ["net10", "net10-11"]
    assert only(findings, "net11", "RL301")["rule_ids"] == ["net11", "net10-11"]


def test_slash7_with_one_slash8_is_not_covered(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("net10", "deny", "{src: {cidr: 10.0.0.0/8}}"),
        rule("net10-11", "deny", "{src: {cidr: 10.0.0.0/7}}"),
    )}
    assert about(check(rules_dir, files), "net10-11") == []


def test_slash7_shadowed_by_two_slash8s_with_another_action(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("net10", "deny", "{src: {cidr: 10.0.0.0/8}}"),
        rule("net11", "allow", "{src: {cidr: 11.0.0.0/8}}"),
        rule("net10-11", "allow", "{src: {cidr: 10.0.0.0/7}}"),
    )}
    findings = check(rules_dir, files)
    f = only(findings, "net10-11", "RL302")
    assert f["severity"] == "error"
    assert f["rule_ids"] == ["net10-11", "net10", "net11"]
    addr = ipaddress.ip_address(f["witness"]["src"])
    assert addr in ipaddress.ip_network("10.0.0.0/8")  # decided by 'net10' with 'deny'
    got = evaluate(rules_dir, ["rules.yaml"], f["witness"])
    assert got["deciding"] == ["net10"] and got["decision"] == ["deny"]
    assert "net10-11" in got["matched"]


def test_list_split_over_two_rules(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("asia", "allow", "{region: [JP, KR]}"),
        rule("de", "allow", "{region: DE}"),
        rule("jp-de", "allow", "{region: [JP, DE]}"),
        rule("jp-us", "allow", "{region: [JP, US]}"),
    )}
    findings = check(rules_dir, files)
    f = only(findings, "jp-de", "RL301")
    assert f["rule_ids"] == ["jp-de", "asia", "de"]
    assert "'asia'" in f["message"] and "'de'" in f["message"]
    assert about(findings, "jp-us") == []  # US is decided by it


# --- shadowed, redundant ---------------------------------------------------------------------


def test_later_rule_with_another_action_is_shadowed(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("pro", "deny", "{plan: pro}"),
        rule("pro-jp", "allow", "{plan: pro, region: JP, age: {gte: 3}}"),
    )}
    findings = check(rules_dir, files)
    f = only(findings, "pro-jp", "RL302")
    assert f["rule_ids"] == ["pro-jp", "pro"]
    w = f["witness"]
    assert w["plan"] == "pro" and w["region"] == "JP" and w["age"] >= 3
    got = evaluate(rules_dir, ["rules.yaml"], w)
    assert got == {"decision": ["deny"], "deciding": ["pro"], "matched": ["pro", "pro-jp"]}


def test_text_output_shows_the_witness(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("pro", "deny", "{plan: pro}"),
        rule("pro-jp", "allow", "{plan: pro, region: JP}"),
    )}
    names = write(rules_dir, files)
    result = runner.invoke(app, ["check", *names, "--select", "RL3", "--color", "never"])
    assert result.exit_code == 1
    assert "RL302" in result.stdout and "'pro-jp'" in result.stdout
    assert "witness: plan=pro, region=JP" in result.stdout


def test_redundant_below_catch_all_with_same_action(rules_dir):
    """'jp' still decides JP events, but without it the catch-all gives the same answer."""
    files = {"rules.yaml": rules_yaml(
        rule("jp", "allow", "{region: JP}"),
        rule("kr", "deny", "{region: KR}"),
        rule("everything", "allow", "{}"),
    )}
    findings = check(rules_dir, files)
    f = only(findings, "jp", "RL301")
    assert "everything" in f["rule_ids"][1:]
    assert "'everything'" in f["message"]
    assert only(findings, "everything", "RL304")["severity"] == "warning"
    assert about(findings, "kr") == []  # removing it turns KR into allow
    got = evaluate(rules_dir, ["rules.yaml"], {"region": "JP"})
    assert got["deciding"] == ["jp"]  # it does decide: redundant, not dead


def test_dead_rule_with_same_action_names_only_rules_with_that_action(rules_dir):
    """A catch-all with another action also covers 'both', but 'free' and 'pro' decide all
    of it first: RL301 must name those two, not the catch-all (found by hypothesis)."""
    files = {"rules.yaml": rules_yaml(
        rule("free", "allow", "{plan: free}"),
        rule("pro", "allow", "{plan: [pro]}"),
        rule("everything", "deny", "{}"),
        rule("both", "allow", "{plan: [free, pro]}"),
        header=PLAN_ENUM,
    )}
    f = only(check(rules_dir, files), "both", "RL301")
    assert f["rule_ids"] == ["both", "free", "pro"]
    assert "'everything'" not in f["message"]


def test_dead_rule_covered_by_a_value_and_its_complement(rules_dir):
    """'not-jp' is taken by 'de' and 'not-de' together (a probe value only meets 'not-de'
    and the catch-all): still RL301, naming the two allow rules (found by hypothesis)."""
    files = {"rules.yaml": rules_yaml(
        rule("de", "allow", "{region: DE}"),
        rule("not-de", "allow", "{region: {not_in: [DE]}}"),
        rule("everything", "deny", "{}"),
        rule("not-jp", "allow", "{region: {not_in: [JP]}}"),
    )}
    f = only(check(rules_dir, files), "not-jp", "RL301")
    assert f["rule_ids"] == ["not-jp", "de", "not-de"]


def test_not_redundant_when_a_rule_in_between_differs(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("jp", "allow", "{region: JP}"),
        rule("asia", "deny", "{region: [JP, KR]}"),
        rule("everything", "allow", "{}"),
    )}
    assert about(check(rules_dir, files), "jp") == []


def test_enum_field_fully_covered_by_two_rules(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("small", "allow", "{plan: [free, pro], region: JP}"),
        rule("big", "allow", "{plan: enterprise, region: JP}"),
        rule("paid", "allow", "{plan: {not_in: [free]}, region: JP}"),
        header=PLAN_ENUM,
    )}
    f = only(check(rules_dir, files), "paid", "RL301")
    assert f["rule_ids"] == ["paid", "small", "big"]


def test_string_field_is_not_covered_like_an_enum(rules_dir):
    """The same rules over an undeclared (string) field: not_in [free] holds for 'gold'."""
    files = {"rules.yaml": rules_yaml(
        rule("small", "allow", "{plan: [free, pro], region: JP}"),
        rule("big", "allow", "{plan: enterprise, region: JP}"),
        rule("paid", "allow", "{plan: {not_in: [free]}, region: JP}"),
    )}
    assert about(check(rules_dir, files), "paid") == []


def test_rule_not_testing_the_enum_is_not_covered(rules_dir):
    """Events without plan are decided by 'jp' (SPEC.md: a missing field fails a condition)."""
    files = {"rules.yaml": rules_yaml(
        rule("small", "allow", "{plan: [free, pro]}"),
        rule("big", "allow", "{plan: enterprise}"),
        rule("jp", "deny", "{region: JP}"),
        header=PLAN_ENUM,
    )}
    got = evaluate(rules_dir, write(rules_dir, files), {"region": "JP"})
    assert got["deciding"] == ["jp"]  # the reference evaluator: 'jp' decides
    assert about(check(rules_dir, files), "jp") == []


def test_full_domain_condition_still_requires_the_field(rules_dir):
    """vip: [true, false] is not 'no condition': it needs vip present (so no RL304)."""
    files = {"rules.yaml": rules_yaml(
        rule("any-vip", "allow", "{vip: [true, false]}"),
        rule("pro", "deny", "{plan: pro}"),
    )}
    got = evaluate(rules_dir, write(rules_dir, files), {"plan": "pro"})
    assert got["deciding"] == ["pro"]
    findings = check(rules_dir, files)
    assert about(findings, "any-vip", "RL304") == []
    assert about(findings, "pro") == []


# --- IPv6 ----------------------------------------------------------------------------------


def test_ipv6_network_covered_by_two_halves(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("low", "deny", '{src: {cidr: "2001:db8::/33"}}'),
        rule("high", "deny", '{src: {cidr: "2001:db8:8000::/33"}}'),
        rule("whole", "deny", '{src: {cidr: "2001:db8::/32"}}'),
        rule("wider", "deny", '{src: {cidr: "2001:db8::/31"}}'),
    )}
    findings = check(rules_dir, files)
    assert only(findings, "whole", "RL301")["rule_ids"] == ["whole", "low", "high"]
    assert about(findings, "wider") == []


def test_ipv6_shadowed_with_ipv6_witness(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("v6", "deny", '{src: {cidr: "2001:db8::/32"}}'),
        rule("host", "allow", '{src: ["2001:db8::1", "2001:db8:0:1::5"]}'),
    )}
    f = only(check(rules_dir, files), "host", "RL302")
    addr = ipaddress.ip_address(f["witness"]["src"])
    assert addr.version == 6 and addr in ipaddress.ip_network("2001:db8::/32")


def test_ipv4_everything_does_not_cover_ipv6(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("all-v4", "deny", "{src: {cidr: 0.0.0.0/0}}"),
        rule("v6", "allow", '{src: {cidr: "2001:db8::/32"}}'),
        rule("mapped", "allow", '{src: {cidr: "::ffff:0:0/96"}}'),
        rule("v4-host", "allow", "{src: 192.0.2.7}"),
    )}
    findings = check(rules_dir, files)
    assert about(findings, "v6") == [] and about(findings, "mapped") == []
    assert only(findings, "v4-host", "RL302")["witness"] == {"src": "192.0.2.7"}


# --- globs: never claimed covered unless proven ----------------------------------------------


def test_glob_not_covered_by_rules_that_miss_some_of_it(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("a-users", "allow", '{email: {prefix: "a"}}'),
        rule("not-x", "allow", '{email: {not_in: ["x@example.com"]}}'),
        rule("example", "allow", '{email: {glob: "*@example.com"}}'),
    )}
    # x@example.com is matched by 'example' only
    assert about(check(rules_dir, files), "example") == []


def test_glob_not_claimed_covered_by_another_glob(rules_dir):
    """'*.com' does cover '*@example.com', but the algebra cannot prove it: say nothing."""
    files = {"rules.yaml": rules_yaml(
        rule("dotcom", "deny", '{email: {glob: "*.com"}}'),
        rule("example", "allow", '{email: {glob: "*@example.com"}}'),
        rule("bob", "allow", '{email: "bob@example.com"}'),
    )}
    findings = check(rules_dir, files)
    assert about(findings, "example", "RL302") == [] and about(findings, "example", "RL301") == []
    assert about(findings, "bob", "RL302") == [] and about(findings, "bob", "RL301") == []


def test_glob_covered_when_proven(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("x-users", "allow", '{email: {prefix: "x"}}'),
        rule("not-x", "allow", '{email: {not_in: ["x@example.com"]}}'),
        rule("example", "allow", '{email: {glob: "*@example.com"}}'),
        rule("abc", "allow", '{email: {glob: "ab*"}}'),
    )}
    findings = check(rules_dir, files)
    # every string is in 'x-users' or 'not-x': both together cover the glob
    assert only(findings, "example", "RL301")["rule_ids"] == ["example", "x-users", "not-x"]
    assert only(findings, "abc", "RL301")["rule_ids"] == ["abc", "not-x"]


def test_glob_shadowed_by_match_all_string_condition_with_witness(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("everyone", "deny", '{email: {prefix: ["", "a"]}}'),
        rule("example", "allow", '{email: {glob: "*@exa?ple.com"}}'),
    )}
    f = only(check(rules_dir, files), "example", "RL302")
    assert f["witness"]["email"].endswith(".com")
    got = evaluate(rules_dir, ["rules.yaml"], f["witness"])
    assert got["deciding"] == ["everyone"] and "example" in got["matched"]


# --- any-match -------------------------------------------------------------------------------


def test_any_match_redundancy_is_order_free(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("jp-de", "tag", "{region: [JP, DE]}"),
        rule("asia", "tag", "{region: [JP, KR]}"),
        rule("de", "tag", "{region: DE}"),
        rule("jp-other", "flag", "{region: JP}"),
        header="semantics: any-match\n",
    )}
    findings = check(rules_dir, files)
    f = only(findings, "jp-de", "RL301")
    assert f["rule_ids"] == ["jp-de", "asia", "de"]
    assert about(findings, "jp-other") == []  # its action applies nowhere else
    assert not [x for x in findings if x["code"] in ("RL302", "RL303")]
    got = evaluate(rules_dir, ["rules.yaml"], {"region": "JP"})
    assert got["decision"] == ["flag", "tag"]


# --- match-all, matches nothing ----------------------------------------------------------------


def test_match_all_makes_the_rest_dead(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("catch-all", "deny", "{}"),
        rule("jp", "allow", "{region: JP}"),
        rule("kr", "deny", "{region: KR}"),
    )}
    findings = check(rules_dir, files)
    assert only(findings, "catch-all", "RL304")["rule_ids"] == ["catch-all"]
    assert only(findings, "jp", "RL302")["rule_ids"] == ["jp", "catch-all"]
    assert only(findings, "kr", "RL301")["rule_ids"] == ["kr", "catch-all"]


def test_rule_matching_nothing(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("nobody", "allow", "{plan: {not_in: [free, pro, enterprise]}}"),
        rule("somebody", "allow", "{plan: {not_in: [free, pro]}}"),
        header=PLAN_ENUM,
    )}
    findings = check(rules_dir, files)
    f = only(findings, "nobody", "RL301")
    assert f["rule_ids"] == ["nobody"]
    assert "plan" in f["message"]
    assert about(findings, "somebody") == []


# --- RL303 -----------------------------------------------------------------------------------


def test_ambiguous_overlap_across_two_files(rules_dir):
    files = {
        "a.yaml": rules_yaml(
            rule("a-jp", "deny", "{region: JP, vip: true}"), header=ONE_RULESET
        ),
        "b.yaml": rules_yaml(
            rule("b-asia", "allow", "{region: [JP, KR]}"),
            rule("b-later", "deny", "{region: JP}", "priority: 1"),
            header=ONE_RULESET,
        ),
    }
    findings = check(rules_dir, files)
    f = only(findings, "b-asia", "RL303")
    assert f["rule_ids"] == ["b-asia", "a-jp"]
    assert f["file"] == "b.yaml"
    assert f["witness"]["region"] == "JP" and f["witness"]["vip"] is True
    got = evaluate(rules_dir, sorted(files), f["witness"])
    assert got["deciding"] == ["a-jp"] and "b-asia" in got["matched"]
    assert about(findings, "b-later", "RL303") == []  # another priority: no ambiguity


def test_no_ambiguity_in_one_file_or_when_an_earlier_rule_decides(rules_dir):
    files = {
        "a.yaml": rules_yaml(
            rule("first", "review", "{region: JP}", "priority: -1"),
            rule("a-jp", "deny", "{region: JP}"),
            rule("a-kr", "allow", "{region: KR}"),
            header=ONE_RULESET,
        ),
        "b.yaml": rules_yaml(rule("b-jp", "allow", "{region: JP}"), header=ONE_RULESET),
    }
    findings = check(rules_dir, files)
    assert not [f for f in findings if f["code"] == "RL303"]
    # 'first' decides every event of 'b-jp' (same match, another action)
    assert only(findings, "b-jp", "RL202")["rule_ids"] == ["b-jp", "first"]


def test_ambiguous_overlap_needs_the_same_ruleset(rules_dir):
    files = {
        "a.yaml": rules_yaml(rule("a-jp", "deny", "{region: JP}")),
        "b.yaml": rules_yaml(rule("b-jp", "allow", "{region: JP}")),
    }
    assert check(rules_dir, files) == []  # two rulesets (named after the files)


# --- the named covering set is small ---------------------------------------------------------


def test_one_rule_that_alone_covers_is_named_alone(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("wide", "allow", "{region: [JP, KR, DE]}"),
        rule("jp", "allow", "{region: JP, vip: true}"),
        rule("kr", "allow", "{region: KR}"),
        rule("jp-kr", "allow", "{region: [JP, KR]}"),
    )}
    assert only(check(rules_dir, files), "jp-kr", "RL301")["rule_ids"] == ["jp-kr", "wide"]


def test_one_rule_that_alone_covers_is_named_alone_whatever_the_order(rules_dir):
    """Every earlier rule is ranked, not only those reached before the rule is covered."""
    files = {"rules.yaml": rules_yaml(
        rule("jp", "allow", "{region: JP}"),
        rule("kr", "allow", "{region: KR}"),
        rule("wide", "allow", "{region: [JP, KR, DE]}"),
        rule("jp-kr", "allow", "{region: [JP, KR]}"),
    )}
    assert only(check(rules_dir, files), "jp-kr", "RL301")["rule_ids"] == ["jp-kr", "wide"]


def test_shadowed_names_a_rule_with_another_action(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("vip-deny", "deny", "{region: JP, vip: true}"),
        rule("jp-allow", "allow", "{region: JP}"),
        rule("jp-old", "allow", "{region: JP, age: {gte: 3}}"),
    )}
    f = only(check(rules_dir, files), "jp-old", "RL302")
    # 'jp-allow' alone covers it, but 'vip-deny' is why it is an error: it must be named
    assert f["rule_ids"][0] == "jp-old" and "vip-deny" in f["rule_ids"][1:]
    assert f["witness"]["vip"] is True


# --- declared int bounds: check and eval must agree ------------------------------------------


def test_declared_int_bounds_check_and_eval_agree(rules_dir):
    """A declared int range bounds the events too: check and eval must agree on age 11."""
    files = {"rules.yaml": rules_yaml(
        rule("in-range", "allow", "{age: {range: [0, 10]}}"),
        rule("not-3", "deny", "{age: {not_in: [3]}}"),
        header="fields:\n  age: {kind: int, min: 0, max: 10}\n",
    )}
    names = write(rules_dir, files)
    shadowed = bool(about(check(rules_dir, files), "not-3", "RL302"))
    decides = evaluate(rules_dir, names, {"age": 11})["deciding"] == ["not-3"]
    assert not (shadowed and decides)


# --- one run as a real process, with no flags --------------------------------------------------


def test_check_subprocess_reports_shadowed_rule_and_fails(tmp_path):
    (tmp_path / "rules.yaml").write_text(rules_yaml(
        rule("net10", "deny", "{src: {cidr: 10.0.0.0/8}}"),
        rule("net11", "deny", "{src: {cidr: 11.0.0.0/8}}"),
        rule("net10-11", "allow", "{src: {cidr: 10.0.0.0/7}}"),
    ), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "rules.yaml", "--format", "json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    f = only(findings, "net10-11", "RL302")
    assert f["rule_ids"] == ["net10-11", "net10", "net11"]
    assert f["line"] == 8 and f["file"] == "rules.yaml"
    assert "Traceback" not in proc.stderr


# --- minimised counterexamples of bugs the property tests found (regression tests) -------------


def test_glob_list_with_an_opaque_pattern_is_not_a_duplicate(rules_dir):
    """'*a' is opaque with an empty head: the tag field must stay in the duplicate key."""
    files = {"rules.yaml": rules_yaml(
        rule("not-vip", "allow", '{vip: false, tag: {prefix: ""}}'),
        rule("a-or-ends-a", "allow", '{vip: false, tag: {glob: ["a*", "*a"]}}'),
    )}
    got = evaluate(rules_dir, write(rules_dir, files), {"vip": False, "tag": "b"})
    assert got["matched"] == ["not-vip"]  # the two rules differ on tag 'b'
    assert about(check(rules_dir, files), "a-or-ends-a", "RL201") == []


def test_no_ambiguity_when_an_earlier_glob_rule_decides(rules_dir):
    """RL303's witness is checked against every earlier rule, opaque globs included."""
    files = {
        "a.yaml": rules_yaml(
            rule("first", "allow", '{tag: {glob: "?b"}}'),
            rule("a-ab", "deny", "{tag: ab}", "priority: 1"),
            header=ONE_RULESET,
        ),
        "b.yaml": rules_yaml(rule("b-all", "allow", "{}", "priority: 1"), header=ONE_RULESET),
    }
    got = evaluate(rules_dir, write(rules_dir, files), {"tag": "ab"})
    assert got["deciding"] == ["first"]  # the only event both match is decided earlier
    assert [f for f in check(rules_dir, files) if f["code"] == "RL303"] == []


def test_shadowed_cover_has_no_superfluous_rule(rules_dir):
    """The deciding rule is kept while pruning, so 'not-jp' (own action) is not named."""
    files = {"rules.yaml": rules_yaml(
        rule("de", "allow", "{region: DE}"),
        rule("not-jp", "deny", "{region: {not_in: [JP]}}"),
        rule("jp-kr", "allow", "{region: [JP, KR]}"),
        rule("target", "deny", "{region: [JP, DE, KR]}"),
    )}
    f = only(check(rules_dir, files), "target", "RL302")
    assert f["rule_ids"] == ["target", "de", "jp-kr"]


def test_glob_over_an_enum_shadows_with_a_witness(rules_dir):
    """A glob over an enum is exact; its witness comes from the declared values."""
    files = {"rules.yaml": rules_yaml(
        rule("any-plan", "allow", '{plan: {glob: "*"}}'),
        rule("jp", "deny", "{region: JP, plan: {prefix: [f, p]}}"),
        rule("every-plan", "deny", '{plan: {prefix: ""}}'),
        header=PLAN_ENUM,
    )}
    findings = check(rules_dir, files)
    assert about(findings, "jp", "RL301") == []
    f = only(findings, "jp", "RL302")
    assert f["witness"]["plan"] in ("free", "pro")
    f = only(findings, "every-plan", "RL202")
    assert f["rule_ids"] == ["every-plan", "any-plan"] and f["witness"]["plan"] in PLAN


def test_glob_covered_by_another_action_is_not_called_same_action(rules_dir):
    files = {"rules.yaml": rules_yaml(
        rule("ax-same", "allow", '{tag: {prefix: [a, x]}}'),
        rule("rest-other", "deny", '{tag: {prefix: ""}}'),
        rule("glob", "allow", '{tag: {glob: "*a?"}}'),
    )}
    got = evaluate(rules_dir, write(rules_dir, files), {"tag": "bax"})
    assert got["deciding"] == ["rest-other"] and "glob" in got["matched"]
    findings = check(rules_dir, files)
    assert about(findings, "glob", "RL301") == []
    f = only(findings, "glob", "RL302")
    assert "rest-other" in f["rule_ids"]


# --- scale: a list split over many rules, and the budget notice ------------------------------


def test_list_rule_covered_by_many_single_value_rules(rules_dir):
    """A thousand single-value rules take a list rule's values in one batched difference."""
    n = 600
    singles = [rule(f"c{i}", "vip", f"{{customer: C{i}}}") for i in range(n)]
    listed = ", ".join(f"C{i}" for i in range(0, n, 3))
    files = {"rules.yaml": rules_yaml(*singles, rule("listed", "vip", f"{{customer: [{listed}]}}"))}
    f = only(check(rules_dir, files), "listed", "RL301")
    assert "never decides" in f["message"]


def test_rule_beyond_the_budget_is_reported_and_listed_as_incomplete(rules_dir, monkeypatch):
    """A limit can only stop the question about rules on other fields: the rule that never
    decides is still reported (RL301: deleting it changes nothing), and the open RL302
    question is listed in summary.incomplete, on stderr and in the text report."""
    import rulelint.passes.overlap as overlap

    files = {"rules.yaml": rules_yaml(
        rule("c1", "escalate", "{customer: C1}"),
        rule("jp", "allow", "{region: JP}"),
        rule("jp-pro", "allow", "{region: JP, plan: pro}"),
    )}
    names = write(rules_dir, files)
    # with the limits as shipped: an event with customer C1 goes to c1 first
    assert only(check(rules_dir, files), "jp-pro", "RL302")["witness"]["customer"] == "C1"
    monkeypatch.setattr(overlap, "MAX_PROBES", 0)
    f = only(check(rules_dir, files), "jp-pro", "RL301")
    assert "not settled within the limits" in f["message"]
    result = runner.invoke(app, ["check", *names, "--format", "json", "--select", "RL3"])
    data = json.loads(result.stdout)
    [entry] = data["summary"]["incomplete"]
    assert entry == {"ruleset": "rules", "rule_id": "jp-pro", "file": "rules.yaml",
                     "line": entry["line"], "codes": ["RL302"]}
    assert "1 rule(s) whose analysis a limit stopped ('jp-pro')" in result.stderr
    result = runner.invoke(app, ["check", *names, "--select", "RL3", "--color", "never"])
    assert "1 rule(s) whose analysis a limit stopped" in result.stdout
    monkeypatch.setattr(overlap, "MAX_PROBES", 64)
    result = runner.invoke(app, ["check", *names, "--format", "json", "--select", "RL3"])
    assert json.loads(result.stdout)["summary"]["incomplete"] == []


def test_removal_question_skips_rules_that_never_decide(rules_dir):
    """A rule redundant on its own fields, with more rules of other actions in between that
    meet it than the probe limit allows: those rules never decide (earlier rules other than
    r take all of them), so none can take r's events once r is gone. The question is settled
    (RL301), with nothing left open (dense 100k had 227 such rules in summary.incomplete)."""
    regions = [f"R{i}" for i in range(80)]
    between = [rule(f"w-{g}", "refund", f"{{region: {g}}}") for g in regions]
    files = {"rules.yaml": rules_yaml(
        rule("wide", "refund", f"{{region: [{', '.join(regions)}]}}"),
        rule("c1", "escalate", "{customer: C1}"),
        *between,
        rule("c1-again", "escalate", "{customer: [C1, C2]}"),
    )}
    names = write(rules_dir, files)
    f = only(check(rules_dir, files), "c1", "RL301")
    assert "is redundant" in f["message"] and "c1-again" in f["rule_ids"]
    result = runner.invoke(app, ["remove", "c1", "rules.yaml", "--format", "json"])
    assert json.loads(result.stdout)["changes"] == []
    result = runner.invoke(app, ["check", *names, "--format", "json", "--select", "RL3"])
    assert json.loads(result.stdout)["summary"]["incomplete"] == []


def test_removal_question_keeps_a_dead_rule_that_r_covers(rules_dir):
    """Near miss: a rule between that never decides only because r comes first would take
    r's events once r is gone (C1 on the web goes to 'web' instead): r is not redundant."""
    files = {"rules.yaml": rules_yaml(
        rule("c1", "escalate", "{customer: C1}"),
        rule("web", "refund", "{customer: C1, channel: web}"),
        rule("c1-again", "escalate", "{customer: [C1, C2]}"),
    )}
    findings = check(rules_dir, files)
    assert about(findings, "c1", "RL301") == []
    assert only(findings, "web", "RL302")
    event = {"customer": "C1", "channel": "web"}
    assert evaluate(rules_dir, ["rules.yaml"], event)["deciding"] == ["c1"]
    result = runner.invoke(app, ["remove", "c1", "rules.yaml", "--format", "json"])
    changes = json.loads(result.stdout)["changes"]
    assert changes and all(c["witness"].get("channel") == "web" for c in changes), changes
