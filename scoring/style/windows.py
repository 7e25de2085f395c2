"""Lines measured as the corpora are cut: notes over chord spans turned into arrays for a
metric function of :mod:`scoring.metrics`, and a long line read as the mean over windows of
:data:`WINDOW_BARS` bars (the corpora's 8-bar segments)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.notes import Note
from scoring.metrics.common import EPS, ChordTrack, note_arrays
from scoring.timeline import ChordSpan, ChordSpanLike

#: Bars of one corpus segment, and of one window of a longer line.
WINDOW_BARS: Final = 8

#: A line metric function: ``(start, end, pitch, *, chords, meter, length_qn) -> values``.
LineMetrics = Callable[..., dict[str, float]]


def line_values(
    measure: LineMetrics,
    notes: Sequence[Note],
    chords: Sequence[ChordSpanLike],
    *,
    meter: Meter,
    length_qn: float,
) -> dict[str, float]:
    """``measure`` of a line given as notes over chord spans (times in qn from its start)."""
    start, end, pitch = note_arrays(notes)
    arrays: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]] = (start, end, pitch)
    return measure(*arrays, chords=ChordTrack.shared(chords), meter=meter, length_qn=length_qn)


def mean_values(rows: Sequence[Mapping[str, float]], names: Sequence[str]) -> dict[str, float]:
    """Per metric, the mean of the defined values of ``rows`` (NaN when none is)."""
    out = {}
    for name in names:
        got = [r[name] for r in rows if not math.isnan(r[name])]
        out[name] = sum(got) / len(got) if got else math.nan
    return out


def window(
    notes: Sequence[Note], chords: Sequence[ChordSpanLike], lo: float, hi: float
) -> tuple[list[Note], list[ChordSpan]]:
    """The notes starting in ``[lo, hi)`` (qn) and the chords sounding there, cut to the window
    and shifted to start at 0."""
    inside = [
        Note(n.start - lo, min(n.end, hi) - lo, n.pitch, n.velocity)
        for n in notes
        if lo - EPS <= n.start < hi - EPS
    ]
    spans = [
        ChordSpan(max(c.start, lo) - lo, min(c.end, hi) - lo, c.root, c.pitch_classes, c.bass)
        for c in chords
        if c.end > lo + EPS and c.start < hi - EPS
    ]
    return inside, spans


def windowed_values(
    measure: LineMetrics,
    names: Sequence[str],
    notes: Sequence[Note],
    chords: Sequence[ChordSpanLike],
    *,
    meter: Meter,
    bars: int,
) -> dict[str, float]:
    """``measure`` of ``bars`` bars: the mean over windows of at most :data:`WINDOW_BARS`
    bars (one window for a section of eight bars or fewer)."""
    if bars <= WINDOW_BARS:
        return line_values(measure, notes, chords, meter=meter, length_qn=bars * meter.bar_qn)
    rows = []
    for first in range(0, bars, WINDOW_BARS):
        span = min(WINDOW_BARS, bars - first)
        lo = first * meter.bar_qn
        inside, spans = window(notes, chords, lo, lo + span * meter.bar_qn)
        rows.append(line_values(measure, inside, spans, meter=meter, length_qn=span * meter.bar_qn))
    return mean_values(rows, names)
