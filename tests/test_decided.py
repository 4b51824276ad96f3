"""algebra/decided.py against brute force: rules drawn from small pools of values (so a
finite set of events holds one event of every cell), loaded through the real loader, then
every question the sweep answers is re-answered by plain matching (evaluate.rule_matches)
on every event over exactly the rule's fields."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    fields = list(POOLS)
    lines = ["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}",
             "  age: int", "  src: ip", "  vip: bool", "  n: {kind: int, min: 0, max: 5}",
             "rules:"]
    sigs = [tuple(sorted(rng.sample(fields, rng.randint(0, 3)))) for _ in range(5)]
    for i in range(n):
        sig = rng.choice(sigs) if rng.random() < 0.8 else tuple(rng.sample(fields, rng.randint(1, 2)))
        match = {f: _cond(rng, f) for f in sig}
        prio = rng.choice([0, 0, 0, -1, 1])
        import json

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


def _events(fields):
    for values in itertools.product(*(POOLS[f] for f in fields)):
        yield dict(zip(fields, values, strict=True))


def _check(rs, live):
    dom = rs.domains
    got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live], dom)
    for p, r in enumerate(live):
        fields = sorted(r.box)
        mine = [e for e in _events(fields) if rule_matches(r, e, dom)]
        deciders = []
        for e in mine:
            d = next((q for q in range(p) if rule_matches(live[q], e, dom)), None)
            deciders.append(d)
        dead = bool(mine) and all(d is not None for d in deciders)
        assert got.dead[p] == dead, (r.id, r.box)
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 40))
def test_sweep_matches_brute_force(tmp_path_factory, seed, n):
    rs, live = _load(tmp_path_factory.mktemp("d"), _ruleset(seed, n))
    _check(rs, live)


@pytest.mark.parametrize("seed", range(6))
def test_sweep_matches_brute_force_dense(tmp_path, seed):
    """Many rules on few fields: cells are hit by dozens of rules of mixed actions."""
    rs, live = _load(tmp_path, _ruleset(1000 + seed, 160))
    _check(rs, live)


def _ruleset_points(seed: int, n: int) -> str:
    """The realistic shape that kept a trie from finishing: many rules of single values
    (single customers, here regions) under rules on more fields that exclude a few of them
    (``not_in``), with mixed actions, so single-value rules decide first inside wide pieces."""
    import json

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


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 60))
def test_sweep_matches_brute_force_single_values(tmp_path_factory, seed, n):
    """Single-value rules under rules on more fields that exclude a few values."""
    rs, live = _load(tmp_path_factory.mktemp("p"), _ruleset_points(seed, n))
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


def test_a_trie_that_grows_as_a_product_is_given_up_at_its_share(tmp_path, monkeypatch):
    """``not_in`` rules over every customer against many single-customer rules: each
    ``not_in`` rule visits every customer's piece, so the trie of their signature costs the
    product of the two families. The budget is a share per rule handed to the trie so far,
    so the trie is given up once it runs ahead of that share, long before the last rule; the
    rules it held are left to the caller (``unknown``) and every other answer stays exact."""
    from rulelint.algebra import decided

    monkeypatch.setattr(decided, "STEPS_BASE", 400)
    made: list = []
    init = decided._Trie.__init__

    def keep(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(decided._Trie, "__init__", keep)
    lines = ["ruleset: t", "fields:", "  plan: {kind: enum, values: [free, pro, biz]}", "rules:"]
    lines += [f"  - {{id: c{i}, action: x, match: {{customer: C{i:03}}}}}" for i in range(300)]
    lines += [f"  - {{id: w{j}, action: y, match: {{plan: pro, product: P{j}, "
              f"customer: {{not_in: [C{j:03}]}}}}}}" for j in range(60)]
    lines += [f"  - {{id: d{i}, action: x, match: {{customer: D{i:03}}}}}" for i in range(600)]
    rs, live = _load(tmp_path, "\n".join(lines) + "\n")
    got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
                rs.domains)
    wide = {p for p, r in enumerate(live) if r.id.startswith("w")}
    assert got.unknown == wide
    [trie] = [t for t in made if len(t.fields) == 3]
    handed = (trie.limit - decided.STEPS_BASE) // decided.STEPS_PER_RULE
    assert trie.steps == trie.limit + 1  # given up at the first visit past its share,
    assert handed < 360  # among the not_in rules: the cheap rules after them earn it nothing
    assert not any(got.dead)
