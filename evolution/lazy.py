"""What an evaluator needs to travel to a worker process: lazily built heavy state, and the
ONNX settings the worker was started with.

An evaluator (e.g. one holding a ChromaticScorer) is pickled once by the Ray executor and sent
to every scoring actor. An onnxruntime session cannot be pickled and should be loaded once per
process, so an evaluator keeps it in a :class:`Lazy` field: the field pickles as its factory
only, and the session is built on first use inside the process that scores::

    @dataclass(frozen=True, slots=True)
    class ChromaticEvaluator:
        scorer: Lazy[ChromaticScorer]

        def __call__(self, genomes: Sequence[Genome]) -> list[ScoreCard]:
            scorer = self.scorer.get()  # loaded once per actor, reused by every batch
            ...

    evaluator = ChromaticEvaluator(scorer=Lazy(functools.partial(load_scorer, path)))

where ``load_scorer`` reads :func:`worker_onnx_settings` to pick the execution providers and
intra-op threads the executor chose for that worker (CUDA on a GPU actor, threads = its CPUs).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

ORT_PROVIDERS_ENV: Final = "CHROMATIC_ORT_PROVIDERS"
"""Comma-separated onnxruntime execution providers, in order of preference."""
ORT_THREADS_ENV: Final = "CHROMATIC_ORT_THREADS"
"""onnxruntime intra-op threads for one session (an integer >= 1)."""

CPU_PROVIDERS: Final = ("CPUExecutionProvider",)
GPU_PROVIDERS: Final = ("CUDAExecutionProvider", "CPUExecutionProvider")


class Lazy(Generic[T]):
    """A value built on first :meth:`get` by a picklable ``factory``; pickles as the factory.

    Pickling never carries the built value (an onnxruntime session, a large table), so each
    process that unpickles a ``Lazy`` builds its own value once, on first use. Equality is
    identity, so a frozen dataclass holding one stays hashable.
    """

    __slots__ = ("_factory", "_value")

    _UNSET: Final = object()

    def __init__(self, factory: Callable[[], T]) -> None:
        if not callable(factory):
            raise ValueError(f"Lazy.factory = {factory!r} is invalid; allowed: a callable")
        self._factory = factory
        self._value: Any = Lazy._UNSET

    @property
    def loaded(self) -> bool:
        """True once :meth:`get` has built the value in this process."""
        return self._value is not Lazy._UNSET

    def get(self) -> T:
        """The value, built by the factory on the first call in this process."""
        if self._value is Lazy._UNSET:
            self._value = self._factory()
            logger.debug("built lazy value in process %d with %r", os.getpid(), self._factory)
        value: T = self._value
        return value

    def __getstate__(self) -> dict[str, Any]:
        return {"factory": self._factory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._factory = state["factory"]
        self._value = Lazy._UNSET

    def __repr__(self) -> str:
        return f"Lazy({self._factory!r}, loaded={self.loaded})"


@dataclass(frozen=True, slots=True)
class OnnxSettings:
    """Execution providers (in order of preference) and intra-op threads for one session."""

    providers: tuple[str, ...] = CPU_PROVIDERS
    threads: int = 1

    def __post_init__(self) -> None:
        if not self.providers or not all(isinstance(p, str) and p for p in self.providers):
            raise ValueError(
                f"OnnxSettings.providers = {self.providers!r} is invalid; allowed: a non-empty "
                "tuple of onnxruntime provider names, e.g. ('CPUExecutionProvider',)"
            )
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(
                f"OnnxSettings.threads = {self.threads!r} is invalid; allowed: an integer >= 1"
            )

    def as_env(self) -> dict[str, str]:
        """The environment variables a worker is given (read back by worker_onnx_settings)."""
        return {ORT_PROVIDERS_ENV: ",".join(self.providers), ORT_THREADS_ENV: str(self.threads)}


def worker_onnx_settings() -> OnnxSettings:
    """The ONNX settings of this process: from ``CHROMATIC_ORT_PROVIDERS`` and
    ``CHROMATIC_ORT_THREADS`` (set by the Ray executor in each scoring actor), else the CPU
    provider with 1 thread. Raises ValueError naming the variable if one is malformed."""
    raw_providers = os.environ.get(ORT_PROVIDERS_ENV, "")
    providers = tuple(p.strip() for p in raw_providers.split(",") if p.strip()) or CPU_PROVIDERS
    raw_threads = os.environ.get(ORT_THREADS_ENV, "1").strip()
    try:
        threads = int(raw_threads)
    except ValueError:
        raise ValueError(
            f"environment {ORT_THREADS_ENV} = {raw_threads!r} is invalid; allowed: an integer >= 1"
        ) from None
    return OnnxSettings(providers=providers, threads=threads)
