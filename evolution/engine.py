"""The generic genetic-algorithm engine: population, selection, elitism, diversity, early stop.

:func:`evolve` works on any genome type through a :class:`~evolution.operators.GenomeOps`
object and scores candidates through a caller's ``evaluate`` function, batched by an
:class:`~evolution.executor.Executor`. The score objects stay whole (e.g. a score card); a
``fitness`` function reads a number in [-1, 1] from each: a composite in [0, 1], or a negative
number for a candidate that breaks a constraint (it ranks below every candidate that keeps it:
feasibility first, as in Deb's constraint handling for genetic algorithms).

Determinism: every random choice comes from the one ``rng`` passed in, populations are kept in
lists in a defined order, and sets/dicts are used for membership only, so the same seed gives
the same run.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeGuard, TypeVar

import numpy as np

from evolution.diversity import (
    DistanceCache,
    PoolDistances,
    mean_pairwise_distance,
    select_diverse,
)
from evolution.executor import EvaluationError, Executor, LocalExecutor, check_batch_results
from evolution.operators import GenomeOps, SignatureDistance

logger = logging.getLogger(__name__)

G = TypeVar("G")
S = TypeVar("S")

_DIVERSITY_PAIRS = 256  # pairs sampled for GenerationStats.diversity


def _require(name: str, value: object, ok: bool, allowed: str) -> None:
    if not ok:
        raise ValueError(f"EvolutionConfig.{name} = {value!r} is invalid; allowed: {allowed}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class EvolutionConfig:
    """Settings of one evolutionary run; validated on construction.

    Attributes:
        population_size: members kept each generation (>= 2).
        generations: generations evolved after the initial population (>= 0).
        elite: best members of parents + children kept unchanged each generation, exempt from
            the diversity guard, so the best fitness never falls (0..population_size-1).
        tournament_size: contestants per tournament selection (>= 1).
        crossover_rate: probability a child is bred by crossover rather than copied.
        mutation_rate: probability a child is mutated.
        immigrant_rate: fraction of population_size replaced by fresh random genomes per
            generation, to keep diversity.
        patience: stop when the best fitness has not improved by more than ``min_improvement``
            for this many generations (>= 1).
        min_improvement: improvement of the best fitness that resets ``patience`` (>= 0).
        min_distance: diversity guard in [0, 1]; survivors and the top N closer than this to a
            better member are ranked below distinct ones.
        top_n: size of the diverse top list in the result (>= 1).
        duplicate_retries: re-mutations of a child that duplicates a member before it is
            replaced by a random genome; also bounds attempts to fill a tiny genome space.
    """

    population_size: int = 64
    generations: int = 30
    elite: int = 4
    tournament_size: int = 3
    crossover_rate: float = 0.7
    mutation_rate: float = 0.9
    immigrant_rate: float = 0.1
    patience: int = 10
    min_improvement: float = 1e-4
    min_distance: float = 0.15
    top_n: int = 10
    duplicate_retries: int = 8

    def __post_init__(self) -> None:
        pop = self.population_size
        _require("population_size", pop, _is_int(pop) and pop >= 2, "an integer >= 2")
        gens = self.generations
        _require("generations", gens, _is_int(gens) and gens >= 0, "an integer >= 0")
        elite = self.elite
        allowed = f"an integer in 0..{pop - 1} (below population_size)"
        _require("elite", elite, _is_int(elite) and 0 <= elite < pop, allowed)
        for name in ("tournament_size", "patience", "top_n", "duplicate_retries"):
            value = getattr(self, name)
            _require(name, value, _is_int(value) and value >= 1, "an integer >= 1")
        for name in ("crossover_rate", "mutation_rate", "immigrant_rate", "min_distance"):
            value = getattr(self, name)
            _require(name, value, _is_number(value) and 0 <= value <= 1, "a number in [0, 1]")
        value = self.min_improvement
        ok = _is_number(value) and math.isfinite(value) and value >= 0
        _require("min_improvement", value, ok, "a finite number >= 0")


@dataclass(frozen=True, slots=True)
class GenerationStats:
    """Figures of one generation (generation 0 is the initial population).

    Attributes:
        generation: index, 0 for the initial population.
        best: highest fitness in the population.
        mean: mean fitness of the population.
        diversity: mean pairwise genome distance over a deterministic sample of pairs.
        unique: number of distinct genome keys in the population.
        size: number of members in the population.
        evaluated: new evaluations made for this generation (cache hits excluded).
    """

    generation: int
    best: float
    mean: float
    diversity: float
    unique: int
    size: int
    evaluated: int


@dataclass(frozen=True, slots=True)
class Scored(Generic[G, S]):
    """A genome with its full score object and the fitness in [-1, 1] read from it."""

    genome: G
    score: S
    fitness: float


@dataclass(frozen=True, slots=True)
class EvolutionResult(Generic[G, S]):
    """Outcome of :func:`evolve`.

    Attributes:
        population: the final population, best-first.
        top: the diverse top N chosen from it with the diversity guard, best-first.
        history: stats per generation, starting with generation 0 (the initial population).
        initial_best: best fitness of the initial population.
        initial_mean: mean fitness of the initial population.
        stopped_early: True if the run stopped on ``patience`` before ``generations``.
        generations_run: generations evolved after the initial population.
    """

    population: tuple[Scored[G, S], ...]
    top: tuple[Scored[G, S], ...]
    history: tuple[GenerationStats, ...]
    initial_best: float
    initial_mean: float
    stopped_early: bool
    generations_run: int


class _Run(Generic[G, S]):
    """State of one call of :func:`evolve`: the operators, the rng and the score cache."""

    def __init__(
        self,
        *,
        ops: GenomeOps[G],
        evaluate: Callable[[Sequence[G]], Sequence[S]],
        fitness: Callable[[S], float],
        config: EvolutionConfig,
        rng: np.random.Generator,
        executor: Executor,
    ) -> None:
        self.ops = ops
        self.evaluate = evaluate
        self.fitness = fitness
        self.config = config
        self.rng = rng
        self.executor = executor
        self.cache: dict[Hashable, Scored[G, S]] = {}
        self.distance = DistanceCache(ops.distance)
        # The one-to-many form, when the operators have one (same values, one call per item),
        # and the distances of a whole pool from array signatures (same values, each pair
        # compared once while both genomes survive).
        self.distances = getattr(ops, "distances", None)
        self.pool: PoolDistances[G] | None = (
            PoolDistances(ops) if isinstance(ops, SignatureDistance) else None
        )

    def matrix(self, genomes: Sequence[G]) -> np.ndarray | None:
        """The distances between ``genomes`` from signatures, or None (pairwise instead)."""
        return self.pool(genomes) if self.pool is not None else None

    def fresh(self, taken: dict[Hashable, G]) -> G | None:
        """A random genome whose key is not in ``taken``, or None after bounded attempts."""
        for _ in range(self.config.duplicate_retries):
            genome = self.ops.random(self.rng)
            if self.ops.identity(genome) not in taken:
                return genome
        return None

    def initial(self, seeds: Sequence[G]) -> list[G]:
        """Seeds (deduplicated, up to population_size), then random genomes until full."""
        size = self.config.population_size
        members: dict[Hashable, G] = {}
        for genome in seeds:
            if len(members) >= size:
                break
            members.setdefault(self.ops.identity(genome), genome)
        misses = 0
        limit = size * self.config.duplicate_retries
        while len(members) < size and misses < limit:
            genome = self.ops.random(self.rng)
            key = self.ops.identity(genome)
            if key in members:
                misses += 1
            else:
                members[key] = genome
        if len(members) < size:
            logger.warning(
                "only %d distinct genomes found for a population of %d; "
                "the genome space is too small, continuing with a smaller population",
                len(members),
                size,
            )
        return list(members.values())

    def score(self, genomes: Sequence[G]) -> tuple[list[Scored[G, S]], int]:
        """Scores of ``genomes`` (distinct keys), evaluating only uncached ones.

        Returns the scored genomes in input order and the number of new evaluations.
        """
        keys = [self.ops.identity(genome) for genome in genomes]
        missing = [
            genome for genome, key in zip(genomes, keys, strict=True) if key not in self.cache
        ]
        if missing:
            results = check_batch_results(
                self.executor.map_fitness(self.evaluate, missing), len(missing), total=len(missing)
            )
            problems: list[str] = []
            for genome, result in zip(missing, results, strict=True):
                value = self._fitness_of(result)
                if -1.0 <= value <= 1.0:  # False for NaN
                    self.cache[self.ops.identity(genome)] = Scored(genome, result, value)
                else:
                    problems.append(f"fitness {value!r} for genome {self.ops.identity(genome)!r}")
            if problems:
                raise EvaluationError(
                    f"{len(problems)} of {len(missing)} candidates got an invalid fitness; "
                    f"first: {problems[0]}; fitness must be a finite number in [-1, 1]",
                    failed=len(problems),
                    total=len(missing),
                )
        return [self.cache[key] for key in keys], len(missing)

    def _fitness_of(self, result: S) -> float:
        """The fitness read from one score object (NaN if it is not a number)."""
        try:
            return float(self.fitness(result))
        except (TypeError, ValueError):
            logger.warning("fitness of score %r is not a number", result)
            return math.nan

    def tournament(self, population: Sequence[Scored[G, S]]) -> G:
        """Tournament winner; ``population`` is best-first, so the lowest index wins."""
        picks = self.rng.integers(0, len(population), size=self.config.tournament_size)
        return population[int(picks.min())].genome

    def unique_child(self, child: G, taken: dict[Hashable, G]) -> G | None:
        """``child``, re-mutated while it duplicates a taken genome; a random one if it stays so."""
        for _ in range(self.config.duplicate_retries):
            if self.ops.identity(child) not in taken:
                return child
            child = self.ops.mutate(child, self.rng)
        if self.ops.identity(child) not in taken:
            return child
        return self.fresh(taken)

    def offspring(self, population: Sequence[Scored[G, S]]) -> list[G]:
        """New distinct genomes (children then immigrants) for one generation."""
        cfg = self.config
        taken: dict[Hashable, G] = {
            self.ops.identity(item.genome): item.genome for item in population
        }
        count = cfg.population_size - cfg.elite  # >= 1 by validation
        immigrants = min(count, round(cfg.immigrant_rate * cfg.population_size))
        new: list[G] = []
        for slot in range(count):
            child: G | None
            if slot < count - immigrants:
                child = self.tournament(population)
                if len(population) > 1 and self.rng.random() < cfg.crossover_rate:
                    child = self.ops.crossover(child, self.tournament(population), self.rng)
                if self.rng.random() < cfg.mutation_rate:
                    child = self.ops.mutate(child, self.rng)
                child = self.unique_child(child, taken)
            else:
                child = self.fresh(taken)
            if child is not None:
                taken[self.ops.identity(child)] = child
                new.append(child)
        return new

    def survivors(
        self, parents: Sequence[Scored[G, S]], children: Sequence[Scored[G, S]]
    ) -> list[Scored[G, S]]:
        """Best of parents + children with elitism and the diversity guard, best-first."""
        cfg = self.config
        pool = sorted([*parents, *children], key=lambda item: -item.fitness)
        chosen = select_diverse(
            pool,
            min(cfg.population_size, len(pool)),
            distance=self.distance,
            min_distance=cfg.min_distance,
            keep=min(cfg.elite, len(parents)),
            distances=self.distances,
            matrix=self.matrix([item.genome for item in pool]),
        )
        self.distance.retain([item.genome for item in chosen])
        return chosen

    def stats(
        self, generation: int, population: Sequence[Scored[G, S]], evaluated: int
    ) -> GenerationStats:
        fitnesses = [item.fitness for item in population]
        genomes = [item.genome for item in population]
        return GenerationStats(
            generation=generation,
            best=max(fitnesses),
            mean=math.fsum(fitnesses) / len(fitnesses),
            diversity=mean_pairwise_distance(
                genomes, self.distance, max_pairs=_DIVERSITY_PAIRS, matrix=self.matrix(genomes)
            ),
            unique=len({self.ops.identity(genome) for genome in genomes}),
            size=len(population),
            evaluated=evaluated,
        )


def evolve(
    *,
    ops: GenomeOps[G],
    evaluate: Callable[[Sequence[G]], Sequence[S]],
    fitness: Callable[[S], float],
    config: EvolutionConfig,
    rng: np.random.Generator,
    seeds: Sequence[G] = (),
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
) -> EvolutionResult[G, S]:
    """Evolve a population of genomes towards higher fitness.

    The initial population is ``seeds`` (deduplicated, up to ``population_size``) filled with
    random genomes. Each generation breeds ``population_size - elite`` new distinct genomes
    (tournament selection, crossover with ``crossover_rate`` else a copy, mutation with
    ``mutation_rate``, plus ``immigrant_rate`` fresh random ones), evaluates only genomes not
    seen before in this run, and keeps ``population_size`` survivors from parents + children:
    the ``elite`` best unconditionally, then best-first with the diversity guard.

    Args:
        ops: the genome operators.
        evaluate: scores a batch of genomes, one score object per genome, in order.
        fitness: reads the fitness in [-1, 1] from a score object (see above).
        config: run settings.
        rng: the one source of randomness; the same seed gives the same result.
        seeds: genomes to start from (e.g. earlier approvals).
        executor: runs the evaluations; in-process (:class:`LocalExecutor`) by default.
        on_generation: called with the stats of every generation, including generation 0.

    Raises:
        EvaluationError: if evaluation raises, returns the wrong number of results, or gives a
            fitness that is NaN or outside [-1, 1]. A failure is never scored as zero.
    """
    run: _Run[G, S] = _Run(
        ops=ops,
        evaluate=evaluate,
        fitness=fitness,
        config=config,
        rng=rng,
        executor=executor if executor is not None else LocalExecutor(),
    )
    population, evaluated = run.score(run.initial(seeds))
    population.sort(key=lambda item: -item.fitness)
    history = [run.stats(0, population, evaluated)]
    if on_generation is not None:
        on_generation(history[0])
    reference, stale, stopped_early = history[0].best, 0, False
    for generation in range(1, config.generations + 1):
        children, evaluated = run.score(run.offspring(population))
        population = run.survivors(population, children)
        stats = run.stats(generation, population, evaluated)
        history.append(stats)
        if on_generation is not None:
            on_generation(stats)
        logger.debug(
            "generation %d: best %.4f mean %.4f diversity %.3f evaluated %d",
            generation,
            stats.best,
            stats.mean,
            stats.diversity,
            stats.evaluated,
        )
        if stats.best > reference + config.min_improvement:
            reference, stale = stats.best, 0
        else:
            stale += 1
        if stale >= config.patience and generation < config.generations:
            stopped_early = True
            logger.info("stopping at generation %d: no improvement for %d", generation, stale)
            break
    top = select_diverse(
        population,
        config.top_n,
        distance=run.distance,
        min_distance=config.min_distance,
        distances=run.distances,
        matrix=run.matrix([item.genome for item in population]),
    )
    logger.info(
        "evolution done: best %.4f (initial %.4f) after %d generations, %d evaluations",
        history[-1].best,
        history[0].best,
        len(history) - 1,
        len(run.cache),
    )
    return EvolutionResult(
        population=tuple(population),
        top=tuple(top),
        history=tuple(history),
        initial_best=history[0].best,
        initial_mean=history[0].mean,
        stopped_early=stopped_early,
        generations_run=len(history) - 1,
    )
