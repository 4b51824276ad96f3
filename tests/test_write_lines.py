"""The one line model (``util/lines.py``) against libyaml itself, and the editor on random
files with random line breaks: the parser's marks and our lines must agree everywhere, and
``--apply`` on such files must keep every untouched line byte for byte and every decision.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulelint.consolidate.rewrite import plan_edits
from rulelint.consolidate.suggest import suggest
from rulelint.consolidate.writeback import Planned, write_back
from rulelint.evaluate import decision_key
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.project import load_project
from rulelint.util.lines import (
    body,
    dominant_break,
    line_break,
    split_keepends,
    split_lines,
)

BREAKS = ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]
breaks = st.sampled_from(BREAKS)


def test_split_keepends_basics():
    assert split_keepends("") == []
    assert split_keepends("a") == ["a"]
    assert split_keepends("a\r\nb\rc\nd\x85e\u2028f\u2029") == [
        "a\r\n", "b\r", "c\n", "d\x85", "e\u2028", "f\u2029"]
    assert split_keepends("\r\r\n\n") == ["\r", "\r\n", "\n"]
    assert split_lines("a\r\nb\u2028") == ["a", "b", ""]
    assert split_keepends("a\vb\fc") == ["a\vb\fc"]  # not breaks to YAML, unlike splitlines
    assert [line_break(x) for x in split_keepends("a\r\nb\rc")] == ["\r\n", "\r", ""]
    assert body("x\r\n") == "x" and body("x\u2029") == "x" and body("x") == "x"
    assert dominant_break("a\rb\rc\n") == "\r" and dominant_break("a\u2028b") == "\n"
    assert dominant_break("a\r\nb\r\nc\n") == "\r\n" and dominant_break("a\r\nb\n") == "\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["k", "key2", "x y"]), st.text("ab\u2028\x85 ", max_size=6),
                          breaks), min_size=1, max_size=12))
def test_lines_agree_with_libyaml_marks(entries):
    """Every scalar libyaml reports at (line, column) is found there in our lines."""
    keys = [f"{k}{i}" for i, (k, _, _) in enumerate(entries)]
    text = "".join(f'{key}: "{v}"{brk}' for key, (_, v, brk) in zip(keys, entries, strict=True))
    lines = split_lines(text)
    seen = 0
    for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(ev, yaml.ScalarEvent) and ev.value in keys:
            m = ev.start_mark
            assert lines[m.line][m.column:].startswith(ev.value), (m.line, m.column, text)
            seen += 1
    assert seen == len(entries)
    assert "".join(split_keepends(text)) == text


def _rules_text(brks: list[str], desc: str) -> tuple[str, list[str]]:
    lines = [
        "ruleset: s", "rules:",
        "  - id: x", "    action: note", f'    description: "{desc}"', "    match: {plan: free}",
        "  # about a1", "  - id: a1", "    action: close", "    match: {region: EU}",
        "", "  - id: keep", "    action: deny", "    match: {region: DE}",
        "  - id: a2", "    action: close", "    match: {region: US}",
        "  - id: b1", "    action: open", "    match: {plan: pro}",
        "  - id: b2", "    action: open", "    match: {plan: ent}",
        "# the end",
    ]
    cycle = itertools.cycle(brks)
    with_breaks = [line + next(cycle) for line in lines]
    return "".join(with_breaks), with_breaks


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(breaks, min_size=1, max_size=6), st.text("a\u2028\u2029\x85 ", max_size=5))
def test_apply_on_random_breaks_keeps_untouched_lines_and_decisions(tmp_path_factory, brks, desc):
    tmp = Path(tmp_path_factory.mktemp("brk"))
    path = tmp / "rules.yaml"
    text, logical = _rules_text(brks, desc)
    path.write_bytes(text.encode("utf-8"))

    def load():
        return load_project([SourceFile(path, "rules.yaml")], Settings(root=tmp, cwd=tmp))

    rs = load().rulesets["s"]
    s = suggest(rs, ["owner", "enabled", "expires"])
    assert s.verified and s.plan.groups
    edits = plan_edits(s.plan, s.declare)
    gone = [m for g in s.plan.groups for m in g.members if m is not g.keep]
    planned = Planned.after(rs, {id(g.keep): g.rule for g in s.plan.groups}, gone)
    project = write_back({e.path: e.new_bytes() for e in edits},
                         {e.path: e.old_bytes() for e in edits}, load, [planned])
    new_text = path.read_bytes().decode("utf-8")
    # every line of x, keep and the end is there with its own break, in order
    # (a logical line may hold several parser lines: a NEL inside the description)
    kept = [part for i in (2, 3, 4, 5, 11, 12, 13, 23) for part in split_keepends(logical[i])]
    new_lines = split_keepends(new_text)
    at = 0
    for k in kept:  # a subsequence of the new lines
        assert k in new_lines[at:], (k, text, new_text)
        at = new_lines.index(k, at) + 1
    new = project.rulesets["s"]
    assert [r.id for r in new.rules] == ["x", "a1", "keep", "b1"]
    for ev in itertools.product(["free", "pro", "ent", None], ["EU", "US", "DE", None]):
        event = {k: v for k, v in zip(("plan", "region"), ev, strict=True) if v is not None}
        assert decision_key(rs, event) == decision_key(new, event)
