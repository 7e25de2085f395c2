"""The ChromaticScorer inside the real agent: through ``start_run`` (the real graph, chord
model, theory scorers, evolution and the shipped ONNX scorer), color and concept change which
progression wins, review.yml carries real chromatic numbers that discriminate, and bad inputs
fail ``chromatic run`` with exit code 2 and a message naming what to fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from agents.builder import SCORER_SETTING as SCORER_ENV
from agents.runner import start_run
from cli.app import app

# Small, but large enough that the scorer (70% of the composite) decides between real options.
EVOLUTION = {"population_size": 24, "generations": 6, "top_n": 10}
OTHER_CONCEPT = (
    "A brass band marching through a sunlit square at noon, children running ahead, "
    "everyone dancing and shouting the chorus."
)


def _review(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((run_dir / "chords" / "review.yml").read_text())
    return data


def _run(make: Callable[..., Path], out: Path, name: str, **overrides: object) -> dict[str, Any]:
    proposal = make(name=name, evolution=EVOLUTION, **overrides)
    outcome = start_run(proposal_path=proposal, out_dir=out)
    assert outcome.status == "awaiting_review"
    return _review(outcome.run_dir)


def _progression(candidate: dict[str, Any]) -> tuple[str, str]:
    """What the person reads as the part: roman numerals and chord names, bar by bar."""
    return candidate["description"]["progression"], candidate["description"]["chords"]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("runs")

    def make(name: str, **overrides: object) -> Path:
        data: dict[str, object] = {
            "title": name.replace("_", " ").title(),
            "concept": "A lamp left burning in an empty house, waiting for someone to return.",
            "color": "Blue",
            "key": "A minor",
            "bpm": 90,
            "time_signature": "4/4",
            "mood": ["melancholic", "wistful"],
            "genres": ["folk rock"],
            "sections": [{"name": "verse", "bars": 8}, {"name": "chorus", "bars": 4}],
            "seed": 3,
        }
        data.update(overrides)
        path = root / f"{name}.yml"
        with path.open("w", encoding="utf-8") as fh:
            YAML(typ="safe").dump(data, fh)
        return path

    return {
        "base": _run(make, root / "out", "base"),
        # Blue is present/person/forgotten; Yellow shares no mode with it.
        "color": _run(make, root / "out", "other_color", color="Yellow"),
        "concept": _run(make, root / "out", "other_concept", concept=OTHER_CONCEPT),
        "again": _run(make, root / "again", "base"),
    }


def test_color_and_concept_each_change_the_top_progression(
    reviews: dict[str, dict[str, Any]],
) -> None:
    top = {name: _progression(r["candidates"][0]) for name, r in reviews.items()}
    assert top["base"] != top["color"]
    assert top["base"] != top["concept"]
    # ... and not by chance: the same proposal and seed give the same winner.
    assert top["base"] == top["again"]


def test_review_shows_real_chromatic_numbers(reviews: dict[str, dict[str, Any]]) -> None:
    for review in reviews.values():
        assert review["chromatic_scorer"] == "active"
        for cand in review["candidates"]:
            chroma = cand["scores"]["chromatic"]
            for axis in ("temporal", "spatial", "ontological"):
                assert sum(chroma[axis].values()) == pytest.approx(1.0, abs=2e-3)
                assert len(chroma[axis]) == 3
            assert 0.0 <= chroma["confidence"] <= 1.0
            assert 0.0 < chroma["match"] < 1.0


def test_match_discriminates_across_the_top_ten(reviews: dict[str, dict[str, Any]]) -> None:
    for review in reviews.values():
        matches = [c["scores"]["chromatic"]["match"] for c in review["candidates"][:10]]
        assert len(matches) == 10
        # The original system's top ten differed by <= 0.0005; ours by at least 10x that.
        assert max(matches) - min(matches) > 0.005


def test_a_one_word_concept_fails_the_run_naming_the_field(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal(name="one_word", concept="ominous")
    result = CliRunner().invoke(app, ["run", str(proposal), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "concept" in message and "ominous" in message and "at least 3 words" in message
    assert "one_word" in message  # names the file
    assert not (tmp_path / "runs").exists()  # refused before any folder was made
    assert "Traceback" not in result.output


def test_a_missing_scorer_model_fails_the_run_naming_the_file(
    make_proposal: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "models" / "nowhere.onnx"
    monkeypatch.setenv(SCORER_ENV, str(missing))
    proposal = make_proposal(name="no_model")
    result = CliRunner().invoke(app, ["run", str(proposal), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert str(missing) in message and f"{SCORER_ENV}=" in message and "not found" in message
    assert "Traceback" not in result.output
