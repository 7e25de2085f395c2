"""The real MIDI a transcription corpus is rendered from, as parts timed in seconds.

* Nottingham (GPL-3.0 data, used for training only, never copied): each tune's melody track is
  the ``synth_lead`` line, its block-chord track is voiced for ``piano`` (close position),
  ``guitar`` (strums and arpeggios on six-string spacing), ``strings_ensemble`` (held, a low
  root under three voice-led upper voices) and ``synth_pad_fx`` (long held chords, repeats
  tied), and gives the chord roots the ``bass`` lines are played on (one pattern per stem and
  song, from :data:`PATTERNS`).
* More harmony (Billboard, the Bach chorales) and melodies (OpenEWLD):
  :mod:`training.transcribe.more_sources`.
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
from music.keys import Key
from music.midi_io import read_midi
from music.notes import Note
from render.transcription.taxonomy import drum_stem_for_note
from training.drums.dataset import read_index
from training.drums.tokenizer import TD11_TO_CLASS

logger = logging.getLogger(__name__)

SPLITS: Final = ("train", "validation", "test")
BASS_PATTERNS: Final = ("roots", "pulse", "root_fifth", "octaves")
PIANO_PATTERNS: Final = ("block", "pulse", "offbeat")
GUITAR_PATTERNS: Final = ("strum", "arpeggio")
STRINGS_PATTERNS: Final = ("sustained", "half_bars")
PAD_PATTERNS: Final = ("held", "open")
#: The accompaniment patterns of each stem drawn per song.
PATTERNS: Final[dict[str, tuple[str, ...]]] = {
    "bass": BASS_PATTERNS,
    "piano": PIANO_PATTERNS,
    "guitar": GUITAR_PATTERNS,
    "strings_ensemble": STRINGS_PATTERNS,
    "synth_pad_fx": PAD_PATTERNS,
}


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
    """A Nottingham tune: its name, melody notes and chords (quarter notes), beats per bar,
    and its key where the source states one (None: estimate it from the notes)."""

    name: str
    melody: tuple[Note, ...]
    chords: tuple[Chord, ...]
    beats_per_bar: int
    key: Key | None = None


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
    return Tune(path.stem, song.parts[0].notes, chords, beats, song.key)


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


def _check_pattern(stem: str, pattern: str) -> None:
    if pattern not in PATTERNS[stem]:
        raise ValueError(f"{stem} pattern: {pattern!r} -- one of {', '.join(PATTERNS[stem])}")


def bass_line(tune: Tune, pattern: str, rng: np.random.Generator) -> list[Note]:
    """A bass line on ``tune``'s chord roots (E1..E3), in quarter notes."""
    _check_pattern("bass", pattern)
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
    _check_pattern("piano", pattern)
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
    """``tune``'s melody moved by octaves to sit around C5, in quarter notes (none without)."""
    if not tune.melody:
        return []
    shift = 12 * int(rng.integers(-1, 2))
    mean = float(np.mean([n.pitch for n in tune.melody]))
    shift += 12 * round((72 - mean) / 12) if abs(72 - mean) > 9 else 0
    return [
        Note(n.start, n.end, int(np.clip(n.pitch + shift, 36, 96)), n.velocity) for n in tune.melody
    ]


def _velocity(rng: np.random.Generator, mean: float, low: int = 30) -> int:
    return int(np.clip(rng.normal(mean, 12), low, 127))


def guitar_shape(pitches: tuple[int, ...], low: int) -> list[int]:
    """A chord's pitch classes on six-string spacing: the root on the lowest string from
    ``low`` (E2..A2), then fifth, octave, third, fifth, octave where the chord has them (the
    chord's own tones stand in for a missing fifth), four to six notes within E2..E6."""
    root = _into_range(pitches[0], low, low + 11)
    classes = {p % 12 for p in pitches}
    third = next((root + i for i in (4, 3, 5, 2) if (root + i) % 12 in classes), root + 7)
    fifth = next((root + i for i in (7, 6, 8) if (root + i) % 12 in classes), root + 12)
    extra = [root + i for i in (9, 10, 11) if (root + i) % 12 in classes]
    shape = [root, fifth, root + 12, third + 12, fifth + 12, root + 24]
    if extra:
        shape[4] = extra[0] + 12
    return sorted({p for p in shape if 40 <= p <= 88})


def guitar_part(tune: Tune, pattern: str, rng: np.random.Generator) -> list[Note]:
    """``tune``'s chords on a guitar, in quarter notes: ``strum`` (down and up strokes on the
    beats and off-beats, strings 10..30 ms apart) or ``arpeggio`` (eighth notes up and down the
    shape, each string ringing until the chord changes)."""
    _check_pattern("guitar", pattern)
    low = int(rng.integers(40, 46))
    gap_qn = float(rng.uniform(0.02, 0.06))
    out: list[Note] = []
    for chord in tune.chords:
        shape = guitar_shape(chord.pitches, low)
        if pattern == "strum":
            for i, (a, b) in enumerate(_hits(chord.start, chord.end, 0.5)):
                if i % 2 and rng.random() < 0.4:
                    continue
                strings = shape if i % 2 == 0 else shape[::-1][:4]
                vel = _velocity(rng, 88 if i % 2 == 0 else 70)
                for k, p in enumerate(strings):
                    start = a + k * gap_qn
                    if start < b:
                        out.append(Note(start, b, p, max(1, vel - 3 * k)))
        else:
            cycle = shape + shape[-2:0:-1]
            for i, (a, _) in enumerate(_hits(chord.start, chord.end, 0.5)):
                out.append(Note(a, chord.end, cycle[i % len(cycle)], _velocity(rng, 75)))
    return _no_overlap(out)


def _no_overlap(notes: list[Note]) -> list[Note]:
    """``notes`` with each note of a pitch ended where the next one of that pitch starts."""
    by_pitch: dict[int, list[Note]] = {}
    for n in sorted(notes, key=lambda n: (n.pitch, n.start)):
        by_pitch.setdefault(n.pitch, []).append(n)
    out = []
    for line in by_pitch.values():
        for a, b in zip(line, [*line[1:], None], strict=True):
            end = a.end if b is None else min(a.end, b.start)
            if end - a.start > 0.05:
                out.append(Note(a.start, end, a.pitch, a.velocity))
    return sorted(out, key=lambda n: (n.start, n.pitch))


def lead_voices(pitches: tuple[int, ...], previous: tuple[int, ...], low: int) -> tuple[int, ...]:
    """Three upper voices from ``low`` up (within two octaves) on the chord's pitch classes (a
    dyad doubles its root): the voicing nearest ``previous`` (smallest total move), else the
    lowest close position."""
    classes = sorted({p % 12 for p in pitches}, key=lambda c: (c - pitches[0]) % 12)
    classes = (classes * 3)[:3] if len(classes) < 3 else classes[:3]
    options = []
    for order in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        voices = [low + (classes[order[0]] - low) % 12]
        for k in order[1:]:
            voices.append(voices[-1] + 1 + (classes[k] - voices[-1] - 1) % 12)
        options.append(tuple(voices))
    if not previous:
        return min(options, key=lambda v: v[0])
    return min(options, key=lambda v: sum(abs(a - b) for a, b in zip(v, previous, strict=True)))


def strings_part(tune: Tune, pattern: str, rng: np.random.Generator) -> list[Note]:
    """``tune``'s chords for a string section, in quarter notes: a root in C2..B2 (cellos and
    basses) under three upper voices led to the nearest voicing; ``sustained`` holds each
    chord (repeats tied), ``half_bars`` bows again every half bar."""
    _check_pattern("strings_ensemble", pattern)
    root_floor = int(rng.integers(36, 48))
    upper = int(rng.integers(55, 64))
    step = tune.beats_per_bar / 2 if pattern == "half_bars" else None
    out: list[Note] = []
    previous: tuple[int, ...] = ()
    for chord in _tied(tune.chords) if step is None else tune.chords:
        voices = lead_voices(chord.pitches, previous, upper)
        previous = voices
        pitches = (_into_range(chord.pitches[0], root_floor, root_floor + 11), *voices)
        slots = [(chord.start, chord.end)] if step is None else _hits(chord.start, chord.end, step)
        for a, b in slots:
            vel = _velocity(rng, 75)
            out.extend(Note(a, b, p, vel) for p in pitches)
    return _no_overlap(out)


def _tied(chords: tuple[Chord, ...]) -> list[Chord]:
    """Consecutive equal chords as one (a held chord across its repeats)."""
    out: list[Chord] = []
    for c in chords:
        if out and out[-1].pitches == c.pitches and abs(out[-1].end - c.start) < 1e-6:
            out[-1] = Chord(out[-1].start, c.end, c.pitches)
        else:
            out.append(c)
    return out


def pad_part(tune: Tune, pattern: str, rng: np.random.Generator) -> list[Note]:
    """``tune``'s chords as a pad, in quarter notes, repeats tied into one long chord:
    ``held`` in close position from F3..E4, ``open`` spread (root, fifth above, the third an
    octave up: a tenth)."""
    _check_pattern("synth_pad_fx", pattern)
    floor = int(rng.integers(53, 65))
    out: list[Note] = []
    for chord in _tied(tune.chords):
        root = _into_range(chord.pitches[0], floor - 12, floor - 1)
        if pattern == "held":
            pitches = sorted({_into_range(p, floor, floor + 11) for p in chord.pitches})
        else:
            rest = sorted({(p - root) % 12 for p in chord.pitches} - {0})
            pitches = [root] + [root + iv + (12 if iv < 7 else 0) for iv in rest]
        vel = _velocity(rng, 70)
        out.extend(Note(chord.start, chord.end, p, vel) for p in pitches)
    return _no_overlap(out)
