"""The ``chromatic`` command: a thin typer layer over the runner and review functions.

Every error a person can fix (a bad proposal, a review.yml typo, a missing run) prints one
line naming the file, field, value and what is allowed, and exits with code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from cli.common import RunDirArg, ScorerOpt, fail, report, setup
from cli.render import KitOpt, KitPickOpt, MelodyTimbreOpt, SampleRateOpt, StemFormatOpt

if TYPE_CHECKING:
    from agents.builder import RenderOptions, ScoringOptions

app = typer.Typer(
    name="chromatic",
    help="An agent-driven evolutionary composer: proposal -> evolved, scored, approved parts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
    scorer: str | None,
) -> ScoringOptions:
    """The scoring options as given (None = not given)."""
    from agents.builder import ScoringOptions

    return ScoringOptions(
        executor=executor,
        actors=actors,
        cpus_per_actor=cpus_per_actor,
        gpus_per_actor=gpus_per_actor,
        batch_size=batch_size,
        ray_address=ray_address,
        scorer=scorer,
    )


def _rendering(
    sample_rate: int | None,
    stem_format: str | None,
    kit: str | None,
    kit_pick: str | None,
    melody_timbre: str | None,
) -> RenderOptions:
    from agents.builder import RenderOptions

    return RenderOptions(
        sample_rate=sample_rate,
        stem_format=stem_format,
        kit=kit,
        kit_pick=kit_pick,
        melody_timbre=melody_timbre,
    )


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
    iteration: Annotated[
        str | None,
        typer.Option(
            "--iteration",
            help="Which iteration of a file of several (its iteration_id, or a number from 1); "
            "default: the one with is_final: true, else the last.",
        ),
    ] = None,
    executor: ExecutorOpt = None,
    actors: ActorsOpt = None,
    cpus_per_actor: CpusOpt = None,
    gpus_per_actor: GpusOpt = None,
    batch_size: BatchOpt = None,
    ray_address: AddressOpt = None,
    scorer: ScorerOpt = None,
    sample_rate: SampleRateOpt = None,
    stem_format: StemFormatOpt = None,
    kit: KitOpt = None,
    kit_pick: KitPickOpt = None,
    melody_timbre: MelodyTimbreOpt = None,
) -> None:
    """Start a run: plan the song and evolve chords, stopping at the chords review gate."""
    setup()
    from agents.runner import start_run
    from cli.progress import progress_hooks
    from music.errors import ChromaticError

    try:
        with progress_hooks() as hooks:
            outcome = start_run(
                proposal_path=proposal,
                out_dir=out_dir,
                auto_approve=auto_approve,
                hooks=hooks,
                replace=replace,
                iteration=iteration,
                scoring=_scoring(
                    executor,
                    actors,
                    cpus_per_actor,
                    gpus_per_actor,
                    batch_size,
                    ray_address,
                    scorer,
                ),
                render=_rendering(sample_rate, stem_format, kit, kit_pick, melody_timbre),
            )
    except ChromaticError as exc:
        raise fail(exc) from None
    report(outcome)


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
    scorer: ScorerOpt = None,
    sample_rate: SampleRateOpt = None,
    stem_format: StemFormatOpt = None,
    kit: KitOpt = None,
    kit_pick: KitPickOpt = None,
    melody_timbre: MelodyTimbreOpt = None,
) -> None:
    """Continue a run from its checkpoint (after approving candidates in review.yml)."""
    setup()
    from agents.runner import resume_run
    from cli.progress import progress_hooks
    from music.errors import ChromaticError

    try:
        with progress_hooks() as hooks:
            outcome = resume_run(
                run_dir=run_dir,
                auto_approve=auto_approve,
                hooks=hooks,
                scoring=_scoring(
                    executor,
                    actors,
                    cpus_per_actor,
                    gpus_per_actor,
                    batch_size,
                    ray_address,
                    scorer,
                ),
                render=_rendering(sample_rate, stem_format, kit, kit_pick, melody_timbre),
            )
    except ChromaticError as exc:
        raise fail(exc) from None
    report(outcome)


def _register_commands() -> None:
    """Add the command groups and the commands that live in their own modules."""
    from cli import (
        batch,
        edit,
        emotion,
        gate,
        kit,
        mood_melody,
        parts,
        realism,
        render,
        scorer,
        steer,
        style,
        timbre,
        transcribe,
        web,
    )
    from cli.groups import eval_app, export_app, train_app

    for module in (
        gate,
        web,
        scorer,
        parts,
        render,
        kit,
        edit,
        steer,
        style,
        realism,
        emotion,
        timbre,
        mood_melody,
        transcribe,
    ):
        module.register(app)
    batch.register(app)
    app.add_typer(eval_app)
    app.add_typer(train_app)
    app.add_typer(export_app)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
