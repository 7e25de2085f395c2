"""The original system's proposal format, exactly as its files are shaped: tempo as the meter,
key and color mappings, one-letter colors, iterations files, and the errors for what is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.errors import ProposalError
from agents.proposal import (
    load_proposal,
    proposal_from_dict,
    proposal_to_dict,
    read_proposal_file,
)
from music.keys import Key
from music.meter import Meter

ORIGINAL = Path(__file__).resolve().parents[1] / "fixtures" / "proposals-original"


def _iteration(**changes: Any) -> dict[str, Any]:
    """One SongProposalIteration in the original's shape."""
    data: dict[str, Any] = {
        "iteration_id": "test_v1",
        "bpm": 100,
        "tempo": "4/4",
        "key": "A minor",
        "rainbow_color": "Blue",
        "title": "Test Song",
        "mood": ["wistful"],
        "genres": ["folk"],
        "concept": "A short concept about a house by the sea.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("name", "meter", "key", "bpm", "color"),
    [
        ("lantern_iteration.yml", Meter(7, 8), Key(1, "minor"), 118, "Indigo"),
        ("tidewater_proposal.yml", Meter(3, 4), Key(11, "minor"), 76, "Green"),
        ("ember_mnemonic.yml", Meter(4, 4), Key(6, "minor"), 96, "Red"),
        ("quarry_time_sig.yml", Meter(5, 4), Key(3, "major"), 70, "Black"),
        ("orchard_six_four.yml", Meter(6, 4), Key(7, "major"), 100, "Yellow"),
        ("salt_harmonic_minor.yml", Meter(3, 4), Key(9, "harmonic_minor"), 84, "Blue"),
        ("stair_melodic_minor.yml", Meter(4, 4), Key(2, "melodic_minor"), 92, "Violet"),
    ],
)
def test_original_files_read_with_their_meter_key_bpm_and_color(
    name: str, meter: Meter, key: Key, bpm: float, color: str
) -> None:
    p = load_proposal(ORIGINAL / name)
    assert (p.meter, p.key, p.bpm, p.color) == (meter, key, bpm, color)
    # The normalised form is this project's, and reads back equal.
    d = proposal_to_dict(p)
    assert "tempo" not in d and "rainbow_color" not in d and "time_sig" not in d
    assert proposal_from_dict(d) == p


def test_the_original_fields_are_kept_where_useful() -> None:
    p = load_proposal(ORIGINAL / "salt_harmonic_minor.yml")
    assert p.singer == "Remez" and p.iteration_id == "salt_cathedral_v4"
    assert proposal_to_dict(p)["key"] == "A harmonic minor"


def test_the_impossible_meter_is_refused_naming_the_allowed_denominators() -> None:
    path = ORIGINAL / "impossible_meter.yml"
    with pytest.raises(ProposalError) as info:
        load_proposal(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: tempo: '18/21' -- ")
    assert "1, 2, 4, 8, 16" in message and "(not 21)" in message


@pytest.mark.parametrize(
    ("tempo", "meter"),
    [
        ("6/4", Meter(6, 4)),
        ({"numerator": 7, "denominator": 8}, Meter(7, 8)),
        (" 12 / 8", Meter(12, 8)),
    ],
)
def test_tempo_is_the_meter_and_bpm_the_bpm(tempo: object, meter: Meter) -> None:
    p = proposal_from_dict(_iteration(tempo=tempo, bpm=132))
    assert p.meter == meter and p.bpm == 132


def test_a_bare_number_in_tempo_without_bpm_is_the_bpm() -> None:
    assert proposal_from_dict(_iteration(tempo=110, bpm=None)).bpm == 110
    assert proposal_from_dict(_iteration(tempo="110 bpm", bpm=None)).meter == Meter(4, 4)


def test_a_meter_in_tempo_with_no_bpm_says_bpm_is_missing() -> None:
    with pytest.raises(ProposalError, match=r"bpm: <missing> -- required"):
        proposal_from_dict(_iteration(bpm=None))


def test_time_sig_and_tempo_must_agree() -> None:
    assert proposal_from_dict(_iteration(time_sig="3/4", tempo="3/4")).meter == Meter(3, 4)
    with pytest.raises(ProposalError, match=r"tempo: '4/4' -- the same as time_sig"):
        proposal_from_dict(_iteration(time_sig="3/4", tempo="4/4"))


def test_a_tempo_that_is_neither_says_what_tempo_is() -> None:
    with pytest.raises(ProposalError) as info:
        proposal_from_dict(_iteration(tempo="fast", bpm=None))
    assert "tempo: 'fast' -- the meter (in the original format tempo is the time signature)" in (
        str(info.value)
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            {"note": {"pitch_name": "F", "accidental": "sharp"}, "mode": {"name": "minor"}},
            Key(6, "minor"),
        ),
        ({"note": {"pitch_name": "B", "accidental": "flat"}, "mode": {"name": "major"}}, Key(10)),
        (
            {"note": {"pitch_name": "E", "accidental": "♭"}, "mode": {"name": "dorian"}},
            Key(3, "dorian"),
        ),
        (
            {"note": {"pitch_name": "c", "accidental": None}, "mode": {"name": "melodic_minor"}},
            Key(0, "melodic_minor"),
        ),
        (
            {
                "note": {"pitch_name": "G", "accidental": "natural"},
                "mode": {"name": "Harmonic Minor"},
            },
            Key(7, "harmonic_minor"),
        ),
        ({"note": "D", "mode": "mixolydian"}, Key(2, "mixolydian")),
        ("F# minor", Key(6, "minor")),
    ],
)
def test_key_as_string_or_mapping(key: object, expected: Key) -> None:
    assert proposal_from_dict(_iteration(key=key)).key == expected


@pytest.mark.parametrize(
    ("key", "field", "value"),
    [
        (
            {"note": {"pitch_name": "H", "accidental": "sharp"}, "mode": {"name": "minor"}},
            "key.note.pitch_name",
            "'H'",
        ),
        (
            {"note": {"pitch_name": "F", "accidental": "sharpish"}, "mode": {"name": "minor"}},
            "key.note.accidental",
            "'sharpish'",
        ),
        (
            {"note": {"pitch_name": "F", "accidental": "sharp"}, "mode": {"name": "blues"}},
            "key",
            "{'note'",
        ),
    ],
)
def test_bad_key_mapping_names_the_part(key: object, field: str, value: str) -> None:
    with pytest.raises(ProposalError) as info:
        proposal_from_dict(_iteration(key=key), file="song.yml")
    assert str(info.value).startswith(f"song.yml: {field}: {value}")


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ("Z", "Black"),
        ("A", "White"),
        ("I", "Indigo"),
        ("o", "Orange"),
        ({"mnemonic_character_value": "G"}, "Green"),
        (
            {
                "color_name": "Violet",
                "hex_value": 9371903,
                "mnemonic_character_value": "V",
                "temporal_mode": "Present",
                "ontological_mode": ["Known"],
                "objectional_mode": "Person",
            },
            "Violet",
        ),
    ],
)
def test_rainbow_color_as_name_letter_or_mapping(color: object, expected: str) -> None:
    assert proposal_from_dict(_iteration(rainbow_color=color)).color == expected


def test_a_bad_color_letter_lists_the_letters() -> None:
    with pytest.raises(ProposalError) as info:
        proposal_from_dict(_iteration(rainbow_color="X"))
    message = str(info.value)
    assert "rainbow_color: 'X' -- " in message and "Z Black" in message and "A White" in message


# ---- iterations -----------------------------------------------------------------------------


def test_without_iteration_the_final_one_is_chosen_else_the_last(tmp_path: Path) -> None:
    source = read_proposal_file(ORIGINAL / "tidewater_proposal.yml")
    assert source.ids == ("tidewater_almanac_v1", "tidewater_almanac_v2", "tidewater_almanac_v3")
    assert source.select() == 2  # the one with is_final: true
    assert load_proposal(ORIGINAL / "tidewater_proposal.yml").bpm == 76
    text = (ORIGINAL / "tidewater_proposal.yml").read_text(encoding="utf-8")
    moved = text.replace("is_final: true", "is_final: false").replace(
        "  is_final: false\n- iteration_id: tidewater_almanac_v2",
        "  is_final: true\n- iteration_id: tidewater_almanac_v2",
        1,
    )
    path = tmp_path / "moved.yml"
    path.write_text(moved, encoding="utf-8")
    assert read_proposal_file(path).select() == 0
    none_final = tmp_path / "none.yml"
    none_final.write_text(text.replace("is_final: true", "is_final: false"), encoding="utf-8")
    assert read_proposal_file(none_final).select() == 2  # the last


def test_iteration_by_id_or_number() -> None:
    path = ORIGINAL / "tidewater_proposal.yml"
    assert load_proposal(path, iteration="tidewater_almanac_v2").meter == Meter(6, 8)
    assert load_proposal(path, iteration="1").meter == Meter(4, 4)


def test_a_wrong_iteration_lists_the_ids_there_are() -> None:
    path = ORIGINAL / "tidewater_proposal.yml"
    with pytest.raises(ProposalError) as info:
        load_proposal(path, iteration="tidewater_almanac_v9")
    message = str(info.value)
    assert message.startswith(f"{path}: --iteration: 'tidewater_almanac_v9' -- ")
    assert "tidewater_almanac_v1, tidewater_almanac_v2, tidewater_almanac_v3" in message


def test_run_folders_of_iterations_do_not_collide() -> None:
    source = read_proposal_file(ORIGINAL / "tidewater_proposal.yml")
    names = [source.run_name(i, source.proposal(i)) for i in range(3)]
    assert names == ["tidewater-almanac-v1", "tidewater-almanac-v2", "tidewater-almanac-v3"]
    single = read_proposal_file(ORIGINAL / "lantern_iteration.yml")
    assert single.run_name(0, single.proposal(0)) == "paper-lantern-procession"


def test_an_error_in_an_iteration_names_it(tmp_path: Path) -> None:
    text = (ORIGINAL / "tidewater_proposal.yml").read_text(encoding="utf-8")
    path = tmp_path / "bad.yml"
    path.write_text(text.replace("tempo: 6/8", "tempo: 6/7"), encoding="utf-8")
    with pytest.raises(ProposalError) as info:
        load_proposal(path, iteration="tidewater_almanac_v2")
    assert str(info.value).startswith(f"{path}: iterations[1].tempo: '6/7' -- ")
    assert load_proposal(path).bpm == 76  # the final iteration is still fine


def test_fields_beside_iterations_apply_to_each(tmp_path: Path) -> None:
    text = (ORIGINAL / "tidewater_proposal.yml").read_text(encoding="utf-8")
    path = tmp_path / "small.yml"
    path.write_text("evolution: {population_size: 8, generations: 2}\n" + text, encoding="utf-8")
    source = read_proposal_file(path)
    assert all(source.proposal(i).evolution.population_size == 8 for i in range(3))


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        ("iterations: []\n", "iterations", "a non-empty list"),
        ("iterations: [3]\n", "iterations[0]", "a mapping of fields"),
        (
            "iterations: [{iteration_id: a, is_final: 'yes'}]\n",
            "iterations[0].is_final",
            "true or false",
        ),
        (
            "iterations: [{iteration_id: a}, {iteration_id: a}]\n",
            "iterations[1].iteration_id",
            "iterations[0] has it",
        ),
    ],
)
def test_a_bad_iterations_list_is_one_error(
    tmp_path: Path, body: str, field: str, allowed: str
) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ProposalError) as info:
        read_proposal_file(path)
    assert str(info.value).startswith(f"{path}: {field}: ") and allowed in str(info.value)
