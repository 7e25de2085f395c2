"""One :meth:`~evolution.ray_executor.RayExecutor.map_fitness` call on the actor pool: the queue
of batches, at most ``IN_FLIGHT_PER_ACTOR`` batches per actor, results kept in input order, a
lost actor replaced and its batch sent again (up to ``max_attempts`` tries), and every failure
turned into one :class:`~evolution.executor.EvaluationError`."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Final, Protocol

from evolution.executor import EvaluationError, check_batch_results

logger = logging.getLogger(__name__)

IN_FLIGHT_PER_ACTOR: Final = 2
"""Batches queued on one actor at a time: one running, one ready, so no actor waits on us."""


@dataclass(frozen=True, slots=True)
class Shared:
    """An evaluate object put into the object store once, and the key actors cache it by."""

    evaluate: object  # held so its id() cannot be reused while the ref lives
    key: str
    ref: Any


class ActorPool(Protocol):
    """What a dispatch needs of the pool it sends batches to (a
    :class:`~evolution.ray_executor.RayExecutor`)."""

    @property
    def num_actors(self) -> int: ...

    @property
    def max_attempts(self) -> int: ...

    @property
    def actors(self) -> tuple[Any, ...]: ...

    def replace_actor(self, slot: int, dead: Any) -> None: ...


class Dispatch:
    """One map_fitness call: the queue of batches, what is in flight where, and failures."""

    def __init__(
        self, executor: ActorPool, shared: Shared, batches: list[list[Any]], total: int
    ) -> None:
        self.executor = executor
        self.shared = shared
        self.batches = batches
        self.total = total
        self.results: list[list[Any] | None] = [None] * len(batches)
        self.attempts = [0] * len(batches)
        self.errors: dict[int, BaseException] = {}
        self.queue: deque[int] = deque(range(len(batches)))
        self.in_flight: dict[Any, tuple[int, int, Any]] = {}  # ref -> (batch, slot, actor)
        self.load = [0] * executor.num_actors

    def _submit(self) -> None:
        actors = self.executor.actors
        while self.queue:
            slot = min(range(len(actors)), key=lambda s: self.load[s])
            if self.load[slot] >= IN_FLIGHT_PER_ACTOR:
                return
            index = self.queue.popleft()
            self.attempts[index] += 1
            actor = actors[slot]
            holder = [self.shared.ref]
            ref = actor.evaluate.remote(self.shared.key, holder, self.batches[index])
            self.in_flight[ref] = (index, slot, actor)
            self.load[slot] += 1

    def wait_all(self) -> list[list[Any]]:
        import ray
        from ray.exceptions import RayTaskError

        while self.queue or self.in_flight:
            self._submit()
            done, _ = ray.wait(list(self.in_flight), num_returns=1)
            ref = done[0]
            index, slot, actor = self.in_flight.pop(ref)
            self.load[slot] -= 1
            batch = self.batches[index]
            try:
                self.results[index] = check_batch_results(
                    ray.get(ref), len(batch), total=self.total
                )
            except lost_worker_errors() as exc:
                self.executor.replace_actor(slot, actor)
                if self.attempts[index] < self.executor.max_attempts:
                    logger.warning(
                        "batch %d (%d candidates) lost with its actor (try %d of %d); retrying",
                        index,
                        len(batch),
                        self.attempts[index],
                        self.executor.max_attempts,
                    )
                    self.queue.append(index)
                else:
                    self.errors[index] = exc
            except RayTaskError as exc:
                cause = exc.cause if isinstance(exc.cause, BaseException) else exc
                self.errors[index] = cause
            except EvaluationError as exc:
                self.errors[index] = exc
        if self.errors:
            first = min(self.errors)
            raise self._error(first) from self.errors[first]
        return [r for r in self.results if r is not None]

    def _error(self, first: int) -> EvaluationError:
        """The error for the whole call, described by its first failed batch."""
        cause = self.errors[first]
        failed = sum(len(self.batches[i]) for i in self.errors)
        start = sum(len(b) for b in self.batches[:first])
        where = f"batch of {len(self.batches[first])} (candidates {start}.."
        where += f"{start + len(self.batches[first]) - 1})"
        if isinstance(cause, lost_worker_errors()):
            reason = (
                f"{where} lost its actor on all {self.attempts[first]} tries -- something "
                "kills the worker process while it scores (a crash in native code, os._exit, "
                "out of memory); last error: "
                f"{type(cause).__name__}: {str(cause).splitlines()[0]}"
            )
        else:
            reason = f"{where} raised {type(cause).__name__}: {cause}"
        return EvaluationError(
            f"evaluation failed for {failed} of {self.total} candidates on Ray; {reason}",
            failed=failed,
            total=self.total,
        )


def lost_worker_errors() -> tuple[type[BaseException], ...]:
    """Ray errors that mean the worker was lost (its batch may succeed on a fresh actor)."""
    from ray.exceptions import (
        NodeDiedError,
        ObjectLostError,
        OutOfMemoryError,
        RayActorError,
        WorkerCrashedError,
    )

    return (RayActorError, WorkerCrashedError, ObjectLostError, OutOfMemoryError, NodeDiedError)
