"""A matrix of small proposals (jazz, folk, rock, electronic, ambient, hip-hop, half-time, bossa,
reggae; 4/4, 3/4, 6/8, 5/4, 7/8) runs its chords and drums phases (a small population) with the
real generators and scorers, and the drums phase's best candidate is checked on its MIDI, not on
its style label: jazz swings (off-beat 8ths late, towards the triplet) on the ride with the
hi-hat's foot on the backbeat, brushes tap the snare softly and swing, electronic keeps the
kick on every pulse, ambient stays sparse, hip-hop and rock put the snare on the backbeat and
half-time on the bar's middle, the reggae one-drop puts the kick there, bossa plays the
cross-stick. The cases are :data:`bench.genre_drums.CASES` (the bench prints the same measures
against Groove's profiles)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.genre_drums import CASES, DrumResult, idiom, run_case
from music.meter import Meter
from scoring.metrics import drum_idiom as di

EVOLUTION = {"population_size": 8, "generations": 1, "top_n": 2}
_RESULTS: dict[str, DrumResult] = {}


def result_of(name: str, tmp_path_factory: pytest.TempPathFactory) -> DrumResult:
    if name not in _RESULTS:
        case = next(c for c in CASES if c.name == name)
        folder = tmp_path_factory.mktemp(name.replace("/", "-"))
        _RESULTS[name] = run_case(case, Path(folder) / "run", EVOLUTION)
    return _RESULTS[name]


def test_the_matrix_covers_the_genres_and_meters() -> None:
    genres = {g for c in CASES for g in c.genres}
    assert {"jazz", "folk", "rock", "electronic", "ambient", "hip-hop"} <= genres
    assert {"4/4", "3/4", "6/8", "5/4", "7/8"} <= {c.meter for c in CASES}


@pytest.mark.parametrize("name", ["jazz-4/4", "jazz-5/4", "jazz-3/4"])
def test_jazz_swings_on_the_ride(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of(name, tmp_path_factory)
    m = idiom(r)
    # Held to Groove's jazz, in 3/4 and 5/4 too (Groove has few beats in those meters).
    assert r.styles[0] == "swing" and r.profile is not None and r.profile.startswith("jazz|")
    # Off-beat 8ths between straight (0.5) and the triplet (0.667); Groove's jazz: 0.59. The
    # style fit's timing_ms is measured off the 16th grid, where a swung 8th counts as
    # deviation, so evolution can pull the ride's off-beat towards straight (0.566 in 3/4 at
    # 132 bpm): still swung, clearly apart from straight.
    assert 0.55 <= m["offbeat_position"] <= 0.68
    assert m["ride_share"] >= 0.3
    foot = di.backbeat(r.onset_qn, r.pitch, r.velocity, Meter.parse(r.case.meter), r.bars, (44,), 1)
    assert foot["on_backbeat"] >= 0.8


def test_brushes_tap_the_snare_softly_and_swing(tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of("jazz-brushes-5/4", tmp_path_factory)
    m = idiom(r)
    assert r.styles[0] == "brushes"
    assert m["snare_share"] >= 0.5 and m["ride_share"] == 0.0
    assert m["snare_offbeat_position"] >= 0.56
    assert float(np.mean(r.velocity)) < 70


@pytest.mark.parametrize("name", ["electronic-4/4", "electronic-7/8"])
def test_electronic_keeps_four_on_the_floor(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    r = result_of(name, tmp_path_factory)
    assert r.profile is not None and r.profile.startswith("dance|")
    assert idiom(r)["kick_pulse_coverage"] >= 0.85


@pytest.mark.parametrize("name", ["ambient-6/8", "ambient-4/4"])
def test_ambient_is_sparse(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of(name, tmp_path_factory)
    rock = idiom(result_of("rock-4/4", tmp_path_factory))
    assert idiom(r)["hits_per_qn"] <= 2.0 < rock["hits_per_qn"]


@pytest.mark.parametrize("name", ["hip-hop-4/4", "hip-hop-5/4", "rock-4/4", "rock-7/8"])
def test_backbeat_styles_put_the_snare_on_the_backbeat(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    r = result_of(name, tmp_path_factory)
    m = idiom(r)
    assert m["on_backbeat"] >= 0.75
    if r.case.meter == "4/4":  # straight 8ths, unlike the jazz ride
        assert m["offbeat_position"] <= 0.54
    # A kick on the downbeat in at least half the bars: in Groove's own 4/4 rock performances
    # the share of bars with one has median 0.83 but lower quartile 0.33 (hip-hop: 0.51 and
    # 0.27), so a stricter floor would fail a quarter of real rock drummers.
    assert _downbeat_kicks(r) >= 0.5


def _downbeat_kicks(r: DrumResult) -> float:
    """Share of the bars whose downbeat has a kick."""
    bar_qn = Meter.parse(r.case.meter).bar_qn
    kicks = r.onset_qn[np.isin(r.pitch, di.KICKS)]
    return float(
        np.mean([np.any(np.abs(kicks - b * bar_qn) <= di.ON_PULSE_QN) for b in range(r.bars)])
    )


def test_half_time_puts_the_snare_on_the_middle(tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of("half-time-4/4", tmp_path_factory)
    assert r.styles[0] == "half-time"
    assert idiom(r)["on_middle"] >= 0.75


def test_reggae_drops_the_kick_on_the_middle(tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of("reggae-4/4", tmp_path_factory)
    kicks = di.backbeat(r.onset_qn, r.pitch, r.velocity, Meter(4, 4), r.bars, di.KICKS, 1)
    assert kicks["on_middle"] >= 0.75
    assert r.profile is not None and r.profile.startswith("reggae|")


def test_bossa_plays_the_cross_stick(tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of("bossa-4/4", tmp_path_factory)
    assert int(np.sum(r.pitch == 37)) >= 2 * r.bars
    assert idiom(r)["offbeat_position"] <= 0.56
    assert r.profile is not None and r.profile.startswith("latin|")


@pytest.mark.parametrize("name", ["folk-3/4", "folk-6/8"])
def test_folk_plays_in_its_meter(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    r = result_of(name, tmp_path_factory)
    meter = Meter.parse(r.case.meter)
    assert r.styles[0] == "shuffle"
    assert float(r.onset_qn.max()) < r.bars * meter.bar_qn
    assert idiom(r)["on_backbeat"] >= 0.75
    if meter.denominator == 4:
        assert idiom(r)["offbeat_position"] >= 0.56
