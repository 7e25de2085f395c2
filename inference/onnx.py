"""The one adapter that owns onnxruntime: every ONNX model in the program (the ChromaticScorer,
the drum transformer, the render-plan model) is loaded and run through :class:`OnnxModel`.
Nothing else imports onnxruntime."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from music.errors import ChromaticError

logger = logging.getLogger(__name__)


class ModelFileError(ChromaticError):
    """A model file or its sidecar is missing or unusable."""


@dataclass
class OnnxModel:
    """An onnxruntime session plus the sidecar JSON written at export.

    ``threads`` sets intra-op threads (0 lets onnxruntime choose). ``providers`` defaults to the
    CPU provider; pass ``("CUDAExecutionProvider", "CPUExecutionProvider")`` where a GPU and
    onnxruntime-gpu exist (the CUDA provider is used only when onnxruntime reports it)."""

    path: Path
    threads: int = 1
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    sidecar: dict[str, Any] = field(default_factory=dict)
    _session: Any = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        threads: int = 1,
        providers: tuple[str, ...] = ("CPUExecutionProvider",),
        sidecar_path: Path | None = None,
    ) -> OnnxModel:
        """Open ``path`` and its sidecar (``<path without .onnx>.json`` unless given).
        Raises ModelFileError naming the file when either is missing or broken."""
        import onnxruntime as ort

        if not path.is_file():
            raise ModelFileError(f"{path}: model file not found -- train or export it first")
        side = sidecar_path or path.with_suffix(".json")
        sidecar: dict[str, Any] = {}
        if side.is_file():
            try:
                sidecar = json.loads(side.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ModelFileError(f"{side}: sidecar is not valid JSON ({exc})") from exc
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        available = set(ort.get_available_providers())
        chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
        try:
            session = ort.InferenceSession(str(path), sess_options=opts, providers=chosen)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelFileError(f"{path}: onnxruntime cannot load it ({exc})") from exc
        return cls(
            path=path, threads=threads, providers=tuple(chosen), sidecar=sidecar, _session=session
        )

    _names: tuple[tuple[str, ...], tuple[str, ...]] | None = field(default=None, repr=False)

    @property
    def input_names(self) -> tuple[str, ...]:
        return self._io()[0]

    @property
    def output_names(self) -> tuple[str, ...]:
        return self._io()[1]

    def _io(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The graph's input and output names, read from the session once (a model is run
        for every token it samples)."""
        if self._names is None:
            self._names = (
                tuple(i.name for i in self._session.get_inputs()),
                tuple(o.name for o in self._session.get_outputs()),
            )
        return self._names

    def run(self, inputs: Mapping[str, NDArray[Any]]) -> dict[str, NDArray[np.float32]]:
        """Run the model; returns every output by name."""
        wanted, produced = self._io()
        missing = [k for k in wanted if k not in inputs]
        if missing:
            raise ValueError(f"{self.path}: missing inputs {sorted(missing)}")
        feed = {k: inputs[k] for k in wanted}
        outs = self._session.run(None, feed)
        return dict(zip(produced, outs, strict=True))
