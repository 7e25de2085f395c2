"""Train the scorer's audio branch on rendered clips (:mod:`training.scorer.audio_corpus`).

Only the audio branch learns: the MIDI encoder, the heads, the reference bank and the
calibration of the base model stay as they are, so a candidate scored without audio gets
exactly the numbers it got before, and everything the model already does well is kept. The
branch is an MLP on the standardised DSP features whose output is added to the MIDI hidden
state in place of the learned "no audio" vector; it starts as that vector (first layer seeded,
last layer zero with the null as its bias), so an untrained start changes nothing, and it is
trained contrastively (the same symmetric InfoNCE as the encoder, at the temperature the
encoder learned) to move each clip's embedding towards its own text, which can name the
instruments and mix only the audio carries. The MIDI part of every clip is computed once
(it is frozen), so an epoch costs a few milliseconds per clip.

Splits are the corpus's by-song splits: ``train`` learns, ``val`` picks the epoch, ``test`` is
only reported (:func:`audio_retrieval`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from training.scorer.audio_rows import AudioCorpus
from training.scorer.export import EXPORTED_FIELDS, ExportResult, export
from training.scorer.graph import ScorerGraph, load_graph
from training.scorer.sources_common import SPLITS
from training.scorer.train import contrastive_loss, retrieval_at

logger = logging.getLogger(__name__)

AUDIO_MODEL_VERSION: Final = "1.2.0"


@dataclass(frozen=True, slots=True)
class AudioTrainConfig:
    """One audio-branch fit. ``debug()`` is the seconds-long test version."""

    epochs: int = 60
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    seed: int = 0
    threads: int = 2

    def __post_init__(self) -> None:
        for name in ("epochs", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"AudioTrainConfig.{name}: {getattr(self, name)!r} -- >= 1")
        if self.batch_size < 2:
            raise ValueError(f"AudioTrainConfig.batch_size: {self.batch_size!r} -- at least 2")
        if not self.lr > 0:
            raise ValueError(f"AudioTrainConfig.lr: {self.lr!r} -- a positive learning rate")


@dataclass(frozen=True, slots=True)
class AudioTrainResult:
    """The trained graph and how the fit went (retrieval on held-out audio clips)."""

    graph: ScorerGraph
    sidecar: dict[str, Any]
    best_epoch: int
    history: tuple[dict[str, float], ...]
    retrieval: dict[str, dict[str, float]]
    seconds: float


def _unit(x: NDArray[Any]) -> Tensor:
    v = torch.from_numpy(np.asarray(x, dtype=np.float32))
    return v / v.norm(dim=1, keepdim=True).clamp_min(1e-12)


def trunk_states(graph: ScorerGraph, corpus: AudioCorpus, rows: NDArray[np.int64]) -> Tensor:
    """The frozen part of each row's hidden state: the MIDI trunk plus the "no lyrics"
    vector, ``[n, hidden]`` (the model's own sum order, so a fit reproduces its numbers)."""
    enc = graph.encoder
    out = []
    with torch.no_grad():
        for s in range(0, len(rows), 256):
            idx = rows[s : s + 256]
            roll = torch.from_numpy(corpus.rolls[idx].astype(np.float32) / 127.0)
            sym = torch.from_numpy(corpus.symbolic[idx].astype(np.float32))
            out.append(enc.trunk(roll, sym))
    return torch.cat(out)


def embed(graph: ScorerGraph, trunk: Tensor, audio: Tensor | None, *, grad: bool = False) -> Tensor:
    """Unit embeddings of rows whose trunk states are ``trunk``, with ``audio`` features (raw;
    None: without audio, as the runtime scores a candidate with no preview)."""
    enc = graph.encoder
    n = len(trunk)
    with torch.set_grad_enabled(grad):
        if audio is None:
            a = enc.audio(torch.zeros(n, enc.config.n_audio), torch.zeros(n, 1))
        else:
            a = enc.audio(audio, torch.ones(n, 1))
        lyrics = enc.lyrics(torch.zeros(n, enc.config.text_dim), torch.zeros(n, 1))
        return enc.head(trunk + a + lyrics)


def audio_retrieval(
    graph: ScorerGraph,
    corpus: AudioCorpus,
    rows: NDArray[np.int64],
    *,
    with_audio: bool,
    seed: int = 0,
) -> dict[str, float]:
    """Clip -> text retrieval among 100 (the corpus's retrieval protocol) of ``rows``."""
    trunk = trunk_states(graph, corpus, rows)
    audio = torch.from_numpy(corpus.audio[rows]) if with_audio else None
    z = embed(graph, trunk, audio).numpy()
    text = _unit(corpus.text_emb[rows]).numpy()
    pool = min(100, len(rows))
    top = retrieval_at(z, text, np.random.default_rng(seed), pool=pool)
    return {"top1": top[1], "top5": top[5], "clips": float(len(rows)), "pool": float(pool)}


def reset_branch(graph: ScorerGraph, corpus: AudioCorpus, train: NDArray[np.int64]) -> None:
    """Standardise on the train rows and start the branch at the "no audio" vector."""
    branch = graph.encoder.audio
    feats = corpus.audio[train].astype(np.float64)
    branch.mean.copy_(torch.tensor(feats.mean(0), dtype=torch.float32))
    std = torch.tensor(feats.std(0), dtype=torch.float32)
    branch.std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
    first, last = branch.net[0], branch.net[2]
    assert isinstance(first, torch.nn.Linear) and isinstance(last, torch.nn.Linear)
    first.reset_parameters()
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(branch.null)


def train_audio_branch(
    base: Path, corpus: AudioCorpus, config: AudioTrainConfig | None = None
) -> AudioTrainResult:
    """Fit the audio branch of the model whose graph weights are ``base`` (an exported
    ``.npz``). Raises ValueError when the corpus lacks train, val or test rows."""
    config = config or AudioTrainConfig()
    started = time.perf_counter()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    graph, meta = load_graph(base)
    split_rows = {s: corpus.indices(s) for s in SPLITS}
    if len(split_rows["train"]) < config.batch_size or min(map(len, split_rows.values())) < 2:
        raise ValueError(
            "audio corpus: "
            + ", ".join(f"{len(v)} {k}" for k, v in split_rows.items())
            + f" rows -- need batch_size={config.batch_size} train rows and 2 val and test rows"
        )
    before = {
        "without_audio": audio_retrieval(graph, corpus, split_rows["test"], with_audio=False),
        "untrained_branch": audio_retrieval(graph, corpus, split_rows["test"], with_audio=True),
    }
    for p in graph.parameters():
        p.requires_grad_(False)
    reset_branch(graph, corpus, split_rows["train"])
    params = list(graph.encoder.audio.net.parameters())
    for p in params:
        p.requires_grad_(True)
    scale = torch.tensor(1.0 / graph.heads.temperature)
    trunks = {s: trunk_states(graph, corpus, r) for s, r in split_rows.items()}
    audio = {s: torch.from_numpy(corpus.audio[r]) for s, r in split_rows.items()}
    texts = {s: _unit(corpus.text_emb[r]) for s, r in split_rows.items()}
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    n_train = len(split_rows["train"])
    steps = max(1, n_train // config.batch_size)
    best: tuple[float, int, dict[str, Tensor]] = (math.inf, -1, {})
    history: list[dict[str, float]] = []
    for epoch in range(config.epochs):
        order = torch.from_numpy(rng.permutation(n_train))
        losses = []
        for b in range(steps):
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            z = embed(graph, trunks["train"][idx], audio["train"][idx], grad=True)
            loss = contrastive_loss(z, texts["train"][idx], scale)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
        with torch.no_grad():
            z_val = embed(graph, trunks["val"], audio["val"])
            val = float(contrastive_loss(z_val, texts["val"], scale).item())
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": val})
        if val < best[0]:
            best = (val, epoch, copy.deepcopy(graph.encoder.audio.state_dict()))
    graph.encoder.audio.load_state_dict(best[2])
    graph.eval()
    after = audio_retrieval(graph, corpus, split_rows["test"], with_audio=True)
    retrieval = {**before, "trained_branch": after}
    logger.info("audio branch: best epoch %d, test retrieval %s", best[1], retrieval)
    sidecar = audio_sidecar(meta, corpus, split_rows, config, best[1], retrieval)
    return AudioTrainResult(
        graph=graph,
        sidecar=sidecar,
        best_epoch=best[1],
        history=tuple(history),
        retrieval=retrieval,
        seconds=time.perf_counter() - started,
    )


def audio_sidecar(
    meta: dict[str, Any],
    corpus: AudioCorpus,
    split_rows: dict[str, NDArray[np.int64]],
    config: AudioTrainConfig,
    best_epoch: int,
    retrieval: dict[str, dict[str, float]],
) -> dict[str, Any]:
    """The base model's sidecar fields with the audio modality switched on and described."""
    old = dict(meta.get("sidecar", {}))
    sidecar = {k: v for k, v in old.items() if k not in EXPORTED_FIELDS}
    n_train = len(split_rows["train"])
    sidecar["version"] = AUDIO_MODEL_VERSION
    sidecar["modalities"] = {**dict(old.get("modalities", {})), "audio": n_train}
    data = dict(old.get("training_data", {}))
    data["with_audio"] = n_train
    sidecar["training_data"] = data
    sources = np.asarray(corpus.sources)
    sidecar["audio_training"] = {
        "what": "the audio branch only (MIDI encoder, heads, reference and calibration kept)",
        "corpus_rows": {s: len(r) for s, r in split_rows.items()},
        "songs": len(set(np.asarray(corpus.song_ids).tolist())),
        "sources": {s: int((sources == s).sum()) for s in sorted(set(sources.tolist()))},
        "audio": "real MIDI rendered with drawn GM programs and part gains, levelled to -16 "
        "LUFS; scoring.audio_features.audio_features",
        "config": dataclasses.asdict(config),
        "best_epoch": best_epoch,
        "test_retrieval_of_100": retrieval,
    }
    return sidecar


def export_audio_model(result: AudioTrainResult, out: Path) -> ExportResult:
    """Export the trained graph (ONNX + sidecar + weights, with the parity check)."""
    return export(result.graph, out, sidecar=result.sidecar)


__all__ = [
    "AUDIO_MODEL_VERSION",
    "AudioTrainConfig",
    "AudioTrainResult",
    "audio_retrieval",
    "embed",
    "export_audio_model",
    "reset_branch",
    "train_audio_branch",
    "trunk_states",
]
