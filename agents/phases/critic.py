"""The ChromaticScorer as every phase uses it: the song's concept and color, one onnxruntime
call per batch of candidates, and the composite of theory and chromatic match (DESIGN §5).

A :class:`Critic` is small and picklable: the scorer itself sits in a
:class:`~evolution.lazy.Lazy` field, so the Ray executor ships the critic to its actors and each
actor opens its own ONNX session once (with the providers and threads the executor chose,
:func:`~evolution.lazy.worker_onnx_settings`). In one process every critic with the same model
shares one loaded scorer (and so one MiniLM encoder and one concept cache).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from agents.proposal import Proposal
from evolution.lazy import Lazy, worker_onnx_settings
from inference.onnx import ModelFileError
from music.meter import Meter
from music.notes import Part
from scoring.chromatic import Candidate, ChromaticScorer, ScorerInput
from scoring.composite import ChromaticScore, ScoreCard, TheoryScores, Weights, composite
from scoring.midi_features import features_over
from scoring.note_arrays import Backdrop

logger = logging.getLogger(__name__)

#: Set to a path to score with another exported model; to ``off`` for a theory-only composite.
SCORER_ENV: Final = "CHROMATIC_SCORER"


@functools.cache
def _load(path: str | None, providers: tuple[str, ...], threads: int) -> ChromaticScorer:
    scorer = ChromaticScorer.load(Path(path) if path else None, threads=threads)
    logger.info("scorer %s on %s", scorer.model.path, scorer.model.providers)
    return scorer


def load_scorer(path: str | None = None) -> ChromaticScorer:
    """The scorer at ``path`` (default: the shipped artifact), loaded once per process with
    this process's ONNX settings."""
    settings = worker_onnx_settings()
    return _load(path, settings.providers, settings.threads)


def scorer_setting() -> str | None:
    """The model path from ``CHROMATIC_SCORER`` (None: the shipped model; ``off``: no scorer)."""
    value = os.environ.get(SCORER_ENV, "").strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Critic:
    """Scores the sound of candidates against one song's concept and color."""

    scorer: Lazy[ChromaticScorer]
    concept: str
    color: str
    bpm: float
    meter: Meter

    def chromatic(
        self, candidates: Sequence[Sequence[Part]], *, underneath: Sequence[Part] = ()
    ) -> list[ChromaticScore]:
        """One score per candidate (its parts, times in quarter notes, heard over the parts
        ``underneath``, the same for every candidate), in one ONNX call. The parts underneath
        are windowed and rolled once per section, not once per candidate."""
        backdrop = _backdrop(tuple(underneath))
        inputs: list[Candidate] = []
        for own in candidates:
            if backdrop.parts or any(p.notes for p in own):
                inputs.append(features_over(own, backdrop, bpm=self.bpm, meter=self.meter))
            else:  # the scorer names the empty candidate
                inputs.append(ScorerInput(parts=tuple(own), bpm=self.bpm, meter=self.meter))
        return self.scorer.get().score_batch(inputs, self.concept, color=self.color)


@functools.lru_cache(maxsize=8)
def _backdrop(parts: tuple[Part, ...]) -> Backdrop:
    """The parts underneath a section's candidates as arrays, kept while its phase runs."""
    return Backdrop.of(parts)


def critic_for(proposal: Proposal) -> Critic | None:
    """The song's critic, or None when ``CHROMATIC_SCORER=off`` (theory-only, said so in
    review.yml). Raises ModelFileError for a configured model that cannot be opened."""
    path = scorer_setting()
    if path is not None and path.lower() == "off":
        return None
    # Fail now, naming the model file, rather than in the first generation (the proposal
    # loader has already checked the concept).
    try:
        load_scorer(path).prepare_concept(proposal.concept)
    except ModelFileError as exc:
        if path is None:
            raise
        raise ModelFileError(
            f"{SCORER_ENV}={path}: {exc} (or unset {SCORER_ENV} for the shipped model, "
            f"{SCORER_ENV}=off for a theory-only composite)"
        ) from None
    return Critic(
        scorer=Lazy(functools.partial(load_scorer, path)),
        concept=proposal.concept,
        color=proposal.color,
        bpm=proposal.bpm,
        meter=proposal.meter,
    )


def score_cards(
    theories: Sequence[TheoryScores],
    parts: Sequence[Sequence[Part]],
    *,
    critic: Critic | None,
    weights: Weights,
    underneath: Sequence[Part] = (),
) -> list[ScoreCard]:
    """Composite cards for a batch: theory alone without a critic, else theory and the match
    of each candidate's ``parts`` over the parts ``underneath``."""
    if critic is None:
        return [composite(t, None, weights) for t in theories]
    chroma = critic.chromatic(parts, underneath=underneath)
    return [composite(t, c, weights) for t, c in zip(theories, chroma, strict=True)]
