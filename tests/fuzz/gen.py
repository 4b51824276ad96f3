"""Rule files from scratch: a small world of fields (every kind, every condition form),
rules that often share matches, actions and owners (so duplicates, shadows and merges are
common), rendered in block or flow style with comments.

One generator, two sources of choices: ``RandomPick`` (the seeded mutation loop) and
``DrawPick`` (hypothesis, through ``rule_files()``), so the loop and the property tests walk
the same space and hypothesis can shrink what it finds.
"""

from __future__ import annotations

import json
import random
from typing import Any, Protocol

from hypothesis import strategies as st


class Pick(Protocol):
    def int(self, lo: int, hi: int) -> int: ...
    def choice(self, seq: list[Any]) -> Any: ...
    def chance(self, p: float) -> bool: ...


class RandomPick:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def int(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, seq: list[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


class DrawPick:
    def __init__(self, draw: Any) -> None:
        self.draw = draw

    def int(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, seq: list[Any]) -> Any:
        return seq[self.draw(st.integers(0, len(seq) - 1))]

    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 999)) < int(p * 1000)


STRINGS = ["JP", "KR", "DE", "C-1", "C-2", "C-3", "billing", "outage", "a b", "日本", "x:y"]
PREFIXES = ["[URGENT]", "RE:", "C-", "日"]
GLOBS = ["*@example.com", "C-*", "*", "a?c", "[ab]*"]
NETS4 = ["10.0.0.0/8", "10.20.0.0/24", "10.20.1.0/24", "192.168.0.0/16", "198.51.100.0/25"]
NETS6 = ["2001:db8::/32", "2001:db8:4a00::/40", "fe80::/10"]
ADDRS = ["10.0.0.1", "192.168.1.1", "2001:db8::1", "::1"]
ACTIONS = ["allow", "escalate", "skip_autoclose", "deny"]
OWNERS = ["cs-ops@example.com", "it@example.com"]


def _string_cond(p: Pick) -> Any:
    form = p.int(0, 5)
    if form == 0:
        return p.choice(STRINGS)
    if form == 1:
        return sorted({p.choice(STRINGS) for _ in range(p.int(1, 3))})
    if form == 2:
        return {"not_in": sorted({p.choice(STRINGS) for _ in range(p.int(1, 3))})}
    if form == 3:
        return {"prefix": p.choice(PREFIXES)}
    if form == 4:
        return {"glob": p.choice(GLOBS)}
    return p.choice(STRINGS)


def _int_cond(p: Pick) -> Any:
    form = p.int(0, 4)
    a = p.int(-3, 60)
    if form == 0:
        return a
    if form == 1:
        return sorted({p.int(0, 20) for _ in range(p.int(1, 3))})
    if form == 2:
        return {"range": [a, a + p.int(0, 30)]}
    if form == 3:
        return {p.choice(["gte", "gt", "lte", "lt"]): a}
    return {"not_in": [a, a + 1]}


def _ip_cond(p: Pick) -> Any:
    form = p.int(0, 3)
    if form == 0:
        return {"cidr": p.choice(NETS4 + NETS6)}
    if form == 1:
        return {"cidr": sorted({p.choice(NETS4 + NETS6) for _ in range(p.int(1, 3))})}
    if form == 2:
        return {"not_in": [p.choice(ADDRS)]}
    return p.choice(ADDRS)


FIELDS = {
    "region": _string_cond,
    "customer_id": _string_cond,
    "subject": lambda p: {"prefix": p.choice(PREFIXES)} if p.chance(0.6) else p.choice(STRINGS),
    "age": _int_cond,
    "src": _ip_cond,
    "vip": lambda p: p.choice([True, False, [True]]),
    "plan": lambda p: p.choice(["free", "pro", "enterprise", ["free", "pro"], {"not_in": ["free"]}]),
}


def ruleset_data(p: Pick) -> dict[str, Any]:
    """A rule file as plain data (before rendering)."""
    data: dict[str, Any] = {}
    if p.chance(0.5):
        data["ruleset"] = p.choice(["fz", "support-exceptions", "net"])
    if p.chance(0.3):
        data["semantics"] = p.choice(["first-match", "any-match"])
    if p.chance(0.4):
        data["limits"] = {"max_rules": p.int(1, 30)}
    if p.chance(0.5):
        data["fields"] = {"plan": {"kind": "enum", "values": ["free", "pro", "enterprise"]}}
        if p.chance(0.3):
            data["fields"]["age"] = {"kind": "int", "min": 0, "max": 90}
    if p.chance(0.2):
        data["defaults"] = p.choice([{"action": "allow"}, {"priority": 1}, {"enabled": True},
                                     {"owner": "cs-ops@example.com", "action": "deny"}])
    n = p.int(1, 14)
    rules: list[dict[str, Any]] = []
    for i in range(n):
        if rules and p.chance(0.25):  # a near copy of an earlier rule: duplicates, shadows
            base = dict(p.choice(rules))
            base = {**base, "id": f"r{i}", "match": dict(base["match"])}
            if p.chance(0.5):
                base["action"] = p.choice(ACTIONS)
            if base["match"] and p.chance(0.5):
                f = p.choice(sorted(base["match"]))
                base["match"][f] = FIELDS[f](p)
            rules.append(base)
            continue
        fields = sorted({p.choice(sorted(FIELDS)) for _ in range(p.int(0, 3))})
        r: dict[str, Any] = {"id": f"r{i}", "action": p.choice(ACTIONS),
                             "match": {f: FIELDS[f](p) for f in fields}}
        if "action" in data.get("defaults", {}) and p.chance(0.5):
            del r["action"]  # the default action applies
        if p.chance(0.2):
            r["priority"] = p.int(-2, 2)
        if p.chance(0.3):
            r["owner"] = p.choice(OWNERS)
        if p.chance(0.1):
            r["enabled"] = False
        if p.chance(0.3):
            r["description"] = p.choice(["plain", "with: colon", "line\u2028sep", "nel\x85here", "tab\there"])
        if p.chance(0.2):
            r["created"] = p.choice(["2025-01-01", "2026-03-01"])
            r["reviewed"] = r["created"] if p.chance(0.5) else "2026-06-01"
        if p.chance(0.2):
            r["tags"] = [p.choice(["a", "b", "vip"])]
        rules.append(r)
    data["rules"] = rules
    return data


def _flow(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return _scalar(v)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s.replace("-", "").isdigit():
        return s  # an ISO date, unquoted as people write it
    if s and s.isascii() and s.replace("-", "").replace("_", "").replace(".", "").replace("@", "").isalnum() \
            and not s[0].isdigit() and s.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n"):
        return s
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def render(data: dict[str, Any], p: Pick) -> str:
    """YAML text in a mix of styles: block rules, flow rules, comments between rules."""
    out = ["# generated by tests/fuzz/gen.py\n"]
    for k in ("ruleset", "semantics", "limits", "defaults", "fields"):
        if k in data:
            out.append(f"{k}: {_flow(data[k])}\n")
    out.append("rules:\n")
    for r in data["rules"]:
        if p.chance(0.2):
            out.append(f"  # about {r['id']}\n")
        if p.chance(0.25):
            out.append(f"  - {_flow(r)}\n")
            continue
        first = True
        for k, v in r.items():
            lead = "  - " if first else "    "
            first = False
            if k == "match" and v and p.chance(0.7):
                out.append(f"{lead}match:\n")
                for f, c in v.items():
                    out.append(f"      {f}: {_flow(c)}\n")
            else:
                out.append(f"{lead}{k}: {_flow(v)}\n")
    return "".join(out)


def rule_file(p: Pick) -> str:
    return render(ruleset_data(p), p)


@st.composite
def rule_files(draw: Any) -> str:
    """Hypothesis strategy: the text of a (mostly valid) rule file."""
    return rule_file(DrawPick(draw))
