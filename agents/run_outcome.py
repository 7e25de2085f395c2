"""Where a run stands (:class:`RunOutcome`) and the checkpoint thread every run uses: read from
the checkpoint database directly (:mod:`agents.run_state`) or through the agent graph
(:mod:`agents.run_graph`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: The thread every run uses (agents.run_graph.THREAD).
THREAD_ID: Final = "song"


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Where a run stands: ``awaiting_review`` at ``phase`` (with its review.yml) or ``done``."""

    run_dir: Path
    status: str
    phase: str | None = None
    review: Path | None = None
