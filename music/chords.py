"""Chord qualities, chord symbols and roman numerals, as pure conversions.

A chord is a root pitch class plus a quality from :data:`QUALITIES`. Roman numerals are read and
written relative to the key's own scale: in C minor ``III`` is E-flat major and ``VII`` is B-flat
major; a root outside the scale takes ``b`` or ``#`` (``bVII`` in C major, ``#vii°`` for the
leading-tone chord in minor).
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from typing import Final

from music.keys import MODE_INTERVALS, Key, note_name_to_pc

#: Intervals above the root, in semitones.
QUALITIES: Final[dict[str, tuple[int, ...]]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "minmaj7": (0, 3, 7, 11),
    "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
    "7sus4": (0, 5, 7, 10),
    "6": (0, 4, 7, 9),
    "min6": (0, 3, 7, 9),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "9": (0, 4, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14),
    "min9": (0, 3, 7, 10, 14),
}

#: The triad family each quality reduces to (the chord-transition model's vocabulary).
TRIAD_OF: Final[dict[str, str]] = {
    "maj": "maj", "7": "maj", "maj7": "maj", "6": "maj", "add9": "maj", "9": "maj", "maj9": "maj",
    "min": "min", "min7": "min", "minmaj7": "min", "min6": "min", "madd9": "min", "min9": "min",
    "dim": "dim", "hdim7": "dim", "dim7": "dim",
    "aug": "aug",
    "sus2": "sus", "sus4": "sus", "7sus4": "sus",
}  # fmt: skip

#: Chord-symbol suffix for each quality (C + suffix -> "Cm7").
SYMBOL_SUFFIX: Final[dict[str, str]] = {
    "maj": "", "min": "m", "dim": "dim", "aug": "aug", "sus2": "sus2", "sus4": "sus4",
    "7": "7", "maj7": "maj7", "min7": "m7", "minmaj7": "m(maj7)", "hdim7": "m7b5", "dim7": "dim7",
    "7sus4": "7sus4", "6": "6", "min6": "m6", "add9": "add9", "madd9": "madd9", "9": "9",
    "maj9": "maj9", "min9": "m9",
}  # fmt: skip

_SUFFIX_ALIASES: Final[dict[str, str]] = {
    "": "maj", "M": "maj", "maj": "maj", "major": "maj",
    "m": "min", "min": "min", "-": "min", "minor": "min",
    "dim": "dim", "°": "dim", "o": "dim",
    "aug": "aug", "+": "aug",
    "sus2": "sus2", "sus4": "sus4", "sus": "sus4",
    "7": "7", "dom7": "7",
    "maj7": "maj7", "M7": "maj7", "Δ7": "maj7", "Δ": "maj7",
    "m7": "min7", "min7": "min7", "-7": "min7",
    "m(maj7)": "minmaj7", "mmaj7": "minmaj7", "minmaj7": "minmaj7",
    "m7b5": "hdim7", "ø": "hdim7", "ø7": "hdim7", "hdim7": "hdim7",
    "dim7": "dim7", "°7": "dim7", "o7": "dim7",
    "7sus4": "7sus4", "7sus": "7sus4",
    "6": "6", "m6": "min6", "min6": "min6",
    "add9": "add9", "madd9": "madd9", "m(add9)": "madd9",
    "9": "9", "maj9": "maj9", "m9": "min9", "min9": "min9",
}  # fmt: skip

_NUMERALS: Final = ("I", "II", "III", "IV", "V", "VI", "VII")
_MAJOR_STEPS: Final = MODE_INTERVALS["major"]


def _is_int(value: object) -> bool:
    if type(value) is int:  # the common case, without the slow abstract-class check
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Chord:
    """A root pitch class, a quality and an optional bass pitch class (slash chords)."""

    root: int
    quality: str
    bass: int | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.root) or not 0 <= self.root <= 11:
            raise ValueError(f"Chord.root: {self.root!r} -- a pitch class 0..11")
        if self.quality not in QUALITIES:
            raise ValueError(f"Chord.quality: {self.quality!r} -- one of {', '.join(QUALITIES)}")
        if self.bass is not None and (not _is_int(self.bass) or not 0 <= self.bass <= 11):
            raise ValueError(f"Chord.bass: {self.bass!r} -- a pitch class 0..11 or None")

    def pitch_classes(self) -> tuple[int, ...]:
        """Chord tones as pitch classes, root first."""
        return tuple((self.root + i) % 12 for i in QUALITIES[self.quality])

    @property
    def triad(self) -> str:
        return TRIAD_OF[self.quality]


def parse_chord_symbol(symbol: str) -> Chord:
    """``"Cmaj7"``, ``"F#m7b5"``, ``"Bbdim"``, ``"G7"``, ``"Dsus4"``, ``"C/E"`` -> Chord."""
    t = symbol.strip().replace("\u266d", "b").replace("\u266f", "#")
    m = re.match(r"^([A-Ga-g][#b]*)(.*?)(?:/([A-Ga-g][#b]*))?$", t)
    if m is None:
        raise ValueError(f"chord symbol: {symbol!r} -- a root A-G, optional #/b, a quality")
    suffix = m.group(2)
    if suffix not in _SUFFIX_ALIASES:
        raise ValueError(
            f"chord symbol: {symbol!r} -- unknown quality {suffix!r}; allowed suffixes: "
            f"{', '.join(sorted(k for k in _SUFFIX_ALIASES if k))}"
        )
    root = note_name_to_pc(m.group(1))
    bass = note_name_to_pc(m.group(3)) if m.group(3) else None
    return Chord(root=root, quality=_SUFFIX_ALIASES[suffix], bass=bass)


def chord_symbol(chord: Chord, key: Key | None = None) -> str:
    """Spell a chord as a symbol, using the key's sharps or flats when given."""
    spell = key.pc_name if key is not None else Key(0).pc_name
    out = spell(chord.root) + SYMBOL_SUFFIX[chord.quality]
    if chord.bass is not None and chord.bass != chord.root:
        out += "/" + spell(chord.bass)
    return out


# ---------------------------------------------------------------- roman numerals

_ROMAN_RE: Final = re.compile(
    r"^(?P<acc>[b#]*)(?P<num>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)"
    r"(?P<qual>°|o|ø|\+|dim|aug)?"
    r"(?P<fig>maj65|maj43|maj42|maj7|maj9|sus2|sus4|add9|add6|7sus4|65|64|43|42|7|6|9|2)?"
    r"(?:/(?P<bass>[2-79]))?$"
)

#: Qualities whose inversions are written with figured bass (6, 64, 65, 43, 42).
_FIGURED: Final = frozenset({"maj", "min", "dim", "aug", "7", "maj7", "min7", "minmaj7", "hdim7",
                             "dim7"})  # fmt: skip

#: Chord-tone label of an interval, for the other qualities' inversions: ``"Isus4/4"`` has the
#: fourth in the bass, ``"V9/9"`` the ninth.
_TONE_LABEL: Final = {2: "2", 3: "3", 4: "3", 5: "4", 6: "5", 7: "5", 8: "5", 9: "6", 10: "7",
                      11: "7", 14: "9"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RomanChord:
    """A chord as a function of the key: semitones above the tonic, quality, inversion."""

    offset: int
    quality: str
    inversion: int = 0

    def __post_init__(self) -> None:
        if not _is_int(self.offset) or not 0 <= self.offset <= 11:
            raise ValueError(f"RomanChord.offset: {self.offset!r} -- semitones above tonic 0..11")
        if self.quality not in QUALITIES:
            raise ValueError(
                f"RomanChord.quality: {self.quality!r} -- one of {', '.join(QUALITIES)}"
            )
        if not _is_int(self.inversion) or not 0 <= self.inversion < len(QUALITIES[self.quality]):
            raise ValueError(
                f"RomanChord.inversion: {self.inversion!r} -- "
                f"0..{len(QUALITIES[self.quality]) - 1} for a {self.quality} chord"
            )

    def in_key(self, key: Key) -> Chord:
        """The concrete chord in ``key``; an inversion becomes a slash bass."""
        root = (key.tonic + self.offset) % 12
        bass = None
        if self.inversion:
            bass = (root + QUALITIES[self.quality][self.inversion]) % 12
        return Chord(root=root, quality=self.quality, bass=bass)

    @property
    def token(self) -> str:
        """The transition-model token ``"{offset}:{triad}"``."""
        return f"{self.offset}:{TRIAD_OF[self.quality]}"


def parse_roman(numeral: str, key: Key) -> RomanChord:
    """Read a roman numeral in ``key``: ``"V7"``, ``"bVII"``, ``"ii°"``, ``"iiø7"``, ``"IVmaj7"``,
    ``"V65"`` (first inversion seventh), ``"I6"`` (first inversion), ``"#vii°7"``,
    ``"Imaj65"`` (first inversion major seventh), ``"Iadd6"`` (added-sixth chord, C6 in C),
    ``"Isus4/4"`` (a chord tone other than the root in the bass, for chords without figures).

    The degree is taken from the key's own scale; case gives major/minor unless a quality mark
    (``°``, ``ø``, ``+``) says otherwise."""
    t = numeral.strip().replace("\u266d", "b").replace("\u266f", "#")
    m = _ROMAN_RE.match(t)
    if m is None:
        raise ValueError(
            f"roman numeral: {numeral!r} -- I..VII or i..vii with optional b/#, a quality mark "
            "(°, ø, +), a figure (7, maj7, 6, 64, 65, 43, 42, maj65, sus4, add6, add9, 9) and "
            "an optional bass chord tone (/3, /5, /7, /9, ...)"
        )
    num = m.group("num")
    degree = _NUMERALS.index(num.upper())
    acc = m.group("acc")
    offset = MODE_INTERVALS[key.mode][degree] + acc.count("#") - acc.count("b")
    upper = num.isupper()
    qual = m.group("qual") or ""
    fig = m.group("fig") or ""
    fig_inv = fig
    if fig in ("maj65", "maj43", "maj42"):
        fig_inv, fig = fig[3:], "maj7"  # "maj65" = major seventh, first inversion
    seventh = fig in ("7", "65", "43", "42", "2")
    allowed = {"ø": ("", "7", "65", "43", "42", "2"), "+": ("", "6", "64"), "aug": ("", "6", "64")}
    if qual and fig not in allowed.get(qual, ("", "6", "64", "7", "65", "43", "42", "2")):
        # "V+7", "vii°maj7", "iiøsus4": no quality in QUALITIES; refuse rather than drop a part.
        raise ValueError(
            f"roman numeral: {numeral!r} -- quality mark {qual!r} cannot take figure {fig!r}"
        )
    if qual in ("°", "o", "dim"):
        quality = "dim7" if seventh else "dim"
    elif qual == "ø":
        quality = "hdim7"
    elif qual in ("+", "aug"):
        quality = "aug"
    elif fig in ("maj7", "maj9"):
        quality = (fig if upper else "minmaj7") if fig == "maj7" else "maj9"
    elif fig in ("sus2", "sus4", "7sus4"):
        quality = fig
    elif fig == "add9":
        quality = "add9" if upper else "madd9"
    elif fig == "add6":
        quality = "6" if upper else "min6"
    elif fig == "9":
        quality = "9" if upper else "min9"
    elif seventh:
        quality = "7" if upper else "min7"
    else:
        quality = "maj" if upper else "min"
    # Seventh figures always give a four-note quality above, so the inversion always exists.
    inversion = {"6": 1, "64": 2, "65": 1, "43": 2, "42": 3, "2": 3}.get(fig_inv, 0)
    bass = m.group("bass")
    if bass is not None:
        labels = [_TONE_LABEL.get(i) for i in QUALITIES[quality]]
        if inversion or bass not in labels:
            raise ValueError(
                f"roman numeral: {numeral!r} -- bass /{bass} must be a chord tone of a "
                f"{quality} chord ({', '.join('/' + x for x in labels if x)}) and cannot "
                "follow an inversion figure"
            )
        inversion = labels.index(bass)
    return RomanChord(offset=offset % 12, quality=quality, inversion=inversion)


def roman_name(chord: RomanChord, key: Key) -> str:
    """Write a chord as a roman numeral relative to ``key``: the inverse of :func:`parse_roman`,
    ``parse_roman(roman_name(c, key), key) == c`` for every chord. Triads and seventh chords
    show inversions with figures (``I6``, ``V65``, ``Imaj43``), the others with the bass chord
    tone (``Isus4/4``, ``V9/3``)."""
    steps = MODE_INTERVALS[key.mode]
    if chord.offset in steps:
        degree, acc = steps.index(chord.offset), ""
    else:
        # Prefer the flat spelling (bVII, bIII, bVI) unless the sharp degree is the usual one.
        below = (chord.offset + 1) % 12
        above = (chord.offset - 1) % 12
        usual_sharp = chord.offset == 11 or (chord.offset == 6 and key.family == "major")
        if below in steps and not usual_sharp:
            degree, acc = steps.index(below), "b"
        elif above in steps:
            degree, acc = steps.index(above), "#"
        else:
            degree, acc = steps.index(below), "b"
    triad = TRIAD_OF[chord.quality]
    base = _NUMERALS[degree]
    if triad in ("min", "dim"):
        base = base.lower()
    mark = {
        "dim": "°", "dim7": "°7", "hdim7": "ø7", "aug": "+", "7": "7", "maj7": "maj7",
        "min7": "7", "minmaj7": "maj7", "sus2": "sus2", "sus4": "sus4", "7sus4": "7sus4",
        "6": "add6", "min6": "add6", "add9": "add9", "madd9": "add9", "9": "9", "maj9": "maj9",
        "min9": "9",
    }.get(chord.quality, "")  # fmt: skip
    # "6"/"min6" stay "add6": a bare "I6" is the first inversion of the triad.
    inv = ""
    if chord.inversion and chord.quality not in _FIGURED:
        inv = "/" + _TONE_LABEL[QUALITIES[chord.quality][chord.inversion]]
    elif chord.inversion:
        if len(QUALITIES[chord.quality]) == 3:
            inv = {1: "6", 2: "64"}[chord.inversion]
        else:
            inv = {1: "65", 2: "43", 3: "42"}[chord.inversion]
            mark = mark.replace("7", "")
    return f"{acc}{base}{mark}{inv}"


def roman_to_pitches(key: Key, numeral: str, *, octave: int = 4) -> tuple[int, ...]:
    """Close-position MIDI pitches of ``numeral`` in ``key``, bass note in ``octave``
    (C4 = 60): ``roman_to_pitches(Key(9, "minor"), "i", octave=3)`` -> (57, 60, 64)."""
    return chord_pitches(parse_roman(numeral, key).in_key(key), octave=octave)


def chord_pitches(chord: Chord, *, octave: int = 4) -> tuple[int, ...]:
    """Close-position MIDI pitches, bass (the slash bass or root) first, in ``octave``.

    Root position keeps the quality's intervals (a ninth stays above the octave). With a slash
    bass, the bass sits in ``octave`` and every other chord tone takes the nearest pitch above
    it, low to high; a bass that is not a chord tone is added below the chord."""
    base = 12 * (octave + 1)
    intervals = QUALITIES[chord.quality]
    if chord.bass is None or chord.bass == chord.root:
        root = base + chord.root
        return tuple(root + i for i in intervals)
    lowest = base + chord.bass
    above = sorted(
        lowest + ((pc - chord.bass) % 12) for pc in chord.pitch_classes() if pc != chord.bass
    )
    return (lowest, *above)


def triad_quality_in_key(key: Key, offset: int) -> str:
    """The diatonic triad quality (maj/min/dim/aug) built on scale step ``offset`` of ``key``;
    raises ValueError when ``offset`` is not a scale step."""
    steps = MODE_INTERVALS[key.mode]
    if offset not in steps:
        raise ValueError(f"offset: {offset!r} -- a step of {key.mode}: {steps}")
    i = steps.index(offset)
    third = (steps[(i + 2) % 7] - offset) % 12
    fifth = (steps[(i + 4) % 7] - offset) % 12
    return {(4, 7): "maj", (3, 7): "min", (3, 6): "dim", (4, 8): "aug"}[(third, fifth)]


def major_step(degree: int) -> int:
    """Semitones of the major-scale degree (0 = tonic): used by pop's borrowed-chord names."""
    return _MAJOR_STEPS[degree % 7]
