"""A small decoder-only transformer over drum tokens (pre-norm blocks, learned positions, tied
input/output embeddings). Attention is written out (no fused kernels) so the ONNX export is
plain MatMul/Softmax and matches torch to 1e-5."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from generators.drums.tokens import VOCAB


@dataclass(frozen=True, slots=True)
class DrumTransformerConfig:
    """Model size. ``context`` is the fixed window (tokens) the ONNX model takes."""

    vocab_size: int = len(VOCAB)
    context: int = 128
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 128
    d_ff: int = 384
    dropout: float = 0.1

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context", "n_layer", "n_head", "d_model", "d_ff"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"DrumTransformerConfig.{name}: {value!r} -- an integer >= 1")
        if self.d_model % self.n_head:
            raise ValueError(
                f"DrumTransformerConfig.d_model: {self.d_model} -- divisible by n_head "
                f"{self.n_head}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"DrumTransformerConfig.dropout: {self.dropout!r} -- in [0, 1)")

    @classmethod
    def debug(cls) -> DrumTransformerConfig:
        """The test-sized model: 2 layers, width 16."""
        return cls(context=64, n_layer=2, n_head=2, d_model=16, d_ff=32, dropout=0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrumTransformerConfig:
        return cls(**data)


class _Block(nn.Module):
    def __init__(self, cfg: DrumTransformerConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.ff = nn.Sequential(
            nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model)
        )
        self.drop = nn.Dropout(cfg.dropout)

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


class DrumTransformer(nn.Module):
    """Token ids [B, T] (T <= context) -> next-token logits [B, T, vocab]."""

    def __init__(self, cfg: DrumTransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layer))
        self.ln = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        causal = torch.full((cfg.context, cfg.context), float("-inf")).triu(1)
        self.register_buffer("causal", causal, persistent=False)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        t = ids.shape[1]
        pos = torch.arange(t, device=ids.device)
        x = self.drop(self.tok(ids) + self.pos(pos))
        causal: torch.Tensor = self.causal  # type: ignore[assignment]
        mask = causal[:t, :t]
        for block in self.blocks:
            x = block(x, mask)
        return self.ln(x) @ self.tok.weight.T

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class DrumTransformerStep(nn.Module):
    """One decoding step with a key/value cache of fixed length ``context`` (for fast sampling;
    the weights are the wrapped model's).

    Inputs: ``ids`` [B] (int64, the token at position ``pos``), ``pos`` [B] (int64, 0 ..
    context-1), ``k_cache``/``v_cache`` [L, B, H, context, D/H] (float32; slots ``< pos`` hold
    the earlier tokens' keys and values, the rest are ignored). Outputs: next-token ``logits``
    [B, vocab] and this token's keys and values ``k_new``/``v_new`` [L, B, H, D/H], which the
    caller writes into slot ``pos``."""

    def __init__(self, model: DrumTransformer) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, ids: torch.Tensor, pos: torch.Tensor, k_cache: torch.Tensor, v_cache: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        m = self.model
        b = ids.shape[0]
        d = m.cfg.d_model
        h = m.cfg.n_head
        t = k_cache.shape[3]
        scale = 1.0 / math.sqrt(d // h)
        x = m.tok(ids) + m.pos(pos)  # [B, D]
        slots = torch.arange(t, device=ids.device).unsqueeze(0)  # [1, T]
        zero = torch.zeros((), dtype=x.dtype)
        minus_inf = torch.full((), float("-inf"), dtype=x.dtype)
        mask = torch.where(slots < pos.unsqueeze(1), zero, minus_inf).unsqueeze(1)  # [B, 1, T]
        ks, vs = [], []
        for i, block in enumerate(m.blocks):
            assert isinstance(block, _Block)
            q, k, v = block.qkv(block.ln1(x)).split(d, dim=1)
            q = q.view(b, h, d // h)
            k = k.view(b, h, d // h)
            v = v.view(b, h, d // h)
            past = (q.unsqueeze(2) @ k_cache[i].transpose(-2, -1)).squeeze(2) * scale + mask
            own = (q * k).sum(-1, keepdim=True) * scale  # [B, H, 1]
            att = torch.softmax(torch.cat([past, own], dim=-1), dim=-1)
            y = (att[..., :t].unsqueeze(2) @ v_cache[i]).squeeze(2) + att[..., t:] * v
            x = x + block.proj(y.reshape(b, d))
            x = x + block.ff(block.ln2(x))
            ks.append(k)
            vs.append(v)
        logits = m.ln(x) @ m.tok.weight.T
        return logits, torch.stack(ks), torch.stack(vs)
