"""Tests of the generic GA engine on toy genomes defined here (no product genomes needed)."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evolution.engine import EvolutionConfig, EvolutionResult, GenerationStats, evolve
from evolution.executor import EvaluationError, LocalExecutor

Genome = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TupleOps:
    """Genomes are tuples of ``length`` ints in ``0..alphabet-1``; distance is Hamming/length."""

    length: int = 24
    alphabet: int = 12

    def random(self, rng: np.random.Generator) -> Genome:
        return tuple(int(v) for v in rng.integers(0, self.alphabet, size=self.length))

    def mutate(self, genome: Genome, rng: np.random.Generator) -> Genome:
        values = list(genome)
        for _ in range(int(rng.integers(1, 3))):
            values[int(rng.integers(0, self.length))] = int(rng.integers(0, self.alphabet))
        return tuple(values)

    def crossover(self, a: Genome, b: Genome, rng: np.random.Generator) -> Genome:
        if self.length < 2:
            return a
        cut = int(rng.integers(1, self.length))
        return a[:cut] + b[cut:]

    def identity(self, genome: Genome) -> Hashable:
        return genome

    def distance(self, a: Genome, b: Genome) -> float:
        return sum(x != y for x, y in zip(a, b, strict=True)) / self.length


@dataclass(frozen=True, slots=True)
class Card:
    """A score card as a caller would keep it: the composite plus a detail."""

    composite: float
    matches: int


@dataclass
class TargetScorer:
    """Fitness = fraction of positions matching a hidden target; records every evaluation."""

    target: Genome
    evaluated: list[Genome] = field(default_factory=list)
    calls: int = 0

    def __call__(self, genomes: Sequence[Genome]) -> list[Card]:
        self.calls += 1
        self.evaluated.extend(genomes)
        return [self.card(genome) for genome in genomes]

    def card(self, genome: Genome) -> Card:
        matches = sum(x == y for x, y in zip(genome, self.target, strict=True))
        return Card(composite=matches / len(self.target), matches=matches)


def composite(card: Card) -> float:
    return card.composite


def target_for(ops: TupleOps, seed: int = 1234) -> Genome:
    return ops.random(np.random.default_rng(seed))


def run_target(
    seed: int, config: EvolutionConfig, ops: TupleOps | None = None
) -> tuple[EvolutionResult[Genome, Card], TargetScorer]:
    ops = ops or TupleOps()
    scorer = TargetScorer(target_for(ops))
    result = evolve(
        ops=ops,
        evaluate=scorer,
        fitness=composite,
        config=config,
        rng=np.random.default_rng(seed),
    )
    return result, scorer


SMALL = EvolutionConfig(population_size=30, generations=25, patience=25, top_n=5)


def test_best_and_mean_rise_over_generations() -> None:
    result, _ = run_target(0, SMALL)
    first, last = result.history[0], result.history[-1]
    assert result.initial_best == first.best
    assert result.initial_mean == first.mean
    assert last.best >= result.initial_best + 0.25
    assert last.mean >= result.initial_mean + 0.25
    assert result.population[0].fitness == last.best
    # score objects are kept whole, and the fitness is the composite read from them
    assert all(item.fitness == item.score.composite for item in result.population)
    assert [item.fitness for item in result.population] == sorted(
        (item.fitness for item in result.population), reverse=True
    )


def test_best_never_decreases() -> None:
    config = EvolutionConfig(
        population_size=12, generations=30, elite=1, immigrant_rate=0.5, patience=30
    )
    result, _ = run_target(3, config)
    bests = [stats.best for stats in result.history]
    assert all(b >= a for a, b in itertools.pairwise(bests))
    assert len(result.history) == 31


def test_elites_are_kept_despite_the_diversity_guard() -> None:
    # Near-copies of the best are pushed down by the guard, but the ``elite`` best are exempt,
    # so the final population holds the ``elite`` best fitnesses ever evaluated in the run.
    elite = 4
    config = EvolutionConfig(
        population_size=10, generations=15, elite=elite, min_distance=0.6, patience=15
    )
    result, scorer = run_target(6, config)
    ever = sorted((scorer.card(genome).composite for genome in scorer.evaluated), reverse=True)
    assert [item.fitness for item in result.population[:elite]] == ever[:elite]


def test_same_seed_same_result_different_seed_different_result() -> None:
    first, _ = run_target(7, SMALL)
    again, _ = run_target(7, SMALL)
    other, _ = run_target(8, SMALL)
    assert first.history == again.history
    assert [s.genome for s in first.top] == [s.genome for s in again.top]
    assert [s.genome for s in first.population] == [s.genome for s in again.population]
    assert first.history != other.history
    assert [s.genome for s in first.top] != [s.genome for s in other.top]


def test_no_genome_is_evaluated_twice_and_counts_match() -> None:
    # a small space (3**6 = 729) makes duplicate children frequent
    ops = TupleOps(length=6, alphabet=3)
    config = EvolutionConfig(population_size=16, generations=20, patience=20, min_distance=0.0)
    result, scorer = run_target(5, config, ops)
    assert len(scorer.evaluated) == len(set(scorer.evaluated))
    assert sum(stats.evaluated for stats in result.history) == len(scorer.evaluated)


def test_population_never_holds_duplicates() -> None:
    ops = TupleOps(length=4, alphabet=3)  # 81 genomes, population 20
    seen: list[GenerationStats] = []
    config = EvolutionConfig(population_size=20, generations=15, patience=15, min_distance=0.0)
    scorer = TargetScorer(target_for(ops))
    result = evolve(
        ops=ops,
        evaluate=scorer,
        fitness=composite,
        config=config,
        rng=np.random.default_rng(2),
        seeds=[(0, 0, 0, 0)] * 5,
        on_generation=seen.append,
    )
    assert list(result.history) == seen
    assert all(stats.unique == stats.size == 20 for stats in result.history)
    genomes = [item.genome for item in result.population]
    assert len(genomes) == len(set(genomes)) == 20
    assert scorer.evaluated[0] == (0, 0, 0, 0)  # the repeated seed, once
    assert scorer.evaluated.count((0, 0, 0, 0)) == 1


def test_seeds_start_the_population() -> None:
    ops = TupleOps()
    target = target_for(ops)
    scorer = TargetScorer(target)
    config = EvolutionConfig(population_size=10, generations=0)
    result = evolve(
        ops=ops,
        evaluate=scorer,
        fitness=composite,
        config=config,
        rng=np.random.default_rng(0),
        seeds=[target, target],
    )
    assert scorer.evaluated[0] == target
    assert result.population[0].genome == target
    fitnesses = [item.fitness for item in result.population]
    assert fitnesses == sorted(fitnesses, reverse=True)
    assert scorer.evaluated.count(target) == 1
    assert result.initial_best == 1.0
    assert result.generations_run == 0 and len(result.history) == 1


def test_tiny_genome_space_does_not_loop_forever() -> None:
    ops = TupleOps(length=1, alphabet=3)
    result, _ = run_target(0, EvolutionConfig(population_size=10, generations=5), ops)
    assert len(result.population) == 3
    assert sorted(s.genome for s in result.population) == [(0,), (1,), (2,)]


def test_constant_fitness_stops_after_patience() -> None:
    config = EvolutionConfig(population_size=8, generations=50, patience=4)
    result = evolve(
        ops=TupleOps(),
        evaluate=lambda genomes: [0.5] * len(genomes),
        fitness=float,
        config=config,
        rng=np.random.default_rng(0),
    )
    assert result.stopped_early
    assert result.generations_run == 4
    assert len(result.history) == 5
    assert all(stats.best == 0.5 for stats in result.history)


def test_improving_run_does_not_stop_early() -> None:
    config = EvolutionConfig(population_size=30, generations=8, patience=5)
    result, _ = run_target(0, config)
    assert not result.stopped_early
    assert result.generations_run == 8


def test_diversity_guard_keeps_population_more_diverse() -> None:
    def final_diversity(min_distance: float) -> float:
        config = EvolutionConfig(
            population_size=30, generations=20, patience=20, min_distance=min_distance
        )
        result, _ = run_target(11, config)
        return result.history[-1].diversity

    assert final_diversity(0.3) > final_diversity(0.0) + 0.05


def test_top_is_diverse_and_best_first() -> None:
    config = EvolutionConfig(population_size=30, generations=15, patience=15, top_n=6)
    result, _ = run_target(4, config)
    ops = TupleOps()
    top = [s.genome for s in result.top]
    assert len(top) == 6
    assert result.top[0] == result.population[0]
    assert [s.fitness for s in result.top] == sorted((s.fitness for s in result.top), reverse=True)
    for i, a in enumerate(top):
        for b in top[i + 1 :]:
            assert ops.distance(a, b) >= config.min_distance


def test_evaluate_that_raises_is_an_evaluation_error_not_zero_fitness() -> None:
    def broken(genomes: Sequence[Genome]) -> list[float]:
        raise KeyError("chromatic_match")

    with pytest.raises(EvaluationError) as info:
        evolve(
            ops=TupleOps(),
            evaluate=broken,
            fitness=float,
            config=EvolutionConfig(population_size=6, generations=2),
            rng=np.random.default_rng(0),
        )
    assert info.value.failed == 6
    assert isinstance(info.value.__cause__, KeyError)


def test_failure_in_a_later_generation_surfaces() -> None:
    calls = {"n": 0}

    def flaky(genomes: Sequence[Genome]) -> list[float]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker died")
        return [0.3] * len(genomes)

    with pytest.raises(EvaluationError, match="worker died"):
        evolve(
            ops=TupleOps(),
            evaluate=flaky,
            fitness=float,
            config=EvolutionConfig(population_size=6, generations=5),
            rng=np.random.default_rng(0),
        )


@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_number_of_results_is_an_error(delta: int) -> None:
    with pytest.raises(EvaluationError, match="results for a batch of"):
        evolve(
            ops=TupleOps(),
            evaluate=lambda genomes: [0.5] * (len(genomes) + delta),
            fitness=float,
            config=EvolutionConfig(population_size=6, generations=1),
            rng=np.random.default_rng(0),
        )


@pytest.mark.parametrize("bad", [float("nan"), 1.5, -1.1, float("inf")])
def test_invalid_fitness_is_an_error(bad: float) -> None:
    with pytest.raises(EvaluationError, match="invalid fitness") as info:
        evolve(
            ops=TupleOps(),
            evaluate=lambda genomes: [bad if g[0] % 2 else 0.5 for g in genomes],
            fitness=float,
            config=EvolutionConfig(population_size=20, generations=1),
            rng=np.random.default_rng(0),
        )
    assert 0 < info.value.failed < 20


def test_local_executor_batches_in_order_and_counts_failures() -> None:
    batches: list[int] = []

    def evaluate(genomes: Sequence[int]) -> list[int]:
        batches.append(len(genomes))
        return [g * 10 for g in genomes]

    assert LocalExecutor(batch_size=4).map_fitness(evaluate, list(range(10))) == [
        g * 10 for g in range(10)
    ]
    assert batches == [4, 4, 2]
    assert LocalExecutor().map_fitness(evaluate, [1, 2]) == [10, 20]
    assert LocalExecutor().map_fitness(evaluate, []) == []

    def fails_on_odd(genomes: Sequence[int]) -> list[int]:
        if any(g % 2 for g in genomes):
            raise ValueError(f"odd in {list(genomes)}")
        return list(genomes)

    with pytest.raises(EvaluationError) as info:
        LocalExecutor(batch_size=2).map_fitness(fails_on_odd, [0, 2, 4, 5, 6, 7])
    assert (info.value.failed, info.value.total) == (4, 6)
    assert isinstance(info.value.__cause__, ValueError)
    assert "[4, 5]" in str(info.value.__cause__)
    with pytest.raises(ValueError, match="batch_size"):
        LocalExecutor(batch_size=0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("population_size", 1),
        ("generations", -1),
        ("elite", 8),
        ("elite", -1),
        ("tournament_size", 0),
        ("crossover_rate", 1.5),
        ("mutation_rate", -0.1),
        ("immigrant_rate", float("nan")),
        ("patience", 0),
        ("min_improvement", -1e-3),
        ("min_distance", 2.0),
        ("top_n", 0),
        ("population_size", True),
        ("duplicate_retries", 0),
    ],
)
def test_config_validation_names_field_and_value(name: str, value: object) -> None:
    kwargs: dict[str, object] = {"population_size": 8, name: value}
    with pytest.raises(ValueError, match=rf"EvolutionConfig\.{name} = {value!r}.*allowed"):
        EvolutionConfig(**kwargs)  # type: ignore[arg-type]


def test_default_config_is_valid() -> None:
    config = EvolutionConfig()
    assert (config.population_size, config.generations, config.top_n) == (64, 30, 10)


@dataclass(frozen=True, slots=True)
class ArrayOps:
    """Mutable numpy genomes: a correct engine must never change one after creation."""

    length: int = 10

    def random(self, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, 4, size=self.length).astype(np.int8)

    def mutate(self, genome: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        child = genome.copy()
        child[int(rng.integers(0, self.length))] = int(rng.integers(0, 4))
        return child

    def crossover(self, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cut = int(rng.integers(1, self.length))
        return np.concatenate([a[:cut], b[cut:]])

    def identity(self, genome: np.ndarray) -> Hashable:
        return genome.tobytes()

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(a != b))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    population_size=st.integers(2, 12),
    elite_fraction=st.floats(0.0, 0.99),
    generations=st.integers(0, 6),
    crossover_rate=st.floats(0.0, 1.0),
    mutation_rate=st.floats(0.0, 1.0),
    immigrant_rate=st.floats(0.0, 1.0),
    min_distance=st.floats(0.0, 1.0),
)
def test_engine_never_changes_genomes_and_keeps_population_size(
    seed: int,
    population_size: int,
    elite_fraction: float,
    generations: int,
    crossover_rate: float,
    mutation_rate: float,
    immigrant_rate: float,
    min_distance: float,
) -> None:
    snapshots: list[tuple[np.ndarray, bytes]] = []

    def evaluate(genomes: Sequence[np.ndarray]) -> list[float]:
        snapshots.extend((g, g.tobytes()) for g in genomes)
        return [float(np.mean(g == 3)) for g in genomes]

    config = EvolutionConfig(
        population_size=population_size,
        generations=generations,
        elite=int(elite_fraction * population_size),
        crossover_rate=crossover_rate,
        mutation_rate=mutation_rate,
        immigrant_rate=immigrant_rate,
        min_distance=min_distance,
        patience=max(1, generations),
    )
    result = evolve(
        ops=ArrayOps(),
        evaluate=evaluate,
        fitness=float,
        config=config,
        rng=np.random.default_rng(seed),
    )
    # every genome ever evaluated (parents included) is unchanged at the end of the run
    assert all(genome.tobytes() == before for genome, before in snapshots)
    assert all(stats.size == population_size for stats in result.history)
    assert len(result.population) == population_size
    keys = [item.genome.tobytes() for item in result.population]
    assert len(set(keys)) == population_size
    bests = [stats.best for stats in result.history]
    assert all(b >= a for a, b in itertools.pairwise(bests))
