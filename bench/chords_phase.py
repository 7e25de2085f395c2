"""Time one chords phase (population 64 x 30 generations) and candidates scored per second,
with the evaluator the agent uses (theory scores with the style fit of the song's profile + the
ChromaticScorer's match + the key verdict, ranked feasibility first) and, for comparison,
theory scores alone. Goal (DESIGN §8):
one phase in under 15 s."""

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
from scoring.style.select import song_profile

CONCEPT = "a lighthouse keeper counts the hours of a long night, waves and a slow pulse of light"
GENRES = ("post-rock", "electronic")
MOOD = ("dreamy", "hypnotic")


def _phase(evaluator: ChordEvaluator, ops: ChordOps, key: Key, meter: Meter) -> dict[str, Any]:
    runs = []
    for seed in range(3):
        config = EvolutionConfig(population_size=64, generations=30, patience=30)
        t0 = time.perf_counter()
        result = evolve(
            ops=ops,
            evaluate=evaluator,
            fitness=lambda c: c.fitness,
            config=config,
            rng=np.random.default_rng(seed),
            seeds=workhorse_genomes(key, meter, 4),
        )
        seconds = time.perf_counter() - t0
        evaluated = sum(h.evaluated for h in result.history)
        runs.append(
            {
                "seconds": round(seconds, 3),
                "evaluated": evaluated,
                "generations": result.generations_run,
                "initial_best": round(result.initial_best, 4),
                "final_best": round(result.population[0].fitness, 4),
            }
        )
    genomes = [ops.random(np.random.default_rng(i)) for i in range(256)]
    t0 = time.perf_counter()
    evaluator(genomes)
    score_rate = len(genomes) / (time.perf_counter() - t0)
    return {
        "phase_seconds_median": round(float(np.median([r["seconds"] for r in runs])), 3),
        "candidates_per_second_in_evolution": round(
            float(np.median([r["evaluated"] / r["seconds"] for r in runs])), 1
        ),
        "candidates_per_second_scoring_only": round(score_rate, 1),
        "runs": runs,
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
    style = song_profile("chords", genres=GENRES, mood=MOOD, bpm=84.0, meter=str(meter))
    results = {
        "theory_and_chromatic": _phase(
            ChordEvaluator(ops=ops, weights=Weights(), chromatic_scorer=scorer, style=style),
            ops,
            key,
            meter,
        ),
        "theory_only": _phase(
            ChordEvaluator(ops=ops, weights=Weights(), style=style), ops, key, meter
        ),
    }
    path = write_result("chords_phase", {"population": 64, "generations": 30, **results})
    for name, r in results.items():
        print(
            f"chords phase 64x30 ({name}): {r['phase_seconds_median']:.2f} s median; "
            f"scoring {r['candidates_per_second_scoring_only']:.0f} candidates/s"
        )
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
