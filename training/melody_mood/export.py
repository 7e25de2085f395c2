"""Export the mood melody transformer to ONNX, as two graphs with the same weights:

- ``<out>.onnx``: the fixed context window, ``tokens [batch, context, 6]`` (int64) ->
  ``logits [batch, context, sum(SIZES)]`` (float32);
- ``<out>_step.onnx``: one decoding step with a fixed-length key/value cache (what sampling
  runs): ``tokens [batch, 6]``, ``pos [batch]``, ``k_cache``/``v_cache [layers, batch, heads,
  context, head_dim]`` -> ``logits [batch, sum(SIZES)]``, ``k_new``/``v_new [layers, batch,
  heads, head_dim]``;

plus a sidecar JSON (config, vocabulary, version, input/output names, data summary, metrics)
and torch vs onnxruntime parity checks (max abs difference <= 1e-4).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from generators.melody.compound import FIELDS, KINDS, METERS, SIZES, VOCAB_VERSION
from inference.onnx import OnnxModel
from music.files import write_text_atomic
from training.melody_mood.model import MoodTransformer, MoodTransformerStep
from training.onnx_export import (
    check_tolerance,
    export_dynamo,
    step_path,
)

logger = logging.getLogger(__name__)

DEFAULT_OUT: Final = (
    Path(__file__).resolve().parents[2] / "generators" / "data" / "mood_melody.onnx"
)
FORMAT_VERSION: Final = 1
STEP_INPUTS: Final = ("tokens", "pos", "k_cache", "v_cache")
STEP_OUTPUTS: Final = ("logits", "k_new", "v_new")


def export_onnx(
    model: MoodTransformer,
    out: Path,
    *,
    data: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
) -> tuple[Path, float]:
    """Write ``out`` (.onnx), its step graph and ``out`` with .json; returns the path and the
    worse of the two parity figures. Raises ExportParityError above 1e-4."""
    model.eval()
    cfg = model.cfg
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    width = len(FIELDS)
    batch = torch.export.Dim("batch", min=1, max=4096)
    export_dynamo(
        model,
        (torch.zeros((2, cfg.context, width), dtype=torch.int64),),
        out,
        inputs=("tokens",),
        outputs=("logits",),
        shapes={"tokens": {0: batch}},
    )
    layers, heads, dh = cfg.n_layer, cfg.n_head, cfg.d_model // cfg.n_head
    # Two distinct example tensors: the exporter merges aliased inputs into one.
    k_cache = torch.zeros((layers, 2, heads, cfg.context, dh))
    v_cache = torch.zeros((layers, 2, heads, cfg.context, dh))
    step_batch = torch.export.Dim("batch", min=1, max=4096)
    export_dynamo(
        MoodTransformerStep(model).eval(),
        (
            torch.zeros((2, width), dtype=torch.int64),
            torch.zeros(2, dtype=torch.int64),
            k_cache,
            v_cache,
        ),
        step_path(out),
        inputs=STEP_INPUTS,
        outputs=STEP_OUTPUTS,
        shapes={
            "tokens": {0: step_batch},
            "pos": {0: step_batch},
            "k_cache": {1: step_batch},
            "v_cache": {1: step_batch},
        },
    )
    sidecar: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model": "mood_melody_transformer",
        "vocab_version": VOCAB_VERSION,
        "fields": list(FIELDS),
        "sizes": list(SIZES),
        "kinds": list(KINDS),
        "meters": list(METERS),
        "config": cfg.to_dict(),
        "inputs": {"tokens": ["batch", cfg.context, width]},
        "outputs": {"logits": ["batch", cfg.context, sum(SIZES)]},
        "step_model": step_path(out).name,
        "step_inputs": {
            "tokens": ["batch", width],
            "pos": ["batch"],
            "k_cache": [layers, "batch", heads, cfg.context, dh],
            "v_cache": [layers, "batch", heads, cfg.context, dh],
        },
        "step_outputs": {
            "logits": ["batch", sum(SIZES)],
            "k_new": [layers, "batch", heads, dh],
            "v_new": [layers, "batch", heads, dh],
        },
        "n_params": model.n_params(),
        "data": data or {},
        "metrics": metrics or {},
    }
    parity = max(check_parity(model, out), check_step_parity(model, step_path(out)))
    sidecar["parity_max_abs"] = parity
    write_text_atomic(out.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
    logger.info(
        "exported %s and its step graph (%d params, parity %.2e)", out, model.n_params(), parity
    )
    return out, parity


def random_tokens(rng: np.random.Generator, batch: int, length: int) -> np.ndarray:
    """``[batch, length, 6]`` int64 tokens, every field drawn over its vocabulary."""
    cols = [rng.integers(0, n, size=(batch, length)) for n in SIZES]
    return np.stack(cols, axis=-1).astype(np.int64)


@torch.no_grad()
def check_parity(model: MoodTransformer, path: Path, *, seed: int = 0) -> float:
    """Max abs logit difference between torch and onnxruntime on random windows of batch 1
    and 3. Raises ExportParityError above :data:`PARITY_TOLERANCE`."""
    rng = np.random.default_rng(seed)
    onnx = OnnxModel.load(path)
    worst = 0.0
    for b in (1, 3):
        tokens = random_tokens(rng, b, model.cfg.context)
        ref = model(torch.from_numpy(tokens)).numpy()
        got = onnx.run({"tokens": tokens})["logits"]
        worst = max(worst, float(np.max(np.abs(ref - got))))
    return check_tolerance(path, worst)


@torch.no_grad()
def check_step_parity(model: MoodTransformer, path: Path, *, seed: int = 0) -> float:
    """Feed random sequences (batch 3) token by token through the ONNX step graph, keeping
    the cache as the sampler does, and compare every step's logits with torch's window
    logits. Raises ExportParityError above :data:`PARITY_TOLERANCE`."""
    cfg = model.cfg
    rng = np.random.default_rng(seed)
    tokens = random_tokens(rng, 3, cfg.context)
    ref = model(torch.from_numpy(tokens)).numpy()
    onnx = OnnxModel.load(path, sidecar_path=path.with_name("missing.json"))
    shape = (cfg.n_layer, 3, cfg.n_head, cfg.context, cfg.d_model // cfg.n_head)
    k = np.zeros(shape, dtype=np.float32)
    v = np.zeros(shape, dtype=np.float32)
    worst = 0.0
    for p in range(cfg.context):
        out = onnx.run(
            {
                "tokens": tokens[:, p],
                "pos": np.full(3, p, dtype=np.int64),
                "k_cache": k,
                "v_cache": v,
            }
        )
        k[:, :, :, p] = out["k_new"]
        v[:, :, :, p] = out["v_new"]
        worst = max(worst, float(np.max(np.abs(out["logits"] - ref[:, p]))))
    return check_tolerance(path, worst)
