"""Assembly: song.mid tracks, programs, channels and exact length in any meter."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest
from conftest import four_parts

from music.gm import PART_PROGRAMS
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import Note, Part, lyric_events, with_lyric_events
from render.assemble import (
    assemble,
    assemble_to_files,
    default_form,
    loop_lyrics,
    loop_notes,
    plan_arrangement,
)
from render.errors import RenderError

FORM = [("verse", 4), ("chorus", 4), ("verse", 4), ("chorus", 2)]


@pytest.mark.parametrize("meter_text", ["4/4", "3/4", "7/8", "6/8"])
def test_song_mid_tracks_programs_and_length(tmp_path: Path, meter_text: str) -> None:
    meter = Meter.parse(meter_text)
    verse = four_parts(meter, bars=2)
    chorus = four_parts(meter, bars=2)
    approved = {name: {"verse": verse[name], "chorus": chorus[name]} for name in verse}
    res = assemble_to_files(
        tmp_path, FORM, approved, bpm=96.0, meter=meter, phrase_qn=2 * meter.bar_qn
    )
    total_qn = sum(b for _, b in FORM) * meter.bar_qn
    assert res.arrangement.total_qn == pytest.approx(total_qn)
    song = read_midi(res.song_mid)
    assert str(song.meter) == meter_text
    assert song.bpm == pytest.approx(96.0)
    assert [p.name for p in song.parts] == ["chords", "drums", "bass", "melody"]
    # chords fill every bar to its end, so the file ends exactly at the arrangement's end
    assert song.end == pytest.approx(total_qn)
    by_name = {p.name: p for p in song.parts}
    assert by_name["chords"].program == PART_PROGRAMS["chords"]
    assert by_name["bass"].program == PART_PROGRAMS["bass"]
    assert by_name["melody"].program == PART_PROGRAMS["melody"]
    assert by_name["drums"].is_drum
    mid = mido.MidiFile(res.song_mid)
    channels = {
        t.name.split(" - ")[0]: {m.channel for m in t if m.type == "note_on"}
        for t in mid.tracks
        if t.name != "conductor"
    }
    assert channels["drums"] == {9}
    assert 9 not in channels["chords"] | channels["bass"] | channels["melody"]
    data = json.loads(res.arrangement_json.read_text())
    assert data["total_bars"] == 14
    assert data["seconds"] == pytest.approx(total_qn * 60 / 96.0)
    assert [s["start_qn"] for s in data["sections"]] == pytest.approx(
        [0.0, 4 * meter.bar_qn, 8 * meter.bar_qn, 12 * meter.bar_qn]
    )


def test_each_section_plays_its_own_label(meter44: Meter) -> None:
    a = Part("chords", (Note(0, 4, 60),), program=4)
    b = Part("chords", (Note(0, 4, 67),), program=4)
    song = assemble(
        [("verse", 2), ("chorus", 2)],
        {"chords": {"verse": a, "chorus": b}},
        bpm=120,
        meter=meter44,
        phrase_qn=4,
    )
    pitches = [(n.start, n.pitch) for n in song.parts[0].notes]
    assert pitches == [(0, 60), (4, 60), (8, 67), (12, 67)]


def test_missing_label_uses_the_nearest_sections_label(meter44: Meter) -> None:
    verse = Part("bass", (Note(0, 1, 40),))
    bridge = Part("bass", (Note(0, 1, 45),))
    form = [("verse", 1), ("chorus", 1), ("bridge", 1), ("outro", 1)]
    arr = plan_arrangement(
        form, {"bass": {"verse": verse, "bridge": bridge}}, bpm=100, meter=meter44, phrase_qn=4
    )
    used = [s.sources[0][1:] for s in arr.sections]
    # chorus is one section from verse and from bridge: the earlier wins; outro -> bridge
    assert used == [("verse", False), ("verse", True), ("bridge", False), ("bridge", True)]


def test_loop_cuts_at_the_loop_point_and_the_section_end() -> None:
    phrase = Part("melody", (Note(0, 1, 70), Note(3, 5, 72)))  # second note rings past 4
    notes = loop_notes(phrase, phrase_qn=4, length_qn=10)
    assert [(n.start, n.end) for n in notes] == [(0, 1), (3, 4), (4, 5), (7, 8), (8, 9)]
    # a phrase longer than phrase_qn loops at its length rounded up to whole phrases
    long = Part("melody", (Note(0, 1, 70), Note(6, 7, 72)))
    starts = [n.start for n in loop_notes(long, phrase_qn=4, length_qn=16)]
    assert starts == [0, 6, 8, 14]


def test_default_form_and_missing_parts(meter44: Meter) -> None:
    assert default_form(["verse", "chorus"]) == [("verse", 8), ("chorus", 8)] * 2
    song = assemble(
        [],
        {"chords": {"verse": Part("chords", (Note(0, 4, 60),))}, "bass": {}},
        bpm=120,
        meter=meter44,
        phrase_qn=4,
    )
    assert [p.name for p in song.parts] == ["chords"]
    assert song.end == pytest.approx(16 * 4)
    with pytest.raises(RenderError, match="nothing to assemble"):
        assemble([("verse", 2)], {"bass": {}}, bpm=120, meter=meter44, phrase_qn=4)


@pytest.mark.parametrize(
    ("sections", "match"),
    [([("verse", 0)], "bars"), ([("", 4)], "name"), ([("verse", 2.5)], "bars")],
)
def test_bad_sections_are_named(meter44: Meter, sections: list, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        assemble(
            sections,
            {"chords": {"verse": Part("chords", (Note(0, 1, 60),))}},
            bpm=120,
            meter=meter44,
            phrase_qn=4,
        )


def test_sung_syllables_stay_on_their_notes_through_the_song(tmp_path: Path) -> None:
    meter = Meter(3, 4)  # a 3-bar phrase of 3/4 looped twice in each 6-bar section
    notes = tuple(Note(b * 3.0, b * 3.0 + 2.0, 60 + b) for b in range(3))
    verse = with_lyric_events(Part("melody", notes, program=73), [(0.0, "one"), (3.0, "two")])
    chorus = with_lyric_events(Part("melody", notes, program=73), [(6.0, "hey")])
    approved = {"melody": {"verse": verse, "chorus": chorus}}
    form = [("verse", 6), ("chorus", 6)]
    res = assemble_to_files(tmp_path, form, approved, bpm=80.0, meter=meter, phrase_qn=9.0)
    song = read_midi(res.song_mid)
    expected = ((0.0, "one"), (3.0, "two"), (9.0, "one"), (12.0, "two"), (24.0, "hey"))
    expected += ((33.0, "hey"),)
    assert lyric_events(song.parts[0]) == expected
    onsets = {n.start for n in song.parts[0].notes}
    assert all(t in onsets for t, _ in expected)  # every syllable is sung on a note
    # A section shorter than the phrase keeps only the syllables whose notes it plays.
    assert loop_lyrics(verse, phrase_qn=9.0, length_qn=3.0) == [(0.0, "one")]
