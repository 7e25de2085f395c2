"""The ChromaticScorer as every phase uses it: the song's concept and color, one onnxruntime
call per batch of candidates, and the composite of theory and chromatic match (DESIGN §5).

A :class:`Critic` is small and picklable: the scorer itself sits in a
:class:`~evolution.lazy.Lazy` field, so the Ray executor ships the critic to its actors and each
actor opens its own ONNX session once, with the settings the executor gives it
(:meth:`Critic.with_onnx`). In one process every critic with the same model and settings shares
one loaded scorer (and so one MiniLM encoder and one concept cache). The critic of a run is
built once, by :func:`agents.builder.build_critic`, and lives in the agent's context.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Literal

from agents.proposal import Proposal
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
    scorer = ChromaticScorer.load(Path(path) if path else None, threads=threads)
    logger.info("scorer %s on %s", scorer.model.path, scorer.model.providers)
    return scorer


def load_scorer(path: str | None = None, onnx: OnnxSettings | None = None) -> ChromaticScorer:
    """The scorer at ``path`` (default: the shipped artifact), loaded once per process and
    ONNX settings (default: the CPU provider, 1 thread)."""
    settings = onnx or OnnxSettings()
    return _load(path, settings.providers, settings.threads)


@dataclass(frozen=True, slots=True)
class Critic:
    """Scores the sound of candidates against one song's concept and color.

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

    def with_onnx(self, onnx: OnnxSettings) -> Critic:
        """This critic, its session opened with ``onnx`` (itself when they are its own)."""
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


def song_critic(proposal: Proposal, *, model: str | None = None) -> Critic:
    """The critic of the song ``proposal`` with the scorer ``model`` (None: the shipped one),
    its model loaded and the concept encoded now. Raises ModelFileError naming the model file
    when it cannot be opened."""
    critic = Critic(
        concept=proposal.concept,
        color=proposal.color,
        bpm=proposal.bpm,
        meter=proposal.meter,
        model=model,
    )
    # Fail now, naming the model file, rather than in the first generation (the proposal
    # loader has already checked the concept).
    critic.scorer.get().prepare_concept(proposal.concept)
    return critic


#: A phase's critic when none is given: the shipped model's (see :func:`phase_critic`).
SHIPPED: Final = "shipped"


def phase_critic(critic: Critic | Literal["shipped"] | None, proposal: Proposal) -> Critic | None:
    """The critic a phase scores with: ``critic`` itself, or the shipped model's for
    :data:`SHIPPED` (what a phase run outside the agent, e.g. by a test, uses)."""
    if critic == SHIPPED:
        return song_critic(proposal)
    return critic


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
