"""With the ChromaticScorer on, the chords a run approves are in the requested key by music21's
analysis: a representative part of the key grid (``python -m bench.key_grid`` runs all of it),
every meter, major and minor on both sides of the circle of fifths, and the modes. The critic
may prefer chords out of the key; the key is a constraint, so they cannot win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from agents.runner import start_run
from evolution.fitness.key_verdicts import heard_chords
from generators.chords.genome import flatten, from_data
from music.keys import Key
from scoring.music21_keys import judge_progression

CELLS = [
    ("G major", "3/4", "Blue"),  # the reported case: a Blue waltz that walked into F# minor
    ("C major", "4/4", "Violet"),
    ("F# minor", "7/8", "Green"),
    ("Bb major", "5/4", "Red"),
    ("E minor", "6/8", "Yellow"),
    ("Eb minor", "3/4", "Indigo"),
    ("D dorian", "5/4", "Orange"),
    ("G mixolydian", "6/8", "Black"),
    ("A harmonic minor", "7/8", "White"),
]


def _proposal(folder: Path, key: str, meter: str, color: str) -> Path:
    path = folder / "cell.yml"
    data = {
        "title": f"Cell {key} {meter}".replace("/", "-"),
        "concept": "A porch at dusk, remembering someone who is no longer there.",
        "color": color,
        "key": key,
        "bpm": 92,
        "time_signature": meter,
        "mood": ["melancholic", "wistful"],
        "genres": ["folk rock"],
        "sections": [{"name": "verse", "bars": 4}],
        "evolution": {"population_size": 16, "generations": 6, "top_n": 4},
        "seed": 3,
    }
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="safe").dump(data, fh)
    return path


@pytest.mark.parametrize(("key", "meter", "color"), CELLS, ids=lambda v: str(v).replace(" ", "_"))
def test_approved_chords_are_in_the_requested_key(
    tmp_path: Path, key: str, meter: str, color: str
) -> None:
    outcome = start_run(proposal_path=_proposal(tmp_path, key, meter, color), out_dir=tmp_path)
    assert outcome.status == "awaiting_review"
    run = outcome.run_dir
    review = YAML(typ="safe").load((run / "chords" / "review.yml").read_text(encoding="utf-8"))
    assert review["chromatic_scorer"] == "active"
    top = review["candidates"][0]  # what auto-approve promotes
    for entry in review["candidates"]:
        verdict = entry["scores"]["key"]
        assert {"verdict", "heard", "reading", "out_of_key", "borrowed"} <= set(verdict)
    assert top["scores"]["key"]["verdict"] == "in key"
    requested = Key.parse(key)
    midi = run / top["midi_file"]
    data = json.loads(midi.with_suffix(".json").read_text(encoding="utf-8"))
    chords = heard_chords(flatten(from_data(data["genome"])), requested)
    in_key, reading, heard = judge_progression(midi, chords, requested)
    assert in_key, f"asked {key} in {meter}: music21 heard {Key(*heard).name} ({reading})"
