"""A phase leaves what was alive before it out of the garbage collector's full passes, and
gives it back when it ends; cycles made during the phase are still collected."""

from __future__ import annotations

import gc
import weakref

from agents.phases.generate import PHASE_GC_THRESHOLD, long_lived_frozen


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_heap_before_a_phase_is_frozen_and_released() -> None:
    assert gc.get_freeze_count() == 0
    before = [_Node()]
    with long_lived_frozen():
        assert gc.get_freeze_count() > 0
        assert not any(o is before[0] for o in gc.get_objects())  # out of every generation
    assert gc.get_freeze_count() == 0
    assert any(o is before[0] for o in gc.get_objects())


def test_the_young_generation_waits_longer_during_a_phase_and_is_restored() -> None:
    before = gc.get_threshold()
    with long_lived_frozen():
        assert gc.get_threshold() == (max(before[0], PHASE_GC_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before
    try:
        with long_lived_frozen():
            raise RuntimeError("a phase that fails")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_cycles_made_during_a_phase_are_collected() -> None:
    with long_lived_frozen():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        dead = weakref.ref(a)
        del a, b
        gc.collect()
        assert dead() is None


def test_a_caller_that_froze_the_heap_keeps_it_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with long_lived_frozen():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
