"""The scorer's symbolic features (:data:`SYMBOLIC_NAMES`): summary numbers of windowed music,
each scaled to roughly [0, 1], computed for a whole batch of candidates at once.

Each candidate's numbers are exactly (bit for bit) those of the per-note definitions (kept as
references in the tests): counts and sums of whole numbers are taken over the batch in numpy
(they are exact in any order); the one float sum whose order matters (the mean pitched note
length) is added up per candidate in the order of the notes; the key estimate runs the same
BLAS calls per candidate; logarithms go through :mod:`math` as before.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.notes import Note
from scoring.note_arrays import (
    ONSET_STEPS,
    STEPS_PER_QN,
    WINDOW_QN,
    NoteTable,
    Placed,
    onset_steps,
)

N_SYMBOLIC: Final = 32

#: Names of the symbolic entries, in order (the scaling of each is in :func:`symbolic_batch`).
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
_PITCHES: Final = np.arange(128, dtype=np.float64)
_LOG2_9: Final = math.log2(9)
_LOG1P_16: Final = math.log1p(16)


@dataclass(frozen=True, slots=True)
class KeyEstimate:
    """Best Krumhansl-Kessler key of a pitch-class histogram."""

    tonic: int  # pitch class 0..11
    mode: str  # "major" or "minor"
    correlation: float  # Pearson r of the best key, -1..1
    major_minus_minor: float  # best major r - best minor r


_NO_KEY: Final = KeyEstimate(tonic=0, mode="major", correlation=0.0, major_minus_minor=0.0)


def estimate_key(pc_hist: NDArray[np.float64] | NDArray[np.float32]) -> KeyEstimate:
    """The best of the 24 major/minor keys for a 12-bin pitch-class histogram."""
    h = np.asarray(pc_hist, dtype=np.float64)
    if h.shape != (12,):
        raise ValueError(f"pc_hist: shape {h.shape} -- (12,)")
    return estimate_keys(h[None, :])[0]


def estimate_keys(hists: NDArray[np.float64]) -> list[KeyEstimate]:
    """:func:`estimate_key` of each row of ``[B, 12]``: a histogram with nothing in it, or
    flat (every bin within ``numpy.allclose`` of the first), has no key; otherwise Pearson's r
    with each rotated profile (the centred histogram over its norm, one matrix-vector product
    per mode and row, as the single-row definition computes it)."""
    first = hists[:, :1]
    close = (np.abs(hists - first) <= 1e-08 + 1e-05 * np.abs(first)) & np.isfinite(first)
    flat = ~np.any(hists > 0, axis=1) | np.all(close | (hists == first), axis=1)
    centred = hists - hists.mean(axis=1, keepdims=True)
    out = []
    for row, is_flat in zip(centred, flat.tolist(), strict=True):
        if is_flat:
            out.append(_NO_KEY)
            continue
        unit = row / math.sqrt(row.dot(row))  # numpy.linalg.norm of a vector, the same float
        major = _MAJOR_KEYS @ unit
        minor = _MINOR_KEYS @ unit
        t_major, t_minor = int(np.argmax(major)), int(np.argmax(minor))
        r_major, r_minor = float(major[t_major]), float(minor[t_minor])
        is_major = r_major >= r_minor
        out.append(
            KeyEstimate(
                tonic=t_major if is_major else t_minor,
                mode="major" if is_major else "minor",
                correlation=r_major if is_major else r_minor,
                major_minus_minor=r_major - r_minor,
            )
        )
    return out


def is_triplet_onset(qn: float, *, tolerance: float = 0.06) -> bool:
    """True when an onset (quarter notes) sits on an 8th-triplet position of its beat (1/3 or
    2/3) and nearer to it than to any straight 16th position: swing and triplet feel.
    Human timing a little off the straight grid does not count."""
    phase = qn - math.floor(qn)
    d_triplet = min(abs(phase - 1 / 3), abs(phase - 2 / 3))
    d_straight = min(abs(phase - x) for x in (0.0, 0.25, 0.5, 0.75, 1.0))
    return d_triplet < tolerance and d_triplet < d_straight


def triplet_onsets(qn: NDArray[np.float64], *, tolerance: float = 0.06) -> NDArray[np.bool_]:
    """:func:`is_triplet_onset` of every onset ``[N]`` (qn) at once."""
    phase = qn - np.floor(qn)
    d_triplet = np.minimum(np.abs(phase - 1 / 3), np.abs(phase - 2 / 3))
    d_straight = np.abs(phase - 0.0)
    for x in (0.25, 0.5, 0.75, 1.0):
        d_straight = np.minimum(d_straight, np.abs(phase - x))
    out: NDArray[np.bool_] = (d_triplet < tolerance) & (d_triplet < d_straight)
    return out


def syncopation(notes: Sequence[Note], *, meter: Meter) -> float:
    """Share of distinct onset steps (16ths) that fall off the felt beats of ``meter``."""
    steps = {math.floor(n.start * STEPS_PER_QN + 0.5) for n in notes}
    if not steps:
        return 0.0
    bar_steps = round(meter.bar_qn * STEPS_PER_QN)
    beats = {round(o * STEPS_PER_QN) for o in meter.beat_offsets_qn()}
    off = sum(1 for s in steps if s % bar_steps not in beats)
    return off / len(steps)


@functools.lru_cache(maxsize=32)
def _off_beat(meter: Meter) -> NDArray[np.bool_]:
    """``[ONSET_STEPS]``: True at the onset steps off the felt beats of ``meter``."""
    bar_steps = round(meter.bar_qn * STEPS_PER_QN)
    beats = np.array(sorted({round(o * STEPS_PER_QN) for o in meter.beat_offsets_qn()}))
    out: NDArray[np.bool_] = ~np.isin(np.arange(ONSET_STEPS) % bar_steps, beats)
    return out


@dataclass(frozen=True, slots=True)
class _Counts:
    """Per candidate ``[B]``: what its notes add to the symbolic numbers."""

    pitched: NDArray[np.int64]
    drums: NDArray[np.int64]
    velocity: NDArray[np.float64]  # sums of whole numbers, exact
    triplets: NDArray[np.float64]  # counts, exact
    onsets: NDArray[np.bool_]  # [B, ONSET_STEPS]: a note starts on this step

    @classmethod
    def of(cls, notes: NoteTable) -> _Counts:
        b, who, drum = notes.candidates, notes.candidate, notes.drum
        onsets = np.zeros((b, ONSET_STEPS), dtype=np.bool_)
        onsets[who, onset_steps(notes.start)] = True
        return cls(
            pitched=np.bincount(who[~drum], minlength=b),
            drums=np.bincount(who[drum], minlength=b),
            velocity=_float_sums(who, notes.velocity, b),
            triplets=_float_sums(who, triplet_onsets(notes.start), b),
            onsets=onsets,
        )

    def add(self, index: NDArray[np.int64], other: _Counts) -> None:
        """Add ``other`` (one candidate's counts) to the candidates at ``index``."""
        self.pitched[index] += other.pitched[0]
        self.drums[index] += other.drums[0]
        self.velocity[index] += other.velocity[0]
        self.triplets[index] += other.triplets[0]
        self.onsets[index] |= other.onsets[0]


def _float_sums(who: NDArray[np.int64], values: NDArray[Any], size: int) -> NDArray[np.float64]:
    """``[size]`` float64 sums of ``values`` per index in ``who`` (whole numbers here: exact)."""
    out: NDArray[np.float64] = np.bincount(who, weights=values, minlength=size).astype(np.float64)
    return out


def _pitched_durations(notes: NoteTable) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The pitched notes' lengths in table order and, per candidate, where its run starts
    (``[B + 1]`` bounds; the notes of a candidate are contiguous)."""
    pitched = ~notes.drum
    lengths = (notes.end - notes.start)[pitched]
    per = np.bincount(notes.candidate[pitched], minlength=notes.candidates)
    return lengths, np.concatenate([[0], np.cumsum(per)])


def symbolic_batch(
    own: NoteTable,
    underneath: Sequence[Placed | None],
    roll: NDArray[np.float32],
    *,
    bpm: float,
    meter: Meter,
) -> NDArray[np.float32]:
    """``[B, N_SYMBOLIC]``: the :data:`SYMBOLIC_NAMES` of each candidate, whose windowed notes
    are its own (``own``) and those of ``underneath[c]`` (placed parts shared by candidates
    with the same window, or None), and whose ``[2, 128, T]`` roll is ``roll[c]``."""
    b = own.candidates
    counts = _Counts.of(own)
    lengths, bounds = _pitched_durations(own)
    under_lengths: list[NDArray[np.float64] | None] = [None] * b
    groups: dict[int, tuple[Placed, list[int]]] = {}
    for c, placed in enumerate(underneath):
        if placed is not None and len(placed.notes):
            groups.setdefault(id(placed), (placed, []))[1].append(c)
    for placed, members in groups.values():
        index = np.array(members, dtype=np.int64)
        counts.add(index, _Counts.of(placed.notes))
        placed_lengths = _pitched_durations(placed.notes)[0]
        for c in members:
            under_lengths[c] = placed_lengths
    pitched = counts.pitched
    every = pitched + counts.drums
    if np.any(every == 0):
        raise ValueError("a candidate without notes in its window -- at least one note")
    f = np.zeros((b, N_SYMBOLIC), dtype=np.float64)
    f[:, 0] = min(bpm / 200.0, 1.5)
    f[:, 1] = math.log2(meter.numerator) / 4.0
    f[:, 2] = float(meter.is_compound)
    sounding = roll[:, 0] > 0  # [B, 128, T]
    weights = sounding.sum(axis=2).astype(np.float64)  # steps per pitch, [B, 128]
    total = weights.sum(axis=1)
    has = total > 0
    pcs = np.zeros((b, 12), dtype=np.float64)
    f[:, 29] = 1.0
    if np.any(has):
        w, t = weights[has], total[has]
        mean = (w * _PITCHES).sum(axis=1) / t
        spread = (w * (_PITCHES - mean[:, None]) ** 2).sum(axis=1) / t
        f[has, 6] = mean / 127.0
        f[has, 7] = np.minimum(1.0, np.sqrt(spread) / 24)
        present = w > 0
        low = np.argmax(present, axis=1)
        high = 127 - np.argmax(present[:, ::-1], axis=1)
        f[has, 8] = low / 127.0
        f[has, 9] = high / 127.0
        f[has, 10] = np.minimum(1.0, (high - low) / 60.0)
        per_step = sounding[has].sum(axis=1)  # [H, T]
        sounding_steps = per_step.sum(axis=1).astype(np.float64)
        f[has, 11] = np.minimum(1.0, (sounding_steps / (per_step > 0).sum(axis=1)) / 6.0)
        folded = np.zeros((len(w), 132), dtype=np.float64)
        folded[:, :128] = w
        classes = folded.reshape(len(w), 11, 12).sum(axis=1)
        pcs[has] = classes / t[:, None]
        f[has, 12:24] = pcs[has]
        f[has, 29] = (per_step == 0).sum(axis=1) / per_step.shape[1]
    keys = estimate_keys(pcs)
    off = (counts.onsets & _off_beat(meter)[None, :]).sum(axis=1)
    distinct = counts.onsets.sum(axis=1)
    rows = zip(
        pitched.tolist(),
        counts.drums.tolist(),
        every.tolist(),
        counts.velocity.tolist(),
        counts.triplets.tolist(),
        off.tolist(),
        distinct.tolist(),
        pcs.tolist(),
        has.tolist(),
        strict=True,
    )
    for c, (n_pitched, n_drums, n, velocity, triplets, n_off, n_steps, hist, heard) in enumerate(
        rows
    ):
        if n_pitched:
            run = lengths[bounds[c] : bounds[c + 1]]
            extra = under_lengths[c]
            if extra is not None and len(extra):
                run = np.concatenate((run, extra))
            mean_length = float(np.add.reduce(run)) / n_pitched  # numpy.mean's sum and division
            f[c, 3] = min(1.0, math.log2(1.0 + mean_length) / _LOG2_9)
        f[c, 4] = math.log1p(n_pitched / WINDOW_QN) / _LOG1P_16
        f[c, 5] = math.log1p(n_drums / WINDOW_QN) / _LOG1P_16
        key = keys[c]
        f[c, 24] = min(1.0, max(0.0, 0.5 + key.major_minus_minor / 2.0))
        f[c, 25] = min(1.0, max(0.0, key.correlation))
        f[c, 26] = velocity / n / 127.0
        f[c, 27] = n_off / n_steps if n_steps else 0.0
        f[c, 28] = n_drums / n
        f[c, 30] = triplets / n
        if heard:
            scale = _MAJOR_SCALE if key.mode == "major" else _MINOR_SCALE
            in_key = sum(hist[(key.tonic + i) % 12] for i in scale)
            f[c, 31] = max(0.0, 1.0 - in_key)
    out: NDArray[np.float32] = f.astype(np.float32)
    return out
