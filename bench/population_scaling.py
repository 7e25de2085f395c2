"""How a chords phase's cost grows with the population: evolution (theory scores, the
ChromaticScorer's match, the diversity guard) at population 64 and 256, same generations,
CPU seconds of this process. Goal (issue 11): 256 costs at most 4.5x 64, i.e. about linear."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_result
from evolution.engine import EvolutionConfig, evolve
from evolution.fitness.chords import ChordEvaluator
from evolution.fitness.chromatic import SongChromaticScorer
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
from music.keys import Key
from music.meter import Meter
from scoring.composite import Weights

CONCEPT = "a lighthouse keeper counts the hours of a long night, waves and a slow pulse of light"
GENERATIONS = 15
GOAL_RATIO = 4.5


def _cost(population: int, evaluator: ChordEvaluator, ops: ChordOps, key: Key) -> dict[str, Any]:
    config = EvolutionConfig(population_size=population, generations=GENERATIONS, patience=99)
    c0, t0 = time.process_time(), time.perf_counter()
    result = evolve(
        ops=ops,
        evaluate=evaluator,
        fitness=lambda c: c.fitness,
        config=config,
        rng=np.random.default_rng(0),
        seeds=workhorse_genomes(key, ops.meter, 4),
    )
    return {
        "cpu_seconds": round(time.process_time() - c0, 3),
        "seconds": round(time.perf_counter() - t0, 3),
        "evaluated": sum(h.evaluated for h in result.history),
    }


def main() -> Path:
    key, meter = Key(9, "minor"), Meter(4, 4)
    ops = ChordOps(key=key, meter=meter, bars=4, model=ChordTransitionModel.load())
    scorer = SongChromaticScorer(
        model=None,
        concept=CONCEPT,
        color="Indigo",
        bpm=84.0,
        meter=meter,
    )
    scorer.scorer.get().prepare_concept(CONCEPT)  # load the model and MiniLM before timing
    evaluator = ChordEvaluator(ops=ops, weights=Weights(), chromatic_scorer=scorer)
    figures = {str(n): _cost(n, evaluator, ops, key) for n in (64, 256)}
    ratio = figures["256"]["cpu_seconds"] / figures["64"]["cpu_seconds"]
    data = {
        "generations": GENERATIONS,
        "populations": figures,
        "cpu_ratio_256_over_64": round(ratio, 2),
        "goal_ratio": GOAL_RATIO,
    }
    path = write_result("population_scaling", data)
    for n, f in figures.items():
        cost = f"{f['cpu_seconds']:.2f} s CPU ({f['seconds']:.2f} s)"
        print(f"chords evolution {n}x{GENERATIONS}: {cost}")
    print(f"population 256 / 64: {ratio:.2f}x CPU (goal <= {GOAL_RATIO}x); wrote {path}")
    return path


if __name__ == "__main__":
    main()
