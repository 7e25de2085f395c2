"""``chromatic batch``: run many proposals as Ray tasks, then print a summary table.

cli/app.py adds it with ``register(app)``. Exit code 0 when every proposal ran, 1 when any
failed (each failure is in the table with its file name), 2 for bad options.

Each proposal's task scores its populations in-process (a proposal's ``executor`` setting is
not used here): a batch is parallel across proposals, and ``--cpus-per-task`` /
``--gpus-per-task`` size each task (its ONNX threads, CUDA when it has a GPU).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.common import ScorerOpt, err, fail, out, plain, setup

if TYPE_CHECKING:
    from agents.batch_result import BatchResult


def summary_table(results: Sequence[BatchResult]) -> Table:
    """One row per proposal: file, status, phase reached, best composite, time, run or error."""
    table = Table(title="batch")
    for name in ("proposal", "status", "phase", "best", "time (s)", "run directory / error"):
        table.add_column(name, overflow="fold")
    for r in results:
        best = f"{r.best_composite:.3f}" if r.best_composite is not None else "-"
        status = plain(r.status) if r.ok else f"[red]{plain(r.status)}[/]"
        where = plain(r.run_dir if r.ok else r.error)
        table.add_row(plain(r.name), status, plain(r.phase or "-"), best, f"{r.seconds:.1f}", where)
    return table


def batch(
    proposals: Annotated[
        list[Path], typer.Argument(help="Proposal YAML files, e.g. proposals/*.yml.")
    ],
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Join this Ray cluster, e.g. HEAD_IP:6379 (see docs/cluster.md); "
            "default: start a local Ray.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Proposals running at once (default 2 on a local Ray; the whole batch on a "
            "cluster, as far as its CPUs allow).",
        ),
    ] = None,
    auto_approve: Annotated[
        bool,
        typer.Option("--auto-approve", help="Run each proposal to the end, no review stops."),
    ] = False,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder that holds run directories (shared on a cluster).")
    ] = Path("runs"),
    cpus_per_task: Annotated[
        float,
        typer.Option(
            "--cpus-per-task",
            help="CPUs Ray reserves for each proposal; also the ONNX threads of its scoring, "
            "which runs in-process in the task.",
        ),
    ] = 1.0,
    gpus_per_task: Annotated[
        float,
        typer.Option(
            "--gpus-per-task",
            help="GPUs Ray reserves for each proposal; > 0 makes its scoring prefer CUDA "
            "(needs onnxruntime-gpu).",
        ),
    ] = 0.0,
    scorer: ScorerOpt = None,
) -> None:
    """Run many proposals in parallel as Ray tasks, each to its first review gate (or to the
    end with --auto-approve), then print a summary table. Each task scores in-process; every
    iteration of a file holding several (iterations: [...]) runs as a task of its own."""
    setup()
    from agents.batch import run_batch

    try:
        results = run_batch(
            proposals,
            out_dir=out_dir,
            auto_approve=auto_approve,
            address=ray_address,
            workers=workers,
            progress=sys.stderr.isatty(),
            cpus_per_task=cpus_per_task,
            gpus_per_task=gpus_per_task,
            scorer=scorer,
        )
    except (ValueError, ConnectionError) as exc:  # bad options, or no cluster at the address
        raise fail(exc) from None
    out.print(summary_table(results))
    failed = [r for r in results if not r.ok]
    if failed:
        err.print(f"[bold red]{len(failed)} of {len(results)} proposals failed[/]")
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``batch`` command to ``app``."""
    app.command(name="batch")(batch)
