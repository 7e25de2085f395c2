"""Autoregressive decoding of drum tokens on onnxruntime: grammar-masked sampling, with a
key/value cache (the step graph) or, without one, the whole context window per token.

Every token is drawn from the grammar's allowed set (:func:`generators.drums.tokens.allowed_next`,
never ``EOS``), so a finished row always decodes to a valid pattern. A row's context is its
header plus its latest whole bars; when the cache is full the row keeps the header and the bars
that fit in two thirds of the window and its cache is rebuilt from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from generators.drums.tokens import BAR, EOS, PAD, POS0, allowed_next, decode_hit, is_hit, is_pos
from inference.onnx import OnnxModel


@dataclass
class Row:
    """The decoding state of one sequence (mutable, private to a decode call)."""

    tokens: list[int]
    header_len: int
    bars_wanted: int
    new: list[int] = field(default_factory=list)
    bars: int = 0
    pos: int | None = None
    classes: set[int] = field(default_factory=set)
    done: bool = False

    def start(self) -> None:
        """Open the first new bar (a prompt always ends where a bar ends)."""
        self.tokens.append(BAR)
        self.new.append(BAR)
        self.bars = 1

    def choose(
        self, logits: NDArray[np.float32], spb: int, rng: np.random.Generator, temperature: float
    ) -> int | None:
        """Sample the next token from ``logits`` [vocab] under the grammar and append it;
        None (and ``done``) when the row would open a bar past the ones wanted."""
        allowed = [
            t
            for t in allowed_next(self.tokens[-1], self.pos, frozenset(self.classes), spb)
            if t != EOS
        ] or [BAR]
        z = logits[allowed].astype(np.float64) / temperature
        p = np.exp(z - z.max())
        cdf = np.cumsum(p / p.sum())
        tok = allowed[min(int(np.searchsorted(cdf, rng.random())), len(allowed) - 1)]
        if tok == BAR:
            if self.bars >= self.bars_wanted:
                self.done = True
                return None
            self.bars += 1
            self.pos = None
            self.classes = set()
        elif is_pos(tok):
            self.pos = tok - POS0
            self.classes = set()
        elif is_hit(tok):
            self.classes.add(decode_hit(tok).cls)
        self.tokens.append(tok)
        self.new.append(tok)
        return tok

    def window(self, limit: int) -> list[int]:
        """The header and the latest whole bars within ``limit`` tokens (the current bar is cut
        from the front when it alone does not fit)."""
        toks = self.tokens
        if len(toks) <= limit:
            return list(toks)
        head = toks[: self.header_len]
        body = toks[self.header_len :]
        cut = len(body) - (limit - len(head))
        starts = [j for j, t in enumerate(body) if t == BAR and j >= cut]
        return head + (body[starts[0] :] if starts else body[cut:])


def _check(temperature: float) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature: {temperature!r} -- a positive sampling temperature")


def decode_window(
    model: OnnxModel,
    rows: list[Row],
    context: int,
    spb: int,
    rng: np.random.Generator,
    temperature: float,
) -> None:
    """Decode with the window graph: every token runs the whole context (no cache)."""
    _check(temperature)
    for r in rows:
        r.start()
    active = list(range(len(rows)))
    while active:
        ids = np.full((len(active), context), PAD, dtype=np.int64)
        last = np.zeros(len(active), dtype=np.int64)
        for i, b in enumerate(active):
            w = rows[b].window(context)
            ids[i, : len(w)] = w
            last[i] = len(w) - 1
        logits = model.run({"input_ids": ids})["logits"][np.arange(len(active)), last]
        active = [
            b
            for i, b in enumerate(active)
            if rows[b].choose(logits[i], spb, rng, temperature) is not None
        ]


def _prefill(
    step: OnnxModel, windows: list[list[int]], shape: tuple[int, int, int, int, int]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Caches ``[L, len(windows), H, T, dh]`` holding every window token but its last."""
    layers, _, heads, t, dh = shape
    k = np.zeros((layers, len(windows), heads, t, dh), dtype=np.float32)
    v = np.zeros_like(k)
    longest = max(len(w) for w in windows)
    for p in range(longest - 1):
        ids = np.array([w[p] if p < len(w) - 1 else PAD for w in windows], dtype=np.int64)
        out = step.run(
            {
                "ids": ids,
                "pos": np.full(len(windows), p, dtype=np.int64),
                "k_cache": k,
                "v_cache": v,
            }
        )
        k[:, :, :, p] = out["k_new"]
        v[:, :, :, p] = out["v_new"]
    return k, v


def decode_cached(
    step: OnnxModel,
    rows: list[Row],
    shape: tuple[int, int, int, int, int],
    spb: int,
    rng: np.random.Generator,
    temperature: float,
) -> None:
    """Decode with the step graph and a key/value cache of ``shape`` = (layers, batch, heads,
    context, head_dim): one cheap call per token for the whole batch."""
    _check(temperature)
    t = shape[3]
    keep = max(t * 2 // 3, 1)
    for r in rows:
        r.start()
    windows = [r.window(t) for r in rows]
    k, v = _prefill(step, windows, shape)
    batch = np.arange(len(rows))
    while not all(r.done for r in rows):
        ids = np.array([w[-1] for w in windows], dtype=np.int64)
        pos = np.array([len(w) - 1 for w in windows], dtype=np.int64)
        out = step.run({"ids": ids, "pos": pos, "k_cache": k, "v_cache": v})
        k[:, batch, :, pos] = out["k_new"].transpose(1, 0, 2, 3)
        v[:, batch, :, pos] = out["v_new"].transpose(1, 0, 2, 3)
        refill = []
        for b, r in enumerate(rows):
            if r.done:
                continue
            tok = r.choose(out["logits"][b], spb, rng, temperature)
            if tok is None:
                continue
            windows[b].append(tok)
            if len(windows[b]) > t:
                windows[b] = r.window(keep)
                refill.append(b)
        if refill:
            kk, vv = _prefill(step, [windows[b] for b in refill], shape)
            k[:, refill] = kk
            v[:, refill] = vv
