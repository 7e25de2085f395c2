"""The weakly labelled clip set: 4-bar excerpts of real MIDI (the Nottingham folk tunes,
melody plus chord accompaniment), varied the way listening experiments vary the primary cues
(Eerola, Friberg & Bresin 2013): tempo scaled, dynamics shifted, mode changed to the parallel
key (scale degrees 3, 6 and 7 lowered or raised), and played on varied General MIDI
instruments through the project's SoundFont renderer. Each clip's label is measured on the
varied MIDI (:mod:`.labels`) and its features on the rendered audio.

Same seed, same clips: files are taken in sorted order and every choice comes from one
``numpy`` generator seeded by ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.midi_io import Song, read_midi
from music.notes import Note, Part
from render.synth import Synthesizer
from scoring.emotion.features import SAMPLE_RATE, window_features
from scoring.emotion.midi import weak_label
from scoring.key_estimate import estimate_key, histogram

CLIP_QN: Final = 16.0
#: (melody program, accompaniment program) pairs: piano, e-piano, vibraphone, organ, guitar,
#: strings, choir, trumpet, clarinet, flute, harp, brass.
PROGRAMS: Final = (
    (0, 0), (4, 4), (11, 0), (19, 19), (24, 24), (40, 48), (73, 48),
    (56, 61), (71, 0), (73, 46), (46, 46), (52, 52), (65, 33), (81, 33),
)  # fmt: skip
_MAJOR_TO_MINOR: Final = {4: 3, 9: 8, 11: 10}


@dataclass(frozen=True, slots=True)
class ClipSet:
    """Features ``[clips, windows, 128]``, labels ``[clips, 2]`` and the source tune of each
    clip (clips of one tune stay on one side of a train/test split)."""

    features: NDArray[np.float32]
    labels: NDArray[np.float32]
    groups: NDArray[np.int64]
    names: tuple[str, ...]


def _excerpt(song: Song, start: float) -> list[tuple[Note, int]]:
    out = []
    for i, part in enumerate(p for p in song.parts if not p.is_drum and p.notes):
        for n in part.notes:
            if start <= n.start < start + CLIP_QN:
                end = min(n.end, start + CLIP_QN) - start
                out.append((Note(n.start - start, max(end, n.start - start + 0.05), n.pitch,
                                 n.velocity), min(i, 1)))  # fmt: skip
    return out


def _change_mode(notes: list[tuple[Note, int]]) -> list[tuple[Note, int]]:
    """To the parallel minor from a major key, or to the parallel major from a minor one."""
    key = estimate_key(list(histogram((n.pitch, n.end - n.start) for n, _ in notes)))
    shift = -1 if key.family == "major" else 1
    degrees = set(_MAJOR_TO_MINOR) if key.family == "major" else set(_MAJOR_TO_MINOR.values())
    out = []
    for n, track in notes:
        moved = (n.pitch - key.tonic) % 12 in degrees
        pitch = min(127, max(0, n.pitch + shift)) if moved else n.pitch
        out.append((Note(n.start, n.end, pitch, n.velocity), track))
    return out


def make_clip(
    song: Song, rng: np.random.Generator, synth: Synthesizer
) -> tuple[NDArray[np.float32], tuple[float, float]] | None:
    """One varied, rendered, labelled excerpt of ``song``; None when the excerpt is empty."""
    starts = np.arange(0.0, max(song.end - CLIP_QN, 0.0) + 1e-9, 4.0)
    notes = _excerpt(song, float(rng.choice(starts)))
    if len(notes) < 4:
        return None
    if rng.random() < 0.5:
        notes = _change_mode(notes)
    bpm = float(np.clip(song.bpm * rng.uniform(0.55, 1.7), 40.0, 220.0))
    shift = int(rng.integers(-35, 30))
    notes = [
        (Note(n.start, n.end, n.pitch, int(np.clip(n.velocity + shift, 15, 127))), t)
        for n, t in notes
    ]
    label = weak_label([n for n, _ in notes], bpm=bpm, length_qn=CLIP_QN)
    programs = PROGRAMS[int(rng.integers(len(PROGRAMS)))]
    parts = tuple(
        Part(name=f"track{t}", notes=tuple(n for n, tt in notes if tt == t), program=programs[t])
        for t in (0, 1)
        if any(tt == t for _, tt in notes)
    )
    seconds = CLIP_QN * 60.0 / bpm
    audio = synth.render_song(Song(parts=parts, bpm=bpm, meter=song.meter), seconds=seconds,
                              channels=1)  # fmt: skip
    if float(np.max(np.abs(audio))) < 1e-4:
        return None
    return window_features(audio, SAMPLE_RATE), (label.valence, label.arousal)


def pad(features: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    """Clips' window features stacked ``[clips, windows, 128]``; shorter clips repeat their
    last window (the model reads the mean over windows, so a repeat only adds weight)."""
    longest = max(f.shape[0] for f in features)
    return np.stack([np.concatenate([f, np.repeat(f[-1:], longest - len(f), 0)]) for f in features])


def build_clips(
    midi_files: list[Path],
    *,
    clips_per_file: int,
    seed: int,
    soundfont: Path | None = None,
    on_clip: Callable[[], None] | None = None,
) -> ClipSet:
    """Render ``clips_per_file`` varied excerpts of each file in ``midi_files``."""
    rng = np.random.default_rng(seed)
    feats: list[NDArray[np.float32]] = []
    labels: list[tuple[float, float]] = []
    groups: list[int] = []
    with Synthesizer(soundfont, sample_rate=SAMPLE_RATE) as synth:
        for g, path in enumerate(sorted(midi_files)):
            song = read_midi(path)
            for _ in range(clips_per_file):
                clip = make_clip(song, rng, synth)
                if on_clip is not None:
                    on_clip()
                if clip is None:
                    continue
                feats.append(clip[0])
                labels.append(clip[1])
                groups.append(g)
    if not feats:
        raise ValueError("midi files: no clip had notes -- give MIDI files with notes")
    return ClipSet(
        features=pad(feats),
        labels=np.asarray(labels, dtype=np.float32),
        groups=np.asarray(groups, dtype=np.int64),
        names=tuple(p.name for p in sorted(midi_files)),
    )
