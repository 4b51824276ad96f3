"""One line model, the parser's: what libyaml counts as a line break, we count too.

libyaml (and so every line number and span the loader reports) breaks lines at ``\\r\\n``,
``\\r``, ``\\n``, NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029).
Python's ``str.split("\\n")`` knows only the third, and ``str.splitlines`` knows these plus
``\\v``, ``\\f`` and U+001C..U+001E. Any code that turns a loader line number into text (the
in-place editor, diffs, spans) must split with this module, or every line after the first
such character is shifted.
"""

from __future__ import annotations

import re

BREAKS = "\r\n\x85\u2028\u2029"
# a CR LF pair is one break; each other break character is one break
_BREAK_RE = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_LINE_RE = re.compile("[^\r\n\x85\u2028\u2029]*(?:\r\n|[\r\n\x85\u2028\u2029]|$)")


def split_keepends(text: str) -> list[str]:
    """The lines of ``text``, each with its own break (the last one may have none).

    ``"".join(split_keepends(t)) == t`` always; line ``n`` (1-based, as the loader counts)
    is ``split_keepends(t)[n - 1]``. An empty text has no lines; a text that ends with a
    break has no empty last line (as ``str.splitlines``)."""
    out = _LINE_RE.findall(text)
    if out and out[-1] == "":
        out.pop()
    return out


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their breaks; ``split_lines(t)[n - 1]`` is line ``n``.
    Unlike ``split_keepends``, a text ending with a break has an empty last line (as
    ``str.split("\\n")``), so the loader's position just after the last break is a line."""
    return _BREAK_RE.split(text)


def line_break(line: str) -> str:
    """The break that ends ``line`` ('' for none)."""
    if line.endswith("\r\n"):
        return "\r\n"
    if line and line[-1] in BREAKS:
        return line[-1]
    return ""


def body(line: str) -> str:
    """``line`` without its break."""
    return line[: len(line) - len(line_break(line))]


def dominant_break(text: str) -> str:
    """The break to use for new lines in ``text``: the commonest of ``\\n``, ``\\r\\n`` and
    ``\\r`` (``\\n`` when there is none, or on a tie). NEL, U+2028 and U+2029 are never
    chosen: they are line breaks to YAML but not to any editor."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    best = max(lf, crlf, cr)
    if lf == best:
        return "\n"
    return "\r\n" if crlf == best else "\r"


def editor_break(brk: str) -> bool:
    """Whether an editor (and git) sees ``brk`` as a line break: ``\\n``, ``\\r\\n``, ``\\r``."""
    return brk in ("\n", "\r\n", "\r")


# --- offsets in a text (positions libyaml reports as marks) -----------------------------


def line_start(text: str, i: int) -> int:
    """The offset where the line holding offset ``i`` starts."""
    while i > 0 and text[i - 1] not in BREAKS:
        i -= 1
    return i


def line_end(text: str, i: int) -> int:
    """The offset of the break that ends the line holding ``i`` (``len(text)``: none)."""
    n = len(text)
    while i < n and text[i] not in BREAKS:
        i += 1
    return i


def next_line_start(text: str, i: int) -> int | None:
    """The offset where the line after the one holding ``i`` starts; None on the last line
    (it has no break)."""
    i = line_end(text, i)
    if i >= len(text):
        return None
    return i + 2 if text[i : i + 2] == "\r\n" else i + 1


def prev_line_start(text: str, start: int) -> int:
    """The offset where the line before the one starting at ``start`` (> 0) starts."""
    j = start - 2 if text[start - 2 : start] == "\r\n" else start - 1
    return line_start(text, j)


def line_number(text: str, i: int) -> int:
    """The 1-based line of offset ``i``, as the loader counts lines."""
    n = sum(text.count(b, 0, i) for b in BREAKS) - text.count("\r\n", 0, i)
    return n + 1


def break_before(text: str, start: int) -> str:
    """The break that ends the line before the one starting at ``start`` (> 0)."""
    if start >= 2 and text[start - 2 : start] == "\r\n":
        return "\r\n"
    return text[start - 1]


def new_line_break(text: str, start: int | None = None) -> str:
    """The break to end a line inserted at ``start`` (a line start) with: the break of the
    line above when an editor sees it as one, else (NEL, U+2028, U+2029, or no line above:
    ``start`` None or 0) the file's ``dominant_break``."""
    if start:
        brk = break_before(text, start)
        if editor_break(brk):
            return brk
    return dominant_break(text)


def count_lines(text: str) -> int:
    """How many lines libyaml sees in ``text`` (a last line without a break counts)."""
    return len(split_keepends(text))


def lf_line_numbers(text: str) -> list[int] | None:
    """Loader line numbers as git (``blame``, ``diff``) counts lines, by ``\\n`` only:
    ``m[n - 1]`` is the ``\\n``-counted line on which loader line ``n`` starts, for every
    line of ``split_lines(text)`` (the empty one after a final break included). A lone
    ``\\r``, NEL, U+2028 or U+2029 starts a loader line inside a git line, so several
    loader lines can share one git line. None when the two counts agree (no such break)."""
    if not any(c in text for c in "\x85\u2028\u2029") and text.count("\r") == text.count("\r\n"):
        return None
    out: list[int] = []
    n = 1
    for line in split_keepends(text):
        out.append(n)
        if line.endswith("\n"):
            n += 1
    if not out or line_break(line):  # the empty line after a final break
        out.append(n)
    return out


# --- text for line-based output ---------------------------------------------------------

# what must not reach a line-based output as itself: every character ``str.splitlines``
# breaks at (a superset of libyaml's ``BREAKS``: editors, terminals, log viewers and line
# readers each honour some of them), every other C0 and C1 control but the tab (ESC starts
# a terminal escape sequence that can recolour, hide or rewrite what a CI log shows), DEL,
# and the bidirectional overrides and isolates that reorder how a line reads ("Trojan
# Source", CVE-2021-42574). Each is written as its visible escape, as Python's ``repr``
# writes it.
_CONTROLS = (
    [chr(c) for c in range(0x20) if c != 0x09]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u2028", "\u2029"]
)
_ESCAPES = {c: repr(c)[1:-1] for c in _CONTROLS}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
OUTPUT_CONTROLS = "".join(_ESCAPES)


def escape_controls(s: str) -> str:
    """``s`` as one visible line: each line break (``\\n``, ``\\r``, ``\\v``, ``\\f``,
    U+001C..U+001E, NEL, U+2028, U+2029: all that ``str.splitlines`` breaks at), every
    other control character but the tab (ESC, BEL, NUL, C1) and every bidirectional
    override becomes its visible escape (``\\n``, ``\\x1b``, ``\\u202e``), as Python's
    ``repr`` writes them. Every renderer whose output is read line by line (concise, github,
    the text report, Markdown tables, the review lists) passes interpolated text through
    this, so a rule value never splits a finding over lines nor drives the terminal."""
    if s.isascii() and s.isprintable():  # the common case: nothing to do, at C speed
        return s
    return s.translate(_ESCAPE_TABLE)


_KEEP_LINES_TABLE = str.maketrans({c: e for c, e in _ESCAPES.items() if c != "\n"})
_RAW_CONTROL = re.compile("[" + re.escape("".join(c for c in _ESCAPES if c != "\n")) + "]")


def escape_output(s: str) -> str:
    """``escape_controls`` for a whole report: its own line feeds stay, every other control
    character becomes its escape. The last guard of every text output (the console writes
    through it, ``render.console``), so a value no renderer escaped still cannot reach the
    terminal as itself."""
    if _RAW_CONTROL.search(s) is None:  # the common case, one C scan
        return s
    return s.translate(_KEEP_LINES_TABLE)
