"""The fitness of melodies of one section: singability in the carrier's range, chord-tone
alignment over the approved chords and bass, contour, continuity, rhythm and syllables and,
with a song scorer, the ChromaticScorer hearing the tune over its accompaniment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from evolution.fitness.chromatic import PartEvaluator
from evolution.fitness.key_verdicts import line_verdicts
from generators.harmony import Harmony
from generators.melody.genome import MelodyGenome
from generators.melody.ranges import VoiceRange
from generators.melody.to_midi import melody_notes, melody_part
from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from scoring.composite import ScoreCard, with_key
from scoring.melody import score_melody
from scoring.realism import RealismCritic, judged
from scoring.style.fit import style_components
from scoring.style.melody import MELODY_GROUPS, melody_values
from scoring.style.profile import StyleProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class MelodyEvaluator(PartEvaluator):
    """Scores melodies of one section: singability in the carrier's range, chord-tone
    alignment over the approved chords and bass, contour, continuity from the previous
    section, rhythm variety and, with lyrics, one note per syllable (``scoring.melody``); then
    the ChromaticScorer's match.

    The ChromaticScorer hears the melody over the section's approved chords, drums and bass
    (``underneath``): a tune's color is the tune against its accompaniment (the same line
    reads bright over major chords and strained over a pedal), and that whole texture is
    what the listener will hear. The accompaniment is the same for every candidate."""

    PART_KIND: ClassVar[str | None] = "melody"

    key: Key
    meter: Meter
    harmony: Harmony
    voice: VoiceRange
    phrase_qn: float
    previous_pitch: int | None = None
    bass: tuple[Note, ...] = ()
    syllables: tuple[int, ...] = ()
    #: The corpus profile the style fit holds the melody to (None: no style fit).
    style: StyleProfile | None = None
    #: The realism critic whose ``P(real)`` joins the theory total (None: not joined).
    realism: RealismCritic | None = None

    def part(self, genome: MelodyGenome) -> Part:
        return melody_part(genome, self.key, self.meter, program=self.voice.program)

    def __call__(self, genomes: Sequence[MelodyGenome]) -> list[ScoreCard]:
        lines = [melody_notes(g, self.key, self.meter) for g in genomes]
        measured = self.style is not None or self.realism is not None
        values = [
            melody_values(n, self.harmony.chords, meter=self.meter, bars=self.harmony.bars)
            if measured
            else {}
            for n in lines
        ]
        theories = [
            score_melody(
                notes,
                chords=self.harmony.chords,
                meter=self.meter,
                key=self.key,
                register=(self.voice.low, self.voice.high),
                phrase_qn=self.phrase_qn,
                previous_pitch=self.previous_pitch,
                bass=self.bass,
                syllables=self.syllables,
                style=None
                if self.style is None
                else style_components(v, self.style, MELODY_GROUPS),
            )
            for notes, v in zip(lines, values, strict=True)
        ]
        theories = judged(theories, values, self.realism, self.style)
        cards = self.cards(
            theories,
            lambda: [[Part(name="melody", notes=n, program=self.voice.program)] for n in lines],
        )
        keys = line_verdicts(lines, self.key, harmony=self.harmony, meter=self.meter)
        return with_key(cards, keys)
