"""Batch evaluation of candidate genomes: the protocol and the in-process executor.

An executor maps an ``evaluate`` function over genomes in batches and returns the results in
the order of the genomes. A later Ray executor implements the same :class:`Executor` protocol.

Failures are never turned into a low fitness: an evaluation that raises, or that returns the
wrong number of results, surfaces as :class:`EvaluationError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from evolution.lazy import OnnxSettings, bind_onnx

logger = logging.getLogger(__name__)

G = TypeVar("G")
ScoreT = TypeVar("ScoreT")


class EvaluationError(RuntimeError):
    """Evaluation of one or more candidates failed.

    Attributes:
        failed: how many candidates could not be scored (or got an invalid score).
        total: how many candidates were submitted.

    The first underlying exception, when there is one, is chained as ``__cause__``.
    """

    def __init__(self, message: str, *, failed: int, total: int) -> None:
        super().__init__(message)
        self.failed = failed
        self.total = total


class Executor(Protocol):
    """Runs batch evaluations; results come back in the order of ``genomes``."""

    def map_fitness(
        self, evaluate: Callable[[Sequence[G]], Sequence[ScoreT]], genomes: Sequence[G]
    ) -> list[ScoreT]:
        """Evaluate ``genomes`` with ``evaluate`` (called on batches) and return the scores.

        Raises:
            EvaluationError: if any batch raised or returned the wrong number of results.
        """
        ...


def check_batch_results(results: Sequence[ScoreT], expected: int, *, total: int) -> list[ScoreT]:
    """Return ``results`` as a list, or raise :class:`EvaluationError` if its length is wrong.

    Args:
        results: what one call of ``evaluate`` returned.
        expected: how many genomes that call was given.
        total: how many genomes the whole evaluation covers (for the error message).
    """
    try:
        got = len(results)
    except TypeError as exc:
        raise EvaluationError(
            f"evaluate returned {type(results).__name__}, not a sequence of {expected} scores",
            failed=expected,
            total=total,
        ) from exc
    if got != expected:
        raise EvaluationError(
            f"evaluate returned {got} results for a batch of {expected} genomes; "
            "it must return exactly one score per genome, in order",
            failed=expected,
            total=total,
        )
    return list(results)


@dataclass(frozen=True, slots=True)
class LocalExecutor:
    """Evaluates in the calling process.

    Attributes:
        batch_size: genomes per call of ``evaluate``; ``None`` evaluates everything in one call.
        onnx: the ONNX settings given to an evaluator that opens sessions
            (:func:`~evolution.lazy.bind_onnx`); default the CPU provider, 1 thread.
    """

    batch_size: int | None = None
    onnx: OnnxSettings = field(default_factory=OnnxSettings)

    def __post_init__(self) -> None:
        if self.batch_size is not None and (
            isinstance(self.batch_size, bool)
            or not isinstance(self.batch_size, int)
            or self.batch_size < 1
        ):
            raise ValueError(
                f"LocalExecutor.batch_size = {self.batch_size!r} is invalid; "
                "allowed: None or an integer >= 1"
            )

    def map_fitness(
        self, evaluate: Callable[[Sequence[G]], Sequence[ScoreT]], genomes: Sequence[G]
    ) -> list[ScoreT]:
        """Evaluate ``genomes`` batch by batch; see :meth:`Executor.map_fitness`.

        Every batch is attempted even after one fails, so the error counts all failed
        candidates; the first exception is chained as the cause.
        """
        total = len(genomes)
        if total == 0:
            return []
        size = self.batch_size or total
        evaluate = bind_onnx(evaluate, self.onnx)
        scores: list[ScoreT] = []
        failed = 0
        first_error: BaseException | None = None
        for start in range(0, total, size):
            batch = genomes[start : start + size]
            try:
                results = evaluate(batch)
                scores.extend(check_batch_results(results, len(batch), total=total))
            except EvaluationError as exc:
                failed += len(batch)
                first_error = first_error or exc
            except Exception as exc:  # re-raised below as EvaluationError, never swallowed
                logger.debug("evaluation of batch at %d failed: %r", start, exc)
                failed += len(batch)
                first_error = first_error or exc
        if first_error is not None:
            raise EvaluationError(
                f"evaluation failed for {failed} of {total} candidates; "
                f"first error: {type(first_error).__name__}: {first_error}",
                failed=failed,
                total=total,
            ) from first_error
        return scores
