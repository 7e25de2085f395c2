"""Batch evolution: many proposals at once, each proposal's agent run as one Ray task.

:func:`run_batch` validates every proposal first (a bad one is reported with its file name and
not run), then runs each good one as a Ray task (``start_run`` up to its first gate, or to the
end with ``auto_approve``) on a local Ray or a cluster, and returns one :class:`BatchResult`
per proposal, in the order given: the phase reached, the best composite from that phase's
review.yml, the time, or the error. One failing proposal never stops the others.

The proposal's text travels with its task, so worker nodes need not see the proposal files;
run directories are written under ``out_dir`` on the node that runs the task, so on a cluster
``out_dir`` should be a shared folder (see docs/cluster.md).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from agents.proposal import load_proposal
from agents.rundir import RunDir
from agents.runner import Hooks, run_status, start_run
from evolution.engine import GenerationStats
from evolution.ray_executor import ray_session
from music.errors import ChromaticError

logger = logging.getLogger(__name__)

DEFAULT_LOCAL_WORKERS: Final = 2
POLL_S: Final = 0.25  # progress refresh interval while tasks run


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
    """

    proposal: Path
    status: str
    phase: str | None = None
    best_composite: float | None = None
    seconds: float = 0.0
    run_dir: Path | None = None
    error: str | None = None

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
        }


@dataclass(frozen=True, slots=True)
class _Job:
    index: int
    path: Path
    text: str
    run_dir: Path


def best_of_run(run_dir: Path) -> tuple[str | None, float | None]:
    """The last phase with candidates and the best composite in its review.yml."""
    from agents.review import load_review_document

    _, values = run_status(run_dir)
    phases = list(values.get("phases", {}))
    if not phases:
        return None, None
    phase = phases[-1]
    doc = load_review_document(RunDir(run_dir).review(phase))
    composites = [
        float(c["scores"]["composite"])
        for c in doc["candidates"]
        if isinstance(c.get("scores"), dict) and c["scores"].get("composite") is not None
    ]
    return phase, (max(composites) if composites else None)


def _board_hooks(board: Any, name: str) -> Hooks:
    """Hooks that report a task's phase and generations to the progress board actor."""

    def on_phase_start(phase: str, generations: int) -> None:
        board.phase.remote(name, phase, generations)

    def on_generation(stats: GenerationStats) -> None:
        board.generation.remote(name, stats.generation, stats.best)

    return Hooks(on_phase_start=on_phase_start, on_generation=on_generation)


def run_agent_task(
    name: str,
    text: str,
    out_dir: str,
    auto_approve: bool,
    board: Any | None = None,
    key: str = "",
) -> dict[str, Any]:
    """The body of one batch task: run the agent on the proposal ``text`` (file ``name``),
    reporting progress to ``board`` (a progress actor, or None) under ``key``.

    Returns status, phase, best composite, seconds and run directory as plain values.
    Errors propagate to the driver, which reports them with the proposal's file name.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chromatic-batch-") as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        hooks = _board_hooks(board, key or name) if board is not None else Hooks()
        outcome = start_run(
            proposal_path=path, out_dir=Path(out_dir), auto_approve=auto_approve, hooks=hooks
        )
    seconds = time.perf_counter() - started
    phase, best = best_of_run(outcome.run_dir)
    return {
        "status": outcome.status,
        "phase": phase,
        "best": best,
        "seconds": seconds,
        "run_dir": str(outcome.run_dir),
    }


class _Board:
    """Progress of every task (a small Ray actor the tasks report to)."""

    def __init__(self) -> None:
        self.state: dict[str, dict[str, Any]] = {}

    def phase(self, name: str, phase: str, generations: int) -> None:
        self.state[name] = {"phase": phase, "generation": 0, "total": generations, "best": None}

    def generation(self, name: str, generation: int, best: float) -> None:
        entry = self.state.setdefault(name, {"phase": "?", "total": None})
        entry.update(generation=generation, best=best)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return self.state


@cache
def _remote_task() -> Any:
    import ray

    return ray.remote(max_retries=0)(run_agent_task)


@cache
def _remote_board() -> Any:
    import ray

    return ray.remote(num_cpus=0)(_Board)


def _validate(paths: Sequence[Path], out_dir: Path) -> tuple[list[_Job], dict[int, BatchResult]]:
    """Jobs for the proposals that load, errors for those that do not (or clash)."""
    jobs: list[_Job] = []
    errors: dict[int, BatchResult] = {}
    owners: dict[Path, Path] = {}
    for index, path in enumerate(paths):
        try:
            proposal = load_proposal(path)
            text = path.read_text(encoding="utf-8")
        except (ChromaticError, OSError) as exc:
            errors[index] = BatchResult(proposal=path, status="error", error=str(exc))
            continue
        run_dir = out_dir / proposal.slug
        if run_dir in owners:
            message = (
                f"{path}: title: {proposal.title!r} -- its run folder {run_dir} is already the "
                f"run of {owners[run_dir]} in this batch; give one of them another title"
            )
            errors[index] = BatchResult(proposal=path, status="error", error=message)
            continue
        owners[run_dir] = path
        jobs.append(_Job(index=index, path=path, text=text, run_dir=run_dir))
    return jobs, errors


def _failure(job: _Job, exc: BaseException) -> BatchResult:
    from ray.exceptions import RayTaskError

    if isinstance(exc, RayTaskError):
        cause = exc.cause if isinstance(exc.cause, BaseException) else exc
        message = f"{type(cause).__name__}: {cause}"
    else:
        message = (
            f"{type(exc).__name__}: the worker running it was lost ({str(exc).splitlines()[0]})"
            f" -- continue it with `chromatic resume {job.run_dir}` if the folder exists"
        )
    return BatchResult(
        proposal=job.path,
        status="error",
        run_dir=job.run_dir if job.run_dir.exists() else None,
        error=f"{job.path}: {message}",
    )


def _success(job: _Job, data: dict[str, Any]) -> BatchResult:
    return BatchResult(
        proposal=job.path,
        status=str(data["status"]),
        phase=data["phase"],
        best_composite=data["best"],
        seconds=float(data["seconds"]),
        run_dir=Path(data["run_dir"]),
    )


def run_batch(
    proposals: Sequence[Path],
    *,
    out_dir: Path,
    auto_approve: bool = False,
    address: str | None = None,
    workers: int | None = None,
    progress: bool = False,
    cpus_per_task: float = 1.0,
) -> list[BatchResult]:
    """Run every proposal's agent as a Ray task; one result per proposal, in order.

    Args:
        proposals: proposal YAML files.
        out_dir: folder of the run directories (``out_dir/<slug>``); shared on a cluster.
        auto_approve: run each proposal to the end, approving top candidates at every gate;
            otherwise each stops at its first gate, ready for review.
        address: Ray cluster to join; None starts a local Ray with ``workers`` CPUs (default
            2). A Ray this process already runs is used as it is.
        workers: proposals running at once (None: 2 on a local Ray, as many as the cluster
            fits on one joined by address).
        progress: show a live rich display on stderr (pass ``sys.stderr.isatty()``).
        cpus_per_task: CPUs Ray reserves for each proposal's task.
    """
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ValueError(f"workers = {workers!r} is invalid; allowed: an integer >= 1")
    paths = [Path(p) for p in proposals]
    out_dir = Path(out_dir).absolute()  # tasks may run in another folder, or on another node
    jobs, results = _validate(paths, out_dir)
    for result in results.values():
        logger.warning("skipping %s", result.error)
    if jobs:
        local_cpus = workers or DEFAULT_LOCAL_WORKERS
        with ray_session(address=address, num_cpus=local_cpus):
            limit = workers or (local_cpus if address is None else len(jobs))
            results.update(_execute(jobs, out_dir, auto_approve, limit, progress, cpus_per_task))
    return [results[i] for i in range(len(paths))]


def _execute(
    jobs: list[_Job],
    out_dir: Path,
    auto_approve: bool,
    limit: int,
    progress: bool,
    cpus_per_task: float,
) -> dict[int, BatchResult]:
    import ray

    board = _remote_board().remote() if progress else None
    queue = list(jobs)
    pending: dict[Any, _Job] = {}
    done: dict[int, BatchResult] = {}
    with _display(progress, {str(job.index): job.path.name for job in jobs}) as show:
        while queue or pending:
            while queue and len(pending) < limit:
                job = queue.pop(0)
                options = {"num_cpus": cpus_per_task, "name": f"chromatic-batch:{job.path.name}"}
                ref = (
                    _remote_task()
                    .options(**options)
                    .remote(
                        job.path.name, job.text, str(out_dir), auto_approve, board, str(job.index)
                    )
                )
                pending[ref] = job
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S if progress else None)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    result = _success(job, ray.get(ref))
                except ray.exceptions.RayError as exc:
                    result = _failure(job, exc)
                done[job.index] = result
                show(str(job.index), None, result)
            if board is not None:
                for key, entry in ray.get(board.snapshot.remote()).items():
                    show(key, entry, None)
    if board is not None:
        ray.kill(board)
    return done


@contextmanager
def _display(
    enabled: bool, names: dict[str, str]
) -> Iterator[Callable[[str, dict[str, Any] | None, BatchResult | None], None]]:
    """A live display (one row per proposal, keyed by ``names``' keys, plus a total) when
    enabled, else a no-op."""
    if not enabled:
        yield lambda name, entry, result: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    total = bar.add_task("[bold]proposals", total=len(names), note="")
    rows = {key: bar.add_task(name, total=None, note="queued") for key, name in names.items()}
    finished: set[str] = set()

    def show(key: str, entry: dict[str, Any] | None, result: BatchResult | None) -> None:
        if result is not None:
            finished.add(key)
            best = f" best {result.best_composite:.3f}" if result.best_composite is not None else ""
            note = "[red]error[/]" if not result.ok else f"{result.status} ({result.phase}){best}"
            bar.update(rows[key], total=1, completed=1, note=note)
            bar.update(total, completed=len(finished))
        elif entry is not None and key in rows and key not in finished:
            best = f" best {entry['best']:.3f}" if entry.get("best") is not None else ""
            gens = f"gen {entry.get('generation', 0)}/{entry.get('total')}"
            bar.update(
                rows[key],
                total=entry.get("total"),
                completed=entry.get("generation", 0),
                note=f"{entry.get('phase')} {gens}{best}",
            )

    with bar:
        yield show
