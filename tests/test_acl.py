"""A firewall-style first-match ACL, grown the way real ACLs grow, compressed by suggest-merge.

The ACL is generated deterministically (no randomness): per-host permits in adjacent subnets
added one host at a time, port lists opened one port at a time, per-subnet permits, a few
denies in between that block some moves, duplicates added again later, a block list that
grows one address at a time, and a catch-all deny at the end. Fields: ``src``/``dst`` (ip),
``dst_port`` (int 0..65535, declared), ``proto`` (enum tcp/udp/icmp).

Equivalence is checked by brute force with the reference evaluator (``evaluate.decide``) on
every combination of boundary values: per field, every CIDR's first and last address +- 1,
every port range's ends +- 1, every listed value +- 1, the extremes of the domain, and
"missing"; values that every condition of both rule sets treats alike are merged first
(that keeps the product small and loses nothing), so the check is exhaustive over the
classes of events these rule sets can tell apart.
"""

from __future__ import annotations

import ipaddress
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from rulelint.consolidate.merge import DEFAULT_KEYS
from rulelint.consolidate.rewrite import apply_edits, dump_ruleset, new_rule_list, plan_edits
from rulelint.consolidate.suggest import suggest
from rulelint.evaluate import decision_key
from rulelint.load.conditions import matches
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import RuleSet, load_project

HEADER = {
    "ruleset": "edge-acl",
    "semantics": "first-match",
    "limits": {"max_rules": 120, "max_values": 64, "max_conditions": 4},
    "defaults": {"owner": "netops@example.com"},
    "fields": {
        "src": "ip",
        "dst": "ip",
        "dst_port": {"kind": "int", "min": 0, "max": 65535},
        "proto": {"kind": "enum", "values": ["tcp", "udp", "icmp"]},
    },
}

WEB1, WEB2, BASTION, APP = "192.168.10.10", "192.168.10.11", "192.168.10.20", "192.168.10.30"
DNS1, DNS2, NTP, DB, MAIL = "192.168.20.53", "192.168.20.54", "192.168.20.123", "192.168.30.5", "192.168.10.25"
MEDIA = "192.168.40.10"


def _net(addr: str) -> dict:
    return {"cidr": addr if "/" in addr else f"{addr}/32"}


def acl_rules() -> list[dict[str, Any]]:
    """The ACL in file order, as it would have grown over a couple of years."""
    rules: list[dict[str, Any]] = []

    def add(action: str, name: str, *, src=None, dst=None, port=None, proto=None, ticket=None):
        match: dict[str, Any] = {}
        if src is not None:
            match["src"] = _net(src)
        if dst is not None:
            match["dst"] = _net(dst)
        if port is not None:
            match["dst_port"] = port
        if proto is not None:
            match["proto"] = proto
        rule: dict[str, Any] = {"id": f"{len(rules):03d}-{action}-{name}", "action": action,
                                "match": match}
        if ticket:
            rule["ticket"] = ticket
        rules.append(rule)

    add("deny", "bogon-10-99", src="10.99.0.0/16")
    # per-host permits to web1, one host at a time; a compromised host blocked in between
    for h in range(16):
        add("permit", f"host-10-1-0-{h}-web1-https", src=f"10.1.0.{h}", dst=WEB1, port=443,
            proto="tcp", ticket=f"NET-{100 + h}")
        if h == 9:
            add("deny", "compromised-10-1-0-13", src="10.1.0.13")
    # per-subnet permits to the bastion
    for s in range(8):
        add("permit", f"net-10-2-{s}-ssh", src=f"10.2.{s}.0/24", dst=BASTION, port=22, proto="tcp")
    # the app server's ports, opened one at a time; a deny of one subnet in the middle
    app_ports = [80, 443, 8080, 8443, 9000, 9001, 9002, 9003]
    for i, p in enumerate(app_ports):
        add("permit", f"app-tcp-{p}", src="10.3.0.0/16", dst=APP, port=p, proto="tcp")
        if i == 3:
            add("deny", "quarantine-10-3-5-app", src="10.3.5.0/24", dst=APP)
    # DNS over udp then tcp, to two resolvers (added resolver by resolver)
    for proto in ("udp", "tcp"):
        for dns in (DNS1, DNS2):
            add("permit", f"dns-{proto}-{dns.rsplit('.', 1)[1]}", src="10.0.0.0/8", dst=dns,
                port=53, proto=proto)
    add("permit", "ntp", src="10.0.0.0/8", dst=NTP, port=123, proto="udp")
    # monitoring pings, per monitoring subnet
    for s in range(4):
        add("permit", f"icmp-monitor-10-50-{s}", src=f"10.50.{s}.0/24", dst="192.168.0.0/16",
            proto="icmp")
    # database clients, one app host at a time, then a deny of the db network
    for h in range(30, 38):
        add("permit", f"db-from-192-168-10-{h}", src=f"192.168.10.{h}", dst=DB, port=5432,
            proto="tcp")
    add("deny", "db-net-from-corp", src="10.0.0.0/8", dst="192.168.30.0/24")
    # duplicates added again by later tickets
    add("permit", "host-10-1-0-3-web1-https-again", src="10.1.0.3", dst=WEB1, port=443,
        proto="tcp", ticket="NET-301")
    add("permit", "dns-udp-53-again", src="10.0.0.0/8", dst=DNS1, port=53, proto="udp")
    # web2 gets the first 8 hosts
    for h in range(8):
        add("permit", f"host-10-1-0-{h}-web2-https", src=f"10.1.0.{h}", dst=WEB2, port=443,
            proto="tcp")
    # mail relays, per host
    for h in range(8):
        add("permit", f"smtp-from-10-6-0-{h}", src=f"10.6.0.{h}", dst=MAIL, port=25, proto="tcp")
    # media server port ranges, one block at a time
    for lo in (10000, 11000, 12000):
        add("permit", f"media-udp-{lo}", src="10.4.0.0/16", dst=MEDIA,
            port={"range": [lo, lo + 999]}, proto="udp")
    # a scanner block list, one address at a time
    for h in range(1, 9):
        add("deny", f"scanner-172-16-9-{h}", src=f"172.16.9.{h}")
    # VPN pool opened to the web servers, one /26 at a time
    for q in range(4):
        add("permit", f"vpn-10-8-0-{q * 64}-web1", src=f"10.8.0.{q * 64}/26", dst=WEB1,
            port=443, proto="tcp")
    # a lab subnet: opened, then partly locked down, then the next subnet opened (the deny
    # meets both permits, so they cannot be merged across it)
    add("permit", "lab-10-7-0-http", src="10.7.0.0/24", dst="192.168.50.0/24", port=80,
        proto="tcp")
    add("deny", "lab-lockdown-192-168-50-10", src="10.7.0.0/23", dst="192.168.50.10", port=80,
        proto="tcp")
    add("permit", "lab-10-7-1-http", src="10.7.1.0/24", dst="192.168.50.0/24", port=80,
        proto="tcp")
    # admin hosts, each with its own (irregular) set of admin ports, host by host
    for h in (2, 3, 5, 8, 13, 21, 34):
        ports = [22] + ([3389] if h % 2 else []) + ([5986] if h % 3 == 0 else [])
        for p in ports:
            add("permit", f"admin-10-9-0-{h}-{p}", src=f"10.9.0.{h}", dst="192.168.60.0/24",
                port=p, proto="tcp")
    # hosts pinned to one of four backends, added as they were deployed
    for h in range(12):
        add("permit", f"pin-10-10-0-{h}", src=f"10.10.0.{h}", dst=f"192.168.61.{h % 4 + 1}",
            proto="tcp")
        if h == 5:
            add("deny", "pin-telnet-block", src="10.10.0.4/30", dst="192.168.61.1", port=23,
                proto="tcp")
    add("deny", "catch-all", )
    return rules


def acl_yaml() -> str:
    return yaml.safe_dump({**HEADER, "rules": acl_rules()}, sort_keys=False,
                          default_flow_style=None, width=200)


def load(path: Path) -> RuleSet:
    project = load_project([SourceFile(path, path.name)], Settings(root=path.parent, cwd=path.parent))
    errors = [f"{f.file}:{f.line}: {f.message}" for f in project.findings]
    assert not errors, errors
    (rs,) = project.rulesets.values()
    return rs


# --- boundary events -------------------------------------------------------------------------


class _Missing:
    pass


MISSING = _Missing()


def _ip_candidates(conds) -> set[str]:
    out: set[int] = {0, 2**32 - 1}
    v6 = {"::", "2001:db8::1"}
    for c in conds:
        if c.op == "cidr":
            nets = [ipaddress.ip_network(n) for n in c.values]
        else:
            nets = [ipaddress.ip_network(str(v)) for v in c.values]
        for n in nets:
            if n.version == 6:
                v6 |= {str(n.network_address), str(n.broadcast_address)}
                continue
            lo, hi = int(n.network_address), int(n.broadcast_address)
            out |= {x for x in (lo - 1, lo, hi, hi + 1) if 0 <= x < 2**32}
    return {str(ipaddress.IPv4Address(x)) for x in out} | v6


def _port_candidates(conds) -> set[int]:
    out = {0, 65535}
    for c in conds:
        points = [c.lo, c.hi] if c.op == "bounds" else list(c.values)
        for p in points:
            if isinstance(p, int):
                out |= {x for x in (p - 1, p, p + 1) if 0 <= x <= 65535}
    return out


def boundary_axes(*rulesets: RuleSet) -> dict[str, list]:
    """Per field, one value per class of boundary values, plus missing."""
    rs0 = rulesets[0]
    by_field: dict[str, list] = {}
    for rs in rulesets:
        for r in rs.rules:
            for f, c in r.conditions.items():
                by_field.setdefault(f, []).append(c)
    axes = {}
    for f in sorted(by_field):
        kind = rs0.domains[f].kind
        conds = by_field[f]
        if kind == "ip":
            cands = sorted(_ip_candidates(conds), key=lambda a: ipaddress.ip_address(a).packed)
        elif kind == "int":
            cands = sorted(_port_candidates(conds))
        else:
            cands = list(rs0.domains[f].values)
        classes: dict[tuple, Any] = {}
        for v in cands:
            classes.setdefault(tuple(matches(c, kind, v) for c in conds), v)
        axes[f] = [*classes.values(), MISSING]
    return axes


class Decider:
    """First-match decisions over the product of ``axes``, fast: per field and value, the
    bit mask of rules whose condition on that field holds (``conditions.matches``, the
    reference matcher); an event's matching rules are the AND over its fields."""

    def __init__(self, rs: RuleSet, axes: dict[str, list]) -> None:
        self.rs = rs
        alive = 0
        for i, r in enumerate(rs.rules):
            if r.rule.enabled and r.valid:
                alive |= 1 << i
        self.alive = alive
        self.masks: dict[str, list[int]] = {}
        for f, values in axes.items():
            kind = rs.domains[f].kind if f in rs.domains else None
            row = []
            for v in values:
                m = 0
                for i, r in enumerate(rs.rules):
                    c = r.conditions.get(f)
                    if c is None or (v is not MISSING and matches(c, kind, v)):
                        m |= 1 << i
                row.append(m)
            self.masks[f] = row

    def decide(self, index: tuple[int, ...]) -> str | None:
        m = self.alive
        for f, k in zip(self.masks, index, strict=True):
            m &= self.masks[f][k]
            if not m:
                return None
        return self.rs.rules[(m & -m).bit_length() - 1].action


def assert_equivalent(old: RuleSet, new: RuleSet) -> int:
    axes = boundary_axes(old, new)
    names = list(axes)
    a, b = Decider(old, axes), Decider(new, axes)
    n = 0
    for index in itertools.product(*(range(len(axes[f])) for f in names)):
        da, db = a.decide(index), b.decide(index)
        if da != db or n % 211 == 0:
            ev = {f: axes[f][k] for f, k in zip(names, index, strict=True)}
            ev = {f: v for f, v in ev.items() if v is not MISSING}
            # the fast path is only a shortcut: the reference evaluator has the last word
            assert decision_key(old, ev) == da and decision_key(new, ev) == db, ev
            assert da == db, f"event {ev}: original {da!r}, compressed {db!r}"
        n += 1
    return n


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acl(tmp_path_factory):
    d = tmp_path_factory.mktemp("acl")
    path = d / "acl.yaml"
    path.write_text(acl_yaml(), encoding="utf-8")
    return path


def test_acl_is_big_and_realistic(acl):
    rs = load(acl)
    assert rs.slot_count >= 80
    assert rs.semantics == "first-match"
    actions = {r.action for r in rs.rules}
    assert actions == {"permit", "deny"}
    assert rs.rules[-1].rule.match == {} and rs.rules[-1].action == "deny"


@pytest.mark.parametrize("include_redundant", [False, True], ids=["merge-only", "with-redundant"])
def test_acl_compresses_well_and_stays_equivalent(acl, tmp_path, include_redundant,
                                                  record_property, capsys):
    rs = load(acl)
    s = suggest(rs, DEFAULT_KEYS, include_redundant=include_redundant)
    assert s.verified, s.difference
    out = tmp_path / "out.yaml"
    out.write_text(dump_ruleset(rs, new_rule_list(s.plan)), encoding="utf-8")
    new = load(out)
    ratio = new.slot_count / rs.slot_count
    record_property("acl_rules_before", rs.slot_count)
    record_property("acl_rules_after", new.slot_count)
    record_property("acl_ratio", round(ratio, 3))
    n = assert_equivalent(rs, new)
    with capsys.disabled():
        print(f"\nACL ({'with' if include_redundant else 'without'} --include-redundant): "
              f"{rs.slot_count} -> {new.slot_count} rules, ratio {ratio:.2f}; "
              f"{n} boundary events agree")
    # measured: 116 -> 26 (0.22) merging only, 116 -> 24 (0.21) with --include-redundant;
    # Firewall Compressor (INFOCOM 2008) reports about 0.5 on real ACLs
    assert ratio <= (0.23 if not include_redundant else 0.21)
    assert new.slot_count == s.plan.after
    # every merged rule stays within the rule limits
    for r in new.rules:
        assert len(r.rule.match) <= 4
        assert sum(c.value_count for c in r.conditions.values()) <= 64
    # a second run finds nothing more
    again = suggest(new, DEFAULT_KEYS, include_redundant=include_redundant)
    assert not again.plan.groups and not again.plan.removed


def test_acl_apply_in_place_is_equivalent(acl, tmp_path):
    work = tmp_path / "acl.yaml"
    work.write_bytes(acl.read_bytes())
    rs = load(work)
    s = suggest(rs, DEFAULT_KEYS, include_redundant=True)
    apply_edits(plan_edits(s.plan))
    new = load(work)
    assert new.slot_count == s.plan.after
    assert_equivalent(load(acl), new)


def test_boundary_events_catch_a_wrong_merge(acl, tmp_path):
    """The yardstick can fail: widen one merged CIDR by one address and it must notice."""
    rs = load(acl)
    text = acl.read_text(encoding="utf-8").replace("10.1.0.13/32", "10.1.0.12/31", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(AssertionError, match="10.1.0.12"):
        assert_equivalent(rs, load(bad))


def test_adjacent_port_ranges_merge_into_one_range(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "ruleset: acl\nlimits: {max_values: 50}\n"
        "fields: {dst_port: {kind: int, min: 0, max: 65535}}\n"
        "rules:\n"
        "  - {id: a, action: permit, match: {dst_port: {range: [1024, 2047]}, proto: tcp}}\n"
        "  - {id: b, action: permit, match: {dst_port: {range: [2048, 2050]}, proto: tcp}}\n",
        encoding="utf-8",
    )
    s = suggest(load(path), DEFAULT_KEYS)
    assert [g.rule["match"] for g in s.plan.groups] == [
        {"proto": "tcp", "dst_port": {"range": [1024, 2050]}}
    ]
