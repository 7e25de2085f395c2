"""Ray scaling: scoring throughput with 1 vs 2 actors on a population of 256, Ray's overhead per
batch against in-process calls, and a batch of 8 auto-approved proposals with 1 vs 2 workers.

    python -m bench.ray_scaling [--scorer PATH_TO_chromatic_scorer.onnx] [--no-batch]

Evaluators: the chord phase's ChordEvaluator with theory only (voicing, theory components,
transition-model likelihood), and, when a ChromaticScorer model is found (``--scorer``, else the
shipped artifact), the same evaluator with the agent's SongChromaticScorer, as ``chromatic run``
scores (one onnxruntime call per batch, the session built once per actor through
:class:`~evolution.lazy.Lazy`). Goal (DESIGN §8): 2 actors >= 1.6x one actor.

Times are the best and the median of interleaved repeats; the machine's load average is
recorded before and after, with the speed-up two plain processes get over one right then (no
Ray): on a shared 2-core machine other people's work takes CPU from the actors, and that figure
is the ceiling of every 2-worker ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import write_result

POPULATION = 256
BATCH_SIZE = 32
REPEATS = 10
ROUNDS = 2
OVERHEAD_BATCHES = 200
PROPOSALS = 8
# Each proposal runs the whole auto-approved song (4 phases, previews, render), ~20 s even this
# small on an idle 2-core machine, so 8 of them twice (1 and 2 workers) stay within minutes.
BATCH_POPULATION = 16
BATCH_GENERATIONS = 4
CONCEPT = "A lamp left burning in an empty house, waiting for someone to return."
COLORS = ("Red", "Orange", "Yellow", "Green", "Blue", "Indigo", "Violet", "Black")
KEYS = ("A minor", "D major", "E minor", "G major", "C major", "F# minor", "Bb major", "D minor")


@dataclass(frozen=True, slots=True)
class Timed:
    """``inner``'s scores, each with its share of the batch's compute seconds (timed inside the
    process that scores): the work itself, apart from Ray's transport and waiting."""

    inner: Callable[[Sequence[Any]], Sequence[Any]]

    def __call__(self, genomes: Sequence[Any]) -> list[tuple[Any, float]]:
        t = time.perf_counter()
        scores = self.inner(genomes)
        share = (time.perf_counter() - t) / len(genomes)
        return [(score, share) for score in scores]


def nothing(genomes: Sequence[Any]) -> list[float]:
    """A trivial evaluator: measures the executor's own cost per batch."""
    return [0.0] * len(genomes)


def _spin(_: int) -> float:
    """A fixed pure-Python loop; returns its own duration in seconds."""
    t = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return time.perf_counter() - t


def parallel_capacity() -> dict[str, float]:
    """How much two processes gain over one on this machine right now (no Ray): the ceiling
    for every 2-worker speed-up below. 2.0 on two idle cores; ~1.0 when others' work leaves
    about one core free."""
    from multiprocessing import get_context

    with get_context("fork").Pool(2) as pool:
        one, two = [], []
        for _ in range(3):
            t = time.perf_counter()
            pool.map(_spin, range(2))  # both processes in parallel
            two.append(time.perf_counter() - t)
            t = time.perf_counter()
            pool.map(_spin, range(1))
            one.append(time.perf_counter() - t)
    ceiling = 2 * statistics.median(one) / statistics.median(two)
    return {
        "one_process_s": round(statistics.median(one), 4),
        "two_processes_s": round(statistics.median(two), 4),
        "speedup_ceiling_2_vs_1": round(ceiling, 3),
    }


def _load() -> dict[str, Any]:
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    capacity = parallel_capacity()
    print(f"{out}; 2 processes do {capacity['speedup_ceiling_2_vs_1']:.2f}x the work of one")
    return {"uptime": out, "load_avg_1m": round(os.getloadavg()[0], 2), "capacity": capacity}


def _times(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "best_s": round(min(times), 4),
        "median_s": round(statistics.median(times), 4),
        "runs": len(times),
    }


def _time(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    return _summary(_times(fn, repeats))


def _evaluators(scorer_path: Path | None) -> tuple[Any, dict[str, Callable[[Sequence[Any]], Any]]]:
    """The chord operators (to draw genomes) and the evaluators to time, by name."""
    from evolution.fitness.chords import ChordEvaluator
    from evolution.fitness.chromatic import SongChromaticScorer
    from generators.chord_model import ChordTransitionModel
    from generators.chords.operators import ChordOps
    from music.keys import Key
    from music.meter import Meter
    from scoring.composite import Weights

    meter = Meter(4, 4)
    ops = ChordOps(key=Key(9, "minor"), meter=meter, bars=4, model=ChordTransitionModel.load())
    chords = ChordEvaluator(ops=ops, weights=Weights())
    out: dict[str, Callable[[Sequence[Any]], Any]] = {"chord_theory": chords}
    if scorer_path is not None and scorer_path.is_file():
        # The agent's own evaluator: theory plus the song's ChromaticScorer (Lazy: one per actor).
        scorer = SongChromaticScorer(
            model=str(scorer_path),
            concept=CONCEPT,
            color="Blue",
            bpm=90.0,
            meter=meter,
        )
        out["chord_theory+chromatic_scorer"] = ChordEvaluator(
            ops=ops, weights=Weights(), chromatic_scorer=scorer
        )
    return ops, out


def scoring_throughput(scorer_path: Path | None) -> dict[str, Any]:
    """In-process vs Ray with 1 and 2 actors on one population (same results checked).

    Both pools stay up side by side (3 actors on a Ray of 3 CPUs; an idle actor costs no CPU)
    and are called in turn, 1, 2, 1, 2, ..., so drifting load from other work hits both alike.
    """
    from evolution.executor import LocalExecutor
    from evolution.ray_executor import RayExecutor

    out: dict[str, Any] = {}
    ops, evaluators = _evaluators(scorer_path)
    genomes = [ops.random(np.random.default_rng(i)) for i in range(POPULATION)]
    with (
        RayExecutor(num_actors=1, batch_size=BATCH_SIZE) as one_pool,
        RayExecutor(num_actors=2, batch_size=BATCH_SIZE) as two_pool,
    ):
        pools = {1: one_pool, 2: two_pool}
        for name, evaluate in evaluators.items():
            expected = LocalExecutor().map_fitness(evaluate, genomes)
            runs = REPEATS * ROUNDS
            entry: dict[str, Any] = {"population": POPULATION, "batch_size": BATCH_SIZE}
            entry["in_process"] = _time(
                lambda: LocalExecutor().map_fitness(evaluate, genomes),  # noqa: B023
                runs,
            )
            times: dict[int, list[float]] = {1: [], 2: []}
            compute: dict[int, list[float]] = {1: [], 2: []}
            for pool in pools.values():  # warm-up: each actor loads the evaluator once
                if pool.map_fitness(evaluate, genomes) != expected:
                    raise RuntimeError(f"{name}: Ray scores differ from in-process scores")
            for _ in range(runs):
                for n, pool in pools.items():
                    times[n] += _times(lambda: pool.map_fitness(evaluate, genomes), 1)  # noqa: B023
            for _ in range(ROUNDS):
                for n, pool in pools.items():
                    timed = pool.map_fitness(Timed(evaluate), genomes)
                    compute[n].append(sum(share for _, share in timed))
            for n, ts in times.items():
                entry[f"ray_{n}_actor"] = _summary(ts)
                # CPU seconds of scoring summed over the actors: about equal for 1 and 2 actors
                # on free cores; up to 2x for 2 actors when they share one core with other work.
                entry[f"ray_{n}_actor"]["scoring_s_summed_over_actors"] = round(
                    statistics.median(compute[n]), 4
                )
            local = entry["in_process"]
            one, two = entry["ray_1_actor"], entry["ray_2_actor"]
            entry["speedup_2_vs_1_actor_best"] = round(one["best_s"] / two["best_s"], 3)
            entry["speedup_2_vs_1_actor_median"] = round(one["median_s"] / two["median_s"], 3)
            entry["speedup_2_actors_vs_in_process_median"] = round(
                local["median_s"] / two["median_s"], 3
            )
            entry["candidates_per_second_2_actors"] = round(POPULATION / two["median_s"], 1)
            entry["scoring_slowdown_2_actors_per_candidate"] = round(
                two["scoring_s_summed_over_actors"] / one["scoring_s_summed_over_actors"], 3
            )
            out[name] = entry
            print(
                f"{name}: 256 candidates in-process {local['median_s']:.3f} s, 1 actor "
                f"{one['median_s']:.3f} s, 2 actors {two['median_s']:.3f} s "
                f"-> {entry['speedup_2_vs_1_actor_median']:.2f}x (best-of {runs}: "
                f"{entry['speedup_2_vs_1_actor_best']:.2f}x); each candidate's own scoring "
                f"takes {entry['scoring_slowdown_2_actors_per_candidate']:.2f}x as long with "
                "2 actors"
            )
    return out


def batch_overhead() -> dict[str, Any]:
    """Cost per batch of a trivial evaluator: one-genome batches, in-process vs one actor."""
    from evolution.executor import LocalExecutor
    from evolution.ray_executor import RayExecutor

    genomes = list(range(OVERHEAD_BATCHES))
    local = _time(lambda: LocalExecutor(batch_size=1).map_fitness(nothing, genomes), 3)
    with RayExecutor(num_actors=1, batch_size=1) as pool:
        pool.map_fitness(nothing, genomes)  # warm-up
        pipelined = _time(lambda: pool.map_fitness(nothing, genomes), 3)
        single = _time(lambda: pool.map_fitness(nothing, [0]), 30)
    per = OVERHEAD_BATCHES / 1000
    data = {
        "batches": OVERHEAD_BATCHES,
        "in_process_ms_per_batch": round(local["median_s"] / per, 4),
        "ray_ms_per_batch_pipelined": round(pipelined["median_s"] / per, 3),
        "ray_ms_round_trip_one_batch": round(single["median_s"] * 1000, 3),
    }
    print(
        f"overhead per batch: in-process {data['in_process_ms_per_batch']:.4f} ms, Ray "
        f"{data['ray_ms_per_batch_pipelined']:.2f} ms pipelined, "
        f"{data['ray_ms_round_trip_one_batch']:.2f} ms for one lone batch"
    )
    return data


def _write_proposals(folder: Path) -> list[Path]:
    paths = []
    for i in range(PROPOSALS):
        path = folder / f"song_{i}.yml"
        path.write_text(
            f"title: Scaling song {i}\nconcept: {CONCEPT}\ncolor: {COLORS[i]}\n"
            f"key: {KEYS[i]}\nbpm: {90 + 5 * i}\nseed: {i}\n"
            "sections: [{name: verse, bars: 8}, {name: chorus, bars: 4}]\n"
            f"evolution: {{population_size: {BATCH_POPULATION}, "
            f"generations: {BATCH_GENERATIONS}}}\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def proposal_batch() -> dict[str, Any]:
    """8 auto-approved proposals with 1 and 2 workers, each on a fresh local Ray."""
    import ray

    from agents.batch import run_batch
    from evolution.ray_executor import ray_session

    out: dict[str, Any] = {
        "proposals": PROPOSALS,
        "population_size": BATCH_POPULATION,
        "generations": BATCH_GENERATIONS,
    }
    with tempfile.TemporaryDirectory(prefix="ray-scaling-") as tmp:
        proposals = _write_proposals(Path(tmp))
        for workers in (1, 2):
            t0 = time.perf_counter()
            with ray_session(num_cpus=workers):
                ray.get(ray.remote(lambda: None).remote())  # Ray is up and a worker ran
                start = time.perf_counter() - t0
                t1 = time.perf_counter()
                results = run_batch(
                    proposals,
                    out_dir=Path(tmp) / f"runs_{workers}",
                    auto_approve=True,
                    workers=workers,
                )
                wall = time.perf_counter() - t1
            failed = [r.error for r in results if not r.ok]
            if failed:
                raise RuntimeError(f"batch with {workers} workers failed: {failed}")
            out[f"workers_{workers}"] = {
                "ray_start_s": round(start, 2),
                "batch_wall_s": round(wall, 2),
                "sum_of_run_s": round(sum(r.seconds for r in results), 2),
                "best_composites": [r.best_composite for r in results],
            }
            print(f"8 proposals, {workers} worker(s): {wall:.1f} s (Ray start {start:.1f} s)")
    one, two = out["workers_1"], out["workers_2"]
    out["speedup_2_vs_1_workers"] = round(one["batch_wall_s"] / two["batch_wall_s"], 3)
    out["same_results"] = one["best_composites"] == two["best_composites"]
    print(f"batch speed-up 2 vs 1 workers: {out['speedup_2_vs_1_workers']:.2f}x")
    return out


def _scorer_path(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    from scoring.chromatic import default_model_path

    path = default_model_path()
    return path if path.is_file() else None


def _against_ceiling(data: dict[str, Any]) -> dict[str, float]:
    """Each 2-vs-1 speed-up as a fraction of what two processes could gain right then (the
    lower of the capacities measured before and after): ~1.0 means Ray lost nothing."""
    ceiling = min(
        data[k]["capacity"]["speedup_ceiling_2_vs_1"] for k in ("load_before", "load_after")
    )
    out = {"machine_ceiling_2_vs_1": ceiling}
    for name, entry in data.get("scoring", {}).items():
        out[f"{name}_median"] = round(entry["speedup_2_vs_1_actor_median"] / ceiling, 3)
    if "batch_of_proposals" in data:
        out["batch_of_proposals"] = round(
            data["batch_of_proposals"]["speedup_2_vs_1_workers"] / ceiling, 3
        )
    return out


def main(argv: Sequence[str] | None = None) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorer", help="a chromatic_scorer.onnx (default: the shipped one)")
    parser.add_argument(
        "--no-batch",
        action="store_true",
        help="skip the batch of proposals (minutes); results go to ray_scaling_scoring.json",
    )
    args = parser.parse_args(argv)
    from evolution.ray_executor import ray_session

    started = time.perf_counter()
    scorer = _scorer_path(args.scorer)
    data: dict[str, Any] = {"load_before": _load(), "scorer_model": str(scorer) if scorer else None}
    with ray_session(num_cpus=3):  # room for the 1- and the 2-actor pool at once
        data["scoring"] = scoring_throughput(scorer)
        data["overhead"] = batch_overhead()
    if not args.no_batch:
        data["batch_of_proposals"] = proposal_batch()
    data["load_after"] = _load()
    data["goal_speedup_2_vs_1_actor"] = 1.6
    data["speedup_as_fraction_of_machine_ceiling"] = _against_ceiling(data)
    data["bench_wall_s"] = round(time.perf_counter() - started, 1)
    path = write_result("ray_scaling_scoring" if args.no_batch else "ray_scaling", data)
    print(f"wrote {path} ({data['bench_wall_s']:.0f} s)")
    return path


if __name__ == "__main__":
    main()
