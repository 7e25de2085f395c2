"""Mood words to a valence/arousal target: the shipped Russell (1980) anchors, nearest anchor
in the text encoder's space for other words, and the target shown in a run's files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ruamel.yaml import YAML

from agents.runner import start_run
from scoring.emotion.mood import anchors, match_words, mood_target, proposal_mood_target
from tests.agents.run_fixtures import write_proposal


def test_anchor_table_is_the_circumplex_of_the_paper() -> None:
    table = {a.word: (a.valence, a.arousal) for a in anchors()}
    assert table["pleasure"] == pytest.approx((1.0, 0.0))
    assert table["arousal"] == pytest.approx((0.0, 1.0))
    assert table["displeasure"] == pytest.approx((-1.0, 0.0))
    assert table["sleepiness"] == pytest.approx((0.0, -1.0))
    assert table["distress"] == pytest.approx((-math.sqrt(0.5), math.sqrt(0.5)))
    assert table["relaxed"] == table["relaxation"]
    assert len(table) == 16


def test_known_words_need_no_encoder_and_average() -> None:
    target = mood_target(["Excited", "relaxed", "excited"], encoder=None)
    assert target is not None
    assert [m.word for m in target.words] == ["excited", "relaxed"]
    assert target.valence == pytest.approx(math.sqrt(0.5))
    assert target.arousal == pytest.approx(0.0, abs=1e-6)
    assert mood_target([], encoder=None) is None
    with pytest.raises(ValueError, match="tender"):
        match_words(["tender"], encoder=None)


class _Fixed:
    """An encoder with chosen embeddings: one axis per anchor word, and 'gloomy' mostly along
    the axis of 'depressed'."""

    def encode(self, texts: list[str]) -> np.ndarray:
        words = [a.word for a in anchors()]
        rows = np.zeros((len(texts), len(words) + 1), dtype=np.float32)
        for i, t in enumerate(texts):
            if t == "gloomy":
                rows[i, words.index("depressed")] = 0.8
                rows[i, -1] = 0.6
            else:
                rows[i, words.index(t)] = 1.0
        return rows


def test_unknown_word_takes_its_nearest_anchor() -> None:
    (match,) = match_words(["gloomy"], encoder=_Fixed())
    assert match.anchor in {"depressed"}
    assert match.similarity == pytest.approx(0.8, abs=1e-4)
    assert (match.valence, match.arousal) == pytest.approx((-math.sqrt(0.5), -math.sqrt(0.5)))


def test_tender_sleepy_is_calmer_and_gentler_than_driving_angry() -> None:
    calm = proposal_mood_target(["tender", "sleepy"])
    hard = proposal_mood_target(["driving", "angry"])
    assert calm is not None and hard is not None
    assert calm.arousal < -0.5 < 0.0 < hard.arousal
    assert calm.valence > hard.valence
    assert calm.to_dict()["words"]["sleepy"] == "sleepy"
    assert "nearest" in calm.to_dict()["words"]["tender"]


def test_run_shows_the_target_in_proposal_and_review(tmp_path: Path) -> None:
    proposal = write_proposal(tmp_path / "p.yml", mood=["sleepy", "relaxed"])
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path / "runs")
    yaml = YAML(typ="safe")
    copy = yaml.load((outcome.run_dir / "proposal.yml").read_text(encoding="utf-8"))
    review = yaml.load((outcome.run_dir / "chords" / "review.yml").read_text(encoding="utf-8"))
    want = {"valence": pytest.approx(0.354, abs=1e-3), "arousal": pytest.approx(-0.854, abs=1e-3)}
    for shown in (copy["mood_target"], review["mood_target"]):
        assert {k: shown[k] for k in want} == want
        assert shown["words"] == {"sleepy": "sleepy", "relaxed": "relaxed"}
