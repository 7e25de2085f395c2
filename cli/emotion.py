"""``chromatic train emotion``, ``chromatic eval emotion`` and ``chromatic export emotion``:
the valence/arousal model (:mod:`training.emotion`). Every error a person can fix prints one
line and exits with code 2."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import PACKAGE_DATA, fail, out, plain, setup, status_steps
from cli.groups import eval_app, export_app, train_app

if TYPE_CHECKING:
    from training.emotion.train import Scores

_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, OSError)

ModelOpt = Annotated[
    Path,
    typer.Option("--model", help="Folder with emotion.npz (default: the shipped model)."),
]
DataOpt = Annotated[
    Path,
    typer.Option("--data", help="The shared data folder (reads nottingham/MIDI/)."),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the clips, split and training.")]


def _scores(name: str, s: Scores) -> str:
    d = s.to_dict()
    return (
        f"{name}: valence r {d['valence_r']:+.3f} (MAE {d['valence_mae']:.3f}), "
        f"arousal r {d['arousal_r']:+.3f} (MAE {d['arousal_mae']:.3f}), {d['clips']} clips"
    )


def train_emotion(
    data: DataOpt = Path("../shared/data"),
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset",
            help="Fine-tune on a person-labelled catalogue: a folder with labels.csv "
            "(file,valence,arousal in -1..1) and the audio files it names.",
        ),
    ] = None,
    model: ModelOpt = PACKAGE_DATA,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where the model files go (default: the package for weak-label training, "
            "./emotion-model for fine-tuning).",
        ),
    ] = None,
    seed: SeedOpt = 0,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Training epochs.")] = 40,
    clips_per_file: Annotated[
        int, typer.Option("--clips-per-file", min=1, help="Varied excerpts per MIDI file.")
    ] = 2,
    file_stride: Annotated[
        int, typer.Option("--file-stride", min=1, help="Use every Nth MIDI file.")
    ] = 4,
) -> None:
    """Train the emotion model on weak labels from real MIDI rendered to audio, or fine-tune
    it on a person-labelled catalogue (--dataset)."""
    setup()
    from training.emotion.run import WeakConfig, fine_tune, train_weak

    with status_steps(_ERRORS) as step:
        if dataset is None:
            if not data.is_dir():
                raise fail(f"--data: {str(data)!r} -- no such folder; the shared data folder")
            config = WeakConfig(
                data=data,
                out=out_dir or PACKAGE_DATA,
                seed=seed,
                file_stride=file_stride,
                clips_per_file=clips_per_file,
                epochs=epochs,
            )
            train_scores, test = train_weak(config, step)
            lines = [_scores("train", train_scores), _scores("held-out", test)]
            target = config.out
        else:
            target = out_dir or Path("emotion-model")
            before, after = fine_tune(
                dataset=dataset, base=model, out=target, seed=seed, epochs=epochs, step=step
            )
            lines = [_scores("held-out before", before), _scores("held-out after", after)]
    for line in lines:
        out.print(plain(line))
    out.print(f"model: {plain(target)}")


def eval_emotion(
    model: ModelOpt = PACKAGE_DATA,
    dataset: Annotated[
        Path | None,
        typer.Option("--dataset", help="Also score every recording of this catalogue."),
    ] = None,
    recordings: Annotated[
        Path,
        typer.Option("--recordings", help="Folder of real recordings for the sanity table."),
    ] = Path("../shared/data/librosa-audio"),
) -> None:
    """Print the model's held-out scores, a catalogue's scores, and a sanity table of
    valence/arousal estimates on real recordings."""
    setup()
    from training.emotion.run import evaluate_catalogue, read_meta, sanity_table

    meta = read_meta(model)
    for key in ("held_out_before", "held_out"):
        if key in meta:
            d = meta[key]
            out.print(
                plain(
                    f"{meta.get('kind', 'model')} {key.replace('_', '-')}: valence r "
                    f"{d['valence_r']:+.3f}, arousal r {d['arousal_r']:+.3f} ({d['clips']} clips)"
                )
            )
    with status_steps(_ERRORS) as step:
        if dataset is not None:
            out.print(plain(_scores(f"catalogue {dataset}", evaluate_catalogue(model, dataset))))
        rows = sanity_table(model, recordings, step) if recordings.is_dir() else []
    if rows:
        out.print(f"{'recording':60s} {'valence':>8s} {'arousal':>8s}")
        for name, v, a in rows:
            out.print(f"{plain(name[:60]):60s} {v:+8.3f} {a:+8.3f}")
    else:
        out.print(f"no recordings in {plain(recordings)}: sanity table skipped")


def export_emotion(
    rtneural: Annotated[
        Path | None, typer.Option("--rtneural", help="Write RTNeural's model JSON here.")
    ] = None,
    onnx: Annotated[Path | None, typer.Option("--onnx", help="Write the ONNX model here.")] = None,
    model: ModelOpt = PACKAGE_DATA,
) -> None:
    """Export the emotion model for RTNeural (C++) and/or onnxruntime."""
    setup()
    if rtneural is None and onnx is None:
        raise fail("give --rtneural FILE.json and/or --onnx FILE.onnx")
    from training.emotion.export import export_onnx, export_rtneural
    from training.emotion.run import WEIGHTS
    from training.emotion.train import load_weights

    with status_steps(_ERRORS) as step:
        step("loading the model")
        net = load_weights(model / WEIGHTS)
        if rtneural is not None:
            out.print(f"RTNeural JSON: {plain(export_rtneural(net, rtneural))}")
        if onnx is not None:
            out.print(f"ONNX: {plain(export_onnx(net, onnx))}")


def register(app: typer.Typer) -> None:
    """Add the emotion commands to the train, eval and export groups."""
    del app
    train_app.command("emotion")(train_emotion)
    eval_app.command("emotion")(eval_emotion)
    export_app.command("emotion")(export_emotion)
