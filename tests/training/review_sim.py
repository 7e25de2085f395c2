"""Run folders reviewed by a simulated person with a hidden taste, for the preference-learning
tests: each run holds a chords-phase review of candidates built in code (varied in density,
register and mode), and its decision log holds the person's approvals and rejections, written
by the project's own record functions.

The hidden taste prefers sparse, low, minor music: :func:`hidden_taste`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

from agents.decision_log import append_record, make_record
from agents.rundir import RunDir
from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
CONCEPTS = (
    ("A lamp left burning in an empty house, waiting for someone to return.", "Blue"),
    ("Machines humming under a city that has forgotten its own name.", "Green"),
    ("A birthday party remembered through an old photograph.", "Red"),
    ("Walking home at dawn after the last train has gone.", "Violet"),
    ("Postcards from a planet nobody has visited yet.", "Yellow"),
    ("The sound of a workshop where toys are mended.", "Orange"),
)


@dataclass(frozen=True, slots=True)
class Sketch:
    """What a simulated candidate is made of (the reviewer's taste reads these)."""

    notes_per_qn: float
    centre: int
    minor: bool


def hidden_taste(s: Sketch) -> float:
    """Higher is better for the simulated person: sparse, low, minor."""
    return -np.log2(s.notes_per_qn) / 3.0 - (s.centre - 40) / 36.0 + (0.8 if s.minor else 0.0)


def candidate_song(s: Sketch, rng: np.random.Generator, *, bars: int = 4) -> Song:
    """A melody line and a sustained bass, 4/4 at 90 bpm."""
    tonic = int(rng.integers(0, 12))
    scale = MINOR if s.minor else MAJOR
    pitches = [p for p in range(s.centre - 9, s.centre + 10) if (p - tonic) % 12 in scale]
    step = 1.0 / s.notes_per_qn
    notes, t, idx = [], 0.0, len(pitches) // 2
    while t < 4 * bars - 1e-9:
        idx = int(np.clip(idx + rng.integers(-2, 3), 0, len(pitches) - 1))
        notes.append(Note(start=t, end=t + step * 0.9, pitch=pitches[idx], velocity=80))
        t += step
    root = s.centre - 12 - ((s.centre - 12 - tonic) % 12)
    bass = [Note(start=4.0 * b, end=4.0 * b + 3.9, pitch=root, velocity=70) for b in range(bars)]
    return Song(
        parts=(
            Part(name="melody", notes=tuple(notes), program=0),
            Part(name="bass", notes=tuple(bass), program=32),
        ),
        bpm=90.0,
        meter=Meter.parse("4/4"),
    )


def random_sketch(rng: np.random.Generator) -> Sketch:
    return Sketch(
        notes_per_qn=float(rng.choice([0.5, 1.0, 2.0, 4.0])),
        centre=int(rng.integers(45, 80)),
        minor=bool(rng.integers(0, 2)),
    )


def reviewed_run(
    folder: Path, index: int, rng: np.random.Generator, *, size: int = 10
) -> tuple[Path, dict[str, Sketch]]:
    """A run folder with one chords review of ``size`` candidates (ranks in a random order, as
    a scorer blind to the taste would give), reviewed by the simulated person: the two best by
    taste approved (verse, chorus), the three worst rejected. Returns it and each candidate's
    sketch."""
    concept, color = CONCEPTS[index % len(CONCEPTS)]
    run = RunDir(folder / f"run_{index:02d}")
    run.candidates("chords").mkdir(parents=True)
    yaml = YAML(typ="safe")
    with run.proposal.open("w", encoding="utf-8") as fh:
        yaml.dump(
            {
                "title": f"Sim {index}",
                "concept": concept,
                "color": color,
                "key": "A minor",
                "bpm": 90,
                "time_signature": "4/4",
            },
            fh,
        )
    sketches = {f"chord_{i + 1:03d}": random_sketch(rng) for i in range(size)}
    entries = []
    for rank, (cid, sketch) in enumerate(sketches.items(), start=1):
        write_midi(candidate_song(sketch, rng), run.candidate_midi("chords", cid))
        entries.append(
            {
                "id": cid,
                "midi_file": run.relative(run.candidate_midi("chords", cid)),
                "rank": rank,
                "scores": {"composite": round(1.0 - rank / 20, 4)},
                "label": None,
                "status": "pending",
                "notes": "",
            }
        )
    by_taste = sorted(sketches, key=lambda c: hidden_taste(sketches[c]), reverse=True)
    verdicts = {by_taste[0]: ("approved", "verse"), by_taste[1]: ("approved", "chorus")}
    verdicts.update({cid: ("rejected", None) for cid in by_taste[-3:]})
    for entry in entries:
        if entry["id"] in verdicts:
            status, label = verdicts[str(entry["id"])]
            entry["status"], entry["label"] = status, label
            record = make_record(
                source="cli",
                phase="chords",
                entry=entry,
                status=status,
                label=label,
                notes="",
                run_root=run.root,
            )
            append_record(run.decision_log, record)
    with run.review("chords").open("w", encoding="utf-8") as fh:
        yaml.dump({"phase": "chords", "candidates": entries}, fh)
    return run.root, sketches
