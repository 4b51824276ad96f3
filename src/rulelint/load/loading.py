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

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode

from rulelint.util.lines import count_lines, split_lines
from rulelint.util.userfile import UserFileError, read_user_bytes

try:  # libyaml when present, the pure-Python parser otherwise; both speak the same events
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 64
ALIAS_BUDGET = 1_000_000  # nodes an alias may expand to, beyond the file's own nodes
MAX_FILE_BYTES = 1024 * 1024 * 1024  # a million generated rules take 260 MiB

_TAG = "tag:yaml.org,2002:"
_MAP_TAGS = {None, "!", _TAG + "map", _TAG + "omap"}
_SEQ_TAGS = {None, "!", _TAG + "seq"}
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


def short(value: Any, most: int = 60) -> str:
    """A value for a message: its repr, cut to ``most`` characters."""
    text = repr(value)
    return text if len(text) <= most else text[: most - 1] + "…"


# keys whose value is a name: a plain scalar that YAML 1.1 reads as something else
# (``id: 12:30`` is the sexagesimal 750, ``id: 0x1F`` 31, ``id: on`` true) keeps its text
NAME_KEYS = frozenset({"id"})


class LocDict(dict):
    """A mapping that remembers where it is: its own span and the line of every key.

    ``written`` holds, for a key of NAME_KEYS, the text of a scalar that YAML read as a
    number, a bool or a date (plain, or with a tag such as ``!!int``): a name is what was
    written (see ``name_of``).

    ``offsets`` holds each key's line minus the mapping's own line: small numbers, which
    Python shares, where absolute lines would be one int object per key (a 100k-rule file
    has a million keys). Once the mapping is read the builder shares equal ``offsets``
    dicts between mappings (most rules of a file are laid out alike), so they are not to be
    changed after loading; ``key_lines`` gives the lines themselves."""

    __slots__ = ("line", "col", "end_line", "end_col", "offsets", "written")

    def __init__(self, line: int = 0, col: int = 0) -> None:  # starts empty, as dict() does
        self.line = line
        self.col = col
        self.end_line = line
        self.end_col = col
        self.offsets: dict[Any, int] = {}
        self.written: dict[Any, str] | None = None

    def line_of(self, key: Any) -> int:
        return self.line + self.offsets.get(key, 0)

    @property
    def key_lines(self) -> dict[Any, int]:
        """Every key's line."""
        line = self.line
        return {k: line + off for k, off in self.offsets.items()}


def name_of(raw: Any, key: str = "id") -> Any:
    """The value of ``raw[key]`` as a name: the text as written when it is a scalar (plain
    or tagged) that YAML read as a number, a bool or a date (``id: 12:30`` is '12:30', not
    750; ``id: 007`` is '007'; ``id: !!int 0x1F`` is '0x1F'); else the value as loaded
    (None when absent or null)."""
    written = getattr(raw, "written", None)
    if written and key in written:
        return written[key]
    return raw.get(key) if isinstance(raw, dict) else None


class LocList(list):
    """A sequence that remembers its span and the line of every item (as ``offsets`` from
    its own line, shared between lists once read, as ``LocDict`` keeps its keys' lines)."""

    __slots__ = ("line", "col", "end_line", "end_col", "offsets")

    def __init__(self, line: int = 0, col: int = 0) -> None:  # starts empty, as list() does
        self.line = line
        self.col = col
        self.end_line = line
        self.end_col = col
        self.offsets: list[int] | tuple[int, ...] = []

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.offsets):
            return self.line + self.offsets[index]
        return self.line

    @property
    def item_lines(self) -> list[int]:
        """Every item's line."""
        line = self.line
        return [line + off for off in self.offsets]


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
    """A scalar that failed to convert (a 5,000-digit integer, ``!!bool maybe``); already
    reported, so later validation must not report it again. It holds the text as written
    and the explicit tag, if any, so a writer can put it back as it was."""

    tag: str | None = None


class WrittenTimestamp(str):
    """A plain scalar that YAML 1.1 would read as a timestamp (``2026-01-01 10:00:00``,
    ``2025-04-01``), kept as the text the user wrote, exactly as written.

    In a condition it is that string (``when: 2026-01-01 10:00:00`` matches the event value
    ``"2026-01-01 10:00:00"``, not a reformatted ISO text); a date field of the schema
    (``created``, ``reviewed``, ``expires``) reads it as a date (``as_date``). A writer puts
    it back plain, as it was written."""

    __slots__ = ()

    def as_date(self) -> dt.date:
        """The date it names (the date part of a date-time); ValueError if it names none
        (``2026-02-30``)."""
        return _date_named(str(self))


@functools.lru_cache(maxsize=4096)  # a list's dates repeat: each is read once
def _date_named(text: str) -> dt.date:
    """``WrittenTimestamp.as_date``: YAML's own timestamp constructor, so that every form it
    reads (``2025-4-1``, ``2026-01-01 10:00:00``, ``2026-01-01t10:00:00z``) names the date
    YAML says."""
    try:
        value = _CONSTRUCT[_TAG + "timestamp"](_CONSTRUCTOR, ScalarNode(_TAG + "timestamp", text))
    except (ValueError, OverflowError, AttributeError, TypeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "not a date"
        raise ValueError(f"{short(text)} is not a valid date ({detail})") from None
    return value.date() if isinstance(value, dt.datetime) else value


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


_TIMESTAMP = _TAG + "timestamp"
# what a constructor raises on text its tag does not fit: ``!!bool maybe`` is a KeyError,
# ``!!int ""`` an IndexError, ``!!timestamp nope`` an AttributeError (PyYAML's own bugs)
_CONVERSION_ERRORS = (
    ValueError, ConstructorError, OverflowError, KeyError, IndexError, AttributeError, TypeError,
)


def _scalar(event: yaml.ScalarEvent, problems: list[YamlProblem]) -> Any:
    tag = event.tag
    plain, _quoted = event.implicit
    explicit = False
    if tag is None or tag == "!":
        if event.style or not plain or tag == "!":
            return event.value
        tag = _resolve_plain(event.value)
        if tag in (_TAG + "str", _TAG + "merge", _TAG + "value"):  # "<<" and "=" are text
            return event.value
        if tag == _TIMESTAMP:  # the text as written (see WrittenTimestamp)
            return WrittenTimestamp(event.value)
    elif tag not in _SCALAR_TAGS:
        raise _Fatal(_unsupported_tag(tag, event))
    else:
        explicit = True
    try:
        return _CONSTRUCT[tag](_CONSTRUCTOR, ScalarNode(tag, event.value))
    except _CONVERSION_ERRORS as exc:
        name = tag.removeprefix(_TAG)
        what = {"timestamp": "date", "bool": "true/false"}.get(name, name)
        if explicit:
            message = (
                f"{short(event.value)} is not a valid {what}, as its tag !!{name} says it must "
                "be: fix the value or remove the tag"
            )
        else:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            message = (
                f"{short(event.value)} is not a valid {what} ({short(detail, 80)}); "
                "quote it if it is text"
            )
        problems.append(
            YamlProblem("RL002", message, event.start_mark.line + 1, event.start_mark.column + 1)
        )
        bad = BadScalar(event.value)
        if explicit:
            bad.tag = tag
        return bad


def _represent_bad(dumper: yaml.SafeDumper, data: BadScalar) -> yaml.Node:
    """Written back as the user wrote it: the same text, under its explicit tag if it had
    one (``!!bool maybe``), else plain (``99999...`` stays the digits it was)."""
    text = str(data)
    return dumper.represent_scalar(data.tag or _resolve_plain(text), text)


def _represent_timestamp(dumper: yaml.SafeDumper, data: WrittenTimestamp) -> yaml.Node:
    return dumper.represent_scalar(_TIMESTAMP, str(data))


# every SafeDumper (and subclass made after this import) writes these two as they were read
yaml.add_representer(BadScalar, _represent_bad, Dumper=yaml.SafeDumper)
yaml.add_representer(WrittenTimestamp, _represent_timestamp, Dumper=yaml.SafeDumper)


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


_MISS = object()
_PLAIN_CACHE_MAX = 1 << 16  # distinct typed-looking plain scalars remembered per file
# distinct mapping keys shared per file: a 100k-rule file writes a million keys, of some 40
# names (a key beyond the first few thousand distinct ones is kept as read)
_KEYS_MAX = 1 << 12
_SHARED_LAYOUT = 32  # containers of at most this many entries share their line offsets


def _build_events(loader: Any, problems: list[YamlProblem], anchor_lines: set[int]) -> Any:
    """Events to values. The open container's state lives in locals (the enclosing ones on
    ``stack``), and every value goes through one "add" step at the end of the loop body.

    ``units`` counts nodes as aliases expand them (a node written once is 1, an alias as
    much as what it names); a container's expanded size is the growth of ``units`` while it
    is open, which is what an alias to it costs against the budget."""
    get = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    typed_first = _RESOLVERS  # first characters of plain scalars that may not be text
    plain_cache: dict[str, Any] = {}  # plain scalar -> value, for those that may be typed
    keys: dict[str, str] = {}  # one object per distinct mapping key
    # key and item line offsets, shared between containers laid out alike (LocDict)
    map_layouts: dict[tuple, dict] = {}
    seq_layouts: dict[tuple, tuple] = {}
    anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, expanded size)
    stack: list[tuple[Any, ...]] = []  # the enclosing containers' saved state
    # the open container (None at the top level) and its state
    container: Any = None
    is_map = False
    key: Any = None
    has_key = False
    key_line = 0
    anchor: str | None = None
    start_units = 0
    merges: list[tuple[Any, int]] | None = None
    root: Any = None
    depth = documents = nodes = expanded = units = 0

    while True:
        event = get()
        cls = type(event)
        if cls is scalar_event:
            nodes += 1
            units += 1
            if event.tag is None and not event.style and event.implicit[0]:
                text = event.value
                if text[:1] in typed_first:
                    value = plain_cache.get(text, _MISS)
                    if value is _MISS:
                        value = _scalar(event, problems)
                        if type(value) is not BadScalar and len(plain_cache) < _PLAIN_CACHE_MAX:
                            plain_cache[text] = value
                else:
                    value = text
            else:
                value = _scalar(event, problems)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
                anchor_lines.add(event.start_mark.line + 1)
            source = event
        elif cls is map_start or cls is seq_start:
            nodes += 1
            mark = event.start_mark
            opens_map = cls is map_start
            if event.tag not in (_MAP_TAGS if opens_map else _SEQ_TAGS):
                raise _Fatal(_unsupported_tag(event.tag, event))
            if depth >= MAX_DEPTH:
                raise _Fatal(
                    YamlProblem(
                        "RL001",
                        f"nesting deeper than {MAX_DEPTH} levels: rule files are shallow; "
                        "this looks like a broken or hostile file",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
            depth += 1
            line = mark.line + 1
            if event.anchor is not None:
                anchor_lines.add(line)
            stack.append((container, is_map, key, has_key, key_line, anchor, start_units, merges))
            container = (LocDict if opens_map else LocList)(line, mark.column + 1)
            is_map, key, has_key, key_line = opens_map, None, False, 0
            anchor, start_units, merges = event.anchor, units, None
            units += 1
            continue
        elif cls is map_end or cls is seq_end:
            depth -= 1
            value = container
            end = event.end_mark
            value.end_line, value.end_col = end.line + 1, end.column + 1
            if merges:
                _apply_merges(value, merges)
            offsets = value.offsets
            if len(offsets) <= _SHARED_LAYOUT:  # most mappings and lists are laid out alike
                if is_map:
                    value.offsets = map_layouts.setdefault(tuple(offsets.items()), offsets)
                else:
                    layout = tuple(offsets)
                    value.offsets = seq_layouts.setdefault(layout, layout)
            if anchor is not None:
                anchors[anchor] = (value, units - start_units)
            container, is_map, key, has_key, key_line, anchor, start_units, merges = stack.pop()
            source = None
        elif cls is alias_event:
            mark = event.start_mark
            got = anchors.get(event.anchor)
            if got is None:
                raise _Fatal(
                    YamlProblem(
                        "RL001",
                        f"unknown alias *{event.anchor}",
                        mark.line + 1,
                        mark.column + 1,
                    )
                )
            value, weight = got
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
            units += weight
            source = event
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
            continue
        elif cls is yaml.StreamEndEvent:
            return root
        else:
            continue

        # add ``value`` to the open container; its line is ``source``'s (an event), or its
        # own when it is a container that just closed (``source`` is None)
        if container is None:
            root = value
        elif is_map:
            if not has_key:
                if isinstance(value, (dict, list)):
                    if source is None:
                        line, col = value.line, value.col
                    else:
                        line, col = source.start_mark.line + 1, source.start_mark.column + 1
                    raise _Fatal(
                        YamlProblem(
                            "RL001",
                            "a mapping key must be a plain value, not a mapping or a list",
                            line,
                            col,
                        )
                    )
                if type(value) is str:  # not 1 for True: only equal text is one object
                    value = (keys.setdefault(value, value) if len(keys) < _KEYS_MAX
                             else keys.get(value, value))
                key, has_key, key_line = value, True, source.start_mark.line + 1
            else:
                has_key = False
                if key == "<<" and isinstance(key, str):
                    if merges is None:
                        merges = []
                    merges.append((value, key_line))
                elif key in container:
                    first = container.line_of(key)
                    problems.append(
                        YamlProblem(
                            "RL003",
                            f"key {key!r} appears twice in this mapping (first on line "
                            f"{first}); YAML would silently keep only the last value: remove one",
                            key_line,
                        )
                    )
                else:
                    container[key] = value
                    container.offsets[key] = key_line - container.line
                    if (
                        key in NAME_KEYS
                        and value is not None
                        and type(value) is not str
                        and type(source) is scalar_event
                    ):  # tagged or quoted too: `id: !!int 0x1F` is '0x1F' (a name is text)
                        if container.written is None:
                            container.written = {}
                        container.written[key] = source.value
        else:
            container.append(value)
            container.offsets.append(
                (value.line if source is None else source.start_mark.line + 1) - container.line
            )


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
                    container.offsets[k] = line - container.line


# --- files -----------------------------------------------------------------------------------

_BOM = "\ufeff"


def read_text(path: Path, display: str) -> tuple[str | None, list[YamlProblem]]:
    """Read a file as UTF-8 text, or say precisely why not (a directory, a FIFO or device,
    too large, unreadable: ``util/userfile.py``)."""
    try:
        raw = read_user_bytes(path, "", MAX_FILE_BYTES, shown=display)
    except UserFileError as exc:
        return None, [YamlProblem("RL001", str(exc))]
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
            last = max(1, count_lines(text))  # libyaml's lines, as mark.line counts
            if mark.line + 1 > last:
                mark = None
                doc.problems.append(
                    YamlProblem("RL001", f"invalid YAML: {problem} (at the end of the file)", last)
                )
                doc.data = None
                return doc
        hint = ""
        if mark is not None and "\t" in text:
            lines = split_lines(text)  # libyaml's lines (mark.line), not str.splitlines'
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


def load_file(path: Path, display: str | None = None, data: bytes | None = None) -> YamlDocument:
    """Read and parse ``path``; with ``data``, parse those bytes instead (stdin)."""
    display = display or str(path)
    if data is None:
        text, problems = read_text(path, display)
    elif len(data) > MAX_FILE_BYTES:
        text, problems = None, [YamlProblem(
            "RL001", f"stdin holds {len(data) / 2**20:.0f} MiB; rulelint reads rule files up to "
            f"{MAX_FILE_BYTES // 2**20} MiB")]
    else:
        text, problems = decode(data)
    if text is None:
        doc = YamlDocument(display, "")
        doc.problems.extend(problems)
        return doc
    doc = parse_text(text, display)
    doc.problems[:0] = problems
    return doc


def to_plain(value: Any) -> Any:
    """Plain dicts and lists (for JSON, pydantic output, hashing); a name is its text as
    written (``name_of``)."""
    if isinstance(value, dict):
        written = getattr(value, "written", None)
        if written:
            return {k: written[k] if k in written else to_plain(v) for k, v in value.items()}
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value
