"""What ``chromatic train/eval/export emotion`` do: build the weak-label clips, train, fine-tune
on a catalogue, write the model files, evaluate, and read the sanity recordings.

Model files in a folder: ``emotion.npz`` (torch weights, :func:`.train.save_weights`),
``emotion.onnx`` (the Python runtime's model) and ``emotion_model.json`` (what it was trained
on, with which seed, and its held-out scores).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from music.files import write_text_atomic
from render.audio_io import decode_audio, is_readable_audio
from scoring.emotion.features import window_features
from training.emotion.catalogue import catalogue_features, read_catalogue
from training.emotion.corpus import build_clips
from training.emotion.export import export_onnx
from training.emotion.model import EmotionNet
from training.emotion.train import Scores, fit, load_weights, predict, save_weights, score, split

PACKAGE_DATA: Final = Path(__file__).resolve().parents[2] / "scoring" / "data"
WEIGHTS: Final = "emotion.npz"
ONNX: Final = "emotion.onnx"
META: Final = "emotion_model.json"
CORPUS: Final = "nottingham/MIDI"

Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class WeakConfig:
    data: Path
    out: Path
    seed: int = 0
    file_stride: int = 4
    clips_per_file: int = 2
    epochs: int = 40


def _save(model: EmotionNet, out: Path, meta: dict[str, Any]) -> Path:
    save_weights(model, out / WEIGHTS)
    export_onnx(model, out / ONNX)
    write_text_atomic(out / META, json.dumps(meta, indent=2) + "\n")
    return out


def corpus_files(data: Path, stride: int) -> list[Path]:
    folder = data / CORPUS
    files = sorted(folder.glob("*.mid"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .mid files -- the shared data folder's {CORPUS}")
    return files[::stride]


def train_weak(config: WeakConfig, step: Step) -> tuple[Scores, Scores]:
    """Train on the weak-label clips; write the model files; return train and held-out
    scores."""
    files = corpus_files(config.data, config.file_stride)
    total = len(files) * config.clips_per_file
    done = [0]

    def on_clip() -> None:
        done[0] += 1
        step(f"rendering and analysing clips {done[0]}/{total}")

    clips = build_clips(
        files, clips_per_file=config.clips_per_file, seed=config.seed, on_clip=on_clip
    )
    train_idx, test_idx = split(clips.groups, config.seed)
    torch.manual_seed(config.seed)
    model = EmotionNet()
    fit(
        model,
        clips.features[train_idx],
        clips.labels[train_idx],
        epochs=config.epochs,
        seed=config.seed,
        on_epoch=lambda e, loss: step(f"epoch {e + 1}/{config.epochs}  loss {loss:.4f}"),
    )
    train_scores = score(model, clips.features[train_idx], clips.labels[train_idx])
    test_scores = score(model, clips.features[test_idx], clips.labels[test_idx])
    meta = {
        "kind": "weak labels",
        "corpus": f"{CORPUS} (every {config.file_stride}th file, {len(files)} tunes)",
        "clips": len(clips.labels),
        "seed": config.seed,
        "epochs": config.epochs,
        "train": train_scores.to_dict(),
        "held_out": test_scores.to_dict(),
    }
    _save(model, config.out, meta)
    return train_scores, test_scores


def fine_tune(
    *, dataset: Path, base: Path, out: Path, seed: int, epochs: int, step: Step
) -> tuple[Scores, Scores]:
    """Fine-tune the model in ``base`` on a catalogue; return held-out scores before and after."""
    step("reading the catalogue")
    entries = read_catalogue(dataset)
    features, labels = catalogue_features(entries)
    groups = np.arange(len(entries), dtype=np.int64)
    train_idx, test_idx = split(groups, seed)
    model = load_weights(base / WEIGHTS)
    before = score(model, features[test_idx], labels[test_idx])
    fit(
        model,
        features[train_idx],
        labels[train_idx],
        epochs=epochs,
        seed=seed,
        lr=5e-4,
        set_norm=False,
        on_epoch=lambda e, loss: step(f"fine-tune epoch {e + 1}/{epochs}  loss {loss:.4f}"),
    )
    after = score(model, features[test_idx], labels[test_idx])
    meta = {
        "kind": "fine-tuned on a person-labelled catalogue",
        "catalogue": str(dataset),
        "base": str(base / WEIGHTS),
        "recordings": len(entries),
        "seed": seed,
        "epochs": epochs,
        "held_out_before": before.to_dict(),
        "held_out": after.to_dict(),
    }
    _save(model, out, meta)
    return before, after


def evaluate_catalogue(model_dir: Path, dataset: Path) -> Scores:
    """The model's scores on every recording of a catalogue."""
    features, labels = catalogue_features(read_catalogue(dataset))
    return score(load_weights(model_dir / WEIGHTS), features, labels)


def sanity_table(model_dir: Path, folder: Path, step: Step) -> list[tuple[str, float, float]]:
    """(recording, valence, arousal) for each audio file in ``folder`` (ending in one of
    :data:`render.audio_io.READ_SUFFIXES`), sorted by name."""
    model = load_weights(model_dir / WEIGHTS)
    rows = []
    files = sorted(p for p in folder.iterdir() if is_readable_audio(p))
    for path in files:
        step(f"analysing {path.name}")
        audio, sr = decode_audio(path)
        est = predict(model, window_features(audio.T, sr)[None])[0]
        rows.append((path.name, float(est[0]), float(est[1])))
    return rows


def read_meta(model_dir: Path) -> dict[str, Any]:
    path = model_dir / META
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return data
