"""Keys: parsing every real-world spelling of all 24 major/minor keys, name round trips, and
scales checked against music21's independent key analysis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from music21 import key as m21key
from music21 import scale as m21scale
from music21.scale.intervalNetwork import Direction

from music.keys import (
    MODE_INTERVALS,
    PITCH_CLASS_NAMES_USUAL,
    Key,
    note_name_to_pc,
    parse_key,
    pitch_name,
)

# Every spelling of every pitch class, written out by hand (not derived from the code under test).
SPELLINGS: dict[str, int] = {
    "C": 0, "B#": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "Fb": 4, "E#": 5,
    "F": 5, "F#": 6, "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11,
    "Cb": 11,
}  # fmt: skip

# The conventional name of each of the 24 keys (the spelling with at most six sharps or flats).
MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")

ALL_24 = [Key(t, m) for m in ("major", "minor") for t in range(12)]
MODES = tuple(MODE_INTERVALS)


def _unicode(spelling: str) -> str:
    """ "Bb" -> "B♭", "F#" -> "F♯" (only the accidental changes, never the letter B)."""
    return spelling[0] + spelling[1:].replace("b", "\u266d").replace("#", "\u266f")


def _words(spelling: str, *, hyphen: bool = False) -> str:
    """ "Bb" -> "B flat" (or "B-flat"), "F#" -> "F sharp"."""
    acc = {"": "", "b": "flat", "#": "sharp"}[spelling[1:]]
    if not acc:
        return spelling
    return f"{spelling[0]}{'-' if hyphen else ' '}{acc}"


def _m21_tonic(name: str) -> str:
    """Our spelling -> music21's ("Bb" -> "B-")."""
    return name[0] + name[1:].replace("b", "-")


def _m21_scale_pcs(tonic: str, mode: str) -> tuple[int, ...]:
    """The seven scale pitch classes music21 gives for a key, tonic first."""
    pitches = m21key.Key(_m21_tonic(tonic), mode).pitches
    return tuple(p.pitchClass for p in pitches[:7])


# ---------------------------------------------------------------- parsing


def _minor_variants(s: str) -> list[str]:
    u = _unicode(s)
    return [
        f"{s}m", f"{s} minor", f"{s}minor", f"{s} min", f"{s.lower()} min", f"{s.lower()} minor",
        f"{s} Minor", f"{s} MINOR", f"  {s}   minor  ", f"{s}\tminor", f"{u} minor", f"{u}m",
        f"{s[0]} {u[1:]} minor" if len(s) > 1 else f"{s} minor", f"key of {s} minor",
        f"Key of {s} minor", f"{_words(s)} minor", f"{_words(s, hyphen=True)} minor",
        f"{_words(s).title()} Minor", f"{s} aeolian", f"{s}\u00a0minor",
    ]  # fmt: skip


def _major_variants(s: str) -> list[str]:
    u = _unicode(s)
    return [
        s, f"{s} major", f"{s}major", f"{s} maj", f"{s}maj", f"{s.lower()} major", f"{s} Major",
        f"  {s}  major ", f"{u} major", u, f"key of {s} major", f"KEY OF {s} MAJOR",
        f"{_words(s)} major", f"{_words(s, hyphen=True)} major", f"{_words(s).title()} Major",
        f"{s} ionian",
    ]  # fmt: skip


def _misread(texts: list[str], expected: Key) -> list[tuple[str, object]]:
    """Every text that does not parse to ``expected``, with what it gave instead."""
    wrong: list[tuple[str, object]] = []
    for text in texts:
        try:
            got: object = parse_key(text)
        except ValueError as exc:
            got = exc
        if got != expected:
            wrong.append((text, got))
    return wrong


@pytest.mark.parametrize(("spelling", "pc"), list(SPELLINGS.items()))
def test_parse_every_minor_spelling(spelling: str, pc: int) -> None:
    assert _misread(_minor_variants(spelling), Key(pc, "minor")) == []


@pytest.mark.parametrize(("spelling", "pc"), list(SPELLINGS.items()))
def test_parse_every_major_spelling(spelling: str, pc: int) -> None:
    assert _misread(_major_variants(spelling), Key(pc, "major")) == []


def test_all_24_keys_are_reached_by_parsing() -> None:
    texts = [t for s in SPELLINGS for t in _minor_variants(s) + _major_variants(s)]
    assert {parse_key(t) for t in texts} == set(ALL_24)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Eb major", Key(3, "major")),
        ("key of Eb major", Key(3, "major")),
        ("Gb  minor", Key(6, "minor")),
        ("B ♭ major", Key(10, "major")),
        ("A# major", Key(10, "major")),
        ("F#m", Key(6, "minor")),
        ("c minor", Key(0, "minor")),
        ("Bbm", Key(10, "minor")),
        ("bbm", Key(10, "minor")),
        ("bm", Key(11, "minor")),
        ("B-", Key(10, "major")),  # music21's flat sign
        ("A-flat minor", Key(8, "minor")),  # regression: read as A double-flat (G minor)
        ("F-sharp minor", Key(6, "minor")),  # regression: read as F natural
        ("F Sharp Minor", Key(6, "minor")),  # regression: rejected ("Sharp" capitalised)
        ("D dorian", Key(2, "dorian")),
        ("G mixo", Key(7, "mixolydian")),
        ("E Phrygian", Key(4, "phrygian")),
    ],
)
def test_parse_documented_examples(text: str, expected: Key) -> None:
    assert parse_key(text) == expected
    assert Key.parse(text) == expected


@pytest.mark.parametrize(
    "bad",
    ["H major", "C blues", "", "   ", "Cmajor7", "C# majorr", "major", "X", "C minor 7", "Am7",
     "C/E", "C min.", "key of", "C## major!"],
)  # fmt: skip
def test_bad_key_strings_raise_with_the_value(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_key(bad)
    assert repr(bad) in str(err.value)


def test_non_string_key_raises() -> None:
    with pytest.raises(ValueError, match="7"):
        parse_key(7)  # type: ignore[arg-type]


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_name_round_trip_24(k: Key) -> None:
    assert parse_key(k.name) == k
    assert str(k) == k.name


def test_conventional_names_of_the_24_keys() -> None:
    assert [Key(t).name for t in range(12)] == [f"{n} major" for n in MAJOR_NAMES]
    assert [Key(t, "minor").name for t in range(12)] == [f"{n} minor" for n in MINOR_NAMES]


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_names_use_at_most_six_accidentals(k: Key) -> None:
    # music21 counts the key signature of the spelling we chose.
    sig = m21key.Key(_m21_tonic(k.tonic_name), k.mode).sharps
    assert abs(sig) <= 6


@given(st.integers(0, 11), st.sampled_from(MODES))
def test_name_round_trip_property(tonic: int, mode: str) -> None:
    assert parse_key(Key(tonic, mode).name) == Key(tonic, mode)


@given(
    st.integers(0, 11),
    st.sampled_from(MODES),
    st.text(" \t", max_size=3),
    st.text(" \t", max_size=3),
    st.booleans(),
)
def test_parse_ignores_whitespace_and_case_property(
    tonic: int, mode: str, lead: str, trail: str, upper: bool
) -> None:
    k = Key(tonic, mode)
    mode_word = mode.upper() if upper else mode
    assert parse_key(f"{lead}{k.tonic_name} {mode_word}{trail}") == k


# ---------------------------------------------------------------- scales


@pytest.mark.parametrize("k", ALL_24, ids=str)
def test_scale_matches_music21_for_24_keys(k: Key) -> None:
    assert k.scale_pcs() == _m21_scale_pcs(k.tonic_name, k.mode)


CHURCH_MODES = tuple(m for m in MODES if not m.endswith("_minor"))


@pytest.mark.parametrize("mode", CHURCH_MODES)
@pytest.mark.parametrize("tonic", ["C", "D", "F#", "Bb", "Eb", "A"])
def test_church_modes_match_music21(tonic: str, mode: str) -> None:
    k = parse_key(f"{tonic} {mode}")
    assert k.scale_pcs() == _m21_scale_pcs(tonic, mode)


@pytest.mark.parametrize(
    ("mode", "scale_class"),
    [
        ("harmonic_minor", m21scale.HarmonicMinorScale),
        ("melodic_minor", m21scale.MelodicMinorScale),
    ],
)
@pytest.mark.parametrize("tonic", ["C", "D", "F#", "Bb", "Eb", "A"])
def test_harmonic_and_melodic_minor_match_music21(tonic: str, mode: str, scale_class: type) -> None:
    written = f"{tonic} {mode.replace('_', ' ')}"
    k = parse_key(written)
    assert k.mode == mode and k.is_minor and k.family == "minor"
    # music21's melodic minor is the ascending form (raised 6th and 7th), as ours.
    pitches = scale_class(_m21_tonic(tonic)).getPitches(direction=Direction.ASCENDING)
    assert k.scale_pcs() == tuple(p.pitchClass for p in pitches[:7])
    assert parse_key(k.name) == k  # "A harmonic minor" reads back


@pytest.mark.parametrize(
    "written", ["A harmonic minor", "a harmonic_minor", "A harmonic-minor", "A Harmonic  Minor"]
)
def test_harmonic_minor_spellings(written: str) -> None:
    assert parse_key(written) == Key(9, "harmonic_minor")


def test_minor_variants_read_numerals_as_natural_minor() -> None:
    assert Key(9, "harmonic_minor").numeral_key == Key(9, "minor")
    assert Key(9, "melodic_minor").numeral_key == Key(9, "minor")
    assert Key(2, "dorian").numeral_key == Key(2, "dorian")


@pytest.mark.parametrize("tonic", range(12))
def test_relative_major_and_minor_share_pitch_classes(tonic: int) -> None:
    major = Key(tonic, "major")
    relative_minor = Key((tonic + 9) % 12, "minor")
    assert set(major.scale_pcs()) == set(relative_minor.scale_pcs())
    assert major.scale_pcs() != relative_minor.scale_pcs()  # same notes, other tonic
    # Each church mode on the n-th step of the major scale has the same notes.
    for step, mode in zip(MODE_INTERVALS["major"], ("major", "dorian", "phrygian", "lydian",
                                                    "mixolydian", "minor", "locrian"),
                          strict=True):  # fmt: skip
        assert set(Key((tonic + step) % 12, mode).scale_pcs()) == set(major.scale_pcs())


def test_degree_pc_and_contains() -> None:
    a_minor = Key(9, "minor")
    assert [a_minor.degree_pc(d) for d in range(9)] == [9, 11, 0, 2, 4, 5, 7, 9, 11]
    assert a_minor.contains(0) and a_minor.contains(12 + 9) and not a_minor.contains(1)


@pytest.mark.parametrize(
    ("mode", "minor"),
    [("major", False), ("lydian", False), ("mixolydian", False), ("minor", True),
     ("dorian", True), ("phrygian", True), ("locrian", True), ("harmonic_minor", True),
     ("melodic_minor", True)],
)  # fmt: skip
def test_family(mode: str, minor: bool) -> None:
    k = Key(0, mode)
    assert k.is_minor is minor
    assert k.family == ("minor" if minor else "major")


def test_pc_name_spells_with_the_keys_accidentals() -> None:
    assert Key(5).pc_name(10) == "Bb"  # F major
    assert Key(7).pc_name(6) == "F#"  # G major
    assert Key(0, "minor").pc_name(3) == "Eb"  # C minor
    assert Key(4, "minor").pc_name(6) == "F#"  # E minor


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("tonic", "mode"),
    [(12, "major"), (-1, "major"), (1.5, "major"), (True, "major"), (0, "blues"), (0, "Major")],
)
def test_key_rejects_impossible_values(tonic: object, mode: str) -> None:
    with pytest.raises(ValueError) as err:
        Key(tonic, mode)  # type: ignore[arg-type]
    assert repr(tonic if mode in MODE_INTERVALS else mode) in str(err.value)


def test_key_is_frozen() -> None:
    k = Key(0)
    with pytest.raises(AttributeError):
        k.tonic = 3  # type: ignore[misc]


# ---------------------------------------------------------------- note names


@pytest.mark.parametrize(("name", "pc"), list(SPELLINGS.items()))
def test_note_name_to_pc(name: str, pc: int) -> None:
    assert note_name_to_pc(name) == pc
    assert note_name_to_pc(_unicode(name)) == pc
    assert note_name_to_pc(name.lower()) == pc
    assert note_name_to_pc(name[0] + name[1:].replace("b", "-")) == pc


@pytest.mark.parametrize("bad", ["", "H", "C$", "Cm", "7", "  "])
def test_note_name_rejects_bad_names(bad: str) -> None:
    with pytest.raises(ValueError) as err:
        note_name_to_pc(bad)
    assert repr(bad) in str(err.value)


def test_pitch_names_carry_the_octave_with_c4_as_60() -> None:
    assert pitch_name(60) == "C4" and pitch_name(28) == "E1" and pitch_name(0) == "C-1"
    assert pitch_name(63) == "D#4" and pitch_name(63, PITCH_CLASS_NAMES_USUAL) == "Eb4"
    assert pitch_name(127) == "G9"
