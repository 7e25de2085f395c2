"""The scoring seam: score cards, the Scorer protocol and the composite (DESIGN §5).

``composite = w_theory * theory_total + w_chromatic * chromatic_match``. While no chromatic
scorer is configured the chromatic part is absent (``None``), never a made-up number, and the
composite is the theory total alone.

With a mood target (the proposal's mood words) the candidate's emotion match takes its own
share of the composite: ``(1 - w_emotion) * that + w_emotion * emotion_match``, so theory and
chromatic keep their meaning (their ratio) whatever the emotion weight; without mood words the
emotion part is absent and the composite is as above.

The key is a constraint, not a vote (docs/scoring.md): a card may carry a
:class:`~scoring.key_constraint.KeyVerdict`, and evolution ranks by :attr:`ScoreCard.fitness`,
a feasibility-first order: every candidate that keeps to the key ranks by its composite, above
every candidate that strays, and those rank by how far they stray.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from scoring.key_constraint import KeyVerdict

C = TypeVar("C", contravariant=True)


@dataclass(frozen=True, slots=True)
class ChromaticScore:
    """The ChromaticScorer's view of one candidate: three distributions, confidence, match."""

    temporal: tuple[float, float, float]
    spatial: tuple[float, float, float]
    ontological: tuple[float, float, float]
    confidence: float
    match: float


#: The distance on the valence/arousal plane at which the emotion match reaches 0: the
#: circumplex's diameter, so a candidate at the opposite pole of the target's circle scores 0.
EMOTION_SPAN = 2.0


@dataclass(frozen=True, slots=True)
class EmotionScore:
    """A candidate's estimated valence/arousal (each -1..1), the mood target it is held to and
    the match, ``1 - distance / EMOTION_SPAN`` clipped to [0, 1]."""

    valence: float
    arousal: float
    target: tuple[float, float]
    match: float

    @classmethod
    def of(cls, valence: float, arousal: float, target: tuple[float, float]) -> EmotionScore:
        distance = math.hypot(valence - target[0], arousal - target[1])
        match = min(1.0, max(0.0, 1.0 - distance / EMOTION_SPAN))
        return cls(valence=valence, arousal=arousal, target=target, match=match)


@dataclass(frozen=True, slots=True)
class TheoryScores:
    """Named theory components, each in [0, 1], and their weighted total."""

    components: tuple[tuple[str, float], ...]
    total: float

    def __post_init__(self) -> None:
        for name, value in (*self.components, ("total", self.total)):
            if not (0.0 <= value <= 1.0) or math.isnan(value):
                raise ValueError(f"theory score {name}: {value!r} -- must lie in [0, 1]")

    @classmethod
    def weighted(cls, scores: Mapping[str, float], weights: Mapping[str, float]) -> TheoryScores:
        """Build from component scores and their weights (missing weights count 1)."""
        total_w = sum(weights.get(k, 1.0) for k in scores)
        total = sum(v * weights.get(k, 1.0) for k, v in scores.items()) / total_w
        return cls(components=tuple(scores.items()), total=min(1.0, max(0.0, total)))

    def as_dict(self) -> dict[str, float]:
        return dict(self.components)


@dataclass(frozen=True, slots=True)
class Weights:
    theory: float = 0.3
    chromatic: float = 0.7
    #: The emotion match's share of the composite (on top of theory + chromatic, which add up
    #: to 1 and share the rest); used only where a mood target exists. Off unless a proposal
    #: asks for it: the estimate rests on weak-label rules the audio model disagrees with on
    #: valence, and nothing yet shows that it makes the music better rather than only moodier.
    emotion: float = 0.0

    def __post_init__(self) -> None:
        for name in ("theory", "chromatic", "emotion"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"weights.{name}: {v!r} -- a number in [0, 1]")
        if abs(self.theory + self.chromatic - 1.0) > 1e-6:
            raise ValueError(
                f"weights: theory {self.theory} + chromatic {self.chromatic} -- must add up to 1"
            )


@dataclass(frozen=True, slots=True)
class ScoreCard:
    """Everything known about one candidate's quality."""

    composite: float
    theory: TheoryScores
    chromatic: ChromaticScore | None
    key: KeyVerdict | None = None
    emotion: EmotionScore | None = None

    @property
    def fitness(self) -> float:
        """What evolution ranks by, in [-1, 1]: the composite (in [0, 1]) when the candidate
        keeps to the key or no key was judged; else ``-v / (1 + v)`` for its violation ``v``,
        below 0 and so below every candidate that keeps to the key, whatever their composites,
        and lower the further it strays."""
        if self.key is None or self.key.feasible:
            return self.composite
        v = self.key.violation
        return -v / (1.0 + v)


def composite(
    theory: TheoryScores,
    chromatic: ChromaticScore | None,
    weights: Weights,
    emotion: EmotionScore | None = None,
) -> ScoreCard:
    """Combine theory and chromatic scores (theory alone when no chromatic score exists), then
    the emotion match at its share where there is one."""
    if chromatic is None:
        value = theory.total
    else:
        value = weights.theory * theory.total + weights.chromatic * chromatic.match
    if emotion is not None:
        value = (1.0 - weights.emotion) * value + weights.emotion * emotion.match
    return ScoreCard(composite=value, theory=theory, chromatic=chromatic, emotion=emotion)


def with_key(cards: Sequence[ScoreCard], verdicts: Sequence[KeyVerdict]) -> list[ScoreCard]:
    """The cards, each with its candidate's key verdict."""
    if len(cards) != len(verdicts):
        raise ValueError(f"verdicts: {len(verdicts)} for {len(cards)} cards -- one per card")
    return [replace(c, key=v) for c, v in zip(cards, verdicts, strict=True)]


class Scorer(Protocol, Generic[C]):
    """Scores a batch of candidates of one part; results in the same order."""

    def score_batch(self, candidates: Sequence[C]) -> list[ScoreCard]: ...


def effective_weights(
    weights: Weights, has_chromatic: bool, has_emotion: bool = False
) -> dict[str, float | None]:
    """The weights actually applied, for review.yml: chromatic (emotion) is ``None`` when
    absent; theory and chromatic are their share of what emotion leaves."""
    share = 1.0 - weights.emotion if has_emotion else 1.0
    out: dict[str, float | None] = (
        {"theory": weights.theory * share, "chromatic": weights.chromatic * share}
        if has_chromatic
        else {"theory": share, "chromatic": None}
    )
    out["emotion"] = weights.emotion if has_emotion else None
    return out
