"""How monitoring-dsl runs Python's garbage collector: a run builds a large project that lives until it ends,
and the collections its allocations set off would walk all of it again and again to find almost nothing.

`collector_paused` is for the stretches that build what lives long (loading the specs, the check context, a
spec's syntax tree); `frozen_heap` for the checks and emit that then read it. Both leave the collector as they
found it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while the specs load and the check context is built, or a spec's syntax tree: they
    make hundreds of thousands of objects that live until the run ends, and each collection the allocations set
    off walks them all again, to find almost nothing (on workload L, 199 objects in cycles; 0.8 s of a 2.9 s
    load; two thirds of parsing a spec)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Everything made meanwhile still counts as young: the first allocation after enable() would set
            # off a collection of all of it (0.13 s on workload L). freeze() moves it out of the youngest
            # generation. Inside a frozen heap (a spec's syntax tree, read while checks run) it stays frozen
            # with the rest, until frozen_heap ends; otherwise unfreeze() puts it in the oldest generation,
            # where only a full collection, when one is due, looks at it.
            # Inside is known from a count of our own: gc.get_freeze_count() walks every frozen object (28 ms
            # on workload L, for each of the 50 specs whose syntax tree a check reads).
            gc.freeze()
            if not _frozen:
                gc.unfreeze()
            gc.enable()


# Allocations between two collections of the youngest generation while checks and emit run (CPython: 700). The
# checks allocate millions of short-lived objects, nearly all freed by reference counting; collecting ten
# times as rarely costs a few MB of garbage held a little longer.
YOUNG_THRESHOLD = 7000
_frozen = 0  # frozen_heap()s entered and not left, in this process


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the garbage collector off every object that exists now (the loaded project) while checks and emit
    run: those objects live until the run ends, and each full collection would walk all of them again (on
    workload L, a sixth of the run; with forked children, it would also copy every page it touched). The
    youngest generation is collected less often meanwhile (YOUNG_THRESHOLD)."""
    global _frozen
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
    _frozen += 1
    try:
        yield
    finally:
        _frozen -= 1
        gc.set_threshold(*thresholds)
        gc.unfreeze()
