"""Writing plans back: merged rules as YAML, and text-level edits of rule files.

``--apply`` edits text, not data: it replaces the lines of each rule it merges and deletes
the lines of each rule it removes, and leaves every other byte as it was (comments, key
order, quoting, blank lines). A rule's lines run from its ``-`` to the line before the next
item, minus trailing blank and comment lines, which stay (they may describe the next rule).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rulelint.consolidate.merge import Plan
from rulelint.load.config import ConfigError
from rulelint.load.loading import LocList, to_plain
from rulelint.load.project import FileInfo, RuleEntry, RuleSet
from rulelint.util.atomicio import write_atomic


class _Dumper(yaml.SafeDumper):
    """Block mappings; short lists of scalars in flow style, as people write rules."""


def _repr_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


def _repr_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, dict | list) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _repr_dict)
_Dumper.add_representer(list, _repr_list)


def dump_rule(rule: dict[str, Any], indent: int = 2) -> str:
    """The rule as one item of a ``rules:`` list, indented ``indent`` spaces."""
    body = yaml.dump(rule, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    lines = body.rstrip("\n").split("\n")
    pad = " " * indent
    out = [pad + "- " + lines[0]] + [pad + "  " + line for line in lines[1:]]
    return "\n".join(out) + "\n"


def dump_ruleset(rs: RuleSet, rules: list[dict[str, Any]]) -> str:
    head: dict[str, Any] = {"ruleset": rs.name, "semantics": rs.semantics}
    limits = rs.limits.model_dump(exclude_none=True)
    if limits:
        head["limits"] = limits
    fields = {}
    for f, d in rs.domains.items():
        decl: dict[str, Any] = {"kind": d.kind}
        if d.values:
            decl["values"] = list(d.values)
        if d.min is not None:
            decl["min"] = d.min
        if d.max is not None:
            decl["max"] = d.max
        fields[f] = decl if len(decl) > 1 else d.kind
    if fields:
        head["fields"] = fields
    text = yaml.dump(head, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text + "rules:\n" + "".join(dump_rule(r) for r in rules)


def rule_data(r: RuleEntry, rs: RuleSet) -> dict[str, Any]:
    """A rule as data with its file's defaults made explicit (for a one-file output)."""
    data = to_plain(r.raw)
    for info in rs.files:
        if info.source.display == r.file and info.header is not None and info.header.defaults:
            for k, v in info.header.defaults.model_dump(exclude_none=True).items():
                data.setdefault(k, v)
    return data


def new_rule_list(plan: Plan) -> list[dict[str, Any]]:
    """Every rule of the ruleset after the plan, in evaluation order, as data."""
    rs = plan.ruleset
    gone = {id(x.rule) for x in plan.removed}
    gone |= {id(m) for g in plan.groups for m in g.members if m is not g.keep}
    keeps = {id(g.keep): g for g in plan.groups}
    out = []
    for r in rs.rules:
        if id(r) in gone:
            continue
        g = keeps.get(id(r))
        if g is None:
            out.append(rule_data(r, rs))
            continue
        merged = dict(g.rule)
        for k, v in rule_data(r, rs).items():  # the file's defaults: one file holds them all
            if k not in merged and k not in ("match", "merged_from"):
                merged[k] = v
        out.append({k: merged[k] for k in _ordered(merged)})
    return out


def _ordered(rule: dict[str, Any]) -> list[str]:
    from rulelint.consolidate.merge import RULE_KEY_ORDER

    known = [k for k in RULE_KEY_ORDER if k in rule]
    return known + [k for k in rule if k not in known]


# --- text edits ------------------------------------------------------------------------------


@dataclass
class FileEdit:
    info: FileInfo
    old: str
    new: str

    @property
    def display(self) -> str:
        return self.info.source.display

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"a/{self.display}",
                tofile=f"b/{self.display}",
            )
        )


def _is_blank_or_comment(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


def _spans(info: FileInfo) -> tuple[LocList, list[tuple[int, int, int]]]:
    """(rules list, [(first line index, end line index exclusive, dash indent)] per item)."""
    data = info.doc.data
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, LocList):
        raise ConfigError(f"{info.source.display}: no rules list to edit")
    lines = info.doc.text.split("\n")
    starts = []
    for i, item in enumerate(rules):
        line = rules.line_of(i) - 1
        col = getattr(item, "col", 1) - 1
        if 0 <= line < len(lines) and lines[line][col : col + 1] == "{":
            raise ConfigError(
                f"{info.source.display}:{line + 1}: rules written in flow style ({{...}}) "
                "cannot be edited in place; use --output"
            )
        # find the dash of the item: on this line before the mapping, or on a line above
        d = line
        while d >= 0:
            stripped = lines[d].lstrip(" ")
            indent = len(lines[d]) - len(stripped)
            if stripped.startswith("-") and (d < line or indent < col):
                break
            d -= 1
        if d < 0:
            raise ConfigError(f"{info.source.display}:{line + 1}: cannot find where this rule starts")
        starts.append((d, len(lines[d]) - len(lines[d].lstrip(" "))))
    end_line = rules.end_line - 1 if rules.end_col == 1 else rules.end_line
    spans = []
    for i, (start, indent) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else min(end_line, len(lines))
        while end - 1 > start and _is_blank_or_comment(lines[end - 1]):
            end -= 1
        spans.append((start, end, indent))
    return rules, spans


def plan_edits(plan: Plan) -> list[FileEdit]:
    """The text edits that apply the plan, per file (only files that change)."""
    rs = plan.ruleset
    replace: dict[int, dict[str, Any]] = {id(g.keep): g.rule for g in plan.groups}
    delete: set[int] = {id(m) for g in plan.groups for m in g.members if m is not g.keep}
    delete |= {id(x.rule) for x in plan.removed}
    by_file: dict[str, list[RuleEntry]] = {}
    for r in rs.rules:
        if id(r) in replace or id(r) in delete:
            by_file.setdefault(r.file, []).append(r)
    edits = []
    for info in rs.files:
        touched = by_file.get(info.source.display)
        if not touched:
            continue
        if any(p.severity is None for p in info.doc.problems):
            raise ConfigError(f"{info.source.display} has parse errors; fix them before --apply")
        rules, spans = _spans(info)
        pos_of = {id(item): i for i, item in enumerate(rules)}
        lines = info.doc.text.split("\n")
        new_lines: list[str] = []
        cut: dict[int, tuple[int, int, int, RuleEntry]] = {}
        for r in touched:
            i = pos_of.get(id(r.raw))
            if i is None:
                raise ConfigError(f"{info.source.display}: cannot locate rule {r.id!r}")
            s, e, indent = spans[i]
            for n in range(s, e):
                if n + 1 in info.doc.anchor_lines:
                    raise ConfigError(
                        f"{info.source.display}:{n + 1}: rule {r.id!r} defines a YAML anchor that "
                        "other rules may use; --apply will not rewrite it (use --output)"
                    )
            cut[s] = (s, e, indent, r)
        eol = "\r" if info.doc.text.count("\r\n") > info.doc.text.count("\n") // 2 else ""
        k = 0
        while k < len(lines):
            if k in cut:
                s, e, indent, r = cut[k]
                if id(r) in replace:
                    new_lines.extend(
                        line + eol
                        for line in dump_rule(replace[id(r)], indent).rstrip("\n").split("\n")
                    )
                else:
                    # a deleted rule takes its own comment lines just above it, and one
                    # blank separator, so no hole is left where it stood
                    while (
                        new_lines
                        and new_lines[-1].strip().startswith("#")
                        and len(new_lines[-1]) - len(new_lines[-1].lstrip(" ")) == indent
                    ):
                        new_lines.pop()
                    if (not new_lines or not new_lines[-1].strip()) and e < len(lines):
                        while e < len(lines) and not lines[e].strip() and e not in cut:
                            e += 1
                k = e
                continue
            new_lines.append(lines[k])
            k += 1
        edits.append(FileEdit(info, info.doc.text, "\n".join(new_lines)))
    return edits


def _encoded(info: FileInfo, text: str) -> bytes:
    bom = any("byte-order mark" in p.message for p in info.doc.problems)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def apply_edits(edits: list[FileEdit]) -> None:
    """Write every edit atomically; refuse a file that changed since it was read."""
    for edit in edits:
        path: Path = edit.info.source.path
        write_atomic(path, _encoded(edit.info, edit.new), expect=_encoded(edit.info, edit.old))


def write_output(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))
