"""From files to rulesets: the loaded, validated, typed model every pass works on.

files -> loading (YAML with lines) -> model (pydantic: header, rules) -> conditions
-> field kinds (declared or inferred per ruleset) -> boxes (exact sets per rule)
-> RuleSet (rules in evaluation order). Problems found on the way are findings
(RL001-RL005); a rule with a problem stays in the rule count but out of the analysis.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulelint.algebra.sets import Domain
from rulelint.load import boxes
from rulelint.load.conditions import (
    AlreadyReported,
    Condition,
    ConditionError,
    as_ip,
    fits,
    infer_kind,
    kind_label,
    parse_condition,
    possible_kinds,
)
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.loading import (
    LocDict,
    LocList,
    YamlDocument,
    load_file,
    name_of,
    parse_text,
    to_plain,
)
from rulelint.load.model import FieldDecl, Header, Limits, Rule, validate_header, validate_rule
from rulelint.report.findings import Finding, Location, Severity
from rulelint.util import progress
from rulelint.util.lines import split_lines

# ``json.dumps(value, sort_keys=True, default=str)``, without building an encoder per call,
# and without the circular-reference check (a rule dumped by pydantic is a tree): the same
# text, a third faster (fingerprints depend on it, so it must stay byte for byte)
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, default=str, check_circular=False).encode
SUPPRESS_RE = re.compile(r"#\s*rulelint:\s*ignore\[([A-Za-z0-9_,\s-]*)\]\s*(.*)$")


@dataclass(eq=False, slots=True)
class RuleEntry:
    """A rule as loaded: the validated model plus where it is and what it means."""

    rule: Rule
    file: str
    line: int
    end_line: int
    pos: int  # load order: position among all rules of the ruleset (files sorted by path)
    raw: LocDict
    conditions: dict[str, Condition] = field(default_factory=dict)
    valid: bool = True  # conditions parsed and fit their field kinds
    box: dict | None = None  # exact match set; for glob rules an over-approximation
    under: dict | None = None  # a sure subset of the match set (== box when exact)
    exact: bool = True
    order: int = 0  # position in evaluation order (priority, then load order)
    suppress: dict[str, str] = field(default_factory=dict)  # code -> reason
    suppress_line: int | None = None
    id_line: int = 0
    content_: str | None = None  # ``content()``, computed on first use (the rule is frozen)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def action(self) -> str:
        return self.rule.action

    @property
    def enabled(self) -> bool:
        return self.rule.enabled

    @property
    def live(self) -> bool:
        """Takes part in decisions: enabled, valid and able to match something."""
        return self.rule.enabled and self.valid and self.box is not None

    def where(self, seen_from: str | None = None) -> str:
        """``line 12`` when seen from the same file, else ``rules/b.yaml:12``."""
        return f"line {self.line}" if seen_from == self.file else f"{self.file}:{self.line}"

    def location(self) -> Location:
        return Location(self.file, self.line, self.id)

    def content(self) -> str:
        """Canonical content, for fingerprints: never includes line numbers."""
        if self.content_ is None:
            self.content_ = _CANONICAL_JSON(self.rule.model_dump(mode="json"))
        return self.content_


@dataclass(slots=True)
class FileInfo:
    source: SourceFile
    doc: YamlDocument
    header: Header | None = None
    rule_count: int = 0  # entries in its `rules:` list, valid or not


@dataclass(eq=False)
class RuleSet:
    name: str
    semantics: str = "first-match"
    limits: Limits = field(default_factory=Limits)
    files: list[FileInfo] = field(default_factory=list)
    rules: list[RuleEntry] = field(default_factory=list)  # evaluation order
    domains: dict[str, Domain] = field(default_factory=dict)
    slot_count: int = 0  # every entry in the rules lists, including invalid ones
    header_file: str | None = None
    declared: frozenset[str] = frozenset()  # fields whose kind is declared (config, headers)

    @property
    def max_rules(self) -> int | None:
        return self.limits.max_rules

    @property
    def warn_ratio(self) -> float:
        return self.limits.warn_ratio if self.limits.warn_ratio is not None else 0.8

    def by_id(self) -> dict[str, RuleEntry]:
        out: dict[str, RuleEntry] = {}
        for r in self.rules:
            out.setdefault(r.id, r)
        return out

    def live_rules(self) -> list[RuleEntry]:
        return [r for r in self.rules if r.live]


@dataclass
class Project:
    settings: Settings
    files: list[FileInfo] = field(default_factory=list)
    rulesets: dict[str, RuleSet] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # RL001-RL005
    used_default_paths: bool = False

    @property
    def rule_count(self) -> int:
        return sum(rs.slot_count for rs in self.rulesets.values())

    def all_rules(self) -> list[RuleEntry]:
        return [r for rs in self.rulesets.values() for r in rs.rules]


# --- building -----------------------------------------------------------------------------


def load_project(
    sources: list[SourceFile], settings: Settings, texts: dict[str, str] | None = None
) -> Project:
    """Read and validate every file. ``texts`` (display path -> text) replaces reading from
    disk, for ``--base`` (the other side comes from git)."""
    project = Project(settings)
    staged: dict[str, list[tuple[FileInfo, list[tuple[Any, int]]]]] = defaultdict(list)
    for src in sources:
        if texts is not None:
            doc = parse_text(texts[src.display], src.display)
        else:
            doc = load_file(src.path, src.display, src.data)
        info = FileInfo(src, doc)
        project.files.append(info)
        progress.current().advance()
        for p in doc.problems:
            project.findings.append(
                Finding(
                    p.code,
                    p.message,
                    src.display,
                    p.line,
                    p.column,
                    severity=Severity(p.severity) if p.severity else None,
                )
            )
        raw_rules = _header(info, project)
        if raw_rules is None:
            continue
        name = _ruleset_name(info, settings)
        staged[name].append((info, raw_rules))
    for name, parts in staged.items():
        project.rulesets[name] = _build_ruleset(name, parts, project)
    _name_rules_in_yaml_findings(project)
    return project


def _name_rules_in_yaml_findings(project: Project) -> None:
    """A YAML-level problem inside a rule (a bad date, a repeated key) names that rule."""
    unnamed = [f for f in project.findings if not f.rule_ids and f.line is not None]
    if not unnamed:
        return
    spans: dict[str, list[tuple[int, int, str, str]]] = defaultdict(list)
    for rs in project.rulesets.values():
        for info in rs.files:
            data = info.doc.data
            rules = data.get("rules") if isinstance(data, dict) else None
            for raw in rules if isinstance(rules, list) else ():
                ids = _raw_id(raw)
                if ids and isinstance(raw, LocDict):
                    spans[info.source.display].append((raw.line, raw.end_line, ids[0], rs.name))
    ends = {file: _sorted_ends(s) for file, s in spans.items()}
    for f in unnamed:
        if f.file not in spans:
            continue
        found = _first_span(spans[f.file], ends[f.file], f.line)
        if found is not None:
            f.rule_ids = [found[2]]
            f.ruleset = found[3]


def _sorted_ends(spans: list[tuple[int, int, str, str]]) -> list[int] | None:
    """The spans' end lines when starts and ends both never decrease (the items of one list,
    in order; an alias to an earlier rule breaks that), else None."""
    for a, b in zip(spans, spans[1:], strict=False):
        if b[0] < a[0] or b[1] < a[1]:
            return None
    return [s[1] for s in spans]


def _first_span(spans, ends: list[int] | None, line: int):
    """The first span holding ``line``. With ordered spans, those holding it run from the
    first that ends at or after it, if that one starts at or before it."""
    if ends is None:
        return next((s for s in spans if s[0] <= line <= s[1]), None)
    i = bisect.bisect_left(ends, line)
    if i < len(spans) and spans[i][0] <= line:
        return spans[i]
    return None


def _header(info: FileInfo, project: Project) -> list[tuple[Any, int]] | None:
    doc, display = info.doc, info.source.display
    data = doc.data
    if data is None:
        if not doc.problems:
            project.findings.append(
                Finding(
                    "RL002",
                    "file is empty: a rule file is a mapping with a 'rules:' list",
                    display,
                    1,
                )
            )
        return None
    if not isinstance(data, LocDict):
        what = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        project.findings.append(
            Finding(
                "RL002",
                f"the top level is {what}; a rule file is a mapping with a 'rules:' list",
                display,
                getattr(data, "line", 1),
            )
        )
        return None
    header, problems = validate_header(data)
    for p in problems:
        project.findings.append(Finding("RL002", p.message, display, p.line))
    info.header = header
    rules = data.get("rules")
    if not isinstance(rules, LocList):
        if "rules" in data and rules is None:
            return []  # `rules:` with nothing after it: an empty list, as check reads it
        return None if "rules" not in data or not isinstance(rules, list) else []
    info.rule_count = len(rules)
    return [(r, rules.line_of(i)) for i, r in enumerate(rules)]


def _ruleset_name(info: FileInfo, settings: Settings) -> str:
    if info.header is not None and info.header.ruleset:
        return info.header.ruleset
    data = info.doc.data
    if isinstance(data, dict) and isinstance(data.get("ruleset"), str) and data["ruleset"]:
        return data["ruleset"]
    # a config ruleset whose paths match this file
    from fnmatch import fnmatch

    rel = info.source.path
    for name, rs in settings.config.rulesets.items():
        for pattern in rs.paths or []:
            try:
                relp = rel.relative_to(settings.root).as_posix()
            except ValueError:
                relp = rel.as_posix()
            if fnmatch(relp, pattern) or Path(relp).match(pattern):
                return name
    if settings.config.ruleset:
        return settings.config.ruleset
    return info.source.path.stem


def _effective(name: str, files: list[FileInfo], settings: Settings, project: Project):
    """Semantics, limits and field declarations of a ruleset, by precedence."""
    semantics: str | None = None
    limits: dict[str, Any] = {}
    fields: dict[str, FieldDecl] = {}
    origin: dict[str, str] = {}
    for info in files:
        h = info.header
        if h is None:
            continue
        display = info.source.display
        data = info.doc.data
        if h.semantics is not None:
            if semantics is not None and semantics != h.semantics:
                project.findings.append(
                    Finding(
                        "RL002",
                        f"semantics: {h.semantics} here, but {semantics} in {origin['semantics']} "
                        f"(same ruleset {name!r}); one ruleset has one semantics",
                        display,
                        data.line_of("semantics"),
                    )
                )
            else:
                semantics, origin["semantics"] = h.semantics, display
        if h.limits is not None:
            for k, v in h.limits.model_dump(exclude_none=True).items():
                if k in limits and limits[k] != v:
                    project.findings.append(
                        Finding(
                            "RL002",
                            f"limits.{k}: {v} here, but {limits[k]} in {origin['limits.' + k]} "
                            f"(same ruleset {name!r}); set it once",
                            display,
                            data.line_of("limits"),
                        )
                    )
                    continue
                limits[k], origin["limits." + k] = v, display
        if h.fields:
            for f, decl in h.fields.items():
                if f in fields and fields[f] != decl:
                    project.findings.append(
                        Finding(
                            "RL002",
                            f"field {f!r} is declared differently in {origin['fields.' + f]} "
                            f"(same ruleset {name!r}); declare it once",
                            display,
                            data.line_of("fields"),
                        )
                    )
                    continue
                fields[f], origin["fields." + f] = decl, display
    fields.update(settings.config.fields)
    rc = settings.ruleset_config(name)
    if rc is not None:
        if rc.semantics:
            semantics = rc.semantics
        for k, v in rc.model_dump(exclude_none=True).items():
            if k in Limits.model_fields:
                limits[k] = v
    if settings.max_rules is not None:
        limits["max_rules"] = settings.max_rules
    return semantics or "first-match", Limits(**limits), fields


def _build_ruleset(
    name: str, parts: list[tuple[FileInfo, list[tuple[Any, int]]]], project: Project
) -> RuleSet:
    settings = project.settings
    files = [info for info, _ in parts]
    semantics, limits, decls = _effective(name, files, settings, project)
    rs = RuleSet(name, semantics, limits, files)
    rs.header_file = files[0].source.display if files else None
    pos = 0
    for info, raw_rules in parts:
        display = info.source.display
        defaults = info.header.defaults.model_dump(exclude_none=True) if (
            info.header is not None and info.header.defaults is not None
        ) else None
        lines = split_lines(info.doc.text)
        for raw, line in raw_rules:
            rs.slot_count += 1
            rule, problems = validate_rule(raw, defaults, line)
            for p in problems:
                project.findings.append(
                    Finding("RL002", p.message, display, p.line, ruleset=name,
                            rule_ids=_raw_id(raw))
                )
            if rule is None:
                continue
            entry = RuleEntry(
                rule,
                display,
                getattr(raw, "line", line),
                getattr(raw, "end_line", line),
                pos,
                raw,
            )
            entry.id_line = raw.line_of("id")
            _suppressions(entry, lines)
            pos += 1
            _parse_conditions(entry, rs, project)
            rs.rules.append(entry)
    _check_ids(rs, project)
    rs.domains = _kinds(rs, decls, project)
    rs.declared = frozenset(decls)
    memo: dict = {}
    for entry in rs.rules:
        if entry.valid:
            boxes.build_box(entry, rs.domains, memo)
    rs.rules.sort(key=lambda r: (r.rule.priority, r.pos))
    for i, r in enumerate(rs.rules):
        r.order = i
    return rs


def _raw_id(raw: Any) -> list[str]:
    rid = name_of(raw)
    if isinstance(rid, (str, int)) and not isinstance(rid, bool):
        return [str(rid)]
    return []


def _suppressions(entry: RuleEntry, lines: list[str]) -> None:
    idx = entry.id_line - 1
    if not 0 <= idx < len(lines) or "rulelint" not in lines[idx]:
        return
    m = SUPPRESS_RE.search(lines[idx])
    if m is None:
        return
    reason = m.group(2).strip()
    for code in m.group(1).split(","):
        code = code.strip().upper()
        if code:
            entry.suppress[code] = reason
    entry.suppress_line = entry.id_line


def _parse_conditions(entry: RuleEntry, rs: RuleSet, project: Project) -> None:
    match = entry.raw.get("match")
    for fname, raw_cond in entry.rule.match.items():
        line = match.line_of(fname) if isinstance(match, LocDict) else entry.line
        try:
            entry.conditions[fname] = parse_condition(fname, raw_cond, line)
        except AlreadyReported:
            entry.valid = False
        except ConditionError as exc:
            entry.valid = False
            project.findings.append(
                Finding("RL002", f"rule {entry.id!r}: {exc}", entry.file, line,
                        ruleset=rs.name, rule_ids=[entry.id])
            )


def _check_ids(rs: RuleSet, project: Project) -> None:
    first: dict[str, RuleEntry] = {}
    for r in rs.rules:
        prev = first.get(r.id)
        if prev is None:
            first[r.id] = r
            continue
        project.findings.append(
            Finding(
                "RL004",
                f"id {r.id!r} is used twice in ruleset {rs.name!r} (first at {prev.where(r.file)}); "
                "give one of them a new id",
                r.file,
                r.id_line or r.line,
                ruleset=rs.name,
                rule_ids=[r.id, prev.id],
                related=[prev.location()],
            )
        )


# --- field kinds ------------------------------------------------------------------------------


def _kinds(rs: RuleSet, decls: dict[str, FieldDecl], project: Project) -> dict[str, Domain]:
    by_field: dict[str, list[tuple[RuleEntry, Condition]]] = defaultdict(list)
    for r in rs.rules:
        for f, c in r.conditions.items():
            by_field[f].append((r, c))
    domains: dict[str, Domain] = {}
    for f, decl in decls.items():
        domains[f] = Domain(decl.kind, tuple(decl.values or ()), decl.min, decl.max)
    for f, uses in by_field.items():
        declared = f in domains
        if declared:
            kind = domains[f].kind
        else:
            kind = infer_kind([c for _, c in uses])
            domains[f] = Domain(kind)
        dom = domains[f]
        # the condition that fixed the kind, to name in messages (looked for on first need)
        anchor: tuple[RuleEntry, Condition] | None = None
        anchor_found = False
        for r, c in uses:
            if fits(c, kind):
                problem = _domain_problem(c, dom)
                if problem:
                    r.valid = False
                    project.findings.append(
                        Finding("RL002", f"rule {r.id!r}: {problem}", r.file, c.line,
                                ruleset=rs.name, rule_ids=[r.id])
                    )
                continue
            r.valid = False
            if not anchor_found:
                anchor = next(((ar, ac) for ar, ac in uses if kind in possible_kinds(ac)), None)
                anchor_found = True
            if declared:
                why = f"declared {kind}" + (
                    " in the configuration" if f in project.settings.config.fields else ""
                )
            elif anchor is not None:
                ar, ac = anchor
                why = f"{kind} (from {kind_label(ac)} in rule {ar.id!r}, {ar.file}:{ac.line})"
            else:
                why = kind
            hint = ""
            if kind in ("string", "enum") and any(isinstance(v, bool) for v in c.values):
                hint = "; quote yes/no/on/off/true/false to use them as text"
            elif kind in ("string", "enum") and any(isinstance(v, int) for v in c.values):
                hint = "; quote numbers to use them as text"
            project.findings.append(
                Finding(
                    "RL005",
                    f"field {f!r} is {why}, but rule {r.id!r} uses it as {kind_label(c)}{hint}",
                    r.file,
                    c.line,
                    ruleset=rs.name,
                    rule_ids=[r.id] + ([anchor[0].id] if anchor and anchor[0] is not r else []),
                    related=[anchor[0].location()] if anchor and anchor[0] is not r else [],
                )
            )
    return domains


def _domain_problem(c: Condition, dom: Domain) -> str | None:
    if dom.kind == "enum" and c.op in ("eq", "not_in"):
        bad = [v for v in c.values if v not in dom.values]
        if bad:
            return (
                f"{c.field}: {bad[0]!r} is not one of the declared values "
                f"({', '.join(dom.values)})"
            )
    if dom.kind == "int" and c.op in ("eq", "not_in"):
        lo = -math.inf if dom.min is None else dom.min
        hi = math.inf if dom.max is None else dom.max
        bad = [v for v in c.values if not lo <= v <= hi]
        if bad:
            return f"{c.field}: {bad[0]} is outside the declared range {dom.min}..{dom.max}"
    if dom.kind == "ip" and c.op in ("eq", "not_in"):
        for v in c.values:
            if as_ip(v) is None:
                return f"{c.field}: {v!r} is not an IP address or network"
    return None


def rule_bytes(rs: RuleSet) -> int:
    """Size of all enabled rules serialized as compact JSON (for max_bytes)."""
    total = 0
    for r in rs.rules:
        if r.enabled:
            total += len(
                json.dumps(to_plain(r.raw), separators=(",", ":"), default=str, ensure_ascii=False)
                .encode("utf-8")
            )
    return total


def usage(rs: RuleSet) -> list[tuple[str, int, int]]:
    """(measure, used, cap) for every cap the ruleset has: rules, bytes, cost."""
    out = []
    lim = rs.limits
    if lim.max_rules is not None:
        out.append(("rules", rs.slot_count, lim.max_rules))
    if lim.max_bytes is not None:
        out.append(("bytes", rule_bytes(rs), lim.max_bytes))
    if lim.max_cost is not None:
        out.append(("cost", sum(r.rule.cost for r in rs.rules), lim.max_cost))
    return out
