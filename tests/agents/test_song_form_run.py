"""An auto-approved run of a verse/chorus/verse/chorus proposal, measured on its song.mid: the
planner framed it with an intro and an outro no phase evolved, each repeated section differs
from its first playing in every part (note overlap in (0.4, 0.9)), the song ends on the tonic
chord, and the variation leaves the key music21 hears where the plain loop had it."""

from __future__ import annotations

import json
from pathlib import Path

import music21
import pytest
from ruamel.yaml import YAML

from agents.phases.render import approved_on_disk, approved_parts
from agents.rundir import PHASES, RunDir
from agents.runner import start_run
from music.keys import Key
from music.midi_io import Song, read_midi
from music.notes import Note
from render.assemble import assemble
from render.section_frame import note_overlap

SECTIONS = [("verse", 4), ("chorus", 4), ("verse", 4), ("chorus", 4)]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    folder = tmp_path_factory.mktemp("form")
    data = {
        "title": "Tide Clock",
        "concept": "A clock in a harbour office that counts the tides instead of the hours.",
        "color": "Blue",
        "key": "E minor",
        "bpm": 100,
        "time_signature": "4/4",
        "mood": ["wistful"],
        "genres": ["folk rock"],
        "sections": [{"name": n, "bars": b} for n, b in SECTIONS],
        "evolution": {"population_size": 12, "generations": 2, "top_n": 3},
        "seed": 3,
    }
    proposal = folder / "tide.yml"
    with proposal.open("w") as fh:
        YAML(typ="safe").dump(data, fh)
    start_run(proposal_path=proposal, out_dir=folder / "runs", auto_approve=True)
    return RunDir(folder / "runs" / "tide-clock")


def _local(notes: tuple[Note, ...], sec: dict[str, float]) -> list[Note]:
    return [
        n.shifted(-sec["start_qn"])
        for n in notes
        if sec["start_qn"] - 1e-6 <= n.start < sec["end_qn"] - 1e-6
    ]


def _heard(song: Song) -> tuple[int, str]:
    stream = music21.stream.Stream()
    for part in song.parts:
        for n in () if part.is_drum else part.notes:
            stream.insert(n.start, music21.note.Note(n.pitch, quarterLength=n.duration))
    found = stream.analyze("key")
    return found.tonic.pitchClass, found.mode


def test_the_song_is_framed_varied_and_ends_on_the_tonic(run: RunDir) -> None:
    arrangement = json.loads(run.arrangement.read_text(encoding="utf-8"))
    sections = arrangement["sections"]
    assert [s["name"] for s in sections] == ["intro", *(n for n, _ in SECTIONS), "outro"]
    assert [s["role"] for s in sections] == ["intro", "body", "body", "body", "body", "outro"]
    assert not (run.approved("chords") / "intro.mid").exists()  # no phase evolved it
    song = read_midi(run.song_mid)
    for part in song.parts:
        for first, again in ((1, 3), (2, 4)):
            overlap = note_overlap(
                _local(part.notes, sections[first]), _local(part.notes, sections[again])
            )
            assert 0.4 < overlap < 0.9, (part.name, sections[again]["name"], overlap)
    melody = next(p for p in song.parts if p.name == "melody")
    assert not _local(melody.notes, sections[0]) and _local(melody.notes, sections[1])
    final = arrangement["total_qn"] - arrangement["bar_qn"]
    sounding = [
        n.pitch
        for p in song.parts
        if not p.is_drum
        for n in p.notes
        if n.start <= final + 1e-6 < n.end
    ]
    assert music21.chord.Chord(sounding).root().pitchClass == Key.parse("E minor").tonic


def test_variation_leaves_the_key_music21_hears(run: RunDir) -> None:
    arrangement = json.loads(run.arrangement.read_text(encoding="utf-8"))
    parts = approved_parts(run, approved_on_disk(run, PHASES))
    plain = assemble(
        [(s["name"], s["bars"]) for s in arrangement["sections"]],
        parts,
        bpm=100.0,
        meter=read_midi(run.song_mid).meter,
        phrase_qn=arrangement["phrase_qn"],
        key=Key.parse("E minor"),
    )
    assert _heard(read_midi(run.song_mid)) == _heard(plain)


def test_the_plan_keeps_the_framing_sections(run: RunDir) -> None:
    plan = json.loads(Path(run.plan).read_text(encoding="utf-8"))
    assert [s.get("framing", False) for s in plan["sections"]] == [True] + [False] * 4 + [True]
    assert plan["labels"] == ["verse", "chorus"]
