"""The approved chords of a section as a time line: which chord sounds when, so the bass and
the melody can compute their pitches from the chord under each onset. Times are quarter notes
(qn) from the start of the section; the progression loops to fill the section."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from generators.chords.genome import ChordGenome, validate_genome
from music.chords import QUALITIES
from music.keys import Key
from music.meter import Meter

EPS = 1e-6
#: Times a :class:`Harmony` keeps the answer of :meth:`Harmony.at` for.
_AT_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class SoundingChord:
    """One chord from ``start`` to ``end`` (qn): root pitch class, pitch classes (root first,
    in the quality's order: root, third, fifth, seventh, ...), the pitch class in the bass
    (the root, or the inversion's chord tone) and the quality name."""

    start: float
    end: float
    root: int
    pitch_classes: tuple[int, ...]
    bass: int
    quality: str

    @property
    def third(self) -> int:
        """The chord's second tone (a third, or the suspended tone of a sus chord)."""
        return self.pitch_classes[1]

    @property
    def fifth(self) -> int:
        """The chord's third tone (a fifth; diminished or augmented in those chords)."""
        return self.pitch_classes[2]


@dataclass(frozen=True, slots=True)
class Harmony:
    """Chords in time order covering ``[0, total_qn)`` without gaps."""

    chords: tuple[SoundingChord, ...]
    bar_qn: float
    _starts: tuple[float, ...] = field(init=False, repr=False, compare=False)
    #: :meth:`at` by time: a phase asks for the chord under the same few onsets (the grid
    #: points of its bars) hundreds of thousands of times.
    _at: dict[float, SoundingChord] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.chords:
            raise ValueError("Harmony.chords: () -- at least one chord")
        object.__setattr__(self, "_starts", tuple(c.start for c in self.chords))
        object.__setattr__(self, "_at", {})

    @property
    def total_qn(self) -> float:
        return self.chords[-1].end

    @property
    def bars(self) -> int:
        return round(self.total_qn / self.bar_qn)

    def at(self, t: float) -> SoundingChord:
        """The chord sounding at ``t`` (qn); times past the end wrap around (a loop)."""
        chord = self._at.get(t)
        if chord is None:
            looped = t % self.total_qn
            chord = self.chords[max(0, bisect.bisect_right(self._starts, looped + EPS) - 1)]
            if len(self._at) < _AT_LIMIT:
                self._at[t] = chord
        return chord

    def changes_in(self, start: float, end: float) -> tuple[float, ...]:
        """Chord-change times in ``[start, end)`` (qn), without wrapping."""
        return tuple(s for s in self._starts if start - EPS <= s < end - EPS)


def chord_timeline(genome: ChordGenome, key: Key, meter: Meter, *, bars: int) -> Harmony:
    """The progression ``genome`` looped to fill ``bars`` bars of ``meter`` in ``key``."""
    if bars < 1:
        raise ValueError(f"bars: {bars!r} -- at least 1 bar")
    if not genome:
        raise ValueError("chords: () -- a progression needs at least one bar")
    validate_genome(genome, meter)
    out: list[SoundingChord] = []
    for b in range(bars):
        t = b * meter.bar_qn
        for gene in genome[b % len(genome)]:
            chord = gene.roman.in_key(key)
            pcs = chord.pitch_classes()
            bass = (chord.root + QUALITIES[gene.quality][gene.inversion]) % 12
            out.append(
                SoundingChord(
                    start=t,
                    end=t + gene.beats,
                    root=chord.root,
                    pitch_classes=pcs,
                    bass=bass,
                    quality=gene.quality,
                )
            )
            t += gene.beats
    return Harmony(chords=tuple(out), bar_qn=meter.bar_qn)
