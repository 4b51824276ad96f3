"""``check --base REF``: only what the working tree adds over a git ref, in real git repos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ci_gitrepo import Repo
from rulelint.cli import app

OLD = """\
ruleset: support
limits: {max_rules: 6}
rules:
  - id: enterprise
    action: keep_open
    match: {plan: enterprise}
  - id: enterprise-copy
    action: keep_open
    match: {plan: enterprise}
  - id: jp
    action: escalate
    match: {region: JP}
  - id: jp-pro
    action: close
    match: {region: JP, plan: pro}
"""

NEW_RULE = """\
  - id: de-free
    action: close
    match: {region: DE, plan: free}
  - id: de-free-refund
    action: refund
    match: {region: DE, plan: free}
"""


def check(*args: str) -> tuple[int, dict | None, str]:
    r = CliRunner().invoke(app, ["check", *args])
    data = json.loads(r.stdout) if "json" in args and r.exit_code in (0, 1) else None
    return r.exit_code, data, r.stderr


def fingerprints(data: dict) -> set[str]:
    return {f["fingerprint"] for f in data["findings"]}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("rules/support.yaml", OLD)
    repo.commit("base: rules with known problems")
    monkeypatch.chdir(repo.root)
    for var in ("GITHUB_ACTIONS", "RULELINT_FORMAT"):
        monkeypatch.delenv(var, raising=False)
    return repo


def test_only_the_new_problem_is_reported(repo: Repo, tmp_path: Path) -> None:
    _, base, _ = check("--format", "json", "--select", "RL2,RL3")
    assert {f["code"] for f in base["findings"]} >= {"RL201", "RL302"}  # old problems
    # head: the same rules moved around (other lines) plus a new conflicting pair
    moved = OLD.replace("rules:\n", "rules:\n  # reordered\n\n")
    repo.write("rules/support.yaml", moved + NEW_RULE)
    code, head, _ = check("--format", "json", "--select", "RL2,RL3")
    assert code == 1
    code, added, _ = check("--format", "json", "--select", "RL2,RL3", "--base", "HEAD")
    assert code == 1
    assert fingerprints(added) == fingerprints(head) - fingerprints(base)
    assert [(f["code"], f["rule_ids"][0]) for f in added["findings"]] == [
        ("RL202", "de-free-refund")
    ]
    # committed: the same answer against the previous commit, by SHA and by name
    sha = repo.commit("head: add DE rules")
    repo.git("branch", "feature")
    for ref in ("HEAD~1", "main~1"):
        code, again, _ = check("--format", "json", "--select", "RL2,RL3", "--base", ref)
        assert fingerprints(again) == fingerprints(added), ref
    code, none, _ = check("--format", "json", "--base", sha)
    assert code == 0 and none["findings"] == []


def test_base_ignores_a_problem_removed_and_reports_a_suppression_removed(repo: Repo) -> None:
    # the known RL302 on jp-pro is suppressed at the base...
    repo.write("rules/support.yaml", OLD.replace(
        "  - id: jp-pro\n", "  - id: jp-pro   # rulelint: ignore[RL302] known\n"
    ))
    repo.commit("suppress")
    # ...and the head drops the comment: the finding is new to this change
    repo.write("rules/support.yaml", OLD)
    code, data, _ = check("--format", "json", "--base", "HEAD", "--select", "RL3")
    assert code == 1
    assert [(f["code"], f["rule_ids"][0]) for f in data["findings"]] == [("RL302", "jp-pro")]
    # a head that fixes the duplicate reports nothing
    fixed = OLD.replace("  - id: enterprise-copy\n    action: keep_open\n"
                        "    match: {plan: enterprise}\n", "")
    repo.write("rules/support.yaml", fixed.replace(
        "  - id: jp-pro\n", "  - id: jp-pro   # rulelint: ignore[RL302] known\n"
    ))
    code, data, _ = check("--format", "json", "--base", "HEAD")
    assert code == 0 and data["findings"] == []


def test_limit_findings_compare_counts(repo: Repo) -> None:
    extra = "".join(
        f"  - id: x{i}\n    action: tag\n    match: {{customer_id: C-{i}}}\n" for i in range(2)
    )
    repo.write("rules/support.yaml", OLD + extra)  # 4 -> 6 of 6: RL102 (near the cap)
    code, data, _ = check("--format", "json", "--base", "HEAD", "--select", "RL1")
    near = [f for f in data["findings"] if f["code"] == "RL102"]
    assert len(near) == 1
    assert near[0]["message"].startswith("this change adds 2 rules: 4 → 6 of 6; ")
    repo.commit("at the cap")
    # editing a rule keeps the count: the (still present) RL102 is not this change's
    repo.write("rules/support.yaml", (OLD + extra).replace("C-0", "C-00"))
    code, data, _ = check("--format", "json", "--base", "HEAD", "--select", "RL1")
    assert code == 0 and data["findings"] == []
    _, full, _ = check("--format", "json", "--select", "RL1")
    assert [f["code"] for f in full["findings"]] == ["RL102"]
    # one more rule goes over the cap
    one = "  - id: x9\n    action: tag\n    match: {customer_id: C-9}\n"
    repo.write("rules/support.yaml", OLD + extra + one)
    code, data, _ = check("--format", "json", "--base", "HEAD", "--select", "RL1")
    assert code == 1
    [over] = data["findings"]
    assert over["code"] == "RL101"
    assert over["message"].startswith("this change adds 1 rule: 6 → 7 of 6; ")


def test_renamed_and_split_files_are_not_new(repo: Repo) -> None:
    # a second ruleset file at the base that the head deletes, moving its rule elsewhere
    repo.write("rules/extra.yaml", "ruleset: support\nrules:\n"
               "  - id: enterprise-third\n    action: keep_open\n    match: {plan: enterprise}\n")
    repo.commit("extra file")
    _, base, _ = check("--format", "json", "--select", "RL2")
    assert base["findings"]
    repo.git("mv", "rules/support.yaml", "rules/support-exceptions.yaml")
    (repo.root / "rules/extra.yaml").unlink()
    # rules/extra.yaml sorted first: its rule goes first, to keep the evaluation order
    (repo.root / "rules/support-exceptions.yaml").write_text(OLD.replace(
        "rules:\n",
        "rules:\n  - id: enterprise-third\n    action: keep_open\n    match: {plan: enterprise}\n",
    ))
    _, head, _ = check("--format", "json", "--select", "RL2")
    assert fingerprints(head) == fingerprints(base)  # same ruleset, same rules, same order
    code, data, _ = check("--format", "json", "--base", "HEAD")
    assert code == 0 and data["findings"] == []


def test_config_globs_are_read_at_the_ref(repo: Repo) -> None:
    repo.write("rulelint.yaml", "paths: ['policies/*.yaml']\n")
    repo.write("policies/a.yaml", OLD)
    repo.commit("config")
    sub = repo.root / "policies"
    code, data, _ = check("--format", "json", "--base", "HEAD", "--config",
                          str(repo.root / "rulelint.yaml"))
    assert code == 0 and data["findings"] == []
    (sub / "a.yaml").write_text(OLD + NEW_RULE)
    code, data, _ = check("--format", "json", "--base", "HEAD", "--select", "RL2")
    assert [f["rule_ids"][0] for f in data["findings"]] == ["de-free-refund"]


def test_unknown_ref_is_a_clear_error(repo: Repo) -> None:
    code, _, err = check("--base", "no-such-branch")
    assert code == 2
    assert "unknown git ref 'no-such-branch'" in err and "Traceback" not in err
    code, _, err = check("--base", "--upload-pack=evil")
    assert code == 2 and "not a valid git ref" in err


def test_shallow_clone_hint(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("rules/support.yaml", OLD + NEW_RULE)
    repo.commit("second")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone)],
        check=True, capture_output=True,
    )
    monkeypatch.chdir(clone)
    code, _, err = check("--base", "HEAD~1")
    assert code == 2 and "shallow clone" in err and "fetch-depth: 0" in err


def test_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "rules.yaml").write_text(OLD)
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, _, err = check("rules.yaml", "--base", "HEAD")
    assert code == 2 and "--base needs a git repository" in err


def test_base_as_a_subprocess_with_github_output(repo: Repo) -> None:
    repo.write("rules/support.yaml", OLD + NEW_RULE)
    proc = subprocess.run(
        [sys.executable, "-m", "rulelint", "check", "--base", "HEAD", "--format", "github",
         "--select", "RL2,RL3"],
        capture_output=True, text=True, cwd=repo.root, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("::error file=rules/support.yaml,line=")
    assert "title=rulelint (RL202)" in lines[0]
    # the working tree was not touched
    assert (repo.root / "rules/support.yaml").read_text() == OLD + NEW_RULE
    assert repo.git("status", "--porcelain").strip() == "M rules/support.yaml"


def test_git_dated_findings_count_only_for_new_or_edited_rules(repo: Repo) -> None:
    """RL403 from git dates: unchanged rules keep their verdict, an edited rule is new."""
    today = ("--today", "2026-12-01")  # the commits are from January 2026
    _, full, _ = check("--format", "json", "--select", "RL403", *today)
    assert sorted(f["rule_ids"][0] for f in full["findings"]) == [
        "enterprise", "enterprise-copy", "jp", "jp-pro"
    ]
    edited = OLD.replace("    match: {region: JP}\n",
                         "    match: {region: JP}\n    reviewed: 2025-01-15\n")
    repo.write("rules/support.yaml", edited)
    code, data, _ = check("--format", "json", "--select", "RL403", "--base", "HEAD", *today)
    assert [f["rule_ids"][0] for f in data["findings"]] == ["jp"]
    assert "2025-01-15" in data["findings"][0]["message"]


def test_untouched_rulesets_add_nothing_but_stale_baseline_entries_stay(repo: Repo) -> None:
    other = OLD.replace("ruleset: support", "ruleset: other")
    repo.write("rules/other.yaml", other)
    repo.commit("second ruleset")
    check("--write-baseline", "baseline.json")
    # the other ruleset is fixed (its RL201 entry goes stale), then committed: untouched now
    repo.write("rules/other.yaml", other.replace("enterprise-copy", "enterprise-copy-x")
               .replace("{plan: enterprise}\n  - id: jp", "{plan: pro}\n  - id: jp", 1))
    repo.commit("fix other")
    repo.write("rules/support.yaml", OLD + NEW_RULE)  # support changes in the working tree
    code, data, _ = check("--format", "json", "--base", "HEAD", "--baseline", "baseline.json",
                          "--select", "RL2,RL9")
    got = sorted((f["code"], f["ruleset"], f["rule_ids"][0]) for f in data["findings"])
    assert ("RL202", "support", "de-free-refund") in got
    assert all(r == "support" for c, r, _ in got if c != "RL902")
    assert ("RL902", "other", "enterprise-copy") in got


def test_file_level_problems_of_untouched_files_are_not_new(repo: Repo) -> None:
    repo.write("rules/bom.yaml", "\ufeff" + OLD.replace("ruleset: support", "ruleset: bom"))
    repo.commit("a file with a byte-order mark")
    _, full, _ = check("--format", "json", "--select", "RL0")
    assert [f["code"] for f in full["findings"]] == ["RL001"]  # the BOM warning
    repo.write("rules/support.yaml", OLD + NEW_RULE)
    code, data, _ = check("--format", "json", "--base", "HEAD", "--select", "RL0,RL2")
    assert [(f["code"], f["rule_ids"][0]) for f in data["findings"]] == [
        ("RL202", "de-free-refund")
    ]


def test_run_through_a_symlinked_directory(repo: Repo, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    link = tmp_path / "link"
    link.symlink_to(repo.root, target_is_directory=True)
    repo.write("rules/support.yaml", OLD + NEW_RULE)
    monkeypatch.chdir(link)
    code, data, _ = check(str(link / "rules"), "--format", "json", "--base", "HEAD",
                          "--select", "RL2")
    assert code == 1
    assert [f["rule_ids"][0] for f in data["findings"]] == ["de-free-refund"]
