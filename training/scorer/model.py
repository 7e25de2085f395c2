"""The ChromaticScorer's torch model: a MIDI encoder that embeds music into the 384-d MiniLM text
space (contrastive, CLIP/CLaMP-style), a pair-confidence head, and the graph that is exported.

Inputs (``B`` candidates)::

    roll       [B, C, 128, T]  beat-aligned piano roll in [0, 1] (T = 128 steps, 4 per quarter
                               note); channel 0 the sounding notes, channel 1 their onsets;
                               with ``roll_channels = 3``, channel 2 the part being scored
                               apart from the parts underneath it (a 2-channel roll given to
                               such a model is all its own: channel 2 is derived from it)
    symbolic   [B, 32]         symbolic features of the same clip (raw; standardised in-graph)
    audio      [B, 32]         DSP features of a rendered preview (zeros when absent)
    audio_mask [B, 1]          1 where ``audio`` is real, 0 where it is missing
    lyrics     [B, 384]        MiniLM embedding of the lyrics (zeros when absent)
    lyrics_mask [B, 1]         1 where ``lyrics`` is real

A missing modality is replaced by a LEARNED null embedding (not zeros); during training present
modalities are dropped to their null with probability ``modality_dropout``, so the encoder
works with any subset. The last layer of each optional branch starts at zero, so a modality the
training data never contained adds nothing until it is trained (and the runtime ignores it, see
``scoring.chromatic``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inference.onnx import ModelFileError
from music.files import atomic_path

EMBED_DIM = 384


@dataclass(frozen=True, slots=True)
class ScorerConfig:
    """Shape and size of the scorer model. ``debug()`` is the tiny test-sized version."""

    roll_channels: int = 2
    pitches: int = 128
    steps: int = 128
    n_symbolic: int = 32
    n_audio: int = 32
    text_dim: int = EMBED_DIM
    conv_channels: tuple[int, ...] = (16, 32, 48, 64)
    hidden: int = 256
    dropout: float = 0.1
    modality_dropout: float = 0.3
    init_temperature: float = 0.07
    max_logit_scale: float = 100.0

    def __post_init__(self) -> None:
        if not self.conv_channels or any(c < 1 for c in self.conv_channels):
            raise ValueError(
                f"ScorerConfig.conv_channels: {self.conv_channels!r} -- one or more positive ints"
            )
        for name in ("pitches", "steps"):
            size = getattr(self, name)
            if size % (2 ** len(self.conv_channels)) != 0:
                raise ValueError(
                    f"ScorerConfig.{name}: {size!r} -- must divide by 2**len(conv_channels) = "
                    f"{2 ** len(self.conv_channels)}"
                )
        if self.hidden < 1:
            raise ValueError(f"ScorerConfig.hidden: {self.hidden!r} -- a positive int")
        for name in ("dropout", "modality_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"ScorerConfig.{name}: {value!r} -- a probability in [0, 1)")
        if not 0.0 < self.init_temperature < 1.0:
            raise ValueError(
                f"ScorerConfig.init_temperature: {self.init_temperature!r} -- in (0, 1)"
            )

    @classmethod
    def debug(cls) -> ScorerConfig:
        """Two conv layers, width 16: for tests."""
        return cls(conv_channels=(8, 16), hidden=16)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["conv_channels"] = list(self.conv_channels)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScorerConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"ScorerConfig: unknown fields {unknown} -- allowed {sorted(names)}")
        values = dict(data)
        if "conv_channels" in values:
            values["conv_channels"] = tuple(int(c) for c in values["conv_channels"])
        return cls(**values)


def with_own_channel(roll: Tensor, channels: int) -> Tensor:
    """``roll [B, 2 or 3, P, T]`` with ``channels`` channels: a 2-channel roll (music heard
    whole, nothing underneath) gains its own channel, the larger of its two channels
    (:func:`scoring.midi_features.own_channel`)."""
    if roll.shape[1] == channels:
        return roll
    if roll.shape[1] == 2 and channels == 3:
        return torch.cat([roll, torch.maximum(roll[:, 0], roll[:, 1]).unsqueeze(1)], dim=1)
    raise ValueError(f"roll: {roll.shape[1]} channels -- the model reads {channels}")


def widen_roll_state(state: dict[str, Tensor], channels: int) -> dict[str, Tensor]:
    """A 2-channel encoder's state for a model with ``channels`` roll channels: the new
    channel's weights start at zero, so the widened model first computes exactly what the
    old one did (and learns from there what the part on its own adds)."""
    out = dict(state)
    convs = [k for k in state if k.endswith("roll.convs.0.weight")]
    if channels == 2 or not convs or state[convs[0]].shape[1] != 2:
        return out  # nothing to widen
    for name, w in state.items():
        if name.endswith("roll.convs.0.weight"):  # [out, 2, 3, 3]
            pad = torch.zeros(w.shape[0], channels - 2, *w.shape[2:], dtype=w.dtype)
            out[name] = torch.cat([w, pad], dim=1)
        elif name.endswith("roll.profile.weight"):  # [hidden, 2 * P]
            pad = torch.zeros(w.shape[0], (channels - 2) * (w.shape[1] // 2), dtype=w.dtype)
            out[name] = torch.cat([w, pad], dim=1)
    return out


class RollEncoder(nn.Module):
    """Strided 3x3 convolutions with ReLU over [pitch, time] (no batch norm: nothing differs
    between training and inference); the result is averaged over time (keeping a
    coarse pitch axis, i.e. register) plus the clip's time-averaged pitch profile per channel."""

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        if config.roll_channels not in (2, 3):
            raise ValueError(
                f"ScorerConfig.roll_channels: {config.roll_channels!r} -- 2, or 3 with the part "
                "being scored"
            )
        self.channels = config.roll_channels
        layers: list[nn.Module] = []
        c_in = config.roll_channels
        for c_out in config.conv_channels:
            layers += [
                nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1),
                nn.ReLU(),  # onnxruntime fuses Conv+ReLU into one kernel (Conv+GELU it cannot)
            ]
            c_in = c_out
        self.convs = nn.Sequential(*layers)
        coarse_pitch = config.pitches // 2 ** len(config.conv_channels)
        self.conv_out = nn.Linear(c_in * coarse_pitch * 2, config.hidden)
        self.profile = nn.Linear(config.roll_channels * config.pitches, config.hidden)

    def forward(self, roll: Tensor) -> Tensor:
        """``roll [B, C, P, T]`` -> ``[B, hidden]``."""
        roll = with_own_channel(roll, self.channels)
        h = self.convs(roll)  # [B, C', P', T']
        pooled = torch.cat([h.mean(dim=3), h.amax(dim=3)], dim=1).flatten(1)
        profile = roll.mean(dim=3).flatten(1)  # [B, C * P]: register and pitch-class content
        return F.gelu(self.conv_out(pooled)) + F.gelu(self.profile(profile))


class OptionalBranch(nn.Module):
    """An optional modality: standardise, MLP, and a learned null for missing inputs. The last
    layer starts at zero so an untrained branch contributes nothing."""

    mean: Tensor  # [n_in] buffer
    std: Tensor  # [n_in] buffer

    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_in))
        self.register_buffer("std", torch.ones(n_in))
        last = nn.Linear(hidden, hidden)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.net = nn.Sequential(nn.Linear(n_in, hidden), nn.GELU(), last)
        self.null = nn.Parameter(torch.zeros(hidden))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x [B, n_in]``, ``mask [B, 1]`` (1 present, 0 missing) -> ``[B, hidden]``."""
        mean: Tensor = self.mean
        std: Tensor = self.std
        h = self.net((x - mean) / std)
        return mask * h + (1.0 - mask) * self.null


class MidiEncoder(nn.Module):
    """Roll CNN + symbolic MLP (+ optional audio and lyric branches) -> a unit vector in the
    384-d text space."""

    sym_mean: Tensor  # [n_symbolic] buffer
    sym_std: Tensor  # [n_symbolic] buffer

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        self.config = config
        h = config.hidden
        self.roll = RollEncoder(config)
        self.register_buffer("sym_mean", torch.zeros(config.n_symbolic))
        self.register_buffer("sym_std", torch.ones(config.n_symbolic))
        self.symbolic = nn.Sequential(nn.Linear(config.n_symbolic, h), nn.GELU())
        self.audio = OptionalBranch(config.n_audio, h)
        self.lyrics = OptionalBranch(config.text_dim, h)
        self.fuse = nn.Sequential(
            nn.Linear(2 * h, h),
            nn.GELU(),
            nn.Dropout(config.dropout),
        )
        self.out = nn.Sequential(
            nn.Linear(h, h), nn.GELU(), nn.Dropout(config.dropout), nn.Linear(h, config.text_dim)
        )

    def set_normalisation(
        self,
        *,
        symbolic: tuple[Tensor, Tensor],
        audio: tuple[Tensor, Tensor] | None = None,
    ) -> None:
        """Store feature means and standard deviations (from the training split) in the model,
        so the exported graph standardises raw features itself. Zero stds become 1."""
        mean, std = symbolic
        self.sym_mean.copy_(mean)
        self.sym_std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
        if audio is not None:
            a_mean, a_std = audio
            self.audio.mean.copy_(a_mean)
            self.audio.std.copy_(torch.where(a_std > 1e-6, a_std, torch.ones_like(a_std)))

    def forward(
        self,
        roll: Tensor,
        symbolic: Tensor,
        audio: Tensor,
        audio_mask: Tensor,
        lyrics: Tensor,
        lyrics_mask: Tensor,
    ) -> Tensor:
        """Shapes as in the module docstring -> ``[B, 384]`` L2-normalised embeddings."""
        if self.training and self.config.modality_dropout > 0:
            keep_p = 1.0 - self.config.modality_dropout
            audio_mask = audio_mask * torch.bernoulli(torch.full_like(audio_mask, keep_p))
            lyrics_mask = lyrics_mask * torch.bernoulli(torch.full_like(lyrics_mask, keep_p))
        h = self.trunk(roll, symbolic)
        return self.head(h + self.audio(audio, audio_mask) + self.lyrics(lyrics, lyrics_mask))

    def trunk(self, roll: Tensor, symbolic: Tensor) -> Tensor:
        """The MIDI part of the hidden state ``[B, hidden]``, before the optional branches."""
        sym_mean: Tensor = self.sym_mean
        sym_std: Tensor = self.sym_std
        sym = self.symbolic((symbolic - sym_mean) / sym_std)
        out: Tensor = self.fuse(torch.cat([self.roll(roll), sym], dim=1))
        return out

    def head(self, h: Tensor) -> Tensor:
        """The hidden state (trunk plus branches) -> ``[B, 384]`` unit embeddings."""
        return F.normalize(self.out(h), dim=-1)


class PairConfidence(nn.Module):
    """P(this clip and this text belong together), from symmetric pair features
    ``[z * t, |z - t|]`` of unit vectors ``z`` (music) and ``t`` (text)."""

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2 * config.text_dim, config.hidden), nn.GELU(), nn.Linear(config.hidden, 1)
        )

    def forward(self, z: Tensor, t: Tensor) -> Tensor:
        """``z [B, D]``, ``t [B, D]`` -> logits ``[B]``."""
        return self.net(torch.cat([z * t, (z - t).abs()], dim=-1)).squeeze(-1)


class ContrastiveScorer(nn.Module):
    """What training optimises: the MIDI encoder, a learned logit scale and the confidence."""

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = MidiEncoder(config)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / config.init_temperature)))
        self.confidence = PairConfidence(config)

    def scale(self) -> Tensor:
        """The InfoNCE logit scale (1 / temperature), clamped to ``max_logit_scale``."""
        return self.logit_scale.exp().clamp(max=self.config.max_logit_scale)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


_META_KEY = "__meta__"


def save_state(path: Path, module: nn.Module, meta: dict[str, Any]) -> Path:
    """Write ``module``'s state dict and a JSON ``meta`` to one ``.npz`` (no pickle, so it
    loads safely and ships as package data). The write is atomic."""
    path = Path(path)
    arrays = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    if _META_KEY in arrays:
        raise ValueError(f"state dict key {_META_KEY!r} is reserved")
    arrays[_META_KEY] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        np.savez(fh, **arrays)
    return path


def load_state(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Read what :func:`save_state` wrote: ``(state_dict, meta)``.

    Raises ModelFileError naming the file when it is missing or not a checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: checkpoint not found -- train the scorer first")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.array(data[k]) for k in data.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a readable .npz checkpoint ({exc})") from exc
    if _META_KEY not in arrays:
        raise ModelFileError(f"{path}: no {_META_KEY} entry -- not a scorer checkpoint")
    meta = json.loads(arrays.pop(_META_KEY).tobytes().decode("utf-8"))
    return {k: torch.from_numpy(v) for k, v in arrays.items()}, meta


def load_contrastive(path: Path) -> tuple[ContrastiveScorer, dict[str, Any]]:
    """A :class:`ContrastiveScorer` (in eval mode) and its meta from a training checkpoint."""
    state, meta = load_state(path)
    if "config" not in meta:
        raise ModelFileError(f"{path}: checkpoint meta has no 'config'")
    model = ContrastiveScorer(ScorerConfig.from_dict(meta["config"]))
    model.load_state_dict(state)
    model.eval()
    return model, meta


__all__ = [
    "EMBED_DIM",
    "ContrastiveScorer",
    "MidiEncoder",
    "PairConfidence",
    "RollEncoder",
    "ScorerConfig",
    "count_parameters",
    "load_contrastive",
    "load_state",
    "save_state",
    "widen_roll_state",
    "with_own_channel",
]
