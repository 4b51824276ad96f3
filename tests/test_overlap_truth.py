"""The overlap pass against an independent enumeration (``benchmarks/truth.py``), on rule
sets from the benchmark generator: every profile, small sizes, many seeds.

The enumerator knows nothing of boxes, the index or the set algebra: it enumerates each
rule's minimal events (one value per class that no rule tells apart) and finds the first
matching rule of each by plain matching. The engine must report exactly the rules that never
decide (RL302, RL301 "never decides", the later rule of an RL201/RL202 pair), split into
RL301 and RL302 the same way, and leave no question unanswered.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulelint.engine import analyse
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project

REPO = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_truth_{name}", REPO / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


generate = _load("generate")
truth = _load("truth")


def engine_sets(text: str):
    """(never decides, RL301 never decides, RL302, incomplete) as the engine reports them."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "rules.yaml").write_text(text, encoding="utf-8")
        cfg = Settings(root=root, cwd=root, select=["RL2", "RL3"])
        project = load_project([SourceFile(root / "rules.yaml", "rules.yaml")], cfg)
        assert not [f for f in project.findings if f.code.startswith("RL0")]
        findings, ctx = analyse(project, cfg)
    check = {"findings": [
        {"code": f.code, "rule_ids": list(f.rule_ids), "message": f.message} for f in findings
    ]}
    dead, r301, r302 = truth.reported(check)
    return dead, r301, r302, ctx.cache.get("incomplete", [])


def truth_sets(text: str):
    t = truth.Truth(yaml.load(text, Loader=yaml.CSafeLoader))
    dead, r301, r302 = set(), set(), set()
    for i in range(len(t.conds)):
        d, kind = t.analyse(i)
        if d:
            dead.add(t.ids[i])
            (r301 if kind == "RL301" else r302).add(t.ids[i])
    return dead, r301, r302


def compare(text: str, removal_may_stay_open: bool = False) -> None:
    got_dead, got301, got302, incomplete = engine_sets(text)
    dead, r301, r302 = truth_sets(text)
    split_open = set()
    if removal_may_stay_open:
        # "would removing this live rule change nothing?", or, for a rule that never decides
        # (still reported, as RL301), "does an event with more fields go to another action?"
        for e in incomplete:
            if e["codes"] == ["RL302"]:
                assert e["rule_id"] in dead and e["rule_id"] in got_dead
                split_open.add(e["rule_id"])
            else:
                assert e["codes"] == ["RL301"] and e["rule_id"] not in dead, e
    else:
        assert incomplete == []
    assert got_dead - dead == set(), f"reported but decides: {sorted(got_dead - dead)}"
    assert dead - got_dead == set(), f"never decides, not reported: {sorted(dead - got_dead)}"
    bad = got301 - r301 - split_open
    assert not bad, f"RL301 but another action decides some: {sorted(bad)}"
    assert got302 <= r302, f"RL302 but only its action decides: {sorted(got302 - r302)}"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=20, max_value=400),
    seed=st.integers(min_value=0, max_value=10**6),
    profile=st.sampled_from(["dense", "realistic", "saturated"]),
)
def test_engine_matches_the_enumeration_on_generated_sets(n, seed, profile):
    compare(generate.generate(n, seed, profile))


def _tiny_dense(seed: int, n: int) -> str:
    """The dense shape with smaller pools: every region x plan cell is hit many times, so
    rules are covered jointly by several earlier ones with mixed actions."""
    g = generate.DenseGenerator(n, seed)
    g.customers = g.customers[: max(3, n // 20)]
    return generate.render(g.run(), n, seed, "dense")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=30, max_value=300), seed=st.integers(min_value=0, max_value=10**6))
def test_engine_matches_the_enumeration_on_dense_small_pools(n, seed):
    compare(_tiny_dense(seed, n))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=60, max_value=300), seed=st.integers(min_value=0, max_value=10**6))
def test_tight_limits_never_drop_a_rule_that_never_decides(n, seed):
    """With the old limits made tiny (probes, coverers, box operations per rule), a rule
    that never decides is still reported and split right: the walks in evaluation order
    carry it (before issue 15 such rules were dropped without a word)."""
    import rulelint.passes.overlap as overlap

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(overlap, "MAX_PROBES", 1)
        mp.setattr(overlap, "MAX_COVERERS", 2)
        mp.setattr(overlap, "OPS_BUDGET", 20)
        compare(_tiny_dense(seed, n), removal_may_stay_open=True)


def test_the_enumeration_sees_joint_cover_and_the_split():
    """The issue's example, small: a rule covered by two earlier rules with its action is
    RL301 (no other action decides any event); with a customer rule of another action first,
    an event with a customer id is decided by it: RL302. The enumerator says so, and so
    does the engine."""
    head = "\n".join(["ruleset: t", "fields:", "  plan: {kind: enum, values: [pro, business]}",
                      "  ticket_age_days: {kind: int, min: 0}", "rules:"])
    rules = [
        "  - {id: a, action: waive_fee, priority: -5, match: {region: [AU, BR], plan: business}}",
        "  - {id: b, action: waive_fee, priority: -3, match: {region: [KR, DE, GB], plan: business,"
        " ticket_age_days: {range: [47, 71]}}}",
        "  - {id: r, action: waive_fee, priority: 2, match: {region: [KR, AU], plan: business,"
        " ticket_age_days: {range: [56, 68]}}}",
        "  - {id: later, action: escalate, match: {region: KR}}",
    ]
    text = head + "\n" + "\n".join(rules) + "\n"
    assert truth_sets(text) == ({"r"}, {"r"}, set())
    compare(text)
    cust = "  - {id: c, action: escalate, priority: -4, match: {customer_id: C-1}}"
    text = head + "\n" + "\n".join([rules[0], cust, *rules[1:]]) + "\n"
    assert truth_sets(text) == ({"r"}, set(), {"r"})
    compare(text)


@pytest.mark.parametrize("profile", ["dense", "realistic"])
def test_engine_matches_the_enumeration_at_2000_rules(profile):
    compare(generate.generate(2000, 7, profile))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(min_value=30, max_value=250), seed=st.integers(min_value=0, max_value=10**6))
def test_a_given_up_trie_falls_back_to_the_index_and_says_what_it_left_open(n, seed):
    """With every trie given up at once (algebra/decided.py's step limits at zero), each
    rule is asked of the index rule by rule: what it reports is still right, and every rule
    that never decides is either reported or listed in summary.incomplete."""
    import rulelint.algebra.decided as decided

    text = _tiny_dense(seed, n)
    dead, r301, r302 = truth_sets(text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decided, "STEPS_BASE", 0)
        mp.setattr(decided, "STEPS_PER_RULE", 0)
        got_dead, got301, got302, incomplete = engine_sets(text)
    open_ids = {e["rule_id"] for e in incomplete}
    assert got_dead <= dead and got301 <= r301 | (open_ids & dead) and got302 <= r302
    assert dead - got_dead <= open_ids, sorted(dead - got_dead - open_ids)


# -- the enumeration itself against brute force ------------------------------------------------

_TINY_FIELDS = {
    "customer_id": ["C-1", "C-2", "C-3"],
    "region": ["US", "DE"],
    "plan": ["free", "pro", "enterprise"],
    "ticket_age_days": None,
    "source_ip": ["10.0.0.0/30", "10.0.0.0/31", "10.0.0.2/31", "10.0.0.1/32", "10.0.0.3/32"],
    "subject": ["a", "ab", "b"],
}
_ABSENT = object()


def _tiny_rule_set(rng) -> dict:
    """A few rules on four of the fields above, with every condition shape truth.py reads,
    ``not_in`` often (a field whose classes the enumeration leaves as FRESH at first), and
    copies of earlier rules."""
    fields = rng.sample(sorted(_TINY_FIELDS), 4)
    rules = []
    for k in range(rng.randint(2, 9)):
        match = {}
        if rules and rng.random() < 0.25:  # a copy of an earlier rule, maybe narrower
            match = dict(rng.choice(rules)["match"])
        for f in rng.sample(fields, rng.randint(0 if match else 1, 3 - len(match) // 2)):
            pool = _TINY_FIELDS[f]
            roll = rng.random()
            if f == "ticket_age_days":
                lo = rng.randint(0, 5)
                match[f] = rng.choice([{"range": [lo, rng.randint(lo, 6)]}, {"gte": lo},
                                       {"lte": lo}, {"gt": lo}, {"lt": lo + 1}, lo])
            elif f == "source_ip":
                match[f] = {"cidr": rng.sample(pool, rng.randint(1, 2))}
            elif f == "subject":
                match[f] = ({"prefix": rng.sample(pool, rng.randint(1, 2))} if roll < 0.7
                            else rng.choice(["ab", "abc", "b"]))
            elif f == "plan":
                match[f] = rng.choice(pool) if roll < 0.7 else rng.sample(pool, 2)
            elif roll < 0.4:
                match[f] = {"not_in": rng.sample(pool, rng.randint(1, 2))}
            elif roll < 0.7:
                match[f] = rng.choice(pool)
            else:
                match[f] = rng.sample(pool, 2)
        rule = {"id": f"r{k}", "action": rng.choice(["a", "b"]), "match": match}
        if rng.random() < 0.15:
            rule["priority"] = rng.randint(-1, 1)
        if rng.random() < 0.05:
            rule["enabled"] = False
        rules.append(rule)
    return {"ruleset": "t", "fields": {"plan": {"kind": "enum", "values": _TINY_FIELDS["plan"]},
                                       "ticket_age_days": {"kind": "int", "min": 0},
                                       "source_ip": "ip"},
            "rules": rules}


def _holds(raw, v) -> bool:
    import ipaddress

    if not isinstance(raw, dict):
        return v in raw if isinstance(raw, list) else v == raw
    for op, x in raw.items():
        if op == "not_in":
            ok = v not in x
        elif op == "range":
            ok = x[0] <= v <= x[1]
        elif op in ("gte", "gt", "lte", "lt"):
            ok = {"gte": v >= x, "gt": v > x, "lte": v <= x, "lt": v < x}[op]
        elif op == "cidr":
            ok = any(ipaddress.ip_address(v) in ipaddress.ip_network(n) for n in x)
        else:
            ok = any(v.startswith(p) for p in x)
        if not ok:
            return False
    return True


def _brute_sets(doc: dict):
    """Every event over every subset of the fields, from values that stand for every class
    (each listed value; each prefix, alone and followed by a character no rule uses; a
    fresh string; every int from 0 to one past the largest bound; every address of the /30
    and one outside), decided by scanning the rules in order."""
    live = sorted((r for r in doc["rules"] if r.get("enabled", True) is not False),
                  key=lambda r: r.get("priority", 0))  # stable: file order among equals
    used = sorted({f for r in live for f in r["match"]})
    universe = {}
    for f in used:
        if f == "plan":
            universe[f] = _TINY_FIELDS["plan"]
        elif f == "ticket_age_days":
            universe[f] = list(range(0, 9))
        elif f == "source_ip":
            universe[f] = [f"10.0.0.{k}" for k in range(5)]
        else:
            vals = {"\x02fresh"}
            for r in live:
                raw = r["match"].get(f)
                if raw is None:
                    continue
                if isinstance(raw, dict):
                    vals.update(raw.get("not_in", ()))
                    for p in raw.get("prefix", ()):
                        vals.update((p, p + "\x01"))
                else:
                    vals.update(raw if isinstance(raw, list) else [raw])
            universe[f] = sorted(vals)
    from itertools import product

    decided: dict[int, set[str]] = {k: set() for k in range(len(live))}  # actions deciding
    matched_any: set[int] = set()
    took: set[int] = set()
    for combo in product(*([_ABSENT, *universe[f]] for f in used)):
        ev = {f: v for f, v in zip(used, combo, strict=True) if v is not _ABSENT}
        hits = [k for k, r in enumerate(live)
                if all(f in ev and _holds(raw, ev[f]) for f, raw in r["match"].items())]
        if not hits:
            continue
        took.add(hits[0])
        for k in hits:
            matched_any.add(k)
            decided[k].add(live[hits[0]]["action"])
    dead, r301, r302 = set(), set(), set()
    for k, r in enumerate(live):
        if k in matched_any and k not in took:
            dead.add(r["id"])
            (r302 if decided[k] - {r["action"]} else r301).add(r["id"])
    return dead, r301, r302


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_the_enumeration_matches_brute_force_on_tiny_sets(seed):
    """truth.py enumerates one value per class of the rules on a subset of a rule's fields,
    leaves a field with only ``not_in`` conditions at FRESH and looks at its other values
    only where an earlier rule mentions them, and finds the RL302 rules through the earlier
    rules of another action on other fields: on tiny rule sets, the same sets as trying
    every event."""
    import random

    doc = _tiny_rule_set(random.Random(seed))
    got = truth_sets(yaml.safe_dump(doc))
    assert got == _brute_sets(doc), (got, doc)


def _doc(*rules) -> dict:
    return {"ruleset": "t", "rules": [
        {"id": f"r{k}", "action": act, "match": match} for k, (act, match) in enumerate(rules)
    ]}


@pytest.mark.parametrize(("doc", "want"), [
    # r2's events with a value that r1 (its decider at FRESH) excludes: r2 decides C-3
    (_doc(("b", {"customer_id": "C-2"}), ("a", {"customer_id": {"not_in": ["C-3"]}}),
          ("a", {"customer_id": {"not_in": ["C-1"]}})), (set(), set(), set())),
    # ... r1 excludes what r2 excludes: r2 never decides, and its C-2 events go to r0
    (_doc(("b", {"customer_id": "C-2"}), ("a", {"customer_id": {"not_in": ["C-1"]}}),
          ("a", {"customer_id": {"not_in": ["C-1"]}})), ({"r2"}, set(), {"r2"})),
    # a longer prefix, no value listed under it: r0 takes r2's "ab..." events
    (_doc(("b", {"subject": {"prefix": ["ab"]}}), ("a", {"subject": {"prefix": ["a"]}}),
          ("a", {"subject": {"prefix": ["a"]}})), ({"r2"}, set(), {"r2"})),
    (_doc(("a", {"subject": {"prefix": ["ab"]}}), ("a", {"subject": {"prefix": ["a"]}}),
          ("a", {"subject": {"prefix": ["a"]}})), ({"r2"}, {"r2"}, set())),
])
def test_the_enumeration_sees_the_classes_a_fresh_value_stands_for(doc, want):
    assert _brute_sets(doc) == want
    assert truth_sets(yaml.safe_dump(doc)) == want
