"""algebra/boxops.py against plain membership: ``cut_all`` (which joins boxes equal on all
fields but one before it subtracts) leaves exactly the events of the box that no other box
holds, on rule boxes from test_decided's small pools, loaded through the real loader."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulelint.algebra.boxops import cut, cut_all, join_boxes, point_set
from rulelint.algebra.sets import StrSet, box_meets
from test_decided import _events, _load, _ruleset


def _holds(box: dict, event: dict, dom) -> bool:
    point = {f: point_set(dom[f], event[f]) for f in box}
    return box_meets(point, box)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(2, 40))
def test_cut_all_leaves_what_no_box_holds(tmp_path_factory, seed, n):
    rs, live = _load(tmp_path_factory.mktemp("b"), _ruleset(seed, n))
    dom = rs.domains
    for i, r in enumerate(live):
        others = [c.box for c in live[:i] if c.box.keys() <= r.box.keys()]
        left = cut_all([r.box], others, dom)
        one_by_one = [r.box]
        for b in others:
            one_by_one, _ = cut(one_by_one, b, dom)
        for e in _events(sorted(r.box)):
            want = _holds(r.box, e, dom) and not any(_holds(b, e, dom) for b in others)
            assert any(_holds(p, e, dom) for p in left) == want, (r.id, e)
            assert any(_holds(p, e, dom) for p in one_by_one) == want, (r.id, e)
        joined = join_boxes(others, dom)
        assert len(joined) <= len(others)
        for e in _events(sorted(r.box)):
            assert any(_holds(b, e, dom) for b in joined) == any(_holds(b, e, dom) for b in others)


def test_boxes_that_differ_in_one_string_become_one(tmp_path):
    rs, _ = _load(tmp_path, _ruleset(1, 3))
    dom = rs.domains
    boxes = [{"subject": StrSet.values([f"c{k}"]), "plan": frozenset({"pro"})} for k in range(50)]
    boxes.append({"subject": StrSet.values(["c1"]), "plan": frozenset({"free"})})
    joined = join_boxes(boxes, dom)
    assert len(joined) == 2
    assert joined[0]["subject"] == StrSet.values([f"c{k}" for k in range(50)])
    assert joined[0]["plan"] == frozenset({"pro"}) and joined[1] == boxes[-1]
