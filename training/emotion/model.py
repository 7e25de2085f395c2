"""The emotion model of seed 002: 128 features -> Dense 256 + tanh -> LSTM 128 -> Dense 64 +
tanh (the emotion embedding) -> Dense 2 + tanh (the valence and arousal heads, one row each).

Input standardisation (the training set's per-feature mean and std) is held as buffers and
folded into the first Dense layer on export, so the exported models take raw features.
"""

from __future__ import annotations

from typing import Final

import torch
from torch import nn

from scoring.emotion.features import N_FEATURES

HIDDEN: Final = 256
LSTM_UNITS: Final = 128
EMBEDDING: Final = 64


class EmotionNet(nn.Module):
    """``[batch, windows, 128]`` -> ``[batch, windows, 2]`` (valence, arousal per window)."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(N_FEATURES))
        self.register_buffer("std", torch.ones(N_FEATURES))
        self.dense = nn.Linear(N_FEATURES, HIDDEN)
        self.lstm = nn.LSTM(HIDDEN, LSTM_UNITS, batch_first=True)
        self.embed = nn.Linear(LSTM_UNITS, EMBEDDING)
        self.heads = nn.Linear(EMBEDDING, 2)

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """The 64-d emotion embedding per window."""
        z = torch.tanh(self.dense((x - self.mean) / self.std))
        h, _ = self.lstm(z)
        return torch.tanh(self.embed(h))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.tanh(self.heads(self.embedding(x)))
        return out

    def folded_dense(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The first Dense layer's weight ``[256, 128]`` and bias with the standardisation
        folded in: ``W' = W / std``, ``b' = b - W' @ mean``."""
        w = self.dense.weight / self.std[None, :]
        b = self.dense.bias - w @ self.mean
        return w.detach(), b.detach()
