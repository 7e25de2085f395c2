"""How one proposal of a batch went: the record :func:`agents.batch.run_batch` returns and its
progress board shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class BatchResult:
    """How one proposal of a batch went.

    Attributes:
        proposal: the proposal file as given.
        status: ``awaiting_review`` (stopped at a gate), ``done``, or ``error``.
        phase: the last phase that ran (its review.yml holds the candidates), if any.
        best_composite: the highest composite in that phase's review.yml, in [0, 1].
        seconds: wall time of the agent run inside its task (0 when it never ran).
        run_dir: the run directory, once known.
        error: what went wrong, naming the file, when status is ``error``.
        iteration: the iteration's id (or number) for a file of several iterations.
    """

    proposal: Path
    status: str
    phase: str | None = None
    best_composite: float | None = None
    seconds: float = 0.0
    run_dir: Path | None = None
    error: str | None = None
    iteration: str | None = None

    @property
    def name(self) -> str:
        """The proposal file's name, with the iteration for a file of several."""
        return f"{self.proposal.name} ({self.iteration})" if self.iteration else self.proposal.name

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (paths as strings)."""
        return {
            "proposal": str(self.proposal),
            "status": self.status,
            "phase": self.phase,
            "best_composite": self.best_composite,
            "seconds": round(self.seconds, 3),
            "run_dir": str(self.run_dir) if self.run_dir is not None else None,
            "error": self.error,
            "iteration": self.iteration,
        }
