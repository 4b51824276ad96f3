"""Tests of the exact set algebra (rulelint.algebra.sets) against brute force."""

from __future__ import annotations

import ipaddress
import itertools
import math
import pickle

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rulelint.algebra.sets import (
    IP_UNIVERSE,
    IPV6_OFFSET,
    Domain,
    IntervalSet,
    OrAbsent,
    StrSet,
    box_equal,
    box_intersect,
    box_is_empty,
    box_key,
    box_measure,
    box_normalize,
    box_point,
    box_subset,
    box_subtract,
    covers,
    int_to_ip,
    interval_to_cidrs,
    ip_set,
    ip_to_int,
    ipset_to_cidrs,
    network_interval,
    union_all,
    values_of,
)

INF = math.inf
settings.register_profile(
    "sets", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("sets")


# =============================================================================================
# IntervalSet
# =============================================================================================

WINDOW = range(-25, 26)
FAR = [-(2**200), -(10**30), 10**30, 2**200]
PROBES = [*WINDOW, *FAR]

lo_bound = st.one_of(st.integers(-20, 20), st.sampled_from([-INF, INF]))
hi_bound = st.one_of(st.integers(-20, 20), st.sampled_from([-INF, INF]))
pair_lists = st.lists(st.tuples(lo_bound, hi_bound), max_size=5)


def model(pairs):
    """Membership predicate of a union of pairs."""
    return lambda x: any(lo <= x <= hi for lo, hi in pairs)


def check_iv_invariants(s: IntervalSet) -> None:
    iv = s.iv
    assert isinstance(iv, tuple)
    for lo, hi in iv:
        assert lo <= hi
        assert lo != INF and hi != -INF
        assert isinstance(lo, int) or lo == -INF
        assert isinstance(hi, int) or hi == INF
    for (_, h1), (l2, _) in itertools.pairwise(iv):
        assert h1 + 1 < l2  # disjoint and non-adjacent


def members(s: IntervalSet) -> list[bool]:
    return [x in s for x in PROBES]


@given(pair_lists)
def test_iv_of_matches_model(pairs):
    s = IntervalSet.of(pairs)
    check_iv_invariants(s)
    m = model(pairs)
    assert members(s) == [m(x) for x in PROBES]
    assert s.is_empty() == (not any(m(x) for x in PROBES))
    assert bool(s) == (not s.is_empty())
    assert IntervalSet(pairs) == s


@given(pair_lists, pair_lists)
def test_iv_binary_ops(p1, p2):
    a, b = IntervalSet.of(p1), IntervalSet.of(p2)
    ma, mb = model(p1), model(p2)
    for result, fn in [
        (a & b, lambda x: ma(x) and mb(x)),
        (a | b, lambda x: ma(x) or mb(x)),
        (a - b, lambda x: ma(x) and not mb(x)),
        (a ^ b, lambda x: ma(x) != mb(x)),
        (a.complement(), lambda x: not ma(x)),
    ]:
        check_iv_invariants(result)
        assert members(result) == [fn(x) for x in PROBES]
    sub = all(mb(x) for x in PROBES if ma(x))
    assert a.issubset(b) == sub
    assert (a <= b) == sub
    assert (a >= b) == all(ma(x) for x in PROBES if mb(x))
    assert a.isdisjoint(b) == (not any(ma(x) and mb(x) for x in PROBES))
    same = all(ma(x) == mb(x) for x in PROBES)
    assert (a == b) == same
    assert (a != b) == (not same)
    if same:
        assert hash(a) == hash(b)
    assert (a < b) == (sub and not same)


@given(pair_lists)
def test_iv_witness_size_points(pairs):
    s = IntervalSet.of(pairs)
    m = model(pairs)
    if s.is_empty():
        with pytest.raises(ValueError):
            s.witness()
        assert s.size() == 0
        return
    w = s.witness()
    assert isinstance(w, int) and w in s
    # the witness is a member closest to 0 (all such members lie in the window)
    best = min(abs(x) for x in WINDOW if m(x))
    assert abs(w) == best
    if m(0):
        assert w == 0
    bounded = s.iv[0][0] != -INF and s.iv[-1][1] != INF
    if bounded:
        pts = [x for x in WINDOW if m(x)]
        assert s.size() == len(pts)
        assert s.points() == tuple(pts)
        assert s.is_finite_points(len(pts))
        assert not s.is_finite_points(len(pts) - 1)
        assert IntervalSet.points(pts) == s
    else:
        assert s.size() == INF
        assert not s.is_finite_points()
        with pytest.raises(ValueError):
            s.points()


def test_iv_basics():
    assert IntervalSet.of([(1, 3), (4, 6)]).iv == ((1, 6),)
    assert IntervalSet.of([(1, 3), (5, 6)]).iv == ((1, 3), (5, 6))
    assert IntervalSet.of([(5, 1), (INF, INF), (-INF, -INF)]).is_empty()
    assert IntervalSet.full().iv == ((-INF, INF),)
    assert IntervalSet.empty().iv == ()
    assert IntervalSet.point(4).iv == ((4, 4),)
    assert IntervalSet.range(None, -5).witness() == -5
    assert IntervalSet.range(10, None).witness() == 10
    assert IntervalSet.of([(-3, -3), (3, 3)]).witness() == 3
    assert IntervalSet.of([(-2, -2), (3, 3)]).witness() == -2
    assert IntervalSet.of([(0.5, 2.5)]).iv == ((1, 2),)
    assert 2.0 in IntervalSet.of([(1, 3)])
    assert 2.5 not in IntervalSet.of([(1, 3)])
    assert "2" not in IntervalSet.of([(1, 3)])
    assert True not in IntervalSet.of([(1, 3)])
    with pytest.raises(TypeError):
        IntervalSet.of([(True, 3)])
    with pytest.raises(ValueError):
        IntervalSet.of([(math.nan, 3)])
    assert (
        repr(IntervalSet.of([(-INF, -5), (0, 0), (10, 20)])) == "IntervalSet(-inf..-5, 0, 10..20)"
    )
    s = IntervalSet.of([(1, 2)])
    with pytest.raises(AttributeError):
        s.iv = ()
    assert pickle.loads(pickle.dumps(s)) == s
    assert {s: 1}[IntervalSet.of([(1, 1), (2, 2)])] == 1


def test_iv_huge_ints():
    big = 2**200
    a = IntervalSet.of([(big, big + 10), (big + 11, big + 20)])
    assert a.iv == ((big, big + 20),)
    assert big + 5 in a and big + 21 not in a
    assert float(big) != big + 5  # never compared through floats
    b = IntervalSet.of([(big + 5, INF)])
    assert (a - b).iv == ((big, big + 4),)
    assert (a & b).iv == ((big + 5, big + 20),)
    assert (a | b).iv == ((big, INF),)
    assert a.size() == 21
    assert b.witness() == big + 5
    assert IntervalSet.of([(-INF, -big)]).witness() == -big
    c = IntervalSet.of([(2**53, 2**53), (2**53 + 1, 2**53 + 1)])
    assert c.iv == ((2**53, 2**53 + 1),)


# =============================================================================================
# IP addresses
# =============================================================================================


def test_ip_two_slash8_are_a_slash7():
    a = ip_set(["10.0.0.0/8"]) | ip_set(["11.0.0.0/8"])
    assert a == ip_set(["10.0.0.0/7"])
    assert ipset_to_cidrs(a) == ["10.0.0.0/7"]
    assert ip_to_int("10.255.255.255") in a
    assert ip_to_int("12.0.0.0") not in a


def test_ip_four_slash30_are_a_slash28():
    nets = ["192.168.1.0/30", "192.168.1.4/30", "192.168.1.8/30", "192.168.1.12/30"]
    s = ip_set(nets)
    assert len(s.iv) == 1
    assert interval_to_cidrs(*s.iv[0]) == ["192.168.1.0/28"]
    assert ipset_to_cidrs(ip_set(nets[:3])) == ["192.168.1.0/29", "192.168.1.8/30"]


def test_ip_v6():
    lo, hi = network_interval("2001:db8::/32")
    assert lo == IPV6_OFFSET + int(ipaddress.ip_address("2001:db8::"))
    assert hi - lo + 1 == 2**96
    s = ip_set(["2001:db8::/33", "2001:db8:8000::/33"])
    assert s == ip_set(["2001:db8::/32"])
    assert ipset_to_cidrs(s) == ["2001:db8::/32"]
    assert int_to_ip(lo) == "2001:db8::"
    assert int_to_ip(hi) == "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
    both = ip_set(["10.0.0.0/8", "2001:db8::/32"])
    assert ipset_to_cidrs(both) == ["10.0.0.0/8", "2001:db8::/32"]
    assert ip_to_int("::ffff:1.2.3.4") != ip_to_int("1.2.3.4")
    assert ip_to_int("::ffff:1.2.3.4") not in ip_set(["1.2.3.4/32"])
    assert ip_to_int(ipaddress.ip_address("1.2.3.4")) == ip_to_int("1.2.3.4")
    assert network_interval(ipaddress.ip_network("::/0")) == (IPV6_OFFSET, IPV6_OFFSET + 2**128 - 1)
    assert ip_set(["0.0.0.0/0", "::/0"]) == IP_UNIVERSE
    assert ipset_to_cidrs(IP_UNIVERSE) == ["0.0.0.0/0", "::/0"]


def test_ip_errors():
    with pytest.raises(ValueError):
        network_interval("10.0.0.1/8")  # host bits set
    with pytest.raises(ValueError):
        network_interval("10.0.0.0/33")
    with pytest.raises(ValueError):
        ip_to_int("not-an-ip")
    with pytest.raises(ValueError):
        int_to_ip(-1)
    with pytest.raises(ValueError):
        int_to_ip(IPV6_OFFSET + 2**128)
    with pytest.raises(ValueError):
        interval_to_cidrs(-1, 5)
    assert interval_to_cidrs(5, 4) == []


def test_ip_cidr_across_families():
    out = interval_to_cidrs(IPV6_OFFSET - 2, IPV6_OFFSET + 1)
    assert out == ["255.255.255.254/31", "::/127"]


@given(st.integers(0, 2**32 - 1), st.integers(0, 5000))
def test_cidr_cover_is_exact_and_minimal_v4(lo, n):
    hi = min(lo + n, 2**32 - 1)
    cidrs = interval_to_cidrs(lo, hi)
    nets = [ipaddress.ip_network(c) for c in cidrs]
    assert ip_set(cidrs) == IntervalSet.of([(lo, hi)])
    expected = list(
        ipaddress.summarize_address_range(ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi))
    )
    assert nets == expected


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**70))
def test_cidr_cover_is_exact_v6(lo, n):
    hi = min(lo + n, 2**128 - 1)
    cidrs = interval_to_cidrs(IPV6_OFFSET + lo, IPV6_OFFSET + hi)
    expected = list(
        ipaddress.summarize_address_range(ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi))
    )
    assert [ipaddress.ip_network(c) for c in cidrs] == expected


# =============================================================================================
# StrSet
# =============================================================================================


def strings(alphabet: str, max_len: int) -> list[str]:
    out = []
    for n in range(max_len + 1):
        out.extend("".join(t) for t in itertools.product(alphabet, repeat=n))
    return out


# Keys of length <= 2 over "ab": every string's membership equals that of a string of length
# <= 3 over "abc" (the first 2 characters pick its region among the keys, any character
# outside "ab" behaves like "c", and strings longer than 2 are never exact keys).  So brute
# force over UNIVERSE is exhaustive for such sets; "c" matters: prefixes "a" | "b" | {""}
# is everything over "ab" but not over all strings.
KEYS = strings("ab", 2)
UNIVERSE = strings("abc", 3)
# For keys of length <= 3 the same argument needs strings of length <= 4.
KEYS3 = strings("ab", 3)
UNIVERSE4 = strings("abc", 4)


def exprs(keys: list[str]):
    key = st.sampled_from(keys)
    base = st.one_of(
        st.tuples(st.just("values"), st.lists(key, max_size=4)),
        st.tuples(st.just("not_values"), st.lists(key, max_size=3)),
        st.tuples(st.just("prefixes"), st.lists(key, max_size=3)),
        st.tuples(st.sampled_from(["empty", "full"])),
    )
    return st.recursive(
        base,
        lambda kids: st.one_of(
            st.tuples(st.sampled_from(["and", "or", "sub", "xor"]), kids, kids),
            st.tuples(st.just("not"), kids),
        ),
        max_leaves=6,
    )


def build(e) -> StrSet:
    tag = e[0]
    if tag == "values":
        return StrSet.values(e[1])
    if tag == "not_values":
        return StrSet.not_values(e[1])
    if tag == "prefixes":
        return StrSet.prefixes(e[1])
    if tag == "empty":
        return StrSet.empty()
    if tag == "full":
        return StrSet.full()
    if tag == "not":
        return build(e[1]).complement()
    a, b = build(e[1]), build(e[2])
    return {"and": a & b, "or": a | b, "sub": a - b, "xor": a ^ b}[tag]


def brute(e, s: str) -> bool:
    tag = e[0]
    if tag == "values":
        return s in e[1]
    if tag == "not_values":
        return s not in e[1]
    if tag == "prefixes":
        return any(s.startswith(p) for p in e[1])
    if tag == "empty":
        return False
    if tag == "full":
        return True
    if tag == "not":
        return not brute(e[1], s)
    x, y = brute(e[1], s), brute(e[2], s)
    return {"and": x and y, "or": x or y, "sub": x and not y, "xor": x != y}[tag]


def check_str_invariants(s: StrSet) -> None:
    K, E = s.K, s.E
    assert K[0][0] == ""
    assert list(K) == sorted(K) and len({k for k, _ in K}) == len(K)
    assert list(E) == sorted(E) and len({e for e, _ in E}) == len(E)
    kd = dict(K)
    for q, v in K[1:]:
        parent = max((p for p in kd if q.startswith(p) and p != q), key=len)
        assert kd[parent] != v, f"redundant K entry {q!r}"
    for e, v in E:
        assert s.region_value(e) != v, f"redundant E entry {e!r}"
    for v in (*kd.values(), *dict(E).values()):
        assert type(v) is bool


def vector(s: StrSet, universe) -> tuple[bool, ...]:
    return tuple(s.member(x) for x in universe)


@given(exprs(KEYS))
def test_str_matches_brute(e):
    s = build(e)
    check_str_invariants(s)
    vec = tuple(brute(e, x) for x in UNIVERSE)
    assert vector(s, UNIVERSE) == vec
    assert s.is_empty() == (not any(vec))
    assert bool(s) == any(vec)
    assert s.is_full() == all(vec)
    c = s.complement()
    check_str_invariants(c)
    assert vector(c, UNIVERSE) == tuple(not v for v in vec)
    assert ~c == s


@given(exprs(KEYS3))
def test_str_longer_keys_membership(e):
    s = build(e)
    check_str_invariants(s)
    assert vector(s, UNIVERSE4) == tuple(brute(e, x) for x in UNIVERSE4)
    assert s.is_empty() == (not any(brute(e, x) for x in UNIVERSE4))


@given(exprs(KEYS), exprs(KEYS))
def test_str_binary_ops(e1, e2):
    a, b = build(e1), build(e2)
    va = [brute(e1, x) for x in UNIVERSE]
    vb = [brute(e2, x) for x in UNIVERSE]
    for r, f in [
        (a & b, lambda x, y: x and y),
        (a | b, lambda x, y: x or y),
        (a - b, lambda x, y: x and not y),
        (a ^ b, lambda x, y: x != y),
    ]:
        check_str_invariants(r)
        assert vector(r, UNIVERSE) == tuple(f(x, y) for x, y in zip(va, vb, strict=True))
    sub = all(y for x, y in zip(va, vb, strict=True) if x)
    assert a.issubset(b) == sub
    assert (a <= b) == sub
    assert (b >= a) == sub
    assert a.isdisjoint(b) == (not any(x and y for x, y in zip(va, vb, strict=True)))
    same = va == vb
    assert (a == b) == same
    assert (a != b) == (not same)
    if same:
        assert hash(a) == hash(b)
        assert a.K == b.K and a.E == b.E
    # identities
    assert ~(a | b) == (~a & ~b)
    assert a - b == a & ~b
    assert a ^ b == (a | b) - (a & b)
    assert (a | b) - b == a - b


@given(exprs(KEYS))
def test_str_canonical_from_membership(e):
    """A set rebuilt from its membership vector through a very redundant (K, E) is equal."""
    s = build(e)
    r = {x: brute(e, x) for x in UNIVERSE}
    # the region value of p is the membership of p + "c" (a string in p's region only)
    K = [(p, r[p + "c"]) for p in KEYS]
    E = [(x, r[x]) for x in KEYS]
    t = StrSet(K, E)
    check_str_invariants(t)
    assert t == s
    assert hash(t) == hash(s)


@given(exprs(KEYS), st.lists(st.sampled_from(UNIVERSE), max_size=3))
def test_str_witness_finite(e, prefer):
    s = build(e)
    vec = {x: brute(e, x) for x in UNIVERSE}
    if s.is_empty():
        with pytest.raises(ValueError):
            s.witness()
    else:
        w = s.witness()
        assert isinstance(w, str) and s.member(w) and w in s
        if w == "":
            assert s.finite_values() == frozenset({""})
        wp = s.witness(prefer)
        assert s.member(wp)
        good = [p for p in prefer if vec[p]]
        if good:
            assert wp == good[0]
    infinite = any(vec[x] for x in UNIVERSE if len(x) == 3)
    if infinite:
        assert s.finite_values() is None
        assert s.size() == INF
    else:
        expect = frozenset(x for x in UNIVERSE if vec[x])
        assert s.finite_values() == expect
        assert s.size() == len(expect)


def test_str_hand_cases():
    s = StrSet.prefixes(["ab"]) - StrSet.values(["ab"]) - StrSet.prefixes(["abc"])
    assert s.K == (("", False), ("ab", True), ("abc", False))
    assert s.E == (("ab", False),)
    w = s.witness()
    assert w == "abx"
    assert "ab" not in s and "abc" not in s and "abcd" not in s and "abd" in s
    assert "a" not in s and "" not in s
    # witness search cannot loop when the readable suffixes are all excluded
    t = StrSet.prefixes(["q"]) - StrSet.prefixes(["qx", "qy", "qz", "qo"]) - StrSet.values(["q"])
    w = t.witness()
    assert t.member(w) and w.startswith("q")
    u = (
        StrSet.full()
        - StrSet.prefixes([*"abcdefghijklmnopqrstuvwxyz0123456789"])
        - StrSet.values([""])
    )
    assert u.member(u.witness())
    assert StrSet.values([""]).witness() == ""
    assert StrSet.full().witness() == "x"
    assert StrSet.full().witness(prefer=["hello"]) == "hello"
    assert StrSet.values(["b", "a"]).witness() == "a"
    assert StrSet.not_values(["x"]).witness() == "y"
    assert StrSet.prefixes(["", "a"]) == StrSet.full()
    assert StrSet.prefixes(["a", "ab"]) == StrSet.prefixes(["a"])
    assert StrSet.values([]) == StrSet.empty()
    assert StrSet.not_values([]) == StrSet.full()
    assert StrSet.prefixes(["a"]) | StrSet.prefixes(["b"]) | StrSet.values([""]) != StrSet.full()
    assert (StrSet.values(["a"]) | StrSet.not_values(["a"])).is_full()
    assert 5 not in StrSet.full()
    with pytest.raises(TypeError):
        StrSet.values([1])
    with pytest.raises(ValueError):
        StrSet.empty().witness()
    assert repr(StrSet.values(["a"])) == "StrSet.values(['a'])"
    assert repr(StrSet.prefixes(["a", "b"])) == "StrSet.prefixes(['a', 'b'])"
    assert eval(repr(s), {"StrSet": StrSet}) == s
    with pytest.raises(AttributeError):
        s.K = ()
    assert pickle.loads(pickle.dumps(s)) == s


def test_str_many_prefixes_fast():
    import time

    a = StrSet.prefixes(f"user-{i:04d}-" for i in range(0, 1000, 2))
    b = StrSet.prefixes(f"user-{i:04d}" for i in range(0, 1000, 3)) | StrSet.values(
        [f"v{i}" for i in range(500)]
    )
    t0 = time.perf_counter()
    for _ in range(20):
        c = (a & b) | (a - b)
        assert c == a
        assert not (a - b).is_empty()
        assert a.member("user-0002-x") and not a.member("user-0001-x")
    assert time.perf_counter() - t0 < 5


# =============================================================================================
# Domain
# =============================================================================================


def test_domain_basics():
    plan = Domain("enum", ("free", "pro", "enterprise"))
    assert plan.is_full(frozenset({"free", "pro"}) | frozenset({"enterprise"}))
    assert plan.complement(frozenset({"free"})) == frozenset({"pro", "enterprise"})
    assert plan.witness(frozenset({"enterprise", "pro"})) == "pro"
    assert plan.witness(frozenset({"enterprise", "pro"}), prefer=["enterprise"]) == "enterprise"
    assert plan.clip(frozenset({"free", "gold"})) == frozenset({"free"})
    assert plan.contains(frozenset({"free"}), "free")
    assert not plan.contains(frozenset({"free"}), 1)

    b = Domain("bool")
    assert b.full() == frozenset({False, True})
    assert b.witness(frozenset({False})) is False
    assert not b.contains(frozenset({True}), 1)
    assert b.contains(frozenset({True}), True)

    port = Domain("int", min=0, max=65535)
    assert port.full() == IntervalSet.of([(0, 65535)])
    assert port.clip(IntervalSet.range(60000, None)) == IntervalSet.of([(60000, 65535)])
    assert port.complement(IntervalSet.of([(0, 1023)])) == IntervalSet.of([(1024, 65535)])
    assert port.is_full(IntervalSet.full())
    assert port.witness(IntervalSet.of([(80, 80), (443, 443)])) == 80
    assert port.witness(IntervalSet.of([(80, 80), (443, 443)]), prefer=[443]) == 443
    assert port.contains(port.full(), 22) and not port.contains(port.full(), True)
    assert not port.contains(port.full(), "22")
    age = Domain("int")
    assert age.full() == IntervalSet.full()
    assert age.witness(IntervalSet.range(None, -5)) == -5

    ip = Domain("ip")
    s = ip_set(["10.0.0.0/8"])
    assert ip.witness(s) == "10.0.0.0"
    assert ip.witness(s, prefer=["8.8.8.8", "10.1.2.3"]) == "10.1.2.3"
    assert ip.contains(s, "10.9.9.9") and not ip.contains(s, "nope")
    assert ip.witness(ip.full()) == "0.0.0.0"
    assert ip.complement(ip.complement(s)) == s

    text = Domain("string")
    assert text.full() == StrSet.full()
    assert text.empty() == StrSet.empty()
    assert text.witness(StrSet.prefixes(["[URGENT]"])) == "[URGENT]"
    assert text.contains(StrSet.prefixes(["a"]), "abc")
    assert not text.contains(StrSet.full(), 3)

    with pytest.raises(ValueError):
        Domain("float")
    with pytest.raises(ValueError):
        Domain("int", min=5, max=1)
    with pytest.raises(ValueError):
        Domain("enum", ("a", "a"))
    assert Domain("enum", ["a", "b"]).values == ("a", "b")
    assert hash(Domain("int", min=0)) == hash(Domain("int", min=0))
    assert Domain("int", min=0) == Domain("int", min=0)


# =============================================================================================
# Boxes
# =============================================================================================

DOMAINS = {
    "e": Domain("enum", ("x", "y", "z")),
    "n": Domain("int", min=0, max=3),
    "b": Domain("bool"),
    "s": Domain("string"),
}
# String sets below use keys of length <= 1 over "ab": strings of length <= 2 over "abc" are
# exhaustive for them (same argument as for UNIVERSE above).
S_GRID = strings("abc", 2)
# None stands for an event that lacks the field: no condition holds on it (SPEC.md), while
# a field a box leaves out allows it, and OrAbsent sets (from differences) hold it.
GRID = list(
    itertools.product(
        ["x", "y", "z", None], [0, 1, 2, 3, None], [False, True, None], [*S_GRID, None]
    )
)
FIELDS = ("e", "n", "b", "s")

field_sets = {
    "e": st.frozensets(st.sampled_from(["x", "y", "z"])),
    "n": st.lists(st.tuples(st.integers(-1, 4), st.integers(-1, 4)), max_size=2).map(
        lambda ps: DOMAINS["n"].clip(IntervalSet.of(ps))
    ),
    "b": st.frozensets(st.booleans()),
    "s": exprs(strings("ab", 1)).map(build),
}


@st.composite
def boxes(draw, allow_empty=True):
    box = {}
    for f in FIELDS:
        if draw(st.booleans()):
            s = draw(field_sets[f])
            if not allow_empty:
                assume(bool(s))
            box[f] = s
    return box


def norm_boxes(allow_empty=False):
    return (
        boxes(allow_empty).map(lambda b: box_normalize(b, DOMAINS)).filter(lambda b: b is not None)
    )


def _holds(f, s, v) -> bool:
    if v is None:
        return isinstance(s, OrAbsent)
    return DOMAINS[f].contains(values_of(s), v)


def pts(box) -> frozenset:
    out = set()
    for p in GRID:
        if all(_holds(f, box[f], v) for f, v in zip(FIELDS, p, strict=True) if f in box):
            out.add(p)
    return frozenset(out)


def check_normalised(box) -> None:
    for f, s in box.items():
        assert s, f"empty field {f}"
        assert s != OrAbsent(DOMAINS[f].full()), f"unconstrained field {f} kept"


@given(boxes(), boxes())
def test_box_intersect(a, b):
    r = box_intersect(a, b, DOMAINS)
    expect = pts(a) & pts(b)
    if r is None:
        assert not expect
    else:
        assert pts(r) == expect
        assert expect  # every non-None box here is non-empty
    assert box_is_empty(a) == (not pts(a))


@given(boxes(), boxes())
def test_box_subset_equal(a, b):
    assert box_subset(a, b, DOMAINS) == (pts(a) <= pts(b))
    assert box_equal(a, b, DOMAINS) == (pts(a) == pts(b))


@given(norm_boxes(), norm_boxes())
def test_box_subtract(a, b):
    pieces = box_subtract(a, b, DOMAINS)
    expect = pts(a) - pts(b)
    seen: set = set()
    for p in pieces:
        check_normalised(p)
        pp = pts(p)
        assert pp, "empty piece"
        assert not (pp & seen), "pieces overlap"
        seen |= pp
    assert seen == expect
    if not (pts(a) & pts(b)):
        assert pieces == [a]


@given(norm_boxes(), st.lists(norm_boxes(), max_size=5))
def test_covers(target, others):
    covered, remaining = covers(target, others, DOMAINS)
    union = frozenset().union(*(pts(o) for o in others))
    expect = pts(target) - union
    assert covered == (not expect)
    seen: set = set()
    for r in remaining:
        pr = pts(r)
        assert pr and not (pr & seen)
        seen |= pr
    assert seen == expect


@given(norm_boxes(), st.lists(st.sampled_from(["y", "z", "q"]), max_size=2))
def test_box_point(box, prefer_e):
    p = box_point(box, DOMAINS, prefer={"e": prefer_e}, fields=["n", "e"])
    assert set(p) == set(box) | {"n", "e"}
    for f, v in p.items():
        assert DOMAINS[f].contains(box.get(f, DOMAINS[f].full()), v)
    good = [v for v in prefer_e if v in box.get("e", DOMAINS["e"].full())]
    if good:
        assert p["e"] == good[0]


@given(norm_boxes())
def test_box_measure(box):
    m = box_measure(box, DOMAINS)
    assert m <= 1e-9
    assert box_measure({}, DOMAINS) == 0.0
    assert box_measure({"e": frozenset()}, DOMAINS) == -INF
    assert box_key(box) == box_key(dict(box))


def test_box_hand_cases():
    doms = {
        "plan": Domain("enum", ("free", "pro", "enterprise")),
        "ip": Domain("ip"),
        "age": Domain("int"),
        "subject": Domain("string"),
    }
    target = {"ip": ip_set(["10.0.0.0/7"]), "plan": frozenset({"pro", "enterprise"})}
    others = [
        {"ip": ip_set(["10.0.0.0/8"])},
        {"ip": ip_set(["11.0.0.0/8"]), "plan": frozenset({"pro"})},
        {"ip": ip_set(["11.0.0.0/8"]), "plan": frozenset({"enterprise", "free"})},
        {"age": IntervalSet.range(0, 30)},  # irrelevant-but-intersecting partial cover
    ]
    ok, rest = covers(target, others, doms)
    assert ok and rest == []
    ok, rest = covers(target, others[:2], doms)
    assert not ok
    assert len(rest) == 1
    w = box_point(rest[0], doms)
    assert w["plan"] == "enterprise" and w["ip"].startswith("11.")
    # a rule fully covered by one other is found without subtracting
    assert covers({"plan": frozenset({"pro"})}, [{}], doms) == (True, [])
    # string prefixes: [URGENT] covered by "" prefix minus nothing
    t = {"subject": StrSet.prefixes(["[URGENT] db"])}
    o = [{"subject": StrSet.prefixes(["[URGENT]"])}]
    assert covers(t, o, doms)[0]
    assert not covers({"subject": StrSet.prefixes(["[URG"])}, o, doms)[0]
    # subtract with an unconstrained field in a
    pieces = box_subtract({}, {"age": IntervalSet.range(0, 30)}, doms)
    assert pieces == [{"age": OrAbsent(IntervalSet.range(None, -1) | IntervalSet.range(31, None))}]
    # every value is still a condition: the field must be present
    whole = {"plan": frozenset({"free", "pro", "enterprise"})}
    assert box_normalize(whole, doms) == whole
    assert not covers({}, [whole], doms)[0]
    assert box_normalize({"plan": frozenset()}, doms) is None


@given(exprs(KEYS))
def test_str_true_prefixes_cover_members(e):
    s = build(e)
    ps, vs = s.true_prefixes(), set(s.true_values())
    for x in UNIVERSE:
        if s.member(x):
            assert x in vs or any(x.startswith(p) for p in ps)


_plain = st.lists(st.sampled_from(["", "a", "b", "ab", "a\x00", "ba"]), max_size=4)


@given(st.booleans(), _plain, st.booleans(), _plain)
def test_str_subset_of_lists_and_not_in_lists(neg_a, va, neg_b, vb):
    """The quick path of ``issubset`` (no prefixes on either side) against membership."""
    a = StrSet.not_values(va) if neg_a else StrSet.values(va)
    b = StrSet.not_values(vb) if neg_b else StrSet.values(vb)
    probes = ["", "a", "b", "ab", "a\x00", "ba", "zz", "a\x00\x00"]
    sub = all(b.member(x) for x in probes if a.member(x)) and not (neg_a and not neg_b)
    assert a.issubset(b) == sub
    assert a.issubset(b) == (not (a - b))


@given(st.lists(exprs(KEYS), min_size=1, max_size=12))
def test_union_all_of_string_sets_matches_brute(es):
    """union_all joins the finite sets at once and the rest pairwise: the same set as the
    members' union by brute force, whatever the mix (values, not_in lists, prefixes)."""
    sets = [build(e) for e in es]
    u = union_all(sets)
    check_str_invariants(u)
    assert vector(u, UNIVERSE) == tuple(any(brute(e, x) for e in es) for x in UNIVERSE)


@given(st.lists(st.tuples(st.lists(st.sampled_from(KEYS3), max_size=3),
                          st.lists(st.sampled_from(KEYS3), max_size=3)), min_size=1, max_size=12),
       exprs(KEYS3))
def test_union_all_of_prefix_and_value_sets_matches_brute(parts, other):
    """Many sets of prefixes and values (joined at once) with one set of any shape."""
    sets = [StrSet.prefixes(ps) | StrSet.values(vs) for ps, vs in parts] + [build(other)]
    u = union_all(sets)
    check_str_invariants(u)
    want = tuple(
        any(any(x.startswith(p) for p in ps) or x in vs for ps, vs in parts) or brute(other, x)
        for x in UNIVERSE4
    )
    assert vector(u, UNIVERSE4) == want
