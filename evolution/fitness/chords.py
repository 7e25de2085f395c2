"""The fitness of chord progressions: voicing, the chord theory scores, the transition model's
likelihood and, with a song scorer, the ChromaticScorer's match of the voiced progression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from evolution.fitness.chromatic import PartEvaluator
from evolution.fitness.key_verdicts import chord_verdicts
from generators.chords.comping import Comping
from generators.chords.genome import ChordGenome, flatten, tokens
from generators.chords.operators import ChordOps
from generators.chords.voicing import DEFAULT_REGISTER, ChordRegister, chords_part, voice_chords
from music.gm import PART_PROGRAMS
from scoring.chords import SoundedChord, score_progression
from scoring.composite import ScoreCard, TheoryScores, with_key
from scoring.realism import RealismCritic, judged
from scoring.style.chords import CHORD_GROUPS, progression_values
from scoring.style.fit import style_components
from scoring.style.profile import StyleProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class ChordEvaluator(PartEvaluator):
    """Scores chord genomes: voicing, theory components, the model's likelihood, and, with a
    song scorer, the ChromaticScorer's match of the voiced progression; then the composite."""

    PART_KIND: ClassVar[str | None] = "chords"

    ops: ChordOps
    #: The corpus profile the style fit holds the progression to (None: no style fit).
    style: StyleProfile | None = None
    #: The realism critic whose ``P(real)`` joins the theory total (None: not joined).
    realism: RealismCritic | None = None
    #: How the phase voices and plays the chords (the instrument's register and GM program):
    #: the theory scores, the critic and the key verdict hear what the candidate's MIDI plays.
    register: ChordRegister = DEFAULT_REGISTER
    program: int = PART_PROGRAMS["chords"]
    #: The rhythm the candidate's MIDI plays the chords in (None: held), which the key
    #: verdict weighs.
    comping: Comping | None = None

    def sounded(self, genome: ChordGenome) -> list[SoundedChord]:
        genes = flatten(genome)
        voicings = voice_chords(genes, self.ops.key, self.register)
        return [
            SoundedChord(
                token=g.token,
                pitch_classes=g.roman.in_key(self.ops.key).pitch_classes(),
                voicing=v.pitches,
                beats=g.beats,
            )
            for g, v in zip(genes, voicings, strict=True)
        ]

    def measured(self, genome: ChordGenome) -> tuple[TheoryScores, dict[str, float]]:
        """The theory scores and, where the style fit or realism reads them, the chord metrics
        (empty otherwise)."""
        like = self.ops.model.normalized_likelihood(list(tokens(genome)), self.ops.key.family)
        sounded = self.sounded(genome)
        values: dict[str, float] = {}
        if self.style is not None or self.realism is not None:
            values = progression_values(sounded, key=self.ops.key, bar_qn=self.ops.meter.bar_qn)
        style = None if self.style is None else style_components(values, self.style, CHORD_GROUPS)
        theory = score_progression(
            sounded, key=self.ops.key, bars=self.ops.bars, likelihood=like, style=style
        )
        return theory, values

    def __call__(self, genomes: Sequence[ChordGenome]) -> list[ScoreCard]:
        scored = [self.measured(g) for g in genomes]
        theories = [t for t, _ in scored]
        values = [v for _, v in scored]
        theories = judged(theories, values, self.realism, self.style)
        key, register, program = self.ops.key, self.register, self.program
        # The critic hears the harmony held, so the comping rhythm does not change which
        # chords win; the key verdict weighs the notes as the candidate's MIDI plays them.
        cards = self.cards(
            theories,
            lambda: [[chords_part(g, key, program=program, register=register)] for g in genomes],
        )
        verdicts = chord_verdicts(genomes, key, self.ops.meter, register, self.comping)
        return with_key(cards, verdicts)
