"""The real MIDI a transcription corpus is rendered from, as parts timed in seconds.

* Nottingham (GPL-3.0 data, used for training only, never copied): each tune's melody track is
  the ``synth_lead`` line, its block-chord track is voiced for ``piano`` and gives the chord
  roots the ``bass`` lines are played on (one of :data:`BASS_PATTERNS` per song).
* Groove MIDI (CC BY 4.0): ``beat`` performances, reduced to GM drum notes with the GMD
  9-class mapping; kick, snare and toms are the ``drums`` stem, hats and cymbals
  ``high_percs``.

Songs are split by name (:func:`split_of`), so no tune or performance is in two splits.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Final

import numpy as np

from generators.drums.tokens import CLASS_PITCH
from music.errors import InputError
from music.midi_io import read_midi
from music.notes import Note
from render.transcription.taxonomy import drum_stem_for_note
from training.drums.dataset import read_index
from training.drums.tokenizer import TD11_TO_CLASS

logger = logging.getLogger(__name__)

SPLITS: Final = ("train", "validation", "test")
BASS_PATTERNS: Final = ("roots", "pulse", "root_fifth", "octaves")
PIANO_PATTERNS: Final = ("block", "pulse", "offbeat")


def split_of(name: str) -> str:
    """``train`` (80%), ``validation`` (10%) or ``test`` (10%), from a hash of ``name``."""
    bucket = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 10
    return "test" if bucket == 9 else "validation" if bucket == 8 else "train"


def _half(name: str) -> str:
    """``validation`` or ``test`` for a performance of Groove's validation split (half each)."""
    return "test" if int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 2 else "validation"


@dataclass(frozen=True, slots=True)
class Chord:
    """A block chord of the chord track: start and end in quarter notes, pitches ascending."""

    start: float
    end: float
    pitches: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Tune:
    """A Nottingham tune: its name, melody notes and chords (quarter notes), beats per bar."""

    name: str
    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    beats_per_bar: int


@dataclass(frozen=True, slots=True)
class Groove:
    """A Groove ``beat`` performance: its file name and GM drum notes timed in seconds."""

    name: str
    notes: tuple[Note, ...]


def read_tune(path: Path) -> Tune | None:
    """A two-track Nottingham MIDI file as a :class:`Tune` (None when a track is empty)."""
    song = read_midi(path)
    if len(song.parts) < 2 or not song.parts[0].notes or not song.parts[1].notes:
        return None
    chords = tuple(
        Chord(start, max(n.end for n in group_notes), tuple(sorted(n.pitch for n in group_notes)))
        for start, group in groupby(song.parts[1].notes, key=lambda n: n.start)
        for group_notes in [list(group)]
    )
    beats = max(1, round(song.meter.numerator * 4 / song.meter.denominator))
    return Tune(path.stem, song.parts[0].notes, chords, beats)


def nottingham_files(folder: Path, split: str) -> list[Path]:
    """Tune files of ``split`` in ``folder`` (the dataset's ``MIDI`` folder or its parent)."""
    if split not in SPLITS:
        raise ValueError(f"split: {split!r} -- one of {', '.join(SPLITS)}")
    midi = folder / "MIDI" if (folder / "MIDI").is_dir() else folder
    files = sorted(midi.glob("*.mid"))
    if not files:
        raise InputError(
            file=folder, field="nottingham", value=str(folder), allowed="a folder of .mid tunes"
        )
    return [path for path in files if split_of(path.stem) == split]


def gm_drum_note(td11: int) -> int | None:
    """A Roland TD-11 note of Groove as the GM note of its GMD class (None: not mapped)."""
    cls = TD11_TO_CLASS.get(td11)
    return None if cls is None else CLASS_PITCH[cls]


def groove_files(folder: Path, split: str) -> list[Path]:
    """Groove ``beat`` performances of ``split``: Groove's ``train`` for train; its
    ``validation`` split divided by name into validation and test (its test is withheld)."""
    if split not in SPLITS:
        raise ValueError(f"split: {split!r} -- one of {', '.join(SPLITS)}")
    source = "train" if split == "train" else "validation"
    return [
        row.midi
        for row in read_index(folder, source)
        if row.kind == "beat" and (split == "train" or _half(row.midi.stem) == split)
    ]


def read_groove(path: Path) -> Groove | None:
    """A Groove performance as GM drum notes timed in seconds (None: no mapped notes)."""
    song = read_midi(path)
    scale = 60.0 / song.bpm
    notes = tuple(
        Note(n.start * scale, n.end * scale, pitch, n.velocity)
        for part in song.parts
        for n in part.notes
        if (pitch := gm_drum_note(n.pitch)) is not None
    )
    return Groove(f"{path.parent.name}_{path.stem}", notes) if notes else None


def is_core_kit(note: Note) -> bool:
    return drum_stem_for_note(note.pitch).name == "drums"


def _into_range(pitch: int, low: int, high: int) -> int:
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def _hits(start: float, end: float, step: float) -> list[tuple[float, float]]:
    """Slots of ``step`` quarter notes from ``start`` to ``end``."""
    out = []
    t = start
    while t < end - 1e-6:
        out.append((t, min(end, t + step)))
        t += step
    return out


def bass_line(tune: Tune, pattern: str, rng: np.random.Generator) -> list[Note]:
    """A bass line on ``tune``'s chord roots (E1..E3), in quarter notes."""
    if pattern not in BASS_PATTERNS:
        raise ValueError(f"pattern: {pattern!r} -- one of {', '.join(BASS_PATTERNS)}")
    base = int(rng.integers(28, 41))
    legato = float(rng.uniform(0.6, 0.95))
    out: list[Note] = []
    for chord in tune.chords:
        root = _into_range(chord.pitches[0], base, base + 11)
        fifth = root + 7 if root + 7 <= 55 else root - 5
        if pattern == "roots":
            slots = [(chord.start, chord.end, root)]
        elif pattern == "pulse":
            slots = [(a, b, root) for a, b in _hits(chord.start, chord.end, 1.0)]
        elif pattern == "root_fifth":
            slots = [
                (a, b, root if i % 2 == 0 else fifth)
                for i, (a, b) in enumerate(_hits(chord.start, chord.end, 1.0))
            ]
        else:
            slots = [
                (a, b, root if i % 2 == 0 else root + 12)
                for i, (a, b) in enumerate(_hits(chord.start, chord.end, 0.5))
            ]
        for a, b, pitch in slots:
            vel = int(np.clip(rng.normal(95, 12), 40, 127))
            out.append(Note(a, a + max(0.1, (b - a) * legato), min(pitch, 67), vel))
    return out


def piano_part(tune: Tune, pattern: str, rng: np.random.Generator) -> list[Note]:
    """``tune``'s chords voiced in close position from C3..B3 upwards, in quarter notes."""
    if pattern not in PIANO_PATTERNS:
        raise ValueError(f"pattern: {pattern!r} -- one of {', '.join(PIANO_PATTERNS)}")
    floor = int(rng.integers(48, 60))
    out: list[Note] = []
    for chord in tune.chords:
        voiced = sorted({_into_range(p, floor, floor + 11) for p in chord.pitches})
        if pattern == "block":
            slots = [(chord.start, chord.end)]
        elif pattern == "pulse":
            slots = _hits(chord.start, chord.end, 1.0)
        else:
            slots = [(a + 0.5, b) for a, b in _hits(chord.start, chord.end, 1.0) if a + 0.5 < b]
        for a, b in slots:
            vel = int(np.clip(rng.normal(80, 12), 30, 127))
            out.extend(Note(a, a + max(0.1, (b - a) * 0.9), p, vel) for p in voiced)
    return out


def lead_line(tune: Tune, rng: np.random.Generator) -> list[Note]:
    """``tune``'s melody moved by octaves to sit around C5, in quarter notes."""
    shift = 12 * int(rng.integers(-1, 2))
    mean = float(np.mean([n.pitch for n in tune.melody]))
    shift += 12 * round((72 - mean) / 12) if abs(72 - mean) > 9 else 0
    return [
        Note(n.start, n.end, int(np.clip(n.pitch + shift, 36, 96)), n.velocity) for n in tune.melody
    ]
