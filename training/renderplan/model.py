"""The small MLP of the RenderPlan model (torch) and its export to the runtime JSON."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from render.renderplan_model import FEATURE_NAMES, TARGET_NAMES, RenderPlanModel


@dataclass(frozen=True, slots=True)
class MlpConfig:
    """``layers`` hidden layers of ``width`` units (tanh); debug size is 2 x 16."""

    layers: int = 2
    width: int = 16
    epochs: int = 400
    lr: float = 0.01
    weight_decay: float = 1e-4
    seed: int = 0

    def __post_init__(self) -> None:
        if self.layers < 1 or self.width < 1 or self.epochs < 1 or self.lr <= 0:
            raise ValueError(f"MlpConfig: {self!r} -- layers, width, epochs >= 1 and lr > 0")


class PlanMlp(nn.Module):
    def __init__(self, config: MlpConfig) -> None:
        super().__init__()
        dims = [len(FEATURE_NAMES)] + [config.width] * config.layers + [len(TARGET_NAMES)]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(dims))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, features]`` (standardised) -> ``[N, targets]``."""
        for i, layer in enumerate(self.linears):
            x = layer(x)
            if i < len(self.linears) - 1:
                x = torch.tanh(x)
        return x


def export_mlp(model: PlanMlp, x_mean: np.ndarray, x_std: np.ndarray) -> RenderPlanModel:
    """The runtime (numpy) model with this MLP's weights."""
    layers = tuple(
        (
            layer.weight.detach().cpu().numpy().T.astype(np.float64),
            layer.bias.detach().cpu().numpy().astype(np.float64),
        )
        for layer in model.linears
        if isinstance(layer, nn.Linear)
    )
    return RenderPlanModel(kind="mlp", x_mean=x_mean, x_std=x_std, layers=layers, activation="tanh")
