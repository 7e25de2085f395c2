"""``chromatic transcribe AUDIO --stem NAME|auto --out FILE.mid`` (audio to MIDI with the
per-stem models of :mod:`render.transcription`) and ``chromatic train transcribe`` (render a
Slakh-like corpus, index it per stem and train the stems' models, :mod:`training.transcribe`).
Every error a person can fix prints one line and exits with code 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import fail, out, plain, setup, status_steps
from cli.groups import train_app
from render.transcription.recording import AUDIO_ALLOWED

_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, OSError)


def transcribe(
    audio: Annotated[Path, typer.Argument(help=f"The recording to transcribe: {AUDIO_ALLOWED}.")],
    out_file: Annotated[Path, typer.Option("--out", help="The MIDI file to write (.mid).")],
    stem: Annotated[
        str,
        typer.Option(
            "--stem",
            help="The stem or instrument the recording is (bass, piano, drums, 'fretless "
            "bass', ...), or auto: every installed model reads the whole mix, one track each.",
        ),
    ] = "auto",
    models: Annotated[
        Path | None,
        typer.Option("--models", help="Folder of <stem>.onnx models [default: the shipped ones]."),
    ] = None,
    demucs: Annotated[
        Path | None,
        typer.Option(
            "--demucs",
            help="With --stem auto: a local Demucs checkpoint; its drums go to the drum model "
            "and the rest to the others (never downloaded; without it the whole mix goes to "
            "every model).",
        ),
    ] = None,
) -> None:
    """Transcribe a recording to MIDI with the per-stem models (one track per stem)."""
    setup()
    if out_file.suffix.lower() not in (".mid", ".midi"):
        raise fail(f"--out: {str(out_file)!r} -- a MIDI file path ending in .mid or .midi")
    from music.errors import ChromaticError
    from music.midi_io import write_midi
    from render.transcription.decode import to_song
    from render.transcription.recording import read_recording
    from render.transcription.taxonomy import find_stem, resolve_model
    from render.transcription.transcriber import (
        MODELS_DIR,
        installed_models,
        transcribe_mix,
        transcribe_stem,
    )

    with status_steps((*_ERRORS, ChromaticError)) as step:
        if stem.strip().lower() != "auto":
            find_stem(stem)
        data, sr = read_recording(audio)
        found = installed_models(models or MODELS_DIR)
        step(f"transcribing {audio.name}")
        if stem.strip().lower() == "auto":
            drums = None
            if demucs is not None:
                from render.kit.separate import SeparationSettings, Separator

                step("separating the drums (Demucs)")
                settings = SeparationSettings(method="demucs", demucs_checkpoint=demucs)
                drums = Separator(settings).drums(data, sr)
            parts = transcribe_mix(data, sr, models=found, drums=drums)
        else:
            out.print(f"model: {plain(resolve_model(stem, found).describe(stem))}")
            parts = [transcribe_stem(data, sr, stem=stem, models=found)]
        write_midi(to_song(parts), out_file, instrument_names=True)
    for part in parts:
        out.print(f"{plain(part.name)}: {len(part.notes)} notes")
    out.print(f"midi: {plain(out_file)}")


def _stems(text: str) -> tuple[str, ...]:
    from render.transcription.taxonomy import TRAINABLE

    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in names if s not in TRAINABLE]
    if not names or bad:
        raise fail(f"--stems: {text!r} -- comma-separated stems of {', '.join(TRAINABLE)}")
    return names


def _epoch_line(step: Callable[[str], None], name: str, epochs: int) -> Callable[..., None]:
    def on_epoch(epoch: int, loss: float, valid: float) -> None:
        step(f"{name}: epoch {epoch + 1}/{epochs}  loss {loss:.4f}  valid {valid:.4f}")

    return on_epoch


def _print_figures(name: str, metrics: dict[str, Any]) -> None:
    test = metrics["test"]
    out.print(
        f"{name}: test note F1 {test['onset']['f1']:.3f} (onsets), "
        f"{test['onset_offset']['f1']:.3f} (with offsets), in a mix "
        f"{metrics['test_in_mix']['onset']['f1']:.3f}; onset threshold "
        f"{metrics['onset_threshold']}"
        + (
            f", notes also start on frame rises over {metrics['frame_threshold']}"
            if metrics.get("frame_starts")
            else ""
        )
    )


def _train_parallel(
    configs: list[Any], jobs: int, step: Callable[[str], None]
) -> list[tuple[str, dict[str, Any]]]:
    """Train ``configs`` (TrainConfig) ``jobs`` at a time in spawned processes (each trains on
    its config's one thread and seeds itself, so the models are those of one at a time);
    the metrics in the configs' order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from training.transcribe.train import main

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(main, config): config.stem for config in configs}
        step(f"training {', '.join(futures.values())}, {jobs} at a time")
        done: dict[str, dict[str, Any]] = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            left = [name for name in futures.values() if name not in done]
            step(f"{futures[future]} done" + (f"; training {', '.join(left)}" if left else ""))
    return [(config.stem, done[config.stem]) for config in configs]


def train_transcribe(
    corpus: Annotated[
        Path,
        typer.Option(
            "--corpus",
            help="The rendered corpus folder; rendered there first when it has no songs.",
        ),
    ],
    stems: Annotated[
        str, typer.Option("--stems", help="Stems to train, e.g. bass,drums.")
    ] = "bass",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Training epochs per stem.")] = 30,
    nottingham: Annotated[
        Path, typer.Option("--nottingham", help="Nottingham MIDI folder (melodies, chords).")
    ] = Path("../shared/data/nottingham"),
    groove: Annotated[
        Path, typer.Option("--groove", help="Groove MIDI Dataset folder (drum performances).")
    ] = Path("../shared/data/groove-midi"),
    billboard: Annotated[
        Path,
        typer.Option(
            "--billboard", help="McGill Billboard chord charts (harmony); skipped if absent."
        ),
    ] = Path("../shared/data/billboard"),
    bach: Annotated[
        Path,
        typer.Option(
            "--bach", help="When in Rome's Bach chorale analyses (harmony); skipped if absent."
        ),
    ] = Path("../shared/data/when-in-rome-bach"),
    openewld: Annotated[
        Path,
        typer.Option("--openewld", help="OpenEWLD lead sheets (melodies); skipped if absent."),
    ] = Path("../shared/data/openewld"),
    songs: Annotated[
        str, typer.Option("--songs", help="Songs to render per split: train,validation,test.")
    ] = "240,24,30",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for <stem>.onnx and sidecars [default: shipped]."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="The tiny test-sized model.")] = False,
    retune: Annotated[
        bool,
        typer.Option(
            "--retune",
            help="Train nothing: pick the existing models' decoding (thresholds, frame "
            "starts) again on the validation songs and rewrite their sidecars' test figures.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the corpus and weights.")] = 0,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            min=1,
            help="Stems trained at once, each in its own process on one thread (the same "
            "models as one at a time).",
        ),
    ] = 1,
) -> None:
    """Render a Slakh-like corpus from real MIDI (if needed), write its per-stem indices and
    train one transcription model per stem, exported to ONNX with test F-measures."""
    setup()
    names = _stems(stems)
    try:
        counts = tuple(int(x) for x in songs.split(","))
    except ValueError:
        counts = ()
    if len(counts) != 3 or min(counts) < 1:
        raise fail(f"--songs: {songs!r} -- three counts >= 1: train,validation,test")
    from music.errors import ChromaticError
    from render.transcription.transcriber import MODELS_DIR
    from training.transcribe.corpus import CORPUS_STEMS, CorpusConfig, render_corpus
    from training.transcribe.indexer import write_indices
    from training.transcribe.train import TrainConfig, main, retune_model

    with status_steps((*_ERRORS, ChromaticError)) as step:
        if not any(corpus.glob("*/*/metadata.json")):
            extra = {"billboard": billboard, "bach": bach, "openewld": openewld}
            for option, folder in extra.items():
                if not folder.is_dir():
                    out.print(f"--{option}: {plain(folder)} is not a folder -- not drawn from")
            cfg = CorpusConfig(
                nottingham=nottingham,
                groove=groove,
                out=corpus,
                billboard=billboard if billboard.is_dir() else None,
                bach=bach if bach.is_dir() else None,
                openewld=openewld if openewld.is_dir() else None,
                songs=(counts[0], counts[1], counts[2]),
                seed=seed,
            )
            render_corpus(cfg, on_song=lambda name: step(f"rendering {name}"))
        step("indexing the corpus per stem")
        write_indices(corpus, CORPUS_STEMS)
        if retune:
            for name in names:
                step(f"{name}: picking the threshold again")
                _print_figures(name, retune_model((out_dir or MODELS_DIR) / f"{name}.onnx", corpus))
        else:
            configs = [
                TrainConfig(
                    corpus=corpus,
                    stem=name,
                    out=out_dir or MODELS_DIR,
                    epochs=epochs,
                    debug=debug,
                    seed=seed,
                )
                for name in names
            ]
            if jobs == 1 or len(configs) == 1:
                for config in configs:
                    on_epoch = _epoch_line(step, config.stem, epochs)
                    _print_figures(config.stem, main(config, on_epoch=on_epoch))
            else:
                for name, metrics in _train_parallel(configs, jobs, step):
                    _print_figures(name, metrics)
    out.print(f"models: {plain(out_dir or MODELS_DIR)}")


def register(app: typer.Typer) -> None:
    """Add ``transcribe`` and ``train transcribe``."""
    app.command("transcribe")(transcribe)
    train_app.command("transcribe")(train_transcribe)
