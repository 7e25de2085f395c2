"""Time one chords phase (population 64 x 30 generations) and candidates scored per second."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from agents.phases.chords import ChordEvaluator
from bench.common import write_result
from evolution.engine import EvolutionConfig, evolve
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
from music.keys import Key
from music.meter import Meter
from scoring.composite import Weights


def main() -> Path:
    key, meter = Key(9, "minor"), Meter(4, 4)
    model = ChordTransitionModel.load()
    ops = ChordOps(key=key, meter=meter, bars=4, model=model)
    evaluator = ChordEvaluator(ops=ops, weights=Weights())
    runs = []
    for seed in range(3):
        config = EvolutionConfig(population_size=64, generations=30, patience=30)
        t0 = time.perf_counter()
        result = evolve(
            ops=ops,
            evaluate=evaluator,
            fitness=lambda c: c.composite,
            config=config,
            rng=np.random.default_rng(seed),
            seeds=workhorse_genomes(key, meter, 4),
        )
        seconds = time.perf_counter() - t0
        evaluated = sum(h.evaluated for h in result.history)
        runs.append(
            {
                "seconds": seconds,
                "evaluated": evaluated,
                "generations": result.generations_run,
                "initial_best": result.initial_best,
                "final_best": result.population[0].fitness,
            }
        )
    genomes = [ops.random(np.random.default_rng(i)) for i in range(256)]
    t0 = time.perf_counter()
    evaluator(genomes)
    score_rate = len(genomes) / (time.perf_counter() - t0)
    phase_s = float(np.median([r["seconds"] for r in runs]))
    data = {
        "population": 64,
        "generations": 30,
        "phase_seconds_median": round(phase_s, 3),
        "candidates_per_second_in_evolution": round(
            float(np.median([r["evaluated"] / r["seconds"] for r in runs])), 1
        ),
        "candidates_per_second_scoring_only": round(score_rate, 1),
        "runs": runs,
    }
    path = write_result("chords_phase", data)
    print(f"chords phase 64x30: {phase_s:.2f} s median; scoring {score_rate:.0f} candidates/s")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
