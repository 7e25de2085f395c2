"""The mood melody transformer: a small decoder-only compound-word transformer
(:mod:`generators.melody.compound`). Each position's six fields are embedded and summed with a
learned position; pre-norm blocks (:mod:`training.attention`); one linear head per field,
their logits concatenated (``[..., sum(SIZES)]``, field ``f`` at ``OFFSETS[f]``) so the ONNX
graphs have one output. The fields of the next note are predicted side by side from the same
hidden state; the sampler draws them in order under the grammar
(:mod:`generators.melody.mood_transformer`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from generators.melody.compound import SIZES
from training.attention import Block, cache_mask, check_size, init_weights


@dataclass(frozen=True, slots=True)
class MoodTransformerConfig:
    """Model size. ``context`` is the fixed window (positions, condition tokens included)."""

    context: int = 96
    n_layer: int = 3
    n_head: int = 4
    d_model: int = 96
    d_ff: int = 192
    dropout: float = 0.25

    def __post_init__(self) -> None:
        check_size(
            "MoodTransformerConfig",
            {n: getattr(self, n) for n in ("context", "n_layer", "n_head", "d_model", "d_ff")},
            n_head=self.n_head,
            d_model=self.d_model,
            dropout=self.dropout,
        )

    @classmethod
    def debug(cls) -> MoodTransformerConfig:
        """The test-sized model: 2 layers, width 16."""
        return cls(context=48, n_layer=2, n_head=2, d_model=16, d_ff=32, dropout=0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MoodTransformerConfig:
        return cls(**data)


class MoodTransformer(nn.Module):
    """Compound tokens [B, T, 6] (T <= context) -> next-position logits [B, T, sum(SIZES)]."""

    def __init__(self, cfg: MoodTransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.fields = nn.ModuleList(nn.Embedding(n, cfg.d_model) for n in SIZES)
        self.pos = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList(
            Block(n_head=cfg.n_head, d_model=cfg.d_model, d_ff=cfg.d_ff, dropout=cfg.dropout)
            for _ in range(cfg.n_layer)
        )
        self.ln = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, sum(SIZES))
        self.drop = nn.Dropout(cfg.dropout)
        causal = torch.full((cfg.context, cfg.context), float("-inf")).triu(1)
        self.register_buffer("causal", causal, persistent=False)
        self.apply(init_weights)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens`` [..., 6] -> the summed field embeddings [..., D]."""
        x = self.fields[0](tokens[..., 0])
        for f in range(1, len(SIZES)):
            x = x + self.fields[f](tokens[..., f])
        return x

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        pos = torch.arange(t, device=tokens.device)
        x = self.drop(self.embed(tokens) + self.pos(pos))
        causal: torch.Tensor = self.causal  # type: ignore[assignment]
        mask = causal[:t, :t]
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln(x))

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class MoodTransformerStep(nn.Module):
    """One decoding step with a key/value cache of fixed length ``context`` (the wrapped
    model's weights).

    Inputs: ``tokens`` [B, 6] (int64, the compound token at position ``pos``), ``pos`` [B]
    (int64), ``k_cache``/``v_cache`` [L, B, H, context, D/H] (float32; slots ``< pos`` hold
    the earlier tokens' keys and values). Outputs: ``logits`` [B, sum(SIZES)] and this
    token's ``k_new``/``v_new`` [L, B, H, D/H], which the caller writes into slot ``pos``."""

    def __init__(self, model: MoodTransformer) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        tokens: torch.Tensor,
        pos: torch.Tensor,
        k_cache: torch.Tensor,
        v_cache: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        m = self.model
        x = m.embed(tokens) + m.pos(pos)  # [B, D]
        mask = cache_mask(pos, k_cache.shape[3], x.dtype)
        ks, vs = [], []
        for i, block in enumerate(m.blocks):
            assert isinstance(block, Block)
            x, k, v = block.step(x, k_cache[i], v_cache[i], mask)
            ks.append(k)
            vs.append(v)
        return m.head(m.ln(x)), torch.stack(ks), torch.stack(vs)
