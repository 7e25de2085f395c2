"""One-to-many genome distances (``ops.distances``) and distances read from array signatures
(``ops.signatures`` / ``ops.signature_distances``, one against many and pair by pair) give
exactly the floats of the pairwise ``ops.distance``, for bass, melody, chords and drums in
several meters, over random genomes and their mutated and crossed relatives (which share bars,
the case the pairwise code short-cuts); and the diversity guard and the diversity figure come
out the same with or without them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from evolution.diversity import PoolDistances, mean_pairwise_distance, select_diverse
from evolution.operators import SignatureDistance
from generators.bass.operators import BassOps
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
from generators.drums.operators import DrumOps
from generators.harmony import chord_timeline
from generators.melody.operators import MelodyOps
from music.keys import Key
from music.meter import Meter

METERS = [Meter(4, 4), Meter(3, 4), Meter(7, 8), Meter(6, 8), Meter(12, 8)]
MODEL = ChordTransitionModel.load()


def _all_ops(meter: Meter) -> list[Any]:
    key = Key(9, "minor")
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=8)
    return [
        BassOps(harmony=harmony, meter=meter, bars=8),
        MelodyOps(key=key, meter=meter, harmony=harmony, bars=8),
        ChordOps(key=key, meter=meter, bars=8, model=MODEL),
        DrumOps(meter=meter, bars=8, styles=("rock", "shuffle", "funk", "sparse")),
    ]


def _family(ops: Any, rng: np.random.Generator, size: int = 40) -> list[Any]:
    """Random genomes, then mutants and children of earlier ones (shared bars, near copies)."""
    genomes = [ops.random(rng) for _ in range(size // 4)]
    while len(genomes) < size:
        a = genomes[int(rng.integers(len(genomes)))]
        b = genomes[int(rng.integers(len(genomes)))]
        genomes.append(ops.mutate(a, rng) if rng.random() < 0.6 else ops.crossover(a, b, rng))
    genomes.append(genomes[0])  # the same object: distance 0
    return genomes


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_batched_distances_equal_pairwise_bit_for_bit(meter: Meter) -> None:
    rng = np.random.default_rng(11)
    for ops in _all_ops(meter):
        genomes = _family(ops, rng)
        for g in genomes:
            batched = ops.distances(g, genomes)
            pairwise = np.array([ops.distance(g, o) for o in genomes], dtype=np.float64)
            assert batched.dtype == np.float64
            assert batched.tolist() == pairwise.tolist(), type(ops).__name__
        assert ops.distances(genomes[0], [genomes[0]]).tolist() == [0.0]
        assert ops.distances(genomes[0], []).shape == (0,)


@dataclass(frozen=True)
class _Item:
    genome: Any
    fitness: float


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(7, 8)], ids=str)
def test_diversity_guard_chooses_the_same_with_batched_distances(meter: Meter) -> None:
    rng = np.random.default_rng(5)
    for ops in _all_ops(meter):
        genomes = _family(ops, rng, size=80)
        items: Sequence[_Item] = [_Item(g, float(rng.random())) for g in genomes]
        for guard in (0.05, 0.2, 0.5):
            plain = select_diverse(items, 30, distance=ops.distance, min_distance=guard, keep=2)
            batched = select_diverse(
                items,
                30,
                distance=ops.distance,
                min_distance=guard,
                keep=2,
                distances=ops.distances,
            )
            assert [id(i) for i in batched] == [id(i) for i in plain]


def test_bad_batched_distance_is_refused_with_the_value() -> None:
    items = [_Item(0, 1.0), _Item(1, 0.5)]

    def bad(genome: int, others: Sequence[int]) -> np.ndarray:
        return np.full(len(others), 1.5)

    with pytest.raises(ValueError, match=r"1\.5"):
        select_diverse(items, 2, distance=lambda a, b: 0.0, min_distance=0.1, distances=bad)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_signature_distances_equal_pairwise_bit_for_bit(meter: Meter) -> None:
    rng = np.random.default_rng(23)
    for ops in _all_ops(meter):
        assert isinstance(ops, SignatureDistance)
        genomes = _family(ops, rng)
        rows = ops.signatures(genomes)
        assert rows is not None, type(ops).__name__
        every = ops.signature_distances(rows[:, None], rows[None, :])
        pairwise = [[ops.distance(a, b) for b in genomes] for a in genomes]
        assert every.tolist() == pairwise, type(ops).__name__
        assert np.array_equal(every, every.T)
        first = rng.integers(len(genomes), size=50)
        second = rng.integers(len(genomes), size=50)
        pairs = ops.signature_distances(rows[first], rows[second]).tolist()
        assert pairs == [pairwise[i][j] for i, j in zip(first, second, strict=True)]


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(7, 8)], ids=str)
def test_pool_distances_kept_between_calls_equal_pairwise(meter: Meter) -> None:
    """Each call compares only the genomes it has not seen with the pool; the matrix is the
    pairwise distance all the same, and the guard and the diversity figure read from it come
    out as with the pairwise distance."""
    rng = np.random.default_rng(8)
    for ops in _all_ops(meter):
        genomes = _family(ops, rng, size=80)
        pool = PoolDistances(ops)
        first = pool(genomes[:50])
        assert first is not None and pool.computed == 50 * 50
        later = pool(genomes[30:])
        seen = {id(g) for g in genomes[:50]}
        fresh = sum(id(g) not in seen for g in genomes[30:])  # operators may return a parent
        assert later is not None and pool.computed == 50 * 50 + fresh * 51
        pairwise = [[ops.distance(a, b) for b in genomes[30:]] for a in genomes[30:]]
        assert later.tolist() == pairwise, type(ops).__name__
        items: Sequence[_Item] = [_Item(g, float(rng.random())) for g in genomes[30:]]
        for guard in (0.05, 0.2, 0.5):
            plain = select_diverse(items, 30, distance=ops.distance, min_distance=guard, keep=2)
            read = select_diverse(
                items, 30, distance=ops.distance, min_distance=guard, keep=2, matrix=later
            )
            assert [id(i) for i in read] == [id(i) for i in plain], type(ops).__name__
        for pairs in (10, 256, 10_000):
            assert mean_pairwise_distance(
                genomes[30:], ops.distance, max_pairs=pairs, matrix=later
            ) == mean_pairwise_distance(genomes[30:], ops.distance, max_pairs=pairs)


def test_genomes_without_common_signatures_fall_back_to_the_pairwise_distance() -> None:
    meter = Meter(4, 4)
    key = Key(9, "minor")
    rng = np.random.default_rng(3)
    four = ChordOps(key=key, meter=meter, bars=4, model=MODEL)
    eight = ChordOps(key=key, meter=meter, bars=8, model=MODEL)
    genomes = [four.random(rng) for _ in range(6)] + [eight.random(rng) for _ in range(6)]
    assert eight.signatures(genomes) is None
    assert PoolDistances(eight)(genomes) is None
    assert eight.distances(genomes[0], genomes).tolist() == [
        eight.distance(genomes[0], g) for g in genomes
    ]
