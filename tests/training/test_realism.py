"""The realism critic: the model and its ONNX graph agree, training on small corpora built here
(Groove fixture files and chord charts written by the test) against our generators writes a
model that tells them apart, the commands, and one clear error for a bad data folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.realism import phase_parts
from scoring.realism import RealismCritic, feature_matrix
from tests.training.test_style_train import billboard_folder, groove_folder
from training.realism.generated import GenConfig, generated_rows
from training.realism.measure import auc
from training.realism.model import fit, onnx_bytes
from training.realism.train import RealismConfig, main
from training.style.billboard import billboard_rows
from training.style.build import METRICS

TINY = GenConfig(runs=6, keep=4, population=8, generations=1)


def critic_file(folder: Path, part: str, model_bytes: bytes, features: list[str]) -> RealismCritic:
    path = folder / f"realism_{part}.onnx"
    path.write_bytes(model_bytes)
    path.with_suffix(".json").write_text(json.dumps({"features": features}))
    return RealismCritic(part=part, path=str(path))


def test_the_onnx_graph_gives_the_models_probabilities(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] + x[:, 1] ** 2 > 1.0).astype(np.int64)  # a quadratic boundary
    x[::5, 2] = np.nan  # undefined values are allowed
    model = fit(("a", "b", "c"), x, y, l2=0.01)
    critic = critic_file(tmp_path, "drums", onnx_bytes(model), ["a", "b", "c"])
    ours = model.p_real(x)
    onnx = critic.p_real_matrix(x.astype(np.float32))
    assert np.abs(ours - onnx).max() < 1e-5
    assert ((ours >= 0.5) == (y == 1)).mean() > 0.9  # the squares let it learn a band
    rows = [{"a": float(r[0]), "b": float(r[1])} for r in x[:4]]  # "c" left out: undefined
    assert np.isnan(feature_matrix(rows, ["a", "b", "c"])[:, 2]).all()
    assert critic.p_real(rows) == pytest.approx(model.p_real(feature_matrix(rows, "abc")), 1e-5)


def test_auc_counts_ties_half() -> None:
    assert auc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert auc(np.array([0.5]), np.array([0.5])) == 0.5
    assert auc(np.array([0.1]), np.array([0.9, 0.05])) == 0.5


def test_generated_rows_are_the_same_for_the_same_seed() -> None:
    a = generated_rows("chords", TINY, phase_parts())
    b = generated_rows("chords", TINY, phase_parts())
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b]
    assert {r.corpus for r in a} == {"ours-random", "ours-evolved"}
    assert len(a) == TINY.runs * 2 * TINY.keep
    assert {r.split for r in a} == {"build", "tune", "heldout"}  # split by run
    assert all(len({x.split for x in a if x.song == r.song}) == 1 for r in a)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("realism")
    groove_folder(root, copies=24)
    billboard_folder(root, 30)
    out = root / "out"
    summary = main(
        RealismConfig(
            data=root,
            out=out,
            phase=phase_parts(),
            cache=root / "cache",
            parts=("drums", "chords"),
            gen=TINY,
        )
    )
    return root, out, summary


def test_training_writes_a_model_that_tells_the_corpus_from_ours(
    trained: tuple[Path, Path, dict[str, object]],
) -> None:
    root, out, summary = trained
    assert set(summary) == {"drums", "chords"}
    side = json.loads((out / "realism_chords.json").read_text())
    assert side["features"] == list(METRICS["chords"])
    assert side["trained_from"]["real"] == ["billboard"]
    assert side["trained_from"]["rows"]["billboard"]["build"] > 0
    assert side["trained_from"]["rows"]["ours-evolved"]["build"] > 0
    assert len(side["normalisation"]["mean"]) == len(side["features"])
    held = side["heldout"]
    assert held["real_rows"] > 0 and held["generated_rows"] > 0
    assert held["auc"] > 0.9 and held["balanced_accuracy"] > 0.8
    critic = RealismCritic(part="chords", path=str(out / "realism_chords.onnx"))
    real = billboard_rows(root / "billboard" / "salami_chords")
    ours = generated_rows("chords", TINY, phase_parts())
    p_real = critic.p_real([r.values for r in real])
    p_ours = critic.p_real([r.values for r in ours])
    assert min(p_real) > max(p_ours)  # identical charts against ours: no overlap
    assert (out / "realism_drums.onnx").is_file()


def test_the_evaluator_ranks_differently_with_the_critic(tmp_path: Path) -> None:
    from evolution.fitness.chords import ChordEvaluator
    from generators.chord_model import ChordTransitionModel
    from generators.chords.operators import ChordOps
    from music.keys import Key
    from music.meter import Meter
    from scoring.composite import Weights
    from scoring.realism import REALISM_WEIGHT, in_support
    from scoring.style.select import song_profile

    key, meter = Key(0, "major"), Meter(4, 4)
    ops = ChordOps(key=key, meter=meter, bars=4, model=ChordTransitionModel.load())
    rng = np.random.default_rng(3)
    genomes = [ops.random(rng) for _ in range(24)]
    style = song_profile("chords", genres=("pop",), mood=(), bpm=100.0, meter="4/4")
    plain = ChordEvaluator(ops=ops, weights=Weights(), style=style)
    values = [plain.measured(g)[1] for g in genomes]
    # A critic that calls "real" whatever changes chords often (what the theory does not want)
    names = list(METRICS["chords"])
    x = feature_matrix(values, names)
    rate = x[:, names.index("chords_per_bar")]
    y = (rate > np.nanmedian(rate)).astype(np.int64)
    critic = critic_file(tmp_path, "chords", onnx_bytes(fit(names, x, y, l2=0.01)), names)
    judged = ChordEvaluator(ops=ops, weights=Weights(), style=style, realism=critic)
    before, after = plain(genomes), judged(genomes)
    for b, a, p, v in zip(before, after, critic.p_real(values), values, strict=True):
        p = min(p, in_support(v, names, style))  # capped where the corpus never goes
        assert a.theory.as_dict()["realism"] == pytest.approx(p)
        expected = (1 - REALISM_WEIGHT) * b.theory.total + REALISM_WEIGHT * p
        assert a.theory.total == pytest.approx(expected)
    order = [sorted(range(24), key=lambda i, c=c: -c[i].fitness) for c in (before, after)]
    assert order[0] != order[1]
    assert judged(genomes) == after  # same candidates, same scores


def test_the_commands_train_and_evaluate(tmp_path: Path) -> None:
    from cli.app import app

    groove_folder(tmp_path, copies=24)
    billboard_folder(tmp_path, 30)
    common = ["--data", str(tmp_path), "--cache", str(tmp_path / "c"), "--part", "chords"]
    models = tmp_path / "models"
    trained = CliRunner().invoke(
        app, ["train", "realism", *common, "--out", str(models), "--runs", "6"]
    )
    assert trained.exit_code == 0, trained.output
    assert "chords: L2" in trained.output and (models / "realism_chords.onnx").is_file()
    report_path = tmp_path / "report.json"
    evaluated = CliRunner().invoke(
        app,
        ["eval", "realism", *common, "--models", str(models), "--runs", "6",
         "--json", str(report_path)],
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(report_path.read_text())
    chords = report["chords"]
    assert chords["auc"] > 0.9 and not math.isnan(chords["accuracy"])
    assert chords["groups"]["billboard"]["rows"] > 0
    assert "chords: held-out accuracy" in evaluated.output


def test_a_bad_data_folder_is_one_clear_error(tmp_path: Path) -> None:
    from cli.app import app

    missing = CliRunner().invoke(app, ["train", "realism", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "--data" in missing.output
    assert missing.output.count("error:") == 1
    empty = CliRunner().invoke(
        app, ["train", "realism", "--data", str(tmp_path), "--cache", str(tmp_path / "c"),
              "--out", str(tmp_path / "o"), "--part", "drums"]
    )  # fmt: skip
    assert empty.exit_code == 2 and "groove-midi" in empty.output
    assert empty.output.count("error:") == 1
    no_model = CliRunner().invoke(
        app, ["eval", "realism", "--data", str(tmp_path), "--models", str(tmp_path / "m"),
              "--part", "drums"]
    )  # fmt: skip
    assert no_model.exit_code == 2 and "realism_drums.onnx" in no_model.output


def test_a_passage_outside_the_corpus_is_not_judged_real() -> None:
    """The shipped chords critic extrapolates: a one-chord progression (Night Watch's 16 bars
    of the tonic) reads as more real than anything, because our progressions have more
    distinct chords per phrase than Billboard's. Held to a style profile, P(real) is capped
    at the share of its metrics inside the profile's p5-p95."""
    from scoring.composite import TheoryScores
    from scoring.realism import in_support, judged, shipped_critic
    from scoring.style.select import song_profile

    critic = shipped_critic("chords")
    assert critic is not None
    drone = {
        "chords_per_bar": 0.0625,
        "distinct_per_phrase": 1.0,
        "authentic_share": 0.0,
        "half_share": 0.0,
        "tonic_end_share": 1.0,
        "function_entropy": 0.0,
        "non_diatonic_share": 0.0,
        "tonic_share": 1.0,
        "rhythm_cv": 0.0,
    }
    style = song_profile("chords", genres=("pop",), mood=(), bpm=100.0, meter="4/4")
    assert critic.p_real([drone])[0] > 0.9
    share = in_support(drone, critic.features, style)
    assert share < 0.6
    theory = TheoryScores(components=(("x", 0.5),), total=0.5)
    uncapped, capped = judged([theory], [drone], critic), judged([theory], [drone], critic, style)
    assert uncapped[0].as_dict()["realism"] > 0.9
    assert capped[0].as_dict()["realism"] == pytest.approx(share)
    # Inside every band nothing is capped.
    middle = {name: band.at(50) for name, band in style.bands}
    assert in_support(middle, critic.features, style) == 1.0
