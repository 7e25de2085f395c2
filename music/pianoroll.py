"""Beat-aligned piano rolls: a fixed number of steps per quarter note, so tempo never changes
the picture (the original system used absolute 100 ms steps)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from music.notes import Part

STEPS_PER_QN = 4


def _step(qn: float, steps_per_qn: int) -> int:
    """Nearest step, halves rounded up. Python's ``round`` rounds halves to even, which puts
    notes at 1.5 and 2.5 steps on the same step and spaces evenly spaced notes unevenly."""
    return math.floor(qn * steps_per_qn + 0.5)


def _span(start: float, end: float, steps_per_qn: int) -> tuple[int, int]:
    """First step and one past the last step of a note; every note covers at least one step."""
    a = _step(start, steps_per_qn)
    return a, max(a + 1, _step(end, steps_per_qn))


def piano_roll(
    parts: tuple[Part, ...] | list[Part],
    *,
    steps_per_qn: int = STEPS_PER_QN,
    length_steps: int | None = None,
    include_drums: bool = False,
) -> NDArray[np.float32]:
    """Roll of shape ``[128, T]`` (pitch x step) with velocity/127 where a note sounds.

    ``T`` is ``length_steps`` when given (longer music is cut, shorter is zero-padded), else
    enough steps to hold the last note-off (as rounded to the grid, so no note is cut).
    Overlapping notes keep the louder velocity.
    """
    if steps_per_qn <= 0:
        raise ValueError(f"steps_per_qn: {steps_per_qn!r} -- a positive integer")
    chosen = [p for p in parts if include_drums or not p.is_drum]
    if length_steps is not None:
        total = length_steps
    else:
        total = max(
            (_span(n.start, n.end, steps_per_qn)[1] for p in chosen for n in p.notes), default=0
        )
    roll = np.zeros((128, max(total, 0)), dtype=np.float32)
    for part in chosen:
        for n in part.notes:
            a, b = _span(n.start, n.end, steps_per_qn)
            if a >= total:
                continue
            b = min(b, total)
            roll[n.pitch, a:b] = np.maximum(roll[n.pitch, a:b], n.velocity / 127.0)
    return roll


def onset_roll(
    parts: tuple[Part, ...] | list[Part],
    *,
    steps_per_qn: int = STEPS_PER_QN,
    length_steps: int,
    include_drums: bool = True,
) -> NDArray[np.float32]:
    """Like :func:`piano_roll` but marks only the step where each note starts: ``[128, T]``."""
    if steps_per_qn <= 0:
        raise ValueError(f"steps_per_qn: {steps_per_qn!r} -- a positive integer")
    roll = np.zeros((128, length_steps), dtype=np.float32)
    for part in parts:
        if part.is_drum and not include_drums:
            continue
        for n in part.notes:
            a = _step(n.start, steps_per_qn)
            if 0 <= a < length_steps:
                roll[n.pitch, a] = max(roll[n.pitch, a], n.velocity / 127.0)
    return roll
