"""Chord theory scores on cases with a known answer."""

from __future__ import annotations

import pytest

from music.chords import chord_pitches, parse_roman
from music.keys import Key
from scoring.chords import (
    SoundedChord,
    cadence,
    key_clarity,
    key_fit,
    score_progression,
    variety,
    voice_leading,
)

C = Key(0, "major")
A_MIN = Key(9, "minor")


def sounded(
    key: Key, numeral: str, voicing: tuple[int, ...] | None = None, beats: float = 4.0
) -> SoundedChord:
    """A chord of ``key``; close position from octave 3 unless a voicing is given."""
    rc = parse_roman(numeral, key)
    chord = rc.in_key(key)
    return SoundedChord(
        token=rc.token,
        pitch_classes=chord.pitch_classes(),
        voicing=voicing or chord_pitches(chord, octave=3),
        beats=beats,
    )


def test_voice_leading_prefers_smooth_motion_over_leaps() -> None:
    smooth = [
        sounded(C, "I", (48, 60, 64, 67)),
        sounded(C, "IV", (41, 60, 65, 69)),
        sounded(C, "V", (43, 59, 62, 67)),
        sounded(C, "I", (48, 60, 64, 67)),
    ]
    leapy = [
        sounded(C, "I", (48, 60, 64, 67)),
        sounded(C, "IV", (41, 65, 69, 72)),
        sounded(C, "V", (43, 55, 59, 62)),
        sounded(C, "I", (48, 64, 67, 72)),
    ]
    assert voice_leading(smooth) > 0.8
    assert voice_leading(smooth) > voice_leading(leapy) + 0.2


def test_parallel_fifths_are_penalised() -> None:
    # C-G in the outer pair moving up a step to D-A: parallel fifths.
    parallel = [sounded(C, "I", (48, 55, 64, 72)), sounded(C, "ii", (50, 57, 65, 74))]
    contrary = [sounded(C, "I", (48, 55, 64, 72)), sounded(C, "ii", (50, 53, 62, 69))]
    assert voice_leading(parallel) < voice_leading(contrary)


@pytest.mark.parametrize(
    ("numerals", "expected"),
    [
        (("ii", "V", "I"), 1.0),
        (("I", "IV", "I"), 0.85),
        (("I", "vi", "IV", "V"), 0.9),  # half cadence that loops home
        (("ii", "IV", "V"), 0.75),
        (("I", "bVII", "I"), 0.8),
        (("I", "IV", "vi", "iii"), 0.2),
    ],
)
def test_cadence_known_answers(numerals: tuple[str, ...], expected: float) -> None:
    chords = [sounded(C, n, (48, 60, 64, 67)) for n in numerals]
    assert cadence(chords, key=C) == pytest.approx(expected)


def test_minor_cadence_reads_the_minor_tonic() -> None:
    chords = [sounded(A_MIN, n, (45, 57, 60, 64)) for n in ("iv", "V", "i")]
    assert cadence(chords, key=A_MIN) == 1.0


def test_key_fit_diatonic_beats_chromatic() -> None:
    diatonic = [sounded(C, n) for n in ("I", "IV", "V", "I")]
    chromatic = [sounded(C, n) for n in ("bII", "#iv", "bVI", "VII")]
    assert key_fit(diatonic, key=C) == pytest.approx(1.0)
    assert key_fit(chromatic, key=C) < 0.5


def test_key_fit_accepts_the_leading_tone_in_minor() -> None:
    harmonic = [sounded(A_MIN, n) for n in ("i", "iv", "V", "i")]
    assert key_fit(harmonic, key=A_MIN) == pytest.approx(1.0)


def test_key_clarity_tells_a_key_from_its_relative_and_its_neighbours() -> None:
    in_c = [sounded(C, n) for n in ("I", "IV", "V7", "I")]
    assert key_clarity(in_c, key=C) == pytest.approx(1.0)
    assert key_clarity(in_c, key=A_MIN) < 0.3
    assert key_clarity(in_c, key=Key(7)) < 0.3  # G major: C's dominant key
    leaning_on_iv = [sounded(C, n, beats=b) for n, b in (("IV", 8.0), ("I", 2.0), ("V", 2.0))]
    assert key_clarity(leaning_on_iv, key=C) < key_clarity(in_c, key=C)


def test_variety_peaks_at_a_few_distinct_chords() -> None:
    def prog(numerals: tuple[str, ...]) -> list[SoundedChord]:
        return [sounded(C, n, (48, 60, 64, 67), beats=2.0) for n in numerals]

    one = variety(prog(("I",) * 8), bars=4)
    four = variety(prog(("I", "V", "vi", "IV") * 2), bars=4)
    eight = variety(prog(("I", "bII", "ii", "bIII", "iii", "IV", "#iv", "V")), bars=4)
    assert one < 0.1
    assert four == pytest.approx(1.0)
    assert eight < four


def test_score_progression_totals_are_in_range_and_rank_sensibly() -> None:
    good = [
        sounded(C, n, v)
        for n, v in zip(
            ("I", "IV", "V", "I"),
            ((48, 60, 64, 67), (41, 60, 65, 69), (43, 59, 62, 67), (48, 60, 64, 67)),
            strict=True,
        )
    ]
    bad = [
        sounded(C, n, v)
        for n, v in zip(
            ("bII", "#iv", "bII", "#iv"),
            ((49, 61, 65, 68), (42, 54, 57, 61), (49, 65, 68, 73), (42, 54, 57, 61)),
            strict=True,
        )
    ]
    g = score_progression(good, key=C, bars=4, likelihood=0.8)
    b = score_progression(bad, key=C, bars=4, likelihood=0.1)
    assert 0.0 <= b.total < g.total <= 1.0
    assert set(g.as_dict()) == {"likelihood", "voice_leading", "cadence", "key_fit", "variety"}


def test_score_progression_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="likelihood"):
        score_progression([sounded(C, "I", (48, 60, 64, 67))], key=C, bars=1, likelihood=1.5)
    with pytest.raises(ValueError, match="at least one chord"):
        score_progression([], key=C, bars=1, likelihood=0.5)
