"""Weakly labelled compound-token sequences of real melodies for the mood melody transformer.

The melodies are OpenEWLD's lead sheets (public domain), cut by :mod:`training.melody_eval`
into 8-bar segments with their chord symbols; split by song as the style profiles are
(:func:`training.style.rows.split_of`): ``build`` trains, ``tune`` chooses the checkpoint,
``heldout`` is only reported. The Nottingham tunes (GPL-3.0) are never trained on; the
evaluation measures samples against them too.

Each segment is read in its key (the Krumhansl-Schmuckler estimate of melody and chords,
:mod:`scoring.key_estimate`) as scale steps, then given ``variants`` weak labels the way the
emotion model's clips are (:mod:`training.emotion.corpus`; Eerola, Friberg & Bresin 2013): a
tempo drawn log-uniformly 60..200 bpm (lead sheets carry none), a dynamic level with accents
on the bar and the felt beats, the melody moved up to three scale steps, and half of them moved
to the parallel mode. The label is
:func:`scoring.emotion.midi.weak_label` of the varied melody and chords: valence from mode,
triad quality and register, arousal from tempo, onset density and loudness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from generators.melody.compound import (
    DURATIONS,
    GRID_QN,
    POSITIONS,
    STEP_MAX,
    STEP_MIN,
    Condition,
    TokenNote,
    encode_notes,
    meter_name,
    pitch_step,
    reference_tonic,
)
from music.keys import MODE_INTERVALS
from music.notes import Note
from scoring.emotion.midi import weak_label
from scoring.key_estimate import estimate_key, histogram
from training.melody_eval import MelodySample

_EPS = 1e-6
#: Degrees (semitones above the tonic) that move a half step between parallel major and minor.
_MAJOR_ONLY: frozenset[int] = frozenset({4, 9, 11})
_MINOR_ONLY: frozenset[int] = frozenset({3, 8, 10})
#: Variants move the melody up to this many scale steps (register varies; the tokens see more
#: of each pitch, the model memorises less).
MAX_SHIFT = 3


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment read in its key: the notes as steps, the chords' pitch classes with their
    spans (qn), the key's tonic and mode family, meter name, length (qn)."""

    notes: tuple[TokenNote, ...]
    chords: tuple[tuple[float, float, tuple[int, ...]], ...]
    tonic: int
    mode: str
    meter: str
    length_qn: float
    song: str


def read_segment(sample: MelodySample) -> Segment | None:
    """``sample`` on the sixteenth grid in its estimated key; None when its meter has no
    token, its bar is longer than the grid, or fewer than four notes are left."""
    meter = meter_name(sample.meter.numerator, sample.meter.denominator)
    bar_qn = sample.meter.bar_qn
    if meter is None or bar_qn / GRID_QN > POSITIONS + _EPS:
        return None
    weighted = [(n.pitch, n.end - n.start) for n in sample.notes]
    for c in sample.chords:
        weighted += [(48 + pc, (c.end - c.start) / 2) for pc in c.pitch_classes]
    key = estimate_key(list(histogram(weighted)))
    mode = key.family
    notes: list[TokenNote] = []
    taken: set[tuple[int, int]] = set()
    for n in sorted(sample.notes):
        bar = int((n.start + _EPS) // bar_qn)
        onset = round((n.start - bar * bar_qn) / GRID_QN)
        if onset >= round(bar_qn / GRID_QN):
            bar, onset = bar + 1, 0
        if bar >= sample.bars or (bar, onset) in taken:
            continue
        room = round(bar_qn / GRID_QN) - onset
        duration = max(1, min(room, DURATIONS, round((n.end - n.start) / GRID_QN)))
        taken.add((bar, onset))
        notes.append(TokenNote(bar, onset, duration, pitch_step(n.pitch, key.tonic, mode), 90))
    if len(notes) < 4:
        return None
    chords = tuple((c.start, c.end, tuple(c.pitch_classes)) for c in sample.chords)
    return Segment(
        notes=tuple(notes),
        chords=chords,
        tonic=key.tonic,
        mode=mode,
        meter=meter,
        length_qn=sample.bars * bar_qn,
        song=sample.song,
    )


def _flip_pc(pc: int, tonic: int, mode: str) -> int:
    """A pitch class moved to the parallel mode (degrees 3, 6 and 7 a half step)."""
    rel = (pc - tonic) % 12
    if mode == "major" and rel in _MAJOR_ONLY:
        return (pc - 1) % 12
    if mode == "minor" and rel in _MINOR_ONLY:
        return (pc + 1) % 12
    return pc


def _velocity(level: float, onset: int, felt: set[int], rng: np.random.Generator) -> int:
    accent = 8.0 if onset == 0 else 4.0 if onset in felt else 0.0
    return int(np.clip(round(level + accent + rng.normal(0.0, 4.0)), 20, 127))


def variant(
    seg: Segment,
    bar_qn: float,
    felt: set[int],
    rng: np.random.Generator,
    *,
    may_flip: bool = True,
) -> tuple[list[TokenNote], Condition]:
    """One weakly labelled variant of ``seg``: notes with velocities, and the condition its
    label gives (``may_flip=False`` keeps the segment's mode and register)."""
    bpm = float(math.exp(rng.uniform(math.log(60.0), math.log(200.0))))
    level = float(rng.uniform(45.0, 122.0))
    flip = bool(rng.random() < 0.5) and may_flip
    shift = int(rng.integers(-MAX_SHIFT, MAX_SHIFT + 1)) if may_flip else 0
    mode = ("minor" if seg.mode == "major" else "major") if flip else seg.mode
    ref = reference_tonic(seg.tonic)
    intervals = MODE_INTERVALS[mode]
    notes: list[TokenNote] = []
    sounding: list[Note] = []
    for n in seg.notes:
        vel = _velocity(level, n.onset, felt, rng)
        step = max(STEP_MIN, min(STEP_MAX, n.step + shift))
        notes.append(TokenNote(n.bar, n.onset, n.duration, step, vel))
        octave, degree = divmod(step, 7)
        start = n.bar * bar_qn + n.onset * GRID_QN
        pitch = ref + 12 * octave + intervals[degree]
        sounding.append(Note(start, start + n.duration * GRID_QN, pitch, vel))
    for start, end, pcs in seg.chords:
        for pc in pcs:
            p = 48 + (_flip_pc(pc, seg.tonic, seg.mode) if flip else pc)
            sounding.append(Note(start, max(end, start + GRID_QN), p, int(level) - 10))
    label = weak_label(sounding, bpm=bpm, length_qn=seg.length_qn)
    cond = Condition(
        valence=label.valence, arousal=label.arousal, bpm=bpm, meter=seg.meter, mode=mode
    )
    return notes, cond


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """Token sequences ``[N, T, 6]`` (int64, 0-padded), their conditions and source songs."""

    tokens: NDArray[np.int64]
    conditions: tuple[Condition, ...]
    songs: tuple[str, ...]


def build_sequences(
    segments: Sequence[Segment],
    *,
    variants: int,
    context: int,
    seed: int,
    bar_qn_of: dict[str, float],
    felt_of: dict[str, set[int]],
) -> SequenceSet:
    """``variants`` labelled sequences of each segment, cut to ``context`` positions."""
    rng = np.random.default_rng(seed)
    rows: list[NDArray[np.int64]] = []
    conds: list[Condition] = []
    songs: list[str] = []
    for seg in segments:
        for _ in range(variants):
            notes, cond = variant(seg, bar_qn_of[seg.meter], felt_of[seg.meter], rng)
            seq = np.zeros((context, 6), dtype=np.int64)
            toks = [*cond.prefix(), *encode_notes(notes)][:context]
            seq[: len(toks)] = toks
            rows.append(seq)
            conds.append(cond)
            songs.append(seg.song)
    tokens = np.stack(rows) if rows else np.zeros((0, context, 6), dtype=np.int64)
    return SequenceSet(tokens, tuple(conds), tuple(songs))
