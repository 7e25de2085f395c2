"""ONNX export of the debug-sized scorer graph: parity with torch, dynamic batch, sidecar."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from inference.onnx import ModelFileError, OnnxModel
from scoring.colors import COLOR_NAMES
from scoring.text_encoder import TextEncoder
from training.scorer.export import (
    PARITY_TOLERANCE,
    ExportResult,
    calibrate,
    example_inputs,
    export,
    recentre,
    rehead,
    torch_outputs,
)
from training.scorer.graph import INPUTS, OUTPUTS, ScorerGraph, load_graph
from training.scorer.heads import ChromaticHeads
from training.scorer.model import ScorerConfig


def debug_graph(seed: int = 0) -> ScorerGraph:
    torch.manual_seed(seed)
    config = ScorerConfig.debug()
    desc = torch.nn.functional.normalize(torch.randn(9, 384), dim=1)
    modes = torch.nn.functional.normalize(torch.randn(9, 384), dim=1)
    heads = ChromaticHeads(desc, modes, temperature=0.05)
    reference = torch.nn.functional.normalize(torch.randn(32, 384), dim=1)
    graph = ScorerGraph(config, heads, reference)
    with torch.no_grad():  # non-zero optional branches, so the masks matter in the graph
        for branch in (graph.encoder.audio, graph.encoder.lyrics):
            branch.net[2].weight.normal_(0, 0.1)
            branch.null.normal_(0, 0.1)
    graph.eval()
    return graph


def debug_sidecar(graph: ScorerGraph) -> dict[str, object]:
    """The run-specific sidecar fields of a debug export."""
    return {
        "version": "test",
        "calibration": calibrate(graph),
        "modalities": {"audio": 0, "lyrics": 0},
        "training_data": {"clips": 0},
        "heads": {"mode": "zero-shot", "temperature": 0.05},
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScorerGraph, ExportResult]:
    graph = debug_graph()
    out = tmp_path_factory.mktemp("export") / "scorer.onnx"
    return graph, export(graph, out, sidecar=debug_sidecar(graph))


def test_parity_within_tolerance_for_several_batch_sizes(
    exported: tuple[ScorerGraph, ExportResult],
) -> None:
    graph, result = exported
    assert result.parity_max_abs_diff <= PARITY_TOLERANCE
    model = OnnxModel.load(result.onnx)
    rng = np.random.default_rng(5)
    for batch in (1, 3, 17):
        inputs = example_inputs(batch, rng, audio=batch == 3, lyrics=batch == 3)
        expected = torch_outputs(graph, inputs)
        got = model.run(inputs)
        for name in OUTPUTS:
            assert got[name].shape[0] == batch
            assert np.abs(expected[name] - got[name]).max() <= PARITY_TOLERANCE, name


def test_masks_and_modalities_change_the_output(
    exported: tuple[ScorerGraph, ExportResult],
) -> None:
    _, result = exported
    model = OnnxModel.load(result.onnx)
    inputs = example_inputs(2, np.random.default_rng(9))
    without = model.run(inputs)["embedding"]
    inputs["audio_mask"][:] = 1.0
    with_audio = model.run(inputs)["embedding"]
    assert np.abs(without - with_audio).max() > 1e-3


def test_sidecar_fields(exported: tuple[ScorerGraph, ExportResult]) -> None:
    _, result = exported
    side = json.loads(result.sidecar.read_text(encoding="utf-8"))
    for key in (
        "format",
        "format_version",
        "version",
        "config",
        "input_names",
        "output_names",
        "inputs",
        "outputs",
        "training_data",
        "calibration",
        "heads",
        "parity",
        "modalities",
        "colors",
        "color_prompts",
    ):
        assert key in side, key
    assert side["input_names"] == list(INPUTS)
    assert side["output_names"] == list(OUTPUTS)
    assert ScorerConfig.from_dict(side["config"]) == ScorerConfig.debug()
    assert side["parity"]["max_abs_diff"] <= PARITY_TOLERANCE
    assert set(side["calibration"]["color_agreement"]) == set(COLOR_NAMES)
    model = OnnxModel.load(result.onnx)
    assert model.input_names == tuple(INPUTS)
    assert model.output_names == tuple(OUTPUTS)
    assert result.onnx_bytes < 20 * 2**20


def test_weights_round_trip(exported: tuple[ScorerGraph, ExportResult]) -> None:
    graph, result = exported
    loaded, meta = load_graph(result.weights)
    assert loaded.config == graph.config
    inputs = example_inputs(4, np.random.default_rng(2), audio=True)
    a, b = torch_outputs(graph, inputs), torch_outputs(loaded, inputs)
    for name in OUTPUTS:
        np.testing.assert_array_equal(a[name], b[name])
    assert meta["sidecar"]["input_names"] == list(INPUTS)


def test_a_recentred_model_matches_concepts_minus_the_centre(
    exported: tuple[ScorerGraph, ExportResult], tmp_path: Path
) -> None:
    graph, result = exported
    centre = 0.5 * torch.nn.functional.normalize(torch.randn(384), dim=0).numpy()
    moved, sidecar = recentre(result.weights, centre, source="test captions", version="t.1")
    again = export(moved, tmp_path / "centred.onnx", sidecar=sidecar)
    inputs = example_inputs(5, np.random.default_rng(4))
    plain = torch_outputs(graph, inputs)
    got = OnnxModel.load(again.onnx).run(inputs)
    text = inputs["concept"] - centre
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    sims = (plain["embedding"] * text).sum(1)
    np.testing.assert_allclose(got["concept_sim"], sims, atol=1e-5)
    assert np.abs(got["concept_sim"] - plain["concept_sim"]).max() > 1e-2
    ref = text @ graph.reference.numpy().T
    np.testing.assert_allclose(got["concept_ref_mean"], ref.mean(1), atol=1e-5)
    for name in ("embedding", "temporal", "confidence"):  # only the match's cosines move
        np.testing.assert_allclose(got[name], plain[name], atol=1e-5)
    side = json.loads(again.sidecar.read_text(encoding="utf-8"))
    assert side["version"] == "t.1"
    assert side["calibration"]["text_centre"]["mean_of"] == "test captions"
    assert (
        side["calibration"]["color_agreement"]
        == json.loads(result.sidecar.read_text(encoding="utf-8"))["calibration"]["color_agreement"]
    )


def test_heads_are_distributions_each_predicted_from_its_own_modes() -> None:
    graph = debug_graph(1)
    inputs = example_inputs(5, np.random.default_rng(3))
    outs = torch_outputs(graph, inputs)
    for axis in ("temporal", "spatial", "ontological"):
        np.testing.assert_allclose(outs[axis].sum(axis=1), 1.0, atol=1e-5)
    # Zero-shot: each axis is a softmax over its own modes' prompt embeddings.
    scale = 1.0 / graph.heads.temperature
    sims = scale * outs["embedding"] @ graph.heads.modes.numpy().T
    for i, axis in enumerate(("temporal", "spatial", "ontological")):
        block = np.exp(
            sims[:, 3 * i : 3 * i + 3] - sims[:, 3 * i : 3 * i + 3].max(1, keepdims=True)
        )
        np.testing.assert_allclose(outs[axis], block / block.sum(1, keepdims=True), atol=1e-5)
    # Changing the place prompt moves the spatial axis and nothing else.
    with torch.no_grad():
        graph.heads.modes[4] = torch.nn.functional.normalize(torch.randn(384), dim=0)
    moved = torch_outputs(graph, inputs)
    assert np.abs(moved["spatial"] - outs["spatial"]).max() > 1e-3
    for axis in ("temporal", "ontological"):
        np.testing.assert_array_equal(moved[axis], outs[axis])


def test_a_graph_with_the_old_mixture_heads_is_refused_with_the_fix(tmp_path: Path) -> None:
    graph = debug_graph(3)
    state = dict(graph.state_dict())
    state.pop("heads.modes")
    state["heads.targets"] = torch.zeros(9, 9)
    path = tmp_path / "old.npz"
    arrays = {k: v.numpy() for k, v in state.items()}
    meta = {"kind": "chromatic-scorer-graph", "config": graph.config.to_dict()}
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError, match="--rehead"):
        load_graph(path)
    fixed, side = rehead(path, text_encoder=TextEncoder.load())
    assert side["heads"]["axes"] == {a: "predicted" for a in ("temporal", "spatial", "ontological")}
    assert set(side["calibration"]["color_agreement"]) == set(COLOR_NAMES)
    outs = torch_outputs(fixed, example_inputs(6, np.random.default_rng(5)))
    np.testing.assert_allclose(outs["temporal"].sum(axis=1), 1.0, atol=1e-5)


def test_dynamo_exporter_gives_the_same_outputs(tmp_path: Path) -> None:
    graph = debug_graph(2)
    side = {"calibration": calibrate(graph), "modalities": {"audio": 0, "lyrics": 0}}
    result = export(graph, tmp_path / "dynamo.onnx", sidecar=side, opset=18, dynamo=True)
    assert result.parity_max_abs_diff <= PARITY_TOLERANCE
    got = OnnxModel.load(result.onnx).run(example_inputs(6, np.random.default_rng(4)))
    assert got["embedding"].shape == (6, 384)
