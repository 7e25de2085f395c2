"""``chromatic train timbre``: fit the DDSP timbre of the melody stem (:mod:`training.timbre`)
to a monophonic recording and write its ONNX decoder and sidecar. Every error a person can fix
prints one line and exits with code 2."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from cli.common import fail, out, plain, setup, status_steps
from cli.groups import train_app

_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, OSError)


def train_timbre(
    audio: Annotated[
        Path,
        typer.Option("--audio", help="A monophonic, pitched recording (WAV, OGG, FLAC, MP3)."),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for timbre.onnx and its timbre.json sidecar.")
    ],
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Training epochs [default: 250].")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the windows and weights.")] = 0,
) -> None:
    """Train a DDSP timbre (f0 and loudness -> harmonics and filtered noise) on a recording,
    keeping its last 15% out to evaluate; play a melody on it with --melody-timbre."""
    setup()
    if not audio.is_file():
        raise fail(f"--audio: {str(audio)!r} -- no such file; a monophonic recording")
    from music.errors import ChromaticError
    from training.timbre.train import ONNX_NAME, TrainConfig, main

    with status_steps((*_ERRORS, ChromaticError)) as step:
        config = TrainConfig(audio=audio, out=out_dir, seed=seed)
        if epochs is not None:
            config = replace(config, epochs=epochs)
        step("measuring the recording (pYIN f0, loudness, pitch-shifted copies)")
        summary = main(
            config,
            on_epoch=lambda e, loss: step(f"epoch {e + 1}/{config.epochs}  loss {loss:.3f}"),
        )
    out.print(
        plain(
            f"held-out spectral loss {summary['held_out_loss']:.3f} (untrained "
            f"{summary['held_out_loss_untrained']:.3f}); {summary['steps']} steps in "
            f"{summary['train_seconds']:.0f} s"
        )
    )
    out.print(f"model: {plain(out_dir / ONNX_NAME)}")


def register(app: typer.Typer) -> None:
    """Add the timbre command to the train group."""
    train_app.command("timbre")(train_timbre)
