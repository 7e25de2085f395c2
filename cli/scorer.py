"""Commands ``chromatic train scorer`` and ``chromatic eval scorer``: thin typer layers over
:mod:`training.scorer` (heavy imports happen inside the commands).

* ``chromatic train scorer --dataset DIR`` fits supervised chromatic heads on a person's
  labelled catalogue (layout: :mod:`training.scorer.catalogue`) and exports a model.
* ``chromatic train scorer [--data DIR]`` is the default, real-music training: it builds the
  corpus from the shared data folder and music21's corpus (unless ``--corpus`` exists),
  trains the contrastive MIDI encoder, and exports the ONNX model with zero-shot heads.
* ``chromatic train scorer --from-reviews RUN... --out DIR`` fits the scorer's taste head on
  the verdicts given at the runs' gates (approved over rejected and over lower-ranked pending
  candidates, Bradley-Terry) and writes a new model to DIR, never over the shipped one.
* ``chromatic eval scorer`` writes ``scorer_eval.json`` and ``scorer_eval.md``; with
  ``--from-reviews RUN...`` it reports the preference accuracy of the shipped model and of
  ``--model`` on those runs' verdicts instead.

Use a model trained here with ``CHROMATIC_SCORER=PATH chromatic run ...``. Every error a person
can fix prints one line (file, field, value, allowed) and exits with code 2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import err, fail, out, plain, setup
from cli.groups import eval_app, train_app

if TYPE_CHECKING:
    from scoring.preferences import ReviewedCandidate
    from training.scorer.export import ExportResult
    from training.scorer.preference import PreferenceConfig

DEFAULT_CORPUS = Path("build/scorer_corpus.npz")

DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="The shared data folder (billboard/, groove-midi/, nottingham/, openewld/ ...) to "
        "build the corpus from when --corpus does not exist yet.",
    ),
]
ReviewsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--from-reviews",
        metavar="RUN",
        help="A run folder whose gate verdicts (decisions.jsonl, review.yml) to learn from or "
        "evaluate on; repeat for several runs.",
    ),
]
CorpusOpt = Annotated[
    Path,
    typer.Option("--corpus", help="The corpus file (.npz), built from --data if missing."),
]


@contextlib.contextmanager
def _progress(message: str) -> Iterator[None]:
    """A spinner on a terminal; nothing in CI or under a test runner."""
    if sys.stderr.isatty():
        with err.status(plain(message)):
            yield
    else:
        yield


def _ensure_corpus(corpus: Path, data: Path | None, *, max_clips: int | None, seed: int) -> None:
    """Build ``corpus`` from ``data`` unless it exists. Raises ValueError naming --data."""
    if corpus.is_file():
        return
    if data is None:
        raise ValueError(
            f"--corpus: {str(corpus)!r} -- no such file; pass --data with the shared data "
            "folder to build it (e.g. --data ../shared/data), or --corpus with a built corpus"
        )
    if not data.is_dir():
        raise ValueError(f"--data: {str(data)!r} -- no such folder; the shared data folder")
    from training.scorer.corpus import build_corpus

    with _progress(f"building the corpus from {data}"):
        summary = build_corpus(data_dir=data, out=corpus, max_clips_per_source=max_clips, seed=seed)
    out.print(f"corpus: {summary.clips} clips -> {corpus}", markup=False)


def train_scorer(
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset",
            help="A labelled catalogue folder (catalogue.yml: per track midi and/or audio, "
            "concept, lyrics, color): fit supervised heads on it.",
        ),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The .onnx to write (its .json and .npz go beside it), or with "
            "--from-reviews a folder for chromatic_scorer.onnx (required there). Default: "
            "DATASET/model/chromatic_scorer.onnx, or build/scorer/chromatic_scorer.onnx.",
        ),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base", help="Scorer weights (.npz) to start a catalogue or review fit from."
        ),
    ] = None,
    from_reviews: ReviewsOpt = None,
    steps: Annotated[
        int, typer.Option("--steps", min=1, help="Catalogue or review fit steps.")
    ] = 300,
    data: DataOpt = None,
    corpus: CorpusOpt = DEFAULT_CORPUS,
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, help="Contrastive training epochs.")
    ] = 12,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=2, help="Contrastive batch (default 256; 32 --debug)."),
    ] = None,
    max_minutes: Annotated[
        float | None, typer.Option("--max-minutes", help="Stop contrastive training after this.")
    ] = None,
    max_clips_per_source: Annotated[
        int | None,
        typer.Option("--max-clips-per-source", min=1, help="Cap clips per source in the corpus."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="A tiny model (smoke runs and tests).")
    ] = False,
    threads: Annotated[int, typer.Option("--threads", min=1, help="torch threads.")] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    audio_corpus: Annotated[
        Path | None,
        typer.Option(
            "--audio-corpus",
            help="Train only the audio branch of --base (default: the shipped model) on this "
            "rendered-audio corpus (.npz; rendered from --data when missing, slow: about a "
            "second per clip and variant).",
        ),
    ] = None,
    audio_clips: Annotated[
        int,
        typer.Option("--audio-clips-per-source", min=1, help="Clips rendered per source."),
    ] = 200,
) -> None:
    """Train the ChromaticScorer: on gate verdicts (--from-reviews), a labelled catalogue
    (--dataset), its audio branch on rendered clips (--audio-corpus), else on real music."""
    setup()
    from music.errors import ChromaticError

    try:
        if from_reviews:
            from training.scorer.preference import PreferenceConfig

            if out_path is None:
                raise ValueError("--out: missing -- a folder for the new model (--from-reviews)")
            config = PreferenceConfig(steps=steps, seed=seed)
            _train_reviews(from_reviews, out_path, base=base, config=config, threads=threads)
        elif audio_corpus is not None:
            _train_audio(
                audio_corpus,
                data,
                out_path or Path("build/scorer_audio/chromatic_scorer.onnx"),
                base=base,
                clips_per_source=audio_clips,
                seed=seed,
                threads=threads,
            )
        elif dataset is not None:
            _train_catalogue(dataset, out_path, base=base, steps=steps, seed=seed, threads=threads)
        else:
            _train_contrastive(
                corpus=corpus,
                data=data,
                out_path=out_path or Path("build/scorer/chromatic_scorer.onnx"),
                epochs=epochs,
                batch_size=batch_size,
                max_minutes=max_minutes,
                max_clips=max_clips_per_source,
                debug=debug,
                threads=threads,
                seed=seed,
            )
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None


def _train_catalogue(
    dataset: Path, out_path: Path | None, *, base: Path | None, steps: int, seed: int, threads: int
) -> None:
    from training.scorer.supervised import train_catalogue

    with _progress(f"fitting the chromatic heads on {dataset}"):
        result = train_catalogue(
            dataset, out=out_path, base=base, steps=steps, seed=seed, threads=threads
        )
    held = (
        f", held-out tracks {result.heldout_initial_loss:.3f} -> {result.heldout_final_loss:.3f}"
        if result.heldout_initial_loss is not None and result.heldout_final_loss is not None
        else ""
    )
    _print_model(
        f"catalogue: {result.tracks} tracks ({result.transcribed} transcribed from audio), "
        f"{result.windows} windows; color loss "
        f"{result.initial_loss:.3f} -> {result.final_loss:.3f}{held}",
        result.export,
    )


def _train_audio(
    corpus: Path,
    data: Path | None,
    out_path: Path,
    *,
    base: Path | None,
    clips_per_source: int,
    seed: int,
    threads: int,
) -> None:
    from scoring.chromatic import default_model_path
    from training.scorer.audio_corpus import build_audio_corpus
    from training.scorer.audio_rows import load_audio_corpus
    from training.scorer.audio_train import (
        AudioTrainConfig,
        export_audio_model,
        train_audio_branch,
    )

    if not corpus.is_file():
        if data is None or not data.is_dir():
            raise ValueError(
                f"--audio-corpus: {str(corpus)!r} -- no such file; pass --data with the shared "
                "data folder to render it (e.g. --data ../shared/data)"
            )
        with _progress(f"rendering clips of {data}"):
            build_audio_corpus(
                data_dir=data,
                out=corpus,
                clips_per_source=clips_per_source,
                seed=seed,
                workers=threads,
            )
    weights = base or default_model_path().with_suffix(".npz")
    config = AudioTrainConfig(seed=seed, threads=threads)
    with _progress(f"training the audio branch of {weights}"):
        result = train_audio_branch(weights, load_audio_corpus(corpus), config)
        exported = export_audio_model(result, out_path)
    lines = [
        f"{how}: top-1 {r['top1']:.3f}, top-5 {r['top5']:.3f}"
        for how, r in result.retrieval.items()
    ]
    _print_model(
        f"audio branch: best epoch {result.best_epoch}; held-out audio clips, text among 100:\n  "
        + "\n  ".join(lines),
        exported,
    )


def _print_model(summary: str, exported: ExportResult) -> None:
    """What a fit did, where its model went and how to use it."""
    out.print(
        f"{summary}\n"
        f"model: {exported.onnx} (parity {exported.parity_max_abs_diff:.1e})\n"
        f"use it: CHROMATIC_SCORER={exported.onnx} chromatic run PROPOSAL",
        markup=False,
    )


def _reviewed(runs: list[Path]) -> list[ReviewedCandidate]:
    """Every reviewed candidate of the runs (agents/preferences.py)."""
    from agents.preferences import reviewed_candidates

    return [c for run in runs for c in reviewed_candidates(run)]


def _train_reviews(
    runs: list[Path],
    out_path: Path,
    *,
    base: Path | None,
    config: PreferenceConfig,
    threads: int,
) -> None:
    from training.scorer.preference import train_from_reviews

    candidates = _reviewed(runs)
    with _progress(f"learning from the verdicts of {len(runs)} runs"):
        result = train_from_reviews(
            candidates,
            out=out_path,
            base=base,
            config=config,
            threads=threads,
        )
    held = (
        f"; held-out pairs ({result.heldout_pairs}): {result.heldout_accuracy_before:.3f} -> "
        f"{result.heldout_accuracy_after:.3f}"
        if result.heldout_accuracy_before is not None and result.heldout_accuracy_after is not None
        else ""
    )
    _print_model(
        f"reviews: {result.candidates} candidates, {result.pairs} preference pairs; accuracy "
        f"{result.train_accuracy_before:.3f} -> {result.train_accuracy_after:.3f}{held}",
        result.export,
    )


def _eval_reviews(runs: list[Path], model: Path | None, out_dir: Path) -> None:
    import json

    from music.files import write_text_atomic
    from training.scorer.preference_eval import evaluate_preferences

    candidates = _reviewed(runs)
    models: dict[str, Path | None] = {"shipped": None}
    if model is not None:
        models[str(model)] = model
    with _progress("scoring the reviewed candidates"):
        report = evaluate_preferences(candidates, models)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "scorer_preferences.json"
    write_text_atomic(path, json.dumps(report, indent=2) + "\n")
    lines = [f"{name}: {acc:.3f}" for name, acc in report["accuracy"].items()]
    out.print(
        f"preference accuracy on {report['pairs']} pairs of {report['candidates']} reviewed "
        f"candidates (chance 0.5):\n  " + "\n  ".join(lines) + f"\nreport: {path}",
        markup=False,
    )


def _train_contrastive(
    *,
    corpus: Path,
    data: Path | None,
    out_path: Path,
    epochs: int,
    batch_size: int | None,
    max_minutes: float | None,
    max_clips: int | None,
    debug: bool,
    threads: int,
    seed: int,
) -> None:
    from training.scorer.corpus import load_corpus
    from training.scorer.export import build_graph, export
    from training.scorer.train import TrainConfig, train_model

    _ensure_corpus(corpus, data, max_clips=max_clips, seed=seed)
    loaded = load_corpus(corpus)
    defaults = (
        TrainConfig.debug(corpus, out_path.parent)
        if debug
        else TrainConfig(corpus=corpus, out_dir=out_path.parent)
    )
    config = dataclasses.replace(
        defaults,
        epochs=epochs,
        batch_size=batch_size or defaults.batch_size,
        seed=seed,
        threads=threads,
        max_minutes=max_minutes,
    )
    with _progress(f"training on {len(loaded.splits)} clips"):
        result = train_model(loaded, config)
        graph, sidecar = build_graph(result.checkpoint, loaded, seed=seed)
        exported = export(graph, out_path, sidecar=sidecar)
    best = result.history[result.best_epoch]
    out.print(
        f"trained {len(result.history)} epochs in {result.seconds / 60:.1f} min; best epoch "
        f"{result.best_epoch}: val top-1 {best.val_top1:.3f}, top-5 {best.val_top5:.3f} of 100\n"
        f"model: {exported.onnx} (parity {exported.parity_max_abs_diff:.1e})\n"
        f"evaluate it: chromatic eval scorer --model {exported.onnx} --corpus {corpus}",
        markup=False,
    )


def eval_scorer(
    model: Annotated[
        Path | None,
        typer.Option("--model", help="The .onnx to evaluate (default: the shipped model)."),
    ] = None,
    corpus: CorpusOpt = DEFAULT_CORPUS,
    data: DataOpt = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for scorer_eval.json and scorer_eval.md (scorer_preferences.json "
            "with --from-reviews).",
        ),
    ] = Path("bench/results"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    from_reviews: ReviewsOpt = None,
) -> None:
    """Evaluate the scorer: held-out retrieval, match spread, concept sensitivity, directions;
    with --from-reviews, the preference accuracy of the shipped model and --model on the runs'
    verdicts."""
    setup()
    from music.errors import ChromaticError

    if from_reviews:
        try:
            _eval_reviews(from_reviews, model, out_dir)
        except (ChromaticError, ValueError) as exc:
            raise fail(exc) from None
        return
    try:
        _ensure_corpus(corpus, data, max_clips=None, seed=0)
        from training.scorer.evaluate import main as evaluate

        with _progress("evaluating the scorer"):
            report = evaluate(model=model, corpus=corpus, out_dir=out_dir, seed=seed)
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    ret = report["retrieval"]
    goals = report["goals"]
    unmet = [k for k, v in goals.items() if not v]
    out.print(
        f"held-out retrieval ({ret['clips']} clips): top-1 {ret['top1']:.3f}, "
        f"top-5 {ret['top5']:.3f} "
        f"of {ret['pool']} (chance {ret['chance_top1']:.2f}, {ret['chance_top5']:.2f})\n"
        f"goals met {len(goals) - len(unmet)}/{len(goals)}"
        + (f" (not met: {', '.join(unmet)})" if unmet else "")
        + "\n"
        f"report: {out_dir / 'scorer_eval.md'} and {out_dir / 'scorer_eval.json'}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``train`` and ``eval`` groups."""
    del app  # the commands live in the groups, which cli/app.py adds to the app
    train_app.command("scorer")(train_scorer)
    eval_app.command("scorer")(eval_scorer)
