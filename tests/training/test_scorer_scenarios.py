"""Scenarios a musician can judge: the proposal's words move the shipped critic's ranking."""

from __future__ import annotations

import pytest

from bench.scorer_scenarios import table_parts
from evolution.fitness.chromatic import SongChromaticScorer
from music.meter import Meter
from music.notes import Note, Part
from scoring.chromatic import ChromaticScorer
from scoring.note_arrays import NoteTable
from training.scorer.probes import (
    COLOR_PAIRS,
    CONCEPT_PAIRS,
    DENSE_WORDS,
    HELD_OUT_COLOR_PAIRS,
    HELD_OUT_CONCEPT_PAIRS,
    SCENARIOS,
    SPARSE_WORDS,
    Scenario,
    Setting,
    bright_candidate,
    dark_candidate,
)

Pairs = tuple[tuple[Setting, Setting], ...]


@pytest.fixture(scope="module")
def scorer() -> ChromaticScorer:
    return ChromaticScorer.load()


@pytest.mark.parametrize(
    ("colors", "concepts"),
    [(COLOR_PAIRS, CONCEPT_PAIRS), (HELD_OUT_COLOR_PAIRS, HELD_OUT_CONCEPT_PAIRS)],
    ids=["bench", "held_out"],
)
def test_the_pairs_differ_in_one_thing_only(colors: Pairs, concepts: Pairs) -> None:
    assert len(colors) == len(concepts) == 10
    for a, b in colors:
        assert a.concept == b.concept and a.words == b.words and a.color != b.color
    for a, b in concepts:
        assert a.color == b.color and a.words == b.words and a.concept != b.concept


def test_the_held_out_pairs_are_new() -> None:
    def color_sets(pairs: Pairs) -> set[frozenset[str]]:
        return {frozenset((a.color, b.color)) for a, b in pairs}

    def concept_texts(pairs: Pairs) -> set[str]:
        return {s.concept for pair in pairs for s in pair}

    assert len(color_sets(HELD_OUT_COLOR_PAIRS)) == 10
    assert not color_sets(HELD_OUT_COLOR_PAIRS) & color_sets(COLOR_PAIRS)
    assert HELD_OUT_COLOR_PAIRS[0][0].concept != COLOR_PAIRS[0][0].concept
    assert not concept_texts(HELD_OUT_CONCEPT_PAIRS) & concept_texts(CONCEPT_PAIRS)


def test_the_bench_hears_a_note_table_as_the_parts_it_was_made_of() -> None:
    """The scenario bench records the phases that hand the critic a note table as parts."""
    drums = Part("drums", (Note(0.0, 0.25, 36, 100), Note(1.0, 1.25, 38, 90)), is_drum=True)
    candidates = [
        (*dark_candidate(0).parts, drums),
        bright_candidate(2).parts,
        (drums, *dark_candidate(5, 1).parts),
    ]
    table = NoteTable.of(candidates)
    heard = table_parts(table)
    assert [[(p.is_drum, p.notes) for p in c] for c in heard] == [
        [(p.is_drum, p.notes) for p in c] for c in candidates
    ]
    song = SongChromaticScorer(
        concept=SCENARIOS[0].concept, color="Indigo", bpm=84.0, meter=Meter(4, 4)
    )
    assert [s.match for s in song.chromatic(heard)] == [
        s.match for s in song.chromatic_table(table)
    ]


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
