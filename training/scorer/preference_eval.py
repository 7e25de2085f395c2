"""Preference accuracy of scorer models on reviewed candidates (``chromatic eval scorer
--from-reviews RUN...``): the share of a person's preference pairs (:mod:`scoring.preferences`)
whose preferred candidate the model's match ranks higher, scored through the runtime
(:class:`scoring.chromatic.ChromaticScorer` on onnxruntime), as a run would score them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.chromatic import ChromaticScorer, ScorerInput
from scoring.preferences import ReviewedCandidate, preference_pairs
from scoring.text_encoder import TextEncoder
from training.scorer.preference import heard_parts, pair_accuracy


def runtime_matches(
    candidates: Sequence[ReviewedCandidate],
    model: Path | None,
    *,
    text_encoder: TextEncoder | None = None,
) -> NDArray[np.float64]:
    """Each candidate's match under ``model`` (None: the shipped one), one onnxruntime call per
    song (concept and color) and phase (the kind of part, whose reference bank standardises it
    where the model has one, as in the phase that made it)."""
    scorer = ChromaticScorer.load(model, text_encoder=text_encoder)
    songs: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, cand in enumerate(candidates):
        songs[(cand.concept, cand.color, cand.phase)].append(i)
    match = np.zeros(len(candidates), dtype=np.float64)
    for (concept, color, phase), rows in songs.items():
        inputs = [
            ScorerInput(
                parts=tuple(heard_parts(candidates[i])),
                bpm=candidates[i].bpm,
                meter=candidates[i].meter,
            )
            for i in rows
        ]
        match[rows] = scorer.analyse_batch(inputs, concept, color=color, kind=phase).match
    return match


def evaluate_preferences(
    candidates: Sequence[ReviewedCandidate],
    models: Mapping[str, Path | None],
    *,
    text_encoder: TextEncoder | None = None,
) -> dict[str, Any]:
    """``{"candidates", "pairs", "accuracy": {name: share}}`` for each named model (a path, or
    None for the shipped model). Raises ValueError when the reviews hold no pair."""
    pairs = np.asarray(preference_pairs(candidates), dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        raise ValueError(
            f"--from-reviews: {len(candidates)} reviewed candidates, 0 preference pairs -- runs "
            "where a candidate was approved beside a rejected or lower-ranked one"
        )
    text = text_encoder or TextEncoder.load()
    accuracy = {
        name: pair_accuracy(runtime_matches(candidates, path, text_encoder=text), pairs)
        for name, path in models.items()
    }
    return {"candidates": len(candidates), "pairs": len(pairs), "accuracy": accuracy}


__all__ = ["evaluate_preferences", "runtime_matches"]
