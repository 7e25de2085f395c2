"""Bass-line metrics, on one line of ``length_qn`` quarter notes over its chords.

- ``notes_per_qn``: note onsets per quarter note.
- ``beat_root_share``: share of the notes on felt beats that play the chord's root (or its
  written bass).
- ``change_root_share``: share of the chord changes met by a bass onset (within a 16th) on the
  chord's root or written bass.
- ``root_motion``: mean distance (semitones, folded to 0..6) between the bass notes heard at
  successive chord changes.
- ``chord_tone_ratio``: share of the notes (with a chord at their onset) on its tones.
- ``stepwise_share``, ``leap_share``, ``repeat_share``, ``mean_interval``: as for melodies.
- ``pitch_range``: highest minus lowest pitch, semitones.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from scoring.metrics.common import EPS, NAN, ChordTrack, checked_length, on_felt_beat, share

BASS_METRICS: Final = (
    "notes_per_qn",
    "beat_root_share",
    "change_root_share",
    "root_motion",
    "chord_tone_ratio",
    "stepwise_share",
    "leap_share",
    "repeat_share",
    "mean_interval",
    "pitch_range",
)
#: A bass onset this close to a chord change (qn) plays the change: a sixteenth.
CHANGE_TOLERANCE_QN: Final = 0.25


def change_notes(
    start: NDArray[np.float64], chords: ChordTrack
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Per chord: the index of the first bass note starting within a 16th of its start, and
    whether there is one."""
    j = np.searchsorted(start, chords.start - EPS, side="left")
    ok = j < len(start)
    ok[ok] = start[j[ok]] < chords.start[ok] + CHANGE_TOLERANCE_QN - EPS
    return np.where(ok, j, 0), ok


def bass_metrics(
    start: NDArray[np.float64],
    end: NDArray[np.float64],
    pitch: NDArray[np.int64],
    *,
    chords: ChordTrack,
    meter: Meter,
    length_qn: float,
) -> dict[str, float]:
    """Every metric of :data:`BASS_METRICS` for one line: notes as arrays ``[N]`` sorted by
    onset (times in qn from the segment's start, MIDI pitches), its chords and meter."""
    length = checked_length(length_qn)
    if not len(start):
        return dict.fromkeys(BASS_METRICS, NAN) | {"notes_per_qn": 0.0}
    size = np.abs(np.diff(pitch))
    pc = pitch % 12
    idx = chords.index_at(start)
    has = idx >= 0
    root = np.zeros(len(start), dtype=bool)
    root[has] = (pc[has] == chords.root[idx[has]]) | (pc[has] == chords.bass[idx[has]])
    tone = np.zeros(len(start), dtype=bool)
    tone[has] = chords.tones[idx[has], pc[has]]
    beat = on_felt_beat(start, meter)
    live = chords.start < length - EPS
    first, met = change_notes(start, chords)
    met &= live
    at_change = pc[first]
    on_root = met & ((at_change == chords.root) | (at_change == chords.bass))
    heard = pitch[first[met]]
    moves = np.abs(np.diff(heard)) % 12
    folded = np.minimum(moves, 12 - moves)
    return {
        "notes_per_qn": len(start) / length,
        "beat_root_share": share(root[has & beat]),
        "change_root_share": share(on_root[live]),
        "root_motion": float(folded.mean()) if folded.size else NAN,
        "chord_tone_ratio": share(tone[has]),
        "stepwise_share": share((size >= 1) & (size <= 2)),
        "leap_share": share(size >= 5),
        "repeat_share": share(size == 0),
        "mean_interval": float(size.mean()) if size.size else NAN,
        "pitch_range": float(pitch.max() - pitch.min()),
    }
