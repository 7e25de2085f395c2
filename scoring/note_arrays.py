"""Parts as numpy arrays, for the scorer's hot path: windowing, piano rolls and per-note counts
of many candidates without building a :class:`~music.notes.Note` per windowed note.

Every function here gives exactly (bit for bit) what the per-note definitions in
:mod:`scoring.midi_features`'s docstring and :mod:`music.pianoroll` give: the same float64
operations in the same order, notes kept in the order a :class:`~music.notes.Part` sorts them,
and maxima (which do not depend on order) for overlapping notes.

A :class:`Backdrop` holds the parts underneath a population (the approved chords under a drum
candidate, say): they are the same for every candidate, so they are converted, windowed and
rolled once, and each candidate's own parts are combined with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.notes import Part

STEPS_PER_QN = 4
ROLL_STEPS = 128
WINDOW_QN = ROLL_STEPS / STEPS_PER_QN


@dataclass(frozen=True, slots=True)
class PartArrays:
    """One part's notes as arrays ``[N]``, in the part's (sorted) order; times in qn."""

    start: NDArray[np.float64]
    end: NDArray[np.float64]
    pitch: NDArray[np.int64]
    velocity: NDArray[np.int64]
    is_drum: bool

    @classmethod
    def of(cls, part: Part) -> PartArrays:
        notes = part.notes
        return cls(
            start=np.array([n.start for n in notes], dtype=np.float64),
            end=np.array([n.end for n in notes], dtype=np.float64),
            pitch=np.array([n.pitch for n in notes], dtype=np.int64),
            velocity=np.array([n.velocity for n in notes], dtype=np.int64),
            is_drum=part.is_drum,
        )

    def __len__(self) -> int:
        return len(self.start)


@dataclass(frozen=True, slots=True)
class Window:
    """Where the 32-qn window sits: ``offset`` qn dropped, music looped every ``loop`` qn,
    ``copies`` times."""

    offset: float
    loop: float
    copies: int


def window_of(first_start: float, last_end: float, *, meter: Meter) -> Window:
    """The window for music whose first note starts at ``first_start`` and whose last ends at
    ``last_end`` (qn): leading empty bars dropped, short music looped at whole bars."""
    bar = meter.bar_qn
    offset = math.floor(first_start / bar + 1e-9) * bar
    end = last_end - offset
    loop = max(bar, math.ceil(end / bar - 1e-9) * bar)
    copies = math.ceil(WINDOW_QN / loop) if loop < WINDOW_QN else 1
    return Window(offset=offset, loop=loop, copies=copies)


def windowed(part: PartArrays, window: Window) -> PartArrays:
    """``part`` as it fills the window (copies looped, notes crossing the end shortened, notes
    past it dropped), sorted as :class:`~music.notes.Part` sorts notes."""
    starts, ends, keep = [], [], []
    for k in range(window.copies):
        shift = k * window.loop - window.offset
        start = part.start + shift
        stop = np.minimum(part.end + shift, WINDOW_QN)
        starts.append(start)
        ends.append(stop)
        keep.append((start < WINDOW_QN) & (stop > start))
    mask = np.concatenate(keep)
    start = np.concatenate(starts)[mask]
    end = np.concatenate(ends)[mask]
    pitch = np.tile(part.pitch, window.copies)[mask]
    velocity = np.tile(part.velocity, window.copies)[mask]
    if len(start) and np.any(start < 0):
        bad = float(start[start < 0][0])
        raise ValueError(f"Note.start: {bad!r} -- a finite time >= 0 (quarter notes)")
    order = np.lexsort((velocity, pitch, end, start))
    return PartArrays(
        start=start[order],
        end=end[order],
        pitch=pitch[order],
        velocity=velocity[order],
        is_drum=part.is_drum,
    )


def _steps(qn: NDArray[np.float64]) -> NDArray[np.int64]:
    """Nearest step, halves rounded up (as :func:`music.pianoroll._step`)."""
    return np.floor(qn * STEPS_PER_QN + 0.5).astype(np.int64)


def rolls(parts: Sequence[PartArrays]) -> NDArray[np.float32]:
    """``[2, 128, ROLL_STEPS]``: the sustained roll of the pitched parts (velocity/127 while a
    note sounds, the louder of overlapping notes) and the onset roll of every part."""
    total = ROLL_STEPS
    flat = np.zeros((2, 128 * total), dtype=np.float32)
    pitched = [p for p in parts if not p.is_drum and len(p)]
    if pitched:
        start = np.concatenate([p.start for p in pitched])
        end = np.concatenate([p.end for p in pitched])
        pitch = np.concatenate([p.pitch for p in pitched])
        level = (np.concatenate([p.velocity for p in pitched]) / 127.0).astype(np.float32)
        a = _steps(start)
        b = np.minimum(np.maximum(a + 1, _steps(end)), total)
        live = a < total
        a, b, pitch, level = a[live], b[live], pitch[live], level[live]
        lengths = b - a
        if len(lengths):
            first = np.repeat(pitch * total + a - np.cumsum(lengths) + lengths, lengths)
            cells = first + np.arange(int(lengths.sum()))
            np.maximum.at(flat[0], cells, np.repeat(level, lengths))
    every = [p for p in parts if len(p)]
    if every:
        a = _steps(np.concatenate([p.start for p in every]))
        pitch = np.concatenate([p.pitch for p in every])
        level = (np.concatenate([p.velocity for p in every]) / 127.0).astype(np.float32)
        live = (a >= 0) & (a < total)
        np.maximum.at(flat[1], pitch[live] * total + a[live], level[live])
    return flat.reshape(2, 128, total)


@dataclass
class Backdrop:
    """The parts underneath every candidate of a population, converted once; each distinct
    window they are placed in is computed once and kept (a population has one or two)."""

    parts: tuple[PartArrays, ...]
    first_start: float
    last_end: float
    _windows: dict[Window, tuple[tuple[PartArrays, ...], NDArray[np.float32]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def of(cls, parts: Sequence[Part]) -> Backdrop:
        arrays = tuple(PartArrays.of(p) for p in parts)
        starts = [float(a.start.min()) for a in arrays if len(a)]
        ends = [float(a.end.max()) for a in arrays if len(a)]
        return cls(
            parts=arrays,
            first_start=min(starts, default=math.inf),
            last_end=max(ends, default=-math.inf),
        )

    def placed(self, window: Window) -> tuple[tuple[PartArrays, ...], NDArray[np.float32]]:
        """The windowed parts underneath (empty ones dropped) and their ``[2, 128, T]`` rolls."""
        hit = self._windows.get(window)
        if hit is None:
            parts = tuple(w for w in (windowed(p, window) for p in self.parts) if len(w))
            hit = (parts, rolls(parts))
            if len(self._windows) >= 16:
                self._windows.clear()
            self._windows[window] = hit
        return hit
