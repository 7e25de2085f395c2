"""Train the timbre decoder on one monophonic recording (``main(config)``).

The recording, without the silence or reverb tail at its ends (:func:`.features.trimmed`),
has its last :attr:`TrainConfig.held_out` (in time) kept out for evaluation. The
rest is augmented: played at each of :attr:`TrainConfig.shifts` semitones (resampled, as a tape
would, and measured anew) and, per training window, turned up or down by a random gain within
:attr:`TrainConfig.gain_db` (its loudness moved by the same dB). Each step fits a batch of
random windows with the multi-scale spectral loss (:func:`.synth.spectral_loss`); an epoch is
as many windows as the augmented frames hold.

Writes ``<out>/timbre.onnx`` and its sidecar ``timbre.json`` (:mod:`.export`), with the
held-out loss of the trained and of the untrained decoder.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from render.ddsp import HOP, Loudness
from training.timbre.export import export_onnx
from training.timbre.features import Clip, measure, read_mono, shifted, trimmed
from training.timbre.model import TimbreConfig, TimbreDecoder
from training.timbre.synth import harmonic_audio, noise_audio, noise_spectrum, spectral_loss

logger = logging.getLogger(__name__)

ONNX_NAME: Final = "timbre.onnx"


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """A training run: the recording, where the model goes, and how it is fitted."""

    audio: Path
    out: Path
    epochs: int = 250
    seed: int = 0
    held_out: float = 0.15
    shifts: tuple[float, ...] = (-9.0, -7.0, -5.0, -3.0, 0.0, 2.0, 4.0, 7.0)
    gain_db: float = 9.0
    window: int = 64
    batch: int = 8
    lr: float = 3e-3
    model: TimbreConfig = field(default_factory=TimbreConfig)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs: {self.epochs!r} -- at least 1")
        if not 0.0 < self.held_out < 0.5:
            raise ValueError(f"held_out: {self.held_out!r} -- a fraction in (0, 0.5)")


def split(clip: Clip, held_out: float, window: int) -> tuple[Clip, Clip]:
    """The clip's first and last parts in time (the last ``held_out`` of its frames, at least
    one window... and at least one window left to train on)."""
    test = max(1, round(clip.frames * held_out))
    cut = clip.frames - test
    if cut < window:
        raise ValueError(
            f"recording: {clip.frames} frames ({clip.frames * HOP} samples) -- too short for "
            f"training windows of {window} frames plus a held-out {held_out:.0%}"
        )
    return clip.cut(0, cut), clip.cut(cut, clip.frames)


def synth(model: TimbreDecoder, f0: torch.Tensor, loud: torch.Tensor, gen: torch.Generator):  # type: ignore[no-untyped-def]
    """The decoder heard through the synthesizer: ``[B, T]`` controls -> ``[B, T * HOP]``."""
    harm, noise = model(f0, loud)
    spectrum = noise_spectrum(gen, f0.shape[0], f0.shape[1])
    return harmonic_audio(f0, harm) + noise_audio(noise, spectrum)


@torch.no_grad()
def clip_loss(model: TimbreDecoder, clip: Clip, *, seed: int = 0) -> float:
    """The spectral loss of the model's rendering of ``clip``'s controls against its audio."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    audio = synth(
        model,
        torch.from_numpy(clip.f0_hz)[None],
        torch.from_numpy(clip.loudness_db)[None],
        gen,
    )
    return float(spectral_loss(audio, torch.from_numpy(clip.audio)[None]))


def _batches(
    clips: list[Clip], cfg: TrainConfig, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    f0s, louds, audios = [], [], []
    for _ in range(cfg.batch):
        clip = clips[int(rng.integers(len(clips)))]
        start = int(rng.integers(0, clip.frames - cfg.window + 1))
        part = clip.cut(start, start + cfg.window)
        gain = float(rng.uniform(-cfg.gain_db, cfg.gain_db))
        f0s.append(part.f0_hz)
        louds.append(part.loudness_db + gain)
        audios.append(part.audio * 10 ** (gain / 20))
    return (
        torch.from_numpy(np.stack(f0s)),
        torch.from_numpy(np.stack(louds).astype(np.float32)),
        torch.from_numpy(np.stack(audios).astype(np.float32)),
    )


def loudness_curve(clip: Clip) -> Loudness:
    """The velocity curve's ends (5th and 95th percentile of the voiced frames' loudness) and
    the silence floor (the 1st percentile of all frames)."""
    voiced = clip.loudness_db[clip.voiced]
    return Loudness(
        quiet_db=round(float(np.percentile(voiced, 5)), 3),
        loud_db=round(float(np.percentile(voiced, 95)), 3),
        floor_db=round(float(np.percentile(clip.loudness_db, 1)), 3),
    )


def main(
    config: TrainConfig, on_epoch: Callable[[int, float], None] | None = None
) -> dict[str, Any]:
    """Train, export and return the sidecar's summary (held-out losses, timings, data)."""
    torch.set_num_threads(1)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    audio = read_mono(config.audio)
    whole = trimmed(measure(audio))
    train_part, test = split(whole, config.held_out, config.window)
    clips = [measure(shifted(train_part.audio, s)) if s else train_part for s in config.shifts]
    clips = [c for c in clips if c.frames >= config.window]
    pooled = np.concatenate([c.loudness_db for c in clips])
    model_cfg = TimbreConfig(
        **{
            **config.model.to_dict(),
            "loudness_mean": round(float(pooled.mean()), 3),
            "loudness_std": round(float(max(pooled.std(), 1.0)), 3),
        }
    )
    model = TimbreDecoder(model_cfg)
    untrained = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps_per_epoch = max(
        1, math.ceil(sum(c.frames for c in clips) / (config.window * config.batch))
    )
    total = steps_per_epoch * config.epochs
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=config.lr / 20)
    gen = torch.Generator().manual_seed(config.seed)
    t0 = time.perf_counter()
    last = math.nan
    for epoch in range(config.epochs):
        model.train()
        losses = []
        for _ in range(steps_per_epoch):
            f0, loud, target = _batches(clips, config, rng)
            loss = spectral_loss(synth(model, f0, loud, gen), target)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 2.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        last = float(np.mean(losses))
        if on_epoch is not None:
            on_epoch(epoch, last)
    train_s = time.perf_counter() - t0
    summary: dict[str, Any] = {
        "recording": config.audio.name,
        "frames": {"train": train_part.frames, "held_out": test.frames},
        "shifts_semitones": list(config.shifts),
        "gain_db": config.gain_db,
        "epochs": config.epochs,
        "steps": total,
        "seed": config.seed,
        "train_seconds": round(train_s, 1),
        "final_train_loss": round(last, 4),
        "held_out_loss": round(clip_loss(model, test), 4),
        "held_out_loss_untrained": round(clip_loss(untrained, test), 4),
    }
    export_onnx(
        model,
        config.out / ONNX_NAME,
        loudness=loudness_curve(whole),
        metrics=summary,
    )
    return summary
