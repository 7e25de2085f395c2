"""Train the drum transformer on the Groove MIDI Dataset and export it to ONNX.

``nice -n 10 python -m training.drums.train --data ../shared/data/groove-midi`` trains a model
from scratch (``generators/data/drum_transformer.onnx``, ``drum_transformer_step.onnx`` and
``.json``): 4 layers, width 128, 718k parameters, 3000 steps of 24 windows of 128 tokens on two
CPU threads, about 14 minutes on a quiet 2-core machine. The shipped meters model
(``drum_transformer_meters.onnx``) is that one fine-tuned for the other meters, ``--init-from
generators/data/drum_transformer.onnx --augment --lr 5e-4 --threads 1 --out
generators/data/drum_transformer_meters.onnx`` (the meters cut from the 4/4 beats,
:mod:`training.drums.augment`), and then fine-tuned again the same way from itself
(``--init-from`` a copy of ``drum_transformer_meters.onnx``) when the cuts changed (7/8 as
2+2+3, more 9/8 and 12/8 bars); the sidecar's metrics give the steps and minutes of the last
run. ``main(TrainConfig(...))`` is the same from Python and tests (with
:meth:`DrumTransformerConfig.debug`).
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from generators.drums.tokens import PAD
from generators.drums.transformer import MIN_METER_BARS
from training.attention import warmup_cosine
from training.drums.augment import AUGMENTED_METERS, augment
from training.drums.dataset import (
    Piece,
    WindowSampler,
    data_summary,
    fixed_windows,
    group_weights,
    load_pieces,
)
from training.drums.export import DEFAULT_OUT, export_onnx
from training.drums.model import DrumTransformer, DrumTransformerConfig
from training.drums.warm_start import load_onnx_weights

logger = logging.getLogger(__name__)

#: Targets at sequence positions 1..3 are the conditioning header (style, meter, kind): no loss.
HEADER_TARGETS = 3


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Settings of one training run. ``max_minutes`` is the training time budget (wall clock,
    data loading excluded): the learning rate anneals within it and training stops at it, or
    after ``steps``, whichever comes first. ``limit`` caps the performances read per split;
    ``checkpoint`` (a .pt path) keeps the torch weights for a later re-export. ``init_from``
    (an exported .onnx) fine-tunes that model instead of starting from random weights;
    ``augment`` adds the meters cut from the 4/4 beats (:mod:`training.drums.augment`), every
    meter drawn equally often in what ``share_4_4`` leaves of each batch."""

    data_dir: Path
    out: Path | None = DEFAULT_OUT
    model: DrumTransformerConfig = field(default_factory=DrumTransformerConfig)
    steps: int = 3000
    batch_size: int = 24
    lr: float = 2e-3
    min_lr: float = 1e-4
    warmup: int = 100
    weight_decay: float = 0.05
    eval_every: int = 250
    seed: int = 0
    threads: int = 2
    max_minutes: float = 45.0
    limit: int | None = None
    checkpoint: Path | None = None
    init_from: Path | None = None
    augment: bool = False
    share_4_4: float = 0.4

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_every", "threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainConfig.{name}: {value!r} -- an integer >= 1")
        if not (self.lr > 0 and self.min_lr >= 0):
            raise ValueError(f"TrainConfig.lr: {self.lr!r} -- a positive learning rate")


@dataclass(frozen=True, slots=True)
class TrainResult:
    """Figures of a run: losses are mean next-token cross-entropy (nats) over bar tokens."""

    first_train_loss: float
    final_train_loss: float
    val_loss: float
    val_perplexity: float
    val_loss_beats: float
    steps: int
    seconds: float
    n_params: int
    history: tuple[tuple[int, float, float], ...]  # (step, train loss, val loss)
    onnx_path: Path | None
    parity_max_abs: float | None


def token_loss(model: DrumTransformer, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed cross-entropy and the number of scored targets of a batch ``[B, T]``: targets are
    the next tokens, PAD and the header targets excluded."""
    logits = model(ids[:, :-1])
    target = ids[:, 1:].clone()
    target[:, :HEADER_TARGETS] = PAD
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        target.reshape(-1),
        ignore_index=PAD,
        reduction="sum",
    )
    return loss, (target != PAD).sum()


@torch.no_grad()
def evaluate_loss(model: DrumTransformer, windows: np.ndarray, batch_size: int = 64) -> float:
    """Mean next-token loss (nats) over fixed windows ``[N, T]``."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(windows), batch_size):
        ids = torch.from_numpy(windows[i : i + batch_size])
        loss, n = token_loss(model, ids)
        total += float(loss)
        count += int(n)
    model.train()
    return total / max(1, count)


def _sampler(train: list[Piece], cfg: TrainConfig) -> tuple[WindowSampler, list[Piece]]:
    """The training sampler and the augmented pieces (none without ``cfg.augment``): real 4/4
    gets ``share_4_4`` of the draws, each other meter (real and augmented bars) an equal part of
    the rest."""
    if not cfg.augment:
        return WindowSampler(pieces=tuple(train), context=cfg.model.context), []
    made = augment(train)
    augmented = [p for m in AUGMENTED_METERS for p in made[m]]
    by_meter: dict[tuple[int, int], list[Piece]] = {(4, 4): []}
    for p in [*train, *augmented]:
        by_meter.setdefault((p.row.numerator, p.row.denominator), []).append(p)
    groups = list(by_meter.values())
    others = (1.0 - cfg.share_4_4) / max(1, len(groups) - 1)
    shares = [cfg.share_4_4] + [others] * (len(groups) - 1)
    pieces = tuple(p for g in groups for p in g)
    return WindowSampler(pieces, cfg.model.context, group_weights(groups, shares)), augmented


def sampled_meters(train: list[Piece], augmented: list[Piece]) -> list[str]:
    """The meters with at least :data:`MIN_METER_BARS` training bars, real and augmented."""
    bars: dict[str, int] = {}
    for p in [*train, *augmented]:
        key = f"{p.row.numerator}/{p.row.denominator}"
        bars[key] = bars.get(key, 0) + len(p.bars)
    return sorted((m for m, n in bars.items() if n >= MIN_METER_BARS), key=lambda m: -bars[m])


def main(cfg: TrainConfig) -> TrainResult:
    """Train, evaluate on the validation split, export (when ``cfg.out`` is set) and return
    the figures."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    started = time.perf_counter()
    train = load_pieces(cfg.data_dir, "train", limit=cfg.limit)
    val = load_pieces(cfg.data_dir, "validation", limit=cfg.limit)
    if not train or not val:
        raise ValueError(
            f"data_dir: {cfg.data_dir} -- needs train and validation performances in info.csv"
        )
    ctx = cfg.model.context
    sampler, augmented = _sampler(train, cfg)
    val_windows = fixed_windows(val, ctx)
    val_beats = fixed_windows([p for p in val if p.row.kind == "beat"] or val, ctx)
    if cfg.init_from is not None:
        model = load_onnx_weights(cfg.init_from, cfg.model)
        model.train()
    else:
        model = DrumTransformer(cfg.model)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.98),
    )
    history: list[tuple[int, float, float]] = []
    first = last = float("nan")
    running: list[float] = []
    step = 0
    train_start = time.perf_counter()  # the time budget counts training, not data loading
    deadline = train_start + cfg.max_minutes * 60
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = warmup_cosine(step, time.perf_counter() - train_start, cfg)
        ids = torch.from_numpy(sampler.batch(cfg.batch_size, rng))
        loss_sum, n = token_loss(model, ids)
        loss = loss_sum / n.clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(loss.item())
        if step == 0:
            first = loss.item()
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
            last = float(np.mean(running[-cfg.eval_every :]))
            vl = evaluate_loss(model, val_windows)
            history.append((step + 1, last, vl))
            logger.info(
                "step %d  train %.4f  val %.4f  ppl %.2f  %.0fs",
                step + 1,
                last,
                vl,
                math.exp(vl),
                time.perf_counter() - started,
            )
        if time.perf_counter() > deadline:
            logger.warning(
                "stopping at step %d: max_minutes %.1f reached", step + 1, cfg.max_minutes
            )
            break
    steps_done = step + 1
    last = float(np.mean(running[-min(len(running), cfg.eval_every) :]))
    val_loss = evaluate_loss(model, val_windows)
    val_beats_loss = evaluate_loss(model, val_beats)
    if not history or history[-1][0] != steps_done:
        history.append((steps_done, last, val_loss))
    seconds = time.perf_counter() - started
    onnx_path: Path | None = None
    parity: float | None = None
    if cfg.out is not None:
        model.eval()
        summary = {
            "train": data_summary(train),
            "train_augmented": data_summary(augmented),
            "validation": data_summary(val),
            "meters": sampled_meters(train, augmented),
            "source": "Groove MIDI Dataset v1.0 (Gillick et al. 2019), CC BY 4.0",
        }
        metrics = {
            "val_loss": round(val_loss, 5),
            "val_perplexity": round(math.exp(val_loss), 4),
            "val_loss_beats": round(val_beats_loss, 5),
            "train_loss": round(last, 5),
            "steps": steps_done,
            "train_seconds": round(seconds, 1),
            "threads": cfg.threads,
            "batch_size": cfg.batch_size,
            "init_from": cfg.init_from.name if cfg.init_from else None,
        }
        onnx_path, parity = export_onnx(model, cfg.out, data=summary, metrics=metrics)
        if cfg.checkpoint is not None:
            cfg.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "config": cfg.model.to_dict(),
                    "state_dict": model.state_dict(),
                    "data": summary,
                    "metrics": metrics,
                },
                cfg.checkpoint,
            )
    return TrainResult(
        first_train_loss=first,
        final_train_loss=last,
        val_loss=val_loss,
        val_perplexity=math.exp(val_loss),
        val_loss_beats=val_beats_loss,
        steps=steps_done,
        seconds=seconds,
        n_params=model.n_params(),
        history=tuple(history),
        onnx_path=onnx_path,
        parity_max_abs=parity,
    )


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the groove-midi folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-minutes", type=float, default=45.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", type=Path, default=None, help="also save torch weights")
    parser.add_argument("--debug", action="store_true", help="the 2-layer width-16 model")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--init-from", type=Path, default=None, help="fine-tune this .onnx")
    parser.add_argument("--augment", action="store_true", help="add meters cut from the 4/4 beats")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model = DrumTransformerConfig.debug() if args.debug else DrumTransformerConfig()
    result = main(
        TrainConfig(
            data_dir=args.data,
            out=args.out,
            model=model,
            steps=args.steps,
            batch_size=args.batch_size,
            threads=args.threads,
            max_minutes=args.max_minutes,
            checkpoint=args.checkpoint,
            seed=args.seed,
            lr=args.lr,
            min_lr=min(1e-4, args.lr / 10),
            init_from=args.init_from,
            augment=args.augment,
        )
    )
    print(f"params {result.n_params}  steps {result.steps}  {result.seconds:.0f} s")
    print(
        f"val loss {result.val_loss:.4f}  perplexity {result.val_perplexity:.3f}  "
        f"(beats only {result.val_loss_beats:.4f})  parity {result.parity_max_abs}"
    )


if __name__ == "__main__":
    _cli()
