"""Instrument words to GM programs and kits, and the parts they are given: synonyms, case and
other languages' spellings; kits from brush and machine words; the assignment rules of
music.orchestration; genre and color defaults; unknown words reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from music.instruments import TABLE, Instrument, Kit, identify, load_table, normalise
from music.orchestration import default_parts, orchestrate

COLORS = ("Red", "Orange", "Yellow", "Green", "Blue", "Indigo", "Violet", "Black", "White")


@pytest.mark.parametrize(
    ("word", "name", "program"),
    [
        ("Nylon Guitar", "nylon guitar", 24),
        ("guitare", "acoustic guitar", 25),
        ("chitarra", "acoustic guitar", 25),
        ("Kontrabass", "upright bass", 32),
        ("upright bass", "upright bass", 32),
        ("contrebasse", "upright bass", 32),
        ("piano droit", "upright piano", 1),
        ("PIANO", "piano", 0),
        ("Rhodes", "electric piano", 4),
        ("bass guitar", "electric bass", 33),
        ("sub bass", "synth bass", 38),
        ("analog synth lead", "synth lead", 80),
        ("sequenced synth", "synth", 90),
        ("clarinet", "clarinet", 71),
        ("Klarinette", "clarinet", 71),
        ("Flûte", "flute", 73),
        ("string pad", "string pad", 49),
        ("low brass", "trombone", 57),
        ("female vocals", "voice", 53),
        ("tenor", "male vocal", 53),
        ("Hammond organ", "organ", 16),
    ],
)
def test_instrument_words_name_gm_programs(word: str, name: str, program: int) -> None:
    inst = identify(word)
    assert isinstance(inst, Instrument)
    assert (inst.name, inst.program) == (name, program)


@pytest.mark.parametrize(
    ("word", "program"),
    [
        ("brushed drum kit", 40),
        ("Brushes", 40),
        ("TR-808", 25),
        ("drum machine", 24),
        ("electronic drums", 24),
        ("jazz kit", 32),
        ("power drums", 16),
        ("room kit", 8),
        ("orchestral percussion", 48),
        ("standard kit", 0),
    ],
)
def test_kit_words_name_gm_drum_kits(word: str, program: int) -> None:
    kit = identify(word)
    assert isinstance(kit, Kit)
    assert kit.program == program


def test_generic_drum_words_take_the_genres_kit() -> None:
    for word in ("drums", "Schlagzeug", "batterie", "drum kit"):
        kit = identify(word)
        assert isinstance(kit, Kit) and kit.program is None, word
    assert orchestrate(["drums"], genres=["jazz"], color="Blue").drum_program == 32
    assert orchestrate(["Schlagzeug"], genres=["techno"], color="Blue").drum_program == 24
    assert orchestrate(["drum kit"], genres=["rock"], color="Blue").drum_program == 0


def test_unknown_words_are_listed_not_dropped() -> None:
    assert identify("theremin") is None
    orch = orchestrate(["theremin", "clarinet"], genres=["jazz"], color="Blue")
    assert orch.unknown == ("theremin",)
    assert orch.describe()["unknown"] == ["theremin"]
    assert orch.melody.name == "clarinet"


def test_the_jazz_folk_lullaby_gets_its_instruments() -> None:
    orch = orchestrate(
        ["nylon guitar", "upright bass", "brushed drum kit", "clarinet"],
        genres=["jazz", "folk"],
        color="Blue",
    )
    assert (orch.chords.name, orch.bass.name, orch.melody.name) == (
        "nylon guitar",
        "upright bass",
        "clarinet",
    )
    assert (orch.program("chords"), orch.program("bass"), orch.program("melody")) == (24, 32, 71)
    assert orch.drum_program == 40
    assert orch.leftovers == () and orch.unknown == ()


def test_as_many_named_instruments_play_as_can() -> None:
    # The accordion would rather lead, but then the glockenspiel would not play: it comps.
    orch = orchestrate(
        ["accordion", "upright bass", "brushed drums", "glockenspiel"],
        genres=["waltz"],
        color="Red",
    )
    assert (orch.chords.name, orch.melody.name) == ("accordion", "glockenspiel")
    # Two guitars and a piano: the first guitar comps, the second leads, the piano is left.
    orch = orchestrate(["guitare", "chitarra", "piano droit"], genres=["jazz"], color="Red")
    assert orch.named[:3] == (("chords", "guitare"), ("bass", None), ("melody", "chitarra"))
    assert orch.leftovers == ("piano droit",)
    assert orch.bass.name == "upright bass"  # the genre's


def test_lead_and_voice_words_take_the_melody() -> None:
    orch = orchestrate(["lead guitar", "electric piano"], genres=["rock"], color="Orange")
    assert (orch.melody.name, orch.chords.name) == ("lead guitar", "electric piano")
    orch = orchestrate(["piano", "male vocals"], genres=["pop"], color="Violet")
    assert (orch.melody.name, orch.chords.name) == ("male vocal", "piano")
    with_lyrics = orchestrate(["piano", "flute"], genres=[], color="Violet", has_lyrics=True)
    assert with_lyrics.melody.name == "voice"
    assert with_lyrics.leftovers == ("flute",)


def test_without_instruments_genre_then_color_choose() -> None:
    assert default_parts(["Electronic", "ambient"], "Green")["drums"] == "electronic kit"
    assert default_parts(["post-rock"], "Indigo")["chords"] == "electric guitar"
    assert default_parts(["unheard-of genre"], "Green")["chords"] == "strings"
    orch = orchestrate([], genres=["jazz"], color="Blue")
    assert (orch.chords.name, orch.bass.name, orch.drums.name) == (
        "piano",
        "upright bass",
        "jazz kit",
    )
    assert orch.describe()["chords"]["from"] == "default for the genre and color"
    colors = {c: orchestrate([], genres=[], color=c).program("chords") for c in COLORS}
    assert len(set(colors.values())) >= 5  # the color changes the band


@pytest.mark.parametrize("color", COLORS)
def test_the_melody_floor_sits_above_the_chords_and_inside_the_instrument(color: str) -> None:
    table = load_table()
    for melody in table.instruments.values():
        if melody.roles[0] != "melody":
            continue
        orch = orchestrate([melody.name], genres=[], color=color)
        assert orch.melody == melody
        assert melody.low <= orch.melody_floor <= melody.high - 14
        assert orch.chords_ceiling < orch.melody_floor or orch.chords_ceiling == (
            orch.chords.low + 12
        )


def test_normalise_strips_case_accents_and_punctuation() -> None:
    assert normalise("  Flûte-à-Bec ") == "flute a bec"
    assert normalise("TR-808") == "tr 808"


def test_every_table_word_finds_its_own_entry() -> None:
    data = json.loads(Path(TABLE).read_text(encoding="utf-8"))
    for entry in data["instruments"] + [k for k in data["kits"] if k["program"] is not None]:
        for word in entry["words"]:
            found = identify(word)
            assert found is not None and found.name == entry["name"], (word, found)


def test_a_malformed_table_is_refused_with_the_field(tmp_path: Path) -> None:
    data = json.loads(Path(TABLE).read_text(encoding="utf-8"))
    data["colors"]["Red"]["chords"] = "kazoo"
    bad = tmp_path / "instruments.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=r"colors\.Red\.chords: 'kazoo'"):
        load_table(bad)


def test_unknown_words_are_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="music.orchestration"):
        orchestrate(["kazoo", "piano"], genres=[], color="Red")
    assert any("kazoo" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
