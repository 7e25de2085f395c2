"""A proposal's mood words as a valence/arousal target.

The coordinates are the circumplex anchors of Russell (1980) (``russell1980_anchors.json``,
cited in ``SOURCE.md`` beside it): a word at angle θ has valence cos θ and arousal sin θ. A
mood word found in that table (case-insensitive) takes its coordinates; any other word takes
those of its nearest table word in the MiniLM text encoder's space (cosine similarity of the
sentence embeddings), and the match is reported so a person can see why "tender" landed where
it did. The target is the mean of the words' coordinates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

ANCHORS_FILE: Final = Path(__file__).with_name("russell1980_anchors.json")


class Encoder(Protocol):
    """What the nearest-word look-up needs of a text encoder: unit-length embeddings."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


@dataclass(frozen=True, slots=True)
class Anchor:
    word: str
    valence: float
    arousal: float
    origin: str


@dataclass(frozen=True, slots=True)
class WordMatch:
    """One mood word: the table word it was read as (itself when in the table), how similar
    the two are (1.0 for an exact match) and the coordinates it contributes."""

    word: str
    anchor: str
    similarity: float
    valence: float
    arousal: float


@dataclass(frozen=True, slots=True)
class MoodTarget:
    """The mean valence/arousal of the mood words, and how each word was read."""

    valence: float
    arousal: float
    words: tuple[WordMatch, ...]

    def to_dict(self) -> dict[str, Any]:
        """The target as proposal.yml and review.yml show it."""
        return {
            "valence": round(self.valence, 3),
            "arousal": round(self.arousal, 3),
            "source": "Russell (1980) circumplex anchors; other words by nearest anchor",
            "words": {
                m.word: (
                    m.anchor
                    if m.similarity >= 1.0
                    else f"{m.anchor} (nearest, similarity {m.similarity:.2f})"
                )
                for m in self.words
            },
        }


@lru_cache(maxsize=1)
def anchors() -> tuple[Anchor, ...]:
    """The shipped table, angles turned into valence/arousal."""
    data = json.loads(ANCHORS_FILE.read_text(encoding="utf-8"))
    out = []
    for row in data["anchors"]:
        theta = math.radians(float(row["degrees"]))
        out.append(
            Anchor(
                word=str(row["word"]).lower(),
                valence=round(math.cos(theta), 6),
                arousal=round(math.sin(theta), 6),
                origin=str(row["origin"]),
            )
        )
    return tuple(out)


def _clean(words: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for w in words:
        word = " ".join(str(w).split()).lower()
        if word and word not in seen:
            seen.append(word)
    return seen


def match_words(words: Sequence[str], encoder: Encoder | None) -> tuple[WordMatch, ...]:
    """Each mood word matched to a table word. Words not in the table need ``encoder``;
    without one they raise ValueError naming them."""
    table = {a.word: a for a in anchors()}
    cleaned = _clean(words)
    unknown = [w for w in cleaned if w not in table]
    nearest: dict[str, tuple[Anchor, float]] = {}
    if unknown:
        if encoder is None:
            raise ValueError(f"mood words {unknown} are not in the anchor table and no encoder")
        names = list(table)
        keys = np.asarray(encoder.encode(names), dtype=np.float64)
        queries = np.asarray(encoder.encode(unknown), dtype=np.float64)
        sims = queries @ keys.T
        for i, word in enumerate(unknown):
            j = int(np.argmax(sims[i]))
            nearest[word] = (table[names[j]], float(sims[i, j]))
    out = []
    for w in cleaned:
        anchor, sim = (table[w], 1.0) if w in table else nearest[w]
        out.append(WordMatch(w, anchor.word, round(sim, 4), anchor.valence, anchor.arousal))
    return tuple(out)


def mood_target(words: Sequence[str], encoder: Encoder | None) -> MoodTarget | None:
    """The target of ``words``; None when there are no mood words."""
    matches = match_words(words, encoder)
    if not matches:
        return None
    valence = float(np.mean([m.valence for m in matches]))
    arousal = float(np.mean([m.arousal for m in matches]))
    return MoodTarget(valence=valence, arousal=arousal, words=matches)


@lru_cache(maxsize=64)
def _cached_target(words: tuple[str, ...]) -> MoodTarget | None:
    from scoring.text_encoder import TextEncoder

    table = {a.word for a in anchors()}
    needs_encoder = any(w not in table for w in _clean(words))
    return mood_target(words, TextEncoder.load() if needs_encoder else None)


def proposal_mood_target(mood: Sequence[str]) -> MoodTarget | None:
    """The target of a proposal's mood words, the shipped text encoder loaded only when a
    word is not in the table (cached per process and per word list)."""
    return _cached_target(tuple(mood))


def mood_target_summary(mood: Sequence[str]) -> dict[str, Any] | None:
    """The target as proposal.yml and review.yml show it; None without mood words. When the
    text encoder a word needs is not installed, the entry says so instead of stopping a run."""
    from inference.onnx import ModelFileError

    try:
        target = proposal_mood_target(mood)
    except ModelFileError as exc:
        return {"unavailable": str(exc)}
    return None if target is None else target.to_dict()
