"""Style fit: the band curve, the shipped profiles, and which profile a song is held to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from music.errors import InputError
from scoring.style.fit import RESOLUTION, band_fit, group_fits, metric_fits
from scoring.style.profile import (
    PARTS,
    QUANTILES,
    Band,
    parse_profiles,
    read_profiles,
    shipped_profiles,
    tempo_band,
)
from scoring.style.select import SongStyle, lookup_order, song_profile, style_ranking

BAND = Band((1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0))


def test_the_curve_peaks_at_the_median_and_falls_outside() -> None:
    assert band_fit(4.0, BAND) == 1.0
    assert band_fit(3.0, BAND) == pytest.approx(0.9) and band_fit(5.0, BAND) == pytest.approx(0.9)
    # no plateau: two typical values at different places of the range score differently
    assert band_fit(3.5, BAND) == pytest.approx(0.95) and band_fit(4.5, BAND) == pytest.approx(0.95)
    assert band_fit(3.2, BAND) < band_fit(3.5, BAND) < band_fit(4.0, BAND)
    assert band_fit(2.0, BAND) == pytest.approx(0.75) and band_fit(6.0, BAND) == pytest.approx(0.75)
    assert band_fit(1.0, BAND) == pytest.approx(0.5) and band_fit(7.0, BAND) == pytest.approx(0.5)
    # beyond the 5th/95th percentile the fit halves every (p25 - p5) / 2
    assert band_fit(0.0, BAND) == pytest.approx(0.25)
    assert band_fit(9.0, BAND) == pytest.approx(0.125)
    with pytest.raises(ValueError, match="nan"):
        band_fit(float("nan"), BAND)


bands = st.lists(
    st.floats(-100, 100, allow_nan=False), min_size=len(QUANTILES), max_size=len(QUANTILES)
).map(lambda v: Band(tuple(sorted(v))))


@given(band=bands, beyond=st.floats(0.01, 1000), res=st.sampled_from([0.01, 0.05, 1.0]))
def test_an_extreme_never_scores_as_well_as_the_typical_range(
    band: Band, beyond: float, res: float
) -> None:
    typical = band_fit(band.at(50), band, resolution=res)
    assert typical == 1.0
    # a degenerate band is widened by up to 2.5 resolutions; beyond that the fit is below 0.5
    low, high = band.at(5) - beyond - 2.5 * res, band.at(95) + beyond + 2.5 * res
    assert band_fit(low, band, resolution=res) < 0.5 < typical
    assert band_fit(high, band, resolution=res) < 0.5 < typical
    # and further out is never better
    assert band_fit(low - 1.0, band, resolution=res) <= band_fit(low, band, resolution=res)
    assert band_fit(high + 1.0, band, resolution=res) <= band_fit(high, band, resolution=res)


def test_a_degenerate_band_still_leaves_room_for_a_small_difference() -> None:
    zeros = Band((0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.2))  # most songs never leave the key
    assert band_fit(0.0, zeros) == 1.0
    assert 0.5 < band_fit(0.04, zeros) < 1.0  # one borrowed chord costs a little
    assert band_fit(0.6, zeros) < 0.1


@pytest.mark.parametrize("part", PARTS)
def test_shipped_profiles_hold_every_metric_and_punish_both_extremes(part: str) -> None:
    profiles = shipped_profiles(part)
    pooled = profiles.get("any|any|any")
    assert pooled is not None and pooled.windows >= 40
    for metric, band in pooled.bands:
        res = RESOLUTION.get(metric, 0.05)
        width = band.at(95) - band.at(5) + res
        mid = band_fit(band.at(50), band, resolution=res)
        assert band_fit(band.at(5) - width, band, resolution=res) < mid, metric
        assert band_fit(band.at(95) + width, band, resolution=res) < mid, metric
    values = {m: band.at(50) for m, band in pooled.bands}
    fits = metric_fits(values, pooled)
    assert set(fits) == set(pooled.metrics) and min(fits.values()) == 1.0


def test_groups_average_their_metrics_and_skip_empty_groups() -> None:
    got = group_fits({"a": 1.0, "b": 0.5}, [("ab", ("a", "b")), ("c", ("c",))])
    assert got == {"ab": 0.75}


def payload(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format_version": 1,
        "part": "drums",
        "quantiles": list(QUANTILES),
        "profiles": {
            "any|any|any": {"windows": 50, "songs": 5, "bands": {"hits_per_qn": list(BAND.values)}},
            "rock|4/4|mid": {"windows": 40, "songs": 4, "bands": {"hits_per_qn": [1] * 7}},
        },
    }
    data.update(changes)
    return data


def test_profiles_round_trip_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "style_drums.json"
    path.write_text(json.dumps(payload()))
    got = read_profiles(path)
    assert got.styles == ("rock",)
    prof = got.get("any|any|any")
    assert prof is not None and prof.band("hits_per_qn") == BAND


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"format_version": 9}, "format_version"),
        ({"part": "vocals"}, "part"),
        ({"quantiles": [5, 50, 95]}, "quantiles"),
        ({"profiles": {"rock|4/4|mid": {"windows": 1, "songs": 1, "bands": {}}}}, "profiles"),
        (
            {"profiles": {"any|any|any": {"windows": 5, "songs": 1, "bands": {"x": [3, 2, 1]}}}},
            "profiles.any|any|any.bands.x",
        ),
    ],
)
def test_a_bad_profile_file_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_profiles(payload(**changes), origin="style_drums.json")
    assert info.value.field == field and "style_drums.json" in str(info.value)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "style_melody.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"style_melody\.json"):
        read_profiles(bad)


def test_words_choose_the_corpus_style() -> None:
    assert style_ranking(["post-rock", "electronic"], ["dreamy"])[:2] == ["rock", "hiphop"]
    assert style_ranking(["Funk", "disco"], ["groovy"])[0] == "funk"
    assert style_ranking(["jazz", "folk"], [])[0] == "jazz"
    assert style_ranking(["ambient"], ["eerie"]) == []


def test_tempo_bands() -> None:
    assert [tempo_band(b) for b in (60, 90, 129.9, 130)] == ["slow", "mid", "mid", "fast"]
    with pytest.raises(ValueError, match="bpm"):
        tempo_band(0)


def test_the_profile_falls_back_from_the_specific_to_the_pooled() -> None:
    assert lookup_order("rock", "7/8", "fast")[:3] == (
        "rock|7/8|fast",
        "rock|7/8|any",
        "any|7/8|fast",
    )
    assert lookup_order("rock", "7/8", "fast")[-1] == "any|any|any"
    drums = shipped_profiles("drums")
    rock = SongStyle(genres=("rock",), bpm=110, meter="4/4").profile(drums)
    assert rock.key == "rock|4/4|mid"
    odd = SongStyle(genres=("rock",), bpm=110, meter="7/8").profile(drums)
    assert odd.key.startswith("rock|any|")  # no 7/8 in Groove: the style over every meter
    nothing = SongStyle(genres=("ambient",), bpm=60, meter="7/8").profile(drums)
    assert nothing.key in ("any|any|slow", "any|any|any")


def test_every_part_ships_a_profile_file() -> None:
    for part in PARTS:
        assert shipped_profiles(part).part == part


def test_the_bass_profile_holds_only_chorale_like_songs() -> None:
    hymn = song_profile("bass", genres=["hymn"], mood=[], bpm=70, meter="3/4")
    assert hymn is not None and hymn.key == "chorale|3/4|any"
    assert song_profile("bass", genres=["rock"], mood=[], bpm=120, meter="4/4") is None
    pooled = song_profile("drums", genres=["ambient"], mood=[], bpm=120, meter="4/4")
    assert pooled is not None and pooled.key.startswith("any|4/4|")


def test_a_named_style_can_come_before_the_meter() -> None:
    from scoring.style.profile import shipped_profiles
    from scoring.style.select import style_profile

    drums = shipped_profiles("drums")
    assert style_profile(drums, "jazz", 132, "3/4").key.startswith("any|3/4|")
    assert style_profile(drums, "jazz", 132, "3/4", style_first=True).key.startswith("jazz|any|")
    assert style_profile(drums, "jazz", 100, "4/4", style_first=True).key == "jazz|4/4|mid"
    assert style_profile(drums, "polka", 132, "3/4", style_first=True).key.startswith("any|3/4|")
