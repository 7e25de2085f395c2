"""What an evaluator needs to travel to a worker process: lazily built heavy state, and the
ONNX settings of the worker that scores with it.

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

        def with_onnx(self, onnx: OnnxSettings) -> ChromaticEvaluator:
            return ChromaticEvaluator(scorer=Lazy(functools.partial(load_scorer, onnx=onnx)))

An executor owns the ONNX settings of its workers (a Ray actor gets them as a constructor
argument: CUDA on a GPU actor, threads = its CPUs) and gives them to an evaluator that has a
``with_onnx`` method (:func:`bind_onnx`) before it scores; no setting travels through the
environment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar, runtime_checkable

logger = logging.getLogger(__name__)

T = TypeVar("T")

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


@runtime_checkable
class UsesOnnx(Protocol):
    """An evaluator that opens ONNX sessions: the executor gives it its workers' settings."""

    def with_onnx(self, onnx: OnnxSettings) -> Any:
        """This evaluator, scoring with sessions opened with ``onnx``."""
        ...


def bind_onnx(evaluate: T, onnx: OnnxSettings) -> T:
    """``evaluate`` with the ONNX settings ``onnx`` when it uses ONNX (:class:`UsesOnnx`),
    else ``evaluate`` itself."""
    if isinstance(evaluate, UsesOnnx):
        bound: T = evaluate.with_onnx(onnx)
        return bound
    return evaluate
