"""Export the drum transformer to ONNX, as two graphs with the same weights:

- ``<out>.onnx``: the fixed context window, ``input_ids [batch, context]`` (int64, batch
  dynamic) -> ``logits [batch, context, vocab]`` (float32);
- ``<out>_step.onnx``: one decoding step with a fixed-length key/value cache (what sampling
  runs): ``ids [batch]``, ``pos [batch]``, ``k_cache``/``v_cache [layers, batch, heads,
  context, head_dim]`` -> ``logits [batch, vocab]``, ``k_new``/``v_new [layers, batch, heads,
  head_dim]``;

plus a sidecar JSON (config, vocabulary, version, input/output names, data summary, metrics)
and torch vs onnxruntime parity checks (max abs difference <= 1e-4): the window graph against
torch on random windows, the step graph fed token by token against torch's window logits.

``python -m training.drums.export --checkpoint ckpt.pt --out PATH`` re-exports a saved model.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from generators.drums.tokens import VOCAB, VOCAB_VERSION
from inference.onnx import OnnxModel
from music.files import write_text_atomic
from training.drums.model import DrumTransformer, DrumTransformerConfig, DrumTransformerStep
from training.onnx_export import (
    check_tolerance,
    export_dynamo,
    step_path,
)

logger = logging.getLogger(__name__)

DEFAULT_OUT: Final = (
    Path(__file__).resolve().parents[2] / "generators" / "data" / "drum_transformer.onnx"
)
FORMAT_VERSION: Final = 2
INPUT_NAME: Final = "input_ids"
OUTPUT_NAME: Final = "logits"
STEP_INPUTS: Final = ("ids", "pos", "k_cache", "v_cache")
STEP_OUTPUTS: Final = ("logits", "k_new", "v_new")


def export_onnx(
    model: DrumTransformer,
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
    batch = torch.export.Dim("batch", min=1, max=4096)
    export_dynamo(
        model,
        (torch.zeros((2, cfg.context), dtype=torch.int64),),
        out,
        inputs=(INPUT_NAME,),
        outputs=(OUTPUT_NAME,),
        shapes={"ids": {0: batch}},
    )
    layers, heads, dh = cfg.n_layer, cfg.n_head, cfg.d_model // cfg.n_head
    # Two distinct example tensors: the exporter merges aliased inputs into one.
    k_cache = torch.zeros((layers, 2, heads, cfg.context, dh))
    v_cache = torch.zeros((layers, 2, heads, cfg.context, dh))
    step_batch = torch.export.Dim("batch", min=1, max=4096)
    export_dynamo(
        DrumTransformerStep(model).eval(),
        (torch.zeros(2, dtype=torch.int64), torch.zeros(2, dtype=torch.int64), k_cache, v_cache),
        step_path(out),
        inputs=STEP_INPUTS,
        outputs=STEP_OUTPUTS,
        shapes={
            "ids": {0: step_batch},
            "pos": {0: step_batch},
            "k_cache": {1: step_batch},
            "v_cache": {1: step_batch},
        },
    )
    sidecar: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "model": "drum_transformer",
        "vocab_version": VOCAB_VERSION,
        "vocab": list(VOCAB),
        "config": cfg.to_dict(),
        "inputs": {INPUT_NAME: ["batch", cfg.context]},
        "outputs": {OUTPUT_NAME: ["batch", cfg.context, cfg.vocab_size]},
        "step_model": step_path(out).name,
        "step_inputs": {
            "ids": ["batch"],
            "pos": ["batch"],
            "k_cache": [layers, "batch", heads, cfg.context, dh],
            "v_cache": [layers, "batch", heads, cfg.context, dh],
        },
        "step_outputs": {
            "logits": ["batch", cfg.vocab_size],
            "k_new": [layers, "batch", heads, dh],
            "v_new": [layers, "batch", heads, dh],
        },
        "n_params": model.n_params(),
        "data": data or {},
        "metrics": metrics or {},
    }
    side = out.with_suffix(".json")
    parity = max(check_parity(model, out), check_step_parity(model, step_path(out)))
    sidecar["parity_max_abs"] = parity
    write_text_atomic(side, json.dumps(sidecar, indent=2) + "\n")
    logger.info(
        "exported %s and its step graph (%d params, parity %.2e)", out, model.n_params(), parity
    )
    return out, parity


@torch.no_grad()
def check_parity(model: DrumTransformer, path: Path, *, seed: int = 0) -> float:
    """Max abs logit difference between torch and onnxruntime on random token windows of
    batch 1 and 3. Raises ExportParityError above :data:`PARITY_TOLERANCE`."""
    rng = np.random.default_rng(seed)
    onnx = OnnxModel.load(path)
    worst = 0.0
    for b in (1, 3):
        ids = rng.integers(0, model.cfg.vocab_size, size=(b, model.cfg.context), dtype=np.int64)
        ref = model(torch.from_numpy(ids)).numpy()
        got = onnx.run({INPUT_NAME: ids})[OUTPUT_NAME]
        worst = max(worst, float(np.max(np.abs(ref - got))))
    return check_tolerance(path, worst)


@torch.no_grad()
def check_step_parity(
    model: DrumTransformer, path: Path, *, seed: int = 0, length: int | None = None
) -> float:
    """Feed random sequences (batch 3) token by token through the ONNX step graph, keeping
    the cache as the sampler does, and compare every step's logits with torch's window
    logits. Raises ExportParityError above :data:`PARITY_TOLERANCE`."""
    cfg = model.cfg
    n = min(cfg.context, length or cfg.context)
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, cfg.vocab_size, size=(3, n), dtype=np.int64)
    ref = model(torch.from_numpy(ids)).numpy()
    onnx = OnnxModel.load(path)
    shape = (cfg.n_layer, 3, cfg.n_head, cfg.context, cfg.d_model // cfg.n_head)
    k = np.zeros(shape, dtype=np.float32)
    v = np.zeros(shape, dtype=np.float32)
    worst = 0.0
    for p in range(n):
        out = onnx.run(
            {"ids": ids[:, p], "pos": np.full(3, p, dtype=np.int64), "k_cache": k, "v_cache": v}
        )
        k[:, :, :, p] = out["k_new"]
        v[:, :, :, p] = out["v_new"]
        worst = max(worst, float(np.max(np.abs(out["logits"] - ref[:, p]))))
    return check_tolerance(path, worst)


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--checkpoint",
        type=Path,
        required=True,
        help="a .pt file saved by training.drums.train --checkpoint",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    saved = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    model = DrumTransformer(DrumTransformerConfig.from_dict(saved["config"]))
    model.load_state_dict(saved["state_dict"])
    path, parity = export_onnx(
        model, args.out, data=saved.get("data"), metrics=saved.get("metrics")
    )
    print(f"wrote {path} and {step_path(path).name}; parity {parity:.2e}")


if __name__ == "__main__":
    _cli()
