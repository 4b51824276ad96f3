"""Deterministic generator of realistic exception-rule files for the benchmarks.

    python benchmarks/generate.py                     # 1k, 10k and 100k into benchmarks/out/
    python benchmarks/generate.py --rules 25000 -o /tmp/rules.yaml --seed 3

The same (rules, seed) always gives the same bytes. The mix imitates a support team's list
after a few years of growth:

* per-customer exceptions that pile up (``customer_id: C-123456``; a few hot customers
  collect many), actions such as skip_autoclose / escalate, owners from a small pool;
* region / plan / product combinations with ``ticket_age_days`` ranges, often written as a
  staircase of adjacent ranges with the same action (mergeable);
* CIDR allowlists: many /24s and /28s, some adjacent pairs (mergeable), some IPv6;
* ``subject: {prefix: ...}`` routing, a few ``not_in`` exceptions;
* a few percent exact duplicates and rules covered by earlier ones (most with the same
  action, a few with another: shadowed), some priorities, some disabled or expired rules;
* a declared ``fields:`` header and ``limits: {max_rules: ceil(n * 1.05)}``.

Four profiles (``--profile``):

* ``realistic`` (the default, what BENCHMARKS.md's targets are measured on): the keys that
  grow with a company grow with ``n``: customers (n/3), the product catalogue (n/10 products,
  at least the 96 base ones), partner prefixes, networks. A customer who already has a plain
  exception rarely gets another one, and region-wide ``not_in`` rules are per product. So
  the share of rules that are dead (duplicates, covered, shadowed) stays at a few percent
  at every size, as on a list that is looked after now and then.
* ``dense``: the support desk of issue 15, a stress test of the overlap analysis: 20%
  region x plan rules (1-3 of 12 regions, 1 of 5 plans, half with a ``ticket_age_days``
  range), 55% per-customer rules from a pool of n/2 customers (so customers collide, often
  with another action; 30% with a channel), 15% CIDR allowlists (/24 to /32 inside 1024
  /24 blocks), 10% email prefix + plan, 5 actions for every kind, 10% of the rules with a
  priority in -5..5, 2% copies of earlier rules (``DenseGenerator``).
* ``saturated``: the first generator (the ``dense`` profile before issue 15). Region,
  plan and product come from fixed pools (96 products) and every later rule of a customer
  with a plain exception is narrower, so the pools saturate as ``n`` grows: 39% of rules
  are dead at 10k and 53% at 100k.
* ``acl``: ClassBench-like firewall ACLs (after Taylor & Turner's ClassBench acl/fw seeds;
  issue 15 item 3), first-match, five fields: ``src_ip`` / ``dst_ip`` (``ip``, one ``cidr``
  each, 8% object groups of 2-3 networks; prefix lengths src 25% wildcard (field left out),
  25% /32, 25% /24, 12% /16, 5% /8, 8% /20-/30; dst 10% wildcard, 45% /32, 25% /24, 10%
  /16, 5% /8, 5% other), ``src_port`` / ``dst_port`` (``int`` 0..65535, only with tcp/udp:
  50% wildcard, 30% an exact common port, 20% a range such as 1024-65535, 0-1023, 49152-
  65535 or an arbitrary one) and ``protocol`` (enum: 65% tcp, 20% udp, 5% icmp, 10% left
  out, i.e. any IP). Addresses come from a modest hierarchy of pools (4 /8s, 32 /16s in
  them, max(64, n/16) /24s in those, max(128, n/8) hosts in those), so wide rules contain
  many later narrow ones and many earlier rules overlap a rule. Actions 62% permit, 33%
  deny, 5% log; 2% copies of earlier rules; owners, ``CHG-`` tickets, dates, 3% expiring,
  1% disabled; no priorities. There is no final match-all deny: the device's implicit
  default (no match: deny) plays that part, and a match-all rule would make every earlier
  deny a removal candidate and measure that instead of the overlap of the boxes. Not
  among the profiles ``benchmarks/run.py`` measures by default (``MEASURED_PROFILES``).

It is written the way people write these files: block style, ``- id:`` items, flow lists
for short lists, quotes only where YAML needs them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_SEED = 20_260_101
# the profiles benchmarks/run.py measures by default; ``acl`` only when asked for
MEASURED_PROFILES = ("realistic", "dense", "saturated")
PROFILES = (*MEASURED_PROFILES, "acl")
DEFAULT_PROFILE = "realistic"
OUT_DIR = Path(__file__).resolve().parent / "out"

OWNERS = [
    "cs-ops@example.com",
    "key-accounts@example.com",
    "tier2@example.com",
    "secops@example.com",
    "billing-ops@example.com",
    "apac-support@example.com",
]
CUSTOMER_ACTIONS = ["skip_autoclose", "escalate", "route_tier2", "skip_survey", "priority_queue"]
COMBO_ACTIONS = ["escalate", "skip_autoclose", "route_regional", "route_tier2", "notify_account_manager"]
CIDR_ACTIONS = ["trust_source", "skip_captcha", "allow_attachments"]
PREFIX_ACTIONS = ["route_security", "route_billing", "route_legal", "escalate", "route_tier2"]
PLANS = ["free", "pro", "enterprise"]
CHANNELS = ["email", "chat", "phone", "web"]
REGIONS = ["US", "CA", "MX", "BR", "GB", "IE", "DE", "FR", "NL", "SE", "PL", "JP", "KR", "SG",
           "AU", "IN", "ZA", "AE"]
PRODUCTS = [f"{a}-{b}" for a in ("api", "billing", "mobile", "web", "sso", "export", "search",
                                  "storage", "analytics", "payments", "sync", "admin")
            for b in ("core", "v2", "beta", "legacy", "eu", "us", "apac", "partner")]
SUBJECT_PREFIXES = ["[URGENT]", "[SEC-", "[SEC-INCIDENT]", "[LEGAL]", "Invoice ", "Re: Invoice ",
                    "[BILLING]", "[OUTAGE]", "[GDPR]", "Refund request", "[PARTNER]", "[VIP]"]
AGE_STAIRS = [(0, 7), (8, 14), (15, 30), (31, 60), (61, 90), (91, 180)]
START = dt.date(2022, 1, 10)
END = dt.date(2026, 5, 25)

# share of each kind of rule; the rest of the weight is "misc" (category/channel rules)
MIX = [
    ("customer", 0.44),
    ("combo", 0.18),
    ("cidr", 0.18),
    ("prefix", 0.07),
    ("not_in", 0.015),
    ("duplicate", 0.03),
    ("covered", 0.035),
    ("misc", 0.05),
]


def customer_ids(rng: random.Random, pool: int) -> list[str]:
    """`pool` distinct customer ids; six digits while they fit (every size up to 300k rules
    draws from 100000..999999, so those files stay as they were), more digits beyond."""
    top = max(1_000_000, 100_000 + 2 * pool)
    return [f"C-{c:06d}" for c in rng.sample(range(100_000, top), pool)]


class Generator:
    def __init__(self, n: int, seed: int, profile: str = DEFAULT_PROFILE) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
        self.n = n
        self.dense = profile == "saturated"
        self.rng = random.Random(seed * 1_000_003 + n)
        self.rules: list[dict[str, Any]] = []
        self.serial = 0
        # dense: n/3 customers (a customer collects ~2 rules); realistic: 3n (most have one)
        pool = max(60, n // 3 if self.dense else 3 * n)
        self.customers = customer_ids(self.rng, pool)
        self.hot = self.customers[: max(5, pool // 12)]  # a few customers collect many rules
        self.used_nets: set[str] = set()
        self.plain: set[str] = set()  # customers with a plain `customer_id: C-...` rule
        # the catalogue grows with the company (realistic); the first generator's 96 (dense)
        self.products = PRODUCTS if self.dense else PRODUCTS + [
            f"{p}-{k}" for k in range(2, max(1, n // 10 // len(PRODUCTS)) + 1) for p in PRODUCTS
        ]
        # rules without a product cover every product's rules of their region and plan: a
        # team keeps a bounded number of those, not a fixed share (realistic)
        self.wide = 1.0 if self.dense else min(1.0, 2000 / n)
        self.kinds, weights = zip(*MIX, strict=True)
        self.cum = [sum(weights[: i + 1]) for i in range(len(weights))]

    # --- helpers ------------------------------------------------------------------------

    def pick(self, seq: list[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def customer(self) -> str:
        return self.pick(self.hot) if self.rng.random() < 0.12 else self.pick(self.customers)

    def new_id(self, stem: str) -> str:
        self.serial += 1
        return f"{stem}-{self.serial:06d}"

    def created(self) -> dt.date:
        """Rules pile up over time: the date grows with the position, with some noise."""
        span = (END - START).days
        day = int(span * len(self.rules) / max(1, self.n)) + self.rng.randint(-20, 20)
        return START + dt.timedelta(days=min(max(day, 0), span))

    def metadata(self, rule: dict[str, Any], owner: str | None = None) -> None:
        r = self.rng
        if owner is not None:
            rule["owner"] = owner
        elif r.random() < 0.6:
            rule["owner"] = self.pick(OWNERS)
        if r.random() < 0.82:
            rule["ticket"] = f"CS-{r.randint(1000, 99999)}"
        elif r.random() < 0.3:
            rule["ticket"] = [f"CS-{r.randint(1000, 99999)}", f"OPS-{r.randint(100, 9999)}"]
        if r.random() < 0.08:
            rule["tags"] = self.rng.sample(["vip", "contract", "temporary", "legal", "sales"], 2)
        created = self.created()
        rule["created"] = created
        if r.random() < 0.4:
            rule["reviewed"] = min(END, created + dt.timedelta(days=r.randint(30, 400)))
        if r.random() < 0.06:
            rule["expires"] = created + dt.timedelta(days=r.randint(30, 900))
        if r.random() < 0.01:
            rule["enabled"] = False
        if r.random() < 0.03:
            rule["priority"] = self.pick([-10, -5, 5, 10, 100])

    def net24(self, v6: bool = False) -> str:
        r = self.rng
        tries = 0
        while True:
            tries += 1
            if tries > 64:  # the usual blocks are (nearly) used up, past ~300k rules
                net = (f"fd{r.randrange(256):02x}:{r.randrange(0x10000):x}:{r.randrange(0x10000):x}::/48"
                       if v6 else
                       f"{r.randrange(1, 224)}.{r.randrange(256)}.{r.randrange(256)}.0/24")
            elif v6:
                net = f"2001:db8:{r.randrange(0x10000):x}::/48"
            else:
                block = r.random()
                if block < 0.7:
                    net = f"10.{r.randrange(256)}.{r.randrange(256)}.0/24"
                elif block < 0.85:
                    net = f"172.{r.randrange(16, 32)}.{r.randrange(256)}.0/24"
                else:
                    net = f"100.{r.randrange(64, 128)}.{r.randrange(256)}.0/24"
            if net not in self.used_nets:
                self.used_nets.add(net)
                return net

    def net28(self) -> str:
        base = self.net24()[: -len("0/24")]
        return f"{base}{16 * self.rng.randrange(16)}/28"

    # --- rule kinds ---------------------------------------------------------------------

    def emit(self, stem: str, action: str, match: dict[str, Any], description: str | None,
             owner: str | None = None) -> dict[str, Any]:
        rule: dict[str, Any] = {"id": self.new_id(stem), "action": action, "match": match}
        if description and self.rng.random() < 0.75:
            rule["description"] = description
        self.metadata(rule, owner)
        self.rules.append(rule)
        return rule

    def customer_rules(self) -> None:
        r = self.rng
        action = self.pick(CUSTOMER_ACTIONS)
        owner = self.pick(OWNERS[:3])
        # a batch request: the same exception for a few customers, one rule each
        for _ in range(1 if r.random() < 0.7 else r.randint(2, 5)):
            cust = self.customer()
            if not self.dense and cust in self.plain and r.random() < 0.9:
                cust = self.customer()  # the plain exception already handles most requests
            match: dict[str, Any] = {}
            if r.random() < 0.12:
                match["customer_id"] = sorted({cust, self.customer(), self.customer()})
            else:
                match["customer_id"] = cust
            # a customer who already has a plain exception gets a narrower one next time
            extra = r.random() * (0.45 if cust in self.plain else 1.0)
            if extra >= 0.45 and isinstance(match["customer_id"], str):
                self.plain.add(cust)
            if extra < 0.15:
                match["plan"] = self.pick(PLANS[1:])
            elif extra < 0.27:
                match["ticket_age_days"] = {"lte": self.pick([7, 14, 30, 60])}
            elif extra < 0.32:
                match["subject"] = {"prefix": f"[{cust}]"}
            elif extra < 0.40:
                match["region"] = self.pick(REGIONS)
            elif extra < 0.45:
                match["channel"] = self.pick(CHANNELS)
            self.emit(f"{cust.lower()}-{action.replace('_', '-')}", action, match,
                      f"Customer exception for {cust} ({action.replace('_', ' ')})", owner)

    def combo_rules(self) -> None:
        r = self.rng
        action = self.pick(COMBO_ACTIONS)
        owner = self.pick(OWNERS)
        match: dict[str, Any] = {}
        roll = r.random()
        match["plan"] = self.pick(PLANS) if roll < 0.7 else sorted(r.sample(PLANS, 2))
        match["region"] = self.pick(REGIONS) if r.random() < 0.75 else sorted(r.sample(REGIONS, 3))
        if r.random() < 1 - 0.2 * self.wide:
            match["product"] = self.pick(self.products)
        if r.random() < 0.3:
            match["channel"] = self.pick(CHANNELS)
        stem = f"{match['region'] if isinstance(match['region'], str) else 'multi'}-{action}"
        stem = stem.lower().replace("_", "-")
        # a staircase of adjacent age ranges with the same action: mergeable into one range
        start = r.randrange(len(AGE_STAIRS))
        steps = AGE_STAIRS[start: start + (1 if r.random() < 0.5 else r.randint(2, 3))]
        for lo, hi in steps:
            m = dict(match)
            if hi == AGE_STAIRS[-1][1] and r.random() < 0.5:
                m["ticket_age_days"] = {"gte": lo}
            else:
                m["ticket_age_days"] = {"range": [lo, hi]}
            self.emit(stem, action, m, f"{action.replace('_', ' ').capitalize()} for "
                      f"{_words(m['plan'])} tickets from {_words(m['region'])} "
                      f"aged {lo}+ days", owner)

    def cidr_rules(self) -> None:
        r = self.rng
        action = self.pick(CIDR_ACTIONS)
        owner = self.pick(["secops@example.com", "cs-ops@example.com"])
        roll = r.random()
        if roll < 0.15:  # an adjacent pair of /24s in two rules: mergeable into one /23
            base = self.net24()
            a, b, c, _ = base.split(".")
            c = str(int(c) & ~1)
            nets = [f"{a}.{b}.{c}.0/24", f"{a}.{b}.{int(c) + 1}.0/24"]
            self.used_nets.update(nets)
            for net in nets:
                self.emit("office-net", action, {"source_ip": {"cidr": [net]}},
                          f"Office network {net}", owner)
            return
        nets = []
        for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4])):
            kind = r.random()
            nets.append(self.net24(v6=True) if kind < 0.1 else self.net28() if kind < 0.4
                        else self.net24())
        match: dict[str, Any] = {"source_ip": {"cidr": nets if len(nets) > 1 else nets[0]}}
        if r.random() < 0.2:
            match["customer_id"] = self.customer()
        self.emit("allow-net", action, match, "Customer VPN and office egress ranges", owner)

    def prefix_rules(self) -> None:
        r = self.rng
        action = self.pick(PREFIX_ACTIONS)
        match: dict[str, Any] = {}
        if r.random() < 0.85:  # a partner's ticket prefix
            company = self.pick(["ACME", "INITECH", "GLOBEX", "UMBRELLA", "HOOLI", "STARK"])
            prefix = f"[{company}-{r.randint(1, 99999)}]"
            match["subject"] = {"prefix": prefix}
            if r.random() < 0.4:
                match["plan"] = self.pick(PLANS)
            if r.random() < 0.2:
                match["region"] = self.pick(REGIONS)
        else:  # a generic prefix, narrowed to a plan, a region and a channel
            prefix = self.pick(SUBJECT_PREFIXES)
            match["subject"] = {"prefix": prefix}
            match["plan"] = self.pick(PLANS)
            match["region"] = self.pick(REGIONS)
            if r.random() < 0.8:
                match["channel"] = self.pick(CHANNELS)
        self.emit("subject", action, match, f"Route tickets whose subject starts with {prefix}")

    def not_in_rules(self) -> None:
        r = self.rng
        excluded = sorted({self.customer() for _ in range(r.randint(2, 6))})
        match = {"plan": "enterprise", "region": self.pick(REGIONS),
                 "customer_id": {"not_in": excluded}}
        if not self.dense:  # one per product line, not one per region for everything
            match = {"plan": "enterprise", "region": match["region"],
                     "product": self.pick(self.products), "customer_id": match["customer_id"]}
        self.emit("enterprise-except", self.pick(["skip_survey", "route_regional"]), match,
                  "Enterprise accounts in the region, except those handled by key accounts")

    def misc_rules(self) -> None:
        r = self.rng
        match: dict[str, Any] = {"category": self.pick(["legal_hold", "hardware_rma", "chargeback",
                                                        "data_export", "account_recovery"])}
        if r.random() < 0.6:
            match["channel"] = self.pick(CHANNELS)
        if r.random() < 1 - 0.15 * self.wide:
            match["product"] = self.pick(self.products)
        if r.random() < 0.3:
            match["region"] = self.pick(REGIONS)
        self.emit("category", self.pick(COMBO_ACTIONS), match, "Category handling")

    def duplicate_rule(self) -> None:
        if not self.rules:
            return self.customer_rules()
        src = self.pick(self.rules)
        self.emit("copy-of-" + src["id"].rsplit("-", 1)[0], src["action"], _copy(src["match"]),
                  src.get("description"), src.get("owner"))

    def covered_rule(self) -> None:
        """A later rule that an earlier one already covers: narrower match, mostly the same
        action (redundant), sometimes another (shadowed)."""
        if not self.rules:
            return self.customer_rules()
        src = self.pick(self.rules)
        match = _copy(src["match"])
        if "region" not in match:
            match["region"] = self.pick(REGIONS)
        elif "plan" not in match:
            match["plan"] = self.pick(PLANS)
        else:
            match.setdefault("ticket_age_days", {"range": [1, 5]})
            if "product" not in match:
                match["product"] = self.pick(self.products)
        action = src["action"] if self.rng.random() < 0.85 else self.pick(CUSTOMER_ACTIONS)
        self.emit("narrow-" + src["id"].rsplit("-", 1)[0], action, match,
                  "Narrower variant requested again", src.get("owner"))

    def run(self) -> list[dict[str, Any]]:
        handlers = {
            "customer": self.customer_rules,
            "combo": self.combo_rules,
            "cidr": self.cidr_rules,
            "prefix": self.prefix_rules,
            "not_in": self.not_in_rules,
            "duplicate": self.duplicate_rule,
            "covered": self.covered_rule,
            "misc": self.misc_rules,
        }
        while len(self.rules) < self.n:
            x = self.rng.random() * self.cum[-1]
            kind = next(k for k, c in zip(self.kinds, self.cum, strict=True) if x < c)
            handlers[kind]()
        del self.rules[self.n:]
        return self.rules


DENSE_ACTIONS = ["waive_fee", "escalate", "skip_autoclose", "route_tier2", "priority_queue"]
DENSE_PLANS = ["free", "starter", "pro", "business", "enterprise"]
DENSE_REGIONS = ["US", "CA", "BR", "GB", "DE", "FR", "NL", "JP", "KR", "SG", "AU", "IN"]
DENSE_DOMAINS = ["acme", "initech", "globex", "umbrella", "hooli", "stark", "wayne", "wonka"]
DENSE_TEAMS = ["ops", "billing", "it", "sec", "eu", "us", "apac", "hr"]
DENSE_MIX = [("combo", 0.20), ("customer", 0.55), ("cidr", 0.15), ("email", 0.10)]
DENSE_HEADER = [
    "fields:",
    "  plan: {kind: enum, values: [free, starter, pro, business, enterprise]}",
    "  region: string",
    "  ticket_age_days: {kind: int, min: 0}",
    "  channel: {kind: enum, values: [email, chat, phone, web]}",
    "  source_ip: ip",
    "  email: string",
]


class DenseGenerator(Generator):
    """The ``dense`` profile: the shape of issue 15 (see the module docstring). Every kind
    draws its action from the same five, so overlapping rules often disagree."""

    def __init__(self, n: int, seed: int) -> None:
        super().__init__(n, seed, "realistic")
        self.rng = random.Random(seed * 7_000_003 + n)
        self.customers = customer_ids(self.rng, max(30, n // 2))

    def dense_rule(self, kind: str) -> dict[str, Any]:
        r = self.rng
        match: dict[str, Any] = {}
        if kind == "combo":
            k = r.choice([1, 1, 2, 3])
            match["region"] = self.pick(DENSE_REGIONS) if k == 1 else sorted(r.sample(DENSE_REGIONS, k))
            match["plan"] = self.pick(DENSE_PLANS)
            if r.random() < 0.5:
                lo = r.randrange(0, 80)
                match["ticket_age_days"] = {"range": [lo, lo + r.randrange(0, 30)]}
            stem = "combo"
        elif kind == "customer":
            match["customer_id"] = self.pick(self.customers)
            if r.random() < 0.3:
                match["channel"] = self.pick(CHANNELS)
            stem = match["customer_id"].lower()
        elif kind == "cidr":
            bits = r.randrange(24, 33)
            host = (r.randrange(1024) << 8 | r.randrange(256)) >> (32 - bits) << (32 - bits)
            net = f"10.{host >> 16 & 255}.{host >> 8 & 255}.{host & 255}/{bits}"
            match["source_ip"] = {"cidr": net}
            stem = "allow-net"
        else:
            dom = self.pick(DENSE_DOMAINS)
            prefix = f"{self.pick(DENSE_TEAMS)}@{dom}" if r.random() < 0.6 else f"{self.pick(DENSE_TEAMS)}"
            match["email"] = {"prefix": prefix}
            match["plan"] = self.pick(DENSE_PLANS)
            stem = "email"
        return {"stem": stem, "match": match, "action": self.pick(DENSE_ACTIONS)}

    def run(self) -> list[dict[str, Any]]:
        r = self.rng
        kinds, weights = zip(*DENSE_MIX, strict=True)
        cum = [sum(weights[: i + 1]) for i in range(len(weights))]
        made: list[dict[str, Any]] = []
        while len(self.rules) < self.n:
            if made and r.random() < 0.02:
                src = self.pick(made)
                spec = {"stem": "copy-of-" + src["stem"], "match": _copy(src["match"]),
                        "action": src["action"]}
            else:
                x = r.random() * cum[-1]
                spec = self.dense_rule(next(k for k, c in zip(kinds, cum, strict=True) if x < c))
                made.append(spec)
            rule = self.emit(spec["stem"], spec["action"], spec["match"], None)
            rule.pop("priority", None)
            if r.random() < 0.10:
                rule["priority"] = r.randint(-5, 5)
        return self.rules


ACL_OWNERS = ["netops@example.com", "secops@example.com", "dc-team@example.com",
              "voip@example.com"]
# (action, weight): a firewall's explicit rules are mostly permits, then denies, a few logged
ACL_ACTIONS = [("permit", 0.62), ("deny", 0.33), ("log", 0.05)]
ACL_PROTOCOLS = [("tcp", 0.65), ("udp", 0.20), ("icmp", 0.05), (None, 0.10)]
# (source, destination) prefix lengths, drawn as a pair as in ClassBench's acl/fw seeds,
# whose two lengths are correlated: a wildcard (None: the field is left out) or a /8 on one
# side mostly goes with a /32 or /24 on the other ("permit tcp any host S eq 443"); many
# /32 and /24, some /16 and /8, a few other lengths (0: one of ACL_ODD_LENS)
ACL_PAIRS = [
    ((None, 32), 0.14), ((None, 24), 0.05), ((None, 16), 0.02), ((None, 8), 0.01),
    ((32, 32), 0.14), ((32, 24), 0.07), ((32, None), 0.05), ((32, 0), 0.03),
    ((24, 32), 0.12), ((24, 24), 0.11), ((24, None), 0.04), ((24, 16), 0.02),
    ((16, 32), 0.06), ((16, 24), 0.04), ((16, 16), 0.02),
    ((8, 32), 0.03), ((8, 16), 0.01), ((8, None), 0.01), ((0, 32), 0.03),
]
ACL_ODD_LENS = [20, 22, 23, 25, 26, 27, 28, 29, 30]
ACL_TCP_PORTS = [80, 443, 22, 25, 21, 23, 110, 143, 389, 445, 636, 993, 1433, 1521, 3306,
                 3389, 5432, 6379, 8080, 8443]
ACL_UDP_PORTS = [53, 123, 161, 162, 67, 68, 69, 514, 500, 4500, 1812, 5060]
# arbitrary ranges seen in firewall rule sets (FTP passive, traceroute, RTP, ephemeral, ...)
ACL_RANGES = [(1024, 65535), (0, 1023), (49152, 65535), (33434, 33534), (6000, 6063),
              (8000, 8999), (5060, 5061), (16384, 32767), (137, 139), (20, 21), (1024, 5000)]
ACL_HEADER = [
    "fields:",
    "  src_ip: ip",
    "  dst_ip: ip",
    "  src_port: {kind: int, min: 0, max: 65535}",
    "  dst_port: {kind: int, min: 0, max: 65535}",
    "  protocol: {kind: enum, values: [tcp, udp, icmp]}",
]


class AclGenerator(Generator):
    """The ``acl`` profile: ClassBench-like firewall ACLs (see the module docstring).

    Addresses come from a hierarchy of pools: 4 /8s, 32 /16s inside them, n/16 (at least 64)
    /24s inside those and n/8 (at least 128) hosts inside those, so a /8, /16 or /24 rule
    contains many later /24 and /32 rules and a wildcard contains everything: the number of
    earlier rules that overlap a rule grows linearly with its position."""

    def __init__(self, n: int, seed: int) -> None:
        super().__init__(n, seed, "realistic")
        self.rng = r = random.Random(seed * 9_000_011 + n)
        self.nets8 = [a << 24 for a in r.sample(range(1, 224), 4)]
        self.nets16 = [self.pick(self.nets8) | r.randrange(256) << 16 for _ in range(32)]
        self.nets24 = [self.pick(self.nets16) | r.randrange(256) << 8
                       for _ in range(max(64, n // 16))]
        self.hosts = [self.pick(self.nets24) | r.randrange(1, 255) for _ in range(max(128, n // 8))]

    def weighted(self, table: list[tuple[Any, float]]) -> Any:
        x = self.rng.random()
        for value, w in table:
            x -= w
            if x < 0:
                return value
        return table[-1][0]

    def prefix(self, bits: int) -> str:
        base = {8: self.nets8, 16: self.nets16, 24: self.nets24}.get(bits)
        addr = self.pick(base) if base else self.pick(self.hosts if bits > 24 else self.nets24)
        addr &= (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
        return f"{addr >> 24}.{addr >> 16 & 255}.{addr >> 8 & 255}.{addr & 255}/{bits}"

    def address(self, bits: int | None) -> Any:
        if bits is None:
            return None
        if bits == 0:
            bits = self.pick(ACL_ODD_LENS)
        if self.rng.random() < 0.08:  # an object group: two or three networks in one rule
            nets = sorted({self.prefix(bits) for _ in range(self.rng.randint(2, 3))})
            return {"cidr": nets if len(nets) > 1 else nets[0]}
        return {"cidr": self.prefix(bits)}

    def port(self, proto: str) -> Any:
        r = self.rng
        x = r.random()
        if x < 0.5:
            return None
        if x < 0.8:
            return self.pick(ACL_UDP_PORTS if proto == "udp" else ACL_TCP_PORTS)
        lo, hi = self.pick(ACL_RANGES)
        if r.random() < 0.25:  # an arbitrary range
            lo = r.randrange(1, 60000)
            hi = min(65535, lo + r.choice([1, 9, 99, 255, 1000]))
        return {"range": [lo, hi]}

    def acl_rule(self) -> dict[str, Any]:
        match: dict[str, Any] = {}
        src_bits, dst_bits = self.weighted(ACL_PAIRS)
        src, dst = self.address(src_bits), self.address(dst_bits)
        if src is not None:
            match["src_ip"] = src
        if dst is not None:
            match["dst_ip"] = dst
        proto = self.weighted(ACL_PROTOCOLS)
        # a rule wide on both addresses (no side /24 or longer) names a service: "deny udp
        # any 10.0.0.0/8 eq 161", not "deny ip any 10.0.0.0/8"
        wide = not any(b is not None and b >= 24 for b in (src_bits, dst_bits))
        if wide and proto not in ("tcp", "udp"):
            proto = "tcp" if self.rng.random() < 0.75 else "udp"
        if proto in ("tcp", "udp"):  # ports only with a protocol that has them
            for f in ("src_port", "dst_port"):
                p = self.port(proto)
                if f == "dst_port" and wide and not isinstance(p, int):
                    p = self.pick(ACL_UDP_PORTS if proto == "udp" else ACL_TCP_PORTS)
                if p is not None:
                    match[f] = p
        if proto is not None:
            match["protocol"] = proto
        if not match:  # never a match-all rule
            match["dst_ip"] = {"cidr": self.prefix(32)}
        action = self.weighted(ACL_ACTIONS)
        dport = match.get("dst_port")
        stem = f"{action}-{proto or 'ip'}" + (f"-{dport}" if isinstance(dport, int) else "")
        return {"stem": stem, "match": match, "action": action}

    def acl_metadata(self, rule: dict[str, Any]) -> None:
        r = self.rng
        if r.random() < 0.5:
            rule["owner"] = self.pick(ACL_OWNERS)
        if r.random() < 0.7:
            rule["ticket"] = f"CHG-{r.randint(1000, 99999)}"
        created = self.created()
        rule["created"] = created
        if r.random() < 0.3:
            rule["reviewed"] = min(END, created + dt.timedelta(days=r.randint(30, 400)))
        if r.random() < 0.03:  # a temporary opening
            rule["expires"] = created + dt.timedelta(days=r.randint(7, 120))
        if r.random() < 0.01:
            rule["enabled"] = False

    def run(self) -> list[dict[str, Any]]:
        r = self.rng
        made: list[dict[str, Any]] = []
        while len(self.rules) < self.n:
            if made and r.random() < 0.02:  # the same rule added again, years later
                src = self.pick(made)
                spec = {"stem": src["stem"], "match": _copy(src["match"]), "action": src["action"]}
            else:
                spec = self.acl_rule()
                made.append(spec)
            rule = {"id": self.new_id(spec["stem"]), "action": spec["action"],
                    "match": spec["match"]}
            if r.random() < 0.3:
                rule["description"] = "Firewall rule " + _acl_words(spec["match"], spec["action"])
            self.acl_metadata(rule)
            self.rules.append(rule)
        return self.rules


def _acl_words(match: dict[str, Any], action: str) -> str:
    def net(f: str) -> str:
        c = match.get(f)
        return "any" if c is None else _words(c["cidr"])
    return f"{action} {match.get('protocol', 'ip')} from {net('src_ip')} to {net('dst_ip')}"


def _words(v: Any) -> str:
    return " and ".join(v) if isinstance(v, list) else str(v)


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


# --- writing YAML by hand, the way people write it -----------------------------------------

_RESOLVER = yaml.resolver.Resolver()
_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@` ")


def scalar(v: Any, flow: bool = False) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | dt.date):
        return str(v)
    s = str(v)
    needs_quotes = (
        not s
        or s[0] in _PLAIN_BAD_START
        or s[-1] == " "
        or ": " in s
        or " #" in s
        or (flow and any(ch in s for ch in ",[]{}:"))
        or _RESOLVER.resolve(yaml.ScalarNode, s, (True, False)) != "tag:yaml.org,2002:str"
    )
    if not needs_quotes:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flow(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {flow(x)}" for k, x in v.items()) + "}"
    return scalar(v, flow=True)


def block_value(v: Any) -> str:
    return flow(v) if isinstance(v, list | dict) else scalar(v)


def render(rules: list[dict[str, Any]], n: int, seed: int, profile: str = DEFAULT_PROFILE) -> str:
    max_rules = math.ceil(n * 1.05)
    acl = profile == "acl"
    out = [
        f"# Generated by benchmarks/generate.py --rules {n} --seed {seed} --profile {profile}; "
        "do not edit.",
        "# Firewall ACL rules, ClassBench-like: overlapping 5-field boxes." if acl else
        "# Support-desk exception rules after a few years of growth.",
        "",
        "ruleset: firewall-acl" if acl else "ruleset: support-exceptions",
        "semantics: first-match",
        f"limits: {{max_rules: {max_rules}}}",
        "defaults: {owner: netops@example.com}" if acl else "defaults: {owner: cs-ops@example.com}",
        *(DENSE_HEADER if profile == "dense" else ACL_HEADER if acl else [
            "fields:",
            "  plan: {kind: enum, values: [free, pro, enterprise]}",
            "  region: string",
            "  ticket_age_days: {kind: int, min: 0}",
            "  source_ip: ip",
        ]),
        "",
        "rules:",
    ]
    order = ("id", "action", "match", "priority", "description", "owner", "ticket", "tags",
             "created", "reviewed", "expires", "enabled")
    for rule in rules:
        out.append(f"  - id: {scalar(rule['id'])}")
        for key in order[1:]:
            if key not in rule:
                continue
            if key == "match":
                out.append("    match:")
                for f, cond in rule["match"].items():
                    out.append(f"      {f}: {block_value(cond)}")
            else:
                out.append(f"    {key}: {block_value(rule[key])}")
        out.append("")
    return "\n".join(out)


def generate(n: int, seed: int = DEFAULT_SEED, profile: str = DEFAULT_PROFILE) -> str:
    """The text of a rule file with ``n`` rules; the same arguments give the same text."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if profile == "dense":
        gen: Generator = DenseGenerator(n, seed)
    elif profile == "acl":
        gen = AclGenerator(n, seed)
    else:
        gen = Generator(n, seed, profile)
    return render(gen.run(), n, seed, profile)


def default_path(n: int, seed: int = DEFAULT_SEED, profile: str = DEFAULT_PROFILE) -> Path:
    suffix = "" if profile == DEFAULT_PROFILE else f"-{profile}"
    return OUT_DIR / f"rules-{n}-seed{seed}{suffix}.yaml"


def write(n: int, path: Path, seed: int = DEFAULT_SEED, profile: str = DEFAULT_PROFILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(generate(n, seed, profile), encoding="utf-8")
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", "-n", type=int, action="append",
                    help="number of rules (repeatable; default: 1000, 10000, 100000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE,
                    help="realistic (default), dense (issue 15's support desk: a stress test), "
                         "saturated (the first generator's saturated pools) or acl "
                         "(ClassBench-like firewall ACLs: 5-field boxes that overlap heavily; "
                         "not measured by benchmarks/run.py unless named in --profiles)")
    ap.add_argument("--out", "-o", type=Path,
                    help="output file (one size only; default: benchmarks/out/rules-N-seedS.yaml, "
                         "rules-N-seedS-PROFILE.yaml for the other profiles)")
    args = ap.parse_args(argv)
    sizes = args.rules or list(DEFAULT_SIZES)
    if args.out and len(sizes) != 1:
        ap.error("--out takes one --rules size")
    for n in sizes:
        if n < 1:
            ap.error("--rules must be at least 1")
        path = write(n, args.out or default_path(n, args.seed, args.profile), args.seed,
                     args.profile)
        print(f"wrote {n} rules to {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
