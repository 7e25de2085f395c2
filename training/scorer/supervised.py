"""Supervised chromatic heads from a labelled catalogue (``chromatic train scorer --dataset``).

Starting from a scorer graph (default: the shipped one, ``scoring/data/chromatic_scorer.npz``),
:func:`train_catalogue` fits, on the catalogue's tracks (layout: :mod:`training.scorer.catalogue`):

* the heads' residuals and temperature (:class:`training.scorer.heads.ChromaticHeads`), with
  cross-entropy against each track's color target vectors;
* the audio and lyric branches of the encoder, when tracks have audio or lyrics (their inputs
  are standardised with the catalogue's statistics first);
* with at least :data:`MIN_CONCEPTS` distinct concepts, a contrastive term that pulls each
  track's music towards its own concept text (weight ``concept_weight``).

The MIDI path of the encoder (roll CNN, symbolic MLP, projection) and the learned null
embeddings stay frozen, so the reference bank used to calibrate ``match`` stays valid; the
color-agreement statistics are recomputed for the new heads. The heads never read the concept,
so a concept cannot stand in for a label. The result is exported like the shipped model (ONNX +
sidecar + weights) to ``out``; ``ChromaticScorer.load(out)`` uses it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from music.errors import MidiFileError
from music.midi_io import Song, read_midi
from music.notes import Note, Part
from render.transcription.transcriber import MODELS_DIR, installed_models
from scoring.audio_features import N_AUDIO, audio_features
from scoring.colors import target_vector
from scoring.midi_features import ROLL_STEPS, WINDOW_QN, midi_features
from scoring.text_encoder import EMBED_DIM, TextEncoder
from training.scorer.calibration import DEFAULT_MATCH_SCALE, calibrate
from training.scorer.catalogue import (
    Catalogue,
    CatalogueError,
    Track,
    load_catalogue,
    window_offsets,
)
from training.scorer.export import ExportResult, export
from training.scorer.graph import ScorerGraph, load_graph
from training.scorer.heads import soft_cross_entropy
from training.scorer.train import contrastive_loss
from training.scorer.transcribed import CACHE_DIR, Transcriptions

logger = logging.getLogger(__name__)

MIN_CONCEPTS: Final = 4
MAX_WINDOWS: Final = 4


@dataclass(frozen=True, slots=True)
class Examples:
    """Model inputs of every training window, with the index of the track it came from."""

    roll: NDArray[np.float32]  # [N, 2, 128, 128]
    symbolic: NDArray[np.float32]  # [N, 32]
    audio: NDArray[np.float32]  # [N, 32]
    audio_mask: NDArray[np.float32]  # [N, 1]
    lyrics: NDArray[np.float32]  # [N, 384]
    lyrics_mask: NDArray[np.float32]  # [N, 1]
    concept: NDArray[np.float32]  # [N, 384]
    target: NDArray[np.float32]  # [N, 9]
    track: NDArray[np.int64]  # [N]

    def tensors(self, rows: NDArray[np.int64]) -> dict[str, Tensor]:
        return {
            name: torch.from_numpy(getattr(self, name)[rows])
            for name in (
                "roll",
                "symbolic",
                "audio",
                "audio_mask",
                "lyrics",
                "lyrics_mask",
                "concept",
                "target",
            )
        }


@dataclass(frozen=True, slots=True)
class CatalogueResult:
    """What :func:`train_catalogue` returns."""

    export: ExportResult
    tracks: int
    windows: int
    initial_loss: float
    final_loss: float
    heldout_initial_loss: float | None
    heldout_final_loss: float | None
    transcribed: int = 0  # tracks without MIDI whose recordings (or stems) gave notes


def _midi_windows(song: Song) -> list[tuple[NDArray[np.float32], NDArray[np.float32]]]:
    """(roll, symbolic) of up to :data:`MAX_WINDOWS` 32-qn windows of ``song`` (none when it
    has no notes)."""
    out = []
    for start in window_offsets(
        song.end, window_qn=WINDOW_QN, bar_qn=song.meter.bar_qn, max_windows=MAX_WINDOWS
    ):
        parts = []
        for p in song.parts:
            notes = tuple(
                Note(
                    start=n.start - start,
                    end=min(n.end, start + WINDOW_QN) - start,
                    pitch=n.pitch,
                    velocity=n.velocity,
                )
                for n in p.notes
                if start <= n.start < start + WINDOW_QN
            )
            if notes:
                parts.append(Part(name=p.name, notes=notes, program=p.program, is_drum=p.is_drum))
        try:
            feats = midi_features(parts, bpm=song.bpm, meter=song.meter)
        except MidiFileError:
            continue  # an empty stretch of a longer song
        out.append((feats.roll, feats.symbolic))
    return out


def _windows(
    track: Track, cat_file: Path, transcriptions: Transcriptions | None
) -> list[tuple[NDArray[np.float32], NDArray[np.float32]]]:
    """The track's MIDI windows; a track without MIDI's from the transcription of its stems,
    else of its recording (when ``transcriptions`` is given), or none."""
    if track.midi is None:
        if transcriptions is None:
            return []
        if track.stems:
            return _midi_windows(transcriptions.song_of_stems(track.stems))
        if track.audio is None:
            return []
        return _midi_windows(read_midi(transcriptions.midi_of(track.audio)))
    out = _midi_windows(read_midi(track.midi))
    if not out:
        raise CatalogueError(
            file=cat_file,
            field=f"track {track.id}.midi",
            value=str(track.midi),
            allowed="a MIDI file with notes",
        )
    return out


def _audio(track: Track, cat_file: Path) -> NDArray[np.float32] | None:
    if track.audio is None:
        return None
    import soundfile as sf

    try:
        samples, sr = sf.read(str(track.audio), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as exc:
        raise CatalogueError(
            file=cat_file,
            field=f"track {track.id}.audio",
            value=str(track.audio),
            allowed=f"a readable audio file ({exc})",
        ) from None
    return audio_features(samples.T, int(sr))


def build_examples(
    cat: Catalogue,
    text: TextEncoder,
    sym_mean: NDArray[np.float32],
    transcriptions: Transcriptions | None = None,
) -> Examples:
    """Features of every track: MIDI windows; an audio-only track's from the MIDI that
    ``transcriptions`` makes of its recording (:mod:`training.scorer.transcribed`). Without
    ``transcriptions``, or where the models hear no note, an audio-only track is one window
    with an empty roll and the training corpus's mean symbolic features: only its audio
    speaks."""
    cat_file = cat.root / "catalogue.yml"
    rows: dict[str, list[Any]] = {k: [] for k in Examples.__slots__}
    concepts = text.encode([t.concept for t in cat.tracks])
    for i, track in enumerate(cat.tracks):
        windows = _windows(track, cat_file, transcriptions) or [
            (np.zeros((2, 128, ROLL_STEPS), np.float32), sym_mean.astype(np.float32))
        ]
        audio = _audio(track, cat_file)
        lyric = text.encode([track.lyrics])[0] if track.lyrics else None
        for roll, sym in windows:
            rows["roll"].append(roll)
            rows["symbolic"].append(sym)
            rows["audio"].append(audio if audio is not None else np.zeros(N_AUDIO, np.float32))
            rows["audio_mask"].append([float(audio is not None)])
            rows["lyrics"].append(lyric if lyric is not None else np.zeros(EMBED_DIM, np.float32))
            rows["lyrics_mask"].append([float(lyric is not None)])
            rows["concept"].append(concepts[i])
            rows["target"].append(target_vector(track.color).flat())
            rows["track"].append(i)
    floats = {k: np.asarray(v, dtype=np.float32) for k, v in rows.items() if k != "track"}
    return Examples(track=np.asarray(rows["track"], dtype=np.int64), **floats)


def shipped_weights() -> Path:
    return Path(str(resources.files("scoring.data").joinpath("chromatic_scorer.npz")))


def _trainable(graph: ScorerGraph) -> list[torch.nn.Parameter]:
    enc = graph.encoder
    return [
        graph.heads.log_scale,
        *graph.heads.residual.parameters(),
        *enc.audio.net.parameters(),
        *enc.lyrics.net.parameters(),
    ]


def _loss(graph: ScorerGraph, batch: dict[str, Tensor], concept_weight: float) -> Tensor:
    z = graph.encoder(
        batch["roll"],
        batch["symbolic"],
        batch["audio"],
        batch["audio_mask"],
        batch["lyrics"],
        batch["lyrics_mask"],
    )
    loss = soft_cross_entropy(graph.heads(z), batch["target"])
    if concept_weight > 0:
        scale = torch.tensor(graph.config.max_logit_scale / 4)
        loss = loss + concept_weight * contrastive_loss(z, batch["concept"], scale)
    return loss


def fit(
    graph: ScorerGraph,
    ex: Examples,
    rows: NDArray[np.int64],
    *,
    steps: int,
    lr: float,
    weight_decay: float,
    concept_weight: float,
    seed: int,
) -> tuple[float, float]:
    """Full-batch Adam on the trainable parts of ``graph`` (in place). Returns the
    cross-entropy (plus concept term) before and after, on ``rows``."""
    torch.manual_seed(seed)
    for p in graph.parameters():
        p.requires_grad_(False)
    params = _trainable(graph)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    batch = ex.tensors(rows)
    graph.eval()  # dropout and batch norm statistics stay as trained
    with torch.no_grad():
        initial = float(_loss(graph, batch, concept_weight).item())
    for _ in range(steps):
        opt.zero_grad()
        _loss(graph, batch, concept_weight).backward()
        opt.step()
        with torch.no_grad():
            graph.heads.log_scale.clamp_(min=0.0, max=math.log(200.0))
    with torch.no_grad():
        final = float(_loss(graph, batch, concept_weight).item())
    for p in graph.parameters():
        p.requires_grad_(False)
    return initial, final


def _evaluate(graph: ScorerGraph, ex: Examples, rows: NDArray[np.int64]) -> float:
    with torch.no_grad():
        return float(_loss(graph, ex.tensors(rows), 0.0).item())


def train_catalogue(
    dataset: Path,
    *,
    out: Path | None = None,
    base: Path | None = None,
    steps: int = 300,
    lr: float = 0.01,
    weight_decay: float = 0.01,
    concept_weight: float = 0.5,
    seed: int = 0,
    threads: int = 1,
    text_encoder: TextEncoder | None = None,
    transcribe: bool = True,
    transcription_models: Path | None = None,
) -> CatalogueResult:
    """Fit supervised heads on the catalogue at ``dataset`` and export the model.

    Args:
        dataset: the catalogue folder (``catalogue.yml`` inside).
        out: the ``.onnx`` to write (default ``<dataset>/model/chromatic_scorer.onnx``); its
            ``.json`` sidecar and ``.npz`` weights go beside it.
        base: the scorer weights to start from (default: the shipped ``chromatic_scorer.npz``).
        steps, lr, weight_decay: full-batch AdamW settings.
        concept_weight: weight of the music-concept contrastive term (used with at least
            :data:`MIN_CONCEPTS` distinct concepts).
        threads: torch threads (1 is fastest on a shared 2-core machine: with 2, torch's
            threads spin against other processes and a 12 s fit took 214 s).
        transcribe: transcribe the recordings of audio-only tracks to MIDI (cached in
            ``<dataset>/cache/transcribed``) so they train the MIDI branch too.
        transcription_models: the folder of ``<stem>.onnx`` transcription models (default:
            the shipped ones).

    Raises CatalogueError for a bad catalogue, ModelFileError for a missing base model.
    """
    torch.set_num_threads(threads)
    cat = load_catalogue(Path(dataset))
    out = Path(out) if out is not None else cat.root / "model" / "chromatic_scorer.onnx"
    graph, meta = load_graph(base or shipped_weights())
    text = text_encoder or TextEncoder.load()
    transcriptions = _transcriptions(cat, transcription_models) if transcribe else None
    ex = build_examples(cat, text, graph.encoder.sym_mean.numpy(), transcriptions)
    # Tracks without MIDI whose transcription held notes (their rows carry a roll of their own).
    transcribed = sum(
        track.midi is None and bool(ex.roll[ex.track == i].any())
        for i, track in enumerate(cat.tracks)
    )
    audio_trained = bool(meta.get("sidecar", {}).get("modalities", {}).get("audio", 0))
    _standardise(graph, ex, audio_trained=audio_trained)
    if len({t.concept for t in cat.tracks}) < MIN_CONCEPTS:
        concept_weight = 0.0
    all_rows = np.arange(len(ex.track), dtype=np.int64)
    held_initial = held_final = None
    if len(cat.tracks) >= 10:  # a held-out check: fit on 80% of the tracks, test on the rest
        rng = np.random.default_rng(seed)
        held_tracks = rng.choice(len(cat.tracks), size=max(2, len(cat.tracks) // 5), replace=False)
        held = np.isin(ex.track, held_tracks)
        probe, _ = load_graph(base or shipped_weights())
        _standardise(probe, ex, audio_trained=audio_trained)
        held_initial = _evaluate(probe, ex, all_rows[held])
        fit(
            probe,
            ex,
            all_rows[~held],
            steps=steps,
            lr=lr,
            weight_decay=weight_decay,
            concept_weight=concept_weight,
            seed=seed,
        )
        held_final = _evaluate(probe, ex, all_rows[held])
        logger.info("held-out tracks: color cross-entropy %.4f -> %.4f", held_initial, held_final)
    initial, final = fit(
        graph,
        ex,
        all_rows,
        steps=steps,
        lr=lr,
        weight_decay=weight_decay,
        concept_weight=concept_weight,
        seed=seed,
    )
    base_side = meta.get("sidecar", {})
    summary = {**cat.summary(), "transcribed_audio": transcribed}
    sidecar = {
        "version": f"{base_side.get('version', 'unknown')}+catalogue",
        "heads": {
            **base_side.get("heads", {}),
            "mode": "supervised",
            "temperature": graph.heads.temperature,
            "catalogue_loss": {
                "initial": initial,
                "final": final,
                "heldout_initial": held_initial,
                "heldout_final": held_final,
            },
        },
        "calibration": calibrate(
            graph,
            weights=base_side.get("calibration", {}).get("weights"),
            scale=base_side.get("calibration", {}).get("scale", DEFAULT_MATCH_SCALE),
        ),
        "modalities": {
            "audio": summary["with_audio"] + base_side.get("modalities", {}).get("audio", 0),
            "lyrics": summary["with_lyrics"] + base_side.get("modalities", {}).get("lyrics", 0),
        },
        "training_data": {**base_side.get("training_data", {}), "catalogue": summary},
        "training": base_side.get("training", {}),
    }
    result = export(graph, out, sidecar=sidecar)
    logger.info(
        "catalogue %s: %d tracks, loss %.4f -> %.4f -> %s",
        cat.name,
        len(cat.tracks),
        initial,
        final,
        out,
    )
    return CatalogueResult(
        export=result,
        tracks=len(cat.tracks),
        windows=len(ex.track),
        initial_loss=initial,
        final_loss=final,
        heldout_initial_loss=held_initial,
        heldout_final_loss=held_final,
        transcribed=transcribed,
    )


def _transcriptions(cat: Catalogue, models_dir: Path | None) -> Transcriptions | None:
    """The catalogue's transcription cache, when it has audio-only tracks and models exist."""
    if all(t.midi is not None or (t.audio is None and not t.stems) for t in cat.tracks):
        return None
    models = installed_models(models_dir or MODELS_DIR)
    if not models:
        logger.warning(
            "no transcription models in %s: audio-only tracks train the audio branch alone",
            models_dir or MODELS_DIR,
        )
        return None
    return Transcriptions(cat.root / CACHE_DIR, models)


def _standardise(graph: ScorerGraph, ex: Examples, *, audio_trained: bool) -> None:
    """Set the audio branch's input statistics from the catalogue's recordings, unless the base
    model's audio branch was already trained on other statistics. Standard deviations are
    floored at 0.05 (the features lie in about [0, 1]; a few tracks give noisy estimates)."""
    present = ex.audio[ex.audio_mask[:, 0] > 0]
    if audio_trained or len(present) < 2:
        return
    std = np.maximum(present.std(axis=0), 0.05).astype(np.float32)
    graph.encoder.audio.mean.copy_(torch.from_numpy(present.mean(axis=0)))
    graph.encoder.audio.std.copy_(torch.from_numpy(std))


__all__ = [
    "CatalogueResult",
    "Examples",
    "build_examples",
    "fit",
    "shipped_weights",
    "train_catalogue",
]
