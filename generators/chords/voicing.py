"""Voice leading: place each chord's upper voices to move as little as possible from the chord
before, and the bass under them, inside a register that suits the instrument (a
:class:`ChordRegister`). Pure functions over pitch numbers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Final

from generators.chords.comping import Comping, chord_hits
from generators.chords.genome import ChordGene, ChordGenome, flatten
from music.chords import QUALITIES
from music.instruments import Instrument
from music.keys import Key
from music.notes import Note, Part, shared_note

UPPER_LOW, UPPER_HIGH = 52, 79  # E3 .. G5
BASS_LOW, BASS_HIGH = 36, 52  # C2 .. E3
MAX_SPREAD = 19  # an octave and a fifth between the lowest and highest upper voice


@dataclass(frozen=True, slots=True)
class ChordRegister:
    """Where and how an instrument voices chords: the upper voices' range, the chord's bass
    note range (MIDI pitches), the widest spread of the upper voices, the narrowest and widest
    gap between neighbouring voices (a guitar's strings: no seconds, no gap over a sixth), and
    whether a tone common to two chords is held across them (a pad)."""

    upper_low: int = UPPER_LOW
    upper_high: int = UPPER_HIGH
    bass_low: int = BASS_LOW
    bass_high: int = BASS_HIGH
    max_spread: int = MAX_SPREAD
    min_gap: int = 1
    max_gap: int = MAX_SPREAD
    sustain: bool = False
    velocity: int = 70

    def __post_init__(self) -> None:
        if not (self.upper_low >= 0 and self.upper_high <= 127):
            raise ValueError(f"ChordRegister.upper: {self.upper_low}..{self.upper_high} -- MIDI")
        if self.upper_high - self.upper_low < 11:
            raise ValueError(
                f"ChordRegister.upper: {self.upper_low}..{self.upper_high} -- at least 11 "
                "semitones, so every chord fits"
            )
        if self.bass_high - self.bass_low < 11 or self.bass_low < 0:
            raise ValueError(
                f"ChordRegister.bass: {self.bass_low}..{self.bass_high} -- an octave of MIDI"
            )


DEFAULT_REGISTER: Final = ChordRegister()


def register_for(inst: Instrument, *, ceiling: int) -> ChordRegister:
    """The register ``inst`` voices chords in under a melody that starts above ``ceiling``:
    the upper voices in the 12 to 17 semitones up to the ceiling (inside the instrument's
    range), the chord's bass note in the octave from the instrument's lowest note (or 16
    semitones under the upper voices), the upper voices never under it; a guitar with
    string-like gaps (2 to 9 semitones: no semitone clusters, no gap over a sixth), a pad
    holding common tones, piano voiced as by default, the rest (winds, brass, accordion) in
    close position within an octave."""
    high = max(min(ceiling, inst.high), inst.low + 12)
    low = min(max(inst.low + 4, high - 17), high - 12)
    bass_low = max(inst.low, low - 16, 28)
    shape = {
        "guitar": {"min_gap": 2, "max_gap": 9, "max_spread": 19},
        "pad": {"sustain": True, "max_spread": 19, "velocity": 62},
        "piano": {},
        "close": {"max_spread": 12},
    }[inst.voicing]
    return ChordRegister(
        upper_low=low,
        upper_high=high,
        bass_low=bass_low,
        bass_high=max(bass_low + 11, low + 2),
        **shape,  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class Voicing:
    """One chord as sounded: the bass pitch and the upper voices, low to high (MIDI numbers)."""

    bass: int
    upper: tuple[int, ...]

    @property
    def pitches(self) -> tuple[int, ...]:
        return (self.bass, *self.upper)


def upper_pitch_classes(gene: ChordGene, key: Key) -> tuple[int, ...]:
    """The pitch classes the upper voices play: every chord tone, but the fifth is dropped from
    five-note chords so four voices carry a ninth chord."""
    root = (key.tonic + gene.offset) % 12
    intervals = QUALITIES[gene.quality]
    if len(intervals) > 4:
        intervals = tuple(i for i in intervals if i != 7)
    return tuple((root + i) % 12 for i in intervals)


def bass_pitch_class(gene: ChordGene, key: Key) -> int:
    root = (key.tonic + gene.offset) % 12
    return (root + QUALITIES[gene.quality][gene.inversion]) % 12


def _spaced(voices: tuple[int, ...], reg: ChordRegister) -> bool:
    gaps = [b - a for a, b in itertools.pairwise(voices)]
    return all(reg.min_gap <= g <= reg.max_gap for g in gaps)


@lru_cache(maxsize=4096)
def _candidate_uppers(
    pcs: tuple[int, ...], reg: ChordRegister = DEFAULT_REGISTER
) -> tuple[tuple[int, ...], ...]:
    lo, hi = reg.upper_low, reg.upper_high
    options = [[p for p in range(lo, hi + 1) if p % 12 == pc] for pc in pcs]
    out: list[tuple[int, ...]] = []
    loose: list[tuple[int, ...]] = []
    for combo in itertools.product(*options):
        voices = tuple(sorted(combo))
        if voices[-1] - voices[0] <= reg.max_spread and len(set(voices)) == len(voices):
            (out if _spaced(voices, reg) else loose).append(voices)
    # A chord the instrument's spacing cannot reach is voiced as closely as the range allows.
    return tuple(sorted(set(out or loose)))


def _motion(prev: tuple[int, ...], nxt: tuple[int, ...]) -> int:
    """Total semitones moved, pairing voices in order; extra voices pair with the nearest."""
    if len(prev) == len(nxt):
        return sum(abs(a - b) for a, b in zip(prev, nxt, strict=True))
    return sum(min(abs(p - q) for q in prev) for p in nxt) + abs(len(prev) - len(nxt))


@lru_cache(maxsize=65536)
def _lead(
    prev: tuple[int, ...] | None,
    pcs: tuple[int, ...],
    reg: ChordRegister = DEFAULT_REGISTER,
    above: int | None = None,
) -> tuple[int, ...]:
    """The upper voices nearest ``prev`` (none under ``above`` when some voicing allows)."""
    cands = _candidate_uppers(pcs, reg)
    if not cands:
        raise ValueError(
            f"chord pitch classes {pcs!r} cannot be voiced in {reg.upper_low}..{reg.upper_high}"
        )
    if above is not None:
        cands = tuple(v for v in cands if v[0] >= above) or cands
    if prev is None:
        # Start near the middle of the range, in close-ish position.
        middle = 64 if reg == DEFAULT_REGISTER else (reg.upper_low + reg.upper_high) / 2
        return min(cands, key=lambda v: (abs(sum(v) / len(v) - middle), v[-1] - v[0], v))
    return min(cands, key=lambda v: (_motion(prev, v), v[-1] - v[0], v))


def _place_bass(pc: int, prev: int | None, reg: ChordRegister) -> int:
    options = [p for p in range(reg.bass_low, reg.bass_high + 1) if p % 12 == pc]
    target = prev if prev is not None else (43 if reg == DEFAULT_REGISTER else reg.bass_low + 7)
    return min(options, key=lambda p: (abs(p - target), p))


#: The order of a chords part: by onset, then pitch (field tuples, read in C).
_START_PITCH: Final = attrgetter("start", "pitch")


@lru_cache(maxsize=8192)
def voice_chords(
    genes: tuple[ChordGene, ...], key: Key, register: ChordRegister = DEFAULT_REGISTER
) -> tuple[Voicing, ...]:
    """Voice a chord sequence with minimal upper-voice motion and a nearby bass inside
    ``register`` (cached: the theory scores, the critic's MIDI and the key verdict of a
    candidate all hear it)."""
    out: list[Voicing] = []
    prev_upper: tuple[int, ...] | None = None
    prev_bass: int | None = None
    default = register == DEFAULT_REGISTER
    for gene in genes:
        bass = _place_bass(bass_pitch_class(gene, key), prev_bass, register)
        pcs = upper_pitch_classes(gene, key)
        upper = _lead(prev_upper, pcs, register, None if default else bass)
        if bass >= upper[0] and (default or bass - 12 >= register.bass_low):
            bass -= 12
        out.append(Voicing(bass=bass, upper=upper))
        prev_upper, prev_bass = upper, bass
    return tuple(out)


def chords_part(
    genome: ChordGenome,
    key: Key,
    *,
    name: str = "chords",
    program: int = 4,
    start_qn: float = 0.0,
    repeats: int = 1,
    register: ChordRegister = DEFAULT_REGISTER,
    comping: Comping | None = None,
) -> Part:
    """The progression as a MIDI part: sustained upper voices and a bass note per chord,
    played ``repeats`` times from ``start_qn``, voiced in ``register`` (a sustaining register
    holds a tone the next chord shares instead of striking it again); with a ``comping`` style
    other than sustained, every voice of a chord is struck on its hits instead."""
    genes = flatten(genome)
    voicings = voice_chords(genes, key, register)
    if comping is not None and not comping.sustained:
        return _comped_part(genes, voicings, comping, name, program, start_qn, repeats, register)
    notes: list[Note] = []
    held: dict[int, Note] = {}  # pitch -> the note still sounding (sustaining registers)
    t = start_qn
    for _ in range(repeats):
        for gene, v in zip(genes, voicings, strict=True):
            end = t + gene.beats
            struck = {v.bass: 80, **{p: register.velocity for p in v.upper}}
            now: dict[int, Note] = {}
            for pitch, velocity in struck.items():
                before = held.pop(pitch, None)
                if register.sustain and before is not None and abs(before.end - t) < 1e-9:
                    now[pitch] = shared_note(before.start, end, pitch, before.velocity)
                else:
                    now[pitch] = shared_note(t, end, pitch, velocity)
                    if before is not None:
                        notes.append(before)
            notes.extend(held.values())  # the tones this chord lets go
            held = now
            t = end
    notes.extend(held.values())
    notes.sort(key=_START_PITCH)
    return Part(name=name, notes=tuple(notes), program=program)


def _comped_part(
    genes: tuple[ChordGene, ...],
    voicings: tuple[Voicing, ...],
    comping: Comping,
    name: str,
    program: int,
    start_qn: float,
    repeats: int,
    register: ChordRegister,
) -> Part:
    """The chords struck on ``comping``'s hits: every voice of a chord on each hit, the first
    hit of a chord (the change) a little louder than the rest."""
    notes: list[Note] = []
    t = 0.0
    for _ in range(repeats):
        for gene, v in zip(genes, voicings, strict=True):
            for i, (onset, length) in enumerate(chord_hits(comping, t, gene.beats)):
                accent = 0 if i == 0 else -8
                struck = {v.bass: 80 + accent, **{p: register.velocity + accent for p in v.upper}}
                at = start_qn + onset
                notes.extend(
                    Note(start=at, end=at + length, pitch=p, velocity=max(1, vel))
                    for p, vel in struck.items()
                )
            t += gene.beats
    notes.sort(key=_START_PITCH)
    return Part(name=name, notes=tuple(notes), program=program)
