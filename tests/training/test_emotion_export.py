"""The emotion model's exports: RTNeural's model JSON read back by an independent numpy reader
of that format (written here from RTNeural's parser's rules) and the ONNX model on
onnxruntime, both matching torch window by window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli.app import app
from inference.onnx import OnnxModel
from training.emotion.export import export_onnx, export_rtneural, torch_outputs
from training.emotion.model import EmotionNet
from training.emotion.train import save_weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class RTNeuralReader:
    """A sequential model as RTNeural's ``parseJson`` builds it: input size from the last entry
    of ``in_shape``; per layer, ``type`` and the output size from the last entry of ``shape``;
    dense weights ``[kernel [in][out], bias]`` then the layer's ``activation``; LSTM weights
    ``[kernel [in][4u], recurrent [u][4u], bias [4u]]``, gates input, forget, cell, output,
    state kept between calls."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.in_size = int(doc["in_shape"][-1])
        self.layers: list[tuple[str, Any]] = []
        size = self.in_size
        for layer in doc["layers"]:
            out = int(layer["shape"][-1])
            w = layer["weights"]
            if layer["type"] == "dense":
                kernel, bias = np.asarray(w[0], np.float64), np.asarray(w[1], np.float64)
                assert kernel.shape == (size, out) and bias.shape == (out,)
                self.layers.append(("dense", (kernel, bias)))
                if layer.get("activation"):
                    assert layer["activation"] in ("tanh", "relu", "sigmoid")
                    self.layers.append(("act", layer["activation"]))
            elif layer["type"] == "lstm":
                k, r, b = (np.asarray(x, np.float64) for x in w)
                assert k.shape == (size, 4 * out) and r.shape == (out, 4 * out)
                assert b.shape == (4 * out,)
                self.layers.append(("lstm", (k, r, b, out)))
            else:
                raise AssertionError(f"unexpected layer type {layer['type']}")
            size = out
        self.state: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.asarray(x, np.float64)
        for i, (kind, p) in enumerate(self.layers):
            if kind == "dense":
                y = y @ p[0] + p[1]
            elif kind == "act":
                y = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda v: np.maximum(v, 0)}[p](y)
            else:
                k, r, b, u = p
                h, c = self.state.get(i, (np.zeros(u), np.zeros(u)))
                z = y @ k + h @ r + b
                gi, gf, gc, go = z[:u], z[u : 2 * u], z[2 * u : 3 * u], z[3 * u :]
                c = _sigmoid(gf) * c + _sigmoid(gi) * np.tanh(gc)
                h = _sigmoid(go) * np.tanh(c)
                self.state[i] = (h, c)
                y = h
        return y


@pytest.fixture
def model() -> EmotionNet:
    torch.manual_seed(3)
    net = EmotionNet()
    with torch.no_grad():
        net.mean.copy_(torch.randn(128))
        net.std.copy_(torch.rand(128) + 0.5)
        for p in net.parameters():
            p.mul_(2.0)  # saturate more units than the default init does
    return net.eval()


def test_rtneural_json_read_back_matches_torch(model: EmotionNet, tmp_path: Path) -> None:
    path = export_rtneural(model, tmp_path / "emotion.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [(la["type"], la["activation"], la["shape"][-1]) for la in doc["layers"]] == [
        ("dense", "tanh", 256),
        ("lstm", "", 128),
        ("dense", "tanh", 64),
        ("dense", "tanh", 2),
    ]
    features = np.random.default_rng(0).normal(size=(12, 128)).astype(np.float32) * 3
    want, _ = torch_outputs(model, features)
    reader = RTNeuralReader(doc)
    got = np.stack([reader.forward(row) for row in features])
    assert np.max(np.abs(got - want)) <= 1e-5
    # The recurrent state matters: a fresh reader on the last window alone differs.
    alone = RTNeuralReader(doc).forward(features[-1])
    assert np.max(np.abs(alone - want[-1])) > 1e-3


def test_onnx_matches_torch(model: EmotionNet, tmp_path: Path) -> None:
    onnx = OnnxModel.load(export_onnx(model, tmp_path / "emotion.onnx"))
    features = np.random.default_rng(1).normal(size=(2, 9, 128)).astype(np.float32)
    out = onnx.run({"features": features})
    for b in range(2):
        want, emb = torch_outputs(model, features[b])
        assert np.max(np.abs(out["valence_arousal"][b] - want)) <= 1e-5
        assert np.max(np.abs(out["embedding"][b] - emb)) <= 1e-5


def test_cli_export_writes_both(model: EmotionNet, tmp_path: Path) -> None:
    save_weights(model, tmp_path / "m" / "emotion.npz")
    res = CliRunner().invoke(
        app,
        [
            "export", "emotion", "--model", str(tmp_path / "m"),
            "--rtneural", str(tmp_path / "e.json"), "--onnx", str(tmp_path / "e.onnx"),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert doc["in_shape"][-1] == 128 and (tmp_path / "e.onnx").stat().st_size > 100_000
    bad = CliRunner().invoke(app, ["export", "emotion", "--model", str(tmp_path)])
    assert bad.exit_code == 2


def test_shipped_model_exports_within_tolerance(tmp_path: Path) -> None:
    from training.emotion.run import PACKAGE_DATA, WEIGHTS, read_meta
    from training.emotion.train import load_weights

    shipped = load_weights(PACKAGE_DATA / WEIGHTS)
    assert read_meta(PACKAGE_DATA)["held_out"]["clips"] > 0
    doc = json.loads(export_rtneural(shipped, tmp_path / "e.json").read_text(encoding="utf-8"))
    features = np.random.default_rng(2).normal(size=(6, 128)).astype(np.float32)
    want, _ = torch_outputs(shipped, features)
    reader = RTNeuralReader(doc)
    got = np.stack([reader.forward(row) for row in features])
    assert np.max(np.abs(got - want)) <= 1e-5
