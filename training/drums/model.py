"""A small decoder-only transformer over drum tokens (pre-norm blocks of
:mod:`training.attention`, learned positions, tied input/output embeddings)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from generators.drums.tokens import VOCAB
from training.attention import Block, cache_mask, check_size, init_weights


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
        check_size(
            "DrumTransformerConfig",
            {
                n: getattr(self, n)
                for n in ("vocab_size", "context", "n_layer", "n_head", "d_model", "d_ff")
            },
            n_head=self.n_head,
            d_model=self.d_model,
            dropout=self.dropout,
        )

    @classmethod
    def debug(cls) -> DrumTransformerConfig:
        """The test-sized model: 2 layers, width 16."""
        return cls(context=64, n_layer=2, n_head=2, d_model=16, d_ff=32, dropout=0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrumTransformerConfig:
        return cls(**data)


class DrumTransformer(nn.Module):
    """Token ids [B, T] (T <= context) -> next-token logits [B, T, vocab]."""

    def __init__(self, cfg: DrumTransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList(
            Block(n_head=cfg.n_head, d_model=cfg.d_model, d_ff=cfg.d_ff, dropout=cfg.dropout)
            for _ in range(cfg.n_layer)
        )
        self.ln = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        causal = torch.full((cfg.context, cfg.context), float("-inf")).triu(1)
        self.register_buffer("causal", causal, persistent=False)
        self.apply(init_weights)

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
        x = m.tok(ids) + m.pos(pos)  # [B, D]
        mask = cache_mask(pos, k_cache.shape[3], x.dtype)
        ks, vs = [], []
        for i, block in enumerate(m.blocks):
            assert isinstance(block, Block)
            x, k, v = block.step(x, k_cache[i], v_cache[i], mask)
            ks.append(k)
            vs.append(v)
        logits = m.ln(x) @ m.tok.weight.T
        return logits, torch.stack(ks), torch.stack(vs)
