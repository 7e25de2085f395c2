"""Melody theory scores on hand-made melodies with known answers."""

from __future__ import annotations

import pytest

from music.keys import Key
from music.meter import Meter
from music.notes import Note
from scoring.melody import (
    MELODY_WEIGHTS,
    breath,
    chord_tone_alignment,
    continuity,
    contour,
    ending,
    interval_value,
    leap_recovery,
    lyric_fit,
    phrase_contour,
    range_fit,
    rhythm_variety,
    score_melody,
    singability,
    split_phrases,
)
from scoring.timeline import ChordSpan

M44 = Meter(4, 4)
C_MAJOR = Key(0)
C = ChordSpan(0.0, 4.0, 0, (0, 4, 7))
G = ChordSpan(4.0, 8.0, 7, (7, 11, 2))


def line(pitches: list[int], *, step: float = 1.0, start: float = 0.0) -> list[Note]:
    return [Note(start + i * step, start + (i + 1) * step, p) for i, p in enumerate(pitches)]


def test_interval_values() -> None:
    assert [interval_value(i) for i in (0, 1, 2, -2, 4, 5, 7, 6, 12, 14)] == [
        0.7, 1.0, 1.0, 1.0, 1.0, 0.85, 0.75, 0.25, 0.4, 0.0,
    ]  # fmt: skip


def test_leap_recovery_known_cases() -> None:
    assert leap_recovery([60, 62, 64]) == 1.0  # no leaps
    assert leap_recovery([60, 69, 67]) == 1.0  # sixth up, step down
    assert leap_recovery([60, 69, 64]) == 0.6  # sixth up, larger move down
    assert leap_recovery([60, 69, 69]) == 0.4
    assert leap_recovery([60, 69, 71]) == 0.0  # goes on upward
    assert leap_recovery([60, 65, 67]) == 1.0  # a fourth is not a leap to recover from


def test_range_fit_for_a_voice() -> None:
    assert range_fit([60, 64, 72], low=57, high=76) == 1.0
    assert range_fit([60, 74], low=57, high=76) == 1.0  # a ninth
    assert range_fit([60, 76], low=57, high=76) == 0.85  # a tenth
    assert range_fit([50, 60, 62, 64], low=57, high=76) == pytest.approx(0.75)  # one below
    assert range_fit([50, 60, 62, 67], low=57, high=76) == pytest.approx(0.75 * 0.85)


def test_breath_at_phrase_ends() -> None:
    # Two 4-bar phrases (16 qn): the first ends at 15 (one beat of rest), the second at 32.
    breathing = [*line([60] * 15), *line([62] * 15, start=16.0)]
    assert breath(breathing, phrase_qn=16.0) == pytest.approx(1.0)
    # No rest at all: the first phrase runs straight into the second, the last to the end.
    tight = line([60] * 32)
    assert breath(tight, phrase_qn=16.0) == 0.0
    assert split_phrases(breathing, 16.0)[1][0].start == 16.0


def test_singability_ranks_a_stepwise_tune_above_a_jagged_one() -> None:
    smooth = line([60, 62, 64, 65, 67, 65, 64, 62, 60, 62, 64, 62, 60], step=1.0)
    jagged = line([60, 71, 55, 74, 50, 78, 61, 49, 80, 52, 66, 47, 79], step=1.0)
    assert singability(smooth, low=57, high=76, phrase_qn=16.0) > 0.85
    assert singability(jagged, low=57, high=76, phrase_qn=16.0) < 0.35


def test_chord_tone_alignment_known_values() -> None:
    # C E G C over C, then B D G B over G: all chord tones on beats.
    assert chord_tone_alignment(line([60, 64, 67, 72, 71, 74, 67, 71]), (C, G), M44) == 1.0
    # D F A D over C: nothing belongs, no steps between -> 0.
    assert chord_tone_alignment(line([62, 65, 69, 62]), (C,), M44) == 0.0
    # C on 1; D on 2 resolving by step to E on 3; F on 4 with no next note.
    notes = line([60, 62, 64, 65])
    expected = (1.0 * 1 + 0.6 * 0.5 + 1.0 * 1 + 0.6 * 0) / (1 + 0.6 + 1 + 0.6)
    assert chord_tone_alignment(notes, (C,), M44) == pytest.approx(expected)
    # Off-beat eighths are free.
    assert chord_tone_alignment([Note(0.0, 0.5, 60), Note(0.5, 1.0, 61)], (C,), M44) == 1.0


def test_chord_tone_alignment_halves_a_minor_ninth_over_the_bass() -> None:
    chord = ChordSpan(0.0, 4.0, 4, (4, 8, 11, 5))  # an E chord that lists F as a tone
    bass = [Note(0.0, 4.0, 40)]  # E2
    melody = [Note(0.0, 4.0, 65)]  # F4: a minor ninth above the bass
    assert chord_tone_alignment(melody, (chord,), M44) == 1.0
    assert chord_tone_alignment(melody, (chord,), M44, bass=bass) == 0.5


def test_phrase_contour_rewards_a_single_arch() -> None:
    arch = line([60, 62, 64, 62, 65, 67, 69, 67, 65, 64, 62, 60])
    assert phrase_contour(arch) == pytest.approx(1.0)
    # A straight scale up and down is an arch too, but turns only once (variety 0.83).
    straight = line([60, 62, 64, 67, 69, 67, 64, 62, 60])
    assert phrase_contour(straight) == pytest.approx(0.8 + 0.2 * (0.4 + 3 / 7))
    two_peaks = line([60, 67, 62, 67, 60])
    assert phrase_contour(two_peaks) < 0.85
    flat = line([60] * 8)
    assert phrase_contour(flat) < 0.5
    falling = line([72, 71, 69, 67, 65, 64, 62, 60])  # climax on the first note
    assert phrase_contour(falling) < phrase_contour(arch) - 0.3


def test_ending_and_contour_reward_closing_on_the_tonic() -> None:
    assert ending(line([64, 62, 60]), C_MAJOR) == 1.0
    assert ending(line([64, 62, 67]), C_MAJOR) == 0.7
    assert ending(line([64, 62, 65]), C_MAJOR) == 0.4
    arch = line([60, 62, 64, 62, 65, 67, 69, 67, 65, 64, 62, 60])
    assert contour(arch, phrase_qn=16.0, key=C_MAJOR) == pytest.approx(1.0)
    assert contour(arch[:-1], phrase_qn=16.0, key=C_MAJOR) < 1.0  # ends on D


def test_continuity_across_a_section_boundary() -> None:
    assert continuity(64, None) == 1.0
    assert continuity(64, 60) == 1.0
    assert continuity(65, 60) == 1.0  # a fourth
    assert continuity(72, 60) == pytest.approx(1 - 7 / 9)  # an octave
    assert continuity(80, 60) == 0.0


def test_rhythm_variety_known_values() -> None:
    # Four bars of quarter notes: one note value (0.3), density 4 (1.0), every bar the same
    # onset pattern (repetition share 1.0 -> 0.6).
    quarters = line([60] * 16)
    assert rhythm_variety(quarters, M44) == pytest.approx(0.35 * 0.3 + 0.4 * 1.0 + 0.25 * 0.6)
    # Two bars alike, two different, three note values.
    varied = [
        *line([60, 62], step=2.0),
        *line([60, 62], step=2.0, start=4.0),
        Note(8.0, 9.5, 64), Note(9.5, 10.0, 62), Note(10.0, 12.0, 60),
        Note(12.0, 13.0, 60), Note(13.0, 16.0, 62),
    ]  # fmt: skip
    assert rhythm_variety(varied, M44) == pytest.approx(0.35 * 1.0 + 0.4 * 1.0 + 0.25 * 1.0)


def test_lyric_fit() -> None:
    assert lyric_fit([10, 8], [10, 8]) == 1.0
    assert lyric_fit([5, 8], [10, 8]) == pytest.approx(0.75)
    assert lyric_fit([3], [0]) == 1.0


def test_score_melody_ranks_a_good_tune_above_a_bad_one() -> None:
    chords = (C, G, ChordSpan(8.0, 12.0, 5, (5, 9, 0)), ChordSpan(12.0, 16.0, 0, (0, 4, 7)))
    good = [
        Note(0.0, 1.0, 60), Note(1.0, 2.0, 62), Note(2.0, 3.0, 64), Note(3.0, 4.0, 65),
        Note(4.0, 5.5, 67), Note(5.5, 6.0, 69), Note(6.0, 8.0, 71),
        Note(8.0, 9.0, 72), Note(9.0, 10.0, 69), Note(10.0, 11.0, 65), Note(11.0, 12.0, 64),
        Note(12.0, 14.0, 62), Note(14.0, 15.0, 60),
    ]  # fmt: skip
    bad = line([61, 73, 54, 78, 49, 66, 80, 51, 63, 75, 56, 70, 47, 82, 58, 68])
    kwargs = {
        "chords": chords,
        "meter": M44,
        "key": C_MAJOR,
        "register": (57, 76),
        "phrase_qn": 16.0,
        "previous_pitch": 62,
    }
    s_good = score_melody(good, **kwargs)  # type: ignore[arg-type]
    s_bad = score_melody(bad, **kwargs)  # type: ignore[arg-type]
    assert set(s_good.as_dict()) == set(MELODY_WEIGHTS) - {"lyric_fit"}
    assert s_good.total > 0.85
    assert s_bad.total < 0.45
    with_lyrics = score_melody(good, syllables=[13], **kwargs)  # type: ignore[arg-type]
    assert with_lyrics.as_dict()["lyric_fit"] == 1.0
    with pytest.raises(ValueError, match="notes"):
        score_melody([], **kwargs)  # type: ignore[arg-type]
