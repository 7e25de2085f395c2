"""One-to-many genome distances (``ops.distances``) give exactly the floats of the pairwise
``ops.distance``, for bass, melody and chords in several meters, over random genomes and their
mutated and crossed relatives (which share bars, the case the pairwise code short-cuts); and the
diversity guard chooses the same survivors with or without them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from evolution.diversity import select_diverse
from generators.bass.operators import BassOps
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
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
