"""A small Onsets-and-Frames style transcriber: log-mel frames in, per-pitch (or per drum
class) onset and frame probabilities out.

``features [B, T, n_mels]`` -> a 2-D conv stack over (time, frequency) with frequency pooling
-> a linear projection per frame -> dilated 1-D convs over time (context without recurrence,
so any length runs and exports cleanly) -> ``onset [B, T, P]``; the frame head reads the
same features plus the onset probabilities (as Onsets and Frames conditions frames on onsets)
-> ``frame [B, T, P]``. Outputs are logits in training and probabilities in the exported
graph (:class:`Probabilities`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True, slots=True)
class TranscriberConfig:
    """Sizes of the model. ``n_outputs``: pitches (or drum classes) read out."""

    n_outputs: int
    n_mels: int = 229
    channels: tuple[int, int] = (16, 32)
    hidden: int = 96
    context_layers: int = 2
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.n_outputs < 1 or self.hidden < 1 or min(self.channels) < 1:
            raise ValueError(f"TranscriberConfig: {self!r} -- sizes must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranscriberConfig:
        data = dict(data)
        data["channels"] = tuple(data["channels"])
        return cls(**data)

    @property
    def receptive_frames(self) -> int:
        """Frames of context on each side a frame's output depends on."""
        return 2 + sum(2**i for i in range(self.context_layers))


def debug_config(n_outputs: int) -> TranscriberConfig:
    """The tiny model the tests train in seconds."""
    return TranscriberConfig(n_outputs=n_outputs, channels=(4, 8), hidden=16, context_layers=1)


class Transcriber(nn.Module):
    def __init__(self, cfg: TranscriberConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c1, c2 = cfg.channels
        self.conv = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.BatchNorm2d(c1),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
        )
        self.project = nn.Linear(c2 * (cfg.n_mels // 4), cfg.hidden)
        self.context = nn.ModuleList(
            nn.Conv1d(cfg.hidden, cfg.hidden, 3, padding=2**i, dilation=2**i)
            for i in range(cfg.context_layers)
        )
        self.drop = nn.Dropout(cfg.dropout)
        self.onset = nn.Linear(cfg.hidden, cfg.n_outputs)
        self.frame = nn.Linear(cfg.hidden + cfg.n_outputs, cfg.n_outputs)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``features [B, T, n_mels]`` -> ``(onset_logits, frame_logits)``, each ``[B, T, P]``."""
        b, t, _ = features.shape
        x = self.conv(features.unsqueeze(1))  # [B, C, T, F/4]
        x = x.permute(0, 2, 1, 3).reshape(b, t, -1)
        h = torch.relu(self.project(self.drop(x))).transpose(1, 2)  # [B, H, T]
        for layer in self.context:
            h = h + torch.relu(layer(h))
        h = self.drop(h.transpose(1, 2))
        onset = self.onset(h)
        frame = self.frame(torch.cat([h, torch.sigmoid(onset).detach()], dim=-1))
        return onset, frame

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class Probabilities(nn.Module):
    """The exported graph: the model with sigmoids on both heads."""

    def __init__(self, model: Transcriber) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        onset, frame = self.model(features)
        return torch.sigmoid(onset), torch.sigmoid(frame)
