"""Plain time-line inputs shared by the bass and melody scores: the chord sounding over a span
of time, looked up by time, and onsets tiled to a length. Times are quarter notes (qn) from the
start of the section. Nothing here knows how a part was generated."""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from music.meter import Meter

#: Tolerance when comparing positions in quarter notes.
EPS = 1e-6


class ChordSpanLike(Protocol):
    """Anything that says which chord sounds from ``start`` to ``end`` (qn): its root pitch
    class, its pitch classes (root first) and the pitch class in the bass (None or the root
    for a root-position chord). The generators' timeline fits this shape."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def root(self) -> int: ...

    @property
    def pitch_classes(self) -> tuple[int, ...]: ...

    @property
    def bass(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class ChordSpan:
    """One chord sounding from ``start`` to ``end`` (qn): root pitch class and pitch classes
    (root first). ``bass`` is the pitch class in the bass when it is not the root (slash
    chords), else None."""

    start: float
    end: float
    root: int
    pitch_classes: tuple[int, ...]
    bass: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)) or self.end <= self.start:
            raise ValueError(
                f"ChordSpan: start {self.start!r}, end {self.end!r} -- finite times (qn) with "
                "end after start"
            )
        if not 0 <= self.root <= 11 or any(not 0 <= pc <= 11 for pc in self.pitch_classes):
            raise ValueError(
                f"ChordSpan: root {self.root!r}, pitch_classes {self.pitch_classes!r} -- "
                "pitch classes 0..11"
            )


class ChordLookup:
    """Chords sorted by start and not overlapping, looked up by time in O(log n)."""

    __slots__ = ("chords", "starts")

    def __init__(self, chords: Sequence[ChordSpanLike]) -> None:
        self.chords = tuple(chords)
        self.starts = [c.start for c in self.chords]

    def __call__(self, t: float) -> ChordSpanLike | None:
        """The chord sounding at ``t`` (qn), or None outside every span."""
        i = bisect.bisect_right(self.starts, t + EPS) - 1
        if i < 0:
            return None
        chord = self.chords[i]
        return chord if t < chord.end - EPS else None


def chord_at(chords: Sequence[ChordSpanLike], t: float) -> ChordSpanLike | None:
    """The chord sounding at time ``t`` (qn), or None outside every span. ``chords`` must be
    sorted by start and not overlap. For many look-ups build one :class:`ChordLookup`."""
    return ChordLookup(chords)(t)


@functools.lru_cache(maxsize=1 << 16)
def is_felt_beat(meter: Meter, position_qn: float) -> bool:
    """True when ``position_qn`` (from a bar line) falls on the start of a felt beat
    (remembered per meter and position)."""
    pos = position_qn % meter.bar_qn
    return any(abs(pos - b) < EPS or abs(pos - meter.bar_qn) < EPS for b in meter.beat_offsets_qn())


def tile_onsets(onsets: Sequence[float], period_qn: float, total_qn: float) -> tuple[float, ...]:
    """Repeat a pattern's onsets (qn within ``period_qn``) to cover ``total_qn``: a one-bar
    kick pattern tiled over an eight-bar section. Onsets at or past the period are dropped."""
    if not (period_qn > 0 and math.isfinite(period_qn)):
        raise ValueError(f"period_qn: {period_qn!r} -- a positive length in quarter notes")
    base = sorted(o for o in onsets if 0 <= o < period_qn - EPS)
    out: list[float] = []
    start = 0.0
    while start < total_qn - EPS:
        out.extend(start + o for o in base if start + o < total_qn - EPS)
        start += period_qn
    return tuple(out)
