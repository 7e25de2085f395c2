"""The same seed gives the same files: a small fixed-seed song (3/4, lyrics, two sections) runs
its four phases with the real generators, theory scores and ChromaticScorer, and every phase's
candidate MIDI, candidate data, evolution log and review.yml (less its ``generated`` time) hash
to the digests recorded from the code before the scoring and selection hot paths were rewritten
in numpy. A change to any score, ranking or survivor shows up here.

Run this file as a script to print the digests of the code on ``PYTHONPATH``."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from agents.phases.bass import run_bass_phase
from agents.phases.chords import run_chords_phase
from agents.phases.common import promote
from agents.phases.drums import run_drums_phase
from agents.phases.melody import run_melody_phase
from agents.plan import make_plan
from agents.proposal import proposal_from_dict
from agents.rundir import RunDir
from scoring.chromatic import default_model_path

PROPOSAL: dict[str, Any] = {
    "title": "Golden Waltz",
    "concept": "A music box in an attic plays the tune of a dance nobody remembers dancing.",
    "color": "Red",
    "key": "Eb major",
    "bpm": 96,
    "time_signature": "3/4",
    "mood": ["nostalgic", "sad"],
    "genres": ["waltz", "experimental"],
    "sections": [{"name": "verse", "bars": 4}, {"name": "chorus", "bars": 2}],
    "lyrics": "[Verse]\nturn the key and let it play\n[Chorus]\nround again\n",
    "evolution": {"population_size": 12, "generations": 4, "top_n": 3},
    "seed": 5,
}

#: Recorded from the per-note code path (before ``scoring.note_arrays``).
GOLDEN = {
    "chords": "85f0b188a75bba9d45fd4545f1a4da87a573544a198cf85b9ec701e2576ce388",
    "drums": "d8aacb04c685e5249a6612d3ed3b1c11e4f12da5c3421f2168d42d0c7938a651",
    "bass": "049a327dd5b62b953d76b66e1379378a165459ded3607c14b6c71f71fb0a69ae",
    "melody": "96f343f4d4f15ab41de75d4caef9934f81276ebd6a6db17e6c16630b958bf2c4",
}

_GENERATED = re.compile(rb"^generated: .*$", re.MULTILINE)


def phase_digest(folder: Path) -> str:
    """sha256 over the phase's candidates, evolution log and review.yml (its ``generated``
    line blanked), in path order."""
    h = hashlib.sha256()
    logs = [folder / "evolution.json", folder / "review.yml"]
    files = [*sorted(folder.glob("candidates/*")), *logs]
    for path in files:
        data = path.read_bytes()
        if path.name == "review.yml":
            data = _GENERATED.sub(b"generated: -", data)
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def run_song(root: Path) -> dict[str, str]:
    """Run the four phases (the best candidate of each approved for every section)."""
    proposal = proposal_from_dict(PROPOSAL)
    sections = [(s["name"], s["bars"]) for s in PROPOSAL["sections"]]
    plan = make_plan(sections=sections, meter=proposal.meter, bpm=proposal.bpm)
    run = RunDir(root)
    state = run_chords_phase(proposal=proposal, plan=plan, run=run)
    best = state["candidates"][0]
    promote(run=run, phase="chords", approvals={name: best for name, _ in sections})
    for phase, run_phase in (
        ("drums", run_drums_phase),
        ("bass", run_bass_phase),
        ("melody", run_melody_phase),
    ):
        state = run_phase(proposal=proposal, plan=plan, run=run)
        promote(run=run, phase=phase, approvals={k: v[0] for k, v in state["sections"].items()})
    return {phase: phase_digest(root / phase) for phase in GOLDEN}


@pytest.mark.skipif(not default_model_path().is_file(), reason="no shipped scorer model")
def test_same_seed_gives_the_recorded_files(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("CHROMATIC_SCORER", raising=False)
    assert run_song(tmp_path / "song") == GOLDEN


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, digest in run_song(Path(tmp) / "song").items():
            print(f'    "{name}": "{digest}",')
    sys.exit(0)
