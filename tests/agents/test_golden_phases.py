"""The same seed gives the same files: a small fixed-seed song (3/4, lyrics, two sections) runs
its four phases with the real generators, theory scores and ChromaticScorer, and every phase's
candidate MIDI and candidate data (byte for byte), evolution log and review.yml (as data, less
the ``generated`` time) equal the recorded ones in tests/fixtures/golden/phases.json. A change to
any score, ranking or survivor shows up here; a restructure or a speed-up must leave it passing.

Run this file as a script to compare the code on ``PYTHONPATH`` with the recording, and with
``--record`` to record it anew (only when a change of the music is intended)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from agents.form import make_form
from agents.phases.bass import run_bass_phase
from agents.phases.chords import run_chords_phase
from agents.phases.common import promote
from agents.phases.drums import run_drums_phase
from agents.phases.melody import run_melody_phase
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

#: The recorded outputs: per phase, each candidate file's sha256, and evolution.json and review.yml
#: as data (review.yml less its ``generated`` time). Rewrite it with ``python
#: tests/agents/test_golden_phases.py --record`` only when a change of the music is intended.
SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "golden" / "phases.json"
PHASES = ("chords", "drums", "bass", "melody")
#: Scores reach review.yml and evolution.json rounded to 6 decimals. The critic's float32
#: arithmetic (onnxruntime, BLAS) may differ in its last bit from one processor to another,
#: which can move that sixth decimal by one; anything larger is a change of behaviour.
TOLERANCE = 2.5e-6


def phase_snapshot(folder: Path) -> dict[str, Any]:
    """What a phase wrote: candidate files by sha256, evolution.json and review.yml as data."""
    yaml = YAML(typ="safe")
    review = yaml.load((folder / "review.yml").read_text(encoding="utf-8"))
    review.pop("generated", None)
    return {
        "candidates": {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("candidates/*"))
        },
        "evolution": json.loads((folder / "evolution.json").read_text(encoding="utf-8")),
        "review": json.loads(json.dumps(review, default=str)),
    }


def differences(got: Any, want: Any, where: str = "") -> list[str]:
    """Where ``got`` differs from ``want``: floats beyond :data:`TOLERANCE`, anything else."""
    if isinstance(want, dict) and isinstance(got, dict):
        if sorted(got) != sorted(want):
            return [f"{where}: keys {sorted(got)} != {sorted(want)}"]
        return [d for k in want for d in differences(got[k], want[k], f"{where}/{k}")]
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return [f"{where}: {len(got)} items != {len(want)}"]
        return [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=True))
            for d in differences(g, w, f"{where}[{i}]")
        ]
    if isinstance(want, float) and isinstance(got, float | int) and not isinstance(got, bool):
        return [] if abs(got - want) <= TOLERANCE else [f"{where}: {got!r} != {want!r}"]
    return [] if got == want and type(got) is type(want) else [f"{where}: {got!r} != {want!r}"]


def run_song(root: Path) -> dict[str, Any]:
    """Run the four phases (the best candidate of each approved for every section)."""
    proposal = proposal_from_dict(PROPOSAL)
    sections = [(s["name"], s["bars"]) for s in PROPOSAL["sections"]]
    form = make_form(sections=sections, meter=proposal.meter, bpm=proposal.bpm)
    run = RunDir(root)
    state = run_chords_phase(proposal=proposal, form=form, run=run)
    best = state["candidates"][0]
    promote(run=run, phase="chords", approvals={name: best for name, _ in sections})
    for phase, run_phase in (
        ("drums", run_drums_phase),
        ("bass", run_bass_phase),
        ("melody", run_melody_phase),
    ):
        state = run_phase(proposal=proposal, form=form, run=run)
        promote(run=run, phase=phase, approvals={k: v[0] for k, v in state["sections"].items()})
    return {phase: phase_snapshot(root / phase) for phase in PHASES}


@pytest.mark.skipif(not default_model_path().is_file(), reason="no shipped scorer model")
def test_same_seed_gives_the_recorded_files(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("CHROMATIC_SCORER", raising=False)
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    found = differences(run_song(tmp_path / "song"), want)
    assert found == [], "\n".join(found[:20])


def test_the_comparison_sees_a_changed_score_and_a_changed_file() -> None:
    want = {"review": {"score": 0.5}, "candidates": {"a.mid": "00"}}
    assert differences({"review": {"score": 0.500001}, "candidates": {"a.mid": "00"}}, want) == []
    assert differences({"review": {"score": 0.50001}, "candidates": {"a.mid": "00"}}, want)
    assert differences({"review": {"score": 0.5}, "candidates": {"a.mid": "01"}}, want)
    assert differences({"review": {"score": "0.5"}, "candidates": {"a.mid": "00"}}, want)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        snapshot = run_song(Path(tmp) / "song")
    if "--record" in sys.argv:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {SNAPSHOT}")
    else:
        found = differences(snapshot, json.loads(SNAPSHOT.read_text(encoding="utf-8")))
        print("\n".join(found) or "same as the recorded files")
    sys.exit(0)
