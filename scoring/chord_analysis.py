"""Which chords a key and mode allow: each chord of a progression is *diatonic*, *borrowed*
(named: a secondary dominant, modal mixture, the Neapolitan, ...) or *out of key*.

A chord is judged by all its tones (the triad and its extensions), as intervals above the
tonic:

1. **Diatonic**: every tone lies in the mode's scale (:data:`music.keys.MODE_INTERVALS`).
2. **Borrowed** (:data:`BORROWED`): its root and triad are one of the mode's licensed borrowings
   and every tone lies in the scale it is borrowed from, on the same tonic. For major: the
   mixture chords ``bVII`` (mixolydian / parallel minor), ``bVI``, ``bIII``, ``iv``, ``ii°`` (the
   parallel minor); for minor: harmonic minor's major ``V`` and ``vii°``, the dorian ``IV``, and
   the Picardy third (a major tonic as the *last* chord); for every mode the Neapolitan ``bII``.
   The church modes borrow by the same logic from their neighbours (mixolydian's ``V`` from
   major, dorian's ``bVI`` from the parallel minor, ...); harmonic and melodic minor take any
   chord of the other forms of minor (harmonic minor's subtonic ``VII`` from natural minor).
3. **Secondary function**: a dominant-type chord (``maj``, ``7``, ``9``) a fifth above the next
   chord, or a diminished chord (``dim``, ``dim7``, ``hdim7``) a semitone below it, where the
   next chord is a major or minor chord the key holds (diatonic or borrowed) other than the
   tonic: ``V/vi``, ``V7/IV``, ``vii°/V``. A progression loops, so the last chord resolves to
   the first.
4. Anything else is **out of key**.

A borrowed chord is colour inside the key; whether the progression keeps its tonic is the key
estimate's business (:mod:`scoring.key_constraint`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from music.chords import QUALITIES, TRIAD_OF, RomanChord, roman_name
from music.keys import MODE_INTERVALS, Key

Kind = Literal["diatonic", "borrowed", "secondary", "out_of_key"]


@dataclass(frozen=True, slots=True)
class Borrowing:
    """A chord a mode may borrow: its root (semitones above the tonic) and triad family (None:
    any), the modes (on the same tonic) whose scale must hold all its tones, and what it is
    called."""

    offset: int | None
    triad: str | None
    sources: tuple[str, ...]
    name: str
    last_only: bool = False


def _b(
    offset: int | None, triad: str | None, sources: str, name: str, *, last: bool = False
) -> Borrowing:
    return Borrowing(offset, triad, tuple(sources.split()), name, last)


_NEAPOLITAN: Final = _b(1, "maj", "phrygian", "Neapolitan")
_PICARDY: Final = _b(0, "maj", "major", "Picardy third", last=True)
_MIXTURE_FROM_MINOR: Final = (
    _b(10, "maj", "mixolydian minor", "modal mixture (subtonic)"),
    _b(8, "maj", "minor", "modal mixture from the parallel minor"),
    _b(3, "maj", "minor", "modal mixture from the parallel minor"),
    _b(5, "min", "minor", "modal mixture from the parallel minor"),
    _b(2, "dim", "minor", "modal mixture from the parallel minor"),
)
_HARMONIC_DOMINANTS: Final = (
    _b(7, "maj", "harmonic_minor", "major dominant of harmonic minor"),
    _b(11, "dim", "harmonic_minor", "leading-tone chord of harmonic minor"),
)
#: Harmonic and melodic minor are minor with raised degrees; the other forms' chords stay.
_NATURAL_MINOR: Final = _b(None, None, "minor", "natural minor")

#: The borrowings each mode licenses (beyond its diatonic chords and secondary functions).
BORROWED: Final[dict[str, tuple[Borrowing, ...]]] = {
    "major": (*_MIXTURE_FROM_MINOR, _NEAPOLITAN),
    "mixolydian": (
        _b(7, "maj", "major", "major dominant (from major)"),
        *_MIXTURE_FROM_MINOR[1:],
        _NEAPOLITAN,
    ),
    "lydian": (
        _b(5, "maj", "major", "major subdominant (from major)"),
        *_MIXTURE_FROM_MINOR,
        _NEAPOLITAN,
    ),
    "minor": (
        *_HARMONIC_DOMINANTS,
        _b(5, "maj", "dorian", "dorian IV"),
        _NEAPOLITAN,
        _PICARDY,
    ),
    "dorian": (
        *_HARMONIC_DOMINANTS,
        _b(8, "maj", "minor", "modal mixture from aeolian"),
        _b(5, "min", "minor", "modal mixture from aeolian"),
        _NEAPOLITAN,
        _PICARDY,
    ),
    "phrygian": (
        *_HARMONIC_DOMINANTS,
        _b(10, "maj", "minor", "subtonic of aeolian"),
        _b(2, "dim", "minor", "supertonic of aeolian"),
        _PICARDY,
    ),
    "harmonic_minor": (
        _NATURAL_MINOR,
        _b(None, None, "melodic_minor", "melodic minor"),
        _b(5, "maj", "dorian", "dorian IV"),
        _NEAPOLITAN,
        _PICARDY,
    ),
    "melodic_minor": (
        _NATURAL_MINOR,
        _b(None, None, "harmonic_minor", "harmonic minor"),
        _NEAPOLITAN,
        _PICARDY,
    ),
    "locrian": (_b(10, "min", "minor", "subtonic of aeolian"),),
}

_DOMINANT_QUALITIES: Final = frozenset({"maj", "7", "9"})
_DIMINISHED_QUALITIES: Final = frozenset({"dim", "dim7", "hdim7"})


@dataclass(frozen=True, slots=True)
class ChordRole:
    """One chord of a progression as the key hears it.

    Attributes:
        numeral: its roman numeral in the key (``"bVII"``, ``"V7/vi"`` for a secondary).
        kind: ``diatonic``, ``borrowed``, ``secondary`` or ``out_of_key``.
        name: what a borrowed or secondary chord is (``"modal mixture (subtonic)"``), else "".
        beats: its length in quarter notes.
    """

    numeral: str
    kind: Kind
    name: str
    beats: float

    @property
    def allowed(self) -> bool:
        return self.kind != "out_of_key"


def _tones(chord: RomanChord) -> frozenset[int]:
    """The chord's tones as semitones above the tonic."""
    return frozenset((chord.offset + i) % 12 for i in QUALITIES[chord.quality])


def _scale(mode: str) -> frozenset[int]:
    return frozenset(MODE_INTERVALS[mode])


def _borrowing(chord: RomanChord, mode: str, *, last: bool) -> Borrowing | None:
    tones = _tones(chord)
    for b in BORROWED[mode]:
        if b.offset not in (None, chord.offset) or b.triad not in (None, TRIAD_OF[chord.quality]):
            continue
        if b.last_only and not last:
            continue
        if any(tones <= _scale(source) for source in b.sources):
            return b
    return None


def _own(chord: RomanChord, mode: str, *, last: bool) -> tuple[Kind, str]:
    """Diatonic or borrowed, without looking at the next chord; else out of key."""
    if _tones(chord) <= _scale(mode):
        return "diatonic", ""
    b = _borrowing(chord, mode, last=last)
    if b is not None:
        return "borrowed", b.name
    return "out_of_key", ""


@lru_cache(maxsize=65536)
def chord_role(
    chord: RomanChord, following: RomanChord | None, key: Key, *, last: bool
) -> tuple[str, Kind, str]:
    """``(numeral, kind, name)`` of ``chord`` in ``key``, followed by ``following`` (the chord it
    resolves to; None when it stands alone), ``last`` when it closes the progression."""
    numeral = roman_name(chord, key)
    kind, name = _own(chord, key.mode, last=last)
    if kind != "out_of_key" or following is None:
        return numeral, kind, name
    target_kind, _ = _own(following, key.mode, last=False)
    target_triad = TRIAD_OF[following.quality]
    if target_kind == "out_of_key" or target_triad not in ("maj", "min") or following.offset == 0:
        return numeral, kind, name
    target = roman_name(
        RomanChord(following.offset, "min" if target_triad == "min" else "maj"), key
    )
    if chord.quality in _DOMINANT_QUALITIES and (following.offset + 7) % 12 == chord.offset:
        figure = {"maj": "", "7": "7", "9": "9"}[chord.quality]
        return f"V{figure}/{target}", "secondary", "secondary dominant"
    if chord.quality in _DIMINISHED_QUALITIES and (following.offset - 1) % 12 == chord.offset:
        figure = {"dim": "°", "dim7": "°7", "hdim7": "ø7"}[chord.quality]
        return f"vii{figure}/{target}", "secondary", "secondary leading-tone chord"
    return numeral, kind, name


def analyse_progression(
    chords: Sequence[RomanChord], beats: Sequence[float], key: Key
) -> tuple[ChordRole, ...]:
    """The role of every chord of a looping progression in ``key`` (``beats``: each chord's
    length in quarter notes). A repeated chord resolves where the repetition ends."""
    if len(chords) != len(beats):
        raise ValueError(f"beats: {len(beats)} lengths for {len(chords)} chords -- one per chord")
    n = len(chords)
    shapes = [(c.offset, c.quality) for c in chords]
    out = []
    for i, (chord, length) in enumerate(zip(chords, beats, strict=True)):
        j = (i + 1) % n
        while j != i and shapes[j] == shapes[i]:
            j = (j + 1) % n
        following = None if j == i else chords[j]
        numeral, kind, name = chord_role(chord, following, key, last=i == n - 1)
        out.append(ChordRole(numeral=numeral, kind=kind, name=name, beats=length))
    return tuple(out)
