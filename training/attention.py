"""What the decoder-only transformers share (the drum transformer, the mood melody
transformer): the pre-norm block, with attention written out (no fused kernels) so the ONNX
export is plain MatMul/Softmax and matches torch to 1e-5, and its one-token step against a
key/value cache of fixed length (what cached sampling runs); the size checks of their configs,
their weight initialisation and learning-rate schedule."""

from __future__ import annotations

import math
from typing import Protocol

import torch
from torch import nn


class Block(nn.Module):
    """Self-attention and a GELU feed-forward, each behind a LayerNorm and a residual."""

    def __init__(self, *, n_head: int, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.n_head = n_head
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` [B, T, D]; ``mask`` [T, T] additive (0 or -inf above the diagonal)."""
        b, t, d = x.shape
        h = self.n_head
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = q.view(b, t, h, d // h).transpose(1, 2)
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h)) + mask
        att = self.drop(torch.softmax(att, dim=-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.ff(self.ln2(x)))

    def step(
        self, x: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One token per row: ``x`` [B, D], the earlier tokens' keys and values ``k_cache`` /
        ``v_cache`` [B, H, T, D/H] and ``mask`` [B, 1, T] (0 for a filled slot, -inf else).
        Returns the block's output [B, D] and this token's key and value [B, H, D/H]."""
        b, d = x.shape
        h = self.n_head
        t = k_cache.shape[2]
        scale = 1.0 / math.sqrt(d // h)
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=1)
        q = q.view(b, h, d // h)
        k = k.view(b, h, d // h)
        v = v.view(b, h, d // h)
        past = (q.unsqueeze(2) @ k_cache.transpose(-2, -1)).squeeze(2) * scale + mask
        own = (q * k).sum(-1, keepdim=True) * scale  # [B, H, 1]
        att = torch.softmax(torch.cat([past, own], dim=-1), dim=-1)
        y = (att[..., :t].unsqueeze(2) @ v_cache).squeeze(2) + att[..., t:] * v
        x = x + self.proj(y.reshape(b, d))
        return x + self.ff(self.ln2(x)), k, v


def check_size(
    owner: str, values: dict[str, int], *, n_head: int, d_model: int, dropout: float
) -> None:
    """Raise ValueError naming ``owner``'s field unless every size in ``values`` is an integer
    >= 1, ``d_model`` divides by ``n_head`` and ``dropout`` is in [0, 1)."""
    for name, value in values.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{owner}.{name}: {value!r} -- an integer >= 1")
    if d_model % n_head:
        raise ValueError(f"{owner}.d_model: {d_model} -- divisible by n_head {n_head}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"{owner}.dropout: {dropout!r} -- in [0, 1)")


def init_weights(module: nn.Module) -> None:
    """GPT-2's initialisation: linear and embedding weights N(0, 0.02), biases 0."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)


class Schedule(Protocol):
    """The settings :func:`warmup_cosine` reads (a training config)."""

    @property
    def lr(self) -> float: ...
    @property
    def min_lr(self) -> float: ...
    @property
    def warmup(self) -> int: ...
    @property
    def steps(self) -> int: ...
    @property
    def max_minutes(self) -> float: ...


def warmup_cosine(step: int, elapsed: float, cfg: Schedule) -> float:
    """Linear warm-up over ``cfg.warmup`` steps, then cosine decay to ``cfg.min_lr`` over
    whichever runs out first: the steps or the time budget (``elapsed`` seconds of
    ``cfg.max_minutes``), so a run on a busy machine still anneals before it is stopped."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    by_steps = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    progress = min(1.0, max(by_steps, elapsed / (cfg.max_minutes * 60.0)))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * progress))


def cache_mask(pos: torch.Tensor, slots: int, dtype: torch.dtype) -> torch.Tensor:
    """``[B, 1, slots]`` additive mask: 0 for the cache slots before each row's ``pos`` [B]."""
    index = torch.arange(slots, device=pos.device).unsqueeze(0)  # [1, T]
    zero = torch.zeros((), dtype=dtype)
    minus_inf = torch.full((), float("-inf"), dtype=dtype)
    return torch.where(index < pos.unsqueeze(1), zero, minus_inf).unsqueeze(1)
