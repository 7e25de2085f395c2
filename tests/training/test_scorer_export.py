"""ONNX export of the debug-sized scorer graph: parity with torch, dynamic batch, sidecar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from inference.onnx import ModelFileError, OnnxModel
from scoring.colors import COLOR_NAMES
from scoring.text_encoder import TextEncoder
from training.scorer.calibration import calibrate
from training.scorer.export import (
    PARITY_TOLERANCE,
    ExportResult,
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


def _part_view_corpus(rng: np.random.Generator, *, val_chords: bool = False) -> Any:
    """Validation part views of drums and bass (four songs each), and chords (training views;
    validation views with ``val_chords``)."""
    from training.scorer.corpus import Corpus

    kinds = ["drums"] * 8 + ["bass"] * 8 + ["chords"] * 4
    n = len(kinds)
    text = rng.standard_normal((n, 384)).astype(np.float32)
    return Corpus(
        rolls=rng.integers(0, 128, size=(n, 3, 128, 128), dtype=np.uint8),
        symbolic=rng.standard_normal((n, 32)).astype(np.float16),
        text_emb=text.astype(np.float16),
        texts=np.array([f"clip {i}" for i in range(n)]),
        tags=np.array([""] * n),
        song_ids=np.array([f"{k}:{i // 2}" for i, k in enumerate(kinds)]),
        sources=np.array(["test"] * n),
        splits=np.array(["val"] * 16 + ["val" if val_chords else "train"] * 4),
        kinds=np.array(kinds),
    )


def test_banks_per_part_kind_standardise_a_part_against_its_own_kind(
    exported: tuple[ScorerGraph, ExportResult], tmp_path: Path
) -> None:
    """A model given a bank per part kind: the whole bank (and so every score without a kind)
    as before; each kind's statistics are those of its own validation part views, heard as a
    phase hears them (a 2-channel model reads the part merged with its backdrop); the runtime
    standardises a kind it has a bank of against it, any other against the whole bank."""
    from scoring.chromatic import ChromaticScorer, ScorerInput
    from training.scorer.export import with_part_banks
    from training.scorer.train import batch_tensors, encode_with

    graph, result = exported
    corpus = _part_view_corpus(np.random.default_rng(5))
    banked, sidecar = with_part_banks(result.weights, corpus, version="t.3")
    again = export(banked, tmp_path / "banked.onnx", sidecar=sidecar)
    side = json.loads(again.sidecar.read_text(encoding="utf-8"))
    calibration = side["calibration"]
    assert calibration["reference_kinds"] == ["all", "drums", "bass"]  # no val chords
    assert calibration["reference_clips_by_kind"] == {"all": 32, "drums": 8, "bass": 8}
    old = json.loads(result.sidecar.read_text(encoding="utf-8"))["calibration"]
    assert calibration["color_agreement"] == old["color_agreement"]
    inputs = example_inputs(5, np.random.default_rng(6))
    plain = torch_outputs(graph, inputs)
    got = OnnxModel.load(again.onnx).run(inputs)
    for name in ("embedding", "concept_sim", "concept_ref_mean", "concept_ref_std", "temporal"):
        np.testing.assert_allclose(got[name], plain[name], atol=1e-5)
    np.testing.assert_allclose(got["kind_ref_mean"][:, 0], plain["concept_ref_mean"], atol=1e-5)
    bass = batch_tensors(corpus, np.arange(8, 16))
    bass["roll"] = bass["roll"][:, :2]
    with torch.no_grad():
        views = encode_with(graph.encoder, bass).numpy()
    sims = inputs["concept"] @ views.T
    np.testing.assert_allclose(got["kind_ref_mean"][:, 2], sims.mean(1), atol=1e-5)
    np.testing.assert_allclose(got["kind_ref_std"][:, 2], sims.std(1), atol=1e-5)
    with torch.no_grad():
        _, t, s, o = graph.heads(torch.from_numpy(views))
    from scoring.chromatic_match import color_agreement
    from scoring.colors import target_vector

    agree = color_agreement(t.numpy(), s.numpy(), o.numpy(), target_vector("Red"))
    red = calibration["color_agreement_by_kind"]["bass"]["Red"]
    assert red["mean"] == pytest.approx(float(agree.mean()), abs=1e-6)
    assert red["std"] == pytest.approx(float(agree.std()), abs=1e-6)

    text = TextEncoder.load()
    scorer = ChromaticScorer.load(again.onnx, text_encoder=text)
    before = ChromaticScorer.load(result.onnx, text_encoder=text)
    rng = np.random.default_rng(7)
    from music.meter import Meter
    from music.notes import Note, Part

    cands = [
        ScorerInput(
            parts=(
                Part(
                    "bass",
                    tuple(Note(float(b), b + 0.5, int(rng.integers(36, 48)), 90) for b in range(8)),
                ),
            ),
            bpm=100.0,
            meter=Meter.parse("4/4"),
        )
        for _ in range(4)
    ]
    concept = "a low and patient night song"
    unkind = scorer.analyse_batch(cands, concept, color="Red")
    np.testing.assert_allclose(
        unkind.concept_z, before.analyse_batch(cands, concept, color="Red").concept_z, atol=1e-5
    )
    as_bass = scorer.analyse_batch(cands, concept, color="Red", kind="bass")
    raw = scorer.model.run(scorer._inputs(cands, scorer.prepare_concept(concept)))
    want = (raw["concept_sim"][:4] - raw["kind_ref_mean"][:4, 2]) / raw["kind_ref_std"][:4, 2]
    np.testing.assert_allclose(as_bass.concept_z, want, atol=1e-5)
    assert np.abs(as_bass.concept_z - unkind.concept_z).max() > 1e-3
    np.testing.assert_allclose(
        as_bass.color_z, (as_bass.agreement - red["mean"]) / red["std"], atol=1e-9
    )
    # a kind without a bank (no validation chords here) is standardised as before
    as_chords = scorer.analyse_batch(cands, concept, color="Red", kind="chords")
    np.testing.assert_array_equal(as_chords.match, unkind.match)


def test_a_sidecar_naming_banks_the_graph_lacks_is_refused(
    exported: tuple[ScorerGraph, ExportResult], tmp_path: Path
) -> None:
    import shutil

    from scoring.chromatic import ChromaticScorer

    _, result = exported
    onnx = tmp_path / "edited.onnx"
    shutil.copy(result.onnx, onnx)
    side = json.loads(result.sidecar.read_text(encoding="utf-8"))
    side["calibration"]["reference_kinds"] = ["all", "bass"]
    onnx.with_suffix(".json").write_text(json.dumps(side), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"edited\.json.*color_agreement_by_kind\.bass"):
        ChromaticScorer.load(onnx)


def test_preference_fitting_sees_each_candidate_as_its_phase_sees_it(
    exported: tuple[ScorerGraph, ExportResult], tmp_path: Path
) -> None:
    """With banks per part kind, the base a taste is fit on is the match the runtime gives the
    reviewed candidate in its phase (chords, standardised against the chords bank)."""
    from scipy.special import ndtr

    from agents.preferences import reviewed_candidates
    from scoring.chromatic_match import reference_bank
    from tests.training.review_sim import reviewed_run
    from training.scorer.export import with_part_banks
    from training.scorer.preference import preference_data
    from training.scorer.preference_eval import runtime_matches

    _, result = exported
    corpus = _part_view_corpus(np.random.default_rng(8), val_chords=True)
    banked, sidecar = with_part_banks(result.weights, corpus, version="t.4")
    again = export(banked, tmp_path / "banked.onnx", sidecar=sidecar)
    calibration = json.loads(again.sidecar.read_text(encoding="utf-8"))["calibration"]
    assert reference_bank(calibration, "chords") == "chords"
    run, _ = reviewed_run(tmp_path, 0, np.random.default_rng(9))
    cands = reviewed_candidates(run)
    assert {c.phase for c in cands} == {"chords"}
    text = TextEncoder.load()
    graph, _ = load_graph(again.weights)
    data = preference_data(graph, calibration, cands, text)
    runtime = runtime_matches(cands, again.onnx, text_encoder=text)
    np.testing.assert_allclose(ndtr(data.base), runtime, atol=1e-5)
    unbanked = runtime_matches(cands, result.onnx, text_encoder=text)
    assert np.abs(runtime - unbanked).max() > 1e-3
