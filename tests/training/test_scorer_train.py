"""Contrastive scorer training on a small learnable synthetic corpus (debug-sized model)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from training.scorer.model import ScorerConfig, load_contrastive, load_state, save_state
from training.scorer.train import TrainConfig, contrastive_loss, retrieval_at, train_model


@dataclass(frozen=True)
class SynthCorpus:
    rolls: np.ndarray
    symbolic: np.ndarray
    text_emb: np.ndarray
    texts: list[str]
    song_ids: list[str]
    sources: list[str]
    splits: list[str]


def synthetic_corpus(n: int = 192, seed: int = 0) -> SynthCorpus:
    """Four kinds of clip -- low or high register, sparse or busy -- each with its own text
    (a fixed random unit vector): the music alone tells which text is right."""
    rng = np.random.default_rng(seed)
    protos = rng.normal(size=(4, 384)).astype(np.float32)
    protos /= np.linalg.norm(protos, axis=1, keepdims=True)
    kind = rng.integers(0, 4, n)
    rolls = np.zeros((n, 2, 128, 128), np.uint8)
    texts, songs, splits = [], [], []
    for i in range(n):
        low, busy = divmod(int(kind[i]), 2)
        base, step = (36 if low else 72), (2 if busy else 16)
        for t in range(0, 128, step):
            p = base + int(rng.integers(0, 12))
            rolls[i, 0, p, t : t + step] = 100
            rolls[i, 1, p, t] = 100
        texts.append(f"{'low' if low else 'high'} {'busy' if busy else 'sparse'} music")
        songs.append(f"song{i // 2}")
        splits.append("train" if (i // 2) % 4 else "val")
    symbolic = (rng.normal(size=(n, 32)) * 0.1).astype(np.float16)
    return SynthCorpus(
        rolls, symbolic, protos[kind].astype(np.float16), texts, songs, ["synthetic"] * n, splits
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, SynthCorpus]:
    corpus = synthetic_corpus()
    out = tmp_path_factory.mktemp("scorer")
    config = TrainConfig.debug(Path("synthetic"), out)
    return train_model(corpus, config), corpus


def test_training_loss_falls_on_a_learnable_task(trained: tuple[object, SynthCorpus]) -> None:
    result, _ = trained
    history = result.history  # type: ignore[attr-defined]
    assert len(history) == 8
    # Chance for a batch of 32 with ~8 clips per text is about log(32) = 3.47 nats; the floor
    # is log(8) = 2.08. A model that did not learn would stay near chance.
    assert history[0].train_loss > 3.0
    assert history[-1].train_loss < 2.6
    assert history[-1].train_loss < history[0].train_loss - 0.8
    assert min(h.val_loss for h in history) < 2.3


def test_save_load_gives_equal_config_and_weights(trained: tuple[object, SynthCorpus]) -> None:
    result, corpus = trained
    model, meta = load_contrastive(result.checkpoint)  # type: ignore[attr-defined]
    assert model.config == ScorerConfig.debug()
    assert ScorerConfig.from_dict(meta["config"]) == ScorerConfig.debug()
    assert meta["data"]["clips"] == len(corpus.texts)
    assert meta["epoch"] == result.best_epoch  # type: ignore[attr-defined]
    again = Path(result.checkpoint).with_name("again.npz")  # type: ignore[attr-defined]
    save_state(again, model, meta)
    state_a, meta_a = load_state(result.checkpoint)  # type: ignore[attr-defined]
    state_b, meta_b = load_state(again)
    assert meta_a == meta_b
    assert state_a.keys() == state_b.keys()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def test_trained_model_retrieves_the_right_text(trained: tuple[object, SynthCorpus]) -> None:
    result, corpus = trained
    model, _ = load_contrastive(result.checkpoint)  # type: ignore[attr-defined]
    idx = np.flatnonzero(np.array(corpus.splits) == "val")
    with torch.no_grad():
        z = model.encoder(
            torch.from_numpy(corpus.rolls[idx].astype(np.float32) / 127),
            torch.from_numpy(corpus.symbolic[idx].astype(np.float32)),
            torch.zeros(len(idx), 32),
            torch.zeros(len(idx), 1),
            torch.zeros(len(idx), 384),
            torch.zeros(len(idx), 1),
        ).numpy()
    text = corpus.text_emb[idx].astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    top = retrieval_at(z, text, np.random.default_rng(0), pool=4, ks=(1,))
    assert top[1] > 0.8  # chance is 0.25 among the four texts


def test_contrastive_loss_treats_shared_texts_as_positives() -> None:
    t = torch.nn.functional.normalize(torch.randn(2, 8), dim=1)
    text = torch.stack([t[0], t[0], t[1]])  # clips 0 and 1 share a text
    z_right = text.clone()
    z_wrong = torch.stack([t[1], t[1], t[0]])
    scale = torch.tensor(20.0)
    assert contrastive_loss(z_right, text, scale) < contrastive_loss(z_wrong, text, scale)
    # Matching either copy of a shared text is equally right: the loss cannot tell them apart.
    assert torch.isclose(
        contrastive_loss(z_right, text, scale), contrastive_loss(z_right[[1, 0, 2]], text, scale)
    )


def test_config_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="conv_channels"):
        ScorerConfig(conv_channels=())
    with pytest.raises(ValueError, match="modality_dropout"):
        ScorerConfig(modality_dropout=1.5)
    with pytest.raises(ValueError, match="unknown fields"):
        ScorerConfig.from_dict({"width": 3})
    assert ScorerConfig.from_dict(ScorerConfig().to_dict()) == ScorerConfig()
