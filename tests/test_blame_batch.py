"""Git dates for many files with a few git calls (issue 19): one walk over the history for
all files, blame only for files edited since they were added; outside git, no walk and one
notice. The answers are compared with ``git blame`` run on every file (the old way)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from git_helpers import Repo
from rulelint.engine import load_rules
from rulelint.history import blame
from rulelint.load.config import resolve_settings

TODAY = dt.date(2026, 6, 1)


def one_rule(i: int, extra: str = "") -> str:
    return f"# file {i}\nruleset: many\nrules:\n  - id: r{i}\n    action: keep\n    match: {{k: v{i}}}\n{extra}"


def load(cwd: Path, paths: list[Path]):
    settings = resolve_settings(cwd=cwd, today=TODAY, select=["RL403"])
    project = load_rules(paths, settings)
    entries = [r for rs in project.rulesets.values() for r in rs.rules]
    return project, entries


def spy_git(monkeypatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real = blame.run_git

    def spy(args, cwd, **kw):
        calls.append(list(args))
        return real(args, cwd, **kw)

    monkeypatch.setattr(blame, "run_git", spy)
    return calls


def blame_everything(project, entries) -> dict[str, blame.LineDates]:
    """The reference: ``git blame`` on every file, as before the batching."""
    out: dict[str, blame.LineDates] = {}
    infos = {fi.source.display: fi for fi in project.files}
    for r in entries:
        info = infos[r.file]
        span = blame.rule_span(r, info.doc.text.splitlines())
        try:
            got = blame.blame_lines(info.source.path, [span], TODAY)
        except blame.GitError:
            continue
        found = [d for n, d in got.items() if span[0] <= n <= span[1]]
        if found:
            out[r.id] = blame.LineDates(min(found), max(found))
    return out


def test_files_added_once_need_one_walk_and_no_blame(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "repo")
    for i in range(40):
        repo.write(f"rules/{i % 4}/r{i}.yaml", one_rule(i))
        if i % 10 == 9:
            repo.commit(dt.date(2025, 1, 1 + i // 10))
    project, entries = load(repo.path, [repo.path / "rules"])
    calls = spy_git(monkeypatch)
    got = blame.rule_line_dates(project, entries, TODAY)
    # where the repository is, the walk, the commits that added files seen whole (renames
    # from elsewhere), what differs from HEAD
    assert [c[0] if c[0] != "--literal-pathspecs" else c[1] for c in calls] == [
        "rev-parse", "log", "log", "status"]
    assert got.git_calls == 4 and got.notices == []
    assert {r.id: d for r, d in got.dates.items()} == blame_everything(project, entries)
    assert got.dates[next(r for r in entries if r.id == "r39")] == blame.LineDates(
        dt.date(2025, 1, 4), dt.date(2025, 1, 4))


def test_edited_renamed_merged_and_dirty_files_agree_with_blame(tmp_path, monkeypatch):
    repo = Repo(tmp_path / "repo")
    for i in range(8):
        repo.write(f"rules/r{i}.yaml", one_rule(i))
    repo.commit(dt.date(2025, 1, 10))
    # edited in a later commit: only the comment line (not the rule) ...
    repo.write("rules/r1.yaml", one_rule(1).replace("# file 1", "# file one"))
    # ... and the rule itself
    repo.write("rules/r2.yaml", one_rule(2, "    owner: someone\n"))
    repo.commit(dt.date(2025, 3, 1))
    repo.git("mv", "rules/r3.yaml", "rules/r3-renamed.yaml")
    repo.commit(dt.date(2025, 4, 1))
    # a file added on a branch and merged
    repo.git("checkout", "-q", "-b", "side")
    repo.write("rules/side.yaml", one_rule(50))
    repo.commit(dt.date(2025, 5, 1))
    repo.git("checkout", "-q", "main")
    repo.write("rules/main.yaml", one_rule(60))
    repo.commit(dt.date(2025, 5, 2))
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "side", date="2025-05-03T12:00:00+00:00")
    # uncommitted: modified, deleted-and-recreated in the index, untracked
    repo.write("rules/r4.yaml", one_rule(4, "    tags: [x]\n"))
    repo.write("rules/new.yaml", one_rule(70))
    project, entries = load(repo.path, [repo.path / "rules"])
    calls = spy_git(monkeypatch)
    got = blame.rule_line_dates(project, entries, TODAY)
    blamed = sorted(c[-1] for c in calls if c[0] == "blame")
    dates = {r.id: d for r, d in got.dates.items()}
    assert dates == blame_everything(project, entries)
    assert dates["r1"] == blame.LineDates(dt.date(2025, 1, 10), dt.date(2025, 1, 10))
    assert dates["r2"] == blame.LineDates(dt.date(2025, 1, 10), dt.date(2025, 3, 1))
    assert dates["r3"] == blame.LineDates(dt.date(2025, 1, 10), dt.date(2025, 1, 10))
    assert dates["r4"] == blame.LineDates(dt.date(2025, 1, 10), TODAY)
    assert dates["r0"] == blame.LineDates(dt.date(2025, 1, 10), dt.date(2025, 1, 10))
    assert "r70" not in dates
    assert len(got.notices) == 1 and "new.yaml is not committed yet" in got.notices[0]
    # blame only where one commit does not tell: edited, renamed, merged, dirty
    assert blamed == ["r1.yaml", "r2.yaml", "r3-renamed.yaml", "r4.yaml", "side.yaml"]


def test_outside_git_one_call_and_one_notice(tmp_path, monkeypatch):
    for i in range(30):
        (tmp_path / f"r{i}.yaml").write_text(one_rule(i))
    project, entries = load(tmp_path, [tmp_path])
    calls = spy_git(monkeypatch)
    got = blame.rule_line_dates(project, entries, TODAY)
    assert [c[0] for c in calls] == ["rev-parse"]
    assert got.dates == {}
    assert len(got.notices) == 1
    assert "r0.yaml, r1.yaml, r10.yaml and 27 more are not in a git repository" in got.notices[0]
    assert "30 rules without" in got.notices[0]


def test_repository_without_commits(tmp_path):
    repo = Repo(tmp_path / "repo")
    repo.write("a.yaml", one_rule(1))
    project, entries = load(repo.path, [repo.path / "a.yaml"])
    got = blame.rule_line_dates(project, entries, TODAY)
    assert got.dates == {}
    assert len(got.notices) == 1 and "a.yaml is not committed yet" in got.notices[0]


# --- nested repositories (issue 19) ---------------------------------------------------------


def test_files_in_nested_repositories_are_dated_by_their_own_history(tmp_path, monkeypatch):
    """A repository inside the project's (not committed to it) and a submodule: their files
    are dated by their own commits, with one walk per repository, not per file."""
    outer = Repo(tmp_path / "project")
    outer.write("rules/outer.yaml", one_rule(1))
    outer.commit(dt.date(2025, 1, 10))
    # a repository of its own under the project's tree, never added to it
    inner = Repo(outer.path / "vendor" / "inner")
    inner.write("a/r2.yaml", one_rule(2))
    inner.write("b/r3.yaml", one_rule(3))
    inner.commit(dt.date(2024, 3, 3))
    inner.write("b/r3.yaml", one_rule(3, "    owner: someone\n"))  # edited: blame runs
    inner.commit(dt.date(2024, 4, 4))
    # a submodule (its .git is a file pointing into the project's .git/modules)
    upstream = Repo(tmp_path / "upstream")
    upstream.write("r4.yaml", one_rule(4))
    upstream.commit(dt.date(2023, 5, 5))
    outer.git("-c", "protocol.file.allow=always", "submodule", "add", "-q",
              str(upstream.path), "sub")
    outer.commit(dt.date(2025, 2, 2))
    assert (outer.path / "sub" / ".git").is_file()
    project, entries = load(outer.path, [outer.path / "rules", outer.path / "vendor",
                                         outer.path / "sub"])
    calls = spy_git(monkeypatch)
    got = blame.rule_line_dates(project, entries, TODAY)
    dates = {r.id: d for r, d in got.dates.items()}
    assert got.notices == []
    assert dates == {
        "r1": blame.LineDates(dt.date(2025, 1, 10), dt.date(2025, 1, 10)),
        "r2": blame.LineDates(dt.date(2024, 3, 3), dt.date(2024, 3, 3)),
        "r3": blame.LineDates(dt.date(2024, 3, 3), dt.date(2024, 4, 4)),
        "r4": blame.LineDates(dt.date(2023, 5, 5), dt.date(2023, 5, 5)),
    }
    names = [c[1] if c[0] == "--literal-pathspecs" else c[0] for c in calls]
    # where: the project, the inner repository (its second directory is known by then),
    # the submodule; one history walk and one status per repository; blame for r3 only
    assert names.count("rev-parse") == 3
    assert names.count("status") == 3
    assert [c[-1] for c in calls if c[0] == "blame"] == ["r3.yaml"]
    assert dates == blame_everything(project, entries)


def test_a_nested_repository_without_commits_is_not_committed_yet(tmp_path):
    outer = Repo(tmp_path / "project")
    outer.write("rules/outer.yaml", one_rule(1))
    outer.commit(dt.date(2025, 1, 10))
    inner = Repo(outer.path / "inner")
    inner.write("r2.yaml", one_rule(2))
    project, entries = load(outer.path, [outer.path / "rules", inner.path])
    got = blame.rule_line_dates(project, entries, TODAY)
    assert {r.id for r in got.dates} == {"r1"}
    assert len(got.notices) == 1 and "r2.yaml is not committed yet" in got.notices[0]


# --- line numbers: the loader's model and git's (issue 14) ---------------------------------


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\r"])
def test_each_rule_gets_its_own_commit_date_below_a_yaml_only_line_break(tmp_path, brk):
    """A quoted description holding a character libyaml (or str.splitlines) counts as a
    line break but git does not: the rules below it still get their own commits' dates."""
    repo = Repo(tmp_path / "repo")
    a = ("rules:\n  - id: a\n    action: keep\n"
         f'    description: "first{brk}second"\n    match: {{k: a}}\n')
    b = "  - id: b\n    action: keep\n    match: {k: b}\n"
    c = "  - id: c\n    action: keep\n    match: {k: c}\n"
    repo.write("rules.yaml", a)
    repo.commit(dt.date(2025, 1, 1))
    repo.write("rules.yaml", a + b)
    repo.commit(dt.date(2025, 2, 2))
    repo.write("rules.yaml", a + b + c)
    repo.commit(dt.date(2025, 3, 3))
    project, entries = load(repo.path, [repo.path / "rules.yaml"])
    assert not [f for f in project.findings if str(f.severity) == "error"]
    got = blame.rule_line_dates(project, entries, TODAY)
    assert got.notices == []
    assert {r.id: d for r, d in got.dates.items()} == {
        "a": blame.LineDates(dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
        "b": blame.LineDates(dt.date(2025, 2, 2), dt.date(2025, 2, 2)),
        "c": blame.LineDates(dt.date(2025, 3, 3), dt.date(2025, 3, 3)),
    }


@pytest.mark.parametrize(("text", "want"), [
    ("a\nb\n", None),
    ("a\r\nb\r\n", None),
    ("a\x0cb\nc", None),  # a form feed breaks no line for libyaml or git
    ("a\u2028b\nc\n", [1, 1, 2, 3]),
    ("a\r\nb\rc\r\n", [1, 2, 2, 3]),
    ("a\x85\x85b", [1, 1, 1]),
])
def test_lf_line_numbers(text, want):
    from rulelint.util.lines import lf_line_numbers, split_lines

    got = lf_line_numbers(text)
    assert got == want
    if got is not None:
        assert len(got) == len(split_lines(text))
        assert [text.count("\n", 0, i) + 1 for i in _starts(text)] == got


def _starts(text):
    from rulelint.util.lines import split_lines

    pos, out = 0, []
    for line in split_lines(text):
        out.append(pos)
        pos += len(line)
        pos += 2 if text.startswith("\r\n", pos) else 1
    return out
