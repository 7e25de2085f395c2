"""Which chords a key and mode allow: diatonic chords in every key, borrowed chords by name,
secondary functions only where they resolve, everything else out of key."""

from __future__ import annotations

import pytest

from music.chords import RomanChord, parse_roman, triad_quality_in_key
from music.keys import MODE_INTERVALS, Key
from scoring.chord_analysis import BORROWED, analyse_progression, chord_role

ALL_KEYS = [Key(t, m) for m in MODE_INTERVALS for t in range(12)]


def _roles(numerals: str, key: Key) -> list[tuple[str, str, str]]:
    chords = [parse_roman(n, key.numeral_key) for n in numerals.split()]
    return [
        (r.numeral, r.kind, r.name) for r in analyse_progression(chords, [4.0] * len(chords), key)
    ]


@pytest.mark.parametrize("key", ALL_KEYS, ids=lambda k: k.name.replace(" ", "_"))
def test_every_diatonic_triad_and_seventh_is_diatonic(key: Key) -> None:
    steps = MODE_INTERVALS[key.mode]
    for i, offset in enumerate(steps):
        triad = triad_quality_in_key(key, offset)
        seventh = {"maj": "maj7", "min": "min7", "dim": "hdim7", "aug": "aug"}[triad]
        if (steps[(i + 6) % 7] - offset) % 12 == 10 and triad == "maj":
            seventh = "7"
        if (steps[(i + 6) % 7] - offset) % 12 == 11 and triad == "min":
            seventh = "minmaj7"
        if (steps[(i + 6) % 7] - offset) % 12 == 9 and triad == "dim":
            seventh = "dim7"
        for quality in (triad, seventh):
            _, kind, _ = chord_role(RomanChord(offset, quality), None, key, last=False)
            assert kind == "diatonic", (key.name, offset, quality)


@pytest.mark.parametrize("tonic", range(12))
def test_major_mixture_and_the_neapolitan_are_borrowed(tonic: int) -> None:
    key = Key(tonic, "major")
    roles = _roles("I bVII bVI bIII iv ii° bII I", key)
    assert [kind for _, kind, _ in roles] == ["diatonic", *["borrowed"] * 6, "diatonic"]
    assert [numeral for numeral, _, _ in roles][1:7] == ["bVII", "bVI", "bIII", "iv", "ii°", "bII"]
    assert roles[1][2] == "modal mixture (subtonic)"
    assert roles[3][2] == "modal mixture from the parallel minor"
    assert roles[6][2] == "Neapolitan"


@pytest.mark.parametrize("tonic", range(12))
def test_minor_borrows_harmonic_dominants_dorian_iv_and_a_final_picardy_third(tonic: int) -> None:
    key = Key(tonic, "minor")
    roles = _roles("i IV V i #vii° i bII I", key)
    names = [(kind, name) for _, kind, name in roles]
    assert names[1] == ("borrowed", "dorian IV")
    assert names[2] == ("borrowed", "major dominant of harmonic minor")
    assert names[4] == ("borrowed", "leading-tone chord of harmonic minor")
    assert names[6] == ("borrowed", "Neapolitan")
    assert names[7] == ("borrowed", "Picardy third")
    # A major tonic that does not close the progression is no Picardy third.
    assert _roles("I i iv V", key)[0][1] == "out_of_key"


def test_secondary_dominants_and_leading_tone_chords_need_their_resolution() -> None:
    g = Key(7, "major")
    assert _roles("I III7 vi IV", g)[1] == ("V7/vi", "secondary", "secondary dominant")
    assert _roles("I II V I", g)[1] == ("V/V", "secondary", "secondary dominant")
    assert _roles("I #iv° V I", g)[1] == ("vii°/V", "secondary", "secondary leading-tone chord")
    # The same chords going elsewhere are out of key.
    assert _roles("I II IV I", g)[1][1] == "out_of_key"
    assert _roles("I III IV I", g)[1][1] == "out_of_key"
    # A progression loops: its last chord resolves to its first.
    assert _roles("vi IV I III", g)[3] == ("V/vi", "secondary", "secondary dominant")


def test_the_off_key_chords_of_the_blue_waltz_are_out_of_key() -> None:
    """G major: F#m (vii, whose own chord is vii°), A major opening (II going nowhere) and a
    major ninth on V (its seventh C# is outside the key)."""
    g = Key(7, "major")
    roles = _roles("II vii vii I", g)
    assert roles[0][1] == "out_of_key" and roles[1] == ("vii", "out_of_key", "")
    _, kind, _ = chord_role(RomanChord(7, "maj9"), None, g, last=False)
    assert kind == "out_of_key"


def test_modes_borrow_from_their_neighbours() -> None:
    d_dorian, g_mixo = Key(2, "dorian"), Key(7, "mixolydian")
    assert chord_role(RomanChord(5, "maj"), None, d_dorian, last=False)[1] == "diatonic"
    assert chord_role(RomanChord(8, "maj"), None, d_dorian, last=False)[1:] == (
        "borrowed",
        "modal mixture from aeolian",
    )
    assert chord_role(RomanChord(10, "maj"), None, g_mixo, last=False)[1] == "diatonic"
    assert chord_role(RomanChord(7, "maj"), None, g_mixo, last=False)[1:] == (
        "borrowed",
        "major dominant (from major)",
    )
    a_harmonic = Key(9, "harmonic_minor")
    assert chord_role(RomanChord(7, "7"), None, a_harmonic, last=False)[1] == "diatonic"
    assert chord_role(RomanChord(10, "maj"), None, a_harmonic, last=False)[1:] == (
        "borrowed",
        "natural minor",
    )


def test_every_mode_has_its_borrowings_and_lengths_must_match() -> None:
    assert set(BORROWED) == set(MODE_INTERVALS)
    with pytest.raises(ValueError, match="one per chord"):
        analyse_progression([RomanChord(0, "maj")], [4.0, 4.0], Key(0))
