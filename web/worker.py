"""``python -m web.worker RUN [--scorer MODEL]``: resume a run past its gate, the same call
``chromatic resume RUN`` makes (:func:`agents.runner.resume_run`, which holds the run folder's
lock for the whole resume), reporting progress as one JSON object a line on stdout for the
review page (:mod:`web.jobs`):

``{"event": "phase", "phase": "drums", "generations": 30}``,
``{"event": "generation", "generation": 3, "best": 0.81, "mean": 0.7}``,
``{"event": "render", "step": "stem bass", "index": 2, "total": 9}``, then
``{"event": "outcome", "status": "awaiting_review", "phase": "drums"}`` (exit 0) or
``{"event": "error", "message": "..."}`` (exit 2, the text ``chromatic resume`` prints).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

EXIT_ERROR = 2


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.worker", description=__doc__)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--scorer", default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=os.environ.get("CHROMATIC_LOG", "WARNING").upper())

    from agents.builder import ScoringOptions
    from agents.runner import Hooks, resume_run
    from evolution.engine import GenerationStats
    from music.errors import ChromaticError
    from render.pipeline import RenderStep

    def on_generation(stats: GenerationStats) -> None:
        emit("generation", generation=stats.generation, best=stats.best, mean=stats.mean)

    def on_render_step(step: RenderStep) -> None:
        emit("render", step=step.name, index=step.index, total=step.total)

    hooks = Hooks(
        on_phase_start=lambda phase, generations: emit(
            "phase", phase=phase, generations=generations
        ),
        on_generation=on_generation,
        on_render_step=on_render_step,
    )
    try:
        outcome = resume_run(
            run_dir=args.run_dir, hooks=hooks, scoring=ScoringOptions(scorer=args.scorer)
        )
    except ChromaticError as exc:
        emit("error", message=str(exc))
        return EXIT_ERROR
    emit("outcome", status=outcome.status, phase=outcome.phase)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
