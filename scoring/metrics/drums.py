"""Drum metrics (Dong et al. 2018; Wu & Yang 2020 after Yang & Lerch 2020; Gillick et al.
2019), on ``bars`` bars of drum hits as played: onset times in quarter notes (micro-timing
included), General MIDI drum notes and velocities. Hits are read on the 16th grid; the
remainder is the micro-timing.

- ``hits_per_qn``: onsets per quarter note.
- ``kick_share``, ``snare_share``, ``hat_share``: shares of the onsets on the kick, the snare
  (with rim, cross-stick and clap) and the hi-hats (closed, pedal, open).
- ``syncopation``: mean metrical weakness (1 - weight) of the kick and snare onsets.
- ``empty_beat_rate``: share of felt beats without any onset.
- ``grooving_similarity``: mean over pairs of bars of ``1 - XOR(onset steps) / steps``.
- ``bar_similarity``: mean Jaccard overlap of the bars' (kick/snare/hat/other, step) onsets.
- ``velocity_mean``, ``velocity_std``: of all hits, MIDI velocity.
- ``timing_ms``: mean absolute distance of the onsets from the 16th grid, milliseconds.
- ``polyphony``: mean number of hits on the 16ths that have any.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from scoring.metrics.common import NAN, STEPS_PER_QN, beat_starts_qn, step_weights

DRUM_METRICS: Final = (
    "hits_per_qn",
    "kick_share",
    "snare_share",
    "hat_share",
    "syncopation",
    "empty_beat_rate",
    "grooving_similarity",
    "bar_similarity",
    "velocity_mean",
    "velocity_std",
    "timing_ms",
    "polyphony",
)

KICKS: Final = (35, 36)
SNARES: Final = (37, 38, 39, 40)
HATS: Final = (42, 44, 46)
#: Streams of :func:`bar_similarity`: kick 0, snare 1, hi-hat 2, anything else 3.
_STREAM: Final = np.full(128, 3, dtype=np.int64)
_STREAM[list(KICKS)] = 0
_STREAM[list(SNARES)] = 1
_STREAM[list(HATS)] = 2


@functools.cache
def _upper(n: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    return np.triu_indices(n, k=1)


def _pair_mean(values: NDArray[np.float64]) -> float:
    """Mean of the strictly upper triangle of a square matrix (1.0 for a 1x1 one)."""
    n = values.shape[0]
    if n < 2:
        return 1.0
    return float(values[_upper(n)].mean())


def grooving_similarity(onsets: NDArray[np.bool_]) -> float:
    """``onsets`` ``[bars, steps]``: mean over pairs of bars of ``1 - XOR / steps``."""
    m = onsets.astype(np.float64)
    both = m @ m.T
    per_bar = m.sum(axis=1)
    xor = per_bar[:, None] + per_bar[None, :] - 2.0 * both
    return _pair_mean(1.0 - xor / max(1, onsets.shape[1]))


def bar_similarity(onsets: NDArray[np.bool_]) -> float:
    """``onsets`` ``[bars, streams x steps]``: mean Jaccard overlap of all pairs of bars (two
    empty bars count as identical)."""
    m = onsets.astype(np.float64)
    inter = m @ m.T
    per_bar = m.sum(axis=1)
    union = per_bar[:, None] + per_bar[None, :] - inter
    jaccard = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
    return _pair_mean(jaccard)


def drum_metrics(
    onset_qn: NDArray[np.float64],
    voice: NDArray[np.int64],
    velocity: NDArray[np.int64],
    *,
    meter: Meter,
    bars: int,
    bpm: float,
) -> dict[str, float]:
    """Every metric of :data:`DRUM_METRICS` for ``bars`` bars of hits (arrays ``[N]``; times in
    qn from the first bar line). Hits at or past the last bar are left out."""
    if bars < 1:
        raise ValueError(f"bars: {bars!r} -- at least 1")
    if not bpm > 0:
        raise ValueError(f"bpm: {bpm!r} -- a positive tempo")
    spb = round(meter.bar_qn * STEPS_PER_QN)
    exact = onset_qn * STEPS_PER_QN
    step = np.floor(exact + 0.5).astype(np.int64)
    keep = (step >= 0) & (step < bars * spb)
    step, voice, velocity, exact = step[keep], voice[keep], velocity[keep], exact[keep]
    n = len(step)
    qn = bars * meter.bar_qn
    if n == 0:
        return dict.fromkeys(DRUM_METRICS, NAN) | {"hits_per_qn": 0.0, "empty_beat_rate": 1.0}
    bar, in_bar = np.divmod(step, spb)
    stream = _STREAM[np.clip(voice, 0, 127)]
    core = stream <= 1
    weights = step_weights(meter)
    starts = np.round(beat_starts_qn(meter) * STEPS_PER_QN).astype(np.int64)
    beat_of = np.searchsorted(starts, in_bar, side="right") - 1
    beats = len(starts) - 1
    filled = np.zeros((bars, beats), dtype=bool)
    filled[bar, beat_of] = True
    any_onset = np.zeros((bars, spb), dtype=bool)
    any_onset[bar, in_bar] = True
    by_stream = np.zeros((bars, 4 * spb), dtype=bool)
    by_stream[bar, stream * spb + in_bar] = True
    vel = velocity.astype(np.float64)
    offset_ms = np.abs(exact - step) / STEPS_PER_QN * 60_000.0 / bpm
    return {
        "hits_per_qn": n / qn,
        "kick_share": float((stream == 0).mean()),
        "snare_share": float((stream == 1).mean()),
        "hat_share": float((stream == 2).mean()),
        "syncopation": float((1.0 - weights[in_bar[core]]).mean()) if core.any() else 0.0,
        "empty_beat_rate": float(1.0 - filled.mean()),
        "grooving_similarity": grooving_similarity(any_onset),
        "bar_similarity": bar_similarity(by_stream),
        "velocity_mean": float(vel.mean()),
        "velocity_std": float(vel.std()),
        "timing_ms": float(offset_ms.mean()),
        "polyphony": n / int(any_onset.sum()),
    }


def meter_accents(
    onset_qn: NDArray[np.float64],
    voice: NDArray[np.int64],
    velocity: NDArray[np.int64],
    *,
    meter: Meter,
    bars: int,
) -> dict[str, float]:
    """Whether ``bars`` bars of drums put their accents where ``meter`` puts its felt beats
    (its groups: 6/8 on eighths 1 and 4, 7/8 on 1, 3 and 5):

    - ``downbeat_kick``: share of bars with a kick on the downbeat.
    - ``kick_on_beats``: share of the kicks on a felt beat's start.
    - ``accent_ratio``: mean summed velocity of all hits on a felt beat's start over that on the
      other eighths (above 1 when the beats are the loud places).
    """
    if bars < 1:
        raise ValueError(f"bars: {bars!r} -- at least 1")
    spb = round(meter.bar_qn * STEPS_PER_QN)
    step = np.floor(onset_qn * STEPS_PER_QN + 0.5).astype(np.int64)
    keep = (step >= 0) & (step < bars * spb)
    step, voice, velocity = step[keep], voice[keep], velocity[keep]
    bar, in_bar = np.divmod(step, spb)
    beats = np.round(beat_starts_qn(meter)[:-1] * STEPS_PER_QN).astype(np.int64)
    on_beat = np.isin(in_bar, beats)
    eighths = np.arange(0, spb, STEPS_PER_QN // 2)
    others = eighths[~np.isin(eighths, beats)]
    kick = np.isin(voice, KICKS)
    mass = np.zeros(spb)
    np.add.at(mass, in_bar, velocity.astype(np.float64))
    beat_mass = mass[beats].mean() / bars
    other_mass = mass[others].mean() / bars if len(others) else NAN
    downbeat = np.zeros(bars, dtype=bool)
    downbeat[bar[kick & (in_bar == 0)]] = True
    return {
        "downbeat_kick": float(downbeat.mean()),
        "kick_on_beats": float(on_beat[kick].mean()) if kick.any() else NAN,
        "accent_ratio": float(beat_mass / other_mass) if other_mass > 0 else NAN,
    }
