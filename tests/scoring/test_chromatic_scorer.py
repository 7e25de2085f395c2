"""The shipped ChromaticScorer artifact through its runtime class (onnxruntime, no network)."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from inference.onnx import ModelFileError
from music.errors import InputError, MidiFileError
from music.meter import Meter
from music.notes import Note, Part
from scoring.chromatic import ChromaticScorer, ScorerInput, default_model_path
from scoring.composite import ChromaticScore
from scoring.midi_features import midi_features
from training.scorer.probes import (
    BRIGHT_CONCEPT,
    DARK_CONCEPT,
    SCENARIOS,
    bright_candidate,
    chord_population,
    dark_candidate,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a network connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


@pytest.fixture(scope="module")
def scorer() -> ChromaticScorer:
    return ChromaticScorer.load()


@pytest.fixture(scope="module")
def population() -> list[ScorerInput]:
    sc = SCENARIOS[0]
    return chord_population(
        key=sc.key, meter=sc.meter, bpm=sc.bpm, size=24, rng=np.random.default_rng(7)
    )


def test_shipped_artifact_is_small_and_described() -> None:
    path = default_model_path()
    assert path.is_file() and path.stat().st_size < 20 * 2**20
    scorer = ChromaticScorer.load()
    side = scorer.sidecar
    assert side["parity"]["max_abs_diff"] <= 1e-4
    assert side["training_data"]["clips"] > 1000
    assert side["heads"]["mode"] == "zero-shot"


def test_score_batch_equals_score_per_item(
    scorer: ChromaticScorer, population: list[ScorerInput]
) -> None:
    concept = SCENARIOS[0].concept
    batch = scorer.score_batch(population[:8], concept, color="Indigo")
    assert len(batch) == 8
    for cand, got in zip(population[:8], batch, strict=True):
        one = scorer.score(cand, concept, color="Indigo")
        assert isinstance(one, ChromaticScore)
        np.testing.assert_allclose(
            [*one.temporal, *one.spatial, *one.ontological, one.confidence, one.match],
            [*got.temporal, *got.spatial, *got.ontological, got.confidence, got.match],
            atol=1e-5,
        )
        for dist in (got.temporal, got.spatial, got.ontological):
            assert abs(sum(dist) - 1.0) < 1e-5
        assert 0.0 < got.match < 1.0 and 0.0 <= got.confidence <= 1.0


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 9, 16])
def test_a_score_does_not_depend_on_how_the_batch_was_cut(
    scorer: ChromaticScorer, population: list[ScorerInput], size: int
) -> None:
    # Bit for bit: a Ray pool cuts a population into other batches than in-process scoring,
    # and the same seed must give the same evolution either way.
    concept = SCENARIOS[0].concept
    whole = scorer.score_batch(population, concept, color="Indigo")
    cut = [
        score
        for start in range(0, len(population), size)
        for score in scorer.score_batch(population[start : start + size], concept, color="Indigo")
    ]
    assert cut == whole


def test_precomputed_features_and_concept_vectors_score_the_same(
    scorer: ChromaticScorer, population: list[ScorerInput]
) -> None:
    cand = population[0]
    feats = midi_features(cand.parts, bpm=cand.bpm, meter=cand.meter)
    vec = scorer.prepare_concept(DARK_CONCEPT)
    a = scorer.score(cand, DARK_CONCEPT, color="Blue")
    b = scorer.score(feats, vec, color="blue")
    assert a == pytest.approx(b)


def test_scores_respond_to_the_notes(scorer: ChromaticScorer) -> None:
    dark, bright = dark_candidate(9), bright_candidate(0)
    a, b = scorer.score_batch([dark, bright], DARK_CONCEPT, color="Green")
    diff = np.abs(
        np.array([*a.temporal, *a.spatial, *a.ontological])
        - np.array([*b.temporal, *b.spatial, *b.ontological])
    ).max()
    assert diff > 1e-3
    assert abs(a.match - b.match) > 0.05
    # A musician's reading: the dark concept prefers the low, minor, sparse candidate, the
    # bright concept the high, major, busy one.
    assert a.match > b.match
    c, d = scorer.score_batch([dark, bright], BRIGHT_CONCEPT, color="Green")
    assert d.match > c.match


def test_concept_and_color_change_the_ranking(
    scorer: ChromaticScorer, population: list[ScorerInput]
) -> None:
    def ranking(concept: str, color: str) -> list[int]:
        scores = scorer.score_batch(population, concept, color=color)
        return list(np.argsort([-s.match for s in scores]))

    base = ranking(DARK_CONCEPT, "Indigo")
    assert ranking(BRIGHT_CONCEPT, "Indigo")[0] != base[0]
    assert ranking(DARK_CONCEPT, "Yellow") != base
    spread = [s.match for s in scorer.score_batch(population, DARK_CONCEPT, color="Indigo")]
    assert max(spread) - min(spread) >= 0.05


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        ChromaticScorer.load(tmp_path / "nope.onnx")


def test_empty_candidate_is_a_midi_error(scorer: ChromaticScorer) -> None:
    empty = ScorerInput(parts=(Part("chords", ()),), bpm=90.0, meter=Meter(4, 4))
    with pytest.raises(MidiFileError) as info:
        scorer.score(empty, DARK_CONCEPT, color="Red")
    assert "at least one note" in str(info.value)
    with pytest.raises(MidiFileError):
        scorer.score(ScorerInput(parts=(), bpm=90.0, meter=Meter(4, 4)), DARK_CONCEPT, color="Red")


def test_bad_concepts_and_colors(scorer: ChromaticScorer) -> None:
    cand = ScorerInput(parts=(Part("p", (Note(0.0, 4.0, 60),)),), bpm=90.0, meter=Meter(4, 4))
    with pytest.raises(InputError) as info:
        scorer.score(cand, "ominous", color="Red")
    assert info.value.field == "concept"
    with pytest.raises(InputError, match="concept"):
        scorer.score(cand, np.zeros(384, dtype=np.float32), color="Red")
    with pytest.raises(InputError, match="concept"):
        scorer.score(cand, np.ones(10, dtype=np.float32), color="Red")
    with pytest.raises(ValueError, match="color"):
        scorer.score(cand, DARK_CONCEPT, color="Mauve")
    with pytest.raises(ValueError, match="empty population"):
        scorer.score_batch([], DARK_CONCEPT, color="Red")


def test_audio_of_the_wrong_shape_is_rejected(scorer: ChromaticScorer) -> None:
    cand = ScorerInput(
        parts=(Part("p", (Note(0.0, 4.0, 60),)),),
        bpm=90.0,
        meter=Meter(4, 4),
        audio=np.zeros(5, dtype=np.float32),
    )
    with pytest.raises(InputError, match="audio"):
        scorer.score(cand, DARK_CONCEPT, color="Red")


def test_scorer_opens_on_the_providers_it_is_given() -> None:
    """A Ray actor with a GPU hands its ONNX providers to the scorer it loads; the session
    must open on them (in order), not silently on the CPU provider alone. This machine offers
    the Azure provider beside the CPU one, which tells the two apart without a GPU."""
    import onnxruntime as ort

    from evolution.fitness.chromatic import load_scorer
    from evolution.lazy import OnnxSettings

    wanted = ("AzureExecutionProvider", "CPUExecutionProvider")
    assert set(wanted) <= set(ort.get_available_providers())  # the pinned CPU build offers both
    assert ChromaticScorer.load().model.providers == ("CPUExecutionProvider",)
    scorer = load_scorer(onnx=OnnxSettings(providers=wanted))
    assert scorer.model.providers == wanted
    assert scorer.model._session.get_providers()[0] == "AzureExecutionProvider"


def test_each_axis_is_its_own_prediction(
    scorer: ChromaticScorer, population: list[ScorerInput]
) -> None:
    """Across a population, spatial is not temporal relabelled (as it was when the axes came
    from one color mixture) nor a function of it: no spatial mode moves in step with any
    temporal mode, and the sidecar says every axis is predicted."""
    from scipy.stats import spearmanr

    b = scorer.analyse_batch(population, "A lamp left burning in an empty house.", color="Blue")
    for perm in itertools.permutations(range(3)):
        assert np.abs(b.spatial - b.temporal[:, list(perm)]).max() > 0.05
    for spatial_mode in range(3):
        for temporal_mode in range(3):
            rho = spearmanr(b.spatial[:, spatial_mode], b.temporal[:, temporal_mode])[0]
            assert abs(rho) < 0.9, (spatial_mode, temporal_mode, rho)
    assert scorer.sidecar["heads"]["axes"] == {
        "temporal": "predicted",
        "spatial": "predicted",
        "ontological": "predicted",
    }


def test_a_model_with_derived_axes_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A model exported with the old color-mixture heads (no ``heads.axes`` in its sidecar)
    reports its axes as derived, with a warning naming the fix."""
    import json
    import shutil

    path = tmp_path / "old.onnx"
    shutil.copy(default_model_path(), path)
    side = json.loads(default_model_path().with_suffix(".json").read_text())
    del side["heads"]["axes"]
    path.with_suffix(".json").write_text(json.dumps(side))
    with caplog.at_level("WARNING", logger="scoring.chromatic"):
        old = ChromaticScorer.load(path)
    assert old.axis_sources == dict.fromkeys(("temporal", "spatial", "ontological"), "derived")
    assert "--rehead" in caplog.text
    assert set(ChromaticScorer.load().axis_sources.values()) == {"predicted"}
