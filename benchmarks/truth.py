"""The exact set of rules that never decide, by enumeration: a yardstick for the overlap pass.

    python benchmarks/truth.py RULES.yaml [--json OUT.json] [--against CHECK.json]

Independent of rulelint (PyYAML and ``ipaddress`` only), for the condition shapes the
benchmark generator writes: equals, lists, ``not_in``, ``range``/``gte``/``lte``/``gt``/
``lt``, ``cidr`` and ``prefix`` on string, enum, int and ip fields (declared in the header or
inferred as the generator writes them), first-match, one ruleset per file.

*Minimal events.* A rule R never decides iff every event that carries only R's fields and
matches R is matched by an earlier rule: an event with more fields is matched by every rule
that matches its restriction to R's fields, so its first matching rule comes no later. Each
field's values fall into finitely many classes that no rule tells apart (the elementary
intervals between all range and cidr bounds; for strings the listed values, each listed
prefix followed by a character no rule uses, and one fresh value), so one value per class
enumerates R's minimal events exactly: a finite product per rule.

*RL301 or RL302* (the engine's meaning, SPEC "Meaning of a rule set"): a rule that never
decides is RL302 when some event it matches (any fields) is decided by a rule with another
action, else RL301. The candidates are (a) the deciders of R's minimal events and (b) each
earlier rule X with another action on other fields too, on the events of R & X whose part
on R's fields is still undecided at X: (b) walks those rules in order up to the last
decider of (a), and the first that decides such an event settles it.

*First match of an event*: rules are bucketed per signature (the fields they test) by one
selective key (a listed value, a prefix, the /24 block of a small cidr); an event looks up
each signature whose fields it carries, and the answer is memoised per signature and
restricted event.

Output: counts, the ids (``--json``) and, with ``--against`` (a ``rulelint check --format
json`` report), precision and recall of what the engine reports as never deciding (RL302,
RL301 "never decides" / "matches no event", the later rule of an RL201/RL202 pair) and the
RL301/RL302 split. Also the mean and the 99th percentile of the earlier rules on a subset of
a rule's fields that meet it (the rules that can decide its events).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from itertools import product
from pathlib import Path
from typing import Any

import yaml

FRESH = "\U0010fffe"  # a character no generated rule uses: ends a fresh string value
NEG = -(1 << 200)  # below every int value


class Cond:
    """One condition on one field: ``test(v)`` and the raw parts for the value classes."""

    __slots__ = ("kind", "eq", "not_in", "ivs", "prefixes")

    def __init__(self) -> None:
        self.kind = ""  # string | int | ip
        self.eq: set | None = None  # listed values (any of)
        self.not_in: set | None = None
        self.ivs: list[tuple[int, int]] | None = None  # int/ip: inclusive intervals
        self.prefixes: list[str] | None = None

    def test(self, v: Any) -> bool:
        if self.eq is not None and v not in self.eq:
            return False
        if self.not_in is not None and v in self.not_in:
            return False
        if self.ivs is not None and (
            not isinstance(v, int) or not any(lo <= v <= hi for lo, hi in self.ivs)
        ):
            return False
        return self.prefixes is None or (
            isinstance(v, str) and any(v.startswith(p) for p in self.prefixes)
        )


def _ip_iv(text: str) -> tuple[int, int]:
    net = ipaddress.ip_network(str(text), strict=False)
    off = 0 if net.version == 4 else 1 << 32  # v4 and v6 on one line, as rulelint does
    return off + int(net.network_address), off + int(net.broadcast_address)


def _ip_val(text: str) -> int:
    a = ipaddress.ip_address(str(text))
    return (0 if a.version == 4 else 1 << 32) + int(a)


def parse_cond(raw: Any, kind: str) -> Cond:
    c = Cond()
    c.kind = kind
    if isinstance(raw, dict):
        lo, hi = NEG, -NEG
        bounded = False
        for op, v in raw.items():
            if op == "not_in":
                c.not_in = {_val(x, kind) for x in v}
            elif op == "range":
                lo, hi = max(lo, int(v[0])), min(hi, int(v[1]))
                bounded = True
            elif op in ("gte", "gt"):
                lo = max(lo, int(v) + (op == "gt"))
                bounded = True
            elif op in ("lte", "lt"):
                hi = min(hi, int(v) - (op == "lt"))
                bounded = True
            elif op == "cidr":
                c.ivs = [_ip_iv(x) for x in (v if isinstance(v, list) else [v])]
            elif op == "prefix":
                c.prefixes = [str(x) for x in (v if isinstance(v, list) else [v])]
            else:
                raise SystemExit(f"truth.py: condition {op!r} is outside the generator's shapes")
        if bounded:
            c.ivs = [(lo, hi)]
    else:
        c.eq = {_val(x, kind) for x in (raw if isinstance(raw, list) else [raw])}
    return c


def _val(x: Any, kind: str) -> Any:
    if kind == "ip":
        return _ip_val(x)
    if kind == "int":
        return int(x)
    return x if isinstance(x, str) else str(x).lower() if isinstance(x, bool) else str(x)


def field_kinds(header: dict, rules: list[dict]):
    """(kind per field, enum values per enum field, (min, max) per bounded int field)."""
    kinds: dict[str, str] = {}
    enums: dict[str, list] = {}
    limits: dict[str, tuple[int, int]] = {}
    for f, k in (header.get("fields") or {}).items():
        kind = k if isinstance(k, str) else k.get("kind")
        if kind == "int" and isinstance(k, dict):
            limits[f] = (int(k.get("min", NEG)), int(k.get("max", -NEG)))
        if kind == "enum":
            enums[f] = [str(v) for v in k["values"]]
            kind = "string"
        kinds[f] = kind
    for r in rules:
        for f, raw in (r.get("match") or {}).items():
            if f in kinds:
                continue
            if isinstance(raw, dict) and "cidr" in raw:
                kinds[f] = "ip"
            elif isinstance(raw, dict) and {"range", "gte", "gt", "lte", "lt"} & raw.keys():
                kinds[f] = "int"
    for r in rules:
        for f in r.get("match") or {}:
            kinds.setdefault(f, "string")
    return kinds, enums, limits


class Truth:
    def __init__(self, doc: dict) -> None:
        rules = doc.get("rules") or []
        if (doc.get("semantics") or "first-match") != "first-match":
            raise SystemExit("truth.py: first-match only")
        self.kinds, self.enums, self.limits = field_kinds(doc, rules)
        live = []
        for pos, r in enumerate(rules):
            if r.get("enabled", True) is False:
                continue
            live.append((int(r.get("priority", 0)), pos, r))
        live.sort(key=lambda t: (t[0], t[1]))
        self.ids = [r["id"] for _, _, r in live]
        self.actions = [r["action"] for _, _, r in live]
        self.conds: list[dict[str, Cond]] = [
            {f: parse_cond(raw, self.kinds[f]) for f, raw in (r.get("match") or {}).items()}
            for _, _, r in live
        ]
        self._classes()
        self._index()
        self.memo: dict[tuple, int] = {}
        self.extra_reps: dict[int, dict[str, list]] = {}

    # -- value classes ---------------------------------------------------------------------

    def _classes(self) -> None:
        bounds: dict[str, set[int]] = defaultdict(set)
        listed: dict[str, set[str]] = defaultdict(set)
        pfx: dict[str, set[str]] = defaultdict(set)
        for cs in self.conds:
            for f, c in cs.items():
                for lo, hi in c.ivs or ():
                    bounds[f].update((lo, hi + 1))
                for v in (c.eq or set()) | (c.not_in or set()):
                    if isinstance(v, int):
                        bounds[f].update((v, v + 1))
                    else:
                        listed[f].add(v)
                pfx[f].update(c.prefixes or ())
        self.bounds = {f: sorted(b) for f, b in bounds.items()}
        self.listed = listed
        self.pfx = pfx

    def reps(self, f: str, conds: list[Cond]) -> list[Any]:
        """One value per class of field f that every condition in ``conds`` allows."""
        kind = self.kinds[f]
        if kind in ("int", "ip"):
            lo, hi = self.limits.get(f, (NEG, -NEG))
            for c in conds:
                if c.ivs is not None:  # a union: take the hull, the test below filters
                    lo = max(lo, min(a for a, _ in c.ivs))
                    hi = min(hi, max(b for _, b in c.ivs))
                elif c.eq is not None:
                    lo = max(lo, min(c.eq))
                    hi = min(hi, max(c.eq))
            b = self.bounds.get(f, [])
            cand = [lo] + b[bisect_right(b, lo): bisect_left(b, hi + 1)] if lo > NEG else (
                [NEG] + b[: bisect_left(b, hi + 1)])
            if kind == "ip":
                cand = [v for v in cand if v >= 0]
        elif f in self.enums:
            cand = self.enums[f]
        else:
            cand = [FRESH, *sorted(self.listed.get(f, ())),
                    *(p + FRESH for p in sorted(self.pfx.get(f, ())))]
        return [v for v in cand if all(c.test(v) for c in conds)]

    # -- first match -----------------------------------------------------------------------

    def _key(self, cs: dict[str, Cond]) -> list[tuple] | None:
        best = None
        for f in sorted(cs):
            c = cs[f]
            if c.prefixes is not None and c.eq is None:
                keys = [(f, "P", p) for p in c.prefixes]
                rank = 0
            elif c.eq is not None and f not in self.enums:
                keys = [(f, "=", v) for v in c.eq]
                rank = 1
            elif c.eq is not None:
                keys = [(f, "=", v) for v in c.eq]
                rank = 3
            elif c.ivs is not None and self.kinds[f] == "ip":
                keys = []
                for lo, hi in c.ivs:  # blocks of 2^s addresses, s a multiple of 8
                    sh = -(-(hi - lo + 1).bit_length() // 8) * 8
                    self.shifts[f].add(sh)
                    keys += [(f, "B", sh, b) for b in range(lo >> sh, (hi >> sh) + 1)]
                rank = 2
            else:
                continue
            if best is None or rank < best[0]:
                best = (rank, keys)
        return None if best is None else best[1]

    def _index(self) -> None:
        self.sigs: dict[frozenset, dict] = {}
        self.shifts: dict[str, set[int]] = defaultdict(set)
        for i, cs in enumerate(self.conds):
            sig = frozenset(cs)
            g = self.sigs.setdefault(
                sig, {"buckets": defaultdict(list), "scan": [], "all": [], "kf": set()}
            )
            g["all"].append(i)
            keys = self._key(cs)
            if keys is None:
                g["scan"].append(i)
            else:
                g["kf"].add(keys[0][:2])
                for k in keys:
                    g["buckets"][k].append(i)
        self.sig_list = list(self.sigs.items())

    def first(self, ev: dict[str, Any]) -> int:
        """The position of the first rule that matches event ``ev``, or len(rules)."""
        best = len(self.conds)
        keys = ev.keys()
        for sig, g in self.sig_list:
            if not sig <= keys:
                continue
            mk = (sig, tuple(ev[f] for f in sorted(sig)))
            got = self.memo.get(mk)
            if got is None:
                got = self._first_in(g, sig, ev)
                self.memo[mk] = got
            best = min(best, got)
        return best

    def _first_in(self, g: dict, sig: frozenset, ev: dict) -> int:
        lists = [g["scan"]]
        b = g["buckets"]
        for f in sig:
            v = ev[f]
            lists.append(b.get((f, "=", v), ()))
            if isinstance(v, str):
                for k in range(len(v) + 1):
                    got = b.get((f, "P", v[:k]))
                    if got:
                        lists.append(got)
            elif self.kinds[f] == "ip":
                for sh in self.shifts.get(f, ()):
                    lists.append(b.get((f, "B", sh, v >> sh), ()))
        best = len(self.conds)
        for lst in lists:
            for i in lst:
                if i >= best:
                    break
                cs = self.conds[i]
                if all(c.test(ev[f]) for f, c in cs.items()):
                    best = i
                    break
        return best

    # -- per rule --------------------------------------------------------------------------

    def events(self, fields: list[str], conds: dict[str, list[Cond]]):
        vals = [self.reps(f, conds[f]) for f in fields]
        for combo in product(*vals):
            yield dict(zip(fields, combo, strict=True))

    def analyse(self, i: int) -> tuple[bool, str | None]:
        """(never decides, 'RL301' | 'RL302' | None)."""
        cs = self.conds[i]
        fields = sorted(cs)
        undecided: list[tuple[int, dict]] = []  # (decider position, event) of minimal events
        other = False
        t = -1
        for ev in self.events(fields, {f: [c] for f, c in cs.items()}):
            d = self.first(ev)
            if d >= i:
                return False, None
            t = max(t, d)
            if self.actions[d] != self.actions[i]:
                other = True
            undecided.append((d, ev))
        if not undecided:
            return False, None  # matches no event: reported as such, not counted here
        if other:
            return True, "RL302"
        mine = set(cs)
        act = self.actions[i]
        seen: dict[str, set] = defaultdict(set)  # values of r's minimal events, per field
        for _, ev in undecided:
            for f, v in ev.items():
                seen[f].add(v)
        for x in range(t):
            xc = self.conds[x]
            if self.actions[x] == act or xc.keys() <= mine:
                continue
            shared = xc.keys() & mine
            if not all(any(xc[f].test(v) for v in seen[f]) for f in shared):
                continue  # x meets none of r's minimal events
            extra = sorted(xc.keys() - mine)
            ex_vals = self.extra_reps.get(x)
            if ex_vals is None:
                ex_vals = self.extra_reps[x] = {f: self.reps(f, [xc[f]]) for f in xc}
            vals = [ex_vals[f] for f in extra]
            if not all(vals):
                continue
            for d, ev in undecided:
                if d <= x or not all(xc[f].test(ev[f]) for f in shared):
                    continue
                for combo in product(*vals):
                    full = dict(ev)
                    full.update(zip(extra, combo, strict=True))
                    if self.first(full) == x:
                        return True, "RL302"
        return True, "RL301"

    def meeting_subset(self, i: int) -> int:
        """Earlier rules on a subset of rule i's fields that meet it."""
        cs = self.conds[i]
        n = 0
        mine = cs.keys()
        for sig, g in self.sig_list:
            if not sig <= mine:
                continue
            cand: set[int] | list[int] | None = None
            if len(g["kf"]) == 1:  # every keyed rule of the group lists values of one field
                ((f, how),) = g["kf"]
                c = cs[f]
                if how == "=" and c.eq is not None:
                    cand = {j for v in c.eq for j in g["buckets"].get((f, "=", v), ())}
                    cand.update(g["scan"])
            if cand is None:
                cand = g["all"]
            for j in cand:
                if j >= i:
                    continue
                xc = self.conds[j]
                if all(self.reps(f, [cs[f], xc[f]]) for f in xc):
                    n += 1
        return n


def _prefix_meets(c: Cond, p: str) -> bool:
    if c.prefixes is not None:
        return any(q.startswith(p) or p.startswith(q) for q in c.prefixes)
    if c.eq is not None:
        return any(isinstance(v, str) and v.startswith(p) for v in c.eq)
    return True


def reported(check: dict) -> tuple[set[str], set[str], set[str]]:
    """(never decides, RL301 never decides, RL302) as reported by ``rulelint check``."""
    dead, r301, r302 = set(), set(), set()
    for f in check["findings"]:
        if not f["rule_ids"]:
            continue
        rid = f["rule_ids"][0]
        if f["code"] == "RL302":
            r302.add(rid)
        elif f["code"] == "RL301" and ("never decides" in f["message"] or "matches no event"
                                       in f["message"]):
            r301.add(rid)
        elif f["code"] in ("RL201", "RL202"):
            dead.add(rid)
    return dead | r301 | r302, r301, r302


def compute(path: Path, meets_sample: int):
    t0 = time.process_time()
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    truth = Truth(doc)
    dead, r301, r302 = [], [], []
    for i in range(len(truth.conds)):
        d, kind = truth.analyse(i)
        if d:
            dead.append(truth.ids[i])
            (r301 if kind == "RL301" else r302).append(truth.ids[i])
    n = len(truth.conds)
    step = 1 if not meets_sample or n <= meets_sample else n / meets_sample
    sample = sorted({int(k * step) for k in range(min(n, meets_sample or n))})
    meets = sorted(truth.meeting_subset(i) for i in sample)
    out: dict[str, Any] = {
        "rules": n, "never_decide": len(dead), "rl301": len(r301), "rl302": len(r302),
        "meeting_subset_mean": round(sum(meets) / max(1, len(meets)), 1),
        "meeting_subset_p99": meets[min(len(meets) - 1, int(0.99 * len(meets)))] if meets else 0,
        "meeting_sample": len(meets),
        "cpu_seconds": round(time.process_time() - t0, 1),
    }
    return out, dead, r301, r302


def record(path: Path, out: dict[str, Any]) -> None:
    """Add this result to benchmarks/out/truth-results.json, keyed by profile and size (read
    from the generator's first comment line)."""
    import datetime as dt
    import re
    import subprocess

    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    m = re.search(r"--rules (\d+) --seed (\d+) --profile (\w+)", first)
    if m is None:
        raise SystemExit("truth.py --record: not a file written by benchmarks/generate.py")
    n, profile = int(m.group(1)), m.group(3)
    here = Path(__file__).resolve().parent
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                            capture_output=True, text=True).stdout.strip()
    store = here / "out" / "truth-results.json"
    got = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    got[f"{profile}-{n}"] = {
        **{k: v for k, v in out.items() if k not in ("missed", "wrong", "split_differs")},
        "profile": profile, "rules_generated": n,
        "measured": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} at {commit}",
    }
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(got, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rules", type=Path)
    ap.add_argument("--json", type=Path, help="write the result here")
    ap.add_argument("--against", type=Path, help="a `rulelint check --format json` report")
    ap.add_argument("--record", action="store_true",
                    help="keep the result in benchmarks/out/truth-results.json (BENCHMARKS.md)")
    ap.add_argument("--meets-sample", type=int, default=2000,
                    help="rules sampled for the meeting statistics (0: all)")
    ap.add_argument("--from", dest="prev", type=Path,
                    help="a --json result of an earlier run on the same file: compare only")
    args = ap.parse_args(argv)
    if args.prev:
        prev = json.loads(args.prev.read_text(encoding="utf-8"))
        r301, r302 = prev["ids"]["rl301"], prev["ids"]["rl302"]
        dead = r301 + r302
        out = {k: v for k, v in prev.items() if k != "ids"}
    else:
        out, dead, r301, r302 = compute(args.rules, args.meets_sample)
    if args.against:
        check = json.loads(args.against.read_text(encoding="utf-8"))
        got, g301, g302 = reported(check)
        out["incomplete"] = len((check.get("summary") or {}).get("incomplete") or [])
        want = set(dead)
        tp = len(got & want)
        out["reported"] = len(got)
        out["precision"] = round(tp / len(got), 4) if got else 1.0
        out["recall"] = round(tp / len(want), 4) if want else 1.0
        out["missed"] = sorted(want - got)[:20]
        out["wrong"] = sorted(got - want)[:20]
        out["split_agrees"] = len((g301 & set(r301)) | (g302 & set(r302)))
        out["split_differs"] = sorted((g301 & set(r302)) | (g302 & set(r301)))[:20]
        out["split_differs_count"] = len((g301 & set(r302)) | (g302 & set(r301)))
    print(json.dumps(out, indent=2))
    if args.record:
        record(args.rules, out)
    if args.json:
        args.json.write_text(json.dumps({**out, "ids": {"rl301": r301, "rl302": r302}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
