"""The lines each rule spans, for formats that show a region (SARIF ``endLine``).

The loader records where each rule item starts (``LocDict.line``) and where the parser's
end mark falls (``end_line``/``end_col``): for a block mapping that is the start of the
next token (the next item, the next top-level key, or the end of the file), so it is one
line past the rule, or more when blank and comment lines follow. The rule's last line is
the last line before that mark that holds more than blanks or a comment; a flow mapping
(``- {id: a, ...}``) ends on the line of its closing brace.
"""

from __future__ import annotations

from rulelint.load.loading import LocDict
from rulelint.load.project import Project
from rulelint.util.lines import split_keepends


def last_line(raw: LocDict, lines: list[str]) -> int:
    """The last line (1-based) of the rule item ``raw`` in a file of ``lines``."""
    start, end = raw.line, min(raw.end_line, len(lines))
    if raw.end_line <= len(lines):
        before_mark = lines[raw.end_line - 1][: max(0, raw.end_col - 1)]
        if before_mark.strip(" \t-") == "":  # the mark sits at the next token
            end = raw.end_line - 1
    while end > start and _blank_or_comment(lines[end - 1]):
        end -= 1
    return max(start, end)


def _blank_or_comment(line: str) -> bool:
    s = line.strip()
    return not s or s.startswith("#")


def rule_spans(project: Project) -> dict[tuple[str, int], int]:
    """``(display path, first line) -> last line`` for every rule item of every file."""
    spans: dict[tuple[str, int], int] = {}
    for info in project.files:
        data = info.doc.data
        rules = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(rules, list):
            continue
        lines: list[str] | None = None
        for raw in rules:
            if not isinstance(raw, LocDict):
                continue
            if lines is None:
                lines = split_keepends(info.doc.text)
            spans[(info.source.display, raw.line)] = last_line(raw, lines)
    return spans
