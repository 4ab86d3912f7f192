"""compile_specs tunes the garbage collector while it runs (collector.collector_paused, collector.frozen_heap) and
leaves it as it found it: a program embedding the compiler keeps its own settings, and nothing stays frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring_dsl import collector, compiler
from monitoring_dsl.compiler import compile_specs
from monitoring_dsl.model.base import SourceLocation
from monitoring_dsl.sources import Sources

SPEC = """\
from monitoring_dsl import Alert, Counter

requests = Counter("http_requests_total", "Requests")
busy = Alert("Busy", "sum(rate(http_requests_total[5m])) > 10", for_="5m", severity="warning", summary="busy")
"""


@pytest.fixture
def restore_gc() -> Iterator[None]:
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(tmp_path: Path, restore_gc: None, enabled: bool) -> None:
    (tmp_path / "api.py").write_text(SPEC)
    (gc.enable if enabled else gc.disable)()
    gc.set_threshold(555, 11, 12)
    seen: list[tuple[bool, tuple[int, int, int], int]] = []
    real = compiler.check_and_emit

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()))
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiler, "check_and_emit", spy)
        result = compile_specs([tmp_path / "api.py"], tmp_path, jobs=1)
    assert result.artifacts is not None
    # while the checks ran: the loaded project frozen, the youngest generation collected less often
    assert [(enabled, (collector.YOUNG_THRESHOLD, 11, 12))] == [(on, limits) for on, limits, _ in seen]
    assert seen[0][2] > 1000
    assert (enabled, (555, 11, 12), 0) == (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())


def test_a_failing_load_leaves_the_collector_as_it_was(
    tmp_path: Path, restore_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object) -> None:
        raise RuntimeError("the loader crashed")

    monkeypatch.setattr(compiler, "load", crash)
    gc.enable()
    with pytest.raises(RuntimeError):
        compile_specs([tmp_path / "api.py"], tmp_path, jobs=1)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_objects_made_while_paused_are_not_young_after(restore_gc: None) -> None:
    """The project built with the collector paused goes to the oldest generation, not to the youngest, where
    the first allocation after would set off a collection of all of it."""
    started: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.enable()
    gc.collect()
    try:
        with collector.collector_paused():
            assert not gc.isenabled()
            kept = [[index] for index in range(50_000)]
            gc.callbacks.append(note)
        few = [[index] for index in range(100)]  # far fewer allocations than the youngest generation's threshold
    finally:
        gc.callbacks.remove(note)
    assert gc.isenabled()
    assert [] == started
    assert (50_000, 100) == (len(kept), len(few))


def test_a_syntax_tree_read_while_checks_run_joins_the_frozen_heap(tmp_path: Path, restore_gc: None) -> None:
    """Sources parses a spec inside frozen_heap: the pause must not unfreeze the project, and the tree stays
    frozen with it until frozen_heap ends."""
    (tmp_path / "api.py").write_text(SPEC)
    gc.enable()
    with collector.frozen_heap():
        frozen = gc.get_freeze_count()
        found = Sources().locate(SourceLocation(str(tmp_path / "api.py"), 4, 1), "http_requests_total")
        assert gc.isenabled() and gc.get_freeze_count() > frozen
    assert (4, 0) == (found[0].line if found[0] else 0, gc.get_freeze_count())
