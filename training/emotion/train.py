"""Train, fine-tune and evaluate the emotion model; save and load its weights (``.npz``).

A clip's estimate is the mean of the model's per-window outputs. Evaluation is Pearson's r
between estimates and labels, per dimension, on clips the model never saw: the split is by
source tune (weak labels) or by file (a catalogue), chosen by the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import torch
from numpy.typing import NDArray

from music.files import atomic_path
from training.emotion.model import EmotionNet

TEST_SHARE: Final = 0.2


@dataclass(frozen=True, slots=True)
class Scores:
    """Held-out Pearson r and mean absolute error per dimension, and the clip count."""

    valence_r: float
    arousal_r: float
    valence_mae: float
    arousal_mae: float
    clips: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "valence_r": round(self.valence_r, 3),
            "arousal_r": round(self.arousal_r, 3),
            "valence_mae": round(self.valence_mae, 3),
            "arousal_mae": round(self.arousal_mae, 3),
            "clips": self.clips,
        }


def split(groups: NDArray[np.int64], seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Train and test clip indices; every clip of a group on the same side, >= 1 test group."""
    unique = np.unique(groups)
    rng = np.random.default_rng(seed)
    n_test = max(1, round(len(unique) * TEST_SHARE))
    test_groups = set(rng.permutation(unique)[:n_test].tolist())
    test = np.array([i for i, g in enumerate(groups) if int(g) in test_groups], dtype=np.int64)
    train = np.array([i for i, g in enumerate(groups) if int(g) not in test_groups], np.int64)
    return train, test


def predict(model: EmotionNet, features: NDArray[np.float32]) -> NDArray[np.float32]:
    """Clip estimates ``[clips, 2]`` (the mean over windows)."""
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)))
    result: NDArray[np.float32] = out.mean(dim=1).numpy()
    return result


def _r(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def score(model: EmotionNet, features: NDArray[np.float32], labels: NDArray[np.float32]) -> Scores:
    est = predict(model, features)
    return Scores(
        valence_r=_r(est[:, 0], labels[:, 0]),
        arousal_r=_r(est[:, 1], labels[:, 1]),
        valence_mae=float(np.abs(est[:, 0] - labels[:, 0]).mean()),
        arousal_mae=float(np.abs(est[:, 1] - labels[:, 1]).mean()),
        clips=len(labels),
    )


def fit(
    model: EmotionNet,
    features: NDArray[np.float32],
    labels: NDArray[np.float32],
    *,
    epochs: int,
    seed: int,
    lr: float = 2e-3,
    set_norm: bool = True,
    on_epoch: Callable[[int, float], None] | None = None,
) -> EmotionNet:
    """Train ``model`` in place on every window (each window carries its clip's label).
    ``set_norm``: take the standardisation from these features (False when fine-tuning)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    y_all = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.float32))
    if set_norm:
        flat = x_all.reshape(-1, x_all.shape[-1])
        model.mean.copy_(flat.mean(dim=0))
        model.std.copy_(flat.std(dim=0).clamp_min(1e-3))
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    batch = 32
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(labels))
        total = 0.0
        for start in range(0, len(order), batch):
            idx = torch.from_numpy(order[start : start + batch])
            out = model(x_all[idx])
            target = y_all[idx][:, None, :].expand_as(out)
            loss = torch.nn.functional.mse_loss(out, target)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        if on_epoch is not None:
            on_epoch(epoch, total / len(order))
    model.eval()
    return model


def save_weights(model: EmotionNet, path: Path) -> Path:
    """The state dict as float32 arrays in an ``.npz``, written atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    return path


def load_weights(path: Path) -> EmotionNet:
    """A model from :func:`save_weights`' file; ValueError naming the file when it is not one."""
    model = EmotionNet()
    want = model.state_dict()
    try:
        with np.load(path, allow_pickle=False) as data:
            state = {k: torch.from_numpy(data[k]) for k in data.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not an emotion model weights file ({exc})") from None
    if set(state) != set(want) or any(state[k].shape != want[k].shape for k in want):
        raise ValueError(f"{path}: weights do not match the emotion model's layers and shapes")
    model.load_state_dict(state)
    model.eval()
    return model
