"""Drum transformer sampling speed on onnxruntime (bars per second at batch 1 and batch 16, one
bar regenerated in context), and a drum evolution of 64 x 30 with the transformer bank."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.common import write_result
from evolution.engine import EvolutionConfig, evolve
from generators.drums.genome import DrumGenome
from generators.drums.operators import DrumOps, seed_genomes
from generators.drums.transformer import DrumTransformer
from music.meter import Meter
from scoring.composite import TheoryScores
from scoring.drums import DrumPattern, score_drums

BARS = 4


def _sampling(model: DrumTransformer, batch: int, repeats: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    tokens = 0
    for _ in range(repeats):
        gs = model.sample_many(batch, "rock", Meter(4, 4), BARS, rng)
        tokens += sum(len(g.hits) for g in gs)
    seconds = time.perf_counter() - t0
    bars = batch * BARS * repeats
    return {
        "batch": batch,
        "bars": bars,
        "seconds": round(seconds, 3),
        "bars_per_second": round(bars / seconds, 2),
        "hits_per_second": round(tokens / seconds, 1),
    }


def _evolution(model: DrumTransformer | None) -> dict[str, float]:
    meter = Meter(4, 4)
    styles = ("rock", "funk", "half-time")
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    ops = DrumOps(meter=meter, bars=BARS, styles=styles, transformer=model).with_bank(rng)
    bank_s = time.perf_counter() - t0

    def evaluate(genomes: Sequence[DrumGenome]) -> list[TheoryScores]:
        return [
            score_drums(DrumPattern.of(g), mood=["driving"], genres=["rock"], bpm=110)
            for g in genomes
        ]

    config = EvolutionConfig(population_size=64, generations=30, patience=30)
    t1 = time.perf_counter()
    result = evolve(
        ops=ops,
        evaluate=evaluate,
        fitness=lambda card: card.total,
        config=config,
        rng=rng,
        seeds=seed_genomes(meter, BARS, styles, rng),
    )
    evolve_s = time.perf_counter() - t1
    return {
        "transformer": model is not None,
        "bank_patterns": len(ops.bank),
        "bank_seconds": round(bank_s, 3),
        "evolve_seconds": round(evolve_s, 3),
        "initial_best": round(result.initial_best, 4),
        "final_best": round(result.population[0].fitness, 4),
        "evaluated": sum(h.evaluated for h in result.history),
    }


def main() -> Path:
    model = DrumTransformer.load()
    t0 = time.perf_counter()
    model.regenerate_bar(
        model.sample_bars("funk", Meter(4, 4), BARS, np.random.default_rng(2)),
        BARS - 1,
        np.random.default_rng(3),
    )
    regen_s = time.perf_counter() - t0
    one = _sampling(model, 1, 3)
    sixteen = _sampling(model, 16, 1)
    evo = [_evolution(None), _evolution(model)]
    data = {
        "model": str(model.model.path.name),
        "n_params": model.model.sidecar.get("n_params"),
        "context": model.context,
        "threads": model.model.threads,
        "sampling": [one, sixteen],
        "sample_and_regenerate_seconds": round(regen_s, 3),
        "drum_evolution_64x30": evo,
    }
    path = write_result("drum_transformer", data)
    print(
        f"batch 1: {one['bars_per_second']} bars/s; batch 16: {sixteen['bars_per_second']} bars/s"
    )
    for e in evo:
        print(
            f"evolution 64x30 (transformer={e['transformer']}): bank {e['bank_seconds']} s, "
            f"evolve {e['evolve_seconds']} s, best {e['initial_best']} -> {e['final_best']}"
        )
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
