"""Choosing an executor: the settings (from the CLI and a proposal's ``evolution`` block), one
builder, and a context manager that owns what it starts.

    with open_executor(ExecutorSettings(kind="ray", actors=2)) as executor:
        evolve(..., executor=executor)

``local`` scores in the calling process (:class:`~evolution.executor.LocalExecutor`), the
default for a single song; ``ray`` scores on a pool of Ray actors
(:class:`~evolution.ray_executor.RayExecutor`), joining ``address`` or starting a local Ray when
none is running, and shutting down only a Ray it started. Both give the same result for the
same seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Final, Literal

from evolution.executor import Executor, LocalExecutor
from evolution.ray_executor import DEFAULT_BATCH_SIZE, RayExecutor

ExecutorKind = Literal["local", "ray"]
EXECUTOR_KINDS: Final[tuple[ExecutorKind, ...]] = ("local", "ray")
PROPOSAL_FIELDS: Final = ("executor", "actors", "cpus_per_actor", "gpus_per_actor", "batch_size")
"""The scoring settings a proposal's ``evolution`` block may hold (read by :meth:`with_values`)."""
ALIASES: Final = {"executor": "kind", "ray_address": "address"}
"""Names the proposal and the CLI use for settings fields."""


class SettingError(ValueError):
    """An executor setting that cannot be used; names the setting, its value and what is
    allowed (the proposal and the CLI turn these into their own errors)."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        super().__init__(f"executor setting {name} = {value!r} is invalid; allowed: {allowed}")
        self.name = name
        self.value = value
        self.allowed = allowed


def _fail(name: str, value: object, allowed: str) -> SettingError:
    return SettingError(name, value, allowed)


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    """How candidates are scored; validated on construction. Defaults suit a 2-core machine.

    Attributes:
        kind: ``local`` (in-process) or ``ray`` (a pool of actors).
        actors: scoring actors in the Ray pool.
        cpus_per_actor: CPUs per actor (also the ONNX intra-op threads of its evaluator).
        gpus_per_actor: GPUs per actor; > 0 makes evaluators prefer CUDAExecutionProvider.
        batch_size: genomes per actor call (Ray) or per evaluate call (local; None = all).
        address: Ray cluster address to join; None starts a local Ray when none is running.
        max_attempts: tries per batch whose actor dies (Ray).
        providers: onnxruntime providers for evaluators; None chooses from gpus_per_actor.
    """

    kind: ExecutorKind = "local"
    actors: int = 2
    cpus_per_actor: float = 1.0
    gpus_per_actor: float = 0.0
    batch_size: int | None = None
    address: str | None = None
    max_attempts: int = 3
    providers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTOR_KINDS:
            raise _fail("kind", self.kind, " or ".join(EXECUTOR_KINDS))
        for name in ("actors", "max_attempts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _fail(name, value, "an integer >= 1")
        batch = self.batch_size
        if batch is not None and (
            isinstance(batch, bool) or not isinstance(batch, int) or batch < 1
        ):
            raise _fail("batch_size", batch, "an integer >= 1, or nothing for the default")
        for name, positive in (("cpus_per_actor", True), ("gpus_per_actor", False)):
            value = getattr(self, name)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value < 0 or (positive and value == 0):
                raise _fail(name, value, "a number > 0" if positive else "a number >= 0")
        if self.address is not None and (not isinstance(self.address, str) or not self.address):
            raise _fail("address", self.address, "a Ray address such as HEAD_IP:6379 or auto")
        if self.providers is not None and (
            not self.providers or not all(isinstance(p, str) and p for p in self.providers)
        ):
            raise _fail("providers", self.providers, "onnxruntime provider names")

    def with_values(self, values: Mapping[str, object]) -> ExecutorSettings:
        """These settings with every non-None value of ``values`` put in, e.g. the proposal's
        ``evolution`` settings, then the CLI's options over them. ``executor`` and
        ``ray_address`` are accepted for ``kind`` and ``address``; unknown names are errors."""
        known = {f.name for f in fields(self)}
        named = {ALIASES.get(k, k): v for k, v in values.items()}
        unknown = sorted(set(named) - known)
        if unknown:
            allowed = f"one of {', '.join(sorted(known | set(ALIASES)))}"
            raise _fail(unknown[0], named[unknown[0]], allowed)
        chosen = {k: v for k, v in named.items() if v is not None}
        if isinstance(chosen.get("providers"), list):
            chosen["providers"] = tuple(chosen["providers"])  # type: ignore[arg-type]
        return replace(self, **chosen)  # type: ignore[arg-type]


def make_executor(
    kind: ExecutorKind = "local",
    *,
    num_actors: int = 2,
    cpus_per_actor: float = 1.0,
    gpus_per_actor: float = 0.0,
    batch_size: int | None = None,
    address: str | None = None,
    max_attempts: int = 3,
    providers: Sequence[str] | None = None,
) -> Executor:
    """An executor of ``kind``. A Ray executor starts its actors (and Ray, when none is
    running) on first use; close it (or use :func:`open_executor`) to stop them."""
    settings = ExecutorSettings(
        kind=kind,
        actors=num_actors,
        cpus_per_actor=cpus_per_actor,
        gpus_per_actor=gpus_per_actor,
        batch_size=batch_size,
        address=address,
        max_attempts=max_attempts,
        providers=tuple(providers) if providers is not None else None,
    )
    return executor_from_settings(settings)


def executor_from_settings(settings: ExecutorSettings) -> Executor:
    """The executor the settings describe (see :func:`make_executor`)."""
    if settings.kind == "local":
        return LocalExecutor(batch_size=settings.batch_size)
    return RayExecutor(
        num_actors=settings.actors,
        cpus_per_actor=settings.cpus_per_actor,
        gpus_per_actor=settings.gpus_per_actor,
        batch_size=settings.batch_size or DEFAULT_BATCH_SIZE,
        max_attempts=settings.max_attempts,
        providers=settings.providers,
        address=settings.address,
    )


@contextmanager
def open_executor(settings: ExecutorSettings | None = None) -> Iterator[Executor]:
    """The executor for ``settings`` (local by default); a Ray executor's actors are started
    here and stopped on exit, with Ray itself shut down only if this started it."""
    executor = executor_from_settings(settings or ExecutorSettings())
    if not isinstance(executor, RayExecutor):
        yield executor
        return
    with executor:
        executor.start()
        yield executor
