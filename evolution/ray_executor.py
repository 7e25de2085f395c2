"""The Ray executor: a pool of scoring actors behind the :class:`~evolution.executor.Executor`
protocol, and :func:`ray_session`, which joins or starts Ray and shuts down what it started.

How a call of :meth:`RayExecutor.map_fitness` runs:

- the ``evaluate`` object is ``ray.put`` once per distinct object (kept by identity, the last
  few), and each actor unpickles it once and caches it by a stable key, so heavy state inside
  it (an ONNX session in a :class:`~evolution.lazy.Lazy` field) is built once per actor;
- genomes are cut into batches (at most ``batch_size``, and small enough that every actor gets
  work), at most two batches in flight per actor; results come back in the order of genomes;
- an actor that dies (process crash, ``ray.kill``, out of memory) is replaced by a fresh one and
  its batches are sent again, up to ``max_attempts`` tries per batch, so no candidate is lost;
  a batch that dies on every try, or an ``evaluate`` that raises, surfaces as
  :class:`~evolution.executor.EvaluationError` -- never as a low fitness.

Each actor gets its :class:`~evolution.lazy.OnnxSettings` (providers, threads) as a constructor
argument and gives them to each evaluator it unpickles (:func:`~evolution.lazy.bind_onnx`).
Ray is imported only when an executor starts, never at import time.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache
from typing import Any, Final, TypeVar

from evolution.executor import EvaluationError
from evolution.lazy import (
    CPU_PROVIDERS,
    GPU_PROVIDERS,
    OnnxSettings,
    bind_onnx,
)
from evolution.ray_dispatch import Dispatch, Shared

logger = logging.getLogger(__name__)

G = TypeVar("G")
ScoreT = TypeVar("ScoreT")

EVALUATORS_KEPT: Final = 4
"""Distinct evaluate objects kept (driver: object refs; actor: unpickled objects), LRU."""
DEFAULT_BATCH_SIZE: Final = 32


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"RayExecutor.{name} = {value!r} is invalid; allowed: an integer >= {low}")
    return value


def _check_amount(name: str, value: object, *, positive: bool) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and (number > 0 if positive else number >= 0):
            return number
    allowed = "a number > 0" if positive else "a number >= 0"
    raise ValueError(f"RayExecutor.{name} = {value!r} is invalid; allowed: {allowed}")


@contextmanager
def ray_session(
    *, address: str | None = None, num_cpus: int | None = None, num_gpus: int | None = None
) -> Iterator[bool]:
    """Use the Ray this process is connected to, else join ``address`` (a cluster started with
    ``ray start --head``; ``"auto"`` finds a local one), else start a local Ray with
    ``num_cpus`` CPUs (default 2) bound to 127.0.0.1 (:func:`loopback_only`), no dashboard,
    and workers at this process's priority (not Ray's default nice 15). Yields True when this
    call started or joined Ray, and then shuts it down on exit; a Ray already running is left
    as it is."""
    import ray

    if ray.is_initialized():
        yield False
        return
    if address is not None:
        logger.info("joining the Ray cluster at %s", address)
        ray.init(address=address, log_to_driver=True)
        try:
            yield True
        finally:
            ray.shutdown()
        return
    cpus = 2 if num_cpus is None else num_cpus
    logger.info("starting a local Ray with %d CPUs on 127.0.0.1", cpus)
    # Ray lowers its workers' priority (nice 15) by default; here the workers do this
    # command's main work, so they keep the priority of the command that started them.
    config = {"worker_niceness": 0}
    with loopback_only():
        ray.init(num_cpus=cpus, num_gpus=num_gpus, include_dashboard=False, _system_config=config)
        try:
            yield True
        finally:
            ray.shutdown()


#: Ray's switch for multi-machine clusters; off, a local Ray uses and listens on 127.0.0.1.
_CLUSTER_ENV: Final = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


@contextmanager
def loopback_only() -> Iterator[None]:
    """While it lasts, a Ray started here binds its node (GCS, raylet, workers) to 127.0.0.1
    instead of the machine's network address, so nothing outside this machine can reach it.
    Ray does so when its cluster switch is off (its own default on macOS and Windows); the
    switch is read by the Ray processes started now (environment) and by this process's Ray
    (its constant), and both are put back on exit, so joining a cluster later works."""
    from ray._private import ray_constants

    saved_env = os.environ.get(_CLUSTER_ENV)
    saved_flag = ray_constants.ENABLE_RAY_CLUSTER
    os.environ[_CLUSTER_ENV] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved_flag
        if saved_env is None:
            os.environ.pop(_CLUSTER_ENV, None)
        else:
            os.environ[_CLUSTER_ENV] = saved_env


class PoolStartError(RuntimeError):
    """The scoring actors could not be placed on the cluster in time."""


class _ScoringActor:
    """One scoring worker process: keeps the evaluate objects it was sent, by key."""

    def __init__(self, onnx: OnnxSettings) -> None:
        self.onnx = onnx
        self._evaluators: OrderedDict[str, Callable[[Sequence[Any]], Sequence[Any]]] = OrderedDict()
        self.loads = 0
        self.batches = 0

    def _evaluator(self, key: str, holder: list[Any]) -> Callable[[Sequence[Any]], Sequence[Any]]:
        found = self._evaluators.get(key)
        if found is not None:
            self._evaluators.move_to_end(key)
            return found
        import ray

        evaluate: Callable[[Sequence[Any]], Sequence[Any]] = bind_onnx(
            ray.get(holder[0]), self.onnx
        )
        self.loads += 1
        self._evaluators[key] = evaluate
        while len(self._evaluators) > EVALUATORS_KEPT:
            self._evaluators.popitem(last=False)
        return evaluate

    def evaluate(self, key: str, holder: list[Any], batch: list[Any]) -> Sequence[Any]:
        """Scores of ``batch`` (checked by the driver); ``holder`` wraps the evaluator's object
        ref so Ray passes the ref itself, fetched only when this actor has not cached ``key``."""
        evaluate = self._evaluator(key, holder)
        self.batches += 1
        return evaluate(batch)

    def info(self) -> dict[str, Any]:
        """Process id, evaluator loads and batches so far, the ONNX settings it gives its
        evaluators, and the GPUs Ray gave it."""
        return {
            "pid": os.getpid(),
            "loads": self.loads,
            "batches": self.batches,
            "providers": list(self.onnx.providers),
            "threads": self.onnx.threads,
            "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        }


@cache
def _actor_class() -> Any:
    import ray

    return ray.remote(_ScoringActor)


class RayExecutor:
    """Scores batches on a pool of Ray actors; see the module docstring.

    Args:
        num_actors: scoring actors in the pool (>= 1).
        cpus_per_actor: CPUs Ray reserves per actor; also the ONNX intra-op threads (rounded
            down, at least 1) each actor gives its evaluators (:func:`~evolution.lazy.bind_onnx`).
        gpus_per_actor: GPUs Ray reserves per actor (0 = CPU only; 0.5 shares one GPU by two).
        batch_size: most genomes per actor call (>= 1); a population is also cut so that every
            actor gets at least one batch.
        max_attempts: tries per batch when its actor dies (>= 1); a batch whose ``evaluate``
            raises is not retried (the same input would fail again).
        providers: onnxruntime execution providers for evaluators, in order of preference;
            default CUDA then CPU when ``gpus_per_actor > 0``, else CPU only.
        address: Ray cluster to join when Ray is not running yet; ``None`` starts a local Ray
            sized for the pool. Ray started here is shut down by :meth:`close`.
        start_timeout_s: how long :meth:`start` waits for the actors to be placed and up
            before raising :class:`PoolStartError` (e.g. when other work holds the CPUs).

    Actors start on the first :meth:`map_fitness` (or :meth:`start`) and stop on
    :meth:`close`; use the executor as a context manager.
    """

    def __init__(
        self,
        *,
        num_actors: int = 2,
        cpus_per_actor: float = 1.0,
        gpus_per_actor: float = 0.0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_attempts: int = 3,
        providers: Sequence[str] | None = None,
        address: str | None = None,
        start_timeout_s: float = 300.0,
    ) -> None:
        self.num_actors = _check_int("num_actors", num_actors, 1)
        self.cpus_per_actor = _check_amount("cpus_per_actor", cpus_per_actor, positive=True)
        self.gpus_per_actor = _check_amount("gpus_per_actor", gpus_per_actor, positive=False)
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.max_attempts = _check_int("max_attempts", max_attempts, 1)
        default = GPU_PROVIDERS if self.gpus_per_actor > 0 else CPU_PROVIDERS
        self.onnx = OnnxSettings(
            providers=tuple(providers) if providers is not None else default,
            threads=max(1, int(self.cpus_per_actor)),
        )
        self.address = address
        self.start_timeout_s = _check_amount("start_timeout_s", start_timeout_s, positive=True)
        self.replaced = 0  # actors replaced after dying, over this executor's life
        self._actors: list[Any] = []
        self._shared: OrderedDict[int, Shared] = OrderedDict()
        self._session = ExitStack()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def actors(self) -> tuple[Any, ...]:
        """Handles of the live actors (empty before :meth:`start`)."""
        return tuple(self._actors)

    def start(self) -> None:
        """Join or start Ray if needed, check the cluster can host the pool, start the actors
        and wait until they are up. Called by :meth:`map_fitness`; idempotent."""
        if self._actors:
            return
        import ray

        if not ray.is_initialized():
            cpus = max(2, math.ceil(self.num_actors * self.cpus_per_actor))
            self._session.enter_context(ray_session(address=self.address, num_cpus=cpus))
        self._check_resources(ray.cluster_resources())
        self._actors = [self._new_actor() for _ in range(self.num_actors)]
        try:
            ray.get([actor.info.remote() for actor in self._actors], timeout=self.start_timeout_s)
        except ray.exceptions.GetTimeoutError:
            free = ray.available_resources()
            self.close()
            raise PoolStartError(
                f"RayExecutor: {self.num_actors} scoring actors ({self.cpus_per_actor:g} CPU, "
                f"{self.gpus_per_actor:g} GPU each) did not start within "
                f"{self.start_timeout_s:g} s; the cluster has {free.get('CPU', 0.0):g} CPU and "
                f"{free.get('GPU', 0.0):g} GPU free -- other actors or tasks hold the rest; "
                "close other executors or lower actors / cpus_per_actor"
            ) from None
        logger.info(
            "%d scoring actors up (%g CPU, %g GPU each, providers %s)",
            self.num_actors,
            self.cpus_per_actor,
            self.gpus_per_actor,
            ",".join(self.onnx.providers),
        )

    def close(self) -> None:
        """Stop the actors, drop the shared evaluators, and shut down Ray if it was started
        by :meth:`start`."""
        if self._actors:
            import ray

            for actor in self._actors:
                ray.kill(actor, no_restart=True)
        self._actors = []
        self._shared.clear()
        self._session.close()

    def actor_info(self) -> list[dict[str, Any]]:
        """Each actor's process id, evaluator loads, batches and ONNX environment, in pool
        order (starts the pool if needed)."""
        import ray

        self.start()
        return list(ray.get([actor.info.remote() for actor in self._actors]))

    def _check_resources(self, resources: dict[str, float]) -> None:
        need = {"CPU": self.num_actors * self.cpus_per_actor}
        if self.gpus_per_actor > 0:
            need["GPU"] = self.num_actors * self.gpus_per_actor
        for name, amount in need.items():
            have = float(resources.get(name, 0.0))
            if have + 1e-9 < amount:
                field = "cpus_per_actor" if name == "CPU" else "gpus_per_actor"
                raise ValueError(
                    f"RayExecutor: {self.num_actors} actors x {field} need {amount:g} {name} but "
                    f"the Ray cluster has {have:g}; allowed: num_actors x {field} <= {have:g}"
                )

    def _new_actor(self) -> Any:
        options = {
            "num_cpus": self.cpus_per_actor,
            "num_gpus": self.gpus_per_actor,
            "max_restarts": 0,
            "max_task_retries": 0,
        }
        return _actor_class().options(**options).remote(self.onnx)

    def replace_actor(self, slot: int, dead: Any) -> None:
        """Put a fresh actor in ``slot`` unless that was done already for ``dead``."""
        if self._actors[slot] is not dead:
            return
        import ray

        ray.kill(dead, no_restart=True)
        self._actors[slot] = self._new_actor()
        self.replaced += 1
        logger.warning("scoring actor %d died; replaced it (%d so far)", slot, self.replaced)

    def _share(self, evaluate: object, total: int) -> Shared:
        """The evaluator in the object store (put once per distinct object); ``total`` is the
        number of candidates waiting on it, for the error when it cannot be pickled."""
        import ray

        found = self._shared.get(id(evaluate))
        if found is not None and found.evaluate is evaluate:
            self._shared.move_to_end(id(evaluate))
            return found
        try:
            ref = ray.put(evaluate)
        except TypeError as exc:  # Ray's "Could not serialize" error
            raise EvaluationError(
                f"evaluate ({type(evaluate).__name__}) cannot be sent to the Ray actors: it does "
                f"not pickle ({str(exc).splitlines()[0]}) -- keep sessions, locks and open "
                "files in a Lazy field (evolution.lazy) so they are built inside each actor",
                failed=total,
                total=total,
            ) from exc
        shared = Shared(evaluate=evaluate, key=uuid.uuid4().hex, ref=ref)
        self._shared[id(evaluate)] = shared
        while len(self._shared) > EVALUATORS_KEPT:
            self._shared.popitem(last=False)
        return shared

    # ------------------------------------------------------------------ the protocol
    def map_fitness(
        self, evaluate: Callable[[Sequence[G]], Sequence[ScoreT]], genomes: Sequence[G]
    ) -> list[ScoreT]:
        """Evaluate ``genomes`` on the actors; results in the order of ``genomes``.

        Raises:
            EvaluationError: if a batch's ``evaluate`` raised or returned the wrong number of
                results, or its actor died on every one of ``max_attempts`` tries. Every batch
                is attempted; the error counts all failed candidates and chains the first cause.
        """
        total = len(genomes)
        if total == 0:
            return []
        self.start()
        size = min(self.batch_size, math.ceil(total / self.num_actors))
        batches = [list(genomes[i : i + size]) for i in range(0, total, size)]
        run = Dispatch(self, self._share(evaluate, total), batches, total)
        results = run.wait_all()
        return [score for batch in results for score in batch]
