"""Pause Python's cyclic garbage collector around the phases that allocate in bulk.

Loading, the passes, the merge planner and the proof allocate millions of small objects
that live as long as the rule set, and free the rest by reference counting (they make no
reference cycles worth collecting). With the collector on, every few thousand allocations
it walks the whole young heap and, now and then, the whole old one: more than half of the
run time at 100k rules. mypy and other tools that hold a large heap do the same
(``gc.disable``/``gc.freeze`` around their bulk phases).

``paused_gc`` nests: an inner pause leaves the collector as the outer one left it.

With the collector off, a reference cycle made in these phases is freed only when the
process exits, and with it everything it reaches: a nested function that calls itself (its
closure holds its own name) or an object that names its owner. Code that runs here breaks
such cycles when it is done (the walks of ``algebra/decided.py`` drop their own names, the
groups of ``algebra/index.py`` keep the boxes rather than the index);
``tests/test_no_cycles.py`` checks the sweep, the index and the loader.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its state afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
