"""Export the timbre decoder to ONNX: ``f0_hz [batch, frames]`` and ``loudness_db [batch,
frames]`` (float32, both axes dynamic) -> ``harmonics [batch, frames, H]`` and ``noise
[batch, frames, N]``, plus a sidecar JSON (model kind, format version, config, input/output
names, the velocity curve of :mod:`render.ddsp`, metrics) and a torch vs onnxruntime parity
check (max abs difference <= 1e-4, on random controls of two lengths)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from inference.onnx import OnnxModel
from music.files import write_text_atomic
from render.ddsp import INPUTS, MODEL_KIND, OUTPUTS, Loudness
from training.onnx_export import export_traced
from training.timbre.model import TimbreDecoder

FORMAT_VERSION: Final = 1
PARITY_TOLERANCE: Final = 1e-4


class ExportParityError(RuntimeError):
    """onnxruntime and torch disagree beyond :data:`PARITY_TOLERANCE`."""


def _controls(rng: np.random.Generator, frames: int) -> tuple[np.ndarray, np.ndarray]:
    f0 = 440.0 * 2.0 ** (rng.uniform(-24, 24, size=(1, frames)) / 12.0)
    loud = rng.uniform(-90, -10, size=(1, frames))
    return f0.astype(np.float32), loud.astype(np.float32)


@torch.no_grad()
def check_parity(model: TimbreDecoder, path: Path, *, seed: int = 0) -> float:
    """Max abs difference of both outputs between torch and onnxruntime on random controls
    (50 and 400 frames). Raises ExportParityError above :data:`PARITY_TOLERANCE`."""
    model.eval()
    rng = np.random.default_rng(seed)
    onnx = OnnxModel.load(path)
    worst = 0.0
    for frames in (50, 400):
        f0, loud = _controls(rng, frames)
        ref = model(torch.from_numpy(f0), torch.from_numpy(loud))
        got = onnx.run({INPUTS[0]: f0, INPUTS[1]: loud})
        for name, r in zip(OUTPUTS, ref, strict=True):
            worst = max(worst, float(np.max(np.abs(r.numpy() - got[name]))))
    if worst > PARITY_TOLERANCE:
        raise ExportParityError(
            f"{path}: onnxruntime differs from torch by {worst:.2e} (> {PARITY_TOLERANCE})"
        )
    return worst


def export_onnx(
    model: TimbreDecoder,
    out: Path,
    *,
    loudness: Loudness,
    metrics: dict[str, Any] | None = None,
) -> tuple[Path, float]:
    """Write ``out`` (.onnx) and ``out`` with .json; returns the path and the parity figure.
    Raises ExportParityError above 1e-4."""
    model.eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    example = (torch.full((1, 8), 440.0), torch.full((1, 8), -30.0))
    axes = {0: "batch", 1: "frames"}
    export_traced(
        model,
        example,
        out,
        inputs=INPUTS,
        outputs=OUTPUTS,
        dynamic_axes={name: axes for name in (*INPUTS, *OUTPUTS)},
    )
    parity = check_parity(model, out)
    cfg = model.cfg
    sidecar = {
        "model": MODEL_KIND,
        "format_version": FORMAT_VERSION,
        "config": cfg.to_dict(),
        "inputs": {INPUTS[0]: ["batch", "frames"], INPUTS[1]: ["batch", "frames"]},
        "outputs": {
            OUTPUTS[0]: ["batch", "frames", cfg.harmonics],
            OUTPUTS[1]: ["batch", "frames", cfg.noise_bands],
        },
        "loudness": {
            "quiet_db": loudness.quiet_db,
            "loud_db": loudness.loud_db,
            "floor_db": loudness.floor_db,
        },
        "n_params": model.n_params(),
        "parity_max_abs": parity,
        "metrics": metrics or {},
    }
    write_text_atomic(out.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
    return out, parity
