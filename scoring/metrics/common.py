"""What the per-part metrics share: entropy of counts, the metrical grid of a meter on 16ths,
felt-beat tests, and chords as arrays looked up by time."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.notes import Note, sorted_notes
from scoring.timeline import ChordSpanLike

#: Tolerance when comparing positions in quarter notes.
EPS: Final = 1e-6
#: The metrics' grid: sixteenth notes, four per quarter note.
STEPS_PER_QN: Final = 4
NAN: Final = float("nan")


def entropy_bits(counts: NDArray[np.float64] | NDArray[np.int64]) -> float:
    """Shannon entropy in bits of a histogram (NaN when it is empty)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    if total <= 0:
        return NAN
    p = c[c > 0] / total
    return float(-(p * np.log2(p)).sum()) + 0.0


def share(mask: NDArray[np.bool_]) -> float:
    """Mean of a boolean array, NaN when it is empty (the count over the size: the float
    ``mask.mean()`` gives, without its generic reduction)."""
    return int(np.count_nonzero(mask)) / mask.size if mask.size else NAN


@functools.cache
def step_levels(meter: Meter) -> tuple[int, ...]:
    """Metrical level of each 16th of a bar of ``meter``: 0 the downbeat, 1 another strong beat
    (:meth:`Meter.is_strong`), 2 a felt beat, 3 a denominator unit, 4 an eighth note, 5 finer."""
    steps = round(meter.bar_qn * STEPS_PER_QN)
    beats = {round(b * STEPS_PER_QN) for b in meter.beat_offsets_qn()}
    unit = max(1, round(meter.unit_qn * STEPS_PER_QN))
    out = []
    for s in range(steps):
        if s == 0:
            out.append(0)
        elif s in beats and meter.is_strong(s / STEPS_PER_QN):
            out.append(1)
        elif s in beats:
            out.append(2)
        elif s % unit == 0:
            out.append(3)
        elif s % 2 == 0:
            out.append(4)
        else:
            out.append(5)
    return tuple(out)


@functools.cache
def step_weights(meter: Meter) -> NDArray[np.float64]:
    """``[steps per bar]`` metrical weight of each 16th: ``(5 - level) / 5``, 1 on the downbeat,
    0 on the finest steps (read-only)."""
    w = (5.0 - np.asarray(step_levels(meter), dtype=np.float64)) / 5.0
    w.flags.writeable = False
    return w


@functools.cache
def beat_starts_qn(meter: Meter) -> NDArray[np.float64]:
    """``[beats per bar + 1]``: the felt beats' starts inside a bar and the bar's end (qn)."""
    out = np.array([*meter.beat_offsets_qn(), meter.bar_qn], dtype=np.float64)
    out.flags.writeable = False
    return out


def on_felt_beat(position_qn: NDArray[np.float64], meter: Meter) -> NDArray[np.bool_]:
    """Which times (qn from a bar line) fall on the start of a felt beat."""
    pos = np.mod(position_qn, meter.bar_qn)
    starts = beat_starts_qn(meter)
    return np.any(np.abs(pos[:, None] - starts[None, :]) < 1e-4, axis=1)


@dataclass(frozen=True, slots=True)
class ChordTrack:
    """Chords sorted by start and not overlapping, as arrays ``[C]``: times (qn), root, the
    bass pitch class (the root unless written otherwise) and a ``[C, 12]`` pitch-class mask."""

    start: NDArray[np.float64]
    end: NDArray[np.float64]
    root: NDArray[np.int64]
    bass: NDArray[np.int64]
    tones: NDArray[np.bool_]

    @classmethod
    def of(cls, chords: Sequence[ChordSpanLike]) -> ChordTrack:
        tones = np.zeros((len(chords), 12), dtype=bool)
        for i, c in enumerate(chords):
            tones[i, list(c.pitch_classes)] = True
        return cls(
            start=np.array([c.start for c in chords], dtype=np.float64),
            end=np.array([c.end for c in chords], dtype=np.float64),
            root=np.array([c.root for c in chords], dtype=np.int64),
            bass=np.array([c.root if c.bass is None else c.bass for c in chords], dtype=np.int64),
            tones=tones,
        )

    @classmethod
    def shared(cls, chords: Sequence[ChordSpanLike]) -> ChordTrack:
        """:meth:`of`, kept for the last tuple of frozen chords asked for: a phase measures
        thousands of candidates over the same approved chords, the same tuple each time. The
        arrays of a kept track are read-only."""
        kept = _LAST_TRACK.get("chords")
        if kept is not None and kept[0] is chords:
            return kept[1]
        if not isinstance(chords, tuple) or not all(_frozen(c) for c in chords):
            return cls.of(chords)
        track = cls.of(chords)
        for array in (track.start, track.end, track.root, track.bass, track.tones):
            array.flags.writeable = False
        _LAST_TRACK["chords"] = (chords, track)
        return track

    def __len__(self) -> int:
        return len(self.start)

    def index_at(self, times: NDArray[np.float64]) -> NDArray[np.int64]:
        """The chord sounding at each time, -1 where none does."""
        if not len(self):
            return np.full(len(times), -1, dtype=np.int64)
        i = np.searchsorted(self.start, times + EPS, side="right") - 1
        ok = i >= 0
        ok[ok] = times[ok] < self.end[i[ok]] - EPS
        return np.where(ok, i, -1)


#: The last chords :meth:`ChordTrack.shared` converted, held (so ``is`` is a safe test) with
#: their track.
_LAST_TRACK: dict[str, tuple[tuple[ChordSpanLike, ...], ChordTrack]] = {}


def _frozen(thing: object) -> bool:
    """A frozen dataclass: its fields cannot change while a track made from it is kept."""
    params = getattr(type(thing), "__dataclass_params__", None)
    return bool(params is not None and params.frozen)


def checked_length(length_qn: float, name: str = "length_qn") -> float:
    """``length_qn`` if it is a positive finite length, else a ValueError naming it."""
    if not (math.isfinite(length_qn) and length_qn > 0):
        raise ValueError(f"{name}: {length_qn!r} -- a positive length in quarter notes")
    return float(length_qn)


def note_arrays(
    notes: Sequence[Note],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Starts, ends (qn) and pitches ``[N]`` of ``notes`` in time order."""
    ordered = sorted_notes(notes)
    return (
        np.array([n.start for n in ordered], dtype=np.float64),
        np.array([n.end for n in ordered], dtype=np.float64),
        np.array([n.pitch for n in ordered], dtype=np.int64),
    )
