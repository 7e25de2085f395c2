"""Tests of the diverse selection and the deterministic pairwise-distance measure."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evolution.diversity import mean_pairwise_distance, select_diverse
from evolution.engine import Scored

Genome = tuple[int, ...]


def hamming(a: Genome, b: Genome) -> float:
    return sum(x != y for x, y in zip(a, b, strict=True)) / len(a)


def scored(genome: Genome, fitness: float) -> Scored[Genome, float]:
    return Scored(genome=genome, score=fitness, fitness=fitness)


@dataclass
class CountingDistance:
    calls: int = 0

    def __call__(self, a: Genome, b: Genome) -> float:
        self.calls += 1
        return hamming(a, b)


def random_items(seed: int, count: int, length: int = 8) -> list[Scored[Genome, float]]:
    rng = np.random.default_rng(seed)
    return [
        scored(tuple(int(v) for v in rng.integers(0, 3, size=length)), float(rng.random()))
        for _ in range(count)
    ]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    count=st.integers(0, 40),
    n=st.integers(0, 12),
    min_distance=st.sampled_from([0.0, 0.125, 0.25, 0.5, 0.75]),
)
def test_select_diverse_keeps_guard_whenever_enough_distinct_items_exist(
    seed: int, count: int, n: int, min_distance: float
) -> None:
    items = random_items(seed, count)
    chosen = select_diverse(items, n, distance=hamming, min_distance=min_distance)
    assert len(chosen) == min(n, count)
    assert len({id(item) for item in chosen}) == len(chosen)
    fitnesses = [item.fitness for item in chosen]
    assert fitnesses == sorted(fitnesses, reverse=True)
    # the greedy pass alone: how many items are mutually far apart, best-first
    greedy: list[Scored[Genome, float]] = []
    for item in sorted(items, key=lambda it: -it.fitness):
        if all(hamming(item.genome, other.genome) >= min_distance for other in greedy):
            greedy.append(item)
    if len(greedy) >= n:
        assert chosen == sorted(greedy[:n], key=lambda it: -it.fitness)
        for a, b in itertools.combinations(chosen, 2):
            assert hamming(a.genome, b.genome) >= min_distance
    if chosen:
        assert chosen[0] is max(items, key=lambda it: it.fitness)


def test_near_copies_are_pushed_below_distinct_items() -> None:
    best = (0, 0, 0, 0, 0, 0, 0, 0)
    copy = (0, 0, 0, 0, 0, 0, 0, 1)  # distance 0.125 from best
    distinct = (1, 1, 1, 1, 2, 2, 2, 2)
    items = [scored(best, 0.9), scored(copy, 0.89), scored(distinct, 0.5)]
    chosen = select_diverse(items, 2, distance=hamming, min_distance=0.25)
    assert [item.genome for item in chosen] == [best, distinct]
    unguarded = select_diverse(items, 2, distance=hamming, min_distance=0.0)
    assert [item.genome for item in unguarded] == [best, copy]


def test_guard_is_relaxed_when_too_few_items_pass() -> None:
    base = (0,) * 8
    items = [scored(base, 0.9)] + [
        scored((*base[:i], 1, *base[i + 1 :]), 0.8 - i * 0.01) for i in range(8)
    ]
    chosen = select_diverse(items, 5, distance=hamming, min_distance=0.5)
    assert len(chosen) == 5
    assert chosen[0].genome == base
    # all candidates are within 0.25 of each other: after relaxation the best ones fill in
    assert [item.fitness for item in chosen] == [0.9, 0.8, 0.79, 0.78, 0.77]


def test_keep_takes_the_best_unconditionally() -> None:
    best = (0, 0, 0, 0)
    copy = (0, 0, 0, 1)
    far = (1, 1, 1, 1)
    items = [scored(far, 0.2), scored(copy, 0.8), scored(best, 0.9)]
    kept = select_diverse(items, 2, distance=hamming, min_distance=0.5, keep=2)
    assert [item.genome for item in kept] == [best, copy]
    guarded = select_diverse(items, 2, distance=hamming, min_distance=0.5)
    assert [item.genome for item in guarded] == [best, far]


def test_select_diverse_rejects_bad_arguments() -> None:
    items = random_items(0, 4)
    with pytest.raises(ValueError, match="min_distance"):
        select_diverse(items, 2, distance=hamming, min_distance=1.5)
    with pytest.raises(ValueError, match="keep"):
        select_diverse(items, 2, distance=hamming, min_distance=0.1, keep=3)
    with pytest.raises(ValueError, match=r"distance must be in \[0, 1\]"):
        select_diverse(items, 3, distance=lambda a, b: float("nan"), min_distance=0.1)


def test_mean_pairwise_distance_uses_all_pairs_when_few() -> None:
    genomes = [(0, 0), (0, 1), (1, 1)]
    # pairs: 0.5, 1.0, 0.5
    assert mean_pairwise_distance(genomes, hamming) == pytest.approx(2.0 / 3.0)
    assert mean_pairwise_distance([(0, 0)] * 5, hamming) == 0.0
    assert mean_pairwise_distance([(0, 0)], hamming) == 0.0
    assert mean_pairwise_distance([], hamming) == 0.0


def test_mean_pairwise_distance_samples_deterministically_and_stays_close() -> None:
    rng = np.random.default_rng(3)
    genomes = [tuple(int(v) for v in rng.integers(0, 4, size=16)) for _ in range(60)]
    exact = float(
        np.mean([hamming(a, b) for a, b in itertools.combinations(genomes, 2)])
    )  # 1770 pairs
    counter = CountingDistance()
    sampled = mean_pairwise_distance(genomes, counter, max_pairs=200)
    assert counter.calls == 200
    assert sampled == mean_pairwise_distance(genomes, hamming, max_pairs=200)
    assert sampled == pytest.approx(exact, abs=0.05)
    assert 0.0 <= sampled <= 1.0


@pytest.mark.parametrize("count", [2, 3, 7, 20])
def test_sampled_pairs_are_valid_and_distinct(count: int) -> None:
    seen: list[tuple[Genome, Genome]] = []

    def record(a: Genome, b: Genome) -> float:
        seen.append((a, b))
        return 0.0

    genomes = [(i,) for i in range(count)]
    total = count * (count - 1) // 2
    mean_pairwise_distance(genomes, record, max_pairs=max(1, total // 2))
    assert all(a[0] < b[0] for a, b in seen)
    assert len(set(seen)) == len(seen)
    mean_pairwise_distance(genomes, record, max_pairs=total)
    assert sorted(seen[-total:]) == sorted(itertools.combinations(genomes, 2))
