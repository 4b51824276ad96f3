"""Reading YAML safely, with the line of every mapping, key and sequence item.

We do not use ``yaml.load`` or ``yaml.compose``. The C parser's event stream is turned into
plain Python values by a small iterative builder:

* safe by construction: only the standard YAML tags are accepted, nothing is ever
  instantiated from a tag (``!!python/object`` is an error, not an object);
* no recursion, so deep nesting cannot crash the process (libyaml's composer segfaults on
  ``[[[[...`` 100k deep; its event parser does not), and nesting is capped;
* aliases are shared, never copied, and their expanded size is capped ("billion laughs");
* a mapping that repeats a key is reported (PyYAML silently keeps the last value);
* every mapping and sequence remembers where it starts and ends, and every key its line,
  which findings, suppression comments and ``--apply`` need;
* it is faster than ``yaml.load(..., Loader=CSafeLoader)``, whose composer and resolver run
  per node in Python (see benchmarks/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode

try:  # libyaml when present, the pure-Python parser otherwise; both speak the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 64
ALIAS_BUDGET = 1_000_000  # nodes an alias may expand to, beyond the file's own nodes
MAX_FILE_BYTES = 256 * 1024 * 1024

_TAG = "tag:yaml.org,2002:"
_MAP_TAGS = {None, "!", _TAG + "map", _TAG + "omap"}
_SEQ_TAGS = {None, "!", _TAG + "seq"}
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


def short(value: Any, most: int = 60) -> str:
    """A value for a message: its repr, cut to ``most`` characters."""
    text = repr(value)
    return text if len(text) <= most else text[: most - 1] + "…"


class LocDict(dict):
    """A mapping that remembers where it is: its own span and the line of every key."""

    __slots__ = ("line", "col", "end_line", "end_col", "key_lines")

    def __init__(self, line: int = 0, col: int = 0) -> None:
        super().__init__()
        self.line = line
        self.col = col
        self.end_line = line
        self.end_col = col
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LocList(list):
    """A sequence that remembers its span and the line of every item."""

    __slots__ = ("line", "col", "end_line", "end_col", "item_lines")

    def __init__(self, line: int = 0, col: int = 0) -> None:
        super().__init__()
        self.line = line
        self.col = col
        self.end_line = line
        self.end_col = col
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


@dataclass(slots=True)
class YamlProblem:
    """Something wrong with the YAML itself. ``code`` is RL001, RL002 or RL003."""

    code: str
    message: str
    line: int | None = None
    column: int | None = None
    severity: str | None = None  # None: the registry's default


@dataclass(slots=True)
class YamlDocument:
    path: str
    text: str
    data: Any = None
    problems: list[YamlProblem] = field(default_factory=list)
    anchor_lines: set[int] = field(default_factory=set)  # lines that define a YAML anchor

    @property
    def ok(self) -> bool:
        return not any(p.severity is None for p in self.problems) and self.data is not None


class BadScalar(str):
    """A scalar that failed to convert (``2026-02-30``); already reported, so later
    validation must not report it again."""

    __slots__ = ()


class _Fatal(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# --- scalars -----------------------------------------------------------------------------

_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_CONSTRUCTOR = SafeConstructor()
_CONSTRUCT = SafeConstructor.yaml_constructors


def _resolve_plain(value: str) -> str:
    for tag, regexp in _RESOLVERS.get(value[:1] if value else "", ()):
        if regexp.match(value):
            return tag
    return _TAG + "str"


def _scalar(event: yaml.ScalarEvent, problems: list[YamlProblem]) -> Any:
    tag = event.tag
    plain, _quoted = event.implicit
    if tag is None or tag == "!":
        if event.style or not plain or tag == "!":
            return event.value
        tag = _resolve_plain(event.value)
        if tag in (_TAG + "str", _TAG + "merge", _TAG + "value"):  # "<<" and "=" are text
            return event.value
    elif tag not in _SCALAR_TAGS:
        raise _Fatal(_unsupported_tag(tag, event))
    try:
        return _CONSTRUCT[tag](_CONSTRUCTOR, ScalarNode(tag, event.value))
    except (ValueError, ConstructorError, OverflowError) as exc:
        what = {"timestamp": "date"}.get(tag.removeprefix(_TAG), tag.removeprefix(_TAG))
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        problems.append(
            YamlProblem(
                "RL002",
                f"{short(event.value)} is not a valid {what} ({short(detail, 80)}); "
                "quote it if it is text",
                event.start_mark.line + 1,
                event.start_mark.column + 1,
            )
        )
        return BadScalar(event.value)


def _unsupported_tag(tag: str, event: yaml.Event) -> YamlProblem:
    return YamlProblem(
        "RL001",
        f"unsupported YAML tag {tag!r}: rule files hold plain data only (remove the tag)",
        event.start_mark.line + 1,
        event.start_mark.column + 1,
    )


# --- the builder ---------------------------------------------------------------------------


def _build(text: str, problems: list[YamlProblem], anchor_lines: set[int] | None = None) -> Any:
    loader = _Loader(text)
    try:
        return _build_events(loader, problems, anchor_lines if anchor_lines is not None else set())
    finally:
        loader.dispose()


def _build_events(loader: Any, problems: list[YamlProblem], anchor_lines: set[int]) -> Any:
    get = loader.get_event
    anchors: dict[str, Any] = {}
    sizes: dict[int, int] = {}  # id(container) -> expanded node count, for anchored containers
    # A frame: [container, is_map, pending_key, has_key, key_line, anchor, count, merges]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0
    nodes = 0
    expanded = 0

    def add(value: Any, line: int, col: int, weight: int) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        frame[6] += weight
        container = frame[0]
        if frame[1]:
            if not frame[3]:
                if isinstance(value, (dict, list)):
                    raise _Fatal(
                        YamlProblem(
                            "RL001",
                            "a mapping key must be a plain value, not a mapping or a list",
                            line,
                            col,
                        )
                    )
                frame[2], frame[3], frame[4] = value, True, line
                return
            key, key_line = frame[2], frame[4]
            frame[3] = False
            if key == "<<" and isinstance(key, str):
                frame[7].append((value, key_line))
                return
            if key in container:
                first = container.key_lines.get(key, container.line)
                problems.append(
                    YamlProblem(
                        "RL003",
                        f"key {key!r} appears twice in this mapping (first on line {first}); "
                        "YAML would silently keep only the last value: remove one",
                        key_line,
                    )
                )
                return
            container[key] = value
            container.key_lines[key] = key_line
        else:
            container.append(value)
            container.item_lines.append(line)

    while True:
        event = get()
        cls = type(event)
        if cls is yaml.ScalarEvent:
            nodes += 1
            mark = event.start_mark
            value = _scalar(event, problems)
            if event.anchor is not None:
                anchors[event.anchor] = value
                anchor_lines.add(mark.line + 1)
            add(value, mark.line + 1, mark.column + 1, 1)
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            nodes += 1
            mark = event.start_mark
            is_map = cls is yaml.MappingStartEvent
            if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                raise _Fatal(_unsupported_tag(event.tag, event))
            if len(stack) >= MAX_DEPTH:
                raise _Fatal(
                    YamlProblem(
                        "RL001",
                        f"nesting deeper than {MAX_DEPTH} levels: rule files are shallow; "
                        "this looks like a broken or hostile file",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
            container = LocDict(mark.line + 1, mark.column + 1) if is_map else LocList(
                mark.line + 1, mark.column + 1
            )
            if event.anchor is not None:
                anchor_lines.add(mark.line + 1)
            stack.append([container, is_map, None, False, 0, event.anchor, 1, []])
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            frame = stack.pop()
            container = frame[0]
            end = event.end_mark
            container.end_line, container.end_col = end.line + 1, end.column + 1
            if frame[7]:
                _apply_merges(container, frame[7])
            if frame[5] is not None:
                anchors[frame[5]] = container
                sizes[id(container)] = frame[6]
            add(container, container.line, container.col, frame[6])
        elif cls is yaml.AliasEvent:
            mark = event.start_mark
            if event.anchor not in anchors:
                raise _Fatal(
                    YamlProblem(
                        "RL001",
                        f"unknown alias *{event.anchor}",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
            value = anchors[event.anchor]
            weight = sizes.get(id(value), 1)
            expanded += weight
            if expanded > ALIAS_BUDGET + 10 * nodes:
                raise _Fatal(
                    YamlProblem(
                        "RL001",
                        "aliases expand to more than "
                        f"{ALIAS_BUDGET:,} nodes (a 'billion laughs' file?): refusing to read it",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
            add(value, mark.line + 1, mark.column + 1, weight)
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                mark = event.start_mark
                raise _Fatal(
                    YamlProblem(
                        "RL001",
                        "file holds more than one YAML document ('---'): "
                        "put one ruleset per file",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
        elif cls is yaml.StreamEndEvent:
            return root


def _apply_merges(container: LocDict, merges: list[tuple[Any, int]]) -> None:
    """YAML merge keys (``<<: *base``): explicit keys win, earlier merges win over later."""
    for value, line in merges:
        sources = value if isinstance(value, list) else [value]
        for src in sources:
            if not isinstance(src, dict):
                raise _Fatal(
                    YamlProblem("RL001", "'<<' must merge a mapping or a list of mappings", line)
                )
            for k, v in src.items():
                if k not in container:
                    container[k] = v
                    container.key_lines[k] = line


# --- files -----------------------------------------------------------------------------------

_BOM = "\ufeff"


def read_text(path: Path, display: str) -> tuple[str | None, list[YamlProblem]]:
    """Read a file as UTF-8 text, or say precisely why not."""
    try:
        if path.is_dir():
            return None, [YamlProblem("RL001", f"{display} is a directory, not a rule file")]
        if path.exists() and not path.is_file():
            return None, [
                YamlProblem("RL001", f"{display} is not a regular file (a pipe or device?)")
            ]
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                YamlProblem(
                    "RL001",
                    f"file is {size / 2**20:.0f} MiB; rulelint reads rule files up to "
                    f"{MAX_FILE_BYTES // 2**20} MiB",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, [YamlProblem("RL001", f"cannot read {display}: {reason}")]
    return decode(raw)


def decode(raw: bytes) -> tuple[str | None, list[YamlProblem]]:
    problems: list[YamlProblem] = []
    nul = raw.find(b"\x00")
    if nul != -1:
        line = raw.count(b"\n", 0, nul) + 1
        return None, [
            YamlProblem("RL001", "file contains NUL bytes: it is binary, not a YAML rule file", line)
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            YamlProblem(
                "RL001",
                f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                line,
                col,
            )
        ]
    if text.startswith(_BOM):
        text = text[1:]
        problems.append(
            YamlProblem(
                "RL001",
                "file starts with a UTF-8 byte-order mark; it was read, but remove the BOM",
                1,
                1,
                severity="warning",
            )
        )
    return text, problems


_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)


def parse_text(text: str, display: str) -> YamlDocument:
    doc = YamlDocument(display, text)
    try:
        doc.data = _build(text, doc.problems, doc.anchor_lines)
    except _Fatal as fatal:
        doc.problems.append(fatal.problem)
        doc.data = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and exc.problem:
            problem += f" ({exc.context} line {exc.context_mark.line + 1})"
        if mark is not None:
            last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
            if mark.line + 1 > last:
                mark = None
                doc.problems.append(
                    YamlProblem("RL001", f"invalid YAML: {problem} (at the end of the file)", last)
                )
                doc.data = None
                return doc
        hint = ""
        if mark is not None and "\t" in text:
            lines = text.splitlines()
            if 0 <= mark.line < len(lines) and _TAB_INDENT.match(lines[mark.line] + "\n"):
                hint = " (YAML does not allow tabs for indentation; use spaces)"
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        doc.problems.append(
            YamlProblem(
                "RL001",
                f"invalid YAML: {problem}{hint}{where}",
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            )
        )
        doc.data = None
    except yaml.YAMLError as exc:  # reader errors (control characters) and the like
        doc.problems.append(YamlProblem("RL001", f"invalid YAML: {exc}"))
        doc.data = None
    except RecursionError:  # pragma: no cover - the builder is iterative; belt and braces
        doc.problems.append(YamlProblem("RL001", "file nests too deeply to read"))
        doc.data = None
    return doc


def load_file(path: Path, display: str | None = None) -> YamlDocument:
    display = display or str(path)
    text, problems = read_text(path, display)
    if text is None:
        doc = YamlDocument(display, "")
        doc.problems.extend(problems)
        return doc
    doc = parse_text(text, display)
    doc.problems[:0] = problems
    return doc


def to_plain(value: Any) -> Any:
    """Plain dicts and lists (for JSON, pydantic output, hashing)."""
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value
