"""The phases that run with the cyclic GC paused (``util/gcpause.py``) leave no reference
cycles behind: with the collector off, an object in a cycle is freed only at exit, and with
it everything it reaches (issue 15: the walks' self-referring closures kept every trie of the decided-so-far
sweep, 240 MiB of the peak of a 100k-rule check, and each planner index was a cycle with its
groups).

Each test runs the code once to warm it up (a first call may build module-level caches and
classes), then again with the collector off, and counts what a collection then finds."""

from __future__ import annotations

import gc
import importlib.util
import sys
from pathlib import Path

import pytest

from rulelint.algebra import decided
from rulelint.algebra.decided import sweep
from rulelint.algebra.index import OverlapIndex
from rulelint.load.config import Settings
from rulelint.load.files import SourceFile
from rulelint.load.loading import parse_text
from rulelint.load.project import load_project

REPO = Path(__file__).resolve().parent.parent


def _generate(n: int, profile: str) -> str:
    spec = importlib.util.spec_from_file_location("_gen_no_cycles", REPO / "benchmarks/generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.generate(n, 20260101, profile)


def _ruleset(tmp_path: Path, text: str):
    p = tmp_path / "rules.yaml"
    p.write_text(text, encoding="utf-8")
    project = load_project([SourceFile(p, "rules.yaml")], Settings(root=tmp_path, cwd=tmp_path))
    [rs] = project.rulesets.values()
    return rs


def _garbage_left(run) -> int:
    """Objects in cycles that ``run()`` leaves unreachable, with the collector off."""
    run()
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        run()
        return gc.collect()
    finally:
        if was:
            gc.enable()


@pytest.fixture(scope="module", params=["realistic", "dense"])
def rules(request, tmp_path_factory):
    rs = _ruleset(tmp_path_factory.mktemp(request.param), _generate(1500, request.param))
    return rs, rs.live_rules()


@pytest.mark.parametrize("given_up", [False, True])
def test_the_sweep_leaves_no_cycles(rules, given_up, monkeypatch):
    rs, live = rules
    if given_up:  # every trie given up at once: the walks stop by an exception
        monkeypatch.setattr(decided, "STEPS_BASE", 0)
        monkeypatch.setattr(decided, "STEPS_PER_RULE", 0)

    def run():
        got = sweep([r.box for r in live], [r.under for r in live], [r.action for r in live],
                    rs.domains)
        assert bool(got.unknown) == given_up

    assert _garbage_left(run) == 0


def test_an_index_leaves_no_cycles(rules):
    rs, live = rules

    def run():
        index = OverlapIndex([r.box for r in live])
        for r in live[::50]:  # composite indexes and interval trees, built on first use
            list(index.iter_candidates(r.box, within=frozenset(r.box)))
            list(index.iter_candidates(r.box, hi=r.order))

    assert _garbage_left(run) == 0


def test_loading_leaves_no_cycles(tmp_path):
    text = _generate(300, "realistic")
    assert _garbage_left(lambda: _ruleset(tmp_path, text)) == 0
    assert _garbage_left(lambda: parse_text(text, "rules.yaml")) == 0
