"""The emotion model's exports: RTNeural's model JSON (for a C++ plugin) and ONNX (for the
Python runtime, :mod:`inference.onnx`). Both take raw features: the standardisation is folded
into the first Dense layer (:meth:`EmotionNet.folded_dense`).

RTNeural's JSON, as its parser (``RTNeural/model_loader.h``) reads it:

* ``in_shape``: ``[null, null, 128]`` (only the last entry is read: the input size);
* ``layers``: in order, each ``{"type", "activation", "shape", "weights"}``; ``shape``'s last
  entry is the layer's output size; a non-empty ``activation`` ("tanh") adds that activation
  after a ``dense`` layer;
* ``dense`` weights: ``[kernel [in][out], bias [out]]`` (the kernel is torch's weight
  transposed);
* ``lstm`` weights: ``[kernel [in][4*units], recurrent [units][4*units], bias [4*units]]``,
  gates in the order input, forget, cell candidate, output (torch's ``i, f, g, o`` order, so
  torch's ``weight_ih`` and ``weight_hh`` transposed), one bias: torch's ``bias_ih + bias_hh``.
  RTNeural's LSTM keeps its state between calls: one ``forward`` per window, in order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from torch import nn

from music.files import write_text_atomic
from scoring.emotion.features import N_FEATURES
from training.emotion.model import HIDDEN, LSTM_UNITS, EmotionNet
from training.onnx_export import export_traced

ONNX_INPUT: Final = "features"
ONNX_OUTPUTS: Final = ("valence_arousal", "embedding")


def _dense(name: str, w: torch.Tensor, b: torch.Tensor, activation: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "dense",
        "activation": activation,
        "shape": [None, None, int(w.shape[0])],
        "weights": [w.detach().numpy().T.tolist(), b.detach().numpy().tolist()],
    }


def rtneural_model(model: EmotionNet) -> dict[str, Any]:
    """The model as RTNeural's JSON document (a dict ready for ``json.dump``)."""
    w0, b0 = model.folded_dense()
    p = {k: v.detach().numpy() for k, v in model.lstm.named_parameters()}
    w_ih, w_hh = p["weight_ih_l0"], p["weight_hh_l0"]
    bias = p["bias_ih_l0"] + p["bias_hh_l0"]
    return {
        "in_shape": [None, None, N_FEATURES],
        "layers": [
            _dense("dense", w0, b0, "tanh"),
            {
                "name": "lstm",
                "type": "lstm",
                "activation": "",
                "shape": [None, None, LSTM_UNITS],
                "weights": [
                    w_ih.T.tolist(),
                    w_hh.T.tolist(),
                    bias.tolist(),
                ],
            },
            _dense("embedding", model.embed.weight, model.embed.bias, "tanh"),
            _dense("valence_arousal", model.heads.weight, model.heads.bias, "tanh"),
        ],
    }


def export_rtneural(model: EmotionNet, path: Path) -> Path:
    """Write :func:`rtneural_model` to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(rtneural_model(model)))


class _Folded(nn.Module):
    """The exported graph: raw features ``[batch, windows, 128]`` in; per-window valence and
    arousal ``[batch, windows, 2]`` and the 64-d embedding out."""

    def __init__(self, model: EmotionNet) -> None:
        super().__init__()
        w, b = model.folded_dense()
        self.dense = nn.Linear(N_FEATURES, HIDDEN)
        self.dense.weight.data.copy_(w)
        self.dense.bias.data.copy_(b)
        self.lstm = model.lstm
        self.embed = model.embed
        self.heads = model.heads

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, _ = self.lstm(torch.tanh(self.dense(x)))
        e = torch.tanh(self.embed(h))
        return torch.tanh(self.heads(e)), e


def export_onnx(model: EmotionNet, path: Path) -> Path:
    """Write the ONNX model (batch and window count dynamic) to ``path`` atomically."""
    axes = {0: "batch", 1: "windows"}
    return export_traced(
        _Folded(model).eval(),
        (torch.zeros(1, 3, N_FEATURES),),
        path,
        inputs=(ONNX_INPUT,),
        outputs=ONNX_OUTPUTS,
        dynamic_axes={name: axes for name in (ONNX_INPUT, *ONNX_OUTPUTS)},
    )


def torch_outputs(model: EmotionNet, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-window valence/arousal and embedding of ``[windows, 128]`` features, in torch."""
    model.eval()
    with torch.no_grad():
        x = torch.from_numpy(np.asarray(features, dtype=np.float32))[None]
        emb = model.embedding(x)
        out = torch.tanh(model.heads(emb))
    return out[0].numpy(), emb[0].numpy()
