"""Voice leading: place each chord's upper voices to move as little as possible from the chord
before, and the bass under them. Pure functions over pitch numbers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from generators.chords.genome import ChordGene, ChordGenome, flatten
from music.chords import QUALITIES
from music.keys import Key
from music.notes import Note, Part

UPPER_LOW, UPPER_HIGH = 52, 79  # E3 .. G5
BASS_LOW, BASS_HIGH = 36, 52  # C2 .. E3
MAX_SPREAD = 19  # an octave and a fifth between the lowest and highest upper voice


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


@lru_cache(maxsize=4096)
def _candidate_uppers(pcs: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    options = [[p for p in range(UPPER_LOW, UPPER_HIGH + 1) if p % 12 == pc] for pc in pcs]
    out = []
    for combo in itertools.product(*options):
        voices = tuple(sorted(combo))
        if voices[-1] - voices[0] <= MAX_SPREAD and len(set(voices)) == len(voices):
            out.append(voices)
    return tuple(sorted(set(out)))


def _motion(prev: tuple[int, ...], nxt: tuple[int, ...]) -> int:
    """Total semitones moved, pairing voices in order; extra voices pair with the nearest."""
    if len(prev) == len(nxt):
        return sum(abs(a - b) for a, b in zip(prev, nxt, strict=True))
    return sum(min(abs(p - q) for q in prev) for p in nxt) + abs(len(prev) - len(nxt))


@lru_cache(maxsize=65536)
def _lead(prev: tuple[int, ...] | None, pcs: tuple[int, ...]) -> tuple[int, ...]:
    cands = _candidate_uppers(pcs)
    if not cands:
        raise ValueError(
            f"chord pitch classes {pcs!r} cannot be voiced in {UPPER_LOW}..{UPPER_HIGH}"
        )
    if prev is None:
        # Start near the middle of the range, in close-ish position.
        return min(cands, key=lambda v: (abs(sum(v) / len(v) - 64), v[-1] - v[0], v))
    return min(cands, key=lambda v: (_motion(prev, v), v[-1] - v[0], v))


def _place_bass(pc: int, prev: int | None) -> int:
    options = [p for p in range(BASS_LOW, BASS_HIGH + 1) if p % 12 == pc]
    target = prev if prev is not None else 43
    return min(options, key=lambda p: (abs(p - target), p))


@lru_cache(maxsize=8192)
def voice_chords(genes: tuple[ChordGene, ...], key: Key) -> tuple[Voicing, ...]:
    """Voice a chord sequence with minimal upper-voice motion and a nearby bass (cached: the
    theory scores, the critic's MIDI and the key verdict of a candidate all hear it)."""
    out: list[Voicing] = []
    prev_upper: tuple[int, ...] | None = None
    prev_bass: int | None = None
    for gene in genes:
        upper = _lead(prev_upper, upper_pitch_classes(gene, key))
        bass = _place_bass(bass_pitch_class(gene, key), prev_bass)
        if bass >= upper[0]:
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
) -> Part:
    """The progression as a MIDI part: sustained upper voices and a bass note per chord,
    played ``repeats`` times from ``start_qn``."""
    genes = flatten(genome)
    voicings = voice_chords(genes, key)
    notes: list[Note] = []
    t = start_qn
    for _ in range(repeats):
        for gene, v in zip(genes, voicings, strict=True):
            end = t + gene.beats
            notes.append(Note(start=t, end=end, pitch=v.bass, velocity=80))
            notes.extend(Note(start=t, end=end, pitch=p, velocity=70) for p in v.upper)
            t = end
    return Part(name=name, notes=tuple(notes), program=program)
