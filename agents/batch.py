"""Batch evolution: many proposals at once, each proposal's agent run as one Ray task.

:func:`run_batch` validates every proposal first (a bad one is reported with its file name and
not run), then runs each good one as a Ray task (``start_run`` up to its first gate, or to the
end with ``auto_approve``) on a local Ray or a cluster, and returns one :class:`BatchResult`
per proposal (per iteration, for a file holding several ``iterations``), in the order given:
the phase reached, the best composite from that phase's
review.yml, the time, or the error. One failing proposal never stops the others.

Each task scores its proposal's populations in-process (whatever the proposal's ``evolution``
block says about executors): the parallelism of a batch is across proposals, one task per
proposal holding ``cpus_per_task`` CPUs (its ONNX threads) and ``gpus_per_task`` GPUs (CUDA
preferred when > 0).

The proposal's text travels with its task, so worker nodes need not see the proposal files;
run directories are written under ``out_dir`` on the node that runs the task, so on a cluster
``out_dir`` should be a shared folder (see docs/cluster.md).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from agents.batch_progress import board_hooks, display, remote_board
from agents.batch_result import BatchResult
from agents.builder import IN_PROCESS, ScoringOptions
from agents.proposal import read_proposal_file
from agents.run_graph import run_status
from agents.rundir import RunDir
from agents.runner import Hooks, start_run
from evolution.lazy import CPU_PROVIDERS, GPU_PROVIDERS, OnnxSettings
from evolution.ray_executor import ray_session
from music.errors import ChromaticError

logger = logging.getLogger(__name__)

DEFAULT_LOCAL_WORKERS: Final = 2
POLL_S: Final = 0.25  # progress refresh interval while tasks run
"""The scoring options of every task: a proposal's task scores in its own process."""


@dataclass(frozen=True, slots=True)
class _Job:
    index: int
    path: Path
    text: str
    run_dir: Path
    iteration: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path.name} ({self.iteration})" if self.iteration else self.path.name


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


def run_agent_task(
    name: str,
    text: str,
    out_dir: str,
    auto_approve: bool,
    board: Any | None = None,
    key: str = "",
    scoring: ScoringOptions = IN_PROCESS,
    iteration: str | None = None,
) -> dict[str, Any]:
    """The body of one batch task: run the agent on the proposal ``text`` (file ``name``;
    its iteration ``iteration`` when it holds several),
    scoring in-process with ``scoring`` (its ONNX settings and scorer model),
    reporting progress to ``board`` (a progress actor, or None) under ``key``.

    Returns status, phase, best composite, seconds and run directory as plain values.
    Errors propagate to the driver, which reports them with the proposal's file name.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chromatic-batch-") as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        hooks = board_hooks(board, key or name) if board is not None else Hooks()
        outcome = start_run(
            proposal_path=path,
            out_dir=Path(out_dir),
            auto_approve=auto_approve,
            hooks=hooks,
            scoring=dataclasses.replace(scoring, executor="local"),
            iteration=iteration,
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


@cache
def _remote_task() -> Any:
    import ray

    return ray.remote(max_retries=0)(run_agent_task)


def _validate(paths: Sequence[Path], out_dir: Path) -> tuple[list[_Job], dict[int, BatchResult]]:
    """Jobs for the proposals (every iteration of a file of several) that load, errors for
    those that do not (or clash); indexed in order, iterations one after another."""
    jobs: list[_Job] = []
    errors: dict[int, BatchResult] = {}
    owners: dict[Path, str] = {}
    index = 0
    for path in paths:
        try:
            source = read_proposal_file(path)
            text = path.read_text(encoding="utf-8")
        except (ChromaticError, OSError) as exc:
            errors[index] = BatchResult(proposal=path, status="error", error=str(exc))
            index += 1
            continue
        several = len(source.iterations) > 1
        for i, ident in enumerate(source.ids):
            iteration = ident if several else None
            job_index, index = index, index + 1
            try:
                proposal = source.proposal(i)
            except ChromaticError as exc:
                errors[job_index] = BatchResult(
                    proposal=path, status="error", error=str(exc), iteration=iteration
                )
                continue
            job = _Job(
                index=job_index,
                path=path,
                text=text,
                run_dir=out_dir / source.run_name(i, proposal),
                iteration=iteration,
            )
            if job.run_dir in owners:
                message = (
                    f"{path}: title: {proposal.title!r} -- its run folder {job.run_dir} is "
                    f"already the run of {owners[job.run_dir]} in this batch; give one of them "
                    "another title"
                )
                errors[job_index] = BatchResult(
                    proposal=path, status="error", error=message, iteration=iteration
                )
                continue
            owners[job.run_dir] = f"{path} ({iteration})" if iteration else str(path)
            jobs.append(job)
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
        iteration=job.iteration,
    )


def _success(job: _Job, data: dict[str, Any]) -> BatchResult:
    return BatchResult(
        proposal=job.path,
        status=str(data["status"]),
        phase=data["phase"],
        best_composite=data["best"],
        seconds=float(data["seconds"]),
        run_dir=Path(data["run_dir"]),
        iteration=job.iteration,
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
    gpus_per_task: float = 0.0,
    scorer: str | None = None,
) -> list[BatchResult]:
    """Run every proposal's agent as a Ray task; one result per proposal, in order (one per
    iteration, one after another, for a file that holds several ``iterations``).

    Args:
        proposals: proposal YAML files; each iteration of a ``SongProposal`` file is a task
            of its own, its run folder named after title and iteration id.
        out_dir: folder of the run directories (``out_dir/<slug>``); shared on a cluster.
        auto_approve: run each proposal to the end, approving top candidates at every gate;
            otherwise each stops at its first gate, ready for review.
        address: Ray cluster to join; None starts a local Ray with ``workers`` CPUs (default
            2). A Ray this process already runs is used as it is.
        workers: proposals running at once (None: 2 on a local Ray, as many as the cluster
            fits on one joined by address).
        progress: show a live rich display on stderr (pass ``sys.stderr.isatty()``).
        cpus_per_task: CPUs Ray reserves for each proposal's task; also the ONNX intra-op
            threads its in-process scoring uses (rounded down, at least 1).
        gpus_per_task: GPUs Ray reserves for each task; > 0 makes its scorer prefer CUDA.
        scorer: the scorer model every task scores with (a path, ``off``; None: shipped).

    Raises:
        ValueError: naming the argument, for bad ``workers``, ``cpus_per_task`` or
            ``gpus_per_task``, or a task larger than the Ray cluster.
    """
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers = {workers!r} is invalid; allowed: an integer >= 1")
    _check_amount("cpus_per_task", cpus_per_task, positive=True)
    _check_amount("gpus_per_task", gpus_per_task, positive=False)
    paths = [Path(p) for p in proposals]
    out_dir = Path(out_dir).absolute()  # tasks may run in another folder, or on another node
    jobs, results = _validate(paths, out_dir)
    for result in results.values():
        logger.warning("skipping %s", result.error)
    if jobs:
        local_workers = workers or DEFAULT_LOCAL_WORKERS
        local_cpus = max(1, math.ceil(local_workers * cpus_per_task))
        with ray_session(address=address, num_cpus=local_cpus):
            _check_fits(cpus_per_task, gpus_per_task)
            limit = workers or (local_workers if address is None else len(jobs))
            onnx = OnnxSettings(
                providers=GPU_PROVIDERS if gpus_per_task > 0 else CPU_PROVIDERS,
                threads=max(1, int(cpus_per_task)),
            )
            resources = {"num_cpus": cpus_per_task, "num_gpus": gpus_per_task}
            scoring = ScoringOptions(executor="local", scorer=scorer, onnx=onnx)
            results.update(
                _execute(jobs, out_dir, auto_approve, limit, progress, resources, scoring)
            )
    return [results[i] for i in sorted(results)]


def _check_amount(name: str, value: object, *, positive: bool) -> None:
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    if math.isfinite(number) and (number > 0 if positive else number >= 0):
        return
    allowed = "a number > 0" if positive else "a number >= 0"
    raise ValueError(f"{name} = {value!r} is invalid; allowed: {allowed}")


def _check_fits(cpus_per_task: float, gpus_per_task: float) -> None:
    """Refuse a task no node of the Ray cluster could ever run (it would wait forever)."""
    import ray

    have = ray.cluster_resources()
    for name, need, option in (
        ("CPU", cpus_per_task, "cpus_per_task"),
        ("GPU", gpus_per_task, "gpus_per_task"),
    ):
        total = float(have.get(name, 0.0))
        if need > total + 1e-9:
            raise ValueError(
                f"{option} = {need:g} is invalid; allowed: at most the {total:g} {name} of "
                "the Ray cluster"
            )


def _execute(
    jobs: list[_Job],
    out_dir: Path,
    auto_approve: bool,
    limit: int,
    progress: bool,
    resources: dict[str, float],
    scoring: ScoringOptions,
) -> dict[int, BatchResult]:
    import ray

    board = remote_board().remote() if progress else None
    queue = list(jobs)
    pending: dict[Any, _Job] = {}
    done: dict[int, BatchResult] = {}
    with display(progress, {str(job.index): job.name for job in jobs}) as show:
        while queue or pending:
            while queue and len(pending) < limit:
                job = queue.pop(0)
                options = {**resources, "name": f"chromatic-batch:{job.name}"}
                ref = (
                    _remote_task()
                    .options(**options)
                    .remote(
                        job.path.name,
                        job.text,
                        str(out_dir),
                        auto_approve,
                        board,
                        str(job.index),
                        scoring=scoring,
                        iteration=job.iteration,
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
