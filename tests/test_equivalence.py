"""``equivalence.first_difference`` against brute force, on small fully enumerable domains.

Rule lists are built directly as boxes (the set algebra), edited the way the merge planner
and people edit them (merges of same-action rules, moves, deletions, action flips, splits,
duplicates, insertions), and the answer is judged by evaluating both lists on every event
of the domains, with every field possibly missing. The evaluator here is written for these
tests: a box matches an event when every field of the box is present with a value in its
set.

Fields and why their sample values are exhaustive: every set built here is a boolean
combination of the atoms listed per field, so one value per atom class stands for all.

* ``plan`` -- enum (free, pro, enterprise): all three.
* ``age`` -- int, domain 0..7: every value.
* ``n`` -- int, unbounded; intervals with ends in 0..5 or unbounded: -1..6.
* ``region`` -- string; atoms: the values JP, KR, DE and the prefixes J, K: JP, KR, DE,
  J (J-prefixed, unlisted), K, ZZ (anything else).
* ``vip`` -- bool: true, false.
* ``src`` -- ip; networks inside 10.0.0.0/29 and 2001:db8::/127: every address of both,
  plus 10.0.0.8 and 2001:db8::2 outside them.
* glob gates (``suggest.GLOB_FIELD`` + n) -- bool, as ``suggest._slots`` builds them.
"""

from __future__ import annotations

import itertools
import random
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from rulelint.algebra.sets import Domain, IntervalSet, StrSet, box_is_empty, ip_set, ip_to_int
from rulelint.consolidate import equivalence
from rulelint.consolidate.equivalence import Slot, first_difference, reference_difference
from rulelint.consolidate.suggest import GLOB_FIELD

PLAN = ("free", "pro", "enterprise")
ACTIONS = ("allow", "deny", "review")
NETS = (
    "10.0.0.0/29", "10.0.0.0/30", "10.0.0.4/30", "10.0.0.0/31", "10.0.0.2/31", "10.0.0.6/31",
    "10.0.0.3/32", "10.0.0.5/32", "2001:db8::/127", "2001:db8::1/128",
)
DOMAINS: dict[str, Domain] = {
    "plan": Domain("enum", PLAN),
    "age": Domain("int", min=0, max=7),
    "n": Domain("int"),
    "region": Domain("string"),
    "vip": Domain("bool"),
    "src": Domain("ip"),
}
FIELDS = tuple(DOMAINS)
SAMPLES: dict[str, list[Any]] = {
    "plan": list(PLAN),
    "age": list(range(8)),
    "n": list(range(-1, 7)),
    "region": ["JP", "KR", "DE", "J", "K", "ZZ"],
    "vip": [True, False],
    "src": [*(f"10.0.0.{i}" for i in range(9)), "2001:db8::", "2001:db8::1", "2001:db8::2"],
}
MISSING = object()


def gate(k: int) -> str:
    return f"{GLOB_FIELD}{k}"


# --- an evaluator of boxes written for the tests -------------------------------------------------


def holds(field: str, s: Any, value: Any) -> bool:
    kind = "bool" if field.startswith(GLOB_FIELD) else DOMAINS[field].kind
    if kind == "ip":
        return isinstance(value, str) and ip_to_int(value) in s
    if kind == "bool":
        return isinstance(value, bool) and value in s
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and value in s
    return isinstance(value, str) and value in s


def box_matches(box: dict, ev: dict[str, Any]) -> bool:
    return all(f in ev and holds(f, s, ev[f]) for f, s in box.items())


def decision(slots: list[Slot], ev: dict[str, Any], semantics: str) -> Any:
    hits = [s for s in slots if s.box is not None and box_matches(s.box, ev)]
    if semantics == "first-match":
        return hits[0].action if hits else None
    return frozenset(s.action for s in hits)


def all_events(fields: list[str]):
    axes = []
    for f in fields:
        vals = [True, False] if f.startswith(GLOB_FIELD) else SAMPLES[f]
        axes.append([*vals, MISSING])
    for combo in itertools.product(*axes):
        yield {f: v for f, v in zip(fields, combo, strict=True) if v is not MISSING}


def brute_force(old, new, fields, semantics) -> dict[str, Any] | None:
    for ev in all_events(fields):
        if decision(old, ev, semantics) != decision(new, ev, semantics):
            return ev
    return None


def domains_for(fields) -> dict[str, Domain]:
    doms = dict(DOMAINS)
    for f in fields:
        if f.startswith(GLOB_FIELD):
            doms[f] = Domain("bool")
    return doms


def check(old: list[Slot], new: list[Slot], fields: list[str], semantics: str) -> bool:
    """first_difference agrees with brute force; a witness really differs. True when the
    lists are equivalent."""
    doms = domains_for(fields)
    live_old = [x for x in old if x.box is not None]
    live_new = [x for x in new if x.box is not None]
    claim = equivalence._Proof(live_old, live_new, doms, semantics).run()
    if claim is not None:  # the fast path's own claim is real (no fallback needed)
        assert decision(old, claim, semantics) != decision(new, claim, semantics), claim
    got = first_difference(old, new, doms, semantics)
    truth = brute_force(old, new, fields, semantics)
    ref = reference_difference(old, new, doms, semantics)
    ctx = f"\nold: {old}\nnew: {new}\nreference walk: {ref}"
    if got is None:
        assert truth is None, f"claimed equivalent, but they differ at {truth}{ctx}"
        assert ref is None, ctx
        return True
    assert truth is not None, f"claimed a difference at {got.event}, brute force finds none{ctx}"
    assert ref is not None, ctx
    a, b = decision(old, got.event, semantics), decision(new, got.event, semantics)
    assert a != b, f"witness {got.event} does not differ: {a!r}"
    if semantics == "first-match":
        assert (got.old, got.new) == (a, b)
    else:
        action = got.old if got.old is not None else got.new
        assert action is not None and (action in a) != (action in b)
        assert (got.old is None) == (action in b)
    return False


# --- random rule lists and edits -----------------------------------------------------------------


class Chooser:
    """Random choices from a seeded ``random.Random`` or from hypothesis (``st.data()``,
    which shrinks failures)."""

    def __init__(self, rng: random.Random | None = None, data: Any = None) -> None:
        self.rng, self.data = rng, data

    def int(self, lo: int, hi: int) -> int:
        if self.data is not None:
            return self.data.draw(st.integers(lo, hi))
        return self.rng.randint(lo, hi)

    def coin(self) -> bool:
        return self.int(0, 1) == 1

    def pick(self, seq):
        seq = list(seq)
        return seq[self.int(0, len(seq) - 1)]

    def subset(self, seq, lo: int, hi: int) -> list:
        pool = list(seq)
        out = []
        for _ in range(self.int(lo, min(hi, len(pool)))):
            out.append(pool.pop(self.int(0, len(pool) - 1)))
        return out


def field_set(f: str, c: Chooser) -> Any:
    if f == "plan":
        return frozenset(c.subset(PLAN, 1, 3))
    if f == "age":
        a, b = sorted((c.int(0, 7), c.int(0, 7)))
        s = IntervalSet.range(a, b)
        if c.int(0, 3) == 0:
            s = s | IntervalSet.point(c.int(0, 7))
        return s
    if f == "n":
        lo = c.int(0, 5) if c.int(0, 3) else None
        hi = c.int(0, 5) if c.int(0, 3) else None
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        return IntervalSet.range(lo, hi)
    if f == "region":
        kind = c.pick(["values", "not", "prefix", "mix"])
        vals = c.subset(["JP", "KR", "DE"], 1, 2)
        if kind == "values":
            return StrSet.values(vals)
        if kind == "not":
            return StrSet.not_values(vals)
        pfx = StrSet.prefixes(c.subset(["J", "K"], 1, 2))
        return pfx if kind == "prefix" else (pfx - StrSet.values(vals)) | StrSet.values(["DE"])
    if f == "vip":
        return frozenset({c.coin()})
    return ip_set(c.subset(NETS, 1, 2))


def random_box(c: Chooser, fields: list[str]) -> dict:
    keys = c.subset(fields, 0, len(fields))
    if not keys and c.int(0, 3):
        keys = [c.pick(fields)]
    return {f: field_set(f, c) for f in sorted(keys)}


def rule_list(c: Chooser, fields: list[str], max_rules: int = 9) -> list[Slot]:
    """Rules in sibling groups (equal but on one field: what merges are made of)."""
    out: list[Slot] = []
    n = c.int(1, max_rules)
    while len(out) < n:
        base = random_box(c, fields)
        action = c.pick(ACTIONS)
        for _ in range(c.int(1, 3)):
            box = dict(base)
            if box and c.coin():
                f = c.pick(sorted(box))
                box[f] = field_set(f, c)
            a = action if c.int(0, 4) else c.pick(ACTIONS)
            out.append(Slot(box, a, f"r{len(out)}"))
    if c.coin():
        out = [out.pop(c.int(0, len(out) - 1)) for _ in range(len(out))]
    return out


EDITS = ("merge", "merge", "merge_adjacent", "move", "delete", "flip", "split", "dup",
         "insert", "swap")


def edit(c: Chooser, old: list[Slot], fields: list[str]) -> tuple[list[Slot], list[str]]:
    """The edits the planner makes (merges of same-action siblings, adjacent or not, the
    merged rule taking either member's place; deletions) and others (moves, action flips,
    splits, duplicates, insertions, swaps)."""
    new = list(old)
    log: list[str] = []
    for _ in range(c.int(1, 4)):
        op = c.pick(EDITS) if new else "insert"
        i = c.int(0, len(new) - 1) if new else 0
        if op in ("merge", "merge_adjacent"):
            s = new[i]
            js = ([i + 1] if i + 1 < len(new) else []) if op == "merge_adjacent" else [
                j for j in range(len(new)) if j != i
            ]
            js = [j for j in js if new[j].action == s.action and new[j].box.keys() == s.box.keys()]
            if not js or not plain(s.box):
                continue
            j = c.pick(js)
            f = c.pick(plain(s.box))
            merged = Slot({**s.box, f: s.box[f] | new[j].box[f]}, s.action, s.label)
            keep, drop = (i, j) if c.coin() else (j, i)
            new[keep] = merged
            del new[drop]
            log.append(f"merge {i},{j} on {f} at {keep}")
        elif op == "move":
            s = new.pop(i)
            j = c.int(0, len(new))
            new.insert(j, s)
            log.append(f"move {i}->{j}")
        elif op == "delete":
            del new[i]
            log.append(f"delete {i}")
        elif op == "flip":
            s = new[i]
            new[i] = Slot(s.box, c.pick([a for a in ACTIONS if a != s.action]), s.label)
            log.append(f"flip {i}")
        elif op == "split":
            s = new[i]
            if not plain(s.box):
                continue
            f = c.pick(plain(s.box))
            cut = field_set(f, c)
            parts = [p for p in ({**s.box, f: s.box[f] & cut}, {**s.box, f: s.box[f] - cut})
                     if not box_is_empty(p)]
            new[i:i + 1] = [Slot(p, s.action, s.label) for p in parts]
            log.append(f"split {i} on {f}")
        elif op == "dup":
            j = c.int(0, len(new))
            new.insert(j, new[i])
            log.append(f"dup {i}->{j}")
        elif op == "insert":
            j = c.int(0, len(new))
            new.insert(j, Slot(random_box(c, fields), c.pick(ACTIONS), "ins"))
            log.append(f"insert at {j}")
        elif i + 1 < len(new):
            new[i], new[i + 1] = new[i + 1], new[i]
            log.append(f"swap {i}")
    return new, log


def plain(box: dict) -> list[str]:
    """The fields of a box that are not glob gates (the planner never edits those)."""
    return sorted(f for f in box if not f.startswith(GLOB_FIELD))


def make_case(c: Chooser, gates: bool = False, max_rules: int = 9):
    fields = c.subset(FIELDS, 1, 3)
    semantics = c.pick(["first-match", "any-match"])
    old = rule_list(c, fields, max_rules)
    if gates:
        # glob rules as suggest._slots makes them: a sure part and the rest behind a gate
        out: list[Slot] = []
        gated = 0
        for k, s in enumerate(old):
            if gated < 2 and c.int(0, 2) == 0:  # at most two gates: brute force stays small
                gated += 1
                if c.coin():
                    out.append(Slot(random_box(c, fields), s.action, s.label))
                out.append(Slot({**s.box, gate(k): frozenset({True})}, s.action, s.label))
            else:
                out.append(s)
        old = out
    new, log = edit(c, old, fields)
    all_fields = sorted({*fields, *(f for s in old + new for f in s.box)})
    return old, new, all_fields, semantics, log


PROPS = dict(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@contextmanager
def thresholds(tiny: bool):
    """The proof looks at a few neighbours one by one before asking the index, and walks a
    while before subtracting the whole prefix. With tiny thresholds small lists take every
    path that long lists take."""
    names = ("DIRECT", "NEAR", "BUDGET")
    saved = {n: getattr(equivalence, n) for n in names}
    if tiny:
        for n, v in zip(names, (1, 1, 2), strict=True):
            setattr(equivalence, n, v)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(equivalence, n, v)


@pytest.mark.parametrize("tiny", [False, True], ids=["thresholds", "tiny-thresholds"])
@settings(max_examples=400, **PROPS)
@given(data=st.data())
def test_first_difference_matches_brute_force(tiny, data):
    old, new, fields, semantics, log = make_case(Chooser(data=data))
    note(f"edits: {log}")
    with thresholds(tiny):
        same = check(old, new, fields, semantics)
    event(f"{semantics}: {'equivalent' if same else 'different'}")


@pytest.mark.parametrize("tiny", [False, True], ids=["thresholds", "tiny-thresholds"])
@settings(max_examples=200, **PROPS)
@given(data=st.data())
def test_first_difference_with_glob_gates(tiny, data):
    old, new, fields, semantics, log = make_case(Chooser(data=data), gates=True)
    note(f"edits: {log}")
    with thresholds(tiny):
        same = check(old, new, fields, semantics)
    event(f"{semantics}: {'equivalent' if same else 'different'}")


@settings(max_examples=60, **PROPS)
@given(data=st.data())
def test_longer_lists_with_tiny_thresholds(data):
    """Up to 40 rules, several edits: the index windows, the long walks and the pairs far
    from any edit."""
    c = Chooser(data=data)
    old, new, fields, semantics, log = make_case(c, max_rules=40)
    note(f"edits: {log}")
    with thresholds(True):
        same = check(old, new, fields, semantics)
    event(f"{semantics}: {'equivalent' if same else 'different'}")


def test_seeded_random_edits_give_both_answers_and_agree_with_brute_force():
    """A seeded run over many cases: both answers occur often for both semantics (so the
    properties above are not vacuous), and every answer agrees with brute force."""
    c = Chooser(rng=random.Random(20260101))
    seen: dict[tuple[str, bool], int] = {}
    for k in range(500):
        old, new, fields, semantics, _ = make_case(c, gates=k % 3 == 0, max_rules=9 + k % 20)
        with thresholds(k % 2 == 1):
            same = check(old, new, fields, semantics)
        seen[(semantics, same)] = seen.get((semantics, same), 0) + 1
    for sem in ("first-match", "any-match"):
        assert seen.get((sem, True), 0) >= 40, seen
        assert seen.get((sem, False), 0) >= 40, seen


# --- targeted cases ----------------------------------------------------------------------------

PRO = {"plan": frozenset({"pro"})}
FREE = {"plan": frozenset({"free"})}
JP = {"region": StrSet.values(["JP"])}


def test_missing_field_is_not_covered_by_a_whole_domain():
    """{plan: any value} is not the empty match: it needs the field present."""
    every = {"plan": frozenset(PLAN)}
    old = [Slot({}, "allow", "all")]
    new = [Slot(every, "allow", "all-plans")]
    d = first_difference(old, new, dict(DOMAINS))
    assert d is not None and "plan" not in d.event
    assert (d.old, d.new) == ("allow", None)


def test_reordering_rules_with_other_actions_that_overlap():
    old = [Slot(PRO, "allow", "a"), Slot(JP, "deny", "b")]
    new = [Slot(JP, "deny", "b"), Slot(PRO, "allow", "a")]
    d = first_difference(old, new, dict(DOMAINS))
    assert d is not None and d.event == {"plan": "pro", "region": "JP"}
    assert (d.old, d.new, d.old_rule, d.new_rule) == ("allow", "deny", "a", "b")
    assert first_difference(old, new, dict(DOMAINS), "any-match") is None


def test_a_merge_past_a_rule_with_another_action_is_caught_far_from_the_change():
    """The conflicting rule sits between the merged members, among many rules with the same
    action on another field (each meets the merged rule: an event can carry both fields)."""
    noise = [Slot({"n": IntervalSet.point(k)}, "allow", f"n{k}") for k in range(200)]
    a = Slot({"plan": frozenset({"pro"}), "vip": frozenset({True})}, "allow", "a")
    b = Slot({"plan": frozenset({"free"}), "vip": frozenset({True})}, "allow", "b")
    blocker = Slot({"plan": frozenset({"free"}), "age": IntervalSet.range(0, 3)}, "deny", "x")
    merged = Slot({"plan": frozenset({"pro", "free"}), "vip": frozenset({True})}, "allow", "a")
    old = [*noise[:100], a, *noise[100:150], blocker, *noise[150:], b]
    new = [*noise[:100], merged, *noise[100:150], blocker, *noise[150:]]
    d = first_difference(old, new, dict(DOMAINS))
    assert d is not None
    assert d.event["plan"] == "free" and d.event["vip"] is True and d.event["age"] <= 3
    assert "n" not in d.event  # the other fields stay absent: no noise rule matches
    assert (d.old, d.new, d.old_rule, d.new_rule) == ("deny", "allow", "x", "a")
    # without the blocker's overlap the same merge is proven
    harmless = Slot({"plan": frozenset({"enterprise"})}, "deny", "x")
    old[old.index(blocker)] = harmless
    new[new.index(blocker)] = harmless
    assert first_difference(old, new, dict(DOMAINS)) is None


def test_a_later_rule_of_the_same_side_never_covers_a_pair():
    """old: r, z (more fields, covers r & k), k, e; new: k, y (r and e as one rule). Only
    events in r & k differ: r decides them in the old list, k in the new one, and z comes
    too late in the old list to matter, however well it covers them."""
    pro, vip = {"plan": frozenset({"pro"})}, {"vip": frozenset({True})}
    r = Slot(pro, "allow", "r")
    z = Slot({**pro, **vip}, "deny", "z")
    k = Slot(vip, "deny", "k")
    e = Slot({"plan": frozenset({"enterprise"})}, "allow", "e")
    y = Slot({"plan": frozenset({"pro", "enterprise"})}, "allow", "y")
    d = first_difference([r, z, k, e], [k, y], dict(DOMAINS))
    assert d is not None
    assert (d.event, d.old, d.new, d.old_rule, d.new_rule) == (
        {"plan": "pro", "vip": True}, "allow", "deny", "r", "k"
    )
    assert first_difference([r, z, k, e], [k, y], dict(DOMAINS), "any-match") is None


def test_identical_lists_and_duplicates():
    rules = [Slot(PRO, "allow", "a"), Slot(PRO, "allow", "a2"), Slot(JP, "deny", "b")]
    assert first_difference(rules, list(rules), dict(DOMAINS)) is None
    # the second of two identical rules never decides: removing either is a no-op
    assert first_difference(rules, [rules[0], rules[2]], dict(DOMAINS)) is None
    assert first_difference(rules, [rules[1], rules[2]], dict(DOMAINS)) is None
    assert first_difference(rules, [rules[2], rules[0]], dict(DOMAINS)) is not None


def test_none_boxes_match_nothing():
    old = [Slot(None, "deny", "dead"), Slot(PRO, "allow", "a")]
    new = [Slot(PRO, "allow", "a")]
    assert first_difference(old, new, dict(DOMAINS)) is None
    assert first_difference(old, [Slot(FREE, "allow", "a")], dict(DOMAINS)) is not None


def test_an_unconfirmed_claim_falls_back_to_the_reference_walk(monkeypatch):
    """If the fast path ever claims a difference that evaluation does not show, the answer
    comes from the slow walk, never from the unconfirmed claim."""
    old = [Slot(PRO, "allow", "a"), Slot(FREE, "allow", "b")]
    new = [Slot({"plan": frozenset({"pro", "free"})}, "allow", "a")]
    monkeypatch.setattr(equivalence._Proof, "run", lambda self: {"plan": "enterprise"})
    assert first_difference(old, new, dict(DOMAINS)) is None
    new_bad = [Slot({"plan": frozenset({"pro", "enterprise"})}, "allow", "a")]
    d = first_difference(old, new_bad, dict(DOMAINS))
    assert d is not None and d.event["plan"] in ("free", "enterprise")


def dense_lists() -> tuple[list[Slot], list[Slot], int]:
    """3000 rules: per block, an allow or deny rule on ``src`` (a CIDR; it meets every rule
    on ``n``: an event can carry both fields), then review rules on ``n``, sometimes with a
    review rule on ``src`` between two of them. Adjacent review rules on ``n`` are merged
    (valid merges: nothing with another action lies between them)."""
    old: list[Slot] = []
    new: list[Slot] = []
    for k in range(600):
        net = ip_set([f"10.{k // 256}.{k % 256}.0/24"])
        dense = Slot({"src": net}, ACTIONS[k % 2], f"d{k}")
        a = Slot({"n": IntervalSet.point(2 * k)}, "review", f"a{k}")
        b = Slot({"n": IntervalSet.point(2 * k + 1)}, "review", f"b{k}")
        merged = Slot({"n": IntervalSet.range(2 * k, 2 * k + 1)}, "review", f"a{k}")
        between = Slot({"src": net, "vip": frozenset({True})}, "review", f"s{k}")
        if k % 3 == 0:
            other = Slot({"plan": frozenset({"pro"})}, "allow", f"p{k}")
            old += [dense, a, between, b, other]
            new += [dense, merged, between, other] if k % 2 else [dense, between, merged, other]
        else:
            old += [dense, a, b]
            new += [dense, merged]
    return old, new, 600


@pytest.mark.parametrize("semantics", ["first-match", "any-match"])
def test_dense_overlap_does_little_work(monkeypatch, semantics):
    """Merging must not compare the merged rules with every rule they overlap. Work
    counters, not timers: the candidates the index hands out, and the pair questions."""
    old, new, merges = dense_lists()
    handed = 0
    real_iter = equivalence.OverlapIndex.iter_candidates

    def counting_iter(self, *args, **kwargs):
        nonlocal handed
        for k in real_iter(self, *args, **kwargs):
            handed += 1
            yield k

    monkeypatch.setattr(equivalence.OverlapIndex, "iter_candidates", counting_iter)
    assert first_difference(old, new, dict(DOMAINS), semantics) is None
    assert handed <= 20 * merges, handed
    # a bad move among them is found: a review rule on n moved up past an allow rule on src
    bad = list(new)
    k = next(i for i, s in enumerate(bad) if s.label == "a300")
    bad.insert(k - 2, bad.pop(k))
    d = first_difference(old, bad, dict(DOMAINS), semantics)
    if semantics == "any-match":
        assert d is None  # order does not matter
    else:
        assert d is not None and set(d.event) == {"src", "n"}
        assert (d.old, d.new, d.old_rule, d.new_rule) == ("allow", "review", "d300", "a300")
