"""Melody metrics (Yang & Lerch 2018; MusPy / Pypianoroll, Dong et al. 2018/2020), on one
monophonic line of ``length_qn`` quarter notes over its chords.

- ``notes_per_qn``: note onsets per quarter note.
- ``stepwise_share``, ``leap_share``, ``repeat_share``: shares of the intervals between
  consecutive notes that are steps (1-2 semitones), leaps (a fourth or more) and repeats.
- ``mean_interval``: mean absolute interval, semitones.
- ``pitch_range``: highest minus lowest pitch, semitones.
- ``pitch_class_entropy``: entropy (bits) of the pitch-class histogram of note counts.
- ``scale_consistency``: largest share of notes inside one of the 24 major/natural-minor scales.
- ``chord_tone_ratio``: share of notes (with a chord at their onset) that are its tones.
- ``beat_chord_tones``: the same for notes starting on a felt beat.
- ``empty_beat_rate``: share of quarter-note beats with no note sounding.
- ``duration_entropy``: entropy (bits) of the note values (lengths on a 1/12 qn grid).
- ``offbeat_share``: share of onsets off the felt beats.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.keys import MODE_INTERVALS
from music.meter import Meter
from scoring.metrics.common import (
    EPS,
    NAN,
    ChordTrack,
    checked_length,
    entropy_bits,
    on_felt_beat,
    share,
)

MELODY_METRICS: Final = (
    "notes_per_qn",
    "stepwise_share",
    "leap_share",
    "repeat_share",
    "mean_interval",
    "pitch_range",
    "pitch_class_entropy",
    "scale_consistency",
    "chord_tone_ratio",
    "beat_chord_tones",
    "empty_beat_rate",
    "duration_entropy",
    "offbeat_share",
)

#: ``[24, 12]``: the major and natural-minor scales on every tonic, as pitch-class masks.
_SCALES: Final = np.array(
    [
        [(pc - tonic) % 12 in MODE_INTERVALS[mode] for pc in range(12)]
        for mode in ("major", "minor")
        for tonic in range(12)
    ],
    dtype=np.float64,
)


def pitch_class_entropy(pitches: NDArray[np.int64]) -> float:
    """Entropy (bits, 0..log2 12) of the pitch-class histogram of note counts."""
    return entropy_bits(np.bincount(pitches % 12, minlength=12))


def scale_consistency(pitches: NDArray[np.int64]) -> float:
    """Largest share of notes inside one of the 24 major or natural-minor scales."""
    if not pitches.size:
        return NAN
    counts = np.bincount(pitches % 12, minlength=12).astype(np.float64)
    return float((_SCALES @ counts).max() / pitches.size)


def empty_beat_rate(
    start: NDArray[np.float64], end: NDArray[np.float64], length_qn: float
) -> float:
    """Share of quarter-note beats in ``[0, length_qn)`` with no note sounding (MusPy's
    empty-beat rate at one beat per quarter note)."""
    beats = math.ceil(length_qn - EPS)
    if beats <= 0:
        return NAN
    first = np.clip(np.floor(start + EPS).astype(np.int64), 0, beats)
    last = np.clip(np.ceil(end - EPS).astype(np.int64), 0, beats)
    live = last > first
    size = beats + 1
    marks = np.bincount(first[live], minlength=size) - np.bincount(last[live], minlength=size)
    used = np.cumsum(marks[:beats]) > 0
    return 1.0 - int(np.count_nonzero(used)) / beats


def chord_tones(
    start: NDArray[np.float64], pitch: NDArray[np.int64], chords: ChordTrack
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Per note: whether a chord sounds at its onset, and whether the note is one of its tones."""
    idx = chords.index_at(start)
    has = idx >= 0
    tone = np.zeros(len(start), dtype=bool)
    tone[has] = chords.tones[idx[has], pitch[has] % 12]
    return has, tone


def melody_metrics(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    pitch: NDArray[np.int64],
    *,
    chords: ChordTrack,
    meter: Meter,
    length_qn: float,
) -> dict[str, float]:
    """Every metric of :data:`MELODY_METRICS` for one line: notes as arrays ``[N]`` sorted by
    onset (times in qn from the segment's start, MIDI pitches), its chords and meter."""
    length = checked_length(length_qn)
    n = len(start)
    if n == 0:
        return dict.fromkeys(MELODY_METRICS, NAN) | {"notes_per_qn": 0.0, "empty_beat_rate": 1.0}
    steps = np.diff(pitch)
    size = np.abs(steps)
    has, tone = chord_tones(start, pitch, chords)
    beat = on_felt_beat(start, meter)
    values = np.round((end - start) * 12.0).astype(np.int64)
    counts = np.bincount(values)  # per note value in order, as np.unique counts them
    counts = counts[counts > 0]
    return {
        "notes_per_qn": n / length,
        "stepwise_share": share((size >= 1) & (size <= 2)),
        "leap_share": share(size >= 5),
        "repeat_share": share(size == 0),
        "mean_interval": float(size.mean()) if size.size else NAN,
        "pitch_range": float(pitch.max() - pitch.min()),
        "pitch_class_entropy": pitch_class_entropy(pitch),
        "scale_consistency": scale_consistency(pitch),
        "chord_tone_ratio": share(tone[has]),
        "beat_chord_tones": share(tone[has & beat]),
        "empty_beat_rate": empty_beat_rate(start, end, length),
        "duration_entropy": entropy_bits(counts),
        "offbeat_share": share(~beat),
    }
