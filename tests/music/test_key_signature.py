"""Key signatures: every key in every mode gets the signature whose notes are its scale,
checked against mido's own encoding and music21's reading of the signature."""

from __future__ import annotations

import mido
import music21
import pytest

from music.keys import Key, key_from_signature, key_signature_name, parse_key

DIATONIC = ["major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian"]


def _sharps(name: str) -> int:
    """Sharps (> 0) or flats (< 0) of a signature name, as mido writes it into the file."""
    msg = mido.MetaMessage("key_signature", key=name)
    data = msg.bytes()[-2:]  # [sf, mi]
    return data[0] - 256 if data[0] > 127 else data[0]


@pytest.mark.parametrize("mode", DIATONIC)
@pytest.mark.parametrize("tonic", range(12))
def test_the_signature_holds_exactly_the_scale(tonic: int, mode: str) -> None:
    key = Key(tonic, mode)
    name = key_signature_name(key)
    sharps = _sharps(name)  # mido refuses a name it cannot write
    assert abs(sharps) <= 6, (key, name)  # the spelling with the fewest accidentals
    # music21 reads the same number of sharps/flats as a major key whose scale is ours.
    m21_major = music21.key.KeySignature(sharps).asKey("major")
    m21_pcs = {p.pitchClass for p in m21_major.getPitches()}
    assert m21_pcs == set(key.scale_pcs()), (key, name)
    # major and minor keep their tonic; other modes name their relative major
    if mode in ("major", "minor"):
        assert key_from_signature(name) == key
    else:
        assert key_from_signature(name).mode == "major"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("F# minor", "F#m"),
        ("Bb major", "Bb"),
        ("D dorian", "C"),
        ("E phrygian", "C"),
        ("F lydian", "C"),
        ("G mixolydian", "C"),
        ("B locrian", "C"),
        ("A minor", "Am"),
        # a six-accidental key is spelt as the program spells the key (Key.name)
        ("Gb major", "F#"),
        ("F# major", "F#"),
        ("Eb minor", "Ebm"),
        ("D# minor", "Ebm"),
        ("C# major", "Db"),
    ],
)
def test_named_examples(text: str, expected: str) -> None:
    assert key_signature_name(parse_key(text)) == expected


@pytest.mark.parametrize("mode", ["harmonic_minor", "melodic_minor"])
def test_harmonic_and_melodic_minor_take_the_minor_signature(mode: str) -> None:
    assert key_signature_name(Key(6, mode)) == "F#m"
    assert key_signature_name(Key(9, mode)) == "Am"


@pytest.mark.parametrize("bad", ["H", "Cmaj", "", "F##", "c"])
def test_a_bad_signature_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="key signature"):
        key_from_signature(bad)
