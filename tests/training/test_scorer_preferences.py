"""Learning from the gate: a simulated person with a hidden taste (sparse, low, minor) reviews 30
candidates in three runs; ``chromatic train scorer --from-reviews`` fine-tunes the scorer on
the verdicts, and on four held-out runs the same person reviewed, ``chromatic eval scorer
--from-reviews`` finds the new model agreeing with the person far more often than the shipped
one. The real path throughout: run folders, decision logs, MiniLM, torch fit, ONNX export,
onnxruntime scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agents.preferences import reviewed_candidates
from cli.app import app
from music.errors import InputError
from music.meter import Meter
from scoring.chromatic import ChromaticScorer
from scoring.preferences import ReviewedCandidate, preference_pairs
from tests.training.review_sim import reviewed_run
from training.scorer.preference import (
    PreferenceConfig,
    PreferenceData,
    default_out,
    fit_taste,
)
from training.scorer.supervised import shipped_weights


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    root = tmp_path_factory.mktemp("reviews")
    rng = np.random.default_rng(0)
    train = [reviewed_run(root, i, rng)[0] for i in range(3)]
    held = [reviewed_run(root, 10 + i, rng)[0] for i in range(4)]
    return train, held


def _cand(key: str, group: str, rank: int, verdict: str) -> ReviewedCandidate:
    return ReviewedCandidate(
        key=key,
        group=group,
        rank=rank,
        verdict=verdict,
        midi=Path(f"{key}.mid"),
        underneath=(),
        concept="a b c",
        color="Blue",
        bpm=90.0,
        meter=Meter.parse("4/4"),
    )


def test_pairs_are_approved_over_rejected_and_over_lower_ranked_pending() -> None:
    cands = [
        _cand("a", "run/drums/verse", 1, "pending"),
        _cand("b", "run/drums/verse", 2, "approved"),
        _cand("c", "run/drums/verse", 3, "pending"),
        _cand("d", "run/drums/verse", 4, "rejected"),
        _cand("e", "run/drums/chorus", 5, "pending"),  # another section: never compared
        _cand("f", "run/drums/chorus", 1, "rejected"),
    ]
    assert preference_pairs(cands) == [(1, 2), (1, 3)]
    with pytest.raises(ValueError, match="verdict: 'maybe'"):
        _cand("g", "x", 1, "maybe")


def test_the_runs_verdicts_become_reviewed_candidates(runs: tuple[list[Path], list[Path]]) -> None:
    cands = reviewed_candidates(runs[0][0])
    assert len(cands) == 10
    verdicts = sorted(c.verdict for c in cands)
    assert verdicts.count("approved") == 2 and verdicts.count("rejected") == 3
    assert {c.color for c in cands} == {"Blue"} and all(c.midi.is_file() for c in cands)
    assert len(preference_pairs(cands)) >= 6  # 2 approved x 3 rejected, at least


def test_the_fit_is_deterministic_and_learns_the_pairs() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 416)).astype(np.float32)
    hidden = rng.normal(size=416)
    order = np.argsort(-(x @ hidden))
    pairs = np.array([(order[i], order[j]) for i in range(4) for j in range(8, 12)], np.int64)
    data = PreferenceData(base=np.zeros(12), x=x, scale=2.0, pairs=pairs, groups=("g",) * 12)
    config = PreferenceConfig(steps=80, seed=1)
    first = fit_taste(data, pairs, np.zeros(416, np.float32), config)
    again = fit_taste(data, pairs, np.zeros(416, np.float32), config)
    assert np.array_equal(first, again)
    s = x @ first
    assert all(s[a] > s[b] for a, b in pairs)


def test_the_shipped_model_is_never_the_output(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="never replaced"):
        default_out(shipped_weights().parent)
    assert default_out(tmp_path / "mine") == tmp_path / "mine" / "chromatic_scorer.onnx"


def test_thirty_reviews_teach_the_hidden_taste(
    runs: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    train, held = runs
    model_dir = tmp_path / "taste"
    args = ["train", "scorer", "--out", str(model_dir)]
    for run in train:
        args += ["--from-reviews", str(run)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "30 candidates" in result.output
    onnx = model_dir / "chromatic_scorer.onnx"
    side = json.loads(onnx.with_suffix(".json").read_text())
    assert side["preferences"]["candidates"] == 30
    assert (
        side["preferences"]["train_accuracy_after"] > side["preferences"]["train_accuracy_before"]
    )
    assert ChromaticScorer.load(onnx).sidecar["version"].endswith("+reviews")

    args = ["eval", "scorer", "--model", str(onnx), "--out", str(tmp_path / "eval")]
    for run in held:
        args += ["--from-reviews", str(run)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "eval" / "scorer_preferences.json").read_text())
    shipped, tuned = report["accuracy"]["shipped"], report["accuracy"][str(onnx)]
    assert report["pairs"] >= 30
    assert tuned >= 0.75 and tuned >= shipped + 0.25, report


def test_runs_without_a_preference_are_one_clear_error(tmp_path: Path) -> None:
    """No verdict in the log nor in review.yml: nothing to learn, said so (exit code 2)."""
    run, _ = reviewed_run(tmp_path, 0, np.random.default_rng(1))
    (run / "decisions.jsonl").unlink()
    review = run / "chords" / "review.yml"
    doc = YAML(typ="safe").load(review.read_text())
    for entry in doc["candidates"]:
        entry["status"], entry["label"] = "pending", None
    with review.open("w") as fh:
        YAML(typ="safe").dump(doc, fh)
    result = CliRunner().invoke(
        app, ["train", "scorer", "--from-reviews", str(run), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2
    assert "0 preference pairs" in result.output
    result = CliRunner().invoke(app, ["train", "scorer", "--from-reviews", str(run)])
    assert result.exit_code == 2 and "--out" in result.output
