"""The beat-aligned MIDI representation shared by scorer training and runtime.

A clip is seen as exactly :data:`ROLL_STEPS` steps of :data:`STEPS_PER_QN` per quarter note
(32 quarter notes), so tempo never changes the picture:

- ``roll`` ``[2, 128, ROLL_STEPS]``: channel 0 holds the sustained pitched notes
  (velocity/127 while a note sounds; drums excluded), channel 1 the onsets of every note,
  drums included at their General MIDI drum pitch (velocity/127 at the onset step).
- ``symbolic`` ``[N_SYMBOLIC]``: summary numbers, each scaled to roughly [0, 1]; their order is
  :data:`SYMBOLIC_NAMES`. Only entry 0 depends on the tempo.

Windowing: whole empty bars before the first note are dropped; music shorter than 32 quarter
notes is looped (at its length rounded up to whole bars, so the meter stays aligned) until it
fills the window; longer music is cut to its first 32 quarter notes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.errors import MidiFileError
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import Note, Part
from scoring.note_arrays import (
    ROLL_STEPS,
    STEPS_PER_QN,
    WINDOW_QN,
    Backdrop,
    PartArrays,
    rolls,
    window_of,
    windowed,
)

N_SYMBOLIC: Final = 32

#: Names of the symbolic entries, in order (the scaling of each is in :func:`symbolic_features`).
SYMBOLIC_NAMES: Final[tuple[str, ...]] = (
    "tempo_bpm",  # bpm / 200, capped at 1.5
    "meter_numerator",  # log2(numerator) / 4
    "is_compound",  # 6/8, 9/8, 12/8
    "mean_duration",  # mean pitched note length: log2(1 + qn) / log2(9)
    "pitched_density",  # pitched onsets per qn: log1p(d) / log1p(16)
    "drum_density",  # drum onsets per qn: log1p(d) / log1p(16)
    "mean_pitch",  # duration-weighted, / 127
    "pitch_std",  # semitones / 24, capped at 1
    "min_pitch",  # / 127
    "max_pitch",  # / 127
    "pitch_range",  # (max - min) / 60, capped at 1
    "mean_polyphony",  # sounding pitches per non-silent step / 6, capped at 1
    *(f"pc_{i}" for i in range(12)),  # duration-weighted pitch-class histogram, sums to 1
    "major_vs_minor",  # 0.5 + (best major r - best minor r) / 2 (Krumhansl-Kessler)
    "key_clarity",  # best key correlation, clipped to [0, 1]
    "mean_velocity",  # all notes, / 127
    "syncopation",  # share of onset steps off the felt beats of the meter
    "drum_share",  # drum onsets / all onsets
    "silence",  # share of steps with no pitched note sounding
    "triplet_share",  # share of onsets nearer the 8th-triplet grid than the 16th grid (swing)
    "chromaticism",  # share of pitched duration outside the best key's scale
)

#: Krumhansl-Kessler key profiles (C major, C minor).
_MAJOR_PROFILE: Final = np.array(
    [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
)
_MINOR_PROFILE: Final = np.array(
    [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
)


def _rotations(profile: NDArray[np.float64]) -> NDArray[np.float64]:
    """``[12, 12]``: row ``t`` is the profile moved to tonic ``t``, centred, unit length (so a
    dot product with a centred unit histogram is Pearson's r)."""
    rows = np.stack([np.roll(profile, t) for t in range(12)])
    rows -= rows.mean(axis=1, keepdims=True)
    out: NDArray[np.float64] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


_MAJOR_KEYS: Final = _rotations(_MAJOR_PROFILE)
_MINOR_KEYS: Final = _rotations(_MINOR_PROFILE)
_MAJOR_SCALE: Final = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE: Final = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor plus the leading tone


@dataclass(frozen=True, slots=True)
class MidiFeatures:
    """One clip as the scorer sees it (see the module docstring)."""

    roll: NDArray[np.float32]  # [2, 128, ROLL_STEPS]
    symbolic: NDArray[np.float32]  # [N_SYMBOLIC]

    def __post_init__(self) -> None:
        if self.roll.shape != (2, 128, ROLL_STEPS):
            raise ValueError(
                f"MidiFeatures.roll: shape {self.roll.shape} -- (2, 128, {ROLL_STEPS})"
            )
        if self.symbolic.shape != (N_SYMBOLIC,):
            raise ValueError(
                f"MidiFeatures.symbolic: shape {self.symbolic.shape} -- ({N_SYMBOLIC},)"
            )


@dataclass(frozen=True, slots=True)
class KeyEstimate:
    """Best Krumhansl-Kessler key of a pitch-class histogram."""

    tonic: int  # pitch class 0..11
    mode: str  # "major" or "minor"
    correlation: float  # Pearson r of the best key, -1..1
    major_minus_minor: float  # best major r - best minor r


def estimate_key(pc_hist: NDArray[np.float64] | NDArray[np.float32]) -> KeyEstimate:
    """The best of the 24 major/minor keys for a 12-bin pitch-class histogram."""
    h = np.asarray(pc_hist, dtype=np.float64)
    if h.shape != (12,):
        raise ValueError(f"pc_hist: shape {h.shape} -- (12,)")
    if not np.any(h > 0) or np.allclose(h, h[0]):
        return KeyEstimate(tonic=0, mode="major", correlation=0.0, major_minus_minor=0.0)
    centred = h - h.mean()
    centred /= np.linalg.norm(centred)
    best: dict[str, tuple[float, int]] = {}
    for mode, profiles in (("major", _MAJOR_KEYS), ("minor", _MINOR_KEYS)):
        rs = profiles @ centred  # Pearson r with each of the 12 rotations, [12]
        tonic = int(np.argmax(rs))
        best[mode] = (float(rs[tonic]), tonic)
    mode = "major" if best["major"][0] >= best["minor"][0] else "minor"
    return KeyEstimate(
        tonic=best[mode][1],
        mode=mode,
        correlation=best[mode][0],
        major_minus_minor=best["major"][0] - best["minor"][0],
    )


def _no_notes() -> MidiFileError:
    return MidiFileError(
        file=None, field="notes", value=0, allowed="at least one note in the first 32 quarter notes"
    )


def midi_features(parts: Sequence[Part], *, bpm: float, meter: Meter) -> MidiFeatures:
    """Roll and symbolic features of ``parts`` played at ``bpm`` (qn per minute) in ``meter``.

    Raises MidiFileError(field="notes") when there are no notes, ValueError for a bad bpm."""
    return features_over(parts, Backdrop.of(()), bpm=bpm, meter=meter)


def features_over(
    parts: Sequence[Part], backdrop: Backdrop, *, bpm: float, meter: Meter
) -> MidiFeatures:
    """The features of ``parts`` played over the parts of ``backdrop`` (as ``midi_features`` of
    ``[*parts, *backdrop's parts]``); the backdrop's windows and rolls are computed once.

    Raises MidiFileError(field="notes") when there are no notes, ValueError for a bad bpm."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo (qn per minute)")
    own = [PartArrays.of(p) for p in parts]
    starts = [float(a.start.min()) for a in own if len(a)]
    ends = [float(a.end.max()) for a in own if len(a)]
    first = min(starts, default=backdrop.first_start)
    last = max(ends, default=backdrop.last_end)
    if not math.isfinite(first):
        raise _no_notes()
    window = window_of(min(first, backdrop.first_start), max(last, backdrop.last_end), meter=meter)
    mine = [w for w in (windowed(a, window) for a in own) if len(w)]
    under, under_roll = backdrop.placed(window)
    placed = [*mine, *under]
    if not placed:
        raise _no_notes()
    roll = np.maximum(rolls(mine), under_roll) if mine else under_roll.copy()
    return MidiFeatures(roll=roll, symbolic=symbolic_features(placed, roll, bpm=bpm, meter=meter))


def symbolic_features(
    window: Sequence[PartArrays], roll: NDArray[np.float32], *, bpm: float, meter: Meter
) -> NDArray[np.float32]:
    """The :data:`SYMBOLIC_NAMES` vector of windowed parts and their ``[2, 128, T]`` roll."""
    f = np.zeros(N_SYMBOLIC, dtype=np.float64)
    pitched = [p for p in window if not p.is_drum]
    drums = [p for p in window if p.is_drum]
    n_pitched = sum(len(p) for p in pitched)
    n_drums = sum(len(p) for p in drums)
    every = [*pitched, *drums]
    onsets = np.concatenate([p.start for p in every])
    f[0] = min(bpm / 200.0, 1.5)
    f[1] = math.log2(meter.numerator) / 4.0
    f[2] = float(meter.is_compound)
    if n_pitched:
        durations = np.concatenate([p.end - p.start for p in pitched])
        f[3] = min(1.0, math.log2(1.0 + float(np.mean(durations))) / math.log2(9))
    f[4] = math.log1p(n_pitched / WINDOW_QN) / math.log1p(16)
    f[5] = math.log1p(n_drums / WINDOW_QN) / math.log1p(16)
    sounding = roll[0] > 0  # [128, T]
    weights = sounding.sum(axis=1).astype(np.float64)  # steps per pitch
    pcs: NDArray[np.float64] = np.zeros(12)
    if weights.sum() > 0:
        pitches = np.arange(128, dtype=np.float64)
        mean = float((weights * pitches).sum() / weights.sum())
        present = np.nonzero(weights)[0]
        f[6] = mean / 127.0
        f[7] = min(
            1.0, math.sqrt(float((weights * (pitches - mean) ** 2).sum() / weights.sum())) / 24
        )
        f[8] = present.min() / 127.0
        f[9] = present.max() / 127.0
        f[10] = min(1.0, (present.max() - present.min()) / 60.0)
        per_step = sounding.sum(axis=0)
        f[11] = min(1.0, float(per_step[per_step > 0].mean()) / 6.0)
        counts = np.bincount(np.arange(128) % 12, weights=weights, minlength=12)
        pcs = (counts / counts.sum()).astype(np.float64)
        f[12:24] = pcs
        f[29] = float((per_step == 0).mean())
    else:
        f[29] = 1.0
    key = estimate_key(pcs)
    f[24] = min(1.0, max(0.0, 0.5 + key.major_minus_minor / 2.0))
    f[25] = min(1.0, max(0.0, key.correlation))
    f[26] = float(np.mean(np.concatenate([p.velocity for p in every]))) / 127.0
    f[27] = _syncopation(onsets, meter=meter)
    f[28] = n_drums / len(onsets)
    f[30] = float(np.mean(_triplet_onsets(onsets)))
    if pcs.sum() > 0:
        scale = _MAJOR_SCALE if key.mode == "major" else _MINOR_SCALE
        in_key = sum(pcs[(key.tonic + i) % 12] for i in scale)
        f[31] = max(0.0, 1.0 - in_key)
    return f.astype(np.float32)


def is_triplet_onset(qn: float, *, tolerance: float = 0.06) -> bool:
    """True when an onset (quarter notes) sits on an 8th-triplet position of its beat (1/3 or
    2/3) and nearer to it than to any straight 16th position: swing and triplet feel.
    Human timing a little off the straight grid does not count."""
    phase = qn - math.floor(qn)
    d_triplet = min(abs(phase - 1 / 3), abs(phase - 2 / 3))
    d_straight = min(abs(phase - x) for x in (0.0, 0.25, 0.5, 0.75, 1.0))
    return d_triplet < tolerance and d_triplet < d_straight


def _triplet_onsets(qn: NDArray[np.float64], *, tolerance: float = 0.06) -> NDArray[np.bool_]:
    """:func:`is_triplet_onset` of every onset ``[N]`` (qn) at once."""
    phase = qn - np.floor(qn)
    d_triplet = np.minimum(np.abs(phase - 1 / 3), np.abs(phase - 2 / 3))
    d_straight = np.abs(phase - 0.0)
    for x in (0.25, 0.5, 0.75, 1.0):
        d_straight = np.minimum(d_straight, np.abs(phase - x))
    out: NDArray[np.bool_] = (d_triplet < tolerance) & (d_triplet < d_straight)
    return out


def _syncopation(onsets: NDArray[np.float64], *, meter: Meter) -> float:
    """:func:`syncopation` of notes starting at ``onsets`` (qn)."""
    steps = np.unique(np.floor(onsets * STEPS_PER_QN + 0.5).astype(np.int64))
    if not len(steps):
        return 0.0
    bar_steps = round(meter.bar_qn * STEPS_PER_QN)
    beats = np.array(sorted({round(o * STEPS_PER_QN) for o in meter.beat_offsets_qn()}))
    off = int(np.count_nonzero(~np.isin(steps % bar_steps, beats)))
    return off / len(steps)


def syncopation(notes: Sequence[Note], *, meter: Meter) -> float:
    """Share of distinct onset steps (16ths) that fall off the felt beats of ``meter``."""
    steps = {math.floor(n.start * STEPS_PER_QN + 0.5) for n in notes}
    if not steps:
        return 0.0
    bar_steps = round(meter.bar_qn * STEPS_PER_QN)
    beats = {round(o * STEPS_PER_QN) for o in meter.beat_offsets_qn()}
    off = sum(1 for s in steps if s % bar_steps not in beats)
    return off / len(steps)


def features_from_midi_file(path: Path) -> MidiFeatures:
    """Read a MIDI file (its tempo and meter) and compute its features.

    Raises MidiFileError naming the file for a missing, unparsable or note-less file."""
    song = read_midi(Path(path))
    try:
        return midi_features(song.parts, bpm=song.bpm, meter=song.meter)
    except MidiFileError as exc:
        raise MidiFileError(
            file=path, field=exc.field, value=exc.value, allowed=exc.allowed
        ) from exc


def stack(
    features: Sequence[MidiFeatures],
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Batch clips: rolls ``[B, 2, 128, ROLL_STEPS]`` and symbolic ``[B, N_SYMBOLIC]``."""
    if not features:
        raise ValueError("features: an empty sequence -- at least one clip to stack")
    rolls = np.stack([f.roll for f in features]).astype(np.float32)
    symbolic = np.stack([f.symbolic for f in features]).astype(np.float32)
    return rolls, symbolic
