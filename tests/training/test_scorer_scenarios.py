"""Scenarios a musician can judge: the proposal's words move the shipped critic's ranking."""

from __future__ import annotations

import pytest

from scoring.chromatic import ChromaticScorer
from training.scorer.probes import (
    COLOR_PAIRS,
    CONCEPT_PAIRS,
    DENSE_WORDS,
    SCENARIOS,
    SPARSE_WORDS,
    Scenario,
    bright_candidate,
    dark_candidate,
)


@pytest.fixture(scope="module")
def scorer() -> ChromaticScorer:
    return ChromaticScorer.load()


def test_the_pairs_differ_in_one_thing_only() -> None:
    assert len(COLOR_PAIRS) == len(CONCEPT_PAIRS) == 10
    for a, b in COLOR_PAIRS:
        assert a.concept == b.concept and a.words == b.words and a.color != b.color
    for a, b in CONCEPT_PAIRS:
        assert a.color == b.color and a.words == b.words and a.concept != b.concept


@pytest.mark.parametrize("sc", SCENARIOS, ids=lambda s: s.name)
def test_sparse_words_raise_sparse_music_and_driving_words_dense(
    scorer: ChromaticScorer, sc: Scenario
) -> None:
    sparse = [dark_candidate(t, v) for t in (0, 2, 5) for v in (0, 1)]
    dense = [bright_candidate(t, v) for t in (0, 2, 5) for v in (0, 1)]

    def means(words: str) -> tuple[float, float]:
        vec = scorer.prepare_concept(sc.concept, words)
        match = scorer.analyse_batch([*sparse, *dense], vec, color=sc.color).match
        return float(match[:6].mean()), float(match[6:].mean())

    sparse_calm, dense_calm = means(SPARSE_WORDS)
    sparse_driving, dense_driving = means(DENSE_WORDS)
    assert sparse_calm > sparse_driving + 0.05
    assert dense_driving > dense_calm + 0.02
    # Relative to each other: the calm words favour the sparse side more than the driving ones.
    assert sparse_calm - dense_calm > sparse_driving - dense_driving + 0.1
