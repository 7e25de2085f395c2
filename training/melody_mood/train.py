"""Train the mood melody transformer on OpenEWLD's lead sheets with weak valence/arousal labels
(:mod:`training.melody_mood.dataset`) and export it to ONNX.

``chromatic train mood-melody --data ../shared/data`` (or ``python -m
training.melody_mood.train --data ../shared/data``) trains from scratch, one torch thread,
within ``max_minutes``; the checkpoint with the lowest ``tune`` loss is kept and exported to
``generators/data/mood_melody.onnx`` (with ``mood_melody_step.onnx`` and ``.json``).
``main(TrainConfig(...))`` is the same from Python and tests (with
:meth:`MoodTransformerConfig.debug`).
"""

from __future__ import annotations

import argparse
import copy
import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from generators.melody.compound import FIELDS, GRID_QN, METERS, PREFIX, SIZES
from music.meter import Meter
from training.attention import warmup_cosine
from training.melody_eval import MelodySample, load_openewld
from training.melody_mood.dataset import Segment, SequenceSet, build_sequences, read_segment
from training.melody_mood.export import DEFAULT_OUT, export_onnx
from training.melody_mood.model import MoodTransformer, MoodTransformerConfig
from training.style.rows import split_of

logger = logging.getLogger(__name__)

OFFSETS = tuple(int(x) for x in np.cumsum((0, *SIZES[:-1])))
SOURCE = "OpenEWLD lead sheets (Federico Simonetta; public-domain scores, repository MIT)"


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Settings of one run. Training stops after ``steps`` or ``max_minutes`` (wall clock,
    data reading excluded), the learning rate annealing within whichever comes first.
    ``variants``: weakly labelled variants per build segment (two per tune and held-out
    segment). ``limit`` caps the lead sheets read."""

    data_dir: Path
    out: Path | None = DEFAULT_OUT
    model: MoodTransformerConfig = field(default_factory=MoodTransformerConfig)
    steps: int = 6000
    batch_size: int = 32
    lr: float = 2e-3
    min_lr: float = 1e-4
    warmup: int = 150
    weight_decay: float = 0.1
    eval_every: int = 150
    variants: int = 8
    seed: int = 0
    threads: int = 1
    max_minutes: float = 15.0
    limit: int | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_every", "threads", "variants"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name}: {value!r} -- an integer >= 1")
        if not (self.lr > 0 and self.min_lr >= 0):
            raise ValueError(f"TrainConfig.lr: {self.lr!r} -- a positive learning rate")


@dataclass(frozen=True, slots=True)
class TrainResult:
    """Figures of a run: losses are nats per note (the six fields' cross-entropies summed;
    the mode token's counted as a field of the first position)."""

    first_train_loss: float
    tune_loss: float
    heldout_loss: float
    heldout_fields: dict[str, float]
    heldout_unigram_loss: float
    steps: int
    best_step: int
    seconds: float
    n_params: int
    history: tuple[tuple[int, float, float], ...]  # (step, train loss, tune loss)
    onnx_path: Path | None
    parity_max_abs: float | None


def field_losses(model: MoodTransformer, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per field the summed cross-entropy ``[6]`` and the number of scored notes of a batch
    ``[B, T, 6]``: targets are the next positions' fields, "none" (0) and the given
    condition tokens (valence, arousal, tempo, meter) excluded; the mode is predicted."""
    logits = model(tokens[:, :-1])
    target = tokens[:, 1:].clone()
    target[:, : PREFIX - 2] = 0
    sums = []
    for f, size in enumerate(SIZES):
        part = logits[..., OFFSETS[f] : OFFSETS[f] + size]
        sums.append(
            F.cross_entropy(
                part.reshape(-1, size), target[..., f].reshape(-1), ignore_index=0, reduction="sum"
            )
        )
    return torch.stack(sums), (target[..., 0] > 0).sum()


@torch.no_grad()
def evaluate(model: MoodTransformer, tokens: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Mean loss per note of each field ``[6]`` over sequences ``[N, T, 6]``."""
    model.eval()
    total = np.zeros(len(SIZES))
    count = 0
    for i in range(0, len(tokens), batch_size):
        sums, n = field_losses(model, torch.from_numpy(tokens[i : i + batch_size]))
        total += sums.numpy()
        count += int(n)
    model.train()
    return total / max(1, count)


def unigram_loss(train: np.ndarray, held: np.ndarray) -> float:
    """Nats per note on ``held`` of the context-free model: each field's next value drawn from
    its frequencies in ``train`` (add-one smoothed), with the same targets as
    :func:`field_losses` (the baseline the transformer has to beat)."""
    total, notes = 0.0, 0
    for f, size in enumerate(SIZES):
        ref = train[:, 1:, f].copy()
        ref[:, : PREFIX - 2] = 0
        counts = np.bincount(ref[ref > 0], minlength=size)[1:] + 1.0
        logp = np.log(counts / counts.sum())
        tgt = held[:, 1:, f].copy()
        tgt[:, : PREFIX - 2] = 0
        total -= float(logp[tgt[tgt > 0] - 1].sum())
        if f == 0:
            notes = int((tgt > 0).sum())
    return total / max(1, notes)


def meter_tables() -> tuple[dict[str, float], dict[str, set[int]]]:
    """Each token meter's bar length (qn) and felt-beat onsets (sixteenths)."""
    bar_qn = {m: Meter.parse(m).bar_qn for m in METERS}
    felt = {m: {round(s / GRID_QN) for s, _ in Meter.parse(m).felt_beats()} for m in METERS}
    return bar_qn, felt


def split_segments(samples: Sequence[MelodySample]) -> dict[str, list[Segment]]:
    """Segments read in their keys, by split of their song (``build``, ``tune``,
    ``heldout``)."""
    out: dict[str, list[Segment]] = {"build": [], "tune": [], "heldout": []}
    for s in samples:
        seg = read_segment(s)
        if seg is not None:
            out[split_of(f"openewld/{s.song}")].append(seg)
    return out


def sequences(splits: dict[str, list[Segment]], cfg: TrainConfig) -> dict[str, SequenceSet]:
    """Labelled sequences of each split (``variants`` per build segment, 2 otherwise)."""
    bar_qn, felt = meter_tables()
    return {
        name: build_sequences(
            segs,
            variants=cfg.variants if name == "build" else 2,
            context=cfg.model.context,
            seed=cfg.seed + i,
            bar_qn_of=bar_qn,
            felt_of=felt,
        )
        for i, (name, segs) in enumerate(splits.items())
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 3) if values else None


def _summary(splits: dict[str, list[Segment]], seqs: dict[str, SequenceSet]) -> dict[str, Any]:
    out: dict[str, Any] = {"source": SOURCE, "segment_bars": 8}
    for name, segs in splits.items():
        conds = seqs[name].conditions
        out[name] = {
            "songs": len({s.song for s in segs}),
            "segments": len(segs),
            "sequences": len(conds),
            "meters": dict(Counter(s.meter for s in segs).most_common()),
            "minor_share": _mean([c.mode == "minor" for c in conds]),
            "valence_mean": _mean([c.valence for c in conds]),
            "arousal_mean": _mean([c.arousal for c in conds]),
        }
    return out


def main(
    cfg: TrainConfig,
    *,
    samples: Sequence[MelodySample] | None = None,
    on_eval: Callable[[int, float, float], None] | None = None,
) -> TrainResult:
    """Read (or take ``samples``, segments already cut from OpenEWLD), train, keep the best
    ``tune`` checkpoint, export (when ``cfg.out`` is set) and return the figures."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    started = time.perf_counter()
    if samples is None:
        samples = load_openewld(Path(cfg.data_dir) / "openewld" / "dataset", limit=cfg.limit)
    splits = split_segments(samples)
    if not splits["build"] or not splits["tune"]:
        raise ValueError(
            f"data_dir: {cfg.data_dir} -- needs OpenEWLD lead sheets (openewld/dataset/**/*.mxl) "
            "of songs in the build and tune splits"
        )
    seqs = sequences(splits, cfg)
    train = seqs["build"].tokens
    tune = seqs["tune"].tokens
    model = MoodTransformer(cfg.model)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.98),
    )
    history: list[tuple[int, float, float]] = []
    best = (math.inf, 0, copy.deepcopy(model.state_dict()))
    running: list[float] = []
    first = math.nan
    step = 0
    train_start = time.perf_counter()
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = warmup_cosine(step, time.perf_counter() - train_start, cfg)
        batch = torch.from_numpy(train[rng.integers(0, len(train), cfg.batch_size)])
        sums, n = field_losses(model, batch)
        loss = sums.sum() / n.clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(loss.item())
        if step == 0:
            first = loss.item()
        out_of_time = time.perf_counter() - train_start > cfg.max_minutes * 60
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps or out_of_time:
            tl = float(evaluate(model, tune).sum())
            last = float(np.mean(running[-cfg.eval_every :]))
            history.append((step + 1, last, tl))
            logger.info("step %d  train %.4f  tune %.4f", step + 1, last, tl)
            if on_eval is not None:
                on_eval(step + 1, last, tl)
            if tl < best[0]:
                best = (tl, step + 1, copy.deepcopy(model.state_dict()))
        if out_of_time:
            logger.warning("stopping at step %d: max_minutes %.1f", step + 1, cfg.max_minutes)
            break
    model.load_state_dict(best[2])
    held_tokens = seqs["heldout"].tokens
    held = evaluate(model, held_tokens) if len(held_tokens) else None
    baseline = unigram_loss(train, held_tokens) if len(held_tokens) else math.nan
    held_fields = (
        {} if held is None else {f: round(float(x), 4) for f, x in zip(FIELDS, held, strict=True)}
    )
    held_loss = math.nan if held is None else float(held.sum())
    seconds = time.perf_counter() - started
    onnx_path: Path | None = None
    parity: float | None = None
    if cfg.out is not None:
        metrics = {
            "tune_loss_per_note": round(best[0], 4),
            "heldout_loss_per_note": round(held_loss, 4),
            "heldout_loss_per_field": held_fields,
            "heldout_unigram_loss_per_note": round(baseline, 4),
            "best_step": best[1],
            "steps": step + 1,
            "train_seconds": round(seconds, 1),
            "threads": cfg.threads,
            "batch_size": cfg.batch_size,
            "variants": cfg.variants,
        }
        onnx_path, parity = export_onnx(
            model, cfg.out, data=_summary(splits, seqs), metrics=metrics
        )
    return TrainResult(
        first_train_loss=first,
        tune_loss=best[0],
        heldout_loss=held_loss,
        heldout_fields=held_fields,
        heldout_unigram_loss=baseline,
        steps=step + 1,
        best_step=best[1],
        seconds=seconds,
        n_params=model.n_params(),
        history=tuple(history),
        onnx_path=onnx_path,
        parity_max_abs=parity,
    )


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="folder holding openewld/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--max-minutes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--debug", action="store_true", help="the 2-layer width-16 model")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model = MoodTransformerConfig.debug() if args.debug else MoodTransformerConfig()
    result = main(
        TrainConfig(
            data_dir=args.data,
            out=args.out,
            model=model,
            steps=args.steps,
            max_minutes=args.max_minutes,
            seed=args.seed,
        )
    )
    print(f"params {result.n_params}  steps {result.steps} (best {result.best_step})")
    print(
        f"tune {result.tune_loss:.4f}  held out {result.heldout_loss:.4f} nats/note "
        f"{result.heldout_fields}  parity {result.parity_max_abs}"
    )


if __name__ == "__main__":
    _cli()
