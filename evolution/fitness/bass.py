"""The fitness of bass lines of one section: root adherence, kick alignment, voice leading and
range over the approved chords and kick and, with a song scorer, the ChromaticScorer hearing the
line with the section's approved chords and drums."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from evolution.fitness.chromatic import PartEvaluator
from evolution.fitness.key_verdicts import line_verdicts
from generators.bass.genome import DEFAULT_REGISTER, BassGenome
from generators.bass.to_midi import describe, realise
from generators.harmony import Harmony
from music.gm import PART_PROGRAMS
from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from scoring.bass import kick_hit_rate, score_bass, strong_beat_tone_rate
from scoring.composite import ScoreCard, with_key
from scoring.realism import RealismCritic, judged
from scoring.style.bass import BASS_GROUPS, bass_values
from scoring.style.fit import style_components
from scoring.style.profile import StyleProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class BassEvaluator(PartEvaluator):
    """Scores bass genomes of one section: root adherence, kick alignment, voice leading and
    range (``scoring.bass``) over the approved chords and kick, and the ChromaticScorer's
    match.

    The ChromaticScorer hears the line with the section's approved chords and drums
    (``underneath``): a bass line is heard as the floor of a harmony and the partner of a kick,
    and its color (a pedal that darkens the chords, a walking line that lifts them) exists
    only against them. The parts underneath are the same for every candidate of the
    population."""

    PART_KIND: ClassVar[str | None] = "bass"

    key: Key
    meter: Meter
    harmony: Harmony
    bars: int
    kicks: tuple[float, ...] = ()
    register: tuple[int, int] = DEFAULT_REGISTER
    #: The corpus profile the style fit holds the line to (None: no style fit).
    style: StyleProfile | None = None
    #: The realism critic whose ``P(real)`` joins the theory total (None: not joined).
    realism: RealismCritic | None = None

    def notes(self, genome: BassGenome) -> tuple[Note, ...]:
        return realise(
            genome, self.harmony, self.key, self.meter, bars=self.bars, register=self.register
        )

    def part(self, genome: BassGenome) -> Part:
        return Part(name="bass", notes=self.notes(genome), program=PART_PROGRAMS["bass"])

    def __call__(self, genomes: Sequence[BassGenome]) -> list[ScoreCard]:
        lines = [self.notes(g) for g in genomes]
        measured = self.style is not None or self.realism is not None
        values = [
            bass_values(n, self.harmony.chords, meter=self.meter, bars=self.bars)
            if measured
            else {}
            for n in lines
        ]
        theories = [
            score_bass(
                notes,
                chords=self.harmony.chords,
                meter=self.meter,
                kicks=self.kicks,
                register=self.register,
                style=None if self.style is None else style_components(v, self.style, BASS_GROUPS),
            )
            for notes, v in zip(lines, values, strict=True)
        ]
        theories = judged(theories, values, self.realism, self.style)
        cards = self.cards(
            theories,
            lambda: [[Part(name="bass", notes=n, program=PART_PROGRAMS["bass"])] for n in lines],
        )
        keys = line_verdicts(
            lines, self.key, harmony=self.harmony, meter=self.meter, heard_with_chords=True
        )
        return with_key(cards, keys)

    def describe(self, genome: BassGenome) -> dict[str, Any]:
        """The generator's words plus how the line sits on the chords and the kick."""
        notes = self.notes(genome)
        out = dict(describe(genome, self.meter, notes))
        rate = strong_beat_tone_rate(notes, self.harmony.chords, self.meter)
        out["strong_beats_on_chord_tones"] = f"{round(100 * rate)}%"
        if self.kicks:
            hit = kick_hit_rate([n.start for n in notes], self.kicks)
            out["plays_with_kick"] = f"{round(100 * hit)}% of the kicks"
        return out
