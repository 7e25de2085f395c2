"""Training examples of one transcription model from a rendered corpus's index: the stem's
audio (for the drum model, the whole kit: ``drums`` plus ``high_percs``), the song's other
stems to mix under it, and onset and frame targets from the stem's MIDI.

Targets: ``onset [T, P]`` is 1 on the frame nearest each note's start; ``frame [T, P]`` is 1
from the start frame to the end frame (exclusive). A drum model's columns are
:data:`~render.transcription.taxonomy.DRUM_CLASSES`; a pitched model's are MIDI pitches
``low..high`` of its stem (notes outside are dropped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.errors import MidiFileError
from music.midi_io import read_midi
from render.audio_io import read_audio
from render.transcription.decode import NoteEvent
from render.transcription.features import FRAMES_PER_SECOND, SAMPLE_RATE, log_mel, n_frames
from render.transcription.taxonomy import BY_NAME, DRUM_CLASSES, drum_class_of
from training.transcribe.indexer import read_index

#: Stems whose audio and notes make the drum model's input and targets.
KIT_STEMS: Final = ("drums", "high_percs")


def model_outputs(stem: str) -> int:
    """Columns of ``stem``'s model: drum classes for a drum stem, else its pitch range."""
    spec = BY_NAME[stem]
    return len(DRUM_CLASSES) if spec.is_drum else spec.n_pitches


@dataclass(frozen=True, slots=True)
class Clip:
    """One song's audio for a model: the target (mono, 16 kHz), the other stems, the notes."""

    song: str
    target: NDArray[np.float32]
    others: tuple[NDArray[np.float32], ...]
    notes: tuple[NoteEvent, ...]


def read_notes(path: Path) -> list[NoteEvent]:
    """A MIDI file's notes in seconds (all tracks)."""
    song = read_midi(path)
    scale = 60.0 / song.bpm
    return [
        NoteEvent(n.start * scale, n.end * scale, n.pitch, n.velocity)
        for part in song.parts
        for n in part.notes
    ]


def _mono(path: Path) -> NDArray[np.float32]:
    audio, sr = read_audio(path)
    if sr != SAMPLE_RATE:
        raise ValueError(f"{path}: sample rate {sr} -- the corpus is rendered at {SAMPLE_RATE}")
    return np.asarray(audio.mean(axis=1), dtype=np.float32)


def load_clips(root: Path, stem: str, split: str) -> list[Clip]:
    """The clips of ``stem``'s model in ``split`` (the filtered index's entries)."""
    group = KIT_STEMS if BY_NAME[stem].is_drum else (stem,)
    entries = read_index(root, group[0], split)
    clips = []
    for entry in entries:
        song_dir = (root / entry["audio"]).parents[1]
        meta = json.loads((song_dir / "metadata.json").read_text(encoding="utf-8"))
        target = np.zeros(0, dtype=np.float32)
        notes: list[NoteEvent] = []
        others = []
        for name, info in meta["stems"].items():
            audio = _mono(song_dir / info["audio"])
            if name in group:
                target = audio if target.size == 0 else target + audio
                notes += _note_list(song_dir / info["midi"])
            else:
                others.append(audio)
        clips.append(Clip(meta["song"], target, tuple(others), tuple(notes)))
    return clips


def _note_list(path: Path) -> list[NoteEvent]:
    """:func:`read_notes`, or none for a MIDI file without notes."""
    try:
        return read_notes(path)
    except MidiFileError as exc:
        if exc.field != "notes":
            raise
        return []


def targets(
    notes: tuple[NoteEvent, ...] | list[NoteEvent], stem: str, t_len: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """``(onset, frame)`` targets ``[t_len, P]`` of ``notes`` for ``stem``'s model."""
    spec = BY_NAME[stem]
    p_len = model_outputs(stem)
    onset = np.zeros((t_len, p_len), dtype=np.float32)
    frame = np.zeros((t_len, p_len), dtype=np.float32)
    for n in notes:
        col = drum_class_of(n.pitch) if spec.is_drum else n.pitch - spec.low
        if col is None or not 0 <= col < p_len:
            continue
        s = round(n.start * FRAMES_PER_SECOND)
        e = max(s + 1, round(n.end * FRAMES_PER_SECOND))
        if s >= t_len:
            continue
        onset[s, col] = 1.0
        frame[s:e, col] = 1.0
    return onset, frame


def _db(value: float) -> float:
    return float(10.0 ** (value / 20.0))


def mixed(clip: Clip, rng: np.random.Generator, mix_prob: float) -> NDArray[np.float32]:
    """The clip's target at a random level (-12..+3 dB), with probability ``mix_prob`` over the
    song's other stems, each 3..18 dB below it."""
    gain = _db(float(rng.uniform(-12.0, 3.0)))
    audio = clip.target * gain
    if clip.others and rng.random() < mix_prob:
        for other in clip.others:
            audio = audio + other * gain * _db(float(rng.uniform(-18.0, -3.0)))
    return np.asarray(audio, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Batch:
    """``features [B, T, n_mels]``, ``onset`` and ``frame`` ``[B, T, P]``."""

    features: NDArray[np.float32]
    onset: NDArray[np.float32]
    frame: NDArray[np.float32]


def make_batch(
    clips: list[Clip],
    stem: str,
    rng: np.random.Generator,
    *,
    clip_frames: int,
    mix_prob: float,
) -> Batch:
    """Random crops of ``clip_frames`` frames of ``clips`` (mixed as :func:`mixed` says)."""
    feats, onsets, frames = [], [], []
    for clip in clips:
        audio = mixed(clip, rng, mix_prob)
        t_len = n_frames(audio.size)
        onset, frame = targets(clip.notes, stem, t_len)
        f = log_mel(audio)
        start = int(rng.integers(0, max(1, t_len - clip_frames + 1)))
        sl = slice(start, start + clip_frames)
        feats.append(_fit(f[sl], clip_frames, float(f.min())))
        onsets.append(_fit(onset[sl], clip_frames, 0.0))
        frames.append(_fit(frame[sl], clip_frames, 0.0))
    return Batch(np.stack(feats), np.stack(onsets), np.stack(frames))


def _fit(x: NDArray[np.float32], length: int, fill: float) -> NDArray[np.float32]:
    """``x`` padded at the end with ``fill`` to ``length`` rows."""
    if x.shape[0] >= length:
        return x[:length]
    pad = np.full((length - x.shape[0], x.shape[1]), fill, np.float32)
    return np.concatenate([x, pad])
