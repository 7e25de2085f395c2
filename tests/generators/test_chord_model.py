"""The chord-transition model: smoothing maths on tiny payloads, known answers on the shipped
artifact (generators/data/chord_transitions.json, built from real Bach and Billboard data)."""

from __future__ import annotations

import copy
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.chord_model import (
    ALL_TOKENS,
    MODES,
    ChordModelError,
    ChordTransitionModel,
    chord_token,
    parse_token,
)

EMPTY: dict[str, Any] = {
    "start": {},
    "transition": {},
    "cadence": {},
    "unigram": {},
    "duration_beats": {},
}


def _tiny_payload() -> dict[str, Any]:
    major = {
        "start": {"0:maj": 3},
        "transition": {"0:maj": {"7:maj": 3, "5:maj": 1}, "7:maj": {"0:maj": 4}},
        "cadence": {"7:maj>0:maj": 2},
        "unigram": {"0:maj": 5, "7:maj": 4, "5:maj": 1},
        "duration_beats": {"4.0": 10},
        "reference": {"low": -6.0, "high": -1.0},
    }
    pop = copy.deepcopy(major)
    pop["transition"] = {"0:maj": {"5:maj": 4}, "5:maj": {"0:maj": 4}}
    return {
        "version": 1,
        "sources": {
            "bach": {"major": major, "minor": copy.deepcopy(EMPTY)},
            "billboard": {"major": pop},
        },
    }


@pytest.fixture(scope="module")
def shipped() -> ChordTransitionModel:
    return ChordTransitionModel.load()


# ---------------------------------------------------------------------------- tokens
def test_tokens_round_trip_over_the_whole_vocabulary() -> None:
    assert len(ALL_TOKENS) == 60
    for tok in ALL_TOKENS:
        assert chord_token(*parse_token(tok)) == tok


@pytest.mark.parametrize("bad", ["12:maj", "-1:min", "7:dom7", "7", "G:maj", "07:maj", ""])
def test_bad_tokens_are_named(bad: str) -> None:
    with pytest.raises(ChordModelError, match="chord token"):
        parse_token(bad)
    with pytest.raises(ChordModelError, match=repr(bad)):
        ChordTransitionModel.from_payload(_tiny_payload()).transition_prob(bad, "0:maj", "major")


# ---------------------------------------------------------------------------- smoothing maths
def test_rows_are_distributions_with_nothing_impossible() -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload())
    for mode in MODES:
        for prev in (*ALL_TOKENS, None):
            row = model.next_distribution(prev, mode)
            assert math.isclose(sum(row.values()), 1.0, rel_tol=1e-9)
            assert min(row.values()) > 0


def test_seen_transitions_beat_unseen_and_discounting_is_exact() -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload(), blend={"bach": 1.0})
    seen = model.transition_prob("0:maj", "7:maj", "major")
    assert seen > model.transition_prob("0:maj", "5:maj", "major")
    assert model.transition_prob("0:maj", "5:maj", "major") > 10 * model.transition_prob(
        "0:maj", "3:aug", "major"
    )
    # P(7|0) = (3 - 0.75)/4 + (0.75 * 2/4) * P_cont(7); P_cont(7) = (1 + 0.5) / (3 + 0.5 * 60)
    assert math.isclose(seen, 2.25 / 4 + 0.375 * 1.5 / 33, rel_tol=1e-12)
    # An unseen predecessor falls back to the continuation distribution.
    assert math.isclose(model.transition_prob("3:aug", "7:maj", "major"), 1.5 / 33, rel_tol=1e-12)


def test_blend_mixes_sources_and_validates() -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload())
    assert model.blend == {"bach": 0.5, "billboard": 0.5}
    bach = model.with_blend({"bach": 1.0})
    pop = model.with_blend({"billboard": 3})
    assert pop.blend == {"bach": 0.0, "billboard": 1.0}
    p = [m.transition_prob("0:maj", "5:maj", "major") for m in (bach, pop, model)]
    assert p[0] < p[2] < p[1]
    assert math.isclose(p[2], (p[0] + p[1]) / 2, rel_tol=1e-12)
    # Billboard has no minor data: a minor query uses Bach alone, which has none either -> uniform.
    assert math.isclose(pop.transition_prob("0:min", "7:maj", "minor"), 1 / 60)
    for bad in ({"jazz": 1.0}, {"bach": -1.0}, {"bach": 0.0}, {"bach": math.nan}):
        with pytest.raises(ChordModelError, match="blend"):
            model.with_blend(bad)


def test_start_and_cadence_are_distributions() -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload())
    starts = [model.start_prob(t, "major") for t in ALL_TOKENS]
    assert math.isclose(sum(starts), 1.0, rel_tol=1e-9)
    assert max(ALL_TOKENS, key=lambda t: model.start_prob(t, "major")) == "0:maj"
    total = sum(model.cadence_prob(a, b, "major") for a in ALL_TOKENS for b in ALL_TOKENS)
    assert math.isclose(total, 1.0, rel_tol=1e-9)
    assert model.cadence_prob("7:maj", "0:maj", "major") > model.cadence_prob(
        "0:maj", "7:maj", "major"
    )


def test_likelihood_merges_repeats_and_maps_through_the_reference() -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload(), blend={"bach": 1.0})
    a = model.mean_log_likelihood(["0:maj", "0:maj", "7:maj", "0:maj"], "major")
    b = model.mean_log_likelihood(["0:maj", "7:maj", "0:maj"], "major")
    assert a == b
    expected = (
        math.log(model.start_prob("0:maj", "major"))
        + math.log(model.transition_prob("0:maj", "7:maj", "major"))
        + math.log(model.transition_prob("7:maj", "0:maj", "major"))
    ) / 3
    assert math.isclose(b, expected, rel_tol=1e-12)
    assert math.isclose(model.normalized_likelihood(["0:maj", "7:maj"], "major"), 1.0)
    odd = ["1:aug", "6:dim", "11:sus"]
    mapped = (model.mean_log_likelihood(odd, "major") + 6.0) / 5.0  # reference (-6, -1)
    assert 0.0 < mapped < 1.0
    assert math.isclose(model.normalized_likelihood(odd, "major"), mapped, rel_tol=1e-12)
    with pytest.raises(ChordModelError, match="at least one"):
        model.mean_log_likelihood([], "major")
    with pytest.raises(ChordModelError, match="mode: 'dorian'"):
        model.mean_log_likelihood(["0:maj"], "dorian")


def test_missing_reference_is_reported() -> None:
    payload = _tiny_payload()
    del payload["sources"]["bach"]["major"]["reference"]
    model = ChordTransitionModel.from_payload(payload, origin="x.json")
    with pytest.raises(ChordModelError, match=r"x\.json: reference of major mode missing"):
        model.normalized_likelihood(["0:maj"], "major")


# ---------------------------------------------------------------------------- files and errors
def test_save_load_equal(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_tiny_payload()))
    loaded = ChordTransitionModel.load(path, blend={"bach": 2, "billboard": 1})
    direct = ChordTransitionModel.from_payload(_tiny_payload(), blend={"bach": 2, "billboard": 1})
    for prev in ALL_TOKENS[:10]:
        assert loaded.next_distribution(prev, "major") == direct.next_distribution(prev, "major")
    assert loaded.vocabulary("major") == ("0:maj", "5:maj", "7:maj")


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ChordModelError, match=r"nope\.json: cannot read"):
        ChordTransitionModel.load(missing)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"version": 1, "sources": ')
    with pytest.raises(ChordModelError, match=r"corrupt\.json: not valid JSON"):
        ChordTransitionModel.load(corrupt)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"version": 2}, "version: 2"),
        ({"sources": {}}, "sources: {}"),
        ({"sources": {"bach": {"lydian": EMPTY}}}, "modes"),
        ({"sources": {"bach": {"major": {"start": {}}}}}, "sources.bach.major: missing"),
        ({"sources": {"bach": {"major": {**EMPTY, "unigram": {"0:maj": -1}}}}}, "unigram.0:maj"),
        ({"sources": {"bach": {"major": {**EMPTY, "start": {"V": 1}}}}}, "major.start: 'V'"),
        ({"sources": {"bach": {"major": {**EMPTY, "cadence": {"0:maj": 1}}}}}, "cadence"),
    ]
    for patch, message in cases:
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"version": 1, **patch}))
        with pytest.raises(ChordModelError, match=message):
            ChordTransitionModel.load(bad)


# ---------------------------------------------------------------------------- sampling
def test_sampling_is_reproducible_and_respects_temperature() -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload())

    def run(seed: int, temperature: float) -> list[str]:
        rng = np.random.default_rng(seed)
        seq: list[str] = []
        prev: str | None = None
        for _ in range(16):
            prev = model.sample_next(prev, "major", rng, temperature=temperature)
            seq.append(prev)
        return seq

    assert run(7, 1.0) == run(7, 1.0)
    cold = run(3, 0.05)
    assert set(cold) <= {"0:maj", "5:maj", "7:maj"}
    with pytest.raises(ChordModelError, match="temperature"):
        model.sample_next(None, "major", np.random.default_rng(0), temperature=0.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(ALL_TOKENS), min_size=1, max_size=12), st.sampled_from(MODES))
def test_scores_stay_in_range(tokens: list[str], mode: str) -> None:
    model = ChordTransitionModel.from_payload(_tiny_payload())
    assert model.mean_log_likelihood(tokens, mode) < 0
    assert 0.0 <= model.normalized_likelihood(tokens, mode) <= 1.0


# ---------------------------------------------------------------------------- shipped artifact
def test_shipped_artifact_is_small_and_credits_its_sources(shipped: ChordTransitionModel) -> None:
    resource = resources.files("generators.data").joinpath("chord_transitions.json")
    assert len(resource.read_bytes()) < 300_000
    built = shipped.built_from
    assert built["bach"]["pieces"] == 371
    assert built["billboard"]["songs"] > 600
    assert built["bach"]["chords"] > 10_000 and built["billboard"]["chords"] > 40_000
    assert "CC BY-SA" in built["bach"]["source"] and "CC0" in built["billboard"]["source"]
    assert shipped.sources == ("bach", "billboard")


@pytest.mark.parametrize("blend", [None, {"bach": 1.0}, {"billboard": 1.0}])
def test_dominant_resolves_to_tonic(shipped: ChordTransitionModel, blend: Any) -> None:
    model = shipped if blend is None else shipped.with_blend(blend)
    major = model.next_distribution("7:maj", "major")
    assert "0:maj" in sorted(major, key=major.__getitem__, reverse=True)[:3]
    minor = model.next_distribution("7:maj", "minor")
    assert "0:min" in sorted(minor, key=minor.__getitem__, reverse=True)[:3]


def test_real_progressions_beat_random_ones(shipped: ChordTransitionModel) -> None:
    real = [
        ["2:min", "7:maj", "0:maj"],
        ["0:maj", "5:maj", "7:maj", "0:maj"],
        ["0:maj", "9:min", "5:maj", "7:maj"],
    ]
    chromatic = ["1:aug", "6:dim", "11:maj", "3:aug"]
    for blend in ({"bach": 0.5, "billboard": 0.5}, {"bach": 1.0}, {"billboard": 1.0}):
        model = shipped.with_blend(blend)
        noise = model.normalized_likelihood(chromatic, "major")
        assert noise < 0.3
        for seq in real:
            assert model.normalized_likelihood(seq, "major") > max(0.6, noise)
    minor = ["0:min", "5:min", "7:maj", "0:min"]
    assert shipped.normalized_likelihood(minor, "minor") > 0.6
    assert shipped.normalized_likelihood(minor, "minor") > shipped.normalized_likelihood(
        minor, "major"
    )


def test_shipped_rows_sum_to_one_and_blend_moves_style(shipped: ChordTransitionModel) -> None:
    for mode in MODES:
        for prev in ALL_TOKENS:
            assert math.isclose(sum(shipped.next_distribution(prev, mode).values()), 1.0)
    bach, pop = shipped.with_blend({"bach": 1}), shipped.with_blend({"billboard": 1})
    # Rock's bVII -> I and plagal IV -> I are far commoner in Billboard than in chorales.
    assert pop.transition_prob("10:maj", "0:maj", "major") > bach.transition_prob(
        "10:maj", "0:maj", "major"
    )
    assert pop.transition_prob("5:maj", "0:maj", "major") > bach.transition_prob(
        "5:maj", "0:maj", "major"
    )
    assert "0:maj" in shipped.vocabulary("major") and "7:maj" in shipped.vocabulary("minor")
    assert list(shipped.vocabulary("major")) == sorted(shipped.vocabulary("major"))


def test_shipped_sampling_same_seed_same_progression(shipped: ChordTransitionModel) -> None:
    def progression(seed: int) -> list[str]:
        rng = np.random.default_rng(seed)
        out: list[str] = []
        prev: str | None = None
        for _ in range(8):
            prev = shipped.sample_next(prev, "minor", rng)
            out.append(prev)
        return out

    assert progression(11) == progression(11)
    assert len({tuple(progression(s)) for s in range(5)}) > 1
