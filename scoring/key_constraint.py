"""The key as a constraint: whether a candidate's notes stay in the requested key, as a
:class:`KeyVerdict` with a violation that is 0 exactly when they do.

Two independent checks, both required:

1. **The key heard** (:mod:`scoring.key_estimate`): each estimate profile must hear an
   acceptable reading of the requested key (:func:`acceptable_keys`). For major and minor that is
   the requested key itself. The profiles know only major and minor, so:

   - harmonic and melodic minor are judged as minor: the requested tonic, minor (their raised
     sixth and seventh are the usual alterations of minor);
   - dorian and phrygian are judged as minor, lydian and mixolydian as major, on the requested
     tonic (the *parallel* reading: D minor for D dorian); or, as a profile may hear the mode's
     pitch collection as its relative major or minor (C major or A minor for D dorian), that
     relative key is accepted when the *tonic* is the requested one by the music's own emphasis:
     for chords, the tonic chord opens or closes the progression and sounds at least as long as
     the relative keys' tonic chords; for a line, the tonic pitch class sounds at least as long
     as theirs;
   - and a church mode must sound its own collection: its characteristic degree (dorian's major
     sixth, mixolydian's minor seventh, lydian's raised fourth, phrygian's minor second) must
     sound, and at least as long as the degree it replaces (D dorian's B against B-flat), so a
     D aeolian progression, or one of only D minor and A major, is not D dorian.

2. **What the key allows**: chords by :mod:`scoring.chord_analysis` (diatonic, borrowed, or a
   secondary function; else out of key); the notes of a melody or bass line must be in the
   scale, tones of the chord sounding under them, or a passing tone, neighbour tone or chromatic
   approach (a semitone into the next note, which is itself in the key).

The violation adds how far the closest acceptable key falls short of being heard best
(:attr:`~scoring.key_estimate.KeyEstimate.shortfall`), the share of the mode's replaced degree
over its characteristic one, and the share of time (in quarter notes) on out-of-key chords or
notes. It is graded, so evolution can climb back into the key; :meth:`ScoreCard.fitness
<scoring.composite.ScoreCard.fitness>` ranks every candidate with a violation below every
candidate without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from music.chords import RomanChord, chord_symbol
from music.keys import MODE_INTERVALS, Key
from scoring.chord_analysis import analyse_progression
from scoring.key_estimate import ESTIMATE_PROFILES, KeyEstimate, estimate_keys

#: Church modes: (characteristic degree, the degree it replaces), semitones above the tonic.
CHARACTERISTIC: Final[dict[str, tuple[int, int]]] = {
    "dorian": (9, 8),
    "phrygian": (1, 2),
    "lydian": (6, 5),
    "mixolydian": (10, 11),
    "locrian": (6, 7),
}
#: The violation of a church-mode candidate whose characteristic degree never sounds (nor the
#: degree it replaces): nothing in it says which mode it is.
MISSING_DEGREE: Final = 0.05
#: The least violation of a candidate that fails a check (a check that fails by a hair still
#: fails).
MIN_VIOLATION: Final = 1e-3


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """Whether a candidate stays in the requested key, and why (for review.yml).

    Attributes:
        requested: the requested key's name (``"G major"``).
        heard: the key the estimate hears (``"B minor"``).
        reading: how the heard key was judged (``"as requested"``, ``"parallel minor of D
            dorian"``, ``"relative: the collection of D dorian, tonic D by emphasis"``, or why
            it is elsewhere).
        in_key: the heard key is an acceptable reading of the requested one.
        out_of_key: chords (roman numeral, name, bar) or notes outside what the key allows.
        borrowed: borrowed and secondary chords with what they are.
        violation: 0 when the candidate stays in the key, else how far it strays.
    """

    requested: str
    heard: str
    reading: str
    in_key: bool
    out_of_key: tuple[str, ...]
    borrowed: tuple[str, ...]
    violation: float

    @property
    def feasible(self) -> bool:
        return self.violation == 0.0

    def as_review(self) -> dict[str, Any]:
        """The verdict as review.yml shows it."""
        return {
            "verdict": "in key" if self.feasible else "out of key: cannot win",
            "requested": self.requested,
            "heard": self.heard,
            "reading": self.reading,
            "out_of_key": list(self.out_of_key),
            "borrowed": list(self.borrowed),
            "violation": round(self.violation, 4),
        }


def relative_keys(key: Key) -> tuple[tuple[int, str], ...]:
    """The major and minor keys with the same seven pitch classes as a church mode (C major and
    A minor for D dorian); empty for major, minor and harmonic/melodic minor."""
    if key.mode not in CHARACTERISTIC:
        return ()
    collection = set(key.scale_pcs())
    for tonic in range(12):
        if {(tonic + i) % 12 for i in MODE_INTERVALS["major"]} == collection:
            return ((tonic, "major"), ((tonic + 9) % 12, "minor"))
    raise AssertionError(f"{key.name} has no relative major")  # every church mode has one


def acceptable_keys(key: Key, *, tonic_by_emphasis: bool) -> tuple[tuple[int, str], ...]:
    """The major/minor keys a profile may hear for ``key`` to be in key: the key on its own
    tonic in its family, and for a church mode its relative keys when the music emphasises the
    requested tonic (see the module docstring)."""
    own = ((key.tonic, key.family),)
    return own + relative_keys(key) if tonic_by_emphasis else own


def collection_shortfall(hist: NDArray[np.float64], key: Key) -> float:
    """For a church mode, the share of all sounding time by which its replaced degree outlasts
    its characteristic one, or :data:`MISSING_DEGREE` when neither sounds; 0 when the
    characteristic degree sounds at least as long as the replaced one, and for other modes.
    ``hist`` is ``[12]`` absolute pitch classes."""
    if key.mode not in CHARACTERISTIC:
        return 0.0
    own, replaced = CHARACTERISTIC[key.mode]
    total = float(hist.sum())
    if total <= 0:
        return 0.0
    sounded = float(hist[(key.tonic + own) % 12])
    excess = float(hist[(key.tonic + replaced) % 12]) - sounded
    if excess <= 0 and sounded <= 0:
        return MISSING_DEGREE
    return max(0.0, excess / total)


def tonic_emphasis(weights: NDArray[np.float64], key: Key) -> bool:
    """The requested tonic carries at least as much weight as the relative keys' tonics."""
    tonic = weights[key.tonic]
    return all(tonic >= weights[t] for t, _ in relative_keys(key))


def judge_heard(
    heard: Sequence[tuple[int, str]], key: Key, *, emphasis: bool, hist: NDArray[np.float64]
) -> tuple[bool, str]:
    """Whether the keys ``heard`` (``(tonic, "major"|"minor")``, one per listener: each estimate
    profile, or music21) are all an acceptable reading of ``key`` (see the module docstring),
    and the reading in words. ``emphasis``: the music emphasises the requested tonic;
    ``hist``: ``[12]`` its pitch classes (absolute)."""
    ok = acceptable_keys(key, tonic_by_emphasis=emphasis)
    if not all(h in ok for h in heard):
        if len(set(heard)) > 1:
            return False, "ambiguous: heard as " + " / ".join(_name(h) for h in heard)
        return False, f"elsewhere: {_name(heard[0])}"
    if collection_shortfall(hist, key) > 0:
        own, replaced = (key.pc_name(key.tonic + d) for d in CHARACTERISTIC[key.mode])
        if hist[(key.tonic + CHARACTERISTIC[key.mode][0]) % 12] <= 0:
            return False, f"not {key.name}: its {own} never sounds"
        return False, f"not {key.name}: its {replaced} outlasts {own}"
    first = heard[0]
    if first != (key.tonic, key.family):
        return True, (
            f"{_name(first)}: the collection of {key.name}, tonic {key.tonic_name} by emphasis"
        )
    if key.mode in ("major", "minor"):
        return True, "as requested"
    if key.mode in CHARACTERISTIC:
        return True, f"{_name(first)}, the parallel reading of {key.name}"
    return True, f"{_name(first)}: {key.name} is judged as minor"


def _judge(
    estimate: KeyEstimate, key: Key, *, emphasis: bool, hist: NDArray[np.float64]
) -> tuple[bool, str, float]:
    """``(in_key, reading, violation from the key heard and the collection)``."""
    heard = [(t, f) for name, t, f in estimate.by_profile if name in ESTIMATE_PROFILES]
    in_key, reading = judge_heard(heard, key, emphasis=emphasis, hist=hist)
    if in_key:
        return True, reading, 0.0
    ok = acceptable_keys(key, tonic_by_emphasis=emphasis)
    gap = min(estimate.shortfall_of(t, f) for t, f in ok)
    return False, reading, max(gap + collection_shortfall(hist, key), MIN_VIOLATION)


def _name(key: tuple[int, str]) -> str:
    return Key(key[0], key[1]).name


@dataclass(frozen=True, slots=True)
class Facts:
    """What a candidate's verdict needs besides its key estimate (computed once per distinct
    candidate, so cached by the callers).

    Attributes:
        histogram: ``[12]`` duration-weighted pitch classes of its notes (quarter notes).
        emphasis: the music emphasises the requested tonic (for a church mode's relative
            reading; see the module docstring).
        out_of_key: what strays, in words.
        borrowed: the borrowed and secondary chords, in words.
        strayed: the share of time (0..1) on what strays.
    """

    histogram: tuple[float, ...]
    emphasis: bool
    out_of_key: tuple[str, ...] = ()
    borrowed: tuple[str, ...] = ()
    strayed: float = 0.0


def verdicts(facts: Sequence[Facts], key: Key) -> list[KeyVerdict]:
    """One verdict per candidate, the keys of all estimated in one batch."""
    hists = np.asarray([f.histogram for f in facts], dtype=np.float64).reshape(len(facts), 12)
    out = []
    for f, hist, estimate in zip(facts, hists, estimate_keys(hists), strict=True):
        in_key, reading, violation = _judge(estimate, key, emphasis=f.emphasis, hist=hist)
        out.append(
            KeyVerdict(
                requested=key.name,
                heard=_name((estimate.tonic, estimate.family)),
                reading=reading,
                in_key=in_key,
                out_of_key=f.out_of_key,
                borrowed=f.borrowed,
                violation=violation + f.strayed,
            )
        )
    return out


# ---------------------------------------------------------------- chords


@dataclass(frozen=True, slots=True)
class HeardChord:
    """One chord of a candidate as sounded: its roman numeral, its voicing (MIDI numbers), its
    length in quarter notes and how long its pitches sound within it (comped chords are
    struck in hits with rests between; None: held for the whole length)."""

    roman: RomanChord
    pitches: tuple[int, ...]
    beats: float
    sounding: float | None = None

    @property
    def heard_qn(self) -> float:
        """How long each of the chord's pitches sounds (qn)."""
        return self.beats if self.sounding is None else self.sounding


def chord_emphasis(chords: Sequence[HeardChord], key: Key) -> bool:
    """The tonic chord opens or closes the progression and its root sounds at least as long as
    the roots of the relative keys' tonic chords."""
    if not chords or 0 not in (chords[0].roman.offset, chords[-1].roman.offset):
        return False
    roots = np.zeros(12, dtype=np.float64)
    for c in chords:
        roots[(key.tonic + c.roman.offset) % 12] += c.beats
    return tonic_emphasis(roots, key)


#: Keys whose spelling is all flats or all sharps, to spell a chord the way its numeral's
#: accidental reads (bVI in G major is Eb, #IV in C major is F#).
_FLAT_SPELLING: Final = Key(5)
_SHARP_SPELLING: Final = Key(7)


@lru_cache(maxsize=4096)
def _symbol(chord: RomanChord, key: Key, numeral: str) -> str:
    spelling = {"b": _FLAT_SPELLING, "#": _SHARP_SPELLING}.get(numeral[:1], key)
    return chord_symbol(chord.in_key(key), spelling)


def bar_of(position_qn: float, bar_qn: float) -> int:
    """The bar (from 1) that ``position_qn`` lies in."""
    return int(position_qn // bar_qn + 1e-9) + 1


def progression_facts(chords: Sequence[HeardChord], key: Key, *, bar_qn: float) -> Facts:
    """The facts of one looping chord progression in ``key``: its sounding pitch classes, the
    roles of its chords (:func:`~scoring.chord_analysis.analyse_progression`) in words with the
    bar each first sounds in (``bar_qn``: the meter's bar in quarter notes), and the share of
    time on out-of-key chords."""
    roles = analyse_progression([c.roman for c in chords], [c.beats for c in chords], key)
    hist = [0.0] * 12
    out: dict[str, int] = {}
    borrowed: dict[str, int] = {}
    t = strayed = 0.0
    for chord, role in zip(chords, roles, strict=True):
        for p in set(chord.pitches):  # a bass doubled in unison sounds once (one MIDI note)
            hist[p % 12] += chord.heard_qn
        words = f"{role.numeral} ({_symbol(chord.roman, key, role.numeral)})"
        if role.kind == "out_of_key":
            out.setdefault(words, bar_of(t, bar_qn))
            strayed += chord.beats
        elif role.kind in ("borrowed", "secondary"):
            borrowed.setdefault(f"{words}: {role.name}", bar_of(t, bar_qn))
        t += chord.beats
    return Facts(
        histogram=tuple(hist),
        emphasis=chord_emphasis(chords, key),
        out_of_key=tuple(f"{k} in bar {b}" for k, b in out.items()),
        borrowed=tuple(f"{k}, bar {b}" for k, b in borrowed.items()),
        strayed=strayed / t if t else 0.0,
    )
