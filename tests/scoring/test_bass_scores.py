"""Bass theory scores on hand-made lines with known answers."""

from __future__ import annotations

import random

import pytest

from music.meter import Meter
from music.notes import Note
from scoring.bass import (
    BASS_WEIGHTS,
    KICK_TOLERANCE_QN,
    _credit,
    _nearest,
    kick_alignment,
    kick_hit_rate,
    range_fit,
    root_adherence,
    score_bass,
    strong_beat_tone_rate,
    tone_value,
    voice_leading,
)
from scoring.timeline import ChordSpan, chord_at, tile_onsets

C = ChordSpan(0.0, 4.0, 0, (0, 4, 7))
F = ChordSpan(4.0, 8.0, 5, (5, 9, 0))
G = ChordSpan(8.0, 12.0, 7, (7, 11, 2))
C2 = ChordSpan(12.0, 16.0, 0, (0, 4, 7))
CHORDS = (C, F, G, C2)
M44 = Meter(4, 4)


def line(pitches: list[int], *, step: float = 1.0, start: float = 0.0) -> list[Note]:
    return [Note(start + i * step, start + (i + 1) * step, p) for i, p in enumerate(pitches)]


def test_tone_value_ranks_root_fifth_other_tone_and_outsider() -> None:
    assert tone_value(0, C) == 1.0
    assert tone_value(7, C) == 0.85
    assert tone_value(4, C) == 0.7
    assert tone_value(2, C) == 0.0
    slash = ChordSpan(0.0, 4.0, 0, (0, 4, 7), bass=4)  # C/E: E in the bass counts as the root
    assert tone_value(4, slash) == 1.0


def test_root_adherence_is_one_for_roots_on_every_beat() -> None:
    roots = line([36] * 4 + [41] * 4 + [43] * 4 + [36] * 4)
    assert root_adherence(roots, CHORDS, M44) == pytest.approx(1.0)


def test_root_adherence_is_zero_for_outsiders_on_every_beat() -> None:
    # Outside every chord, and never a step from one note to the next.
    wrong = line([37] * 4 + [42] * 4 + [32] * 4 + [37] * 4)
    assert root_adherence(wrong, CHORDS, M44) == 0.0


def test_root_adherence_forgives_passing_tones_on_weak_beats_only() -> None:
    # C on 1, E on 2 (chord tone), D on 3 (strong: outsider), C# on 4 -> D (weak, by step)
    bar = [*line([36, 40, 38, 37]), Note(4.0, 8.0, 38)]
    chords = (C, ChordSpan(4.0, 8.0, 2, (2, 6, 9)))
    # weights: beat1 1, beat2 0.5, beat3 1, beat4 0.5, next downbeat 1 -> values 1, .7, 0, .6, 1
    expected = (1 + 0.5 * 0.7 + 0 + 0.5 * 0.6 + 1) / 4.0
    assert root_adherence(bar, chords, M44) == pytest.approx(expected)


def test_root_adherence_penalises_chords_without_a_bass_onset() -> None:
    # Roots on C and F, then the F note sustains through G and C: two of four chords uncovered.
    notes = [Note(0.0, 4.0, 36), Note(4.0, 16.0, 41)]
    assert root_adherence(notes, CHORDS, M44) == pytest.approx(1.0 * (0.6 + 0.4 * 0.5))


def test_strong_beat_tone_rate_counts_downbeats_and_beat_three() -> None:
    notes = line([36, 38, 40, 37])  # C (1), D (2, weak), E (3), C# (4, weak)
    assert strong_beat_tone_rate(notes, (C,), M44) == 1.0
    notes = line([37, 36, 38, 36])  # C# on 1, D on 3: neither a chord tone
    assert strong_beat_tone_rate(notes, (C,), M44) == 0.0


def test_kick_alignment_known_values() -> None:
    kicks = [0.0, 1.5, 2.5]
    assert kick_alignment([0.0, 1.5, 2.5], kicks) == pytest.approx(1.0)
    # A sixteenth late on every kick: half credit both ways.
    assert kick_alignment([0.25, 1.75, 2.75], kicks) == pytest.approx(0.5)
    # Nothing within a sixteenth.
    assert kick_alignment([1.0, 2.0, 3.0], kicks) == 0.0
    # Every kick met, plus three bass notes away from any kick: recall 1, precision 0.5.
    assert kick_alignment([0.0, 0.75, 1.5, 2.0, 2.5, 3.25], kicks) == pytest.approx(0.85)
    assert kick_alignment([0.0], []) == 1.0  # nothing to lock to
    assert kick_alignment([], kicks) == 0.0
    # Kicks past the bass's end are ignored.
    assert kick_alignment([0.0], [0.0, 8.0], end=4.0) == pytest.approx(1.0)


def test_kick_alignment_is_the_sum_of_per_onset_credits() -> None:
    """The array form gives the very floats of crediting one onset at a time (nearest value by
    bisection, credit, summed in order), on and off the grid, ties and lines longer than the
    kicks included."""
    rng = random.Random(3)

    def times(n: int) -> list[float]:
        return [
            rng.randrange(0, 128) / 4 + (rng.random() * 0.3 if rng.random() < 0.3 else 0.0)
            for _ in range(n)
        ]

    for _ in range(500):
        onsets, kicks = times(rng.randrange(1, 40)), times(rng.randrange(1, 40))
        os_, ks = sorted(onsets), sorted(kicks)
        recall = sum(_credit(_nearest(os_, k), KICK_TOLERANCE_QN) for k in ks) / len(ks)
        precision = sum(_credit(_nearest(ks, o), KICK_TOLERANCE_QN) for o in os_) / len(os_)
        assert kick_alignment(onsets, kicks) == 0.7 * recall + 0.3 * precision


def test_kick_hit_rate_uses_a_sixteenth_window() -> None:
    kicks = [0.0, 1.5, 2.5, 3.0]
    # 0 is met a sixteenth late, 1.5 exactly, 2.5 is missed (0.3 away), 3.0 is met (0.2 away).
    assert kick_hit_rate([0.25, 1.5, 2.8], kicks) == pytest.approx(0.75)
    assert kick_hit_rate([], []) == 1.0


def test_tile_onsets_repeats_a_bar_pattern() -> None:
    assert tile_onsets([0.0, 1.5], 3.5, 7.0) == (0.0, 1.5, 3.5, 5.0)
    with pytest.raises(ValueError, match="period_qn"):
        tile_onsets([0.0], 0.0, 4.0)


def test_chord_at_finds_the_span_or_none() -> None:
    assert chord_at(CHORDS, 5.0) == F
    assert chord_at(CHORDS, 8.0) == G
    assert chord_at(CHORDS, 16.0) is None


def test_voice_leading_prefers_steps_into_chord_changes() -> None:
    # Each chord entered by a step (E -> F, F# -> G, B -> C), against leaps of an octave+.
    stepwise = line([36, 36, 38, 40, 41, 41, 43, 42, 43, 43, 38, 35, 36, 36, 36, 36])
    leaping = line([36, 36, 36, 36, 53, 53, 53, 53, 31, 31, 31, 31, 48, 48, 48, 48])
    assert voice_leading(stepwise, CHORDS) > 0.95
    assert voice_leading(leaping, CHORDS) < 0.75
    assert voice_leading([], CHORDS) == 0.0
    assert voice_leading(line([36]), CHORDS) == 1.0


def test_range_fit() -> None:
    assert range_fit([28, 40, 47]) == 1.0
    assert range_fit([28, 40, 55]) == pytest.approx(1 - (27 - 19) / 24)  # wider than a 12th
    assert range_fit([27, 40, 40, 40]) == pytest.approx(0.75)  # one note below E1
    assert range_fit([28, 55, 60]) == pytest.approx((2 / 3) * (1 - (32 - 19) / 24))
    assert range_fit([]) == 0.0


def test_score_bass_weights_and_ranks_a_good_line_above_a_bad_one() -> None:
    kicks = tile_onsets([0.0, 2.5], 4.0, 16.0)
    good = []
    for bar, root in enumerate((36, 41, 43, 36)):
        t = bar * 4.0
        good += [Note(t, t + 2.5, root), Note(t + 2.5, t + 4.0, root + 7)]
    bad = line([37, 39, 42, 44] * 4, step=1.0, start=0.5)[:-1]
    s_good = score_bass(good, chords=CHORDS, meter=M44, kicks=kicks)
    s_bad = score_bass(bad, chords=CHORDS, meter=M44, kicks=kicks)
    assert set(s_good.as_dict()) == set(BASS_WEIGHTS)
    assert s_good.as_dict()["root_adherence"] == 1.0
    assert s_good.as_dict()["kick_alignment"] == 1.0
    assert s_good.total > 0.95 > 0.5 > s_bad.total
    with pytest.raises(ValueError, match="notes"):
        score_bass([], chords=CHORDS, meter=M44)


def test_seven_eight_strong_beats_are_the_downbeats() -> None:
    m78 = Meter(7, 8)
    chords = (ChordSpan(0.0, 3.5, 9, (9, 0, 4)),)
    # Root on 1, outsiders on the 2+2+3 group starts 2 and 3 (weak felt beats, no step after).
    notes = [Note(0.0, 1.0, 33), Note(1.0, 2.0, 39), Note(2.0, 3.5, 35)]
    assert strong_beat_tone_rate(notes, chords, m78) == 1.0
    assert root_adherence(notes, chords, m78) == pytest.approx(1.0 / 2.0)
