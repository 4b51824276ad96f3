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
