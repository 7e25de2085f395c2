"""The three chromatic heads (temporal, spatial, ontological), zero-shot or supervised, and the
color probabilities.

**Zero-shot** (the default; no color labels needed). Each axis is its own prediction. Every
mode of every axis (past, present, future; thing, place, person; imagined, forgotten, known) is
described in its own words (:data:`MODE_PROMPTS`: never a color's description, so no axis can
be another axis relabelled), embedded with MiniLM and averaged (prompt ensembling as in CLIP)
into a unit vector ``e_m``. For a MIDI embedding ``z`` (a unit vector in the same space)::

    q_axis(z)       = softmax over the axis's 3 modes of  s * <z, e_m>     s = 1 / temperature

The color probabilities come from the colors' descriptions (:func:`scoring.colors.descriptor`
plus a mood and a genre prompt, averaged into ``d_k``)::

    p(color k | z)  = softmax_k( s * <z, d_k> )

They are reported, but the axes do not come from them. (An earlier construction mixed the
colors' target vectors by ``p(color | z)``; because Red and Orange are both past and thing,
Yellow and Green future and place, Blue and Violet present and person, its spatial distribution
was its temporal one relabelled for every candidate.)

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
from typing import Final

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from scoring.colors import AXES, COLOR_NAMES, color_spec, descriptor
from scoring.text_encoder import TextEncoder

logger = logging.getLogger(__name__)

N_COLORS = len(COLOR_NAMES)
N_MODES = sum(len(m) for m in AXES.values())  # 9: three axes of three modes

#: The words each mode is described in, for its zero-shot embedding (AXES order).
MODE_PROMPTS: Final[dict[str, tuple[str, ...]]] = {
    "past": (
        "music of the past: old, nostalgic, remembered, vintage, traditional",
        "a song about memories and times gone by",
        "an old folk tune or a worn retro record",
    ),
    "present": (
        "music of the present moment: here and now, immediate, current",
        "a song about what is happening right now",
        "contemporary music of today",
    ),
    "future": (
        "music of the future: futuristic, forward-looking, new and unknown",
        "a song about what is still to come",
        "synthetic sounds from a time not yet here",
    ),
    "thing": (
        "music about things and objects: machines, tools, possessions",
        "a song about an object",
        "mechanical, material, concrete music",
    ),
    "place": (
        "music about a place: landscapes, cities, rooms, open spaces",
        "a song about where we are",
        "spacious, wide music of open spaces",
    ),
    "person": (
        "music about a person: a voice, a face, someone loved",
        "a song about someone",
        "intimate, personal, human music",
    ),
    "imagined": (
        "music of the imagined: dreams, fantasy, invention, the unreal",
        "a song about something that never happened",
        "surreal, whimsical, fantastical music",
    ),
    "forgotten": (
        "music of the forgotten: lost, faded, erased, half-remembered",
        "a song about what nobody remembers any more",
        "faded, distant, hazy music",
    ),
    "known": (
        "music of the known: familiar, certain, plain, true",
        "a song about what everyone knows",
        "familiar, clear, straightforward music",
    ),
}


def color_prompts(color: str) -> tuple[str, ...]:
    """The texts averaged into one color's zero-shot embedding."""
    spec = color_spec(color)
    prompts = [descriptor(spec.name), f"music that feels {', '.join(spec.moods)}"]
    if spec.genres:
        prompts.append(f"{' and '.join(spec.genres)} music")
    return tuple(prompts)


def _ensembles(encoder: TextEncoder, prompts: list[tuple[str, ...]]) -> NDArray[np.float32]:
    """One unit vector per prompt group: the normalised mean of its embeddings."""
    rows = []
    for group in prompts:
        mean = encoder.encode(list(group)).mean(axis=0)
        rows.append(mean / np.linalg.norm(mean))
    return np.stack(rows).astype(np.float32)


def descriptor_embeddings(encoder: TextEncoder) -> NDArray[np.float32]:
    """``[9, 384]`` unit vectors, one per color in :data:`COLOR_NAMES` order."""
    return _ensembles(encoder, [color_prompts(name) for name in COLOR_NAMES])


def mode_embeddings(encoder: TextEncoder) -> NDArray[np.float32]:
    """``[9, 384]`` unit vectors, one per mode (temporal, spatial, ontological; AXES order)."""
    modes = [m for axis_modes in AXES.values() for m in axis_modes]
    return _ensembles(encoder, [MODE_PROMPTS[m] for m in modes])


class ChromaticHeads(nn.Module):
    """Color probabilities and the three mode distributions (each its own prediction) from a
    MIDI embedding."""

    descriptors: Tensor  # [9, D] buffer: the colors' prompt embeddings
    modes: Tensor  # [9, D] buffer: the modes' prompt embeddings, three per axis

    def __init__(
        self, descriptors: Tensor, modes: Tensor, *, temperature: float, embed_dim: int = 384
    ) -> None:
        super().__init__()
        if descriptors.shape != (N_COLORS, embed_dim):
            raise ValueError(
                f"descriptors: shape {tuple(descriptors.shape)} -- ({N_COLORS}, {embed_dim})"
            )
        if modes.shape != (N_MODES, embed_dim):
            raise ValueError(f"modes: shape {tuple(modes.shape)} -- ({N_MODES}, {embed_dim})")
        if not 0.0 < temperature < 10.0:
            raise ValueError(f"temperature: {temperature!r} -- in (0, 10)")
        self.register_buffer("descriptors", descriptors.float())
        self.register_buffer("modes", modes.float())
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
        modes: Tensor = self.modes
        scale = self.log_scale.exp()
        probs = torch.softmax(scale * (z @ descriptors.T), dim=-1)
        sims = scale * (z @ modes.T)  # [B, 9]: three axes of three modes
        residual = self.residual(z)
        axes = [
            torch.softmax(
                torch.log_softmax(sims[:, 3 * i : 3 * i + 3], dim=-1)
                + residual[:, 3 * i : 3 * i + 3],
                dim=-1,
            )
            for i in range(3)
        ]
        return probs, axes[0], axes[1], axes[2]

    def is_supervised(self) -> bool:
        """True once the residual has been fit (any weight non-zero)."""
        return bool(self.residual.weight.abs().sum().item() > 0)


def zero_shot_heads(
    encoder: TextEncoder, *, temperature: float, embed_dim: int = 384
) -> ChromaticHeads:
    """Heads built from the colors' and the modes' prompt embeddings; nothing is trained."""
    return ChromaticHeads(
        torch.from_numpy(descriptor_embeddings(encoder)),
        torch.from_numpy(mode_embeddings(encoder)),
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
    "MODE_PROMPTS",
    "N_COLORS",
    "N_MODES",
    "ChromaticHeads",
    "color_prompts",
    "descriptor_embeddings",
    "mode_embeddings",
    "soft_cross_entropy",
    "zero_shot_heads",
]
