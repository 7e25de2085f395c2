"""Contrastive training of the scorer's MIDI encoder against frozen MiniLM text embeddings.

    python -m training.scorer.train --corpus build/scorer_corpus.npz --out build/scorer

Loss (CLIP/CLaMP-style InfoNCE, symmetric): for a batch of clips with embeddings ``z_i`` and the
embeddings ``t_j`` of their texts, ``logits = s * z @ t.T`` with a learned scale ``s``; the
targets of row ``i`` are uniform over every ``j`` whose text is the same as clip ``i``'s (several
clips can share a text; treating them as negatives would punish correct answers). The same for
columns. A pair-confidence head is trained beside it with binary cross-entropy on true pairs,
the hardest in-batch wrong pair and a random wrong pair, on detached embeddings (it reads the
embedding space, it does not shape it).

Only the ``train`` split is trained on; ``val`` picks the best epoch; ``test`` is never touched
here (the split is by song, see ``training.scorer.corpus``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch import Tensor

from training.scorer.model import (
    ContrastiveScorer,
    MidiEncoder,
    ScorerConfig,
    count_parameters,
    load_state,
    save_state,
    widen_roll_state,
)

logger = logging.getLogger(__name__)


class Corpus(Protocol):
    """What training reads from a corpus (``training.scorer.corpus.Corpus`` has these)."""

    @property
    def rolls(self) -> NDArray[np.uint8]: ...  # [N, 2, 128, 128], velocity 0..127

    @property
    def symbolic(self) -> NDArray[Any]: ...  # [N, 32]

    @property
    def text_emb(self) -> NDArray[Any]: ...  # [N, 384], unit rows

    @property
    def texts(self) -> Any: ...  # N strings

    @property
    def song_ids(self) -> Any: ...  # N song ids (splits are by song)

    @property
    def sources(self) -> Any: ...  # N dataset names

    @property
    def splits(self) -> Any: ...  # N of "train", "val", "test"


CHECKPOINT_NAME = "scorer_contrastive.npz"
SAME_TEXT = 0.999  # text-embedding cosine at or above which two clips count as one text


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Everything one training run needs. ``debug()`` is the seconds-long test version."""

    corpus: Path
    out_dir: Path
    model: ScorerConfig = field(default_factory=ScorerConfig)
    epochs: int = 12
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_steps: int = 100
    confidence_weight: float = 0.5
    seed: int = 0
    threads: int = 2
    max_minutes: float | None = None
    max_train_clips: int | None = None
    #: A part-view corpus (:mod:`training.scorer.part_corpus`) trained on beside ``corpus``.
    parts: Path | None = None
    #: Batches of one kind each (whole songs, bass lines, drum grooves, ...), so a clip's
    #: negatives are other parts of its kind, not other kinds of music.
    stratify: bool = False
    #: Start from this exported model's weights (``.npz``; a 2-channel model is widened to
    #: ``model.roll_channels`` with the new channel's weights at zero).
    init: Path | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name}: {getattr(self, name)!r} -- at least 1")
        if self.batch_size < 2:
            raise ValueError(f"TrainConfig.batch_size: {self.batch_size!r} -- at least 2")
        if not self.lr > 0:
            raise ValueError(f"TrainConfig.lr: {self.lr!r} -- a positive learning rate")

    @classmethod
    def debug(cls, corpus: Path, out_dir: Path) -> TrainConfig:
        return cls(
            corpus=corpus,
            out_dir=out_dir,
            model=ScorerConfig.debug(),
            epochs=8,
            batch_size=32,
            lr=1e-2,
            warmup_steps=5,
            threads=1,
        )

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["corpus"] = str(self.corpus)
        out["out_dir"] = str(self.out_dir)
        out["parts"] = None if self.parts is None else str(self.parts)
        out["init"] = None if self.init is None else str(self.init)
        out["model"] = self.model.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float
    val_top1: float
    val_top5: float
    seconds: float


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What :func:`main` returns: the best checkpoint and how training went."""

    checkpoint: Path
    config: TrainConfig
    history: tuple[EpochStats, ...]
    best_epoch: int
    seconds: float
    n_train: int
    n_val: int
    parameters: int

    @property
    def first_loss(self) -> float:
        return self.history[0].train_loss

    @property
    def last_loss(self) -> float:
        return self.history[-1].train_loss


# ---------------------------------------------------------------------------------- batches
def batch_tensors(corpus: Corpus, idx: NDArray[np.int64]) -> dict[str, Tensor]:
    """The model inputs of clips ``idx`` (rolls scaled to [0, 1]; audio and lyrics where the
    corpus has them, else zeros with mask 0) and their text embeddings."""
    n = len(idx)
    roll = torch.from_numpy(corpus.rolls[idx].astype(np.float32) / 127.0)
    out = {
        "roll": roll,
        "symbolic": torch.from_numpy(corpus.symbolic[idx].astype(np.float32)),
        "audio": torch.zeros(n, 32),
        "audio_mask": torch.zeros(n, 1),
        "lyrics": torch.zeros(n, 384),
        "lyrics_mask": torch.zeros(n, 1),
        "text": torch.from_numpy(_unit(corpus.text_emb[idx])),
    }
    return out


def _unit(x: NDArray[Any]) -> NDArray[np.float32]:
    """Rows as float32 unit vectors (the corpus stores float16, whose rounding would leave two
    copies of one text a hair off cosine 1)."""
    v = np.asarray(x, dtype=np.float32)
    out: NDArray[np.float32] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return out


def encode(model: ContrastiveScorer, batch: dict[str, Tensor]) -> Tensor:
    return encode_with(model.encoder, batch)


def encode_with(encoder: MidiEncoder, batch: dict[str, Tensor]) -> Tensor:
    """The embeddings ``encoder`` gives the clips of ``batch`` (:func:`batch_tensors`)."""
    return encoder(
        batch["roll"],
        batch["symbolic"],
        batch["audio"],
        batch["audio_mask"],
        batch["lyrics"],
        batch["lyrics_mask"],
    )


def same_text(text: Tensor) -> Tensor:
    """``[B, B]`` float: 1 where two clips share a text."""
    return (text @ text.T >= SAME_TEXT).float()


def contrastive_loss(z: Tensor, text: Tensor, scale: Tensor) -> Tensor:
    """Symmetric multi-positive InfoNCE (mean of the row and column cross-entropies)."""
    logits = scale * (z @ text.T)
    pos = same_text(text)
    target = pos / pos.sum(dim=1, keepdim=True)
    row = -(target * F.log_softmax(logits, dim=1)).sum(1).mean()
    col = -(target * F.log_softmax(logits.T, dim=1)).sum(1).mean()
    return 0.5 * (row + col)


def confidence_loss(
    model: ContrastiveScorer, z: Tensor, text: Tensor, gen: torch.Generator
) -> Tensor:
    """BCE of the pair-confidence head: true pairs, the hardest and a random wrong text."""
    z = z.detach()
    pos = same_text(text)
    sims = (z @ text.T).masked_fill(pos > 0, -2.0)
    hard = sims.argmax(dim=1)
    rand = torch.randint(0, len(z), (len(z),), generator=gen)
    rand_label = pos[torch.arange(len(z)), rand]
    logits = torch.cat(
        [
            model.confidence(z, text),
            model.confidence(z, text[hard]),
            model.confidence(z, text[rand]),
        ]
    )
    labels = torch.cat([torch.ones(len(z)), torch.zeros(len(z)), rand_label])
    return F.binary_cross_entropy_with_logits(logits, labels)


def retrieval_at(
    z: NDArray[np.float32],
    text: NDArray[np.float32],
    rng: np.random.Generator,
    *,
    pool: int = 100,
    ks: tuple[int, ...] = (1, 5),
) -> dict[int, float]:
    """Clip -> text retrieval: each clip's own text ranked among ``pool - 1`` texts of other
    clips whose text differs from it (ties count against the clip). Returns ``{k: fraction of
    the clips whose text ranks <= k}`` over the clips that have enough distinct distractors
    (NaN when none has)."""
    hits = {k: 0 for k in ks}
    evaluated = 0
    text_sim = text @ text.T
    for i in range(len(z)):
        others = np.flatnonzero(text_sim[i] < SAME_TEXT)
        if len(others) < pool - 1:
            continue
        pick = rng.choice(others, size=pool - 1, replace=False)
        sims = text[np.concatenate([[i], pick])] @ z[i]
        rank = int((sims[1:] >= sims[0]).sum()) + 1
        evaluated += 1
        for k in ks:
            hits[k] += rank <= k
    return {k: hits[k] / evaluated if evaluated else math.nan for k in ks}


def kind_batches(
    kinds: NDArray[Any], idx: NDArray[np.int64], batch_size: int, rng: np.random.Generator
) -> list[NDArray[np.int64]]:
    """One epoch's batches of the clips ``idx``, each of clips of one kind (``kinds[i]``), in
    random order; a kind's last partial batch is dropped (a kind with fewer clips than a
    batch gives none)."""
    batches = []
    groups = np.asarray(kinds)[idx]
    for kind in sorted(set(groups.tolist())):
        members = rng.permutation(idx[groups == kind])
        for b in range(len(members) // batch_size):
            batches.append(np.sort(members[b * batch_size : (b + 1) * batch_size]))
    order = rng.permutation(len(batches))
    return [batches[int(i)] for i in order]


def _epoch_batches(
    corpus: Corpus,
    config: TrainConfig,
    train_idx: NDArray[np.int64],
    rng: np.random.Generator,
) -> list[NDArray[np.int64]]:
    if config.stratify:
        return kind_batches(kinds_of(corpus), train_idx, config.batch_size, rng)
    order = rng.permutation(train_idx)
    return [
        np.sort(order[b * config.batch_size : (b + 1) * config.batch_size])
        for b in range(len(train_idx) // config.batch_size)
    ]


def kinds_of(corpus: Corpus) -> NDArray[Any]:
    """What each clip presents (``whole`` for a corpus without part views)."""
    kinds = getattr(corpus, "kinds", None)
    return np.full(len(corpus.splits), "whole") if kinds is None else np.asarray(kinds)


def warm_start(model: ContrastiveScorer, path: Path) -> None:
    """Load an exported model's encoder and confidence weights (``.npz``) into ``model``,
    widened to its roll channels, and its learned temperature into the logit scale."""
    state, meta = load_state(path)
    state = widen_roll_state(state, model.config.roll_channels)
    own = model.state_dict()
    taken = {k: v for k, v in state.items() if k in own and k != "logit_scale"}
    missing = sorted(k for k in own if k not in taken and k != "logit_scale")
    if missing:
        raise ValueError(f"init {path}: no weights for {missing[:4]} -- another model shape")
    model.load_state_dict(taken, strict=False)
    temperature = meta.get("sidecar", {}).get("heads", {}).get("temperature")
    if temperature:
        with torch.no_grad():
            model.logit_scale.fill_(math.log(1.0 / float(temperature)))


# ---------------------------------------------------------------------------------- training
def _split_indices(corpus: Corpus, split: str) -> NDArray[np.int64]:
    return np.flatnonzero(np.asarray(corpus.splits) == split).astype(np.int64)


def _embed_all(model: ContrastiveScorer, corpus: Corpus, idx: NDArray[np.int64]) -> Tensor:
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(idx), 512):
            out.append(encode(model, batch_tensors(corpus, idx[start : start + 512])))
    return torch.cat(out) if out else torch.zeros(0, model.config.text_dim)


def _val_stats(
    model: ContrastiveScorer, corpus: Corpus, idx: NDArray[np.int64], batch_size: int
) -> tuple[float, float, float]:
    z = _embed_all(model, corpus, idx)
    text = torch.from_numpy(_unit(corpus.text_emb[idx]))
    with torch.no_grad():
        losses = [
            float(
                contrastive_loss(
                    z[s : s + batch_size], text[s : s + batch_size], model.scale()
                ).item()
            )
            for s in range(0, len(idx) - 1, batch_size)
            if len(idx[s : s + batch_size]) >= 2
        ]
    pool = min(100, len(idx))
    top = retrieval_at(z.numpy(), text.numpy(), np.random.default_rng(0), pool=pool)
    return float(np.mean(losses)) if losses else math.nan, top[1], top[5]


def _normalisation(corpus: Corpus, idx: NDArray[np.int64]) -> tuple[Tensor, Tensor]:
    sym = corpus.symbolic[idx].astype(np.float64)
    return (
        torch.tensor(sym.mean(0), dtype=torch.float32),
        torch.tensor(sym.std(0), dtype=torch.float32),
    )


def corpus_summary(corpus: Corpus) -> dict[str, Any]:
    """Counts of clips and songs per split and per source, for the sidecar."""
    splits = np.asarray(corpus.splits)
    sources = np.asarray(corpus.sources)
    songs = np.asarray(corpus.song_ids)
    summary: dict[str, Any] = {"clips": len(splits), "songs": len(set(songs.tolist()))}
    summary["splits"] = {
        s: {"clips": int((splits == s).sum()), "songs": len(set(songs[splits == s].tolist()))}
        for s in sorted(set(splits.tolist()))
    }
    summary["sources"] = {
        s: {"clips": int((sources == s).sum()), "songs": len(set(songs[sources == s].tolist()))}
        for s in sorted(set(sources.tolist()))
    }
    kinds = kinds_of(corpus)
    if set(kinds.tolist()) != {"whole"}:
        summary["kinds"] = {k: int((kinds == k).sum()) for k in sorted(set(kinds.tolist()))}
    summary["with_audio"] = 0
    summary["with_lyrics"] = 0
    return summary


def train_model(corpus: Corpus, config: TrainConfig) -> TrainResult:
    """Train on ``corpus`` (already loaded); write the best checkpoint to ``config.out_dir``."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    train_idx = _split_indices(corpus, "train")
    val_idx = _split_indices(corpus, "val")
    if len(train_idx) < config.batch_size or len(val_idx) < 2:
        raise ValueError(
            f"corpus {config.corpus}: {len(train_idx)} train and {len(val_idx)} val clips -- "
            f"need at least batch_size={config.batch_size} train clips and 2 val clips"
        )
    if config.max_train_clips is not None and len(train_idx) > config.max_train_clips:
        train_idx = np.sort(rng.choice(train_idx, size=config.max_train_clips, replace=False))
    model = ContrastiveScorer(config.model)
    if config.init is not None:
        warm_start(model, config.init)  # its feature normalisation comes with it
    else:
        model.encoder.set_normalisation(symbolic=_normalisation(corpus, train_idx))
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = len(_epoch_batches(corpus, config, train_idx, np.random.default_rng(0)))
    total_steps = steps_per_epoch * config.epochs

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        progress = (step - config.warmup_steps) / max(1, total_steps - config.warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    out = Path(config.out_dir)
    checkpoint = out / CHECKPOINT_NAME
    history: list[EpochStats] = []
    best = (math.inf, -1)
    started = time.perf_counter()
    logger.info(
        "training scorer: %d train / %d val clips, %d parameters, %d steps",
        len(train_idx),
        len(val_idx),
        count_parameters(model),
        total_steps,
    )
    for epoch in range(config.epochs):
        t0 = time.perf_counter()
        model.train()
        losses = []
        for rows in _epoch_batches(corpus, config, train_idx, rng):
            batch = batch_tensors(corpus, rows)
            z = encode(model, batch)
            loss = contrastive_loss(z, batch["text"], model.scale())
            loss_c = confidence_loss(model, z, batch["text"], gen)
            opt.zero_grad()
            (loss + config.confidence_weight * loss_c).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            losses.append(float(loss.item()))
        val_loss, top1, top5 = _val_stats(model, corpus, val_idx, config.batch_size)
        stats = EpochStats(
            epoch=epoch,
            train_loss=float(np.mean(losses)),
            val_loss=val_loss,
            val_top1=top1,
            val_top5=top5,
            seconds=time.perf_counter() - t0,
        )
        history.append(stats)
        logger.info(
            "epoch %d: train %.4f val %.4f top1 %.3f top5 %.3f (%.0f s, scale %.1f)",
            epoch,
            stats.train_loss,
            val_loss,
            top1,
            top5,
            stats.seconds,
            float(model.scale().item()),
        )
        if val_loss < best[0]:
            best = (val_loss, epoch)
            save_state(checkpoint, model, _meta(config, corpus, history, epoch))
        elapsed_min = (time.perf_counter() - started) / 60
        if config.max_minutes is not None and elapsed_min > config.max_minutes:
            logger.warning("stopping after epoch %d: %.1f min > max_minutes", epoch, elapsed_min)
            break
    if best[1] < 0:  # every val loss was NaN: keep the last model rather than nothing
        save_state(checkpoint, model, _meta(config, corpus, history, len(history) - 1))
        best = (math.nan, len(history) - 1)
    return TrainResult(
        checkpoint=checkpoint,
        config=config,
        history=tuple(history),
        best_epoch=best[1],
        seconds=time.perf_counter() - started,
        n_train=len(train_idx),
        n_val=len(val_idx),
        parameters=count_parameters(model),
    )


def _meta(
    config: TrainConfig, corpus: Corpus, history: list[EpochStats], epoch: int
) -> dict[str, Any]:
    return {
        "kind": "chromatic-scorer-contrastive",
        "config": config.model.to_dict(),
        "train_config": config.to_dict(),
        "epoch": epoch,
        "history": [dataclasses.asdict(h) for h in history],
        "data": corpus_summary(corpus),
    }


def main(config: TrainConfig) -> TrainResult:
    """Load ``config.corpus`` and train (see :func:`train_model`)."""
    from training.scorer.corpus import load_corpora

    return train_model(load_corpora(config.corpus, config.parts), config)


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("build/scorer_corpus.npz"))
    parser.add_argument("--out", type=Path, default=Path("build/scorer"))
    defaults = TrainConfig(corpus=Path(), out_dir=Path())
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--debug", action="store_true", help="tiny model (tests, smoke runs)")
    parser.add_argument("--parts", type=Path, default=None, help="a part-view corpus beside it")
    parser.add_argument("--stratify", action="store_true", help="batches of one kind each")
    parser.add_argument("--init", type=Path, default=None, help="start from this model's .npz")
    parser.add_argument("--roll-channels", type=int, default=2, choices=(2, 3))
    parser.add_argument("--max-train-clips", type=int, default=None)
    parser.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    config = TrainConfig(
        corpus=args.corpus,
        out_dir=args.out,
        model=dataclasses.replace(
            ScorerConfig.debug() if args.debug else ScorerConfig(),
            roll_channels=args.roll_channels,
        ),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        threads=args.threads,
        max_minutes=args.max_minutes,
        max_train_clips=args.max_train_clips,
        warmup_steps=args.warmup_steps,
        parts=args.parts,
        stratify=args.stratify,
        init=args.init,
    )
    result = main(config)
    print(f"best epoch {result.best_epoch}, {result.seconds / 60:.1f} min -> {result.checkpoint}")


if __name__ == "__main__":
    _cli()
