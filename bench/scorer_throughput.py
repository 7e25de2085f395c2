"""ChromaticScorer throughput: onnxruntime vs torch eager on the same batch, and the time to
score one population of 64 generated chord candidates in one call.

    python -m bench.scorer_throughput

Goals (DESIGN §8): onnxruntime >= 3x torch eager on the same batch of 64; one population of 64
scored in one call in well under 100 ms. Both runtimes use the same number of threads. Times
are the best of several interleaved repeats (the machine is shared; the best is the least
disturbed), with medians reported beside them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_result

REPEATS = 15
BATCH = 64


def _timings(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _ms(ts: list[float]) -> dict[str, float]:
    return {
        "best_ms": round(min(ts) * 1000, 2),
        "median_ms": round(statistics.median(ts) * 1000, 2),
    }


def run(model: Path | None = None, *, threads: int = 1, seed: int = 0) -> dict[str, Any]:
    import torch

    from scoring.chromatic import ChromaticScorer
    from scoring.midi_features import midi_features
    from training.scorer.export import torch_outputs
    from training.scorer.graph import load_graph
    from training.scorer.probes import SCENARIOS, chord_population

    torch.set_num_threads(threads)
    scorer = ChromaticScorer.load(model, threads=threads)
    graph, _ = load_graph(scorer.model.path.with_suffix(".npz"))
    sc = SCENARIOS[0]
    pop = chord_population(
        key=sc.key, meter=sc.meter, bpm=sc.bpm, size=BATCH, rng=np.random.default_rng(seed)
    )
    concept = scorer.prepare_concept(sc.concept)
    feats = [midi_features(c.parts, bpm=c.bpm, meter=c.meter) for c in pop]
    inputs = scorer.model_inputs(feats, concept)  # the exact arrays both runtimes get

    ort_ts: list[float] = []
    torch_ts: list[float] = []
    for _ in range(3):  # interleave, so load changes hit both alike
        ort_ts += _timings(lambda: scorer.model.run(inputs), REPEATS)
        torch_ts += _timings(lambda: torch_outputs(graph, inputs), max(3, REPEATS // 3))
    end_to_end = _timings(lambda: scorer.score_batch(pop, concept, color=sc.color), REPEATS)
    from_features = _timings(lambda: scorer.score_batch(feats, concept, color=sc.color), REPEATS)
    features_only = _timings(
        lambda: [midi_features(c.parts, bpm=c.bpm, meter=c.meter) for c in pop], 5
    )
    ratio_best = min(torch_ts) / min(ort_ts)
    ratio_median = statistics.median(torch_ts) / statistics.median(ort_ts)
    return {
        "model": str(scorer.model.path),
        "batch": BATCH,
        "threads": threads,
        "onnxruntime_model_call": _ms(ort_ts),
        "torch_eager_model_call": _ms(torch_ts),
        "speedup_best": round(ratio_best, 2),
        "speedup_median": round(ratio_median, 2),
        "speedup_goal": 3.0,
        "speedup_meets_goal": bool(ratio_best >= 3.0),
        "score_batch_64_from_parts": _ms(end_to_end),
        "score_batch_64_from_features": _ms(from_features),
        "feature_extraction_64": _ms(features_only),
        "population_goal_ms": 100.0,
        "population_meets_goal": bool(min(end_to_end) * 1000 < 100.0),
        "candidates_per_second_onnxruntime": round(BATCH / min(ort_ts), 1),
    }


def main() -> dict[str, Any]:
    results = {"threads_1": run(threads=1), "threads_2": run(threads=2)}
    for name, r in results.items():
        print(
            f"{name}: onnxruntime {r['onnxruntime_model_call']['best_ms']} ms, torch eager "
            f"{r['torch_eager_model_call']['best_ms']} ms -> {r['speedup_best']}x "
            f"(median {r['speedup_median']}x); score_batch(64) from parts "
            f"{r['score_batch_64_from_parts']['best_ms']} ms, from features "
            f"{r['score_batch_64_from_features']['best_ms']} ms"
        )
    path = write_result("scorer_throughput", results)
    print(f"wrote {path}")
    return results


if __name__ == "__main__":
    main()
