"""The fast paths of ``rulelint check`` give exactly what the plain code they replace gives.

Each of them is a shortcut around a general tool (PyYAML's composer, ``json.dumps`` with an
indent, rich's printing and wrapping, ``yaml.safe_dump``) that is too slow at 100k rules; the
general tool stays the reference here, on generated inputs.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import string

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rich._wrap import divide_line
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from conftest import write_rules
from rulelint.cli import app
from rulelint.load.config import resolve_settings
from rulelint.load.loading import parse_text, to_plain
from rulelint.passes.mergeable import _yaml_flow, flow
from rulelint.pipeline import run_check
from rulelint.render import json_format, jsontext
from rulelint.render import text as text_render
from rulelint.report.findings import Finding

# --- JSON ------------------------------------------------------------------------------------

_scalars = st.one_of(
    st.text(max_size=8),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
)
_keys = st.one_of(st.text(max_size=5), st.integers(-5, 5), st.floats(), st.booleans(), st.none())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(_keys, inner, max_size=4),
    ),
    max_leaves=20,
)


@given(_values)
@settings(max_examples=400, deadline=None)
def test_jsontext_is_json_dumps_with_indent(value):
    assert jsontext.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False, default=str)


@given(
    code=st.sampled_from(["RL201", "RL302", "RL001"]),
    message=st.text(max_size=20),
    file=st.one_of(st.none(), st.text(max_size=8)),
    line=st.one_of(st.none(), st.integers(0, 10**6)),
    ruleset=st.one_of(st.none(), st.text(max_size=5)),
    ids=st.lists(st.text(max_size=6), max_size=4),
    witness=st.one_of(st.none(), st.dictionaries(st.text(max_size=5), _values, max_size=4)),
)
@settings(max_examples=300, deadline=None)
def test_a_finding_is_written_as_jsontext_writes_its_dict(code, message, file, line, ruleset,
                                                          ids, witness):
    f = Finding(code, message, file, line, ruleset=ruleset, rule_ids=ids, witness=witness)
    f.fingerprint = "0123456789abcdef0123"
    assert json_format.finding_text(f) == jsontext.dumps(json_format.finding_dict(f), "    ")


RULES = """\
ruleset: demo
limits: {max_rules: 3}
rules:
  - id: a
    action: keep
    match: {plan: pro, region: [JP, KR]}
    created: 2020-01-01
  - id: b
    action: keep
    match: {plan: pro, region: [JP, KR]}
  - id: c
    action: drop
    match: {plan: pro, region: "日本"}
    expires: 2021-05-05
  - id: d
    action: keep
    match: {plan: pro, region: [DE]}
"""


def _report(tmp_path, text=RULES):
    path = write_rules(tmp_path, text)
    return run_check([path], resolve_settings(cwd=tmp_path, today=dt.date(2026, 6, 1)))


def test_json_report_is_json_dumps_of_the_report_dict(tmp_path, monkeypatch):
    report = _report(tmp_path)
    assert len(report.findings) > 3
    expected = json.dumps(
        json_format.report_dict(report), indent=2, ensure_ascii=False, default=str
    ) + "\n"
    assert json_format.render(report) == expected
    monkeypatch.setattr(json_format, "CHUNK", 1)  # a piece per finding: still the same text
    pieces = list(json_format.chunks(report))
    assert len(pieces) == len(report.findings) + 1
    assert "".join(pieces) == expected
    report.findings = []
    assert json_format.render(report) == json.dumps(
        json_format.report_dict(report), indent=2, ensure_ascii=False, default=str
    ) + "\n"


def test_cli_json_is_the_rendered_report(tmp_path, monkeypatch):
    path = write_rules(tmp_path, RULES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(json_format, "CHUNK", 10)
    result = CliRunner().invoke(app, ["check", str(path), "--format", "json", "--today", "2026-06-01"])
    assert result.exit_code == 1
    assert result.stdout == json_format.render(_report(tmp_path))  # stderr: the run's notes


# --- text ------------------------------------------------------------------------------------

_ascii_words = st.lists(
    st.text(string.ascii_letters + string.digits + string.punctuation, min_size=1, max_size=30),
    min_size=1,
    max_size=40,
)


@given(_ascii_words, st.lists(st.integers(1, 3), min_size=40, max_size=40), st.integers(0, 140))
@settings(max_examples=500, deadline=None)
def test_plain_wrapping_is_rich_wrapping(words, gaps, width):
    message = "".join(w + " " * g for w, g in zip(words, gaps, strict=False)).rstrip(" ")
    expected = [line.plain[len(text_render.INDENT):] for line in text_render._indented(Text(message), width)]
    assert text_render._wrap_plain(message, width) == expected
    inner = max(20, width - len(text_render.INDENT))
    breaks = text_render._greedy_breaks(message, inner)
    if breaks is not None:  # None: a word longer than a line, left to rich
        assert breaks == divide_line(message, inner, fold=True)


def _reference_text(report, console):
    """The text renderer as it was: every line printed on its own."""
    from collections import defaultdict

    by_file = defaultdict(list)
    for f in report.findings:
        by_file[f.file or "(no file)"].append(f)
    for file in sorted(by_file):
        console.print(Text(file, style="bold underline"))
        for f in by_file[file]:
            for line in text_render._finding_lines(f, console.width):
                console.print(line, soft_wrap=True)
        console.print()


WITNESS_RULES = RULES + f"""\
  - id: e
    action: drop
    match: {{plan: pro, region: [JP, KR]}}
  - id: "long-id-{"x" * 120}"
    action: keep
    match: {{plan: pro, region: [KR, JP]}}
  - id: f
    action: "日本"
    match: {{plan: pro, region: "日本"}}
"""


def test_text_findings_print_as_rich_prints_them_line_by_line(tmp_path):
    report = _report(tmp_path, WITNESS_RULES)
    assert any(f.witness for f in report.findings)
    assert any("x" * 120 in f.message for f in report.findings)  # a word longer than a line
    assert any(not f.message.isascii() for f in report.findings)  # left to rich
    for options in (
        {"color_system": None, "width": 100},
        {"color_system": None, "width": 30},
        {"force_terminal": True, "color_system": "truecolor", "width": 60},
        {"force_terminal": True, "no_color": True, "width": 80},
    ):
        consoles = [Console(file=io.StringIO(), highlight=False, **options) for _ in range(2)]
        _reference_text(report, consoles[0])
        text_render.render(report, consoles[1], quiet=True)
        assert consoles[1].file.getvalue() == consoles[0].file.getvalue(), options


# --- YAML ------------------------------------------------------------------------------------

_flow_atoms = st.one_of(
    st.sampled_from(["yes", "no", "~", "1", "0x1", "1.5", "2024-01-01", "a: b", "a #b", "- x",
                     "[x]", "'", '"', "10.0.0.0/8", "C-12", " a", "a ", "", "é", "x\ny", "<<",
                     "Off", "NULL", "1_000", "0b1", "1e3", "12:30", ".inf", "-", "---", "Y"]),
    st.text(max_size=6),
    st.text(string.ascii_letters + string.digits + "_./ -:,#'@!", max_size=8),
    st.integers(),
    st.booleans(),
)


@given(st.lists(_flow_atoms, max_size=8))
@settings(max_examples=400, deadline=None)
def test_flow_is_yaml_flow(values):
    assert flow(values) == _yaml_flow(values)


_data = st.recursive(
    st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none(), st.dates(),
              st.sampled_from(["yes", "no", "on", "~", "null", "1_000", "0o17", "1e3", "2024-01-01"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=4),
                                            inner, max_size=4)),
    max_leaves=25,
)


@given(_data, st.booleans())
@settings(max_examples=300, deadline=None)
def test_loaded_values_are_pyyaml_values(data, flow_style):
    """The builder (and its cache of typed plain scalars) reads what PyYAML reads."""
    text = yaml.safe_dump({"a": data, "b": data}, default_flow_style=flow_style, allow_unicode=True)
    doc = parse_text(text, "t.yaml")
    assert doc.problems == []
    assert to_plain(doc.data) == _dates_as_text(yaml.safe_load(text))


def _dates_as_text(value):
    """PyYAML reads a plain timestamp as a date; rulelint keeps the text as written
    (loading.WrittenTimestamp), which is the ISO text safe_dump wrote."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value.isoformat() if isinstance(value, dt.date) else value


def test_a_repeated_bad_scalar_is_reported_each_time():
    big = "9" * 5000  # more digits than Python converts: a BadScalar, never cached
    doc = parse_text(f"a: {big}\nb: {big}\nc: [{big}]\n", "t.yaml")
    assert [p.line for p in doc.problems] == [1, 2, 3]
