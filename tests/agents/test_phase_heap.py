"""A phase leaves what was alive before it out of the garbage collector's full passes, and
gives it back when it ends; cycles made during the phase are still collected."""

from __future__ import annotations

import gc
import weakref

from agents.phases.generate import long_lived_frozen


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
