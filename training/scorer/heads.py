"""The three chromatic heads (temporal, spatial, ontological), zero-shot or supervised.

**Zero-shot** (the default; no color labels needed). Each of the nine colors (DESIGN §3) is
described in text -- :func:`scoring.colors.descriptor` plus a mood prompt and a genre prompt,
embedded with MiniLM and averaged (prompt ensembling as in CLIP) into a unit vector ``d_k``. For
a MIDI embedding ``z`` (a unit vector in the same space)::

    p(color k | z)  = softmax_k( s * <z, d_k> )                  s = 1 / temperature
    q_axis(z)       = sum_k p(color k | z) * target_k,axis       (3 modes per axis)

i.e. the mode distribution of each axis is the probability-weighted mixture of the colors'
target vectors (:func:`scoring.colors.target_vector`). Every ``q_axis`` is a proper distribution
because every target is.

**Supervised** (when a person's labelled catalogue exists). Per axis a linear residual on the
zero-shot log-distribution::

    q_axis(z) = softmax( log q0_axis(z) + W_axis z + b_axis )

``W`` and ``b`` start at zero, so an untrained supervised head equals the zero-shot head; they
are fit (and the temperature tuned) by :func:`training.scorer.supervised.train_catalogue` with
cross-entropy (:func:`soft_cross_entropy`) against the labelled colors' target vectors. The
heads only ever see the music embedding, never the concept text, so the text cannot stand in
for the label.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from scoring.colors import AXES, COLOR_NAMES, color_spec, descriptor, target_vector
from scoring.text_encoder import TextEncoder

logger = logging.getLogger(__name__)

N_COLORS = len(COLOR_NAMES)
N_MODES = sum(len(m) for m in AXES.values())  # 9: three axes of three modes


def color_prompts(color: str) -> tuple[str, ...]:
    """The texts averaged into one color's zero-shot embedding."""
    spec = color_spec(color)
    prompts = [descriptor(spec.name), f"music that feels {', '.join(spec.moods)}"]
    if spec.genres:
        prompts.append(f"{' and '.join(spec.genres)} music")
    return tuple(prompts)


def descriptor_embeddings(encoder: TextEncoder) -> NDArray[np.float32]:
    """``[9, 384]`` unit vectors, one per color in :data:`COLOR_NAMES` order."""
    rows = []
    for name in COLOR_NAMES:
        vecs = encoder.encode(list(color_prompts(name)))
        mean = vecs.mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return np.stack(rows).astype(np.float32)


def target_matrix() -> NDArray[np.float32]:
    """``[9 colors, 9 modes]``: each color's target vector (temporal, spatial, ontological)."""
    return np.array([target_vector(c).flat() for c in COLOR_NAMES], dtype=np.float32)


class ChromaticHeads(nn.Module):
    """Color probabilities and the three mode distributions from a MIDI embedding."""

    descriptors: Tensor  # [9, D] buffer: the colors' prompt embeddings
    targets: Tensor  # [9, 9] buffer: the colors' target vectors

    def __init__(
        self, descriptors: Tensor, targets: Tensor, *, temperature: float, embed_dim: int = 384
    ) -> None:
        super().__init__()
        if descriptors.shape != (N_COLORS, embed_dim):
            raise ValueError(
                f"descriptors: shape {tuple(descriptors.shape)} -- ({N_COLORS}, {embed_dim})"
            )
        if targets.shape != (N_COLORS, N_MODES):
            raise ValueError(f"targets: shape {tuple(targets.shape)} -- ({N_COLORS}, {N_MODES})")
        if not 0.0 < temperature < 10.0:
            raise ValueError(f"temperature: {temperature!r} -- in (0, 10)")
        self.register_buffer("descriptors", descriptors.float())
        self.register_buffer("targets", targets.float())
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))
        self.residual = nn.Linear(embed_dim, N_MODES)
        nn.init.zeros_(self.residual.weight)
        nn.init.zeros_(self.residual.bias)

    @property
    def temperature(self) -> float:
        return float(torch.exp(-self.log_scale).item())

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``z [B, D]`` unit vectors -> ``(color_probs [B, 9], temporal [B, 3],
        spatial [B, 3], ontological [B, 3])``."""
        descriptors: Tensor = self.descriptors
        targets: Tensor = self.targets
        probs = torch.softmax(self.log_scale.exp() * (z @ descriptors.T), dim=-1)
        mixture = probs @ targets  # [B, 9]: three axes of three modes
        logits = torch.log(mixture.clamp_min(1e-8)) + self.residual(z)
        axes = [torch.softmax(logits[:, 3 * i : 3 * i + 3], dim=-1) for i in range(3)]
        return probs, axes[0], axes[1], axes[2]

    def is_supervised(self) -> bool:
        """True once the residual has been fit (any weight non-zero)."""
        return bool(self.residual.weight.abs().sum().item() > 0)


def zero_shot_heads(
    encoder: TextEncoder, *, temperature: float, embed_dim: int = 384
) -> ChromaticHeads:
    """Heads built from the colors' descriptor embeddings; nothing is trained."""
    return ChromaticHeads(
        torch.from_numpy(descriptor_embeddings(encoder)),
        torch.from_numpy(target_matrix()),
        temperature=temperature,
        embed_dim=embed_dim,
    )


def soft_cross_entropy(heads_out: tuple[Tensor, Tensor, Tensor, Tensor], targets: Tensor) -> Tensor:
    """Mean over examples and axes of ``-sum_m target_m log q_m``; ``targets [B, 9]``."""
    _, *axes = heads_out
    losses = [
        -(targets[:, 3 * i : 3 * i + 3] * torch.log(q.clamp_min(1e-8))).sum(-1).mean()
        for i, q in enumerate(axes)
    ]
    return torch.stack(losses).mean()


__all__ = [
    "N_COLORS",
    "N_MODES",
    "ChromaticHeads",
    "color_prompts",
    "descriptor_embeddings",
    "soft_cross_entropy",
    "target_matrix",
    "zero_shot_heads",
]
