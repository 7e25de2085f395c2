"""The approved parts of a finished run, measured as the corpora are: per section the drums
(:mod:`scoring.metrics.drums` over the section's bars), the melody and the bass (means over
8-bar windows, over the section's approved chords); per song the chords (every section's
progression in playing order, a phrase per loop, as a Billboard song's lines)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML

from agents.proposal import load_proposal
from agents.rundir import RunDir
from generators.chords.genome import from_data
from generators.harmony import Harmony, chord_timeline
from music.chords import TRIAD_OF
from music.keys import parse_key
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import Note
from scoring.metrics.chords import HarmonyEvent, chord_metrics
from scoring.metrics.drums import drum_metrics
from scoring.style.bass import bass_values
from scoring.style.chords import relative_scale
from scoring.style.melody import melody_values


@dataclass(frozen=True, slots=True)
class PartValues:
    """One measured unit of a song: the part, the section label (``song`` for chords) and its
    metric values."""

    part: str
    section: str
    values: dict[str, float]


@dataclass(frozen=True, slots=True)
class SongParts:
    """A run's words, tempo and meter (what chooses the profiles) and its measured units."""

    run: str
    title: str
    color: str
    genres: tuple[str, ...]
    mood: tuple[str, ...]
    bpm: float
    meter: str
    units: tuple[PartValues, ...]
    #: The Groove style the drums phase held the drums to (its review.yml ``style_profile``,
    #: ``jazz`` of ``jazz|any|mid``); None when it named none (a style Groove has no playing
    #: of, or a run from before the drums were held to their own style).
    drum_style: str | None = None


def _notes(path: Path) -> tuple[Note, ...]:
    song = read_midi(path)
    return tuple(n for p in song.parts for n in p.notes)


def _harmony(run: RunDir, label: str, meter: Meter, bars: int) -> tuple[Harmony, Any]:
    data = json.loads(run.approved_data("chords", label).read_text(encoding="utf-8"))
    key = parse_key(data["key"])
    return chord_timeline(from_data(data["genome"]), key, meter, bars=bars), key


def song_parts(folder: Path) -> SongParts:
    """Measure the approved parts of the run in ``folder``."""
    run = RunDir(Path(folder))
    proposal = load_proposal(run.proposal)
    plan = json.loads(run.plan.read_text(encoding="utf-8"))
    meter = Meter.parse(plan["meter"])
    phrase_qn = int(plan["phrase_bars"]) * meter.bar_qn
    units: list[PartValues] = []
    seen: set[str] = set()
    events: list[HarmonyEvent] = []
    phrase_starts: list[float] = []
    key = None
    t0 = 0.0
    for section in plan["sections"]:
        if section.get("framing"):
            continue  # an intro or outro the planner framed the song with: no phase evolved it
        label, bars = section["name"], int(section["bars"])
        harmony, key = _harmony(run, label, meter, bars)
        for c in harmony.chords:
            events.append(
                HarmonyEvent(
                    t0 + c.start, t0 + c.end, (c.root - key.tonic) % 12, TRIAD_OF[c.quality]
                )
            )
        phrase_starts += [
            t0 + k * phrase_qn for k in range(math.ceil(bars * meter.bar_qn / phrase_qn))
        ]
        t0 += bars * meter.bar_qn
        if label in seen:
            continue
        seen.add(label)
        drums = _notes(run.approved_midi("drums", label))
        units.append(
            PartValues(
                "drums",
                label,
                drum_metrics(
                    np.array([n.start for n in drums], dtype=np.float64),
                    np.array([n.pitch for n in drums], dtype=np.int64),
                    np.array([n.velocity for n in drums], dtype=np.int64),
                    meter=meter,
                    bars=bars,
                    bpm=proposal.bpm,
                ),
            )
        )
        for part, measure in (("melody", melody_values), ("bass", bass_values)):
            notes = _notes(run.approved_midi(part, label))
            units.append(
                PartValues(part, label, measure(notes, harmony.chords, meter=meter, bars=bars))
            )
    assert key is not None
    chords = chord_metrics(
        events,
        tonic=0,
        minor=key.is_minor,
        scale=relative_scale(key),
        bar_qn=meter.bar_qn,
        phrase_starts=phrase_starts,
    )
    units.append(PartValues("chords", "song", chords))
    return SongParts(
        run=run.root.name,
        title=proposal.title,
        color=proposal.color,
        genres=tuple(proposal.genres),
        mood=tuple(proposal.mood),
        bpm=proposal.bpm,
        meter=str(meter),
        units=tuple(units),
        drum_style=_drum_style(run),
    )


def _drum_style(run: RunDir) -> str | None:
    review = YAML(typ="safe").load(run.review("drums").read_text(encoding="utf-8"))
    held = review.get("style_profile") if isinstance(review, dict) else None
    return str(held).split("|")[0] if held else None
