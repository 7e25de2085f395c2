"""Train one stem's transcription model on a rendered corpus, pick its decoding thresholds on
the validation split, export it to ONNX and score it on the test split.

Losses: binary cross-entropy on the onset and frame heads, weighed by the stem's role
(:data:`~render.transcription.taxonomy.ROLE_LOSS_WEIGHTS`: drums have no frame loss). Inputs
are the stem alone or, with probability ``mix_prob``, over the song's other stems (levels
drawn per example), so a model also reads its stem inside a mix. The best epoch by
validation loss is kept. Test figures (:mod:`training.transcribe.evaluate`) are measured with
the exported ONNX model on the stems alone (``test``) and over the other stems at -6 dB each
(``test_in_mix``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
import torch.nn.functional as F

from music.files import write_text_atomic
from render.transcription.decode import NoteEvent, drum_hits, pitched_notes
from render.transcription.features import FRAMES_PER_SECOND, SAMPLE_RATE, log_mel
from render.transcription.taxonomy import (
    BY_NAME,
    DRUM_CLASSES,
    ROLE_LOSS_WEIGHTS,
    TRAINABLE,
)
from render.transcription.transcriber import StemTranscriber
from training.transcribe.dataset import Batch, Clip, load_clips, make_batch, model_outputs, targets
from training.transcribe.evaluate import as_drum_classes, evaluate, note_f
from training.transcribe.export import export_onnx
from training.transcribe.model import Transcriber, TranscriberConfig, debug_config

logger = logging.getLogger(__name__)

THRESHOLDS: Final = (0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Frame thresholds a pitched model's decoding is picked from (with and without frame starts).
FRAME_THRESHOLDS: Final = (0.3, 0.5)
#: Shortest notes (frames) a pitched model's decoding is picked from.
MIN_NOTE_FRAMES: Final = (2, 4, 8)
#: Level of each other stem under the target in the ``test_in_mix`` figures.
MIX_OTHERS_DB: Final = -6.0


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """One stem's training run. ``out``: folder for ``<stem>.onnx`` and its sidecar."""

    corpus: Path
    stem: str
    out: Path
    epochs: int = 40
    batch_size: int = 8
    clip_frames: int = 320
    lr: float = 2e-3
    mix_prob: float = 0.3
    seed: int = 0
    debug: bool = False
    threads: int = 1

    def __post_init__(self) -> None:
        if self.stem not in TRAINABLE:
            raise ValueError(f"stem: {self.stem!r} -- one of {', '.join(TRAINABLE)}")
        if self.epochs < 1 or self.batch_size < 1 or self.clip_frames < 16:
            raise ValueError(
                f"TrainConfig: epochs {self.epochs}, batch_size {self.batch_size}, clip_frames "
                f"{self.clip_frames} -- epochs and batch >= 1, clip_frames >= 16"
            )


def _loss(model: Transcriber, batch: Batch, weights: tuple[float, float]) -> torch.Tensor:
    """Role-weighted onset and frame BCE of ``batch``."""
    onset, frame = model(torch.from_numpy(batch.features))
    loss = weights[0] * F.binary_cross_entropy_with_logits(onset, torch.from_numpy(batch.onset))
    if weights[1] > 0:
        loss = loss + weights[1] * F.binary_cross_entropy_with_logits(
            frame, torch.from_numpy(batch.frame)
        )
    return loss


@torch.no_grad()
def _posteriors(model: Transcriber, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    onset, frame = model(torch.from_numpy(log_mel(audio))[None])
    return torch.sigmoid(onset)[0].numpy(), torch.sigmoid(frame)[0].numpy()


@dataclass(frozen=True, slots=True)
class Decoding:
    """How a model's posteriors become notes (the sidecar's decoding fields)."""

    onset_threshold: float
    frame_threshold: float = 0.5
    frame_starts: bool = False
    min_frames: int = 2


def _decode(stem: str, onset: np.ndarray, frame: np.ndarray, how: Decoding) -> list[NoteEvent]:
    if BY_NAME[stem].is_drum:
        notes = [note for _, note, _ in DRUM_CLASSES]
        return drum_hits(onset, notes=notes, fps=FRAMES_PER_SECOND, threshold=how.onset_threshold)
    return pitched_notes(
        onset,
        frame,
        low=BY_NAME[stem].low,
        fps=FRAMES_PER_SECOND,
        onset_threshold=how.onset_threshold,
        frame_threshold=how.frame_threshold,
        frame_starts=how.frame_starts,
        min_frames=how.min_frames,
    )


def decodings(stem: str) -> list[Decoding]:
    """The decodings :func:`pick_decoding` tries: onset thresholds for drums; for a pitched
    stem each with every frame threshold and shortest note, with and without frame starts."""
    if BY_NAME[stem].is_drum:
        return [Decoding(thr) for thr in THRESHOLDS]
    return [
        Decoding(thr, frame, starts, shortest)
        for thr in THRESHOLDS
        for frame in FRAME_THRESHOLDS
        for starts in (False, True)
        for shortest in MIN_NOTE_FRAMES
    ]


@torch.no_grad()
def _validation(
    model: Transcriber, clips: list[Clip], stem: str, weights: tuple[float, float]
) -> float:
    """Mean loss over the whole validation clips, stems alone."""
    model.eval()
    losses = []
    for clip in clips:
        feats = log_mel(clip.target)
        onset, frame = targets(clip.notes, stem, feats.shape[0])
        batch = Batch(feats[None], onset[None], frame[None])
        losses.append(float(_loss(model, batch, weights)))
    return float(np.mean(losses)) if losses else float("nan")


def pick_decoding(
    post: list[tuple[np.ndarray, np.ndarray]], clips: list[Clip], stem: str
) -> tuple[Decoding, float]:
    """The decoding of :func:`decodings` with the best mean note F1 (onsets only) on ``clips``
    given their ``(onset, frame)`` posteriors ``post``, and that F1."""
    best = (Decoding(0.5), -1.0)
    for how in decodings(stem):
        scores = [
            note_f(list(_canon(stem, c.notes)), _decode(stem, o, f, how), offsets=False)[2]
            for c, (o, f) in zip(clips, post, strict=True)
        ]
        mean = float(np.mean(scores)) if scores else 0.0
        if mean > best[1]:
            best = (how, mean)
    return best


def _decoding_fields(how: Decoding) -> dict[str, Any]:
    return {
        "onset_threshold": how.onset_threshold,
        "frame_threshold": how.frame_threshold,
        "frame_starts": how.frame_starts,
        "min_frames": how.min_frames,
    }


def _canon(stem: str, notes: tuple[NoteEvent, ...]) -> list[NoteEvent]:
    """Reference notes as the model can write them (drum notes as their class's GM note)."""
    return as_drum_classes(notes) if BY_NAME[stem].is_drum else list(notes)


def in_mix(clip: Clip) -> np.ndarray:
    """The clip's target with every other stem of its song at :data:`MIX_OTHERS_DB`."""
    gain = 10.0 ** (MIX_OTHERS_DB / 20.0)
    return np.asarray(clip.target + gain * sum(clip.others, np.zeros_like(clip.target)))


def test_figures(runtime: StemTranscriber, test: list[Clip], stem: str) -> dict[str, Any]:
    """``test`` (the stems alone) and ``test_in_mix`` scores of an exported model."""

    def run(audio: np.ndarray) -> list[NoteEvent]:
        return runtime.transcribe(audio, SAMPLE_RATE)

    return {
        "test": evaluate(run, [(c.target, _canon(stem, c.notes)) for c in test], stem),
        "test_in_mix": evaluate(run, [(in_mix(c), _canon(stem, c.notes)) for c in test], stem),
    }


def retune_model(model: Path, corpus: Path) -> dict[str, Any]:
    """Pick an exported model's decoding again on the validation songs (after a change to
    decoding or to :data:`THRESHOLDS`), rewrite its sidecar's decoding fields and test figures,
    and return the new metrics."""
    runtime = StemTranscriber.load(model)
    stem = runtime.info.stem
    valid = load_clips(corpus, stem, "validation")
    post = [runtime.posteriors(log_mel(c.target)) for c in valid]
    how, valid_f = pick_decoding(post, valid, stem)
    side = model.with_suffix(".json")
    sidecar = json.loads(side.read_text(encoding="utf-8"))
    sidecar |= _decoding_fields(how)
    write_text_atomic(side, json.dumps(sidecar, indent=2) + "\n")
    figures = test_figures(StemTranscriber.load(model), load_clips(corpus, stem, "test"), stem)
    sidecar["metrics"] |= {**_decoding_fields(how), "valid_f1_onset": round(valid_f, 4)}
    sidecar["metrics"] |= figures
    write_text_atomic(side, json.dumps(sidecar, indent=2) + "\n")
    return dict(sidecar["metrics"])


def main(
    cfg: TrainConfig, *, on_epoch: Callable[[int, float, float], None] | None = None
) -> dict[str, Any]:
    """Train, export and score ``cfg.stem``'s model; returns the summary (also in the
    sidecar's ``metrics``)."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    started = time.perf_counter()
    train = load_clips(cfg.corpus, cfg.stem, "train")
    valid = load_clips(cfg.corpus, cfg.stem, "validation")
    test = load_clips(cfg.corpus, cfg.stem, "test")
    if not train or not valid or not test:
        raise ValueError(
            f"{cfg.corpus}: stem {cfg.stem!r} has {len(train)}/{len(valid)}/{len(test)} "
            "train/validation/test clips -- each split needs at least one"
        )
    n_out = model_outputs(cfg.stem)
    model_cfg = debug_config(n_out) if cfg.debug else TranscriberConfig(n_outputs=n_out)
    model = Transcriber(model_cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    weights = ROLE_LOSS_WEIGHTS[BY_NAME[cfg.stem].role]
    best: tuple[float, dict[str, torch.Tensor]] = (float("inf"), {})
    history = []
    for epoch in range(cfg.epochs):
        model.train()
        order = rng.permutation(len(train))
        losses = []
        for i in range(0, len(order), cfg.batch_size):
            clips = [train[int(j)] for j in order[i : i + cfg.batch_size]]
            batch = make_batch(
                clips, cfg.stem, rng, clip_frames=cfg.clip_frames, mix_prob=cfg.mix_prob
            )
            loss = _loss(model, batch, weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
        val = _validation(model, valid, cfg.stem, weights)
        history.append({"epoch": epoch + 1, "train": float(np.mean(losses)), "valid": val})
        if val < best[0]:
            best = (val, {k: v.detach().clone() for k, v in model.state_dict().items()})
        if on_epoch is not None:
            on_epoch(epoch, float(np.mean(losses)), val)
    model.load_state_dict(best[1])
    model.eval()
    how, valid_f = pick_decoding([_posteriors(model, c.target) for c in valid], valid, cfg.stem)
    train_seconds = time.perf_counter() - started
    out = cfg.out / f"{cfg.stem}.onnx"
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("corpus", "out")}
    data = {
        "corpus": cfg.corpus.name,
        "clips": {"train": len(train), "validation": len(valid), "test": len(test)},
        "settings": settings,
    }
    export_onnx(
        model,
        out,
        stem=cfg.stem,
        onset_threshold=how.onset_threshold,
        frame_threshold=how.frame_threshold,
        frame_starts=how.frame_starts,
        min_frames=how.min_frames,
        data=data,
    )
    figures = test_figures(StemTranscriber.load(out), test, cfg.stem)
    metrics: dict[str, Any] = {
        "valid_loss": round(best[0], 5),
        "valid_f1_onset": round(valid_f, 4),
        **_decoding_fields(how),
        **figures,
        "train_seconds": round(train_seconds, 1),
        "epochs": cfg.epochs,
        "history": history,
        "n_params": model.n_params(),
    }
    side = out.with_suffix(".json")
    sidecar = json.loads(side.read_text(encoding="utf-8"))
    sidecar["metrics"] = metrics
    write_text_atomic(side, json.dumps(sidecar, indent=2) + "\n")
    logger.info("%s: test F1 %s", cfg.stem, figures["test"]["onset"]["f1"])
    return metrics
