"""General MIDI names and the named errors' messages."""

from __future__ import annotations

from pathlib import Path

import pretty_midi
import pytest

from music.errors import ChromaticError, InputError, MidiFileError
from music.gm import PART_PROGRAMS, PROGRAMS, program_number


def test_program_numbers_agree_with_pretty_midi_names() -> None:
    # pretty_midi's GM table is 0-based like ours; check the family of each named program.
    families = {
        "acoustic_grand_piano": "Acoustic Grand Piano", "electric_piano": "Electric Piano 1",
        "organ": "Church Organ", "nylon_guitar": "Acoustic Guitar (nylon)",
        "steel_guitar": "Acoustic Guitar (steel)",
        "clean_electric_guitar": "Electric Guitar (clean)",
        "overdriven_guitar": "Overdriven Guitar", "acoustic_bass": "Acoustic Bass",
        "fingered_bass": "Electric Bass (finger)", "synth_bass": "Synth Bass 1",
        "strings": "String Ensemble 1", "choir": "Choir Aahs", "trumpet": "Trumpet",
        "flute": "Flute", "lead_square": "Lead 1 (square)", "pad_warm": "Pad 2 (warm)",
        "pad_halo": "Pad 7 (halo)",
    }  # fmt: skip
    assert set(families) == set(PROGRAMS)
    for name, number in PROGRAMS.items():
        assert pretty_midi.program_to_instrument_name(number) == families[name], name
    assert PART_PROGRAMS == {"chords": 4, "bass": 33, "melody": 73}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("strings", 48), ("Strings", 48), (" acoustic grand piano ", 0), ("48", 48), (" 48 ", 48),
     (0, 0), (127, 127), ("127", 127)],
)  # fmt: skip
def test_program_number(given: str | int, expected: int) -> None:
    assert program_number(given) == expected


@pytest.mark.parametrize("bad", [128, -1, "128", "-1", "kazoo", "", "4 8"])
def test_program_number_rejects_with_the_value(bad: str | int) -> None:
    with pytest.raises(ValueError) as err:
        program_number(bad)
    assert repr(bad) in str(err.value)


def test_input_error_message_names_file_field_value_and_allowed() -> None:
    err = MidiFileError(file=Path("a/b.mid"), field="notes", value=0, allowed="at least one note")
    assert str(err) == "a/b.mid: notes: 0 -- at least one note"
    assert (err.file, err.field, err.value, err.allowed) == (
        "a/b.mid",
        "notes",
        0,
        "at least one note",
    )
    assert isinstance(err, InputError) and isinstance(err, ValueError)
    assert isinstance(err, ChromaticError)
    no_file = InputError(file=None, field="key", value="H major", allowed="a key")
    assert str(no_file) == "key: 'H major' -- a key"
