"""The bounded slice of the fuzz harness that runs with the suite (fixed seeds), and tests
of the harness's own parts: an oracle or a byte check that cannot fail would make every
fuzz run pass.

The long run is ``python -m tests.fuzz --minutes 60 --out DIR`` (README, "Fuzzing").
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings

from . import events, gen, mutate, oracle
from .cli import Runner
from .harness import Case, run_case
from .known import KNOWN, known_family
from .loop import corpus, ddmin_lines, run
from .spans import rule_spans, untouched_kept

SLICE_SEED = 20261202
SLICE_MUTANTS = 40


def _unexpected(failures, case):
    return [f for f in failures if known_family(f, case) is None]


# --- the oracle --------------------------------------------------------------------------------


def test_oracle_first_match_priority_then_position():
    rs = oracle.load_text(
        "rules:\n"
        "  - {id: late, action: b, match: {plan: pro}, priority: 5}\n"
        "  - {id: first, action: a, match: {plan: [pro, free]}}\n"
        "  - {id: second, action: c, match: {plan: pro}}\n"
    )
    assert oracle.deciding(rs, {"plan": "pro"}) == ["first"]
    assert oracle.decide(rs, {"plan": "pro"}, skip="first") == "c"
    assert oracle.decide(rs, {"plan": "team"}) is None


def test_oracle_absent_field_never_matches_not_even_not_in():
    rs = oracle.load_text("rules:\n  - {id: a, action: x, match: {c: {not_in: [C-1]}}}\n")
    assert oracle.decide(rs, {}) is None
    assert oracle.decide(rs, {"c": "C-2"}) == "x"
    assert oracle.decide(rs, {"c": "C-1"}) is None
    assert oracle.decide(rs, {"c": 5}) is None  # not a string: outside the domain


def test_oracle_kinds_inferred_across_the_ruleset():
    text = ("rules:\n"
            "  - {id: net, action: allow, match: {src: {cidr: 10.0.0.0/8}}}\n"
            "  - {id: not-one, action: deny, match: {src: {not_in: ['2001:db8::1']}}}\n")
    rs = oracle.load_text(text)
    assert rs.kinds["src"].kind == "ip"
    assert oracle.decide(rs, {"src": "hello"}) is None  # not an address
    assert oracle.decide(rs, {"src": "2001:DB8:0::1"}) is None  # the same address
    assert oracle.decide(rs, {"src": "10.1.2.3"}) == "allow"
    without_cidr = oracle.load_text(text.replace("{cidr: 10.0.0.0/8}", "x"))
    assert without_cidr.kinds["src"].kind == "string"
    assert oracle.decide(without_cidr, {"src": "hello"}) == "deny"


def test_oracle_ranges_any_match_disabled_and_bools():
    rs = oracle.load_text(
        "semantics: any-match\n"
        "fields: {age: {kind: int, min: 0}}\n"
        "rules:\n"
        "  - {id: a, action: x, match: {age: {range: [1, 3]}}}\n"
        "  - {id: b, action: y, match: {age: {gt: 2, lte: 9}}}\n"
        "  - {id: c, action: z, match: {age: {gte: 0}}, enabled: false}\n"
        "  - {id: d, action: w, match: {vip: true}}\n"
    )
    assert oracle.decide(rs, {"age": 3}) == frozenset({"x", "y"})
    assert oracle.decide(rs, {"age": 2}) == frozenset({"x"})
    assert oracle.decide(rs, {"age": -1}) == frozenset()
    assert oracle.decide(rs, {"age": True}) == frozenset()
    assert oracle.decide(rs, {"vip": 1}) == frozenset()
    assert oracle.decide(rs, {"vip": True}) == frozenset({"w"})


def test_oracle_applies_defaults():
    rs = oracle.load_text("defaults: {action: allow, priority: 2, enabled: false}\nrules:\n"
                          "  - {id: a, match: {k: v}}\n"
                          "  - {id: b, action: x, match: {k: v}, enabled: true, priority: 3}\n"
                          "  - {id: c, action: y, match: {k: v}, enabled: true}\n")
    assert oracle.deciding(rs, {"k": "v"}) == ["c"]  # a is disabled; c (priority 2) before b (3)
    assert rs.by_id("a").action == "allow"


@pytest.mark.parametrize("text", [
    "rules:\n  - {id: a, action: x, match: {n: [1, b]}}\n",  # kind conflict
    "rules:\n  - {id: a, action: x, match: {d: 2026-01-01}}\n",  # a date
    "rules:\n  - {id: a, action: x, match: {n: {regex: x}}}\n",
    "rules:\n  - {id: a, action: x, match: {n: 1}}\n  - {id: a, action: y, match: {n: 2}}\n",
])
def test_oracle_refuses_what_it_does_not_model(text):
    with pytest.raises(oracle.Unsupported):
        oracle.load_text(text)


# --- spans and the byte check ------------------------------------------------------------------


@pytest.mark.parametrize("br", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("inner", ["\u2028", "\x85", "\u2029", ""])
def test_spans_follow_every_line_break(br, inner):
    text = (f"# head{br}rules:{br}  - id: a{br}    action: x{br}    description: \"p{inner}q\"{br}"
            f"    match: {{k: v}}{br}  - id: b{br}    action: y{br}    match: {{k: w}}{br}")
    spans = rule_spans(text)
    assert [s.rule_id for s in spans] == ["a", "b"]
    assert text[spans[1].start :].startswith("  - id: b")
    assert text[spans[0].start : spans[0].end].startswith("  - id: a")
    # removing b keeps a; an edit that shifts by one character is caught
    assert untouched_kept(text, text[: spans[1].start], {"b"}) is None
    shifted = text[: spans[1].start - 1] + text[spans[1].start :]
    assert untouched_kept(text, shifted[: spans[1].start - 1], {"b"}) is not None
    assert untouched_kept(text, text.replace("# head", "# Head"), {"b"}) is not None


def test_untouched_check_allows_replacing_a_touched_rule_only():
    text = "rules:\n  - id: a\n    action: x\n    match: {k: v}\n  - id: b\n    action: x\n    match: {k: w}\n  - id: c\n    action: z\n    match: {}\n"
    merged = "rules:\n  - id: a\n    action: x\n    match: {k: [v, w]}\n  - id: c\n    action: z\n    match: {}\n"
    assert untouched_kept(text, merged, {"a", "b"}) is None
    assert untouched_kept(text, merged, {"b"}) is not None  # a was changed but not reported
    assert untouched_kept(text, merged.replace("z", "Z"), {"a", "b"}) is not None


@pytest.mark.parametrize("before", ["", "fields: {k: string}\n", "fields:\n  k: string\n  n: int\n"])
def test_untouched_check_allows_a_fields_declaration_only_when_asked(before):
    text = f"# head\nruleset: x\n{before}rules:\n  - id: a\n    action: x\n    match: {{k: v}}\n"
    declared = text.replace(before, "") .replace("ruleset: x\n", "ruleset: x\nfields: {src: ip}\n")
    assert untouched_kept(text, declared, {"a"}) is not None
    assert untouched_kept(text, declared, set(), allow_fields=True) is None
    at_top = "fields: {src: ip}\n" + text.replace(before, "")
    assert untouched_kept(text, at_top, set(), allow_fields=True) is None
    assert untouched_kept(text, at_top.replace("# head", "# Head"), set(), allow_fields=True) is not None


def test_ddmin_finds_the_line_that_matters():
    text = "".join(f"line {i}\n" for i in range(40)) + "BOOM\n"
    small = ddmin_lines(text, lambda t: "BOOM" in t, budget=200)
    assert small == "BOOM\n"


# --- generators and mutants are deterministic ---------------------------------------------------


def test_mutants_are_deterministic_per_seed():
    seeds = corpus(random.Random(1), generated=2)
    a = [mutate.mutate(t, random.Random(7))[0] for _, t in seeds[:6]]
    b = [mutate.mutate(t, random.Random(7))[0] for _, t in seeds[:6]]
    assert a == b
    assert any(x != t for x, (_, t) in zip(a, seeds[:6], strict=True))


def test_generated_files_load_in_the_oracle():
    pick = gen.RandomPick(random.Random(3))
    ok = 0
    for _ in range(30):
        try:
            oracle.load_text(gen.rule_file(pick))
            ok += 1
        except oracle.Unsupported:
            pass
    assert ok >= 20


# --- the harness catches real bugs (checked against deliberately wrong answers) -----------------


def test_harness_reports_a_false_claim(monkeypatch):
    """A RL301 claim the oracle refutes is a failure: fake the report of check."""
    text = ("rules:\n  - {id: a, action: x, match: {k: v}}\n"
            "  - {id: b, action: y, match: {k: w}}\n")
    from . import harness

    real = harness.CaseRun._claims

    def fake(self, report, ors):
        report = {"findings": [{"code": "RL301", "rule_ids": ["b"], "message": "fake"}]}
        return real(self, report, ors)

    monkeypatch.setattr(harness.CaseRun, "_claims", fake)
    failures, _ = run_case(Case(text, seed=1), Runner(timeout=60), only={"claims"})
    assert [f.kind for f in failures] == ["false-RL301"]


class BrokenEditor(Runner):
    """The real CLI, then a wrong edit on top of what --apply wrote (a deliberately broken
    editor, independent of rulelint's internals)."""

    def __init__(self, edit):
        super().__init__(timeout=60)
        self.edit = edit

    def __call__(self, args, cwd):
        c = super().__call__(args, cwd)
        if "--apply" in args and c.exit_code == 0:
            p = cwd / args[1]
            p.write_text(self.edit(p.read_text()))
        return c


TWO_MERGEABLE = ("rules:\n  - id: a\n    action: x\n    match: {k: v}\n"
                 "  - id: b\n    action: x\n    match: {k: w}\n"
                 "  - id: c\n    action: y\n    match: {n: 1}\n")


def test_harness_passes_the_real_apply():
    failures, stats = run_case(Case(TWO_MERGEABLE, seed=1, flags=[]), Runner(timeout=60), only={"apply"})
    assert failures == [] and stats.events > 0


@pytest.mark.parametrize(("edit", "kinds"), [
    (lambda t: t.replace("action: y", "action: z"), {"apply-changed-decision", "apply-changed-untouched-bytes"}),
    (lambda t: t.replace("n: 1", "n: 2"), {"apply-changed-decision", "apply-changed-untouched-bytes"}),
    (lambda t: t.replace("rules:", "# note\nrules:"), {"apply-changed-untouched-bytes"}),
    (lambda t: t + "  - id: a\n    action: q\n    match: {}\n", {"apply-wrote-invalid-file", "apply-changed-untouched-bytes"}),
])
def test_harness_catches_a_broken_editor(edit, kinds):
    failures, _ = run_case(Case(TWO_MERGEABLE, seed=1, flags=[]), BrokenEditor(edit), only={"apply"})
    assert {f.kind for f in failures} == kinds, [(f.kind, f.detail) for f in failures]


# --- the slice ----------------------------------------------------------------------------------


def test_mutation_slice(tmp_path):
    """A fixed-seed run of the mutation loop over the real corpus: nothing but known families."""
    res = run(SLICE_SEED, mutants=SLICE_MUTANTS, out=tmp_path, timeout=30.0, minimize=False,
              known=known_family, keep_per_signature=1)
    summary = res.summary()
    assert res.mutants == SLICE_MUTANTS and res.calls > 5 * SLICE_MUTANTS
    assert res.oracle_cases >= 3, summary  # the oracle really ran (most mutants break the schema)
    assert not res.by_signature, json.dumps(summary["kept"], indent=1, ensure_ascii=False)[:6000]


@settings(max_examples=20, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(gen.rule_files())
def test_generated_rule_files(text):
    """Hypothesis rule files through every command, checked by the oracle."""
    case = Case(text, seed=len(text))
    failures, stats = run_case(case, Runner(timeout=30.0))
    assert not _unexpected(failures, case), [(f.kind, f.command, f.detail) for f in failures]


def test_known_families_name_their_fix():
    for family, (reason, _pred) in KNOWN.items():
        assert "on branch " in reason and "fuzz-" in reason, family


def test_event_pool_has_boundaries_and_fresh_values():
    rs = oracle.load_text("rules:\n  - {id: a, action: x, match: {age: {range: [3, 7]}, src: {cidr: 10.0.0.0/30}}}\n")
    vals = events.pool([rs], random.Random(1))
    assert {2, 3, 7, 8} <= set(v for v in vals["age"] if isinstance(v, int))
    assert {"10.0.0.0", "10.0.0.3", "10.0.0.4", "hello"} <= {v for v in vals["src"] if isinstance(v, str)}
