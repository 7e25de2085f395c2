"""The fitness of drum patterns of one section: the drum theory scores and, with a song scorer,
the ChromaticScorer hearing the pattern over the section's approved chords."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from evolution.fitness.chromatic import PartEvaluator
from generators.drums.genome import DrumGenome
from generators.drums.to_midi import drum_note_rows, drums_part
from music.meter import Meter
from scoring.composite import ScoreCard
from scoring.drums import DrumPattern, score_drums
from scoring.note_arrays import NoteTable
from scoring.realism import RealismCritic, judged
from scoring.style.drums import DRUM_GROUPS, genomes_metrics
from scoring.style.fit import style_components
from scoring.style.profile import StyleProfile


@dataclass(frozen=True, slots=True, kw_only=True)
class DrumEvaluator(PartEvaluator):
    """Scores drum genomes of one section: the drum theory scores (with a ``style`` profile the
    style fit and fill placement, else groove consistency, role balance, density for the song's
    words and tempo and fill placement) and the ChromaticScorer's match.

    The ChromaticScorer hears the pattern over the section's approved chords (``underneath``),
    not alone: a groove has no pitch, and what it does to a song's color (a busy hat line that
    hurries a slow progression, a half-time feel that opens it) is only heard against the
    harmony it will play with. Every candidate of a population shares the same chords, so the
    differences the ChromaticScorer hears are the drums' own."""

    PART_KIND: ClassVar[str | None] = "drums"

    meter: Meter
    mood: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    bpm: float = 100.0
    phrase_bars: int = 4
    wants_fill: bool = True
    #: The corpus profile the style fit holds the pattern to (None: no style fit).
    style: StyleProfile | None = None
    #: The realism critic whose ``P(real)`` joins the theory total (None: not joined).
    realism: RealismCritic | None = None

    def __call__(self, genomes: Sequence[DrumGenome]) -> list[ScoreCard]:
        measured = self.style is not None or self.realism is not None
        values = genomes_metrics(genomes, bpm=self.bpm) if measured else [{} for _ in genomes]
        theories = [
            score_drums(
                DrumPattern.of(g),
                mood=self.mood,
                genres=self.genres,
                bpm=self.bpm,
                phrase_bars=self.phrase_bars,
                wants_fill=self.wants_fill,
                style=None if self.style is None else style_components(v, self.style, DRUM_GROUPS),
            )
            for g, v in zip(genomes, values, strict=True)
        ]
        theories = judged(theories, values, self.realism, self.style)
        return self.cards(
            theories,
            lambda: [[drums_part(g, self.meter)] for g in genomes],
            table=lambda: NoteTable.of_rows(
                [drum_note_rows(g, self.meter) for g in genomes], drum=True
            ),
        )
