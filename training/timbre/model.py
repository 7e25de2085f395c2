"""The timbre decoder: per-frame f0 (Hz) and loudness (dB) -> Dense + LeakyReLU -> GRU ->
Dense + LeakyReLU -> Dense, read as an overall amplitude, a distribution over the harmonics
(those at or above Nyquist get none) and per-band noise magnitudes, all through DDSP's
``exp_sigmoid`` (``2 * sigmoid(x) ** ln 10 + 1e-7``, positive and smooth)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from render.ddsp import HOP, SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class TimbreConfig:
    """``harmonics`` and ``noise_bands`` the decoder predicts per frame, its ``hidden`` width,
    and the loudness normalisation of its input (the training frames' mean and spread, dB)."""

    harmonics: int = 40
    noise_bands: int = 32
    hidden: int = 64
    loudness_mean: float = -40.0
    loudness_std: float = 20.0
    sample_rate: int = SAMPLE_RATE
    hop: int = HOP

    def __post_init__(self) -> None:
        if self.harmonics < 1 or self.noise_bands < 2 or self.hidden < 1:
            raise ValueError(
                f"TimbreConfig: harmonics {self.harmonics!r}, noise_bands {self.noise_bands!r}, "
                f"hidden {self.hidden!r} -- at least 1, 2 and 1"
            )
        if not self.loudness_std > 0:
            raise ValueError(f"TimbreConfig.loudness_std: {self.loudness_std!r} -- above 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimbreConfig:
        return cls(**data)


def exp_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 2.0 * torch.sigmoid(x) ** math.log(10.0) + 1e-7


class TimbreDecoder(nn.Module):
    """``f0_hz [B, T]``, ``loudness_db [B, T]`` -> ``harmonics [B, T, H]`` (amplitudes) and
    ``noise [B, T, N]`` (band magnitudes)."""

    orders: torch.Tensor

    def __init__(self, cfg: TimbreConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Linear(2, cfg.hidden)
        self.gru = nn.GRU(cfg.hidden, cfg.hidden, batch_first=True)
        self.mid = nn.Linear(cfg.hidden + 2, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, 1 + cfg.harmonics + cfg.noise_bands)
        self.act = nn.LeakyReLU(0.1)
        self.register_buffer(
            "orders", torch.arange(1, cfg.harmonics + 1, dtype=torch.float32), persistent=False
        )

    def forward(
        self, f0_hz: torch.Tensor, loudness_db: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.cfg
        f0 = torch.clamp(f0_hz, min=1.0)
        pitch = (12.0 * torch.log2(f0 / 440.0) + 69.0 - 64.0) / 16.0
        loud = (loudness_db - cfg.loudness_mean) / cfg.loudness_std
        x = torch.stack([pitch, loud], dim=-1)
        h, _ = self.gru(self.act(self.inp(x)))
        o = self.out(self.act(self.mid(torch.cat([h, x], dim=-1))))
        amp = exp_sigmoid(o[..., :1])
        logits = o[..., 1 : 1 + cfg.harmonics]
        audible = (f0[..., None] * self.orders < cfg.sample_rate / 2).float()
        dist = torch.softmax(logits, dim=-1) * audible
        dist = dist / (dist.sum(dim=-1, keepdim=True) + 1e-7)
        noise = exp_sigmoid(o[..., 1 + cfg.harmonics :] - 5.0)
        return amp * dist, noise

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
