"""Melody metrics on tiny in-code lines with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from music.meter import Meter
from music.notes import Note
from scoring.metrics.common import ChordTrack, entropy_bits, share
from scoring.metrics.melody import (
    MELODY_METRICS,
    empty_beat_rate,
    melody_metrics,
    pitch_class_entropy,
    scale_consistency,
)
from scoring.style.windows import line_values
from scoring.timeline import ChordSpan

M44 = Meter(4, 4)
C_G = [ChordSpan(0.0, 2.0, 0, (0, 4, 7)), ChordSpan(2.0, 4.0, 7, (7, 11, 2))]


def line(pitches: list[int], *, step: float = 1.0, start: float = 0.0) -> list[Note]:
    return [Note(start + i * step, start + (i + 1) * step, p) for i, p in enumerate(pitches)]


def line_metrics(
    notes: list[Note], chords: list[ChordSpan], *, meter: Meter, length_qn: float
) -> dict[str, float]:
    return line_values(melody_metrics, notes, chords, meter=meter, length_qn=length_qn)


def arr(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_pitch_class_entropy() -> None:
    assert pitch_class_entropy(arr([60, 72, 48])) == 0.0
    assert pitch_class_entropy(arr([60, 62])) == pytest.approx(1.0)
    assert pitch_class_entropy(arr(list(range(60, 72)))) == pytest.approx(math.log2(12))
    assert math.isnan(pitch_class_entropy(arr([])))


def test_scale_consistency() -> None:
    assert scale_consistency(arr([60, 62, 64, 65, 67, 69, 71])) == 1.0
    assert scale_consistency(arr(list(range(60, 72)))) == pytest.approx(7 / 12)
    assert scale_consistency(arr([60, 61])) == 1.0  # C and Db share D-flat major


def test_empty_beat_rate() -> None:
    start, end = np.array([0.0, 2.0]), np.array([1.0, 2.5])
    assert empty_beat_rate(start, end, 4.0) == 0.5
    assert empty_beat_rate(np.array([0.5]), np.array([3.5]), 4.0) == 0.0  # across beats
    assert empty_beat_rate(np.array([]), np.array([]), 4.0) == 1.0


def test_intervals_range_density_and_chord_tones() -> None:
    notes = line([60, 62, 67, 66])  # C, D | G, F# over C then G
    m = line_metrics(notes, C_G, meter=M44, length_qn=4.0)
    assert set(m) == set(MELODY_METRICS)
    assert m["notes_per_qn"] == 1.0
    assert m["mean_interval"] == pytest.approx((2 + 5 + 1) / 3)
    assert m["stepwise_share"] == pytest.approx(2 / 3)
    assert m["leap_share"] == pytest.approx(1 / 3) and m["repeat_share"] == 0.0
    assert m["pitch_range"] == 7.0
    assert m["chord_tone_ratio"] == 0.5  # C yes, D no, G yes, F# no
    assert m["beat_chord_tones"] == 0.5  # every quarter is a felt beat in 4/4
    assert m["offbeat_share"] == 0.0 and m["duration_entropy"] == 0.0


def test_offbeats_and_note_values() -> None:
    notes = [Note(0.0, 1.5, 60), Note(1.5, 2.0, 62), Note(2.0, 4.0, 64)]
    m = line_metrics(notes, C_G, meter=M44, length_qn=4.0)
    assert m["offbeat_share"] == pytest.approx(1 / 3)
    assert m["duration_entropy"] == pytest.approx(math.log2(3))  # three note values
    assert m["beat_chord_tones"] == 0.5  # C on C yes, E on G no


def test_one_note_and_no_note() -> None:
    m = line_metrics([Note(0.0, 4.0, 60)], C_G, meter=M44, length_qn=4.0)
    assert math.isnan(m["mean_interval"]) and m["pitch_range"] == 0.0
    empty = line_metrics([], C_G, meter=M44, length_qn=4.0)
    assert empty["notes_per_qn"] == 0.0 and empty["empty_beat_rate"] == 1.0
    assert math.isnan(empty["pitch_range"])
    with pytest.raises(ValueError, match="length_qn"):
        line_metrics([], C_G, meter=M44, length_qn=0.0)


def test_chord_track_lookup() -> None:
    track = ChordTrack.of(C_G)
    got = track.index_at(np.array([0.0, 1.99, 2.0, 3.5, 4.0, -1.0]))
    assert got.tolist() == [0, 0, 1, 1, -1, -1]


def test_shared_chord_track_is_the_same_track_kept_for_the_same_tuple() -> None:
    chords = tuple(C_G)
    shared = ChordTrack.shared(chords)
    made = ChordTrack.of(chords)
    for name in ("start", "end", "root", "bass", "tones"):
        assert np.array_equal(getattr(shared, name), getattr(made, name))
        assert not getattr(shared, name).flags.writeable  # kept: nobody may change it
    assert ChordTrack.shared(chords) is shared
    other = (ChordSpan(0.0, 4.0, 5, (5, 9, 0)),)
    assert ChordTrack.shared(other).root.tolist() == [5]  # a new tuple is read anew
    listed = ChordTrack.shared(C_G)  # a list may change: converted each time
    assert listed is not ChordTrack.shared(C_G) and listed.root.tolist() == [0, 7]
    assert line_metrics(line([60, 64, 67, 71]), C_G, meter=M44, length_qn=4.0) == line_values(
        melody_metrics, line([60, 64, 67, 71]), chords, meter=M44, length_qn=4.0
    )


def test_shares_and_value_counts_are_the_floats_of_the_generic_reductions() -> None:
    """The counted forms give exactly what ``mask.mean()``, a running beat count and
    ``np.unique`` counts gave, as Python floats."""
    rng = np.random.default_rng(4)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        mask = rng.random(n) < 0.4
        assert share(mask) == float(mask.mean())
        assert type(share(mask)) is float
        start = np.sort(rng.integers(0, 64, n) / 4 + (rng.random(n) < 0.2) * rng.random(n) / 3)
        end = start + rng.choice([0.25, 0.5, 1 / 3, 0.75, 1.0, 2.0, 0.1], n)
        beats = 16
        covered = np.zeros(beats, dtype=bool)
        for s, e in zip(start, end, strict=True):
            covered[max(0, math.floor(s + 1e-6)) : min(beats, math.ceil(e - 1e-6))] = True
        assert empty_beat_rate(start, end, float(beats)) == float(1.0 - covered.mean())
        values = np.round((end - start) * 12.0).astype(np.int64)
        got = melody_metrics(
            start, end, arr([60] * n), chords=ChordTrack.of([]), meter=M44, length_qn=float(beats)
        )
        assert got["duration_entropy"] == entropy_bits(np.unique(values, return_counts=True)[1])
