"""The Ray executor on a real local Ray (2 CPUs, started once for this module): the same seed
gives the same evolution as in-process scoring with the real chord evaluator, results come back
in order, a killed actor costs no candidate, and failures surface as EvaluationError."""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import ray

from evolution.engine import EvolutionConfig, EvolutionResult, evolve
from evolution.executor import EvaluationError, Executor, LocalExecutor
from evolution.executor_settings import ExecutorSettings, SettingError, make_executor, open_executor
from evolution.fitness.chords import ChordEvaluator
from evolution.lazy import Lazy, OnnxSettings
from evolution.ray_executor import PoolStartError, RayExecutor
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import ChordGenome, workhorse_genomes
from generators.chords.operators import ChordOps
from inference.onnx import OnnxModel
from music.keys import Key
from music.meter import Meter
from scoring.composite import ScoreCard, Weights


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    # Workers cannot import this test module by name: send its evaluators by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def chords() -> tuple[ChordOps, ChordEvaluator]:
    ops = ChordOps(
        key=Key(9, "minor"), meter=Meter(4, 4), bars=4, model=ChordTransitionModel.load()
    )
    return ops, ChordEvaluator(ops=ops, weights=Weights())


# Every pool here takes 0.5 CPU per actor, so the shared pool (1 CPU) and one more pool fit
# side by side on the 2-CPU Ray.
HALF = 0.5


@pytest.fixture(scope="module")
def pool() -> Iterator[RayExecutor]:
    """One pool shared by the tests that leave its actors alive."""
    with RayExecutor(num_actors=2, cpus_per_actor=HALF, batch_size=4) as executor:
        yield executor


# ---- evaluators (module level, so Ray workers import them by reference) ---------------------


def double(genomes: Sequence[int]) -> list[int]:
    return [2 * g for g in genomes]


def early_batches_slow(genomes: Sequence[int]) -> list[int]:
    """Batches holding small genomes finish last, so completion order differs from input."""
    if min(genomes) < 8:
        time.sleep(0.3)
    return [2 * g for g in genomes]


def raises_on_13(genomes: Sequence[int]) -> list[int]:
    if 13 in genomes:
        raise ValueError("genome 13 is malformed")
    return [2 * g for g in genomes]


def one_result_short(genomes: Sequence[int]) -> list[int]:
    return [2 * g for g in genomes][:-1]


def exit_always(genomes: Sequence[int]) -> list[int]:
    os._exit(3)


@dataclass(frozen=True, slots=True)
class ExitOnce:
    """Kills its own process in the first batch anywhere (a marker file decides), then scores
    with ``inner`` -- a worker crash in the middle of a batch."""

    inner: ChordEvaluator
    marker: str

    def __call__(self, genomes: Sequence[ChordGenome]) -> list[ScoreCard]:
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return self.inner(genomes)
        os._exit(1)


@dataclass(frozen=True, slots=True)
class SlowMarked:
    """Writes ``folder/<pid>`` when a batch starts, then scores slowly with ``inner``."""

    inner: ChordEvaluator
    folder: str

    def __call__(self, genomes: Sequence[ChordGenome]) -> list[ScoreCard]:
        Path(self.folder, str(os.getpid())).touch()
        time.sleep(0.4)
        return self.inner(genomes)


def load_linear_model(path: str, log: str, settings: OnnxSettings) -> OnnxModel:
    """Opens the ONNX model with the worker's settings and logs each load (pid, settings)."""
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()} {settings.threads} {','.join(settings.providers)}\n")
    return OnnxModel.load(Path(path), threads=settings.threads, providers=settings.providers)


@dataclass(frozen=True, slots=True)
class OnnxDot:
    """Fitness of a 4-vector genome = its dot product with the model's weights, via ONNX."""

    path: str
    log: str
    onnx: OnnxSettings = field(default_factory=OnnxSettings)
    model: Lazy[OnnxModel] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        lazy = Lazy(functools.partial(load_linear_model, self.path, self.log, self.onnx))
        object.__setattr__(self, "model", lazy)

    def with_onnx(self, onnx: OnnxSettings) -> OnnxDot:
        """The settings the executor gives (the actor's constructor argument)."""
        return self if onnx == self.onnx else OnnxDot(path=self.path, log=self.log, onnx=onnx)

    def __call__(self, genomes: Sequence[tuple[float, ...]]) -> list[float]:
        x = np.asarray(genomes, dtype=np.float32)  # [B, 4]
        return [float(v) for v in self.model.get().run({"x": x})["y"][:, 0]]


def _linear_onnx(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.array([[0.1], [0.2], [0.3], [0.4]], np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "dot",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.save(model, str(path))
    return path


# ---- equality with in-process scoring -------------------------------------------------------


def test_same_seed_same_evolution_as_local(chords: tuple[ChordOps, ChordEvaluator]) -> None:
    ops, evaluator = chords
    config = EvolutionConfig(population_size=24, generations=4, top_n=5)
    seeds = workhorse_genomes(ops.key, ops.meter, ops.bars)

    def run(executor: Executor) -> EvolutionResult[ChordGenome, ScoreCard]:
        return evolve(
            ops=ops,
            evaluate=evaluator,
            fitness=lambda card: card.composite,
            config=config,
            rng=np.random.default_rng(11),
            seeds=seeds,
            executor=executor,
        )

    local = run(LocalExecutor())
    with RayExecutor(num_actors=2, cpus_per_actor=HALF, batch_size=8) as executor:
        remote = run(executor)
        loads = [info["loads"] for info in executor.actor_info()]
    assert [s.genome for s in remote.top] == [s.genome for s in local.top]
    assert remote.history == local.history
    assert remote.population == local.population
    assert sum(h.evaluated for h in local.history) > config.population_size
    assert loads == [1, 1]  # the evaluator travelled to each actor once for 5 generations


def test_results_come_back_in_order(pool: RayExecutor) -> None:
    genomes = list(range(23))  # 6 batches of 4 and one of 3; the first ones finish last
    assert pool.map_fitness(early_batches_slow, genomes) == [2 * g for g in genomes]
    assert pool.map_fitness(double, [5]) == [10]
    assert pool.map_fitness(double, []) == []


def test_small_population_uses_every_actor(pool: RayExecutor) -> None:
    before = [info["batches"] for info in pool.actor_info()]
    assert pool.map_fitness(double, [1, 2]) == [2, 4]
    after = [info["batches"] for info in pool.actor_info()]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]


# ---- failures -------------------------------------------------------------------------------


def test_evaluate_that_raises_is_an_error_not_a_low_fitness(pool: RayExecutor) -> None:
    replaced = pool.replaced
    with pytest.raises(EvaluationError, match="genome 13 is malformed") as info:
        pool.map_fitness(raises_on_13, list(range(20)))
    assert info.value.failed == 4 and info.value.total == 20  # only the batch holding 13
    assert "candidates 12..15" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)
    assert pool.replaced == replaced  # a raising evaluate is not retried; no actor was lost


@dataclass
class HoldsALock:
    """An evaluator with state that cannot be pickled (as an onnxruntime session)."""

    lock: threading.Lock

    def __call__(self, genomes: Sequence[int]) -> list[int]:
        return [2 * g for g in genomes]


def test_unpicklable_evaluator_is_a_clear_error(pool: RayExecutor) -> None:
    with pytest.raises(EvaluationError, match=r"does not pickle.*Lazy field") as info:
        pool.map_fitness(HoldsALock(threading.Lock()), [1, 2, 3])
    assert (info.value.failed, info.value.total) == (3, 3)


def test_wrong_number_of_results_is_an_error(pool: RayExecutor) -> None:
    with pytest.raises(EvaluationError, match="exactly one score per genome") as info:
        pool.map_fitness(one_result_short, list(range(8)))
    assert info.value.failed == 8


def test_worker_crash_mid_batch_loses_no_candidate(
    chords: tuple[ChordOps, ChordEvaluator], tmp_path: Path
) -> None:
    ops, evaluator = chords
    genomes = [ops.random(np.random.default_rng(i)) for i in range(40)]
    expected = evaluator(genomes)
    crashing = ExitOnce(inner=evaluator, marker=str(tmp_path / "crashed"))
    with RayExecutor(num_actors=2, cpus_per_actor=HALF, batch_size=8) as executor:
        assert executor.map_fitness(crashing, genomes) == expected
        assert executor.replaced == 1
    assert (tmp_path / "crashed").exists()  # the crash really happened


def test_actor_killed_mid_batch_loses_no_candidate(
    chords: tuple[ChordOps, ChordEvaluator], tmp_path: Path
) -> None:
    ops, evaluator = chords
    genomes = [ops.random(np.random.default_rng(100 + i)) for i in range(32)]
    expected = evaluator(genomes)
    slow = SlowMarked(inner=evaluator, folder=str(tmp_path))
    # 8 batches of 4, about 0.4 s each: the victim is still busy for a second after it starts.
    with RayExecutor(num_actors=2, cpus_per_actor=HALF, batch_size=4) as executor:
        executor.start()
        victim = executor.actors[0]
        started = tmp_path / str(executor.actor_info()[0]["pid"])
        with ThreadPoolExecutor(max_workers=1) as thread:
            future = thread.submit(executor.map_fitness, slow, genomes)
            for _ in range(1200):  # the victim is inside a batch once its marker exists
                if started.exists() or future.done():
                    break
                time.sleep(0.05)
            assert started.exists()
            ray.kill(victim, no_restart=True)
            assert future.result() == expected
        assert executor.replaced == 1
        assert executor.actors[0] is not victim


def test_batch_that_always_crashes_raises_after_its_tries() -> None:
    executor = RayExecutor(num_actors=2, cpus_per_actor=HALF, batch_size=4, max_attempts=2)
    with executor, pytest.raises(EvaluationError, match="lost its actor on all 2 tries") as info:
        executor.map_fitness(exit_always, list(range(8)))
    assert info.value.failed == 8 and info.value.total == 8
    assert executor.replaced >= 2  # each try ran on a fresh actor


# ---- ONNX session in a lazy field: once per actor, with the actor's settings ----------------


def test_onnx_session_loads_once_per_actor(tmp_path: Path) -> None:
    path = _linear_onnx(tmp_path / "dot.onnx")
    log = tmp_path / "loads.txt"
    evaluator = OnnxDot(path=str(path), log=str(log))
    rng = np.random.default_rng(0)
    populations = [[tuple(float(v) for v in rng.random(4)) for _ in range(16)] for _ in range(3)]
    local = [LocalExecutor().map_fitness(evaluator, p) for p in populations]
    assert evaluator.model.loaded  # built in this process; pickling must leave the session out
    gpu_first = ("CUDAExecutionProvider", "CPUExecutionProvider")  # CPU where no CUDA
    with RayExecutor(
        num_actors=2, cpus_per_actor=HALF, batch_size=4, providers=gpu_first
    ) as executor:
        remote = [executor.map_fitness(evaluator, p) for p in populations]
        infos = executor.actor_info()
    pids = {info["pid"] for info in infos}
    assert remote == local
    assert {(tuple(i["providers"]), i["threads"]) for i in infos} == {(gpu_first, 1)}
    lines = log.read_text().split("\n")[:-1]
    assert lines[0].split(maxsplit=1)[1] == "1 CPUExecutionProvider"  # in-process: 1 thread
    loads = lines[1:]  # then once per actor, with the settings of its constructor
    assert sorted(int(line.split()[0]) for line in loads) == sorted(pids)
    assert {line.split(maxsplit=1)[1] for line in loads} == {
        "1 CUDAExecutionProvider,CPUExecutionProvider"
    }


def test_lazy_pickles_as_its_factory_only() -> None:
    import pickle

    lazy: Lazy[dict[str, int]] = Lazy(functools.partial(dict, a=1))
    assert not lazy.loaded and lazy.get() == {"a": 1} and lazy.loaded
    copy = pickle.loads(pickle.dumps(lazy))
    assert not copy.loaded and copy.get() == {"a": 1}
    with pytest.raises(ValueError, match=r"Lazy.factory = 3"):
        Lazy(3)


# ---- settings and builders ------------------------------------------------------------------


def test_settings_validate_and_merge() -> None:
    base = ExecutorSettings()
    assert base.kind == "local" and base.actors == 2
    proposal = {"executor": "ray", "actors": 3, "batch_size": 16}  # a proposal's evolution block
    cli = {"actors": None, "ray_address": "10.0.0.1:6379", "cpus_per_actor": 0.5}
    merged = base.with_values(proposal).with_values(cli)
    assert (merged.kind, merged.actors, merged.batch_size) == ("ray", 3, 16)
    assert (merged.address, merged.cpus_per_actor) == ("10.0.0.1:6379", 0.5)
    with pytest.raises(ValueError, match=r"kind = 'spark'.*local or ray"):
        ExecutorSettings(kind="spark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"actors = 0 .*integer >= 1"):
        ExecutorSettings(actors=0)
    with pytest.raises(ValueError, match=r"cpus_per_actor = 0 .*number > 0"):
        ExecutorSettings(cpus_per_actor=0)
    with pytest.raises(ValueError, match=r"workers = 3 .*one of"):
        base.with_values({"workers": 3})
    with pytest.raises(SettingError) as info:  # named parts, for the proposal's and CLI's errors
        base.with_values({"executor": "ray", "batch_size": True})
    assert (info.value.name, info.value.value) == ("batch_size", True)
    assert info.value.allowed.startswith("an integer >= 1")
    assert isinstance(make_executor("local"), LocalExecutor)
    ray_executor = make_executor("ray", num_actors=1, gpus_per_actor=0.5)
    assert isinstance(ray_executor, RayExecutor)
    assert ray_executor.onnx.providers == ("CUDAExecutionProvider", "CPUExecutionProvider")


def test_open_executor_scores_and_leaves_a_running_ray_alone() -> None:
    with open_executor(
        ExecutorSettings(kind="ray", actors=1, cpus_per_actor=HALF, batch_size=3)
    ) as executor:
        assert executor.map_fitness(double, [1, 2, 3, 4]) == [2, 4, 6, 8]
    assert ray.is_initialized()
    with open_executor() as local:
        assert local.map_fitness(double, [7]) == [14]


def test_pool_larger_than_the_cluster_is_refused(pool: RayExecutor) -> None:
    with pytest.raises(ValueError, match=r"3 actors x cpus_per_actor need 3 CPU .* has 2"):
        RayExecutor(num_actors=3).start()
    # It fits the cluster, but the shared pool holds 1 of the 2 CPUs: a clear error, no hang.
    with pytest.raises(PoolStartError, match=r"did not start within 2 s.*CPU and .*GPU free"):
        RayExecutor(num_actors=2, cpus_per_actor=1, start_timeout_s=2).start()
