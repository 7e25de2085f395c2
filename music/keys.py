"""Keys, modes and scales: parse messy real-world key strings into a :class:`Key`."""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

PITCH_CLASS_NAMES_SHARP: Final = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
PITCH_CLASS_NAMES_FLAT: Final = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
#: The spelling most often read out of any key: C#, Eb, F#, Ab, Bb.
PITCH_CLASS_NAMES_USUAL: Final = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

_LETTER_PC: Final = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pitch_name(pitch: int, names: Sequence[str] = PITCH_CLASS_NAMES_SHARP) -> str:
    """MIDI number to a name with octave, C4 = 60, spelled with ``names`` (a pitch-class
    table): 28 -> ``"E1"``, 63 -> ``"D#4"`` (``"Eb4"`` in :data:`PITCH_CLASS_NAMES_USUAL`)."""
    return f"{names[pitch % 12]}{pitch // 12 - 1}"


#: Semitone steps of each supported mode, from its tonic.
MODE_INTERVALS: Final[dict[str, tuple[int, ...]]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    # Minor with a raised 7th (the leading tone: V and vii° are diatonic), and the ascending
    # melodic minor with a raised 6th and 7th (IV and V major).
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic_minor": (0, 2, 3, 5, 7, 9, 11),
}

#: Modes whose roman numerals are written as in natural minor (a written VII is the subtonic,
#: V and vii° are the usual alterations), as the minor workhorse progressions are.
NATURAL_MINOR_NUMERALS: Final = frozenset({"harmonic_minor", "melodic_minor"})

_MODE_ALIASES: Final = {
    "": "major",
    "maj": "major",
    "major": "major",
    "ionian": "major",
    "m": "minor",
    "min": "minor",
    "minor": "minor",
    "aeolian": "minor",
    "dorian": "dorian",
    "phrygian": "phrygian",
    "lydian": "lydian",
    "mixolydian": "mixolydian",
    "mixo": "mixolydian",
    "locrian": "locrian",
    "harmonic_minor": "harmonic_minor",
    "harmonicminor": "harmonic_minor",
    "harmonic": "harmonic_minor",
    "melodic_minor": "melodic_minor",
    "melodicminor": "melodic_minor",
    "melodic": "melodic_minor",
}

# Keys whose conventional spelling uses flats (by tonic pitch class and minor-ish or not).
_FLAT_MAJOR_TONICS: Final = {1, 3, 5, 8, 10}
_FLAT_MINOR_TONICS: Final = {0, 2, 5, 7, 10, 3}

_KEY_RE: Final = re.compile(
    r"^\s*(?P<letter>[A-Ga-g])\s*(?P<acc>(?:[#♯b♭]|(?i:sharp|flat)|-)*)\s*"
    r"(?P<mode>(?:[A-Za-z]+(?:[ _-]+[A-Za-z]+)?)?)\s*$"  # "minor", "harmonic minor"
)


def _normalise_text(text: str) -> str:
    t = text.replace("\u266d", "b").replace("\u266f", "#").replace("\u00a0", " ")
    t = re.sub(r"\bkey\s+of\s+", "", t, flags=re.IGNORECASE)
    t = re.sub(r"\s+", " ", t).strip()
    return t


@dataclass(frozen=True, slots=True)
class Key:
    """A tonic pitch class (0 = C) and a mode name from :data:`MODE_INTERVALS`."""

    tonic: int
    mode: str = "major"

    def __post_init__(self) -> None:
        if (
            isinstance(self.tonic, bool)
            or not isinstance(self.tonic, numbers.Integral)
            or not 0 <= self.tonic <= 11
        ):
            raise ValueError(f"Key.tonic: {self.tonic!r} -- a pitch class 0..11")
        if self.mode not in MODE_INTERVALS:
            raise ValueError(f"Key.mode: {self.mode!r} -- one of {', '.join(MODE_INTERVALS)}")

    @classmethod
    def parse(cls, text: str) -> Key:
        """Parse ``"Gb  minor"``, ``"B ♭ major"``, ``"A# major"``, ``"F#m"``, ``"c minor"``,
        ``"D dorian"``, ``"Bb"`` (major when no mode is given). Raises ValueError."""
        return parse_key(text)

    @property
    def is_minor(self) -> bool:
        """True when the mode has a minor third above the tonic (minor, harmonic and melodic
        minor, dorian, phrygian, locrian)."""
        return MODE_INTERVALS[self.mode][2] == 3

    @property
    def family(self) -> str:
        """``"minor"`` or ``"major"``: the chord-transition family the mode belongs to."""
        return "minor" if self.is_minor else "major"

    @property
    def uses_flats(self) -> bool:
        if self.is_minor:
            return self.tonic in _FLAT_MINOR_TONICS
        return self.tonic in _FLAT_MAJOR_TONICS

    def pc_name(self, pc: int) -> str:
        """Spell a pitch class the way this key would."""
        names = PITCH_CLASS_NAMES_FLAT if self.uses_flats else PITCH_CLASS_NAMES_SHARP
        return names[pc % 12]

    @property
    def tonic_name(self) -> str:
        return self.pc_name(self.tonic)

    @property
    def name(self) -> str:
        """E.g. ``"F# minor"``, ``"Bb major"``, ``"D dorian"``, ``"A harmonic minor"``."""
        return f"{self.tonic_name} {self.mode.replace('_', ' ')}"

    def scale_pcs(self) -> tuple[int, ...]:
        """The seven pitch classes of the scale, tonic first."""
        return tuple((self.tonic + i) % 12 for i in MODE_INTERVALS[self.mode])

    def degree_pc(self, degree: int) -> int:
        """Pitch class of scale degree ``degree`` (0 = tonic; wraps past 6)."""
        steps = MODE_INTERVALS[self.mode]
        return (self.tonic + steps[degree % 7]) % 12

    @property
    def numeral_key(self) -> Key:
        """The key that roman numerals written for the mode's family are read in: natural
        minor for harmonic and melodic minor (:data:`NATURAL_MINOR_NUMERALS`), else this key."""
        return Key(self.tonic, "minor") if self.mode in NATURAL_MINOR_NUMERALS else self

    def contains(self, pc: int) -> bool:
        return pc % 12 in self.scale_pcs()

    def __str__(self) -> str:
        return self.name


def note_name_to_pc(name: str) -> int:
    """``"Eb"`` -> 3, ``"C#"`` -> 1, ``"B♭"`` -> 10. Raises ValueError."""
    t = _normalise_text(name).replace(" ", "")
    if not t or t[0].upper() not in _LETTER_PC:
        raise ValueError(f"note name: {name!r} -- a letter A-G with optional # or b")
    pc = _LETTER_PC[t[0].upper()]
    for ch in t[1:]:
        if ch == "#":
            pc += 1
        elif ch in "b-":
            pc -= 1
        else:
            raise ValueError(f"note name: {name!r} -- a letter A-G with optional # or b")
    return pc % 12


def parse_key(text: str) -> Key:
    """Parse a key as written in real proposal files. See :meth:`Key.parse`."""
    if not isinstance(text, str):
        raise ValueError(f"key: {text!r} -- a string like 'A minor', 'Bb major', 'F#m'")
    t = _normalise_text(text)
    m = _KEY_RE.match(t)
    if m is None:
        raise ValueError(
            f"key: {text!r} -- a tonic A-G with optional #/b and a mode "
            f"({', '.join(sorted(set(_MODE_ALIASES) - {''}))}), e.g. 'A minor', 'Bb major', 'F#m'"
        )
    # "A-flat" / "F-sharp": the hyphen only joins the words; a lone "-" is a flat ("B-").
    acc = re.sub(r"-(?=sharp|flat)", "", m.group("acc").lower())
    acc = acc.replace("sharp", "#").replace("flat", "b").replace("-", "b")
    mode_word = m.group("mode")
    # "Bbm": regex gives acc "b", mode "m"; "Bm": letter B, mode "m". A lone lower-case "b"
    # after a letter is a flat; a mode like "b" alone never happens.
    mode_key = re.sub(r"[ _-]+", "_", mode_word.lower())
    if mode_key not in _MODE_ALIASES:
        raise ValueError(
            f"key: {text!r} -- unknown mode {mode_word!r}; allowed: major, minor, m, "
            "harmonic minor, melodic minor, dorian, phrygian, lydian, mixolydian, locrian"
        )
    pc = _LETTER_PC[m.group("letter").upper()]
    pc += acc.count("#") - acc.count("b")
    return Key(tonic=pc % 12, mode=_MODE_ALIASES[mode_key])


#: Semitones from a mode's tonic down to the tonic of the major scale with the same notes
#: (D dorian -> C major). Harmonic and melodic minor are written with the natural minor's
#: signature, as scores write them (the raised notes are accidentals).
_RELATIVE_MAJOR_OFFSET: Final[dict[str, int]] = {
    "major": 0,
    "dorian": 2,
    "phrygian": 4,
    "lydian": 5,
    "mixolydian": 7,
    "minor": 9,
    "harmonic_minor": 9,
    "melodic_minor": 9,
    "locrian": 11,
}
#: Key-signature spellings (mido's ``key_signature`` names) by tonic pitch class, each with
#: the fewest accidentals; the two spellings of a six-accidental key are both listed.
_MAJOR_SIGNATURES: Final = (
    ("C",), ("Db",), ("D",), ("Eb",), ("E",), ("F",),
    ("F#", "Gb"), ("G",), ("Ab",), ("A",), ("Bb",), ("B",),
)  # fmt: skip
_MINOR_SIGNATURES: Final = (
    ("Cm",), ("C#m",), ("Dm",), ("D#m", "Ebm"), ("Em",), ("Fm",),
    ("F#m",), ("Gm",), ("G#m",), ("Am",), ("Bbm",), ("Bm",),
)  # fmt: skip


def key_signature_name(key: Key) -> str:
    """The key signature a score (or a MIDI ``key_signature`` event) writes for ``key``:
    ``F# minor`` -> ``"F#m"``, ``Bb major`` -> ``"Bb"``; another mode takes its relative
    major's (``D dorian`` -> ``"C"``, ``E phrygian`` -> ``"C"``), harmonic and melodic minor
    the minor's. A key with six accidentals is spelt the way the key itself is (``Gb`` or
    ``F#``)."""
    mode = key.mode
    if mode in ("minor", "harmonic_minor", "melodic_minor"):
        options = _MINOR_SIGNATURES[key.tonic]
    else:
        if mode not in _RELATIVE_MAJOR_OFFSET:
            raise ValueError(f"Key.mode: {mode!r} -- one of {', '.join(_RELATIVE_MAJOR_OFFSET)}")
        options = _MAJOR_SIGNATURES[(key.tonic - _RELATIVE_MAJOR_OFFSET[mode]) % 12]
    if len(options) == 1:
        return options[0]
    return options[1] if key.uses_flats else options[0]


def key_from_signature(name: str) -> Key:
    """A ``key_signature`` name back to its major or minor key: ``"F#m"`` -> F# minor,
    ``"Bb"`` -> Bb major. Raises ValueError for anything else."""
    text = str(name).strip()
    minor = text.endswith("m")
    tonic = text[:-1] if minor else text
    if not re.fullmatch(r"[A-G][#b]?", tonic):
        raise ValueError(f"key signature: {name!r} -- a name such as 'C', 'Bb', 'F#m', 'Ebm'")
    return Key(tonic=note_name_to_pc(tonic), mode="minor" if minor else "major")
