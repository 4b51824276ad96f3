"""Writing plans back: merged rules as YAML, and text-level edits of rule files.

``--apply`` edits text, not data: it replaces the lines of each rule it merges and deletes
the lines of each rule it removes, and leaves every other byte as it was (comments, key
order, quoting, blank lines). A rule's lines run from its ``-`` to the line before the next
item, minus trailing blank and comment lines, which stay (they may describe the next rule).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rulelint.consolidate.merge import Plan
from rulelint.load.config import ConfigError
from rulelint.load.loading import LocDict, LocList, to_plain
from rulelint.load.project import FileInfo, RuleEntry, RuleSet
from rulelint.util.atomicio import write_atomic
from rulelint.util.lines import body, dominant_break, line_break, split_keepends


class _Dumper(yaml.SafeDumper):
    """Block mappings; short lists of scalars in flow style, as people write rules. Never
    anchors and aliases (a merged rule whose ``created`` equals its ``reviewed`` holds one
    date object twice; two such rules in one file would repeat ``&id001``)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _repr_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # a line break of any kind inside a plain or single-quoted scalar is folded by the
    # parser (NEL does not even survive): double quotes write it as an escape
    style = '"' if any(c in data for c in "\r\n\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=style)


def _repr_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


def _repr_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, dict | list) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _repr_datetime(dumper: yaml.SafeDumper, data: dt.datetime) -> yaml.Node:
    # an explicit ``!!timestamp '2026-01-01 10:00:00'`` is read as a date-time, which a
    # condition matches as its ISO text (``2026-01-01T10:00:00``, load/conditions.py);
    # PyYAML writes it back plain with a space, which the loader reads as the text as
    # written (``2026-01-01 10:00:00``): another value. The ISO text, plain, reads back as
    # the same condition value and (in created/reviewed/expires) as the same date.
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", data.isoformat())


_Dumper.add_representer(str, _repr_str)
_Dumper.add_representer(dt.datetime, _repr_datetime)
_Dumper.add_representer(dict, _repr_dict)
_Dumper.add_representer(list, _repr_list)


def dump_rule(rule: dict[str, Any], indent: int = 2) -> str:
    """The rule as one item of a ``rules:`` list, indented ``indent`` spaces. A value YAML
    cannot write (one the loader could not convert) is refused, naming the rule."""
    try:
        text = yaml.dump(rule, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"rule {rule.get('id')!r}: a value cannot be written back as YAML ({exc}); "
            "fix it in the rule file (`rulelint check` names it) and run again"
        ) from None
    lines = text.rstrip("\n").split("\n")
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
#
# Lines are the parser's lines (util/lines.py): a loader line number n is ``lines[n - 1]``,
# whatever breaks the file uses (\n, \r\n, \r, NEL, U+2028, U+2029). Every line keeps its own
# break; new lines get the file's dominant one (\n, \r\n or \r).


@dataclass
class FileEdit:
    info: FileInfo
    old: str
    new: str
    declared: dict[str, str] = field(default_factory=dict)  # field -> kind added to `fields:`

    @property
    def display(self) -> str:
        return self.info.source.display

    @property
    def path(self) -> Path:
        return self.info.source.path

    def old_bytes(self) -> bytes:
        return _encoded(self.info, self.old)

    def new_bytes(self) -> bytes:
        return _encoded(self.info, self.new)

    def diff(self) -> str:
        """A unified diff for people to read. Lines are split as the parser splits them;
        a line break other than \\n and \\r\\n is shown as \\n (a CR-only file would
        otherwise print over itself)."""
        out = []
        for line in difflib.unified_diff(
            _diff_lines(self.old), _diff_lines(self.new),
            fromfile=f"a/{self.display}", tofile=f"b/{self.display}",
        ):
            out.append(line)
        return "".join(out)


def _diff_lines(text: str) -> list[str]:
    out = []
    for line in split_keepends(text):
        brk = line_break(line)
        if brk not in ("\n", "\r\n"):
            line = body(line) + "\n" if brk else line + "\n\\ No newline at end of file\n"
        out.append(line)
    return out


def _is_blank_or_comment(line: str) -> bool:
    s = body(line).strip(" \t")
    return not s or s.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _spans(info: FileInfo, lines: list[str]) -> tuple[LocList, list[tuple[int, int, int]]]:
    """(rules list, [(first line index, end line index exclusive, dash indent)] per item),
    on the parser's lines (``lines`` from ``split_keepends``)."""
    display = info.source.display
    data = info.doc.data
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, LocList):
        raise ConfigError(f"{display}: no rules list to edit")
    starts = []
    for i, item in enumerate(rules):
        line = rules.line_of(i) - 1
        col = getattr(item, "col", 1) - 1
        if 0 <= line < len(lines) and lines[line][col : col + 1] == "{":
            raise ConfigError(
                f"{display}:{line + 1}: rules written in flow style ({{...}}) "
                "cannot be edited in place; use --output"
            )
        # find the dash of the item: on this line before the mapping, or on a line above
        d = min(line, len(lines) - 1)
        while d >= 0:
            stripped = lines[d].lstrip(" ")
            if stripped.startswith("-") and (d < line or _indent(lines[d]) < col):
                break
            d -= 1
        if d < 0 or (starts and d <= starts[-1][0]):
            raise ConfigError(f"{display}:{line + 1}: cannot find where this rule starts")
        starts.append((d, _indent(lines[d])))
    end_line = rules.end_line - 1 if rules.end_col == 1 else rules.end_line
    spans = []
    for i, (start, indent) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else min(end_line, len(lines))
        while end - 1 > start and _is_blank_or_comment(lines[end - 1]):
            end -= 1
        if end <= start:
            raise ConfigError(f"{display}:{start + 1}: cannot find where this rule ends")
        spans.append((start, end, indent))
    return rules, spans


def _key_text(name: str, kind: str) -> str:
    """``name: kind`` as YAML (the name quoted if it must be)."""
    flow = yaml.dump([name], Dumper=_Dumper, width=10_000).strip()  # "[name]", quoted if need be
    return f"{flow[1:-1]}: {kind}"


def _declare_fields(
    info: FileInfo, lines: list[str], kinds: dict[str, str], eol: str, shift: int
) -> None:
    """Add ``field: kind`` entries to the file's ``fields:`` header (adding the key before
    ``rules:`` when there is none), editing ``lines`` in place, byte-exact elsewhere.
    ``lines`` are the file's lines after the rule edits; ``shift`` is how many lines those
    added (negative: removed), which moves a header written after the rules list."""
    display = info.source.display
    data = info.doc.data
    entries = [_key_text(f, k) for f, k in sorted(kinds.items())]
    if not isinstance(data, LocDict):
        raise ConfigError(f"{display}: no header to declare field kinds in")
    if "fields" not in data:
        at = data.line_of("rules") - 1
        pad = " " * max(0, data.col - 1)
        if not 0 <= at < len(lines) or not lines[at].startswith(pad + "rules"):
            raise ConfigError(
                f"{display}: cannot add a fields: header; declare {', '.join(entries)} "
                "under fields: yourself and run again"
            )
        lines.insert(at, pad + "fields: {" + ", ".join(entries) + "}" + eol)
        return
    fm = data["fields"]
    if not isinstance(fm, LocDict) or fm.line < 1:
        raise ConfigError(
            f"{display}:{data.line_of('fields')}: fields: is not a mapping; declare "
            f"{', '.join(entries)} there yourself and run again"
        )
    if fm.line > data.line_of("rules"):  # written after the rules: moved by the edits
        fm_line, fm_end = fm.line + shift, fm.end_line + shift
    else:
        fm_line, fm_end = fm.line, fm.end_line
    first = lines[fm_line - 1] if fm_line - 1 < len(lines) else ""
    if first[fm.col - 1 : fm.col] == "{":  # flow mapping: insert before its closing brace
        row, col = fm_end - 1, fm.end_col - 2
        line = lines[row] if row < len(lines) else ""
        if line[col : col + 1] != "}":
            raise ConfigError(f"{display}:{fm.line}: cannot find the end of fields: {{...}}")
        text = ", ".join(entries)
        before = line[:col].rstrip(" ")
        if not before.endswith("{"):
            text = ", " + text
        lines[row] = line[:col] + text + line[col:]
        return
    # block mapping: new entries after its last entry, at its indent
    end = fm_end - 1 if fm.end_col == 1 else fm_end
    end = min(end, len(lines))
    while end - 1 > fm_line - 1 and _is_blank_or_comment(lines[end - 1]):
        end -= 1
    if end >= 1 and not line_break(lines[end - 1]):
        lines[end - 1] += eol
    pad = " " * (fm.col - 1)
    for n, e in enumerate(entries):
        lines.insert(end + n, pad + e + eol)


def plan_edits(plan: Plan, declare: dict[str, str] | None = None) -> list[FileEdit]:
    """The text edits that apply the plan, per file (only files that change). ``declare``
    (field -> kind) is added to one file's ``fields:`` header (the first file of the
    ruleset that has one, else the first file), so no field changes kind."""
    rs = plan.ruleset
    replace: dict[int, dict[str, Any]] = {id(g.keep): g.rule for g in plan.groups}
    delete: set[int] = {id(m) for g in plan.groups for m in g.members if m is not g.keep}
    delete |= {id(x.rule) for x in plan.removed}
    by_file: dict[str, list[RuleEntry]] = {}
    for r in rs.rules:
        if id(r) in replace or id(r) in delete:
            by_file.setdefault(r.file, []).append(r)
    declare_in = None
    if declare:
        with_fields = [
            i for i in rs.files if isinstance(i.doc.data, dict) and "fields" in i.doc.data
        ]
        declare_in = (with_fields or rs.files)[0].source.display
    edits = []
    for info in rs.files:
        touched = by_file.get(info.source.display, [])
        kinds = declare if declare and info.source.display == declare_in else {}
        if not touched and not kinds:
            continue
        if any(p.severity is None for p in info.doc.problems):
            raise ConfigError(f"{info.source.display} has parse errors; fix them before --apply")
        lines = split_keepends(info.doc.text)
        eol = dominant_break(info.doc.text)
        rules, spans = _spans(info, lines)
        pos_of = {id(item): i for i, item in enumerate(rules)}
        cut: dict[int, tuple[int, int, int, RuleEntry]] = {}
        for r in touched:
            i = pos_of.get(id(r.raw))
            if i is None:
                raise ConfigError(f"{info.source.display}: cannot locate rule {r.id!r}")
            s, e, indent = spans[i]
            if not s < r.id_line <= e:
                raise ConfigError(
                    f"{info.source.display}:{r.line}: rule {r.id!r} is not where the parser "
                    "put it; nothing was written (please report this file)"
                )
            for n in range(s, e):
                if n + 1 in info.doc.anchor_lines:
                    raise ConfigError(
                        f"{info.source.display}:{n + 1}: rule {r.id!r} defines a YAML anchor that "
                        "other rules may use; --apply will not rewrite it (use --output)"
                    )
            cut[s] = (s, e, indent, r)
        new_lines: list[str] = []
        k = 0
        while k < len(lines):
            if k in cut:
                s, e, indent, r = cut[k]
                if id(r) in replace:
                    block = dump_rule(replace[id(r)], indent).rstrip("\n").split("\n")
                    new_lines.extend(line + eol for line in block[:-1])
                    new_lines.append(block[-1] + line_break(lines[e - 1]))
                else:
                    # a deleted rule takes its own comment lines just above it, and one
                    # blank separator, so no hole is left where it stood
                    while (
                        new_lines
                        and body(new_lines[-1]).strip(" \t").startswith("#")
                        and _indent(new_lines[-1]) == indent
                    ):
                        new_lines.pop()
                    if (not new_lines or _blank(new_lines[-1])) and e < len(lines):
                        while e < len(lines) and _blank(lines[e]) and e not in cut:
                            e += 1
                k = e
                continue
            new_lines.append(lines[k])
            k += 1
        if kinds:
            _declare_fields(info, new_lines, kinds, eol, len(new_lines) - len(lines))
        new = "".join(new_lines)
        if lines and not line_break(lines[-1]) and new_lines:
            new = body(new) if new_lines[-1] is not lines[-1] else new  # no break at the end
        edits.append(FileEdit(info, info.doc.text, new, dict(kinds)))
    return edits


def _blank(line: str) -> bool:
    return not body(line).strip(" \t")


def _encoded(info: FileInfo, text: str) -> bytes:
    bom = any("byte-order mark" in p.message for p in info.doc.problems)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def output_text(rs: RuleSet, plan: Plan) -> str:
    """The complete new rule set as one file (``--output``)."""
    return dump_ruleset(rs, new_rule_list(plan))


def apply_edits(edits: list[FileEdit]) -> None:
    """Write every edit atomically, refusing a file that changed since it was read. Not
    verified: commands go through ``consolidate.writeback.write_back`` (tests and library
    callers that check the result themselves may use this)."""
    for edit in edits:
        write_atomic(edit.path, edit.new_bytes(), expect=edit.old_bytes())
