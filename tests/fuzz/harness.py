"""One fuzz case: a rule file through every command, and the properties that must hold.

``run_case`` writes the file into a fresh directory, runs ``check`` (every format),
``eval``, ``test`` and ``suggest-merge`` (plain, ``--diff``, ``--apply``, ``--output`` with
random flags), and returns the failures it saw. What is checked:

* every call: exit code in {0, 1, 2}, no "internal error", no traceback, no exception
  escaping the CLI, within the time bound; machine formats parse (JSON, SARIF, JUnit XML);
* read-only commands leave the directory as it was;
* the oracle (``oracle.py``, independent of rulelint's set algebra) agrees with ``eval`` and
  ``test`` on random events, and with every RL201/RL301/RL302 claim;
* ``--apply``: bytes outside the rules reported merged or removed are unchanged, the file
  still loads without new errors, and every sampled decision is the oracle's old decision;
  when it refuses (exit 2) or proves nothing, the file is byte-identical;
* ``--output``: the written file holds every rule it should (schema-error rules too), loads
  without new errors, and takes the old decisions.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import events as ev_mod
from . import oracle
from .cli import Call, Runner, has_option
from .spans import NoSpans, rule_spans, untouched_kept

# characters a line-based report must show as escapes, never as themselves: controls but
# tab and the line feed that ends its lines, DEL, C1, U+2028/9 and the bidirectional
# overrides and isolates (defined here, not imported: the harness checks rulelint)
RAW_CONTROLS = frozenset(
    [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u2028", "\u2029"]
    + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
)
# outputs that are data (JSON, XML, CSV) or the file's own bytes (a diff, an --output -)
_DATA_OUTPUTS = ("json", "sarif", "gitlab", "junit", "csv", "--diff", "-")

BASE_FORMATS = ["text", "json", "sarif", "github", "junit", "markdown"]
LOAD_ERRORS = {"RL001", "RL002", "RL003", "RL004", "RL005"}


def check_formats() -> list[str]:
    from .cli import help_text

    extra = [f for f in ("concise", "gitlab") if f in help_text("check")]
    return BASE_FORMATS + extra


@dataclass
class Failure:
    kind: str  # a short family name, e.g. "internal-error", "apply-changed-decision"
    command: str
    detail: str
    output: str = ""

    def signature(self) -> str:
        verb = self.command.split()[1] if len(self.command.split()) > 1 else self.command
        first = self.detail.splitlines()[0] if self.detail else ""
        # numbers and quoted values vary between mutants of one bug
        import re
        first = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", first)[:120]
        return f"{self.kind}|{verb}|{first}"


@dataclass
class CaseStats:
    calls: int = 0
    events: int = 0
    claims: int = 0
    applies: int = 0
    oracle_used: bool = False
    oracle_unsupported: str | None = None


@dataclass
class Case:
    text: str
    name: str = "rules.yaml"
    seed: int = 0
    ops: list[str] = field(default_factory=list)
    source: str = ""
    flags: list[str] | None = None  # suggest-merge flags (default: drawn from the seed)


def _tree(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file() and ".rulelint_cache" not in p.parts}


class CaseRun:
    def __init__(self, case: Case, runner: Runner, full: bool, only: set[str] | None = None) -> None:
        self.case = case
        self.runner = runner
        self.full = full
        self.only = only  # the checks to run (minimisation reruns only the failing one)
        self.rng = random.Random(case.seed)
        self.failures: list[Failure] = []
        self.stats = CaseStats()
        self.base = Path(tempfile.mkdtemp(prefix="rlfuzz-"))
        self.raw = case.text.encode("utf-8", "surrogatepass")
        self.old_errors: Counter[str] = Counter()
        # drawn first, so that a rerun with the same seed (minimisation) uses the same flags
        self.flags = list(case.flags) if case.flags is not None else self._merge_flags()

    # --- plumbing -------------------------------------------------------------------------

    def want(self, check: str) -> bool:
        return self.only is None or check in self.only

    def fail(self, kind: str, call: Call | str, detail: str, output: str = "") -> None:
        cmd = call.command() if isinstance(call, Call) else call
        if isinstance(call, Call) and not output:
            output = call.output
        self.failures.append(Failure(kind, cmd, detail, output[-20000:]))

    def workdir(self, label: str) -> Path:
        d = self.base / label
        d.mkdir()
        (d / self.case.name).write_bytes(self.raw)
        return d

    def call(self, args: list[str], cwd: Path, *, machine: str | None = None,
             stdin: bytes | None = None) -> Call:
        c = self.runner(args, cwd, stdin) if stdin is not None else self.runner(args, cwd)
        self.stats.calls += 1
        if c.problem:
            kind = "timeout" if c.problem.startswith("timeout") else "crash"
            self.fail(kind, c, c.problem)
            return c
        if c.exit_code not in (0, 1, 2):
            self.fail("bad-exit", c, f"exit code {c.exit_code}")
        if "internal error" in c.output:
            line = next(line for line in c.output.splitlines() if "internal error" in line)
            self.fail("internal-error", c, line.strip())
        elif "Traceback (most recent call last)" in c.output:
            self.fail("traceback", c, c.output.strip().splitlines()[-1])
        elif "bug in rulelint" in c.output:
            line = next(line for line in c.output.splitlines() if "bug in rulelint" in line)
            self.fail("self-reported-bug", c, line.strip()[:400])
        if machine and c.exit_code in (0, 1):
            self._machine(c, machine)
        data = any(a in _DATA_OUTPUTS for a in c.args) or (
            "--events" in c.args and "text" not in c.args)  # JSON Lines unless asked for text
        if c.exit_code in (0, 1) and not data:
            raw = sorted(set(c.stdout) & RAW_CONTROLS)
            if raw:
                self.fail("raw-control", c, f"the report holds {raw!r} as itself, not escaped")
        return c

    def _machine(self, c: Call, fmt: str) -> None:
        try:
            if fmt in ("json", "sarif", "gitlab"):
                doc = json.loads(c.stdout)
                if fmt == "sarif" and not (isinstance(doc, dict) and doc.get("version") == "2.1.0"
                                           and isinstance(doc.get("runs"), list)):
                    raise ValueError("not a SARIF 2.1.0 log")
                if fmt == "gitlab" and not (isinstance(doc, list) and all(
                        {"description", "check_name", "fingerprint", "severity", "location"} <= set(x)
                        for x in doc)):
                    raise ValueError("not a GitLab Code Quality array")
            elif fmt == "junit":
                ET.fromstring(c.stdout)
            elif fmt == "concise":
                for line in c.stdout.splitlines():
                    if line.strip() and not re.match(r"^.+:\d+:\d+: RL\d{3} ", line):
                        raise ValueError(f"not 'file:line:col: CODE message': {line[:120]!r}")
        except (ValueError, ET.ParseError) as exc:
            self.fail("bad-machine-output", c, f"--format {fmt} output does not parse: {exc}")

    # --- the case -------------------------------------------------------------------------

    def run(self) -> list[Failure]:
        try:
            self._run()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
        return self.failures

    def _run(self) -> None:
        name = self.case.name
        ro = self.workdir("ro")
        before = _tree(ro)
        report = None
        formats = check_formats()
        if not self.full:
            formats = ["json"] + self.rng.sample([f for f in formats if f != "json"], 2)
        for fmt in formats:
            if not self.want("check"):
                break
            c = self.call(["check", name, "--format", fmt, "--today", "2026-12-01"], ro,
                          machine=fmt)
            if fmt == "json" and c.exit_code in (0, 1) and not c.problem:
                try:
                    report = json.loads(c.stdout)
                except ValueError:
                    report = None
        if self.want("check") and has_option("check", "--stdin-filename") and self.rng.random() < 0.3:
            # the same file on stdin: the same findings (SPEC: '-' reads a rule file from stdin)
            c = self.call(["check", "-", "--stdin-filename", name, "--format", "json",
                           "--today", "2026-12-01"], ro, machine="json", stdin=self.raw)
            if report is not None and c.exit_code in (0, 1) and not c.problem:
                try:
                    got = json.loads(c.stdout)
                except ValueError:
                    got = None
                key = lambda r: sorted((f["code"], f["line"], f["message"]) for f in r["findings"])  # noqa: E731
                if got is not None and key(got) != key(report):
                    self.fail("stdin-differs", c, "check - (stdin) reports other findings than check FILE")
        if report is None and self.want("check") is False:
            c = self.runner(["check", name, "--format", "json", "--today", "2026-12-01"], ro)
            try:
                report = json.loads(c.stdout)
            except ValueError:
                report = None
        load_errors = report is None or any(
            f["code"] in LOAD_ERRORS and f["severity"] == "error" for f in report["findings"])
        # the load errors the input already has: a rewrite may keep them, not add to them
        self.old_errors = Counter(f["code"] for f in (report or {}).get("findings", [])
                                  if f["code"] in LOAD_ERRORS and f["severity"] == "error")
        ors = None
        if not load_errors:
            try:
                ors = oracle.load_text(self.case.text)
                self.stats.oracle_used = True
            except oracle.Unsupported as exc:
                self.stats.oracle_unsupported = str(exc)
        if ors is not None:
            if self.want("test"):
                self._test_cmd(ro, ors)
            if self.want("eval"):
                self._eval_cmd(ro, ors)
            if self.want("claims") and report is not None:
                self._claims(report, ors)
        elif self.want("eval") and self.rng.random() < 0.3:
            self.call(["eval", name, "--event", '{"plan": "pro"}', "--format", "json"], ro)
        if self.want("eval") and self.rng.random() < 0.2:
            self._eval_hostile(ro)
        if self.want("review") and has_option("review", "--mark-reviewed"):
            fmt = self.rng.choice(["text", "json", "markdown", "csv"])
            self.call(["review", name, "--format", fmt, "--today", "2026-12-01"], ro,
                      machine="json" if fmt == "json" else None)
        flags = self.flags
        if self.want("suggest"):
            self.call(["suggest-merge", name, *flags], ro)
            self.call(["suggest-merge", name, "--diff", *flags], ro)
        if _tree(ro) != before:
            self.fail("read-only-changed-files", f"rulelint check/eval/test/suggest-merge {name}",
                      "a read-only command changed or created files")
        if self.want("apply"):
            self._apply(flags, ors, load_errors)
        if self.want("output"):
            self._output(flags, ors, load_errors)
        if self.want("mark") and has_option("review", "--mark-reviewed"):
            self._mark_reviewed(ors)

    def _merge_flags(self) -> list[str]:
        r = self.rng
        flags: list[str] = []
        if r.random() < 0.5:
            flags.append("--include-redundant")
        if has_option("suggest-merge", "--include-shadowed") and r.random() < 0.25:
            flags.append("--include-shadowed")
        if r.random() < 0.3:
            flags += ["--target", str(r.randint(0, 12))]
        if r.random() < 0.1:
            flags += ["--merge-keys", "none"]
        return flags

    # --- oracle against eval / test -------------------------------------------------------

    def _events(self, ors: oracle.ORuleset, others: list[oracle.ORuleset], n: int,
                aim: list[oracle.ORule] | None = None) -> list[dict[str, Any]]:
        evs = ev_mod.events(ors, others, self.rng, n, aim)
        self.stats.events += len(evs)
        return evs

    def _test_cmd(self, d: Path, ors: oracle.ORuleset) -> None:
        evs = self._events(ors, [], 60 if self.full else 30)
        cases = []
        for e in evs:
            ids = oracle.deciding(ors, e)
            if ors.semantics == "first-match":
                expect: Any = {"rule": ids[0]} if ids else "none"
            else:
                expect = {"actions": sorted(oracle.decide(ors, e))} if ids else "none"
            cases.append({"event": e, "expect": expect})
        tests = d.parent / "cases"
        tests.mkdir(exist_ok=True)
        (tests / "cases.yaml").write_text(ev_mod.yaml_json({"cases": cases}), encoding="utf-8")
        c = self.call(["test", self.case.name, "--tests", str(tests / "cases.yaml")], d)
        if c.exit_code == 1 and "FAILED" in c.output:
            self.fail("test-disagrees-with-oracle", c,
                      "rulelint test decided differently from the oracle: " + _first(c.output, "FAILED"))
        elif c.exit_code != 0 and not c.problem:
            self.fail("test-refused", c, "rulelint test did not run the cases: " + c.output.strip()[-300:])

    def _eval_many(self, d: Path, ors: oracle.ORuleset) -> None:
        """``eval --events FILE.jsonl`` (SPEC), when this rulelint has it."""
        evs = self._events(ors, [], 40)
        path = d.parent / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in evs), encoding="utf-8")
        c = self.call(["eval", self.case.name, "--events", str(path)], d)
        if c.exit_code != 0:
            return
        lines = [line for line in c.stdout.splitlines() if line.strip()]
        if len(lines) != len(evs):
            self.fail("eval-events-count", c, f"{len(evs)} events in, {len(lines)} lines out")
            return
        for e, line in zip(evs, lines, strict=True):
            try:
                got = json.loads(line)
            except ValueError:
                self.fail("bad-machine-output", c, f"eval --events line does not parse: {line[:200]}")
                return
            want = oracle.deciding(ors, e)
            if got.get("deciding") != want:
                self.fail("eval-disagrees-with-oracle", c,
                          f"event {json.dumps(e)}: rulelint deciding {got.get('deciding')}, oracle {want}")
                return

    def _eval_hostile(self, d: Path) -> None:
        """``eval --event`` with an event a user (or a script) should not send."""
        payload = self.rng.choice(HOSTILE_EVENTS)()
        self.call(["eval", self.case.name, "--event", payload, "--format", "json"], d)

    def _eval_cmd(self, d: Path, ors: oracle.ORuleset) -> None:
        if has_option("eval", "--events"):
            self._eval_many(d, ors)
        for e in self._events(ors, [], 2):
            c = self.call(["eval", self.case.name, "--event", json.dumps(e), "--format", "json"], d)
            if c.exit_code != 0:
                continue
            try:
                got = json.loads(c.stdout)
            except ValueError:
                self.fail("bad-machine-output", c, "eval --format json output does not parse")
                continue
            want = oracle.deciding(ors, e)
            if got.get("deciding") != want:
                self.fail("eval-disagrees-with-oracle", c,
                          f"event {json.dumps(e)}: rulelint deciding {got.get('deciding')}, oracle {want}")

    def _claims(self, report: dict[str, Any], ors: oracle.ORuleset) -> None:
        ids = {r.id for r in ors.rules}
        for f in report["findings"]:
            code, rids = f["code"], f.get("rule_ids") or []
            if code not in ("RL201", "RL301", "RL302", "RL202") or not rids or not set(rids) <= ids:
                continue
            self.stats.claims += 1
            r = ors.by_id(rids[0])
            aim = [ors.by_id(x) for x in rids]
            for e in self._events(ors, [], 40 if self.full else 16, aim=aim):
                bad = None
                if code in ("RL201", "RL202") and len(rids) > 1:
                    other = ors.by_id(rids[1])
                    if oracle.rule_matches(ors, r, e) != oracle.rule_matches(ors, other, e):
                        bad = f"{rids[0]} and {rids[1]} are not equivalent: only one matches"
                    elif code == "RL201" and r.action != other.action:
                        bad = "RL201 on rules with different actions"
                elif code == "RL301":
                    if oracle.decide(ors, e) != oracle.decide(ors, e, skip=r.id):
                        bad = f"removing {r.id} changes the decision"
                elif code == "RL302" and oracle.deciding(ors, e)[:1] == [r.id]:
                    bad = f"{r.id} decides this event"
                if bad:
                    self.fail(f"false-{code}", f"rulelint check {self.case.name} --format json",
                              f"{bad}; event {json.dumps(e, ensure_ascii=False)}", f["message"])
                    break
            w = f.get("witness")
            if code == "RL202" and isinstance(w, dict) and len(rids) > 1:
                a, b = ors.by_id(rids[0]), ors.by_id(rids[1])
                if not (oracle.rule_matches(ors, a, w) or oracle.rule_matches(ors, b, w)):
                    self.fail("bad-witness-RL202", f"rulelint check {self.case.name} --format json",
                              f"witness {json.dumps(w)} matches neither rule", f["message"])

    # --- writes ---------------------------------------------------------------------------

    def _plan(self, c: Call) -> dict[str, Any] | None:
        try:
            doc = json.loads(c.stdout)
        except ValueError:
            return None
        if "rulesets" in doc and "groups" not in doc:
            return {"groups": [g for d in doc["rulesets"] for g in d["groups"]],
                    "removed": [x for d in doc["rulesets"] for x in d["removed"]],
                    "verified": all(d["verified"] for d in doc["rulesets"])}
        return doc

    def _new_errors(self, d: Path, fname: str, label: str, c: Call) -> bool:
        chk = self.runner(["check", fname, "--format", "json", "--today", "2026-12-01"], d)
        self.stats.calls += 1
        if chk.problem:  # say what happened to the check itself (a timeout is not "unreadable")
            self.fail("timeout" if chk.problem.startswith("timeout") else "crash", chk,
                      f"{chk.problem} (checking what {c.command()} wrote)")
            return True
        try:
            rep = json.loads(chk.stdout)
        except ValueError:
            self.fail(f"{label}-unreadable", c, f"check on the written file failed: {chk.output[-300:]}")
            return True
        errs = [f for f in rep["findings"] if f["code"] in LOAD_ERRORS and f["severity"] == "error"]
        now = Counter(f["code"] for f in errs)
        added = [code for code in now if now[code] > self.old_errors.get(code, 0)]
        if added:
            e = next(f for f in errs if f["code"] in added)
            self.fail(f"{label}-wrote-invalid-file", c,
                      f"the written file has {e['code']} at line {e['line']}: {e['message'][:200]}")
            return True
        return False

    def _compare(self, old: oracle.ORuleset, new_text: str, label: str, c: Call) -> None:
        try:
            new = oracle.load_text(new_text)
        except oracle.Unsupported as exc:
            self.fail(f"{label}-oracle-cannot-read", c, f"the written file is outside the oracle: {exc}",
                      new_text[:4000])
            return
        evs = self._events(old, [new], 150 if self.full else 60)
        for e in evs:
            a, b = oracle.decide(old, e), oracle.decide(new, e)
            if a != b:
                # the same rules judged under the old kinds: if they agree, the rewrite changed
                # a field's inferred kind (SPEC: declare it in fields: instead)
                kinds = {**new.kinds, **{f: k for f, k in old.kinds.items() if f in new.kinds}}
                changed = [f for f in kinds if f in new.kinds and new.kinds[f].kind != kinds[f].kind]
                as_old = oracle.ORuleset(new.semantics, new.rules, kinds)
                same = changed and all(oracle.decide(old, x) == oracle.decide(as_old, x) for x in evs)
                kind = f"{label}-changed-kind" if same else f"{label}-changed-decision"
                extra = f" (field kind changed: {', '.join(changed)})" if same else ""
                self.fail(kind, c,
                          f"event {json.dumps(e, ensure_ascii=False)}: old {_show(a)}, new {_show(b)}{extra}",
                          new_text[:4000])
                return

    def _apply(self, flags: list[str], ors: oracle.ORuleset | None, load_errors: bool) -> None:
        d = self.workdir("apply")
        name = self.case.name
        link = self.rng.random() < 0.2  # the rule file as a symlink to the real file
        if link:
            (d / "real").mkdir()
            (d / name).rename(d / "real" / name)
            (d / name).symlink_to(Path("real") / name)
        c = self.call(["suggest-merge", name, "--apply", "--format", "json", *flags], d)
        self.stats.applies += 1
        if link and not (d / name).is_symlink():
            self.fail("apply-replaced-symlink", c, "the symlink was replaced by a regular file "
                      f"(the target {'changed' if (d / 'real' / name).read_bytes() != self.raw else 'is unchanged'})")
            return
        new_raw = (d / name).read_bytes()
        if c.problem or c.exit_code != 0:
            if new_raw != self.raw:
                self.fail("apply-refused-but-changed-file", c,
                          f"exit {c.exit_code}, yet the file changed ({len(self.raw)} -> {len(new_raw)} bytes)")
            return
        plan = self._plan(c)
        if plan is None:
            self.fail("bad-machine-output", c, "suggest-merge --format json output does not parse")
            return
        touched = {m for g in plan.get("groups", []) for m in g.get("from", [])} | set(plan.get("removed", []))
        old_text, new_text = self.case.text, new_raw.decode("utf-8", "surrogateescape")
        if not touched:
            if new_raw != self.raw:
                self.fail("apply-changed-untouched-bytes", c, "nothing to merge, yet the file changed")
            return
        try:
            problem = untouched_kept(old_text, new_text, touched, allow_fields=True)
        except NoSpans:
            problem = None
        if problem:
            self.fail("apply-changed-untouched-bytes", c, problem, _diff(old_text, new_text))
        if self._new_errors(d, name, "apply", c):
            return
        if ors is not None:
            self._compare(ors, new_text, "apply", c)

    def _mark_reviewed(self, ors: oracle.ORuleset | None) -> None:
        """``review --mark-reviewed``: only ``reviewed`` of the marked rules changes."""
        try:
            ids = [sp.rule_id for sp in rule_spans(self.case.text) if sp.rule_id]
        except NoSpans:
            return
        if not ids:
            return
        marked = sorted(set(self.rng.sample(ids, min(len(ids), self.rng.choice([1, 1, 2])))))
        d = self.workdir("mark")
        name = self.case.name
        c = self.call(["review", name, "--mark-reviewed", ",".join(marked), "--date", "2026-12-01"], d)
        new_raw = (d / name).read_bytes()
        if c.problem or c.exit_code != 0:
            if new_raw != self.raw:
                self.fail("mark-refused-but-changed-file", c, f"exit {c.exit_code}, yet the file changed")
            return
        old_text, new_text = self.case.text, new_raw.decode("utf-8", "surrogateescape")
        try:
            problem = untouched_kept(old_text, new_text, set(marked))
        except NoSpans:
            problem = None
        if problem:
            self.fail("mark-changed-untouched-bytes", c, problem, _diff(old_text, new_text))
        problem = marked_rule_changes(old_text, new_text, marked, "2026-12-01")
        if problem:
            self.fail("mark-changed-rule", c, problem, _diff(old_text, new_text))
        if self._new_errors(d, name, "mark", c):
            return
        if ors is not None:
            self._compare(ors, new_text, "mark", c)

    def _output(self, flags: list[str], ors: oracle.ORuleset | None, load_errors: bool) -> None:
        d = self.workdir("output")
        name = self.case.name
        (d / "out").mkdir()
        out = d / "out" / "new.yaml"
        c = self.call(["suggest-merge", name, "--output", "out/new.yaml", "--format", "json", *flags], d)
        if (d / name).read_bytes() != self.raw:
            self.fail("output-changed-input", c, "--output changed the input file")
        if c.problem or c.exit_code != 0 or not out.exists():
            return
        plan = self._plan(c)
        if plan is None:
            return
        new_text = out.read_bytes().decode("utf-8", "surrogateescape")
        gone = {m for g in plan.get("groups", []) for m in g.get("from", [])} | set(plan.get("removed", []))
        added = {g.get("merged_id") for g in plan.get("groups", [])}
        try:
            old_ids = [s.rule_id for s in rule_spans(self.case.text)]
        except NoSpans:
            old_ids = []  # PyYAML cannot compose the input (rulelint may): no id check
        try:
            new_ids = {s.rule_id for s in rule_spans(new_text)}
        except NoSpans as exc:
            self.fail("output-unreadable", c, f"PyYAML cannot read the written file: {exc}", new_text[:4000])
            return
        missing = [i for i in old_ids if i not in gone and i not in new_ids and i not in added]
        if missing:
            self.fail("output-dropped-rules", c,
                      f"--output left out rules it did not merge or remove: {missing[:5]}", new_text[:4000])
        if load_errors:
            return
        if self._new_errors(d / "out", "new.yaml", "output", c):
            return
        if ors is not None:
            self._compare(ors, new_text, "output", c)


def _rules_by_id(text: str) -> dict[str, dict] | None:
    """The rule mappings of ``text`` keyed by their id *as written* (the scalar's text, as
    ``rule_spans`` gives it), or None when PyYAML cannot read it. Keying by the loaded value
    is wrong: PyYAML loads ``id: 9999-12-31`` as a date, while rulelint reads a plain
    timestamp as its text (SPEC's id pattern allows it) and ``--mark-reviewed 9999-12-31``
    names that text."""
    import yaml

    try:
        spans = rule_spans(text)
        loaded = yaml.safe_load(text)["rules"]
    except Exception:  # whatever PyYAML cannot read is no evidence either way
        return None
    if not isinstance(loaded, list) or len(loaded) != len(spans):
        return None
    return {sp.rule_id: r for sp, r in zip(spans, loaded, strict=True)
            if sp.rule_id is not None and isinstance(r, dict)}


def marked_rule_changes(old_text: str, new_text: str, marked: list[str], date: str) -> str | None:
    """What ``review --mark-reviewed`` changed in a marked rule besides setting ``reviewed``
    to ``date`` (ISO), or None when nothing did (or PyYAML cannot read either text)."""
    import datetime as dt

    old_rules, new_rules = _rules_by_id(old_text), _rules_by_id(new_text)
    if old_rules is None or new_rules is None:
        return None
    for rid in marked:
        if rid not in old_rules:
            continue  # not a rule mapping PyYAML reads (rulelint refused it, or marked nothing)
        a, b = dict(old_rules[rid]), dict(new_rules.get(rid) or {})
        got = b.pop("reviewed", None)
        a.pop("reviewed", None)
        if a != b or got not in (dt.date.fromisoformat(date), date):
            return f"rule {rid}: more than 'reviewed' changed, or reviewed is {got!r}"
    return None


HOSTILE_EVENTS = [
    lambda: "[" * 5000 + "]" * 5000,
    lambda: '{"a": ' * 3000 + "1" + "}" * 3000,
    lambda: '{"n": 1' + "0" * 5000 + "}",
    lambda: '{"n": 1e999, "m": -1e999}',
    lambda: "NaN",
    lambda: '{"plan": "pro", "plan": "free"}',
    lambda: '{"plan": "\\ud800"}',
    lambda: '{"plan": ["pro"], "age": {"range": [1, 2]}}',
    lambda: "",
    lambda: "@does-not-exist.json",
    lambda: "@.",
    lambda: '{"plan": "pro"} trailing',
]


def _first(text: str, needle: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if needle in line:
            return " | ".join(x.strip() for x in lines[i : i + 4])
    return text.strip()[-200:]


def _show(v: Any) -> str:
    return repr(sorted(v)) if isinstance(v, frozenset) else repr(v)


def _diff(a: str, b: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "old", "new"))[:8000]


def run_case(case: Case, runner: Runner, full: bool = False,
             only: set[str] | None = None) -> tuple[list[Failure], CaseStats]:
    cr = CaseRun(case, runner, full, only)
    failures = cr.run()
    return failures, cr.stats


CHECKS_BY_KIND: dict[str, str] = {}


def check_for(f: Failure) -> set[str]:
    """Which part of run_case to rerun to reproduce a failure (minimisation)."""
    cmd = f.command
    if f.kind.startswith("false-") or f.kind.startswith("bad-witness"):
        return {"claims"}
    if "--apply" in cmd:
        return {"apply"}
    if "--output" in cmd:
        return {"output"}
    if cmd.startswith("rulelint test"):
        return {"test"}
    if cmd.startswith("rulelint eval"):
        return {"eval"}
    if cmd.startswith("rulelint suggest-merge"):
        return {"suggest"}
    if "--mark-reviewed" in cmd:
        return {"mark"}
    if cmd.startswith("rulelint review"):
        return {"review"}
    return {"check"}


Predicate = Callable[[str], bool]
