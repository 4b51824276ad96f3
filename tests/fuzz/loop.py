"""The seeded mutation loop: corpus -> mutants -> run_case -> results directory.

Deterministic: one ``--seed`` gives the same sequence of mutants (time bounds aside). The
corpus is rules.example.yaml, tests/hostile/*.yaml, small files from
benchmarks/generate.py (both profiles) and files from ``gen.py``; a mutant that runs clean
and parses is added back to the corpus (capped), as AFL keeps inputs that get somewhere.

Each distinct failure (kind + command + message shape) is kept with its input, the
minimised input (delta debugging over lines), the command and its output under
``OUT/failures/NNN-kind/``; ``OUT/summary.json`` counts mutants, calls, events, claims
checked and failures per signature.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import gen, mutate
from .cli import Runner
from .harness import Case, Failure, check_for, run_case

ROOT = Path(__file__).resolve().parents[2]


def corpus(rng: random.Random, generated: int = 12) -> list[tuple[str, str]]:
    """(label, text) seeds."""
    out: list[tuple[str, str]] = []
    ex = ROOT / "rules.example.yaml"
    if ex.exists():
        out.append(("rules.example.yaml", ex.read_text(encoding="utf-8")))
    for p in sorted((ROOT / "tests" / "hostile").glob("*.yaml")):
        if p.stat().st_size > 64_000:
            continue
        try:
            out.append((f"hostile/{p.name}", p.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    try:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import generate  # type: ignore[import-not-found]

        for n, seed, profile in ((12, 1, "realistic"), (30, 2, "dense"), (60, 3, "realistic")):
            out.append((f"generate-{profile}-{n}", generate.generate(n, seed=seed, profile=profile)))
    except Exception as exc:  # the benchmark generator is optional for the harness
        print(f"fuzz: benchmarks/generate.py not used: {exc}", file=sys.stderr)
    finally:
        if str(ROOT / "benchmarks") in sys.path:
            sys.path.remove(str(ROOT / "benchmarks"))
    pick = gen.RandomPick(rng)
    for i in range(generated):
        out.append((f"gen-{i}", gen.rule_file(pick)))
    return out


def ddmin_lines(text: str, still_fails, budget: int = 40, seconds: float = 60.0) -> str:
    """Delta debugging (Zeller's ddmin) over lines: a smaller input that still fails.
    At most ``budget`` reruns and about ``seconds`` of wall time."""
    lines = text.splitlines(keepends=True)
    n = 2
    tries = 0
    stop = time.monotonic() + seconds
    while len(lines) >= 2 and tries < budget and time.monotonic() < stop:
        chunk = max(1, len(lines) // n)
        parts = [lines[i : i + chunk] for i in range(0, len(lines), chunk)]
        reduced = False
        for i in range(len(parts)):
            cand = [x for j, p in enumerate(parts) if j != i for x in p]
            tries += 1
            if cand and still_fails("".join(cand)):
                lines = cand
                n = max(n - 1, 2)
                reduced = True
                break
            if tries >= budget or time.monotonic() >= stop:
                break
        if not reduced:
            if n >= len(lines):
                break
            n = min(len(lines), n * 2)
    return "".join(lines)


@dataclass
class Results:
    out: Path | None
    mutants: int = 0
    calls: int = 0
    events: int = 0
    claims: int = 0
    applies: int = 0
    oracle_cases: int = 0
    seconds: float = 0.0
    by_signature: Counter = field(default_factory=Counter)
    by_op: Counter = field(default_factory=Counter)
    known: Counter = field(default_factory=Counter)  # known families (known.py), by family
    kept: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "mutants": self.mutants, "calls": self.calls, "events_checked": self.events,
            "claims_checked": self.claims, "applies": self.applies,
            "cases_with_oracle": self.oracle_cases, "seconds": round(self.seconds, 1),
            "failures": dict(self.by_signature.most_common()),
            "failing_ops": dict(self.by_op.most_common()),
            "known_families": dict(self.known.most_common()),
            "kept": self.kept,
        }

    def write_summary(self) -> None:
        if self.out is not None:
            (self.out / "summary.json").write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False))


def _save(res: Results, case: Case, f: Failure, minimized: str | None, prefix: str = "") -> None:
    entry = {"known": prefix.removeprefix("known-") or None, "kind": f.kind, "command": f.command, "detail": f.detail, "source": case.source,
             "ops": case.ops, "seed": case.seed, "signature": f.signature()}
    if res.out is not None:
        d = res.out / "failures" / f"{len(res.kept):03d}-{prefix or f.kind}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "input.yaml").write_bytes(case.text.encode("utf-8", "surrogatepass"))
        if minimized is not None:
            (d / "minimized.yaml").write_bytes(minimized.encode("utf-8", "surrogatepass"))
        (d / "command.txt").write_text(
            "# from this directory: the input under its name, then the command\n"
            f"d=$(mktemp -d) && cp input.yaml \"$d/{case.name}\" && mkdir -p \"$d/out\" && cd \"$d\" && "
            f"python -m {f.command}\n")
        (d / "output.txt").write_text(f.output)
        (d / "meta.json").write_text(json.dumps(entry, indent=2, ensure_ascii=False))
        entry["dir"] = str(d)
    res.kept.append(entry)


def run(seed: int, *, mutants: int | None = None, minutes: float | None = None,
        out: Path | None = None, timeout: float = 20.0, full: bool = False,
        minimize: bool = True, subprocess_mode: bool = False, keep_per_signature: int = 2,
        known=None, subprocess_every: int = 0, log=None) -> Results:
    """Run mutants until ``mutants`` cases or ``minutes`` are done (whichever comes first)."""
    rng = random.Random(seed)
    runner = Runner(timeout=timeout, subprocess_mode=subprocess_mode)
    # every n-th case as real processes: what only a real process shows (a crash of the
    # interpreter, the fast exit, stdin/stdout as pipes)
    sub = Runner(timeout=timeout, subprocess_mode=True)
    seeds = corpus(rng)
    res = Results(out)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = started + minutes * 60 if minutes else None
    i = 0
    pick = gen.RandomPick(rng)
    while True:
        if mutants is not None and i >= mutants:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        case_seed = rng.randrange(2**32)
        if rng.random() < 0.15:
            label, text, ops = "gen", gen.rule_file(pick), []
        else:
            label, base = seeds[rng.randrange(len(seeds))]
            text, ops = mutate.mutate(base, rng)
        name = rng.choice(["rules.yaml", "rules.yaml", "support.yaml", "r.yml"])
        case = Case(text, name, case_seed, ops, label)
        use = sub if subprocess_every and i % subprocess_every == subprocess_every - 1 else runner
        failures, stats = run_case(case, use, full=full)
        i += 1
        res.mutants += 1
        res.calls += stats.calls
        res.events += stats.events
        res.claims += stats.claims
        res.applies += stats.applies
        res.oracle_cases += stats.oracle_used
        for f in failures:
            family = known(f, case) if known else None
            if family:
                res.known[family] += 1
                if res.known[family] == 1:  # one example of each known family, not minimised
                    _save(res, case, f, None, prefix=f"known-{family}")
                continue
            sig = f.signature()
            res.by_signature[sig] += 1
            for op in ops:
                res.by_op[op] += 1
            if res.by_signature[sig] <= keep_per_signature:
                minimized = _minimize(case, f, runner, full) if minimize else None
                _save(res, case, f, minimized)
                if log:
                    log(f"[{i}] {f.kind}: {f.command}: {f.detail[:160]} (from {label} {ops})")
        if not failures and stats.oracle_used and len(seeds) < 400 and rng.random() < 0.1:
            seeds.append((f"{label}+{'+'.join(ops)}", text))
        if out is not None and i % 25 == 0:
            res.seconds = time.monotonic() - started
            res.write_summary()
    res.seconds = time.monotonic() - started
    res.calls = runner.calls + sub.calls
    res.write_summary()
    return res


def _minimize(case: Case, f: Failure, runner: Runner, full: bool) -> str:
    only = check_for(f)
    sig = f.signature()

    def still_fails(text: str) -> bool:
        c = Case(text, case.name, case.seed, case.ops, case.source, case.flags)
        got, _ = run_case(c, runner, full=full, only=only)
        return any(g.kind == f.kind for g in got) and any(g.signature() == sig for g in got) or \
            any(g.kind == f.kind and f.kind in ("timeout", "internal-error") for g in got)

    return ddmin_lines(case.text, still_fails, budget=30, seconds=45.0)
