"""The fitness of chord progressions: voicing, the chord theory scores, the transition model's
likelihood and, with a song scorer, the ChromaticScorer's match of the voiced progression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evolution.fitness.chromatic import PartEvaluator
from evolution.fitness.key_verdicts import chord_verdicts
from generators.chords.genome import ChordGenome, flatten, tokens
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part, voice_chords
from music.gm import PART_PROGRAMS
from scoring.chords import SoundedChord, score_progression
from scoring.composite import ScoreCard, TheoryScores, with_key
from scoring.style.chords import chord_style
from scoring.style.profile import StyleProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class ChordEvaluator(PartEvaluator):
    """Scores chord genomes: voicing, theory components, the model's likelihood, and, with a
    song scorer, the ChromaticScorer's match of the voiced progression; then the composite."""

    ops: ChordOps
    #: The corpus profile the style fit holds the progression to (None: no style fit).
    style: StyleProfile | None = None

    def sounded(self, genome: ChordGenome) -> list[SoundedChord]:
        genes = flatten(genome)
        voicings = voice_chords(genes, self.ops.key)
        return [
            SoundedChord(
                token=g.token,
                pitch_classes=g.roman.in_key(self.ops.key).pitch_classes(),
                voicing=v.pitches,
                beats=g.beats,
            )
            for g, v in zip(genes, voicings, strict=True)
        ]

    def theory(self, genome: ChordGenome) -> TheoryScores:
        like = self.ops.model.normalized_likelihood(list(tokens(genome)), self.ops.key.family)
        sounded = self.sounded(genome)
        style = None
        if self.style is not None:
            style = chord_style(
                sounded, key=self.ops.key, bar_qn=self.ops.meter.bar_qn, profile=self.style
            )
        return score_progression(
            sounded, key=self.ops.key, bars=self.ops.bars, likelihood=like, style=style
        )

    def __call__(self, genomes: Sequence[ChordGenome]) -> list[ScoreCard]:
        theories = [self.theory(g) for g in genomes]
        program = PART_PROGRAMS["chords"]
        cards = self.cards(
            theories, lambda: [[chords_part(g, self.ops.key, program=program)] for g in genomes]
        )
        return with_key(cards, chord_verdicts(genomes, self.ops.key, self.ops.meter))
