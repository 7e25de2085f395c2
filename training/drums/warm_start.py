"""Start training from a shipped drum transformer: its ONNX weights into a torch model, with
the vocabulary mapped token by token, so a newer vocabulary (more meter tokens) fine-tunes the
trained model instead of starting over.

The exported graph keeps the embeddings, norms and biases under their torch names and the
linear weights transposed, in block order (qkv, proj, ff.0, ff.2). The loaded model is checked
against onnxruntime on the old vocabulary's tokens before it is used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import numpy as np
import torch

from generators.drums.tokens import INDEX, VOCAB
from inference.onnx import ModelFileError, OnnxModel
from training.drums.model import DrumTransformer, DrumTransformerConfig

#: The linear layers of a block, in the order the export writes their weights.
_LINEARS: Final = ("qkv", "proj", "ff.0", "ff.2")
#: torch and onnxruntime logits may differ by this much on the loaded weights.
TOLERANCE: Final = 1e-3


def _initializers(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    return {i.name: numpy_helper.to_array(i) for i in graph.initializer}


def _similar(token: str) -> str:
    """The old token a new meter token starts from: the meter of the same denominator with the
    nearest numerator (7/8 from 6/8, 2/4 from 3/4), else 4/4."""
    if not token.startswith("METER_"):
        return "METER_4_4"
    num, den = (int(x) for x in token.split("_")[1:])
    best = min(
        (t for t in VOCAB if t.startswith("METER_") and t.endswith(f"_{den}") and t != token),
        key=lambda t: abs(int(t.split("_")[1]) - num),
        default="METER_4_4",
    )
    return best


def load_onnx_weights(path: Path, cfg: DrumTransformerConfig) -> DrumTransformer:
    """A torch model of ``cfg`` (this program's vocabulary) holding the weights of the ONNX
    model at ``path``; tokens the old vocabulary lacks start from a similar token's embedding.
    Raises ModelFileError when the shapes differ or the loaded model does not reproduce the
    ONNX model's logits."""
    side = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    old_vocab: list[str] = list(side["vocab"])
    old_cfg = DrumTransformerConfig.from_dict({**side["config"], "vocab_size": len(old_vocab)})
    if {**old_cfg.to_dict(), "vocab_size": 0} != {**cfg.to_dict(), "vocab_size": 0}:
        raise ModelFileError(f"{path}: config {side['config']} -- the same as {cfg.to_dict()}")
    init = _initializers(path)
    named = {k: v for k, v in init.items() if not k.startswith(("val_", "onnx::"))}
    unnamed = [v for k, v in init.items() if k.startswith(("val_", "onnx::")) and v.ndim == 2]
    if len(unnamed) != len(_LINEARS) * cfg.n_layer:
        raise ModelFileError(
            f"{path}: {len(unnamed)} unnamed weight matrices -- {len(_LINEARS) * cfg.n_layer}"
        )
    old = DrumTransformer(old_cfg)
    state = old.state_dict()
    for k in state:
        if k in named:
            state[k] = torch.from_numpy(named[k].copy())
    for b in range(cfg.n_layer):
        for j, name in enumerate(_LINEARS):
            state[f"blocks.{b}.{name}.weight"] = torch.from_numpy(
                unnamed[b * len(_LINEARS) + j].T.copy()
            )
    old.load_state_dict(state)
    _check(old, path, len(old_vocab))
    model = DrumTransformer(cfg)
    new_state = {k: v.clone() for k, v in state.items()}
    old_index = {t: i for i, t in enumerate(old_vocab)}
    tok = torch.empty(len(VOCAB), cfg.d_model)
    for t, i in INDEX.items():
        tok[i] = state["tok.weight"][old_index.get(t, old_index.get(_similar(t), 0))]
    new_state["tok.weight"] = tok
    model.load_state_dict(new_state)
    return model


@torch.no_grad()
def _check(model: DrumTransformer, path: Path, vocab_size: int) -> None:
    model.eval()
    rng = np.random.default_rng(0)
    ids = rng.integers(1, vocab_size, size=(2, model.cfg.context), dtype=np.int64)
    ort = OnnxModel.load(path, threads=1)
    want = ort.run({"input_ids": ids})["logits"]
    got = model(torch.from_numpy(ids)).numpy()
    worst = float(np.abs(want - got).max())
    if worst > TOLERANCE:
        raise ModelFileError(
            f"{path}: the loaded weights give logits {worst:.2e} from onnxruntime's -- at most "
            f"{TOLERANCE}"
        )
