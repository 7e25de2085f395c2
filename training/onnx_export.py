"""The two ONNX exporters as the models use them, both writing atomically: the TorchScript
tracer for the recurrent models (the emotion model's LSTM, the timbre decoder's GRU; its
warnings about the recurrent layer's shape checks silenced, the dynamic axes stay dynamic,
opset 17) and the dynamo exporter for the transformers (the drum and mood melody transformers'
window and step graphs)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import torch

from music.files import atomic_path

OPSET: Final = 17
#: Largest torch vs onnxruntime difference an export accepts.
PARITY_TOLERANCE: Final = 1e-4


class ExportParityError(RuntimeError):
    """onnxruntime and torch disagree beyond :data:`PARITY_TOLERANCE`."""


def check_tolerance(path: Path, worst: float) -> float:
    """``worst`` (max abs difference of ``path``'s outputs from torch's); raises
    ExportParityError above :data:`PARITY_TOLERANCE`."""
    if worst > PARITY_TOLERANCE:
        raise ExportParityError(
            f"{path}: onnxruntime differs from torch by {worst:.2e} (> {PARITY_TOLERANCE})"
        )
    return worst


def step_path(out: Path) -> Path:
    """A window graph's step graph: ``.../model.onnx`` -> ``.../model_step.onnx``."""
    return out.with_name(f"{out.stem}_step.onnx")


def export_traced(
    module: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    out: Path,
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    dynamic_axes: Mapping[str, Mapping[int, str]],
) -> Path:
    """Trace ``module`` on ``example`` and write its ONNX graph to ``out`` atomically."""
    with atomic_path(out) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            example,
            str(tmp),
            dynamo=False,
            input_names=list(inputs),
            output_names=list(outputs),
            dynamic_axes={k: dict(v) for k, v in dynamic_axes.items()},
            opset_version=OPSET,
        )
    return out


def export_dynamo(
    module: torch.nn.Module,
    example: tuple[torch.Tensor, ...],
    out: Path,
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    shapes: Mapping[str, Mapping[int, Any]],
) -> Path:
    """Export ``module`` with the dynamo exporter (``shapes``: the forward arguments' dynamic
    dimensions, by argument name) to ``out`` atomically, one file, optimised."""
    for noisy in ("onnxscript", "onnx_ir", "torch.onnx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with atomic_path(out) as tmp:
        torch.onnx.export(
            module,
            example,
            str(tmp),
            input_names=list(inputs),
            output_names=list(outputs),
            dynamic_shapes={k: dict(v) for k, v in shapes.items()},
            dynamo=True,
            external_data=False,
            optimize=True,
            verbose=False,
        )
    return out
