"""A matrix of small auto-approved songs (jazz, rock, electronic, folk, ambient; 5/4, 4/4, 7/8,
3/4, 6/8), each checked on its song.mid as pretty_midi reads it: every track plays the GM
program (the drums: the kit) its proposal's ``instruments`` ask for, or its genre's when none
are named; the melody sits above the accompaniment (at least 80% of its notes higher than
every chords or bass note sounding with them); review.yml names each part's instrument and
lists the words nobody knows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pretty_midi
import pytest
from ruamel.yaml import YAML

from agents.rundir import RunDir
from agents.runner import start_run

EVOLUTION = {"population_size": 8, "generations": 1, "top_n": 2}


@dataclass(frozen=True)
class Case:
    name: str
    proposal: dict[str, Any]
    programs: dict[str, int]  # track -> GM program (drums: the kit)


CASES = (
    Case(
        "jazz",
        {
            "color": "Blue",
            "key": "E dorian",
            "bpm": 92,
            "time_signature": "5/4",
            "genres": ["jazz", "folk"],
            "instruments": ["nylon guitar", "upright bass", "brushed drum kit", "clarinet"],
        },
        {"chords": 24, "bass": 32, "melody": 71, "drums": 40},
    ),
    Case(
        "rock",
        {
            "color": "Orange",
            "key": "E minor",
            "bpm": 128,
            "time_signature": "4/4",
            "genres": ["rock"],
            "instruments": ["Electric Guitar", "bass guitar", "power drums", "male vocals"],
        },
        {"chords": 27, "bass": 33, "melody": 53, "drums": 16},
    ),
    Case(
        "electronic",
        {
            "color": "Yellow",
            "key": "F minor",
            "bpm": 124,
            "time_signature": "7/8",
            "genres": ["electronic"],
            "instruments": ["synth pad", "sub bass", "TR-808", "analog synth lead", "theremin"],
        },
        {"chords": 89, "bass": 38, "melody": 80, "drums": 25},
    ),
    Case(
        "folk",
        {
            "color": "Blue",
            "key": "G major",
            "bpm": 100,
            "time_signature": "3/4",
            "genres": ["folk"],
            "instruments": ["guitare", "Kontrabass", "brushes", "Flûte"],
        },
        {"chords": 25, "bass": 32, "melody": 73, "drums": 40},
    ),
    Case(
        "ambient-without-instruments",
        {
            "color": "Green",
            "key": "D minor",
            "bpm": 70,
            "time_signature": "6/8",
            "genres": ["ambient"],
        },
        {"chords": 89, "bass": 38, "melody": 73, "drums": 24},
    ),
)


@dataclass(frozen=True)
class Song:
    case: Case
    midi: pretty_midi.PrettyMIDI
    run: RunDir


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.name)
def song(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Song:
    case: Case = request.param
    folder = tmp_path_factory.mktemp(case.name)
    proposal = {
        "title": f"Matrix {case.name}",
        "concept": "A small song that says which instruments play it.",
        "mood": ["calm"],
        "sections": [{"name": "verse", "bars": 4}],
        "evolution": EVOLUTION,
        "seed": 11,
        **case.proposal,
    }
    path = folder / "proposal.yml"
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="safe").dump(proposal, fh)
    outcome = start_run(proposal_path=path, out_dir=folder / "runs", auto_approve=True)
    assert outcome.status == "done"
    run = RunDir(outcome.run_dir)
    return Song(case, pretty_midi.PrettyMIDI(str(run.root / "song.mid")), run)


def _tracks(midi: pretty_midi.PrettyMIDI) -> dict[str, pretty_midi.Instrument]:
    return {inst.name.split(" - ")[0]: inst for inst in midi.instruments}


def test_song_mid_plays_the_proposals_instruments(song: Song) -> None:
    tracks = _tracks(song.midi)
    want = song.case.programs
    got = {name: tracks[name].program for name in want}
    assert got == want
    assert tracks["drums"].is_drum and not tracks["melody"].is_drum


def test_the_melody_sits_above_the_accompaniment(song: Song) -> None:
    tracks = _tracks(song.midi)
    accompaniment = [n for name in ("chords", "bass") for n in tracks[name].notes]
    melody = tracks["melody"].notes
    assert len(melody) >= 4
    above = 0
    for m in melody:
        under = [a.pitch for a in accompaniment if a.start < m.end and a.end > m.start]
        above += not under or m.pitch > max(under)
    assert above / len(melody) >= 0.8


def test_review_names_each_parts_instrument(song: Song) -> None:
    case = song.case
    header = YAML(typ="safe").load(song.run.review("melody").read_text(encoding="utf-8"))
    found = _find(header, "instruments")
    assert {p: found[p]["program"] for p in case.programs} == case.programs
    if "theremin" in case.proposal.get("instruments", []):
        assert found["unknown"] == ["theremin"]
    else:
        assert "unknown" not in found


def _find(node: Any, key: str) -> Any:
    """The first value under ``key`` anywhere in a loaded YAML document."""
    if isinstance(node, dict):
        if key in node:
            return node[key]
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find(child, key)
        if found is not None:
            return found
    return None
