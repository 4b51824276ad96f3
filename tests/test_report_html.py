"""``rulelint report --html``: the page's structure (parsed with html.parser, no browser), its
numbers against ``check``, ``history`` and ``suggest-merge`` on the same files, capped tables,
escaping, and exit 2 on bad input. The browser test is ``test_report_html_browser.py``."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import assert_clean_exit, run_cli
from git_helpers import Repo
from rulelint.load.config import resolve_settings
from rulelint.overview import data as overview
from rulelint.render import html as html_render

EXAMPLE = Path(__file__).resolve().parents[1] / "rules.example.yaml"
RULE_START = re.compile(r"(?m)^  - id: ")
# the example file grows from 10 rules to its 34 in nine commits, two weeks apart
GROWTH = (10, 13, 16, 19, 22, 25, 28, 31, 34)
FIRST_DAY = dt.date(2026, 5, 4)
TODAY = "2026-09-30"


def example_repo(path: Path) -> Repo:
    """A real git repository whose history grows rules.example.yaml (cap 40) rule by rule."""
    text = EXAMPLE.read_text(encoding="utf-8")
    starts = [m.start() for m in RULE_START.finditer(text)]
    assert len(starts) == GROWTH[-1]
    repo = Repo(path)
    for i, k in enumerate(GROWTH):
        repo.write("rules.example.yaml", text[: starts[k]] if k < len(starts) else text)
        repo.commit(FIRST_DAY + dt.timedelta(days=14 * i), f"rules: {k}")
    return repo


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> Repo:
    return example_repo(tmp_path_factory.mktemp("report-html") / "repo")


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[dict] = []
        self.svgs: list[dict] = []
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag not in ("meta", "br", "img", "input", "link", "rect", "line", "path", "circle"):
            self.stack.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        elif tag == "table":
            self.tables.append({"th": [], "rows": 0, "caption": False, "cls": a.get("class")})
        elif tag == "th" and self.tables:
            self.tables[-1]["th"].append(a.get("scope"))
        elif tag == "tr" and self.tables and "tbody" in self.stack:
            self.tables[-1]["rows"] += 1
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        elif tag == "svg":
            self.svgs.append({"attrs": a, "children": []})
        elif self.svgs and "svg" in self.stack[:-1]:
            self.svgs[-1]["children"].append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((tag, " ".join("".join(self._heading).split())))
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def report(cwd: Path, *args: str, out: str = "report.html") -> tuple[str, str]:
    proc = run_cli(["report", "--html", out, *args], cwd)
    assert_clean_exit(proc.stderr, proc.returncode)
    assert proc.returncode == 0, proc.stderr
    return (cwd / out).read_text(encoding="utf-8"), proc.stderr


def assert_self_contained(text: str) -> None:
    page = Page(text)
    for tag, attrs in page.tags:
        for key in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(key) or ""
            assert not re.match(r"\s*(https?:)?//", value), (tag, key, value)
        assert not (tag == "link" and attrs.get("rel") == "stylesheet"), attrs
        assert not (tag == "script" and attrs.get("src")), attrs
    assert "@import" not in text
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text)


def test_page_structure_and_accessibility(grown: Repo):
    text, stderr = report(grown.path, "--today", TODAY)
    assert "wrote report.html" in stderr
    assert_self_contained(text)
    page = Page(text)
    levels = [h for h, _ in page.headings]
    assert levels.count("h1") == 1 and levels[0] == "h1"
    titles = [t for _, t in page.headings]
    assert "Ruleset support-exceptions" in titles
    for wanted in ("Headroom against the caps", "Growth over the git history",
                   "Findings by code and severity", "Findings by owner",
                   "What a clean-up frees", "Rules that need a decision"):
        assert wanted in titles, titles
    assert len(page.tables) >= 4
    for t in page.tables:
        assert t["th"] and all(scope in ("col", "row") for scope in t["th"]), t
        assert t["caption"], t
    assert sum(1 for t in page.tables if t["cls"] == "sortable") >= 3
    charts = [s for s in page.svgs if s["attrs"].get("role") == "img"]
    assert len(charts) >= 3  # a headroom bar, the growth line, the findings bars
    for s in charts:
        assert s["children"][:2] == ["title", "desc"], s
        assert s["attrs"].get("aria-labelledby")
    assert "<script>" in text and "sortable" in text
    assert len(text.encode()) < 200_000


def test_numbers_agree_with_check_history_and_suggest_merge(grown: Repo):
    text, _ = report(grown.path, "--today", TODAY)
    page = Page(text).all_text
    hist = json.loads(run_cli(["history", "--format", "json", "--today", TODAY], grown.path).stdout)
    (h,) = hist["rulesets"]
    assert h["status"] == "growing" and h["cap_date"]
    assert f"the cap is reached on {h['cap_date']}" in page
    assert f"{h['per_week']:+.1f} rules/week" in page
    assert h["message"] in page  # the same sentence as `rulelint history`
    check = run_cli(["check", "--format", "json", "--today", TODAY], grown.path)
    findings = json.loads(check.stdout)["findings"]
    (rl104,) = [f for f in findings if f["code"] == "RL104"]
    assert h["cap_date"] in rl104["message"]
    merged = json.loads(run_cli(["suggest-merge", "--format", "json"], grown.path).stdout)
    redundant = json.loads(
        run_cli(["suggest-merge", "--include-redundant", "--format", "json"], grown.path).stdout
    )
    data = overview.build(None, resolve_settings(cwd=grown.path, today=dt.date.fromisoformat(TODAY)))
    (rs,) = data.rulesets
    assert rs.frees.merge == merged["before"] - merged["after"] == 6
    assert rs.frees.include_redundant == redundant["before"] - redundant["after"] == 7
    shadowed = json.loads(
        run_cli(["suggest-merge", "--include-shadowed", "--format", "json"], grown.path).stdout
    )
    assert rs.frees.include_shadowed == shadowed["before"] - shadowed["after"] == 8
    never = {f["rule_ids"][0] for f in findings if f["code"] in ("RL302", "RL202")}
    assert len(never) == 1
    assert rs.frees.expired == 1
    assert [(c.measure, c.used, c.cap, c.status) for c in rs.caps] == [("rules", 34, 40, "near")]
    assert "34 of 40 rules used (85%, warn at 80%); 6 left" in page
    # findings by code: the same counts as check
    by_code = {c.code: c.count for c in rs.by_code}
    expect: dict[str, int] = {}
    for f in findings:
        expect[f["code"]] = expect.get(f["code"], 0) + 1
    assert by_code == expect
    owners = {o.owner: o for o in rs.by_owner.rows}
    assert owners["billing-ops@example.com"].rules == 1  # the expired black-friday rule
    assert {d.rule_id for d in rs.decisions.rows} >= never
    # the rules that need a decision are `rulelint review`'s, with its actions and slots
    review = json.loads(run_cli(["review", "--format", "json", "--today", TODAY], grown.path).stdout)
    listed = {(r["id"], r["action"], r["frees"]) for o in review["owners"] for r in o["rules"]}
    assert {(d.rule_id, d.action, d.frees) for d in rs.decisions.rows} == listed
    assert sum(o.frees for o in rs.by_owner.rows) == review["summary"]["frees"]


def test_select_ignore_today_and_hits(grown: Repo, tmp_path: Path):
    text, _ = report(grown.path, "--today", TODAY, "--ignore", "RL4")
    assert "<code>RL401</code>" not in text and "<code>RL403</code>" not in text
    assert "blackfriday-2025-refund-waiver" not in text
    assert "<code>RL302</code>" in text
    text, _ = report(grown.path, "--today", TODAY, "--select", "RL2")
    assert "<code>RL201</code>" in text and "<code>RL302</code>" not in text
    text, _ = report(grown.path, "--today", "2025-06-01")  # before the rule expired
    assert "RL401 expired" not in Page(text).all_text
    hits = grown.path / "hits.csv"
    hits.write_text("rule_id,hits,last_hit\nvip-enterprise-no-autoclose,5,2026-09-20\n",
                    encoding="utf-8")
    try:
        text, _ = report(grown.path, "--today", TODAY, "--hits", "hits.csv")
    finally:
        hits.unlink()
    assert "RL404 unused" in Page(text).all_text


def test_long_tables_are_capped_with_the_command(tmp_path: Path):
    rules = "\n".join(
        f"  - {{id: old-{i}, action: a, match: {{customer: C{i}}}, expires: 2020-01-01}}"
        for i in range(30)
    )
    (tmp_path / "rules.yaml").write_text(
        f"ruleset: big\nlimits: {{max_rules: 100}}\nrules:\n{rules}\n", encoding="utf-8"
    )
    settings = resolve_settings(cwd=tmp_path, today=dt.date(2026, 1, 1))
    data = overview.build([tmp_path / "rules.yaml"], settings, row_cap=5)
    (rs,) = data.rulesets
    assert rs.decisions.total == 30 and len(rs.decisions.rows) == 5
    assert rs.frees.expired == 30
    page = Page(html_render.render(data)).all_text
    assert "25 more rules not shown;" in page
    assert "25 more rules not shown; rulelint review lists them all" in page
    assert "no growth chart: the rule files are not inside a git repository" in page


def test_text_is_escaped(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text(textwrap.dedent("""\
        ruleset: "x<b>y"
        rules:
          - {id: a, action: "<script>alert(1)</script>", match: {k: v}, owner: "<img src=x onerror=alert(1)>"}
          - {id: b, action: "<script>alert(1)</script>", match: {k: v}, owner: "<img src=x onerror=alert(1)>"}
        """), encoding="utf-8")
    text, _ = report(tmp_path, "--today", "2026-01-01", "rules.yaml")
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "x<b>y" not in text and "x&lt;b&gt;y" in text
    assert_self_contained(text)


def test_stdout_and_overwriting_an_earlier_report(grown: Repo):
    proc = run_cli(["report", "--html", "-", "--today", TODAY], grown.path)
    assert proc.returncode == 0 and proc.stdout.startswith("<!DOCTYPE html>")
    report(grown.path, "--today", TODAY, out="again.html")
    report(grown.path, "--today", TODAY, out="again.html")  # an earlier report: replaced
    (grown.path / "again.html").unlink()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "needs --html FILE"),
        (["--html", "r.html", "--today", "30-09-2026"], "--today '30-09-2026' is not a date"),
        (["--html", "r.html", "--select", "RL9999"], "unknown check code or prefix 'RL9999'"),
        (["--html", "rules.example.yaml"], "is one of the rule files"),
        (["--html", "notes.txt"], "exists and is not a rulelint report"),
        (["--html", "no/such/dir/r.html"], "does not exist"),
        (["--html", "r.html", "missing.yaml"], "missing.yaml"),
        (["--html", "r.html", "--config", "nope.yaml"], "config file nope.yaml does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line(grown: Repo, args: list[str], message: str):
    notes = grown.path / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    before = EXAMPLE.read_bytes()
    try:
        proc = run_cli(["report", *args], grown.path)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert_clean_exit(proc.stderr, proc.returncode)
        assert message in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert notes.read_text(encoding="utf-8") == "my notes\n"
        assert (grown.path / "rules.example.yaml").read_bytes() == before
        assert not (grown.path / "r.html").exists()
    finally:
        notes.unlink()


def test_unreadable_rule_file_is_shown_not_fatal(tmp_path: Path):
    (tmp_path / "rules.yaml").write_text("rules: [\n", encoding="utf-8")
    text, stderr = report(tmp_path, "--today", "2026-01-01", "rules.yaml")
    assert "could not be read" in Page(text).all_text
    assert "could not be read" in stderr


def test_several_rulesets_each_get_a_section_with_unique_ids(tmp_path: Path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.yaml").write_text(textwrap.dedent("""\
        ruleset: support
        limits: {max_rules: 3, max_bytes: 100, max_cost: 10}
        rules:
          - {id: a1, action: x, match: {k: v}, cost: 4}
          - {id: a2, action: x, match: {k: w}, cost: 9}
        """), encoding="utf-8")
    (tmp_path / "rules" / "b.yaml").write_text(textwrap.dedent("""\
        ruleset: net allow
        semantics: any-match
        rules:
          - {id: b1, action: allow, match: {src: {cidr: 10.0.0.0/8}}}
        """), encoding="utf-8")
    text, _ = report(tmp_path, "--today", "2026-01-01")
    page = Page(text)
    titles = [t for _, t in page.headings]
    assert "Ruleset support" in titles and "Ruleset net allow" in titles
    ids = [a["id"] for _, a in page.tags if a.get("id")]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    hrefs = {a["href"] for tag, a in page.tags if tag == "a" and a.get("href", "").startswith("#")}
    assert hrefs == {"#rs-support", "#rs-net-allow"} and hrefs <= {f"#{i}" for i in ids}
    body = page.all_text
    assert "No cap is set for this ruleset" in body
    assert "2 of 3 rules used (67%, warn at 80%); 1 left" in body
    assert "13 of 10 cost used (130%, warn at 80%); over by 3" in body
    assert "over the cap" in body and "max_bytes" in body


def test_config_settings_apply(grown: Repo):
    conf = grown.path / "team.yaml"
    conf.write_text("rulesets:\n  support-exceptions: {max_rules: 50, warn_ratio: 0.9}\n"
                    "staleness: {review_days: 2000}\n", encoding="utf-8")
    try:
        text, _ = report(grown.path, "--today", TODAY, "--config", "team.yaml")
    finally:
        conf.unlink()
    page = Page(text).all_text
    assert "34 of 50 rules used (68%, warn at 90%); 16 left" in page
    assert "RL403 review-overdue" not in page  # review_days from the config
    assert "reaches 50 on" in page  # the forecast against the configured cap
