"""The ChromaticScorer of one song, as every part's evaluator uses it: the song's concept and
color, one onnxruntime call per batch of candidates, and the composite of theory and chromatic
match (DESIGN §5).

A :class:`SongChromaticScorer` is small and picklable: the ChromaticScorer itself sits in a
:class:`~evolution.lazy.Lazy` field, so the Ray executor ships it to its actors and each actor
opens its own ONNX session once, with the settings the executor gives it
(:meth:`SongChromaticScorer.with_onnx`). In one process every song scorer with the same model
and settings shares one loaded ChromaticScorer (and so one MiniLM encoder and one concept
cache). The song scorer of a run is built once, by
:func:`agents.builder.build_chromatic_scorer`, and lives in the agent's context.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Self

from evolution.lazy import Lazy, OnnxSettings
from music.meter import Meter
from music.notes import Part
from scoring.chromatic import Candidate, ChromaticScorer, ScorerInput
from scoring.composite import ChromaticScore, ScoreCard, TheoryScores, Weights, composite
from scoring.midi_features import MidiFeatures, features_batch
from scoring.note_arrays import Backdrop

logger = logging.getLogger(__name__)


@functools.cache
def _load(path: str | None, providers: tuple[str, ...], threads: int) -> ChromaticScorer:
    scorer = ChromaticScorer.load(
        Path(path) if path else None, threads=threads, providers=providers
    )
    logger.info("scorer %s on %s", scorer.model.path, scorer.model.providers)
    return scorer


def load_scorer(path: str | None = None, onnx: OnnxSettings | None = None) -> ChromaticScorer:
    """The scorer at ``path`` (default: the shipped artifact), loaded once per process and
    ONNX settings (default: the CPU provider, 1 thread)."""
    settings = onnx or OnnxSettings()
    return _load(path, settings.providers, settings.threads)


@dataclass(frozen=True, slots=True)
class SongChromaticScorer:
    """The ChromaticScorer of one song: scores the sound of candidates against the song's
    concept and color.

    Attributes:
        model: the exported scorer to load (a path; None: the shipped model).
        onnx: the settings its ONNX session opens with (set by the executor that scores).
    """

    concept: str
    color: str
    bpm: float
    meter: Meter
    model: str | None = None
    onnx: OnnxSettings = field(default_factory=OnnxSettings)
    scorer: Lazy[ChromaticScorer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lazy = Lazy(functools.partial(load_scorer, self.model, self.onnx))
        object.__setattr__(self, "scorer", lazy)

    def with_onnx(self, onnx: OnnxSettings) -> SongChromaticScorer:
        """This song scorer, its session opened with ``onnx`` (itself when they are its own)."""
        return self if onnx == self.onnx else replace(self, onnx=onnx)

    def chromatic(
        self, candidates: Sequence[Sequence[Part]], *, underneath: Sequence[Part] = ()
    ) -> list[ChromaticScore]:
        """One score per candidate (its parts, times in quarter notes, heard over the parts
        ``underneath``, the same for every candidate), in one ONNX call. The parts underneath
        are windowed and rolled once per section, and the candidates' features are computed for
        the whole batch at once."""
        backdrop = _backdrop(tuple(underneath))
        heard = [
            i for i, own in enumerate(candidates) if backdrop.parts or any(p.notes for p in own)
        ]
        features: dict[int, MidiFeatures] = {}
        if heard:
            rolls, symbolic = features_batch(
                [candidates[i] for i in heard], backdrop, bpm=self.bpm, meter=self.meter
            )
            features = {i: MidiFeatures(rolls[r], symbolic[r]) for r, i in enumerate(heard)}
        inputs: list[Candidate] = [
            features[i]
            if i in features
            else ScorerInput(parts=tuple(own), bpm=self.bpm, meter=self.meter)  # named empty
            for i, own in enumerate(candidates)
        ]
        return self.scorer.get().score_batch(inputs, self.concept, color=self.color)


@functools.lru_cache(maxsize=8)
def _backdrop(parts: tuple[Part, ...]) -> Backdrop:
    """The parts underneath a section's candidates as arrays, kept while its phase runs."""
    return Backdrop.of(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class PartEvaluator:
    """What every part's evaluator shares: the composite's weights, the parts approved under
    the candidates (the same for a whole population) and the song's ChromaticScorer (None:
    theory alone)."""

    weights: Weights
    underneath: tuple[Part, ...] = ()
    chromatic_scorer: SongChromaticScorer | None = None

    def with_onnx(self, onnx: OnnxSettings) -> Self:
        """This evaluator, its song scorer's session opened with ``onnx`` (the executor's)."""
        if self.chromatic_scorer is None:
            return self
        return replace(self, chromatic_scorer=self.chromatic_scorer.with_onnx(onnx))

    def cards(
        self, theories: Sequence[TheoryScores], parts: Callable[[], Sequence[Sequence[Part]]]
    ) -> list[ScoreCard]:
        """Composite cards for a batch: theory alone without a song scorer, else theory and
        the match of each candidate's parts (``parts()``, built only when a scorer listens)
        over the parts underneath."""
        if self.chromatic_scorer is None:
            return [composite(t, None, self.weights) for t in theories]
        chroma = self.chromatic_scorer.chromatic(parts(), underneath=self.underneath)
        return [composite(t, c, self.weights) for t, c in zip(theories, chroma, strict=True)]
