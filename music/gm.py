"""General MIDI program numbers (0-based) and drum notes used by the generators."""

from __future__ import annotations

from typing import Final

PROGRAMS: Final[dict[str, int]] = {
    "acoustic_grand_piano": 0,
    "electric_piano": 4,
    "organ": 19,
    "nylon_guitar": 24,
    "steel_guitar": 25,
    "clean_electric_guitar": 27,
    "overdriven_guitar": 29,
    "acoustic_bass": 32,
    "fingered_bass": 33,
    "synth_bass": 38,
    "strings": 48,
    "choir": 52,
    "trumpet": 56,
    "flute": 73,
    "lead_square": 80,
    "pad_warm": 89,
    "pad_halo": 94,
}

#: General MIDI drum notes (channel 10) of the voices the drum parts play.
KICK: Final = 36
RIM: Final = 37
SNARE: Final = 38
CLAP: Final = 39
CLOSED_HH: Final = 42
PEDAL_HH: Final = 44
LOW_TOM: Final = 45
OPEN_HH: Final = 46
MID_TOM: Final = 47
CRASH: Final = 49
HIGH_TOM: Final = 50
RIDE: Final = 51
TAMBOURINE: Final = 54
COWBELL: Final = 56
SHAKER: Final = 82

#: Default program of each part.
PART_PROGRAMS: Final[dict[str, int]] = {
    "chords": PROGRAMS["electric_piano"],
    "bass": PROGRAMS["fingered_bass"],
    "melody": PROGRAMS["flute"],
}


def program_number(name_or_number: str | int) -> int:
    """``"strings"`` -> 48, ``"48"`` -> 48. Raises ValueError naming the allowed names."""
    text = str(name_or_number).strip()
    if isinstance(name_or_number, int) or (text.isascii() and text.isdigit()):
        n = int(name_or_number) if isinstance(name_or_number, int) else int(text)
        if 0 <= n <= 127:
            return n
        raise ValueError(f"program: {name_or_number!r} -- a GM program 0..127")
    key = text.lower().replace(" ", "_")
    if key not in PROGRAMS:
        raise ValueError(f"program: {name_or_number!r} -- 0..127 or one of {', '.join(PROGRAMS)}")
    return PROGRAMS[key]


def instrument_name(program: int, *, is_drum: bool = False) -> str:
    """The General MIDI name of ``program`` in lower case (4 -> ``"electric piano 1"``,
    33 -> ``"electric bass (finger)"``); ``"drum kit"`` for a drum part (channel 10 plays
    the kit whatever the program)."""
    if is_drum:
        return "drum kit"
    from pretty_midi.constants import INSTRUMENT_MAP

    return str(INSTRUMENT_MAP[program_number(program)]).lower()
