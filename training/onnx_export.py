"""The TorchScript ONNX exporter as the recurrent models use it (the emotion model's LSTM, the
timbre decoder's GRU): written atomically, the tracer's warnings about the recurrent layer's
shape checks silenced (the dynamic axes stay dynamic), opset 17."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import torch

from music.files import atomic_path

OPSET: Final = 17


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
