"""``review --mark-reviewed``: write ``reviewed: D`` into rules, byte-exact everywhere else.

The edit is planned on the text with the positions libyaml itself reports (the C parser's
event marks: character offsets, with its own idea of a line break, which besides ``\\n``,
``\\r\\n`` and a lone ``\\r`` includes NEL, U+2028 and U+2029), so nothing is re-serialised:

* a rule that has the key gets its value's span replaced, keeping its quoting (a quoted
  ``'2026-01-10'`` becomes ``'2026-03-01'``);
* a block-style rule without it gets one new line ``reviewed: D`` at the column of its keys,
  before the first key that comes after ``reviewed`` in the usual key order (and the comment
  lines just above that key), else after the rule's last line; the new line ends with the
  line break of the line above it (CRLF files stay CRLF) when an editor sees it as one, else
  with the file's dominant ``\n``, ``\r\n`` or ``\r`` (never NEL, U+2028 or U+2029:
  ``util.lines.new_line_break``, where every line helper used here lives);
* a flow-style rule (``- {id: a, action: x, match: {...}}``) gets ``, reviewed: D`` after its
  last value.

``write_marked`` first checks the planned text (it must load as the old rules except
``reviewed`` of the rules marked, which must be D, with the header unchanged), then writes
through ``writeback.write_back``, the one verified writer: reloaded with the normal loader,
compared with the plan rule by rule, the original bytes put back when anything differs
(exit 2). Nothing is written when any id is unknown.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rulelint.consolidate.merge import RULE_KEY_ORDER
from rulelint.load.loading import decode, parse_text, to_plain
from rulelint.load.project import Project, RuleEntry, RuleSet
from rulelint.util.errors import ConfigError
from rulelint.util.lines import (
    BREAKS,
    line_end,
    line_number,
    line_start,
    new_line_break,
    next_line_start,
    prev_line_start,
)

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

KEY = "reviewed"
_RANK = {k: i for i, k in enumerate(RULE_KEY_ORDER)}  # the key order rule files are written in
_BOM = b"\xef\xbb\xbf"


@dataclass
class _Key:
    name: Any
    start: int  # the key scalar's first character
    end: int
    value_start: int = 0
    value_end: int = 0
    value_kind: str = "scalar"  # scalar | alias | container
    value_style: str | None = None
    value_props: bool = False  # the value has an anchor or an explicit tag
    value: Any = None  # a scalar value's text


@dataclass
class _Item:
    """One item of the top-level ``rules:`` list, as spans of the text."""

    start: int
    flow: bool
    anchored: bool
    keys: list[_Key] = field(default_factory=list)
    last_end: int = 0  # end of the last scalar, alias or flow collection inside the item
    is_map: bool = True

    def key(self, name: str) -> _Key | None:
        return next((k for k in self.keys if k.name == name), None)

    @property
    def id(self) -> str | None:
        k = self.key("id")
        return None if k is None or k.value_kind != "scalar" else k.value


def rule_items(text: str) -> list[_Item]:
    """The items of the top-level ``rules:`` list with the spans of their keys and values."""
    loader = _Loader(text)
    try:
        return _walk(loader, text)
    finally:
        loader.dispose()


def _walk(loader: Any, text: str) -> list[_Item]:
    items: list[_Item] = []
    depth = 0  # 1: the top mapping, 2: the rules list, 3: an item, deeper: inside an item
    top_expect_key = True
    top_key: Any = None
    in_rules = False
    item: _Item | None = None
    item_expect_key = True
    pending: _Key | None = None  # the item key whose value comes next
    container_key: _Key | None = None  # the item key whose container value is open
    flow_stack: list[bool] = []
    while True:
        e = loader.get_event()
        cls = type(e)
        if cls is yaml.StreamEndEvent:
            return items
        if cls in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
            depth += 1
            flow_stack.append(bool(e.flow_style))
            if depth == 1:
                continue
            if depth == 2:
                in_rules = top_key == "rules" and cls is yaml.SequenceStartEvent
                top_expect_key = True
                continue
            if depth == 3 and in_rules:
                item = _Item(e.start_mark.index, bool(e.flow_style), e.anchor is not None,
                             is_map=cls is yaml.MappingStartEvent)
                item_expect_key = True
                items.append(item)
                continue
            if depth == 4 and item is not None and pending is not None:
                pending.value_start = e.start_mark.index
                pending.value_kind = "container"
                pending.value_props = e.anchor is not None or e.tag is not None
                container_key, pending = pending, None
            continue
        if cls in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            flow = flow_stack.pop() if flow_stack else False
            if depth >= 4 and item is not None and flow:
                item.last_end = e.end_mark.index
            if depth == 4 and item is not None and container_key is not None:
                container_key.value_end = e.end_mark.index
                container_key = None
                item_expect_key = True
            if depth == 3:
                item = None
            if depth == 2:
                in_rules = False
                top_expect_key = True
            depth -= 1
            continue
        if cls not in (yaml.ScalarEvent, yaml.AliasEvent):
            continue
        # a scalar or an alias
        if depth == 1:
            if top_expect_key:
                top_key = e.value if cls is yaml.ScalarEvent else None
            top_expect_key = not top_expect_key
            continue
        if item is None or depth < 3:
            continue
        item.last_end = e.end_mark.index
        if depth > 3 or not item.is_map:
            continue
        if item_expect_key:
            pending = _Key(e.value if cls is yaml.ScalarEvent else None,
                           e.start_mark.index, e.end_mark.index)
            item.keys.append(pending)
            item_expect_key = False
            continue
        if pending is not None:
            pending.value_start, pending.value_end = e.start_mark.index, e.end_mark.index
            if cls is yaml.AliasEvent:
                pending.value_kind = "alias"
            else:
                pending.value_style = e.style or None
                pending.value_props = e.anchor is not None or e.tag is not None
                pending.value = e.value
            pending = None
        item_expect_key = True


# --- the text edit ---------------------------------------------------------------------------


def _is_comment_line(text: str, start: int) -> bool:
    return text[start : line_end(text, start)].strip(" \t").startswith("#")


def _quoted(style: str | None, value: str) -> str:
    if style == "'":
        return f"'{value}'"
    if style == '"':
        return f'"{value}"'
    return value


def _edit(text: str, item: _Item, value: str, where: str) -> tuple[int, int, str]:
    """(start, end, replacement) that sets ``reviewed`` of ``item`` to ``value``."""
    if item.anchored:
        raise ConfigError(
            f"{where}: the rule defines a YAML anchor that other rules may merge; "
            f"set `{KEY}:` by hand"
        )
    have = item.key(KEY)
    if have is not None:
        if have.value_kind == "container" or have.value_props or have.value_style in ("|", ">"):
            raise ConfigError(
                f"{where}: `{KEY}:` holds a {'tagged or anchored' if have.value_props else 'multi-line or nested'} "
                f"value; set it to a plain date by hand"
            )
        if have.value_start == have.value_end:  # an empty value: `reviewed:`
            colon = text.find(":", have.end)
            if colon < 0:  # pragma: no cover - the parser saw a key and a value
                raise ConfigError(f"{where}: cannot find the ':' after `{KEY}`")
            if text[colon + 1 : colon + 2] == " ":
                return colon + 2, colon + 2, value
            return colon + 1, colon + 1, " " + value
        return have.value_start, have.value_end, _quoted(have.value_style, value)
    if item.flow:
        return item.last_end, item.last_end, f", {KEY}: {value}"
    if not item.keys:  # pragma: no cover - a rule without keys has no id to mark
        raise ConfigError(f"{where}: the rule has no keys")
    col = item.keys[0].start - line_start(text, item.keys[0].start)
    first_line = line_start(text, item.keys[0].start)
    for k in item.keys[1:]:
        if _RANK.get(k.name, -1) <= _RANK[KEY]:
            continue
        pos = line_start(text, k.start)
        if text[pos : k.start].strip(" ") or pos <= first_line:
            continue  # not the first thing on its line: look further
        while True:  # the comment lines just above the key stay with it
            prev = prev_line_start(text, pos)
            if prev <= first_line or not _is_comment_line(text, prev):
                break
            pos = prev
        return pos, pos, " " * col + f"{KEY}: {value}" + new_line_break(text, pos)
    end = item.last_end
    if end > 0 and text[end - 1] in BREAKS:  # a block scalar ends after its line breaks
        pos: int | None = end
    else:
        pos = next_line_start(text, end)
    if pos is None:  # the rule's last line is the file's last, without a line break
        return len(text), len(text), new_line_break(text) + " " * col + f"{KEY}: {value}"
    return pos, pos, " " * col + f"{KEY}: {value}" + new_line_break(text, pos)


def mark_text(text: str, ids: set[str], date: dt.date, display: str) -> tuple[str, list[str]]:
    """The text with ``reviewed: date`` in every rule whose id is in ``ids``, and the ids
    marked (in file order)."""
    value = date.isoformat()
    edits = []
    marked = []
    for item in rule_items(text):
        rid = item.id
        if rid is None or rid not in ids:
            continue
        where = f"{display}:{line_number(text, item.start)}: rule {rid!r}"
        edits.append(_edit(text, item, value, where))
        marked.append(rid)
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, marked


# --- planning, writing, verifying -----------------------------------------------------------


@dataclass
class FilePlan:
    path: Path  # the file to write (symlinks resolved)
    display: str
    old: bytes
    new: bytes
    ids: list[str]


def plan_file(path: Path, display: str, ids: set[str], date: dt.date) -> FilePlan:
    """Read ``path`` and plan the edit of the rules with those ids."""
    target = Path(os.path.realpath(path))
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {display}: {exc.strerror or exc}") from None
    text, problems = decode(raw)
    if text is None:
        raise ConfigError(f"{display}: {problems[0].message}")
    doc = parse_text(text, display)
    bad = [p for p in doc.problems if p.severity is None]
    if bad:
        where = f"{display}:{bad[0].line}" if bad[0].line else display
        raise ConfigError(f"{where}: {bad[0].message}; fix it before --mark-reviewed")
    new_text, marked = mark_text(text, ids, date, display)
    bom = _BOM if raw.startswith(_BOM) else b""
    return FilePlan(target, display, raw, bom + new_text.encode("utf-8"), marked)


def _rules_and_header(data: bytes, display: str) -> tuple[list[Any], dict[str, Any], bool]:
    text, _ = decode(data)
    if text is None:
        return [], {}, False
    doc = parse_text(text, display)
    ok = not any(p.severity is None for p in doc.problems) and isinstance(doc.data, dict)
    if not ok:
        return [], {}, False
    plain = to_plain(doc.data)
    rules = plain.pop("rules", None)
    return rules if isinstance(rules, list) else [], plain, True


def check_reload(plan: FilePlan, written: bytes, date: dt.date) -> str | None:
    """None when ``written`` loads as the old rules with ``reviewed: date`` in the marked
    ones and nothing else changed; else what differs."""
    old_rules, old_head, _ = _rules_and_header(plan.old, plan.display)
    new_rules, new_head, ok = _rules_and_header(written, plan.display)
    if not ok:
        return "it no longer parses"
    if old_head != new_head:
        return "the file header changed"
    if len(old_rules) != len(new_rules):
        return f"it holds {len(new_rules)} rules instead of {len(old_rules)}"
    want = set(plan.ids)
    for old, new in zip(old_rules, new_rules, strict=True):
        rid = old.get("id") if isinstance(old, dict) else None
        if not isinstance(rid, str):  # an id that is not text (a schema error) is never marked
            rid = None
        if not isinstance(old, dict) or not isinstance(new, dict):
            if old != new:
                return f"an entry changed ({rid!r})"
            continue
        if rid in want:
            got = new.get(KEY)
            if str(got) != date.isoformat():
                return f"rule {rid!r} has {KEY}: {got!r} instead of {date.isoformat()}"
            old = {k: v for k, v in old.items() if k != KEY}
            new = {k: v for k, v in new.items() if k != KEY}
        if old != new:
            return f"rule {rid!r} changed beyond `{KEY}`"
    return None


def write_marked(plans: list[FilePlan], marked: list[tuple[RuleSet, RuleEntry]],
                 date: dt.date, reload: Callable[[], Project], project: Project) -> None:
    """Check each planned text (it must load as the old rules with ``reviewed: date`` in the
    marked ones and nothing else changed; else nothing is written), then write them all
    through ``writeback.write_back``: reloaded with the normal loader, compared rule by rule
    with the plan (the marked rules with the new date, every other rule unchanged), and put
    back from memory when anything differs."""
    from rulelint.consolidate.writeback import Planned, write_back

    for plan in plans:
        problem = check_reload(plan, plan.new, date)
        if problem is not None:
            raise ConfigError(
                f"{plan.display}: the planned edit is not what was asked ({problem}); "
                "nothing was written (please report this)"
            )
    by_ruleset: dict[str, tuple[RuleSet, dict[int, dict[str, Any]]]] = {}
    for rs, r in marked:
        data = {**to_plain(r.raw), KEY: date}
        by_ruleset.setdefault(rs.name, (rs, {}))[1][id(r)] = data
    planned = [Planned.after(rs, replaced, prove=False) for rs, replaced in by_ruleset.values()]
    known = Counter((f.file, f.code) for f in project.findings if str(f.severity) == "error")
    for p in planned:  # errors the files already had are not the write's doing
        p.errors_before = known
    write_back({p.path: p.new for p in plans}, {p.path: p.old for p in plans}, reload, planned)
