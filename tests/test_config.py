"""Configuration: discovery (current directory up to the git root, or ``--config``),
validation (a bad config is exit 2 with one line), and precedence
(CLI flags > ``rulesets.<name>`` in rulelint.yaml > the rule file's header)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_clean_exit, codes, findings, git_init, one, write_rules
from rulelint.load.config import ConfigError, discover_config, resolve_settings

FOUR_RULES = """\
ruleset: support
limits: {max_rules: 100, warn_ratio: 0.9}
rules:
  - {id: a, action: x, match: {k: '1'}, description: one}
  - {id: b, action: y, match: {k: '2'}}
  - {id: c, action: x, match: {k: '3'}}
  - {id: d, action: y, match: {k: '4'}}
"""


def limit_codes(report):
    return [c for c in codes(report) if c in ("RL101", "RL102")]


def max_rules(report):
    [rs] = report["summary"]["rulesets"]
    return rs["max_rules"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = git_init(tmp_path / "repo")
    write_rules(root, FOUR_RULES, "rules/support.yaml")
    (root / "sub" / "deeper").mkdir(parents=True)
    return root


def test_discovered_from_a_subdirectory_up_to_the_git_root(cli, repo):
    write_rules(repo, 'paths: ["rules/*.yaml"]\nrulesets:\n  support: {max_rules: 4}\n', "rulelint.yaml")
    rc, report = cli.json("check", cwd=repo / "sub" / "deeper")
    assert max_rules(report) == 4
    f = one(report, "RL102")
    # outside the current directory the file is shown by its full path
    assert f["file"] == (repo / "rules" / "support.yaml").as_posix()
    assert report["summary"]["files"] == 1 and rc == 0


def test_hidden_config_name_is_found(cli, repo):
    write_rules(repo, 'paths: ["rules/*.yaml"]\nrulesets:\n  support: {max_rules: 3}\n', ".rulelint.yaml")
    rc, report = cli.json("check", cwd=repo / "sub")
    assert max_rules(report) == 3 and "RL101" in codes(report) and rc == 1


def test_nearest_config_wins(cli, repo):
    write_rules(repo, "rulesets:\n  support: {max_rules: 3}\n", "rulelint.yaml")
    write_rules(repo, "rulesets:\n  support: {max_rules: 50}\n", "sub/rulelint.yaml")
    rc, report = cli.json("check", str(repo / "rules" / "support.yaml"), cwd=repo / "sub" / "deeper")
    assert max_rules(report) == 50


def test_config_above_the_git_root_is_not_used(cli, tmp_path, repo):
    write_rules(tmp_path, "rulesets:\n  support: {max_rules: 2}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert max_rules(report) == 100  # the header's, not the stray parent config's
    assert discover_config(repo / "sub") is None


def test_outside_git_only_the_current_directory_is_searched(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    write_rules(tmp_path, "require: [owner]\n", "a/rulelint.yaml")
    assert discover_config(tmp_path / "a" / "b") is None
    assert discover_config(tmp_path / "a") == tmp_path / "a" / "rulelint.yaml"


def test_explicit_config(cli, repo, tmp_path):
    cfg = write_rules(tmp_path, "rulesets:\n  support: {max_rules: 4}\n", "elsewhere/custom.yaml")
    write_rules(repo, "rulesets:\n  support: {max_rules: 50}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", "--config", str(cfg), cwd=repo)
    assert max_rules(report) == 4 and limit_codes(report) == ["RL102"]


def test_missing_explicit_config_is_exit_2(cli, repo):
    result = cli("check", "rules/support.yaml", "--config", "nope.yaml", cwd=repo)
    assert result.exit_code == 2
    assert "nope.yaml" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("requre: [owner]\n", "did you mean 'require'?"),
        ("rulesets:\n  support: {max_rule: 3}\n", "max_rule"),
        ("staleness: {review_days: soon}\n", "review_days"),
        ("paths: [\n", "invalid YAML"),
        ("- a\n- b\n", "mapping"),
        ("fields:\n  plan: {kind: enum}\n", "values"),
    ],
)
def test_bad_config_is_exit_2_with_one_line(cli, repo, text, needle):
    write_rules(repo, text, "rulelint.yaml")
    result = cli("check", "rules/support.yaml", cwd=repo)
    assert_clean_exit(result.output, result.exit_code)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "rulelint.yaml" in lines[0] and needle in lines[0]


def test_config_problem_names_its_line(repo):
    write_rules(repo, "paths: [a]\nrequire: [owner]\nrequre: [x]\n", "rulelint.yaml")
    with pytest.raises(ConfigError, match=r"rulelint\.yaml:3: unknown key 'requre'"):
        resolve_settings(cwd=repo)


def test_empty_config_is_fine(cli, repo):
    write_rules(repo, "", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert max_rules(report) == 100


# --- precedence ------------------------------------------------------------------------------


def test_precedence_header_only(cli, repo):
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert max_rules(report) == 100 and limit_codes(report) == []


def test_precedence_config_ruleset_over_header(cli, repo):
    write_rules(repo, "rulesets:\n  support: {max_rules: 3}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert max_rules(report) == 3 and limit_codes(report) == ["RL101"] and rc == 1


def test_precedence_cli_over_config_and_header(cli, repo):
    write_rules(repo, "rulesets:\n  support: {max_rules: 3}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", "--max-rules", "1000", cwd=repo)
    assert max_rules(report) == 1000 and limit_codes(report) == [] and rc == 0


def test_config_overrides_only_what_it_sets(cli, repo):
    # warn_ratio 0.9 comes from the header, max_rules 4 from the config: 4/4 >= 0.9
    write_rules(repo, "rulesets:\n  support: {max_rules: 4}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert limit_codes(report) == ["RL102"] and "warn at 90%" in one(report, "RL102")["message"]
    write_rules(repo, "rulesets:\n  support: {max_rules: 5, warn_ratio: 0.5}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert "warn at 50%" in one(report, "RL102")["message"]


def test_config_semantics_override_header(cli, repo):
    write_rules(
        repo,
        "semantics: first-match\nrules:\n  - {id: a, action: x, match: {k: v}}\n"
        "  - {id: b, action: y, match: {k: v}}\n",
        "rules/sem.yaml",
    )
    rc, report = cli.json("check", "rules/sem.yaml", cwd=repo)
    assert "comes first" in one(report, "RL202")["message"]
    write_rules(repo, "rulesets:\n  sem: {semantics: any-match}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/sem.yaml", cwd=repo)
    assert "both apply" in one(report, "RL202")["message"]


def test_config_paths_and_ruleset_name(cli, repo):
    write_rules(repo, "rules:\n  - {id: z, action: x, match: {k: '9'}}\n", "rules/extra.yaml")
    write_rules(
        repo,
        'rulesets:\n  combined: {paths: ["rules/*.yaml"], max_rules: 10}\n',
        "rulelint.yaml",
    )
    rc, report = cli.json("check", cwd=repo)
    names = {rs["name"]: rs for rs in report["summary"]["rulesets"]}
    # the header's `ruleset: support` still names support.yaml; extra.yaml has no header name
    assert names["combined"]["rules"] == 1 and names["combined"]["max_rules"] == 10
    assert names["support"]["rules"] == 4


def test_config_paths_outside_root_are_refused(cli, repo, tmp_path):
    write_rules(tmp_path, "rules: []\n", "outside.yaml")
    write_rules(repo, 'paths: ["../outside.yaml"]\n', "rulelint.yaml")
    result = cli("check", cwd=repo)
    assert result.exit_code == 2 and "outside the project root" in result.output


# --- require / defaults (RL501) ----------------------------------------------------------------


def test_require_reports_missing_metadata(cli, repo):
    write_rules(repo, "require: [description, owner]\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    got = {f["rule_ids"][0]: f for f in findings(report, "RL501")}
    assert sorted(got) == ["a", "b", "c", "d"]
    assert "'owner'" in got["a"]["message"] and "'description'" not in got["a"]["message"]
    assert "'description', 'owner'" in got["b"]["message"]
    assert got["b"]["line"] == 5 and got["b"]["severity"] == "warning"
    assert got["b"]["name"] == "missing-metadata"
    assert rc == 0  # warnings only


def test_defaults_fill_required_metadata(cli, repo):
    write_rules(repo, "require: [owner]\n", "rulelint.yaml")
    text = FOUR_RULES.replace("rules:\n", "defaults: {owner: cs-ops@example.com}\nrules:\n", 1)
    write_rules(repo, text, "rules/support.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert "RL501" not in codes(report)


def test_empty_required_value_counts_as_missing(cli, repo):
    write_rules(repo, "require: [tags, ticket]\n", "rulelint.yaml")
    write_rules(
        repo,
        "rules:\n  - {id: a, action: x, match: {k: v}, tags: [], ticket: ''}\n"
        "  - {id: b, action: x, match: {k: w}, tags: [t], ticket: [T-1]}\n",
        "rules/meta.yaml",
    )
    rc, report = cli.json("check", "rules/meta.yaml", cwd=repo)
    assert [f["rule_ids"] for f in findings(report, "RL501")] == [["a"]]


def test_no_require_no_rl501(cli, repo):
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert "RL501" not in codes(report)


# --- select / ignore from the config ----------------------------------------------------------


def test_config_ignore(cli, repo):
    write_rules(repo, "require: [owner]\nignore: [RL5]\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert "RL501" not in codes(report)


def test_cli_select_replaces_config_select(cli, repo):
    write_rules(repo, "require: [owner]\nselect: [RL5]\nrulesets:\n  support: {max_rules: 3}\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", cwd=repo)
    assert set(codes(report)) == {"RL501"}
    rc, report = cli.json("check", "rules/support.yaml", "--select", "RL1", cwd=repo)
    assert set(codes(report)) == {"RL101"}


def test_cli_select_overrides_config_ignore(cli, repo):
    write_rules(repo, "require: [owner]\nignore: [RL501]\n", "rulelint.yaml")
    rc, report = cli.json("check", "rules/support.yaml", "--select", "RL501", cwd=repo)
    assert "RL501" in codes(report)


def test_unknown_code_in_config_is_exit_2(cli, repo):
    write_rules(repo, "ignore: [RL999]\n", "rulelint.yaml")
    result = cli("check", "rules/support.yaml", cwd=repo)
    assert result.exit_code == 2 and "RL999" in result.output
