"""algebra/decided.py against brute force: rules drawn from small pools of values (so a
finite set of events holds one event of every cell), loaded through the real loader, then
every question the sweep answers is re-answered by plain matching (evaluate.rule_matches)
on every event over exactly the rule's fields. Each generated set is swept twice: with no
trie split on a string field, and with every trie that has one split on it
(``SPLIT_MIN`` at 0), so both structures answer every shape."""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulelint.algebra import decided
from rulelint.algebra.decided import lines_of, str_lines, sweep
from rulelint.algebra.sets import IntervalSet, StrSet
from rulelint.evaluate import rule_matches
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project

REGIONS = ["DE", "JP", "US"]
SUBJECTS = ["a", "abc", "b"]
PREFIXES = ["a", "ab"]
POOLS = {
    "region": REGIONS + ["ZZ"],
    "plan": ["free", "pro", "biz"],
    "age": list(range(-1, 12)),
    "subject": ["", "a", "a\x00", "aa", "ab", "abc", "abc\x00", "abd", "ac", "b", "b\x00", "ba", "c"],
    "src": ["10.0.0.1", "10.0.0.9", "10.0.0.100", "10.0.1.1", "192.168.0.1", "2001:db8::1",
            "2001:db9::1"],
    "vip": [True, False],
    "n": list(range(6)),  # a bounded int (0..5): its line is wider than its domain
}
BASE_FIELDS = list(POOLS)  # the fields of ``_ruleset``
# the customer shape (``_ruleset_customers``): listed customers, "C0" and "C0\0" (adjacent
# on the line: a list of both is one interval of two values), a prefix's other values, and
# values no rule lists ("", "Z")
CUSTOMERS = ["C0", "C0\x00", "C1", "C2", "C3", "C4"]
POOLS["customer"] = ["", "C0", "C0\x00", "C0a", "C0x", "C1", "C1x", "C2", "C3", "C4", "Z"]
POOLS["product"] = ["P1", "P2", "Q"]
ACTIONS = ["x", "y", "z"]


def _cond(rng: random.Random, f: str):
    if f == "region":
        k = rng.random()
        if k < 0.6:
            return rng.sample(REGIONS, rng.randint(1, 2))
        return {"not_in": rng.sample(REGIONS, rng.randint(1, 2))}
    if f == "plan":  # all three: the whole domain, recorded on whole pieces
        return rng.sample(["free", "pro", "biz"], rng.randint(1, 3))
    if f == "n":
        lo = rng.randint(0, 5)
        k = rng.random()
        if k < 0.4:
            return {"range": [lo, rng.randint(lo, 5)]}
        return {"gte": lo} if k < 0.7 else {"lte": lo}
    if f == "age":
        lo = rng.randint(0, 10)
        return {"range": [lo, rng.randint(lo, 10)]} if rng.random() < 0.7 else {"gte": lo}
    if f == "subject":
        if rng.random() < 0.5:
            return {"prefix": rng.choice(PREFIXES)}
        return rng.sample(SUBJECTS, rng.randint(1, 2))
    if f == "src":
        return {"cidr": rng.choice(["10.0.0.0/24", "10.0.0.0/29", "10.0.0.8/29", "10.0.0.0/16",
                                    "2001:db8::/32"])}
    return rng.choice([True, False, [True, False]])


def _ruleset(seed: int, n: int) -> str:
    rng = random.Random(seed)
    fields = BASE_FIELDS
    lines = ["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}",
             "  age: int", "  src: ip", "  vip: bool", "  n: {kind: int, min: 0, max: 5}",
             "rules:"]
    sigs = [tuple(sorted(rng.sample(fields, rng.randint(0, 3)))) for _ in range(5)]
    for i in range(n):
        sig = rng.choice(sigs) if rng.random() < 0.8 else tuple(rng.sample(fields, rng.randint(1, 2)))
        match = {f: _cond(rng, f) for f in sig}
        prio = rng.choice([0, 0, 0, -1, 1])
        lines.append(f"  - {{id: r{i}, action: {rng.choice(ACTIONS)}, priority: {prio}, "
                     f"match: {json.dumps(match)}}}")
    return "\n".join(lines) + "\n"


def _load(tmp_path, text: str):
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    cfg = Settings(root=tmp_path, cwd=tmp_path)
    project = load_project([SourceFile(p, "rules.yaml")], cfg)
    [rs] = project.rulesets.values()
    return rs, rs.live_rules()


def _events(fields, pools=POOLS):
    for values in itertools.product(*(pools[f] for f in fields)):
        yield dict(zip(fields, values, strict=True))


@contextlib.contextmanager
def _split(on: bool):
    """Every trie with a string field split on it (``on``), or none."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decided, "SPLIT_MIN", 0 if on else math.inf)
        yield


def _check(rs, live, pools=POOLS):
    dom = rs.domains
    got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live], dom)
    assert not got.unknown
    for p, r in enumerate(live):
        fields = sorted(r.box)
        mine = [e for e in _events(fields, pools) if rule_matches(r, e, dom)]
        deciders = []
        for e in mine:
            d = next((q for q in range(p) if rule_matches(live[q], e, dom)), None)
            deciders.append(d)
        dead = bool(mine) and all(d is not None for d in deciders)
        assert got.dead[p] == dead, (r.id, r.box)
        assert set(got.firsts[p]) == set(deciders) - {None}, (r.id, got.firsts[p])
        if dead:
            assert got.firsts[p] == set(deciders), r.id
            other = {d for d in deciders if live[d].action != r.action}
            if other:
                d, ev = got.other[p]
                assert d in other and rule_matches(r, ev, dom)
                assert next(q for q in range(p) if rule_matches(live[q], ev, dom)) == d
            else:
                assert p not in got.other
        else:
            seconds = set()
            fell = False
            for e, d in zip(mine, deciders, strict=True):
                if d is not None:
                    continue
                s = next((q for q in range(p + 1, len(live)) if rule_matches(live[q], e, dom)), None)
                if s is None:
                    fell = True
                else:
                    seconds.add(s)
            want = None if fell else seconds
            assert got.seconds.get(p) == want, (r.id, got.seconds.get(p), want)


SPLIT = pytest.mark.parametrize("split", [False, True], ids=["one-trie", "split"])


@SPLIT
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 40))
def test_sweep_matches_brute_force(tmp_path_factory, split, seed, n):
    rs, live = _load(tmp_path_factory.mktemp("d"), _ruleset(seed, n))
    with _split(split):
        _check(rs, live)


@SPLIT
@pytest.mark.parametrize("seed", range(6))
def test_sweep_matches_brute_force_dense(tmp_path, split, seed):
    """Many rules on few fields: cells are hit by dozens of rules of mixed actions."""
    rs, live = _load(tmp_path, _ruleset(1000 + seed, 160))
    with _split(split):
        _check(rs, live)


def _ruleset_points(seed: int, n: int) -> str:
    """The realistic shape that kept a trie from finishing: many rules of single values
    (single customers, here regions) under rules on more fields that exclude a few of them
    (``not_in``), with mixed actions, so single-value rules decide first inside wide pieces."""
    rng = random.Random(seed)
    lines = ["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}",
             "  age: int", "rules:"]
    for i in range(n):
        k = rng.random()
        if k < 0.45:
            match = {"region": rng.sample(REGIONS, rng.randint(1, 2))}
        elif k < 0.75:
            match = {"region": {"not_in": rng.sample(REGIONS, rng.randint(1, 2))},
                     "plan": _cond(rng, "plan")}
        elif k < 0.9:
            match = {"region": _cond(rng, "region"), "age": _cond(rng, "age"),
                     "plan": _cond(rng, "plan")}
        else:
            match = {f: _cond(rng, f) for f in rng.sample(["plan", "age", "region"], 1)}
        lines.append(f"  - {{id: r{i}, action: {rng.choice(ACTIONS)}, "
                     f"match: {json.dumps(match)}}}")
    return "\n".join(lines) + "\n"


@SPLIT
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 60))
def test_sweep_matches_brute_force_single_values(tmp_path_factory, split, seed, n):
    """Single-value rules under rules on more fields that exclude a few values."""
    rs, live = _load(tmp_path_factory.mktemp("p"), _ruleset_points(seed, n))
    with _split(split):
        _check(rs, live)


def _customer_cond(rng: random.Random, globs: bool = False):
    """A condition on ``customer``: mostly listed values, sometimes all but a few, a prefix
    (infinitely many values, not all but a few) or the two adjacent values C0 and C0\\0;
    with ``globs``, sometimes a glob (matched as a prefix, surely only at its literal)."""
    k = rng.random()
    if globs and k < 0.2:
        return {"glob": rng.choice([["C1", "C0*x"], "C?", "C2*", ["C3", "C4"]])}
    if k < 0.5:
        return rng.choice(CUSTOMERS)
    if k < 0.65:
        return rng.sample(CUSTOMERS, 2)
    if k < 0.75:
        return ["C0", "C0\x00"]
    if k < 0.9:
        return {"not_in": rng.sample(CUSTOMERS, rng.randint(1, 2))}
    return {"prefix": rng.choice(["C0", "C1"])}


def _ruleset_customers(seed: int, n: int, globs: bool = False) -> str:
    """The realistic shape that gave tries up before they were split: rules of single
    customers (alone or with one more field), rules on customer, plan, region and product
    that allow all but a few customers (``not_in``) or a prefix of them, rules of listed
    customers on all those fields, rules on the other fields alone, and copies of earlier
    rules (dead wide rules, and wide rules whose events a later copy takes), mixed actions."""
    rng = random.Random(seed)
    lines = ["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}",
             "rules:"]
    made: list[dict] = []

    def wide_rest() -> dict:
        return {"plan": rng.choice(["pro", ["pro", "biz"]]), "region": rng.choice(REGIONS[:2]),
                "product": rng.choice(["P1", "P2", ["P1", "P2"]])}

    for i in range(n):
        k = rng.random()
        if made and k < 0.12:
            match = dict(rng.choice(made))  # a copy: dead, or the taker of its events
        elif k < 0.5:
            match = {"customer": rng.choice(CUSTOMERS) if rng.random() < 0.8
                     else rng.sample(CUSTOMERS, 2)}
            if rng.random() < 0.5:
                f = rng.choice(["plan", "region", "product"])
                match[f] = wide_rest()[f]
        elif k < 0.75:
            match = {"customer": _customer_cond(rng, globs), **wide_rest()}
        elif k < 0.88:
            match = {"customer": rng.choice([rng.choice(CUSTOMERS), {"not_in": ["C1"]}]),
                     **{f: v for f, v in wide_rest().items() if rng.random() < 0.7}}
        else:
            match = {f: v for f, v in wide_rest().items() if rng.random() < 0.6} or {
                "plan": "pro"}
        made.append(match)
        lines.append(f"  - {{id: r{i}, action: {rng.choice(ACTIONS[:2])}, "
                     f"match: {json.dumps(match)}}}")
    return "\n".join(lines) + "\n"


@SPLIT
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 70))
def test_sweep_matches_brute_force_customers(tmp_path_factory, split, seed, n):
    """The customer shape: listed customers, co-finite and prefix rules over them with more
    fields, listed customers with one more field, copies."""
    rs, live = _load(tmp_path_factory.mktemp("c"), _ruleset_customers(seed, n))
    with _split(split):
        _check(rs, live)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 90))
def test_split_and_one_trie_agree_with_globs(tmp_path_factory, seed, n):
    """A glob is asked with what it may match and recorded with what it surely matches, so
    brute force does not give its answers; both structures must give the same ones (the
    witness of another action may differ, and is checked by evaluation)."""
    rs, live = _load(tmp_path_factory.mktemp("g"), _ruleset_customers(seed, n, globs=True))
    args = ([r.box for r in live], [r.under for r in live], [r.action for r in live],
            rs.domains)
    with _split(False):
        one = sweep(*args)
    with _split(True):
        two = sweep(*args)
    assert two.dead == one.dead and not one.unknown and not two.unknown
    assert {p: set(f) for p, f in two.firsts.items()} == {
        p: set(f) for p, f in one.firsts.items()}
    assert two.seconds == one.seconds
    assert two.other.keys() == one.other.keys()
    for p, (d, ev) in two.other.items():  # d decides ev but for globs that may match it
        assert rule_matches(live[p], ev, rs.domains) or not live[p].exact
        assert rule_matches(live[d], ev, rs.domains)
        assert all(not live[q].exact for q in range(d) if rule_matches(live[q], ev, rs.domains))


@SPLIT
@pytest.mark.parametrize("seed", range(4))
def test_sweep_matches_brute_force_customers_dense(tmp_path, split, seed):
    """The customer shape with many rules: most cells hold two rules."""
    rs, live = _load(tmp_path, _ruleset_customers(5000 + seed, 150))
    with _split(split):
        _check(rs, live)


def test_single_value_rule_inside_a_wide_piece_takes_a_removed_rules_events(tmp_path):
    """'wide' decides region JP on the pro plan; once it is gone, 'jp' (another action, a
    single value inside the wide piece of 'wide') takes those events before 'rest' does:
    its takers are {jp, rest}, not just {rest} (which would make it look redundant)."""
    text = "\n".join([
        "ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}", "rules:",
        "  - {id: wide, action: x, match: {region: {not_in: [DE]}, plan: [pro]}}",
        "  - {id: jp, action: y, match: {region: [JP]}}",
        "  - {id: rest, action: x, match: {region: {not_in: [DE]}}}",
    ]) + "\n"
    _assert_caught_by_the_next_two(tmp_path, text)


def _assert_caught_by_the_next_two(tmp_path, text: str) -> None:
    """The first rule's events go to the second and third rules once it is gone; and every
    other answer of the walk holds by brute force."""
    rs, live = _load(tmp_path, text)
    got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
                rs.domains)
    assert got.seconds[0] == {1, 2}
    _check(rs, live)


def test_string_lines_are_code_point_intervals():
    assert str_lines(StrSet.values(["b", "a"])) == (("a", "a\0"), ("b", "b\0"))
    assert str_lines(StrSet.prefix("ab")) == (("ab", "ac"),)
    assert str_lines(StrSet.not_values(["m"])) == (("", "m"), ("m\0", None))
    assert str_lines(StrSet.prefix("a\U0010ffff")) == (("a\U0010ffff", "b"),)
    assert str_lines(StrSet.full()) == (("", None),)
    assert lines_of(IntervalSet.of([(1, 3), (7, 7)])) == ((1, 4), (7, 8))
    assert lines_of(frozenset({True, False})) == ((0, 2),)


@pytest.mark.parametrize("field, whole, parts", [
    ("plan", "[free, pro, biz]", ["[pro]", "{not_in: [pro]}"]),
    ("n", "{gte: 0}", ["{range: [0, 2]}", "{gte: 3}"]),
    ("vip", "[true, false]", ["true", "false"]),
])
def test_a_rule_on_the_whole_domain_is_caught_by_rules_that_split_it(tmp_path, field, whole, parts):
    """A rule that allows every value of a field (an enum's values, a bounded int's range,
    both booleans) is recorded on whole pieces of the field's line, which is wider than the
    domain: the pieces of gap that the later rules' bounds cut off hold no event, so they
    must not make its events look like they fall to no rule once it is gone (it is
    redundant: the later rules with its action take all of it)."""
    text = "\n".join([
        "ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}",
        "  n: {kind: int, min: 0, max: 5}", "  vip: bool", "rules:",
        f"  - {{id: whole, action: x, match: {{{field}: {whole}}}}}",
        f"  - {{id: a, action: x, match: {{{field}: {parts[0]}}}}}",
        f"  - {{id: b, action: x, match: {{{field}: {parts[1]}}}}}",
    ]) + "\n"
    _assert_caught_by_the_next_two(tmp_path, text)


def _product_shape(customers: int, wide: int, more: int) -> str:
    """``not_in`` rules over every customer (on plan and product too) between two runs of
    single-customer rules: with one level per field, each ``not_in`` rule visits every
    customer's piece, so their trie costs the product of the two families."""
    lines = ["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}", "rules:"]
    lines += [f"  - {{id: c{i}, action: x, match: {{customer: C{i:03}}}}}"
              for i in range(customers)]
    lines += [f"  - {{id: w{j}, action: y, match: {{plan: pro, product: P{j}, "
              f"customer: {{not_in: [C{j:03}]}}}}}}" for j in range(wide)]
    lines += [f"  - {{id: d{i}, action: x, match: {{customer: D{i:03}}}}}" for i in range(more)]
    return "\n".join(lines) + "\n"


def _made_tries(monkeypatch) -> list:
    made: list = []
    init = decided._Trie.__init__

    def keep(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(decided._Trie, "__init__", keep)
    return made


def test_a_trie_that_grows_as_a_product_is_given_up_at_its_share(tmp_path, monkeypatch):
    """Unsplit (``SPLIT_MIN`` out of reach), the trie of the ``not_in`` rules costs the
    product of ``_product_shape``. The budget is a share per rule handed to the trie so far,
    so the trie is given up once it runs ahead of that share, long before the last rule; the
    rules it held are left to the caller (``unknown``) and every other answer stays exact."""
    monkeypatch.setattr(decided, "STEPS_BASE", 400)
    monkeypatch.setattr(decided, "SPLIT_MIN", math.inf)
    made = _made_tries(monkeypatch)
    rs, live = _load(tmp_path, _product_shape(300, 60, 600))
    got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
                rs.domains)
    wide = {p for p, r in enumerate(live) if r.id.startswith("w")}
    assert got.unknown == wide
    [trie] = [t for t in made if len(t.fields) == 3]
    handed = (trie.limit - decided.STEPS_BASE) // decided.STEPS_PER_RULE
    assert trie.steps == trie.limit + 1  # given up at the first visit past its share,
    assert handed < 360  # among the not_in rules: the cheap rules after them earn it nothing
    assert not any(got.dead)


def test_split_on_the_customer_the_product_costs_a_sum(tmp_path, monkeypatch):
    """Split on the customer (its trie's last level, each listed customer's rules in a
    trie of its own), the same rules cost a sum: a ``not_in`` rule walks plan and product
    and the pieces of its own exclusions, a customer's rule its customer's trie. Nothing is
    given up, on the same budget; every answer holds by brute force on a smaller copy."""
    monkeypatch.setattr(decided, "STEPS_BASE", 400)
    monkeypatch.setattr(decided, "SPLIT_MIN", 0)
    made = _made_tries(monkeypatch)
    rs, live = _load(tmp_path, _product_shape(300, 60, 600))
    got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
                rs.domains)
    assert not got.unknown and not any(got.dead)
    [trie] = [t for t in made if len(t.fields) == 3]
    assert trie.split and trie.fields[-1] == "customer" and len(trie.pts) == 900
    assert trie.steps < 6 * 960  # a few visits per rule: no product
    wide = [p for p, r in enumerate(live) if r.id.startswith("w")]
    # each not_in rule's events at a customer with a rule before it go to that rule first;
    # the rest fall to no rule once it is gone
    assert all(got.firsts[p] == set(range(300)) - {int(live[p].id[1:])} for p in wide)
    assert all(got.seconds[p] is None for p in wide)
    small = tmp_path / "small"
    small.mkdir()
    rs, live = _load(small, _product_shape(12, 5, 10))
    pools = {**POOLS, "customer": [f"C{i:03}" for i in range(12)] + [
        f"D{i:03}" for i in range(10)] + ["E"], "product": [f"P{j}" for j in range(5)] + ["Q"]}
    _check(rs, live, pools)


def _sure(tmp_path, rules: list[str]):
    """Sweep ``rules`` with every trie split, check it by brute force, return its answers."""
    text = "\n".join(["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}",
                      "rules:", *(f"  - {r}" for r in rules)]) + "\n"
    rs, live = _load(tmp_path, text)
    with _split(True):
        _check(rs, live, {**POOLS, "customer": POOLS["customer"] + ["C8", "C9"]})
        return sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
                     rs.domains)


def test_a_wide_rule_is_dead_by_a_listed_values_rule(tmp_path):
    """The wide part leaves C0's cells of 'w' undecided ('a' excludes C0), and every value
    of that piece is listed: the rule of C0 decides them. So 'w' is dead, decided by both,
    with a witness of another action at C0 (not at a value no rule lists)."""
    got = _sure(tmp_path, [
        "{id: a, action: x, match: {customer: {not_in: [C0]}, plan: pro}}",
        "{id: c0, action: y, match: {customer: C0, plan: [pro, biz]}}",
        "{id: w, action: x, match: {customer: {not_in: [C1]}, plan: pro}}",
    ])
    assert got.dead == [False, False, True] and got.firsts[2] == {0, 1}
    assert got.other[2] == (1, {"customer": "C0", "plan": "pro"})


def test_a_witness_avoids_a_listed_value(tmp_path):
    """'w' is decided by 'a' except at "" where the listed rule 'e' (same action as 'w')
    comes first; the witness of another action must not be "" (the first value of the
    piece), where 'e' decides, but a value no rule lists."""
    got = _sure(tmp_path, [
        "{id: e, action: y, match: {customer: ''}}",
        "{id: a, action: x, match: {customer: {not_in: [C9]}, plan: pro}}",
        "{id: w, action: y, match: {customer: {not_in: [C9]}, plan: pro}}",
    ])
    assert got.dead[2] and got.firsts[2] == {0, 1}
    d, ev = got.other[2]
    assert d == 1 and ev["customer"] not in ("", "C9")


def test_listed_values_take_a_wide_rules_events(tmp_path):
    """Once 'w' is gone, its events at C0 go to 'c0' (another action, between 'w' and its
    copy), at C1 to 'c1' only where 'c1' holds (plan pro), and elsewhere to the copy ('c2'
    comes after it). The copy is dead, decided by 'w' alone (it comes before 'c0')."""
    got = _sure(tmp_path, [
        "{id: w, action: x, match: {customer: {not_in: [C9]}, plan: [pro, biz]}}",
        "{id: c0, action: y, match: {customer: C0}}",
        "{id: c1, action: x, match: {customer: C1, plan: pro}}",
        "{id: copy, action: x, match: {customer: {not_in: [C9]}, plan: [pro, biz]}}",
        "{id: c2, action: y, match: {customer: C2}}",
    ])
    assert got.seconds[0] == {1, 2, 3} and got.dead[3] and got.firsts[3] == {0}
