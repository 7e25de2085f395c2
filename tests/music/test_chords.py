"""Chords: symbols and roman numerals in every key and quality, checked against music21.

music21 conventions that differ from ours (each pinned by a test below, so a change on either
side shows up):

* Chord symbols: music21 writes flats as ``-`` ("B-7"); it reads "Bb7" as B with a flat
  seventh (B D# F# A). It cannot parse our "m(maj7)" or "maj9" suffixes; it spells them
  "mM7" and "M9". With those spellings it agrees with every quality in ``QUALITIES``.
* Roman numerals in minor: we read degrees from the natural minor scale, so "vii°" in A minor
  is G-B♭-D♭ and the leading-tone chord is "#vii°"; music21 (``Minor67Default.QUALITY``) raises
  the 7th for a diminished/minor numeral, so its "vii°" is G#-B-D and its "#vii°" is
  G##-B#-D#. Likewise its "vi" in minor is F#-A-C# and ours F-A♭-C. "VII" (the subtonic),
  "VI", "III", "bVII" and "bII" agree.
* Seventh figures: our "I7"/"IV7" are dominant sevenths (lead-sheet habit); music21's "I7" is
  diatonic (C-E-G-B in C). Our major sevenths are written "Imaj7".
"""

from __future__ import annotations

import pytest
from music21 import chord as m21chord
from music21 import harmony, roman
from music21 import key as m21key
from music21 import scale as m21scale

from music.chords import (
    QUALITIES,
    SYMBOL_SUFFIX,
    TRIAD_OF,
    Chord,
    RomanChord,
    chord_pitches,
    chord_symbol,
    major_step,
    parse_chord_symbol,
    parse_roman,
    roman_name,
    roman_to_pitches,
    triad_quality_in_key,
)
from music.keys import MODE_INTERVALS, Key

MAJOR_KEYS = [Key(t, "major") for t in range(12)]
MINOR_KEYS = [Key(t, "minor") for t in range(12)]
ALL_24 = MAJOR_KEYS + MINOR_KEYS
FLAT_KEY = Key(3)  # E-flat major spells roots with flats

#: Our suffix -> the suffix music21's ChordSymbol understands for the same chord.
M21_SUFFIX = {**SYMBOL_SUFFIX, "minmaj7": "mM7", "maj9": "M9"}


def _m21_name(name: str) -> str:
    """Our note name -> music21's ("Bb" -> "B-")."""
    return name[0] + name[1:].replace("b", "-")


def _m21_key(k: Key) -> m21key.Key | m21scale.ConcreteScale:
    """music21's key, or for harmonic and melodic minor its scale of that name (ascending)."""
    variants = {
        "harmonic_minor": m21scale.HarmonicMinorScale,
        "melodic_minor": m21scale.MelodicMinorScale,
    }
    if k.mode in variants:
        return variants[k.mode](_m21_name(k.tonic_name))
    return m21key.Key(_m21_name(k.tonic_name), k.mode)


def _m21_symbol(chord: Chord, k: Key | None = None) -> str:
    spell = (k or Key(0)).pc_name
    out = _m21_name(spell(chord.root)) + M21_SUFFIX[chord.quality]
    if chord.bass is not None:
        out += "/" + _m21_name(spell(chord.bass))
    return out


# ---------------------------------------------------------------- chord symbols


@pytest.mark.parametrize("quality", list(QUALITIES))
def test_symbol_round_trip_every_quality_and_root(quality: str) -> None:
    for root in range(12):
        chord = Chord(root, quality)
        for k in (None, FLAT_KEY, *ALL_24):
            symbol = chord_symbol(chord, k)
            assert parse_chord_symbol(symbol) == chord, (symbol, k)


@pytest.mark.parametrize("quality", list(QUALITIES))
def test_slash_symbol_round_trip(quality: str) -> None:
    for root in range(12):
        for bass in range(12):
            if bass == root:
                continue
            chord = Chord(root, quality, bass)
            symbol = chord_symbol(chord, FLAT_KEY)
            assert "/" in symbol
            assert parse_chord_symbol(symbol) == chord, symbol


def test_symbol_spelling() -> None:
    assert chord_symbol(Chord(10, "min7")) == "A#m7"
    assert chord_symbol(Chord(10, "min7"), Key(5)) == "Bbm7"
    assert chord_symbol(Chord(6, "hdim7")) == "F#m7b5"
    assert chord_symbol(Chord(0, "maj", 4)) == "C/E"
    assert chord_symbol(Chord(0, "maj", 0)) == "C"  # a bass on the root is not written
    assert chord_symbol(Chord(3, "minmaj7"), FLAT_KEY) == "Ebm(maj7)"


@pytest.mark.parametrize("quality", list(QUALITIES))
def test_quality_pitch_classes_match_music21(quality: str) -> None:
    for root in range(12):
        for k in (None, FLAT_KEY):
            chord = Chord(root, quality)
            cs = harmony.ChordSymbol(_m21_symbol(chord, k))
            assert sorted(chord.pitch_classes()) == sorted(cs.pitchClasses), _m21_symbol(chord, k)
            assert cs.root().pitchClass == root


@pytest.mark.parametrize("quality", list(QUALITIES))
def test_slash_chord_bass_matches_music21(quality: str) -> None:
    root = 2  # D
    for tone in QUALITIES[quality][1:]:
        chord = Chord(root, quality, (root + tone) % 12)
        cs = harmony.ChordSymbol(_m21_symbol(chord))
        assert cs.bass().pitchClass == chord.bass
        assert set(cs.pitchClasses) == set(chord.pitch_classes())
        assert chord_pitches(chord)[0] % 12 == chord.bass


def test_music21_symbol_conventions_differ_as_documented() -> None:
    # "Bb7" is B with a flat seventh to music21, so flats must be written "-".
    assert sorted(harmony.ChordSymbol("Bb7").pitchClasses) == sorted([11, 3, 6, 9])
    assert sorted(harmony.ChordSymbol("B-7").pitchClasses) == sorted([10, 2, 5, 8])
    assert parse_chord_symbol("Bb7").pitch_classes() == (10, 2, 5, 8)
    for ours in ("Cm(maj7)", "Cmaj9"):
        with pytest.raises(ValueError):
            harmony.ChordSymbol(ours)
        assert parse_chord_symbol(ours).quality in ("minmaj7", "maj9")


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        ("C", Chord(0, "maj")), ("CM", Chord(0, "maj")), ("Cmajor", Chord(0, "maj")),
        ("c", Chord(0, "maj")), ("Cm", Chord(0, "min")), ("C-", Chord(0, "min")),
        ("Cminor", Chord(0, "min")), ("C°", Chord(0, "dim")), ("Co", Chord(0, "dim")),
        ("C+", Chord(0, "aug")), ("Csus", Chord(0, "sus4")), ("Cdom7", Chord(0, "7")),
        ("CM7", Chord(0, "maj7")), ("CΔ7", Chord(0, "maj7")), ("CΔ", Chord(0, "maj7")),
        ("C-7", Chord(0, "min7")), ("Cmmaj7", Chord(0, "minmaj7")), ("Cø", Chord(0, "hdim7")),
        ("Cø7", Chord(0, "hdim7")), ("C°7", Chord(0, "dim7")), ("Co7", Chord(0, "dim7")),
        ("C7sus", Chord(0, "7sus4")), ("Cm(add9)", Chord(0, "madd9")),
        ("F#m7b5", Chord(6, "hdim7")), ("Bbdim", Chord(10, "dim")), ("B♭m7♭5", Chord(10, "hdim7")),
        ("F♯m", Chord(6, "min")), (" G7 ", Chord(7, "7")), ("Dsus4", Chord(2, "sus4")),
        ("Cmaj7/B", Chord(0, "maj7", 11)), ("Ab/C", Chord(8, "maj", 0)),
        ("C/Bb", Chord(0, "maj", 10)), ("Cb", Chord(11, "maj")), ("E#m", Chord(5, "min")),
    ],
)  # fmt: skip
def test_symbol_aliases(symbol: str, expected: Chord) -> None:
    assert parse_chord_symbol(symbol) == expected


@pytest.mark.parametrize("bad", ["", "H7", "Cblah", "C/H", "Cmaj13", "7", "C/", "Cm7/", "/E"])
def test_bad_symbols_raise_with_the_value(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_chord_symbol(bad)
    assert repr(bad) in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [({"root": 12, "quality": "maj"}, "12"), ({"root": -1, "quality": "maj"}, "-1"),
     ({"root": 1.5, "quality": "maj"}, "1.5"), ({"root": 0, "quality": "major"}, "'major'"),
     ({"root": 0, "quality": "maj", "bass": 12}, "12")],
)  # fmt: skip
def test_chord_rejects_impossible_values(kwargs: dict[str, object], shown: str) -> None:
    with pytest.raises(ValueError, match=shown.replace(".", r"\.").replace("+", r"\+")):
        Chord(**kwargs)  # type: ignore[arg-type]


def test_triad_of_covers_every_quality() -> None:
    assert set(TRIAD_OF) == set(QUALITIES) == set(SYMBOL_SUFFIX)
    for quality, intervals in QUALITIES.items():
        third = {3: "min", 4: "maj"}.get(intervals[1])
        expected = {
            (3, 6): "dim", (4, 8): "aug", (3, 7): "min", (4, 7): "maj",
        }.get((intervals[1], intervals[2]), "sus")  # fmt: skip
        assert TRIAD_OF[quality] == expected, quality
        assert third is None or expected.startswith(("min", "maj", "dim", "aug"))


# ---------------------------------------------------------------- chord pitches


def test_chord_pitches_root_position_and_inversions() -> None:
    assert chord_pitches(Chord(0, "maj")) == (60, 64, 67)
    assert chord_pitches(Chord(0, "maj"), octave=3) == (48, 52, 55)
    assert chord_pitches(Chord(0, "maj", 4)) == (64, 67, 72)
    assert chord_pitches(Chord(0, "maj", 7)) == (67, 72, 76)
    assert chord_pitches(Chord(7, "7", 5)) == (65, 67, 71, 74)  # V42 in C
    assert chord_pitches(Chord(0, "add9")) == (60, 64, 67, 74)  # the ninth stays above


def test_chord_pitches_slash_bass_outside_the_chord_is_kept() -> None:
    # Regression: C/D used to drop the D and return a plain C triad.
    assert chord_pitches(Chord(0, "maj", 2)) == (62, 64, 67, 72)
    assert chord_pitches(Chord(0, "maj", 10)) == (70, 72, 76, 79)


def test_chord_pitches_ninth_in_the_bass_is_lowest() -> None:
    # Regression: Cadd9/D used to give (62, 60, 64, 67): the "bass" above the root.
    assert chord_pitches(Chord(0, "add9", 2)) == (62, 64, 67, 72)
    assert chord_pitches(Chord(7, "9", 9)) == (69, 71, 74, 77, 79)


@pytest.mark.parametrize("quality", list(QUALITIES))
def test_chord_pitches_bass_first_ascending_and_complete(quality: str) -> None:
    for root in range(12):
        for bass in (None, *range(12)):
            chord = Chord(root, quality, bass)
            pitches = chord_pitches(chord, octave=3)
            lowest = bass if bass is not None else root
            assert pitches[0] == 48 + lowest
            assert list(pitches) == sorted(set(pitches))
            assert {p % 12 for p in pitches} == set(chord.pitch_classes()) | {lowest}


# ---------------------------------------------------------------- roman numerals vs music21

#: (ours, music21's figure for the same chord) in major keys.
MAJOR_FIGURES = [
    ("I", "I"), ("ii", "ii"), ("iii", "iii"), ("III", "III"), ("IV", "IV"), ("iv", "iv"),
    ("V", "V"), ("V7", "V7"), ("vi", "vi"), ("vii°", "viio"), ("bVII", "bVII"), ("bIII", "bIII"),
    ("bVI", "bVI"), ("bII", "bII"), ("#iv°", "#ivo"), ("ii°", "iio"), ("I+", "I+"),
    ("I6", "I6"), ("I64", "I64"), ("V65", "V65"), ("V43", "V43"), ("V42", "V42"), ("V2", "V2"),
    ("ii7", "ii7"), ("ii65", "ii65"), ("Imaj7", "I7"), ("IVmaj7", "IV7"), ("Imaj65", "I65"),
    ("IVmaj43", "IV43"), ("viiø7", "viiø7"), ("vii°7", "viio7"), ("V9", "V9"), ("vi6", "vi6"),
]  # fmt: skip

#: (ours, music21's figure) in minor keys; see the module docstring for #vii°.
MINOR_FIGURES = [
    ("i", "i"), ("ii°", "iio"), ("III", "III"), ("iv", "iv"), ("IV", "IV"), ("V", "V"),
    ("V7", "V7"), ("VI", "VI"), ("VII", "VII"), ("bVII", "bVII"), ("bII", "bII"), ("bVI", "bVI"),
    ("#vii°", "viio"), ("#vii°7", "viio7"), ("#vii°65", "viio65"), ("III+", "III+"),
    ("i6", "i6"), ("i64", "i64"), ("iv6", "iv6"), ("V65", "V65"), ("V43", "V43"), ("V42", "V42"),
    ("iiø7", "iiø7"), ("iiø65", "iiø65"), ("i7", "i7"), ("VImaj7", "VI7"), ("VII7", "VII7"),
    ("v", "v"), ("iio7", "iio7"),
]  # fmt: skip


def _check_against_music21(k: Key, ours: str, theirs: str) -> None:
    rn = roman.RomanNumeral(theirs, _m21_key(k))
    rc = parse_roman(ours, k)
    chord = rc.in_key(k)
    pitches = roman_to_pitches(k, ours)
    where = f"{ours} in {k.name}"
    assert set(chord.pitch_classes()) == set(rn.pitchClasses), where
    assert chord.root == rn.root().pitchClass, where
    assert pitches[0] % 12 == rn.bass().pitchClass, where
    assert {p % 12 for p in pitches} == set(rn.pitchClasses), where


@pytest.mark.parametrize("k", MAJOR_KEYS, ids=str)
def test_roman_numerals_match_music21_in_major_keys(k: Key) -> None:
    for ours, theirs in MAJOR_FIGURES:
        _check_against_music21(k, ours, theirs)


@pytest.mark.parametrize("k", MINOR_KEYS, ids=str)
def test_roman_numerals_match_music21_in_minor_keys(k: Key) -> None:
    for ours, theirs in MINOR_FIGURES:
        _check_against_music21(k, ours, theirs)


def test_music21_minor_key_conventions_differ_as_documented() -> None:
    a_minor, c_major = Key(9, "minor"), Key(0)
    m21_a, m21_c = m21key.Key("a"), m21key.Key("C")

    def ours(k: Key, fig: str) -> set[int]:
        return set(parse_roman(fig, k).in_key(k).pitch_classes())

    def theirs(k: m21key.Key, fig: str) -> set[int]:
        return set(roman.RomanNumeral(fig, k).pitchClasses)

    assert ours(a_minor, "vii°") == {7, 10, 1}  # G Bb Db: degree 7 of natural minor
    assert theirs(m21_a, "viio") == {8, 11, 2}  # G# B D: music21 raises the 7th
    assert theirs(m21_a, "#viio") == {9, 0, 3}  # G## B# D#
    assert ours(a_minor, "#vii°") == theirs(m21_a, "viio")
    assert ours(a_minor, "vi") == {5, 8, 0}  # F Ab C
    assert theirs(m21_a, "vi") == {6, 9, 1}  # F# A C#
    assert ours(a_minor, "VII") == theirs(m21_a, "VII") == {7, 11, 2}  # both: the subtonic
    assert ours(c_major, "I7") == {0, 4, 7, 10}  # dominant seventh
    assert theirs(m21_c, "I7") == {0, 4, 7, 11}  # diatonic (major) seventh


# ---------------------------------------------------------------- roman numerals: our grammar


def test_a_minor_i_is_a_c_e() -> None:
    # Regression: the original system produced F# minor for an A minor request.
    a_minor = Key(9, "minor")
    assert roman_to_pitches(a_minor, "i", octave=3) == (57, 60, 64)  # A3 C4 E4
    assert roman_to_pitches(a_minor, "i") == (69, 72, 76)  # the bass is in octave 4 by default
    assert parse_roman("i", a_minor).in_key(a_minor) == Chord(9, "min")
    assert chord_symbol(parse_roman("i", a_minor).in_key(a_minor), a_minor) == "Am"


ROOT_POSITION = {
    "major": ["I", "ii", "iii", "IV", "V", "vi", "vii°", "V7", "ii7", "Imaj7", "IVmaj7", "iiø7",
              "vii°7", "bVII", "bIII", "bVI", "bII", "#iv°", "iv", "III+", "Vsus4", "Vsus2",
              "V7sus4", "Iadd9", "iadd9", "V9", "Imaj9", "ii9", "Iadd6", "iiadd6", "imaj7"],
    "minor": ["i", "ii°", "III", "iv", "v", "V", "VI", "VII", "#vii°", "#vii°7", "bVII", "bII",
              "iiø7", "V7", "i7", "IV", "III+", "VImaj7", "imaj7"],
}  # fmt: skip


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_roman_name_inverts_parse_for_root_position(k: Key) -> None:
    for numeral in ROOT_POSITION[k.mode]:
        assert roman_name(parse_roman(numeral, k), k) == numeral


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_roman_name_inverts_parse_for_inversions(k: Key) -> None:
    numerals = ["I6", "I64", "V65", "V43", "V42", "ii65", "viiø43", "vii°42", "Imaj65",
                "imaj43", "III+6", "Vsus4/4", "V9/3", "Iadd9/9", "V7sus4/7", "Iadd6/6"]  # fmt: skip
    for numeral in numerals:
        assert roman_name(parse_roman(numeral, k), k) == numeral


KEYS_FOR_EXHAUSTIVE = ALL_24 + [Key(2, m) for m in MODE_INTERVALS]


def test_every_roman_chord_round_trips_through_its_name() -> None:
    # Every offset, quality and inversion, in every key: the name is never lossy or misleading.
    for k in KEYS_FOR_EXHAUSTIVE:
        for offset in range(12):
            for quality, intervals in QUALITIES.items():
                for inversion in range(len(intervals)):
                    rc = RomanChord(offset, quality, inversion)
                    name = roman_name(rc, k)
                    assert parse_roman(name, k) == rc, (k.name, rc, name)


def test_added_sixth_is_not_written_as_a_first_inversion() -> None:
    # Regression: a C6 chord (C E G A) was written "I6", the figure for C/E.
    c = Key(0)
    assert roman_name(RomanChord(0, "6"), c) == "Iadd6"
    assert roman_name(RomanChord(9, "min6"), c) == "viadd6"
    assert parse_roman("I6", c) == RomanChord(0, "maj", 1)
    assert parse_roman("Iadd6", c) == RomanChord(0, "6")


def test_sharp_and_flat_degrees_follow_convention() -> None:
    c, a = Key(0), Key(9, "minor")
    assert roman_name(RomanChord(10, "maj"), c) == "bVII"
    assert roman_name(RomanChord(6, "dim"), c) == "#iv°"
    assert roman_name(RomanChord(11, "dim"), a) == "#vii°"
    assert roman_name(RomanChord(1, "maj"), a) == "bII"
    assert roman_name(RomanChord(6, "dim"), a) == "bv°"


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_roman_to_pitches_bass_is_lowest(k: Key) -> None:
    numerals = ROOT_POSITION[k.mode] + ["I6", "I64", "V65", "V43", "V42", "V9/9", "Iadd9/9",
                                        "Vsus4/5", "viiø42"]  # fmt: skip
    for numeral in numerals:
        pitches = roman_to_pitches(k, numeral, octave=3)
        rc = parse_roman(numeral, k)
        bass_pc = (k.tonic + rc.offset + QUALITIES[rc.quality][rc.inversion]) % 12
        assert pitches[0] == min(pitches), numeral
        assert pitches[0] == 48 + bass_pc, numeral
        assert list(pitches) == sorted(set(pitches)), numeral


@pytest.mark.parametrize(
    ("numeral", "expected"),
    [("V65", RomanChord(7, "7", 1)), ("V43", RomanChord(7, "7", 2)), ("V42", RomanChord(7, "7", 3)),
     ("V2", RomanChord(7, "7", 3)), ("I64", RomanChord(0, "maj", 2)),
     ("ii°", RomanChord(2, "dim")), ("iio", RomanChord(2, "dim")), ("iidim", RomanChord(2, "dim")),
     ("iiø", RomanChord(2, "hdim7")), ("IVmaj7", RomanChord(5, "maj7")),
     ("vii°7", RomanChord(11, "dim7")), ("♭VII", RomanChord(10, "maj")),
     ("Iaug", RomanChord(0, "aug")), (" V7 ", RomanChord(7, "7")), ("I/5", RomanChord(0, "maj", 2)),
     ("bbVII", RomanChord(9, "maj"))],
)  # fmt: skip
def test_parse_roman_examples_in_c(numeral: str, expected: RomanChord) -> None:
    assert parse_roman(numeral, Key(0)) == expected


@pytest.mark.parametrize(
    ("bad", "why"),
    [("", "I..VII"), ("VIII", "I..VII"), ("H", "I..VII"), ("Vi", "I..VII"), ("V8", "I..VII"),
     ("I+42", "cannot take figure"), ("I6/3", "chord tone"), ("Isus2/3", "chord tone"),
     ("V/V", "I..VII"), ("V7/1", "I..VII"), ("V+7", "cannot take figure"),
     ("vii°maj7", "cannot take figure"), ("iiøsus4", "cannot take figure"),
     ("vii°maj65", "cannot take figure"), ("I+9", "cannot take figure")],
)  # fmt: skip
def test_bad_roman_numerals_raise_with_the_value(bad: str, why: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_roman(bad, Key(0))
    assert repr(bad) in str(err.value)
    assert why in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [({"offset": 12, "quality": "maj"}, "12"), ({"offset": 0, "quality": "x"}, "'x'"),
     ({"offset": 0, "quality": "maj", "inversion": 3}, "0..2"),
     ({"offset": 0, "quality": "7", "inversion": -1}, "-1"),
     ({"offset": 0.0, "quality": "maj"}, "0.0")],
)  # fmt: skip
def test_roman_chord_rejects_impossible_values(kwargs: dict[str, object], shown: str) -> None:
    with pytest.raises(ValueError) as err:
        RomanChord(**kwargs)  # type: ignore[arg-type]
    assert shown in str(err.value)


# ---------------------------------------------------------------- tokens and diatonic triads


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_tokens_are_key_independent(k: Key) -> None:
    major = {"I": "0:maj", "V7": "7:maj", "ii7": "2:min", "vii°": "11:dim", "iiø7": "2:dim",
             "Vsus4": "7:sus", "bVII": "10:maj", "I6": "0:maj", "III+": "4:aug"}  # fmt: skip
    minor = {"i": "0:min", "III": "3:maj", "VII": "10:maj", "VI": "8:maj", "V7": "7:maj",
             "#vii°7": "11:dim", "iv": "5:min", "ii°": "2:dim"}  # fmt: skip
    for numeral, token in (major if k.mode == "major" else minor).items():
        assert parse_roman(numeral, k).token == token, numeral


@pytest.mark.parametrize("k", [*ALL_24, *(Key(7, m) for m in MODE_INTERVALS)], ids=str)
def test_diatonic_triad_qualities_match_music21(k: Key) -> None:
    m21 = _m21_key(k)
    names = {"major": "maj", "minor": "min", "diminished": "dim", "augmented": "aug"}
    for degree, offset in enumerate(MODE_INTERVALS[k.mode], start=1):
        pitches = [m21.pitchFromDegree((degree - 1 + step) % 7 + 1) for step in (0, 2, 4)]
        assert triad_quality_in_key(k, offset) == names[m21chord.Chord(pitches).quality]


def test_triad_quality_rejects_chromatic_offsets() -> None:
    with pytest.raises(ValueError, match="offset: 1 "):
        triad_quality_in_key(Key(0), 1)


def test_major_step() -> None:
    assert [major_step(d) for d in range(9)] == [0, 2, 4, 5, 7, 9, 11, 0, 2]
