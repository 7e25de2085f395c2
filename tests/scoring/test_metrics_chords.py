"""Harmony and bass-line metrics on progressions built here."""

from __future__ import annotations

import math

import pytest

from music.keys import MODE_INTERVALS
from music.meter import Meter
from music.notes import Note
from scoring.metrics.bass import bass_metrics
from scoring.metrics.chords import CHORD_METRICS, HarmonyEvent, chord_metrics, merged
from scoring.style.windows import line_values
from scoring.timeline import ChordSpan

MAJOR = MODE_INTERVALS["major"]


def phrase(
    chords: list[tuple[int, str]], *, start: float = 0.0, beats: float = 4.0
) -> list[HarmonyEvent]:
    return [
        HarmonyEvent(start + i * beats, start + (i + 1) * beats, root, triad)
        for i, (root, triad) in enumerate(chords)
    ]


def metrics(
    events: list[HarmonyEvent], starts: list[float], *, minor: bool = False
) -> dict[str, float]:
    scale = MODE_INTERVALS["minor" if minor else "major"]
    return chord_metrics(
        events, tonic=0, minor=minor, scale=scale, bar_qn=4.0, phrase_starts=starts
    )


def test_an_authentic_cadence_every_phrase() -> None:
    one = [(0, "maj"), (5, "maj"), (7, "maj"), (0, "maj")]  # I IV V I
    events = phrase(one) + phrase(one, start=16.0)
    m = metrics(events, [0.0, 16.0])
    assert set(m) == set(CHORD_METRICS)
    assert m["authentic_share"] == 1.0 and m["tonic_end_share"] == 1.0 and m["half_share"] == 0.0
    assert m["chords_per_bar"] == pytest.approx(7 / 8)  # the two tonics at the seam are one
    assert m["distinct_per_phrase"] == 3.0
    assert m["non_diatonic_share"] == 0.0
    assert m["tonic_share"] == pytest.approx(0.5)
    # functions T S D T | T S D T: pairs TS, SD, DT, TS, SD, DT after merging the seam
    assert m["function_entropy"] == pytest.approx(math.log2(3))


def test_a_loop_without_cadence_and_a_half_cadence() -> None:
    loop = phrase([(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")])  # I V vi IV
    half = phrase([(0, "maj"), (2, "min"), (5, "maj"), (7, "maj")], start=16.0)  # I ii IV V
    m = metrics(loop + half, [0.0, 16.0])
    assert m["authentic_share"] == 0.0
    assert m["half_share"] == 0.5 and m["tonic_end_share"] == 0.0


def test_borrowed_chords_and_rhythm() -> None:
    events = [
        HarmonyEvent(0.0, 6.0, 0, "maj"),
        HarmonyEvent(6.0, 8.0, 10, "maj"),  # bVII: B-flat is outside C major
        HarmonyEvent(8.0, 16.0, 0, "maj"),
    ]
    m = metrics(events, [0.0])
    assert m["non_diatonic_share"] == pytest.approx(2 / 16)
    lengths = [6.0, 2.0, 8.0]
    mean = sum(lengths) / 3
    std = math.sqrt(sum((x - mean) ** 2 for x in lengths) / 3)
    assert m["rhythm_cv"] == pytest.approx(std / mean)
    # in A minor the raised leading tone's chord (E major) is no borrowing
    minor = chord_metrics(
        phrase([(0, "min"), (7, "maj"), (0, "min")]),
        tonic=0,
        minor=True,
        scale=MODE_INTERVALS["minor"],
        bar_qn=4.0,
        phrase_starts=[0.0],
    )
    assert minor["non_diatonic_share"] == 0.0 and minor["authentic_share"] == 1.0


def test_merging_and_bad_input() -> None:
    events = phrase([(0, "maj"), (0, "maj"), (7, "maj")])
    assert [(e.root, e.start, e.end) for e in merged(events)] == [(0, 0.0, 8.0), (7, 8.0, 12.0)]
    with pytest.raises(ValueError, match="triad"):
        HarmonyEvent(0.0, 1.0, 0, "maj7")
    with pytest.raises(ValueError, match="end after start"):
        HarmonyEvent(1.0, 1.0, 0, "maj")
    with pytest.raises(ValueError, match="at least one chord"):
        metrics([], [0.0])


def test_bass_line_metrics() -> None:
    chords = [ChordSpan(0.0, 4.0, 0, (0, 4, 7)), ChordSpan(4.0, 8.0, 7, (7, 11, 2))]
    # C on 1 and 3 with E between; G on the change and D on beat 3 (chord tone, not root)
    notes = [Note(0.0, 1.0, 36), Note(1.0, 2.0, 40), Note(2.0, 4.0, 36)]
    notes += [Note(4.0, 6.0, 43), Note(6.0, 8.0, 38)]
    m = line_values(bass_metrics, notes, chords, meter=Meter(4, 4), length_qn=8.0)
    assert m["notes_per_qn"] == pytest.approx(5 / 8)
    assert m["beat_root_share"] == pytest.approx(3 / 5)
    assert m["change_root_share"] == 1.0
    assert m["root_motion"] == 5.0  # C up to G is a fifth, folded to a fourth
    assert m["chord_tone_ratio"] == 1.0
    assert m["pitch_range"] == 7.0 and m["mean_interval"] == pytest.approx((4 + 4 + 7 + 5) / 4)
