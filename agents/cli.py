"""The ``chromatic`` command: a thin typer layer over the runner and review functions.

Every error a person can fix (a bad proposal, a review.yml typo, a missing run) prints one
line naming the file, field, value and what is allowed, and exits with code 2.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="chromatic",
    help="An agent-driven evolutionary composer: proposal -> evolved, scored, approved parts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

RunDirArg = Annotated[Path, typer.Argument(help="The run directory, e.g. runs/night-watch.")]

# Scoring options of run and resume; each given one overrides the proposal's evolution block.
_SCORING = "Scoring (default: the proposal's evolution block, else in-process)"
ExecutorOpt = Annotated[
    Literal["local", "ray"] | None,
    typer.Option(
        "--executor",
        help="Score candidates in-process (local) or on a pool of Ray actors (ray).",
        rich_help_panel=_SCORING,
    ),
]
ActorsOpt = Annotated[
    int | None,
    typer.Option(
        "--actors", min=1, help="Ray scoring actors (default 2).", rich_help_panel=_SCORING
    ),
]
CpusOpt = Annotated[
    float | None,
    typer.Option(
        "--cpus-per-actor",
        help="CPUs per Ray actor, also its ONNX threads (default 1).",
        rich_help_panel=_SCORING,
    ),
]
GpusOpt = Annotated[
    float | None,
    typer.Option(
        "--gpus-per-actor",
        help="GPUs per Ray actor; > 0 prefers CUDA (needs onnxruntime-gpu; default 0).",
        rich_help_panel=_SCORING,
    ),
]
BatchOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        min=1,
        help="Candidates per actor call (default 32 on Ray; the whole population in-process).",
        rich_help_panel=_SCORING,
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Score on this Ray cluster, e.g. HEAD_IP:6379 (docs/cluster.md); implies "
        "--executor ray. Default: a local Ray started for the command.",
        rich_help_panel=_SCORING,
    ),
]


def _scoring(
    executor: Literal["local", "ray"] | None,
    actors: int | None,
    cpus_per_actor: float | None,
    gpus_per_actor: float | None,
    batch_size: int | None,
    ray_address: str | None,
) -> dict[str, object]:
    """The scoring options as given (None = not given), for agents.runner.scoring_settings;
    an address without --executor means Ray."""
    if ray_address is not None and executor is None:
        executor = "ray"
    return {
        "executor": executor,
        "actors": actors,
        "cpus_per_actor": cpus_per_actor,
        "gpus_per_actor": gpus_per_actor,
        "batch_size": batch_size,
        "ray_address": ray_address,
    }


def _fail(exc: Exception) -> typer.Exit:
    from rich.markup import escape

    # Escaped: messages quote files ("candidates[chord_002]") that rich would read as markup.
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _setup() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=os.environ.get("CHROMATIC_LOG", "WARNING").upper())


def _report(outcome: object) -> None:
    from agents.runner import RunOutcome

    assert isinstance(outcome, RunOutcome)
    if outcome.status == "awaiting_review":
        out.print(
            f"[bold]{outcome.phase}[/] candidates are ready for review: {outcome.review}\n"
            f"  listen, approve with `chromatic approve {outcome.run_dir} {outcome.phase} ID "
            f"--label verse`, then `chromatic resume {outcome.run_dir}`"
        )
    elif outcome.status == "done":
        out.print(f"[bold green]done:[/] {outcome.run_dir}")
    else:
        out.print(f"{outcome.run_dir}: {outcome.status} ({outcome.phase})")


@app.command()
def run(
    proposal: Annotated[Path, typer.Argument(help="A song proposal YAML file.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder that holds run directories.")
    ] = Path("runs"),
    auto_approve: Annotated[
        bool,
        typer.Option("--auto-approve", help="Approve the top candidate per section; no stops."),
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Delete an earlier run of this song first.")
    ] = False,
    executor: ExecutorOpt = None,
    actors: ActorsOpt = None,
    cpus_per_actor: CpusOpt = None,
    gpus_per_actor: GpusOpt = None,
    batch_size: BatchOpt = None,
    ray_address: AddressOpt = None,
) -> None:
    """Start a run: plan the song and evolve chords, stopping at the chords review gate."""
    _setup()
    from agents.progress import progress_hooks
    from agents.runner import start_run
    from music.errors import ChromaticError

    try:
        with progress_hooks() as hooks:
            outcome = start_run(
                proposal_path=proposal,
                out_dir=out_dir,
                auto_approve=auto_approve,
                hooks=hooks,
                replace=replace,
                scoring=_scoring(
                    executor, actors, cpus_per_actor, gpus_per_actor, batch_size, ray_address
                ),
            )
    except ChromaticError as exc:
        raise _fail(exc) from None
    _report(outcome)


@app.command()
def resume(
    run_dir: RunDirArg,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Approve the top candidates of later gates.")
    ] = False,
    executor: ExecutorOpt = None,
    actors: ActorsOpt = None,
    cpus_per_actor: CpusOpt = None,
    gpus_per_actor: GpusOpt = None,
    batch_size: BatchOpt = None,
    ray_address: AddressOpt = None,
) -> None:
    """Continue a run from its checkpoint (after approving candidates in review.yml)."""
    _setup()
    from agents.progress import progress_hooks
    from agents.runner import resume_run
    from music.errors import ChromaticError

    try:
        with progress_hooks() as hooks:
            outcome = resume_run(
                run_dir=run_dir,
                auto_approve=auto_approve,
                hooks=hooks,
                scoring=_scoring(
                    executor, actors, cpus_per_actor, gpus_per_actor, batch_size, ray_address
                ),
            )
    except ChromaticError as exc:
        raise _fail(exc) from None
    _report(outcome)


@app.command()
def status(run_dir: RunDirArg) -> None:
    """Show where a run stands: phases, approvals, and what to do next."""
    _setup()
    from agents.runner import run_status
    from music.errors import ChromaticError

    try:
        outcome, values = run_status(run_dir)
    except ChromaticError as exc:
        raise _fail(exc) from None
    table = Table(title=f"{run_dir}")
    table.add_column("phase")
    table.add_column("status")
    table.add_column("approved")
    for phase, info in values.get("phases", {}).items():
        approved = ", ".join(f"{k}={v}" for k, v in info.get("approvals", {}).items())
        table.add_row(phase, info.get("status", ""), approved or "-")
    out.print(table)
    _report(outcome)


def _review_ids(run_dir: Path, phase: str) -> list[str]:
    from agents.runner import run_status
    from music.errors import RunStateError

    _, values = run_status(run_dir)
    info = values.get("phases", {}).get(phase)
    if info is None:
        raise RunStateError(f"{run_dir}: phase {phase!r} has no candidates yet")
    return list(info["candidates"])


@app.command()
def review(
    run_dir: RunDirArg,
    phase: Annotated[str, typer.Argument(help="Phase to show.")] = "chords",
) -> None:
    """Show a phase's candidates: rank, progression, composite, theory, chromatic match."""
    _setup()
    from agents.review import load_review_document, validate_decisions
    from agents.rundir import RunDir
    from music.errors import ChromaticError

    try:
        run = RunDir(run_dir).require_existing()
        ids = _review_ids(run_dir, phase)
        path = run.review(phase)
        doc = load_review_document(path)
        validate_decisions(path, doc, known_ids=ids)
    except (ChromaticError, ValueError) as exc:
        raise _fail(exc) from None
    table = Table(title=f"{phase}: {path}")
    for col in ("rank", "id", "progression", "composite", "theory", "chromatic", "status", "label"):
        table.add_column(col)
    for c in doc["candidates"]:
        scores = c.get("scores", {})
        chroma = scores.get("chromatic")
        table.add_row(
            str(c.get("rank")),
            str(c.get("id")),
            str(c.get("description", {}).get("progression", "")),
            f"{scores.get('composite', 0):.3f}",
            f"{scores.get('theory', {}).get('total', 0):.3f}",
            f"{chroma['match']:.3f}" if chroma else "absent",
            str(c.get("status")),
            str(c.get("label") or ""),
        )
    out.print(table)


def _decide(
    run_dir: Path, phase: str, candidate: str, status_: str, label: str | None, notes: str | None
) -> None:
    from agents.decisions import record_decision
    from music.errors import ChromaticError

    try:
        decision = record_decision(
            run_dir=run_dir,
            phase=phase,
            candidate_id=candidate,
            status=status_,
            label=label,
            notes=notes,
        )
    except (ChromaticError, ValueError) as exc:
        raise _fail(exc) from None
    out.print(
        f"{decision.candidate_id}: {decision.status}"
        + (f" as {decision.label}" if decision.label else "")
    )


@app.command()
def approve(
    run_dir: RunDirArg,
    phase: Annotated[str, typer.Argument(help="Phase, e.g. chords.")],
    candidate: Annotated[str, typer.Argument(help="Candidate id, e.g. chord_003.")],
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="Section label: verse, chorus, ... (default: the candidate's section in "
            "per-section phases; required for chords).",
        ),
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="A note to keep.")] = None,
) -> None:
    """Approve a candidate for a section label (edits review.yml safely)."""
    _setup()
    _decide(run_dir, phase, candidate, "approved", label, notes)


@app.command()
def reject(
    run_dir: RunDirArg,
    phase: Annotated[str, typer.Argument(help="Phase, e.g. chords.")],
    candidate: Annotated[str, typer.Argument(help="Candidate id, e.g. chord_003.")],
    notes: Annotated[str | None, typer.Option("--notes", help="Why (kept in review.yml).")] = None,
) -> None:
    """Reject a candidate (edits review.yml safely)."""
    _setup()
    _decide(run_dir, phase, candidate, "rejected", None, notes)


def _register_commands() -> None:
    """Add the command groups and the commands that live in their own modules."""
    from agents import batch_cli, cli_parts, cli_render, cli_scorer
    from agents.cli_groups import eval_app, train_app

    for module in (cli_scorer, cli_parts, cli_render):
        module.register(app)
    batch_cli.register(app)
    app.add_typer(eval_app)
    app.add_typer(train_app)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
