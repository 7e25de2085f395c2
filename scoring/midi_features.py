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
from music.pianoroll import onset_roll, piano_roll

STEPS_PER_QN: Final = 4
ROLL_STEPS: Final = 128
WINDOW_QN: Final = ROLL_STEPS / STEPS_PER_QN
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


def window_parts(parts: Sequence[Part], *, meter: Meter) -> tuple[Part, ...]:
    """The parts as they fill the 32-qn window: leading empty bars dropped, short music looped
    at whole bars, long music cut (notes crossing the end are shortened). Raises
    MidiFileError when there is no note."""
    starts = [n.start for p in parts for n in p.notes]
    if not starts:
        raise _no_notes()
    bar = meter.bar_qn
    offset = math.floor(min(starts) / bar + 1e-9) * bar
    end = max(n.end for p in parts for n in p.notes) - offset
    loop = max(bar, math.ceil(end / bar - 1e-9) * bar)
    copies = math.ceil(WINDOW_QN / loop) if loop < WINDOW_QN else 1
    out: list[Part] = []
    for p in parts:
        notes: list[Note] = []
        for k in range(copies):
            shift = k * loop - offset
            for n in p.notes:
                start, stop = n.start + shift, min(n.end + shift, WINDOW_QN)
                if start < WINDOW_QN and stop > start:
                    notes.append(Note(start=start, end=stop, pitch=n.pitch, velocity=n.velocity))
        if notes:
            out.append(
                Part(
                    name=p.name,
                    notes=tuple(notes),
                    program=p.program,
                    is_drum=p.is_drum,
                    meta=p.meta,
                )
            )
    if not out:
        raise _no_notes()
    return tuple(out)


def midi_features(parts: Sequence[Part], *, bpm: float, meter: Meter) -> MidiFeatures:
    """Roll and symbolic features of ``parts`` played at ``bpm`` (qn per minute) in ``meter``.

    Raises MidiFileError(field="notes") when there are no notes, ValueError for a bad bpm."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo (qn per minute)")
    window = list(window_parts(parts, meter=meter))
    roll = np.stack(
        [
            piano_roll(window, steps_per_qn=STEPS_PER_QN, length_steps=ROLL_STEPS),
            onset_roll(window, steps_per_qn=STEPS_PER_QN, length_steps=ROLL_STEPS),
        ]
    ).astype(np.float32)
    return MidiFeatures(roll=roll, symbolic=symbolic_features(window, roll, bpm=bpm, meter=meter))


def symbolic_features(
    window: Sequence[Part], roll: NDArray[np.float32], *, bpm: float, meter: Meter
) -> NDArray[np.float32]:
    """The :data:`SYMBOLIC_NAMES` vector of windowed parts and their ``[2, 128, T]`` roll."""
    f = np.zeros(N_SYMBOLIC, dtype=np.float64)
    pitched = [n for p in window if not p.is_drum for n in p.notes]
    drums = [n for p in window if p.is_drum for n in p.notes]
    every = pitched + drums
    f[0] = min(bpm / 200.0, 1.5)
    f[1] = math.log2(meter.numerator) / 4.0
    f[2] = float(meter.is_compound)
    if pitched:
        f[3] = min(
            1.0, math.log2(1.0 + float(np.mean([n.duration for n in pitched]))) / math.log2(9)
        )
    f[4] = math.log1p(len(pitched) / WINDOW_QN) / math.log1p(16)
    f[5] = math.log1p(len(drums) / WINDOW_QN) / math.log1p(16)
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
    f[26] = float(np.mean([n.velocity for n in every])) / 127.0
    f[27] = syncopation(every, meter=meter)
    f[28] = len(drums) / len(every)
    f[30] = float(np.mean([is_triplet_onset(n.start) for n in every]))
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
