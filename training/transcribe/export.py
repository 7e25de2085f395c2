"""Export a transcription model to ONNX: ``features [batch, time, n_mels]`` (float32, batch
and time dynamic) -> ``onset``, ``frame`` ``[batch, time, P]`` probabilities; plus a sidecar
JSON (format version, stem, kind, pitch range, decoding thresholds, context, features, config,
input/output names, data and metrics) and a torch-vs-onnxruntime parity check (max abs
difference <= 1e-4 on random features of two lengths and batch sizes).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from inference.onnx import OnnxModel
from music.files import write_text_atomic
from render.transcription.features import FEATURE_SPEC
from render.transcription.taxonomy import BY_NAME
from render.transcription.transcriber import INPUT_NAME, OUTPUT_NAMES
from training.onnx_export import export_traced
from training.transcribe.model import Probabilities, Transcriber

logger = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
PARITY_TOLERANCE: Final = 1e-4


class ExportParityError(RuntimeError):
    """onnxruntime and torch disagree beyond :data:`PARITY_TOLERANCE`."""


@torch.no_grad()
def check_parity(model: Transcriber, path: Path, *, seed: int = 0) -> float:
    """Max abs probability difference between torch and onnxruntime. Raises
    ExportParityError above :data:`PARITY_TOLERANCE`."""
    rng = np.random.default_rng(seed)
    onnx = OnnxModel.load(path)
    wrapped = Probabilities(model).eval()
    worst = 0.0
    for batch, frames in ((1, 300), (2, 57)):
        x = rng.normal(-3.0, 1.5, size=(batch, frames, model.cfg.n_mels)).astype(np.float32)
        ref = [t.numpy() for t in wrapped(torch.from_numpy(x))]
        got = onnx.run({INPUT_NAME: x})
        for name, r in zip(OUTPUT_NAMES, ref, strict=True):
            worst = max(worst, float(np.max(np.abs(got[name] - r))))
    if worst > PARITY_TOLERANCE:
        raise ExportParityError(
            f"{path}: onnxruntime differs from torch by {worst:.2e} (> {PARITY_TOLERANCE})"
        )
    return worst


def export_onnx(
    model: Transcriber,
    out: Path,
    *,
    stem: str,
    onset_threshold: float,
    frame_threshold: float,
    frame_starts: bool = False,
    min_frames: int = 2,
    data: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> tuple[Path, float]:
    """Write ``out`` (.onnx) and its sidecar (``out`` with .json); returns the path and the
    parity figure."""
    model.eval()
    spec = BY_NAME[stem]
    out.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros((1, 64, model.cfg.n_mels))
    export_traced(
        Probabilities(model).eval(),
        (example,),
        out,
        inputs=(INPUT_NAME,),
        outputs=OUTPUT_NAMES,
        dynamic_axes={
            INPUT_NAME: {0: "batch", 1: "time"},
            **{name: {0: "batch", 1: "time"} for name in OUTPUT_NAMES},
        },
    )
    parity = check_parity(model, out)
    sidecar = {
        "format_version": FORMAT_VERSION,
        "model": "stem_transcriber",
        "stem": stem,
        "role": str(spec.role),
        "kind": "drums" if spec.is_drum else "pitched",
        "low": spec.low,
        "high": spec.high,
        "n_outputs": model.cfg.n_outputs,
        "receptive_frames": model.cfg.receptive_frames,
        "onset_threshold": onset_threshold,
        "frame_threshold": frame_threshold,
        "frame_starts": frame_starts,
        "min_frames": min_frames,
        "features": dict(FEATURE_SPEC),
        "config": model.cfg.to_dict(),
        "inputs": {INPUT_NAME: ["batch", "time", model.cfg.n_mels]},
        "outputs": {name: ["batch", "time", model.cfg.n_outputs] for name in OUTPUT_NAMES},
        "n_params": model.n_params(),
        "parity_max_abs": parity,
        "data": data or {},
        "metrics": metrics or {},
    }
    write_text_atomic(out.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
    logger.info("exported %s (%d params, parity %.2e)", out, model.n_params(), parity)
    return out, parity
