"""Where each rule sits in the original text, and whether a rewrite kept every other byte.

Spans come from PyYAML's pure-Python composer on the decoded text: node marks are character
offsets, so they are right whatever line breaks the file uses (libyaml and PyYAML both count
``\\r\\n``, ``\\r``, NEL, U+2028 and U+2029 as breaks; offsets do not depend on that).

A rule's span runs from the start of the line holding its ``-`` to the start of the next rule
(so comment lines between two rules count as the earlier rule's) and, for the last rule, to
the end of the ``rules`` node. A rewrite is byte-exact when the new text is the old text with
only the spans of the touched rules replaced (each by anything, possibly nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

BREAKS = "\r\n\x85\u2028\u2029"


class NoSpans(Exception):
    pass


@dataclass
class Span:
    rule_id: str | None
    start: int
    end: int


def _line_start(text: str, i: int) -> int:
    j = i
    while j > 0 and text[j - 1] not in BREAKS:
        j -= 1
    # only whitespace and the '-' indicator may stand between the line start and the node
    return j if text[j:i].strip(" -\t") == "" else i


def rule_spans(text: str) -> list[Span]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise NoSpans(str(exc)) from None
    if not isinstance(root, yaml.MappingNode):
        raise NoSpans("not a mapping")
    seq = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "rules"), None)
    if isinstance(seq, yaml.ScalarNode) and seq.tag.endswith(":null"):
        return []  # 'rules:' with nothing under it
    if not isinstance(seq, yaml.SequenceNode):
        raise NoSpans("no rules sequence")
    items = seq.value
    spans: list[Span] = []
    for n, item in enumerate(items):
        rid = None
        if isinstance(item, yaml.MappingNode):
            for k, v in item.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "id" and isinstance(v, yaml.ScalarNode):
                    rid = v.value
        start = _line_start(text, item.start_mark.index)
        if n + 1 < len(items):
            end = _line_start(text, items[n + 1].start_mark.index)
        else:
            end = max(item.end_mark.index, start)
        spans.append(Span(rid, start, end))
    return spans


def _content_end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark is the next token)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(node, yaml.MappingNode) else last)
    return node.end_mark.index


def drop_top_key(text: str, key: str) -> str:
    """The text without the top-level ``key:`` entry (its lines, up to the next key)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise NoSpans(str(exc)) from None
    if not isinstance(root, yaml.MappingNode):
        raise NoSpans("not a mapping")
    items = root.value
    for k, v in items:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            start = _line_start(text, k.start_mark.index)
            end = _content_end(v)
            while end < len(text) and text[end] in " \t":
                end += 1
            if text.startswith("\r\n", end):
                end += 2
            elif end < len(text) and text[end] in BREAKS:
                end += 1
            return text[:start] + text[end:]
    return text


def untouched_kept(old: str, new: str, touched_ids: set[str], allow_fields: bool = False) -> str | None:
    """None when ``new`` equals ``old`` outside the spans of ``touched_ids``; else a short
    description of the first piece of untouched text that is missing or changed.

    ``allow_fields``: the header's ``fields:`` entry may be added or changed too (SPEC: a
    rewrite that would change a field's inferred kind declares the kind there); whether
    the declaration is right is for the decision check to say."""
    if allow_fields:
        old, new = drop_top_key(old, "fields"), drop_top_key(new, "fields")
    spans = rule_spans(old)
    cuts = [s for s in spans if s.rule_id in touched_ids]
    pieces: list[str] = []
    pos = 0
    for s in cuts:
        pieces.append(old[pos : max(pos, _with_comments_above(old, s.start))])
        pos = max(pos, s.end)
    pieces.append(old[pos:])
    if len(pieces) == 1:
        return None if new == old else "nothing was touched, yet the file changed"
    first, last = pieces[0], pieces[-1]
    if not new.startswith(first):
        return f"the text before the first touched rule changed (kept {_common(first, new)} of {len(first)} chars)"
    at = len(first)
    for p in pieces[1:-1]:
        j = new.find(p, at)
        if j == -1:
            return f"untouched text {p[:80]!r}... is missing or changed"
        at = j + len(p)
    if len(new) - at < len(last) or not new.endswith(last):
        return f"the text after the last touched rule changed: {last[:80]!r}"
    return None


def _with_comments_above(text: str, start: int) -> int:
    """Comment-only and blank lines right above a rule may go with it (as ``remove`` does)."""
    while start > 0:
        j = start - 1  # the break that ends the previous line
        if text[j] == "\n" and j > 0 and text[j - 1] == "\r":
            j -= 1
        k = j
        while k > 0 and text[k - 1] not in BREAKS:
            k -= 1
        line = text[k:j].strip()
        if line and not line.startswith("#"):
            break
        start = k
    return start


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
