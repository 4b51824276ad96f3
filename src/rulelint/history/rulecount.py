"""How many rules a version of a rule file holds, fast: for ``rulelint history``, which
counts every version of every rule file in the git history.

The count is the number of entries in the file's ``rules:`` list (valid or not, as
``check`` counts slots). Ordinary block-style files are counted by a line scanner that
understands just enough YAML to be sure; anything unusual (flow-style lists, tabs, quoted
scalars spanning lines, complex keys, several documents...) goes to the full loader, which is
about 50 times slower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rulelint.load.loading import decode, parse_text


class _Unusual(Exception):
    """The scanner cannot be sure; use the YAML loader."""


_COL0_LINE = re.compile(r"\n([^\s#][^\n]*)")  # top-level content lines
_TOP_OK = re.compile(r"(?:- |-$|[A-Za-z_][\w.-]*[ \t]*:(?:[ \t]|$))")
_RULES_LINE = re.compile(r"rules:[ \t]*(?:#.*)?")
_FIRST_CONTENT = re.compile(r"\n( *)([^\s#][^\n]*)")
_LIST_END = re.compile(r"\n[^\s#]")
_LIST_END_COL0 = re.compile(r"\n(?!- |-\n)[^\s#]")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._/-]*$")
_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
# where a single-quoted scalar can start: after a space (`key: '`, `- '`), a flow
# indicator, or at the start of a line
_SQUOTE_STARTS = (" '", "['", "{'", ",'", "\n'")


def _ruleset_value(line: str) -> str:
    value = line.split(":", 1)[1]
    cut = value.find(" #")
    if cut != -1:
        value = value[:cut]
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        if inner and not any(c in inner for c in "\"'\\"):
            return inner
        raise _Unusual
    if _PLAIN_NAME.match(value) and value.lower() not in _YAML_WORDS:
        return value
    raise _Unusual


def _check_quotes(text: str) -> None:
    """Raise ``_Unusual`` if a quoted scalar might continue on the next line.

    Double quotes are paired in order through the text; a pair that encloses a line break
    (a multi-line string, or a stray quote in a plain scalar that throws the pairing off)
    sends the file to the loader. Single quotes are checked only where a quoted scalar can
    start, so apostrophes in words cost nothing."""
    if '"' in text:
        if "\\" in text:
            raise _Unusual  # escapes: leave double-quoted strings to the loader
        parts = text.split('"')
        if len(parts) % 2 == 0 or any("\n" in inside for inside in parts[1::2]):
            raise _Unusual
    if "'" not in text:
        return
    for start in _SQUOTE_STARTS:
        pos = text.find(start)
        while pos != -1:
            q = pos + 1  # the opening quote
            eol = text.find("\n", q + 1)
            eol = len(text) if eol == -1 else eol
            while True:
                q = text.find("'", q + 1, eol)
                if q == -1:
                    raise _Unusual
                if text.startswith("''", q):
                    q += 1
                    continue
                break
            pos = text.find(start, q + 1)


def scan_count(text: str) -> tuple[str | None, int]:
    """(header ruleset, number of ``rules:`` entries) of an ordinary block-style rule file.

    A few C-speed string searches and counts, no loop over lines in Python. Raises
    ``_Unusual`` for anything it cannot be sure about: flow-style ``rules: [...]``, tabs,
    quoted scalars that may span lines, complex or quoted top-level keys, several documents,
    a list whose items are not all at one indentation..."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "\t" in text:
        raise _Unusual  # tabs are legal inside values, but rare: not worth the care
    text = "\n" + (text[4:] if text.startswith("---\n") else text)
    _check_quotes(text)
    ruleset: str | None = None
    rules_at = -1
    for m in _COL0_LINE.finditer(text):
        line = m.group(1)
        if not _TOP_OK.match(line):
            raise _Unusual
        if line[0] == "-":
            continue
        key = line[: line.index(":")].rstrip()
        if key == "rules":
            if rules_at != -1 or not _RULES_LINE.fullmatch(line):
                raise _Unusual
            rules_at = m.end()
        elif key == "ruleset":
            if ruleset is not None:
                raise _Unusual
            ruleset = _ruleset_value(line)
    if rules_at == -1:
        raise _Unusual
    first = _FIRST_CONTENT.search(text, rules_at)
    if first is None:
        raise _Unusual  # `rules:` with nothing after it: let the loader say what it is
    indent = len(first.group(1))
    item = first.group(2)
    if not (item.startswith("- ") or item == "-"):
        raise _Unusual
    pad = " " * indent
    end_m = (_LIST_END_COL0 if indent == 0 else _LIST_END).search(text, first.start() + 1)
    region = text[first.start() : end_m.start() if end_m else len(text)] + "\n"
    items = region.count(f"\n{pad}- ") + region.count(f"\n{pad}-\n")
    if indent and re.search(rf"\n{pad}(?:[^ \n#-]|-[^ \n])", region):
        # a line at the items' indentation that is not an item: only invalid YAML (or a
        # flow mapping continued at that indentation) does this
        raise _Unusual
    return ruleset, items


@dataclass(frozen=True, slots=True)
class FileCount:
    """What one version of a file says: its header ruleset and rule entries. ``rules`` is
    None when the file is not a rule file (no ``rules:`` list); ``readable`` False when it is
    not valid YAML/UTF-8 (its previous count is carried forward)."""

    ruleset: str | None
    rules: int | None
    readable: bool = True


def count_rules(raw: bytes, display: str) -> FileCount:
    text, problems = decode(raw)
    if text is None:
        return FileCount(None, None, readable=False)
    try:
        name, n = scan_count(text)
        return FileCount(name, n)
    except _Unusual:
        pass
    try:
        doc = parse_text(text, display)
    except Exception:  # an old version must not stop the whole history
        return FileCount(None, None, readable=False)
    data = doc.data
    if data is None:
        return FileCount(None, None, readable=not doc.problems)
    if not isinstance(data, dict):
        return FileCount(None, None)
    rules = data.get("rules")
    name = data.get("ruleset")
    if isinstance(name, int) and not isinstance(name, bool):
        name = str(name)
    name = name if isinstance(name, str) and name else None
    return FileCount(name, len(rules) if isinstance(rules, list) else None)


