"""``chromatic train mood-melody``: train the mood melody transformer
(:mod:`training.melody_mood`) on OpenEWLD's lead sheets with weak valence/arousal labels and
export its ONNX graphs; ``chromatic eval mood-melody`` measures its samples against the
held-out corpora and the shift between low and high mood conditions. Every error a person can
fix prints one line and exits with code 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.common import out, plain, setup, status_steps
from cli.groups import eval_app, train_app

_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, OSError)
_DATA_HELP = "Folder holding openewld/ (and nottingham/ for the evaluation)."


def train_mood_melody(
    data: Annotated[Path, typer.Option("--data", help=_DATA_HELP)] = Path("../shared/data"),
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="The .onnx to write [default: the shipped model's path]."),
    ] = None,
    minutes: Annotated[
        float, typer.Option("--max-minutes", min=0.1, help="Training time budget.")
    ] = 15.0,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Most training steps.")] = 6000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the labels and weights.")] = 0,
) -> None:
    """Train the compound-word melody transformer conditioned on valence and arousal (one
    torch thread), keep the checkpoint best on the tune split, report the held-out loss."""
    setup()
    from music.errors import ChromaticError
    from training.melody_mood.export import DEFAULT_OUT
    from training.melody_mood.train import TrainConfig, main

    with status_steps((*_ERRORS, ChromaticError)) as step:
        step("reading OpenEWLD's lead sheets")
        result = main(
            TrainConfig(
                data_dir=data,
                out=out_path or DEFAULT_OUT,
                steps=steps,
                max_minutes=minutes,
                seed=seed,
            ),
            on_eval=lambda s, train, tune: step(f"step {s}  train {train:.3f}  tune {tune:.3f}"),
        )
    out.print(
        plain(
            f"{result.n_params} parameters, {result.steps} steps (best {result.best_step}) in "
            f"{result.seconds:.0f} s; loss per note: tune {result.tune_loss:.3f}, held out "
            f"{result.heldout_loss:.3f}; ONNX parity {result.parity_max_abs:.1e}"
        )
    )
    out.print(f"model: {plain(result.onnx_path)}")


def eval_mood_melody(
    data: Annotated[Path, typer.Option("--data", help=_DATA_HELP)] = Path("../shared/data"),
    model: Annotated[
        Path | None, typer.Option("--model", help="The .onnx to measure [default: shipped].")
    ] = None,
    samples: Annotated[int, typer.Option("--samples", min=4, help="Melodies per condition.")] = 96,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the figures as JSON here.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the samples.")] = 0,
) -> None:
    """Sample melodies for the held-out segments' conditions and measure them against the
    held-out corpora's 5-95 percentile bands; then the shift from low to high valence and
    arousal."""
    setup()
    from music.errors import ChromaticError
    from training.melody_mood.evaluate import evaluate, format_report

    with status_steps((*_ERRORS, ChromaticError)) as step:
        step("reading the held-out corpora and sampling")
        figures = evaluate(data_dir=data, model_path=model, per_condition=samples, seed=seed)
    out.print(plain(format_report(figures)))
    if report is not None:
        from music.files import write_text_atomic

        report.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(report, json.dumps(figures, indent=2) + "\n")


def register(app: typer.Typer) -> None:
    """Add the mood-melody commands to the train and eval groups."""
    train_app.command("mood-melody")(train_mood_melody)
    eval_app.command("mood-melody")(eval_mood_melody)
