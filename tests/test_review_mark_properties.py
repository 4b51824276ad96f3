"""Property: on generated rule files (block and flow rules, nested and flow matches, block
scalars, comments between keys, quoted, plain and empty ``reviewed`` values, every line
break libyaml knows, mixed), marking any subset of rules changes exactly their
``reviewed`` and nothing else the loader sees, and leaves unmarked rules' text as it was."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from rulelint.consolidate.markreview import mark_text, rule_items
from rulelint.load.loading import parse_text, to_plain

D = dt.date(2026, 12, 1)
BREAKS = ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]


@st.composite
def rule_file(draw):
    brk = st.sampled_from(BREAKS) if draw(st.booleans()) else st.just(draw(st.sampled_from(BREAKS)))
    lines: list[str] = ["# header", "rules:"]
    n = draw(st.integers(1, 5))
    for i in range(n):
        if draw(st.booleans()):
            if draw(st.booleans()):
                lines.append("  # about the next rule")
            reviewed = draw(st.sampled_from(["", ", reviewed: 2025-01-01", ", reviewed: '2025-01-01'"]))
            lines.append(f"  - {{id: r{i}, action: x, match: {{p: [{i}, 9]}}{reviewed}}}"
                         + draw(st.sampled_from(["", "  # tail"])))
            continue
        body = [f"id: r{i}", "action: x"]
        body += [f"match: {{p: {i}}}"] if draw(st.booleans()) else ["match:", f"  p: {i}", "  q: [a, b]"]
        optional = {
            "description": draw(st.sampled_from([None, "description: text", "description: |\n  two\n  lines"])),
            "created": draw(st.sampled_from([None, "created: 2025-01-01"])),
            "reviewed": draw(st.sampled_from([None, "reviewed: 2025-01-01", "reviewed: '2025-01-01'",
                                              'reviewed: "2025-01-01"  # c', "reviewed:"])),
            "expires": draw(st.sampled_from([None, "expires: 2027-01-01"])),
            "enabled": draw(st.sampled_from([None, "enabled: true"])),
            "tags": draw(st.sampled_from([None, "tags: [t]", "tags:\n  - t"])),
        }
        for key in ("description", "created", "reviewed", "expires", "enabled", "tags"):
            if optional[key] is not None:
                if draw(st.booleans()):
                    body.append("# a comment")
                body.extend(optional[key].split("\n"))
        lines.append("  - " + body[0])
        lines.extend("    " + b for b in body[1:])
        if draw(st.booleans()):
            lines.append("")
    text = ""
    for line in lines:
        text += line + draw(brk)
    if draw(st.booleans()):
        text = text[: -len(text.splitlines(keepends=True)[-1]) + len(text.splitlines()[-1])]
    marked = draw(st.sets(st.sampled_from([f"r{i}" for i in range(n)])))
    return text, marked


def _rules(text: str) -> list[dict]:
    doc = parse_text(text, "f")
    assert not [p for p in doc.problems if p.severity is None], (doc.problems, text)
    return to_plain(doc.data)["rules"]


@settings(max_examples=150, deadline=None)
@given(rule_file())
def test_marking_changes_only_reviewed(case):
    text, ids = case
    old = _rules(text)
    new_text, marked = mark_text(text, ids, D, "f")
    assert set(marked) == ids
    new = _rules(new_text)
    assert len(new) == len(old)
    for a, b in zip(old, new, strict=True):
        if a["id"] in ids:
            assert str(b["reviewed"]) == "2026-12-01"
            a = {k: v for k, v in a.items() if k != "reviewed"}
            b = {k: v for k, v in b.items() if k != "reviewed"}
        assert a == b
    # the text of every rule not marked is exactly as it was
    def spans(t):
        items = rule_items(t)
        return [t[it.start:(items[k + 1].start if k + 1 < len(items) else len(t))]
                for k, it in enumerate(items)]
    for a, b, rule in zip(spans(text), spans(new_text), old, strict=True):
        if rule["id"] not in ids:
            assert a == b
    assert new_text.startswith("# header")
