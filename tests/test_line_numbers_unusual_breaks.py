"""Line numbers in messages follow the reader of the file: libyaml's lines for YAML (which
break at NEL, U+2028 and U+2029 too, as the findings' lines do), LF lines for TOML. A
U+2028 pasted into a quoted value above an error moved the tab hint and the line
(str.splitlines and LF counts disagreed with libyaml's mark)."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli


def test_a_tab_below_a_u2028_is_named_on_libyamls_line(cli: Cli, tmp_path: Path):
    (tmp_path / "rules.yaml").write_text('x: "a\u2028b"\nrules:\n\t- id: a\n', encoding="utf-8")
    result = cli("check", "rules.yaml", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert "tabs for indentation" in result.output
    assert "(line 4, column 1)" in result.output
    assert "at the end of the file" not in result.output


def test_a_pyproject_key_below_a_u2028_is_named_on_its_lf_line(cli: Cli, tmp_path: Path):
    (tmp_path / "rules.yaml").write_text("rules: []\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x\u2028y"\n\n[tool.rulelint]\nmax-rules = 3\n', encoding="utf-8")
    result = cli("check", "rules.yaml", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert "pyproject.toml:5:" in result.output, result.output
