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
import itertools
from collections.abc import Sequence
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


def _pair_mean(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``values`` ``[..., n, n]``: the mean of each strictly upper triangle, ``[...]`` (1.0 for
    1x1). Each triangle is one contiguous row that numpy sums on its own, so the mean is the same
    float for a stack as for one matrix."""
    n = values.shape[-1]
    if n < 2:
        return np.ones(values.shape[:-2])
    rows, cols = _upper(n)
    return np.ascontiguousarray(values[..., rows, cols]).mean(axis=-1)


def grooving_similarity(onsets: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``onsets`` ``[..., bars, steps]``: mean over pairs of bars of ``1 - XOR / steps``."""
    m = onsets.astype(np.float64)
    both = m @ m.swapaxes(-1, -2)
    per_bar = m.sum(axis=-1)
    xor = per_bar[..., :, None] + per_bar[..., None, :] - 2.0 * both
    return _pair_mean(1.0 - xor / max(1, onsets.shape[-1]))


def bar_similarity(onsets: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``onsets`` ``[..., bars, streams x steps]``: mean Jaccard overlap of all pairs of bars
    (two empty bars count as identical)."""
    m = onsets.astype(np.float64)
    inter = m @ m.swapaxes(-1, -2)
    per_bar = m.sum(axis=-1)
    union = per_bar[..., :, None] + per_bar[..., None, :] - inter
    jaccard = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
    return _pair_mean(jaccard)


def _segment_sums(values: NDArray[np.float64], bounds: NDArray[np.int64]) -> NDArray[np.float64]:
    """The sum of each ``values[bounds[i]:bounds[i + 1]]``, each segment summed as numpy sums
    one array (pairwise): the same float as the sum of that pattern's values alone."""
    return np.array([np.add.reduce(values[a:b]) for a, b in itertools.pairwise(bounds.tolist())])


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
    return drum_metrics_batch(
        onset_qn, voice, velocity, counts=[len(onset_qn)], meter=meter, bars=bars, bpm=bpm
    )[0]


def drum_metrics_batch(
    onset_qn: NDArray[np.float64],
    voice: NDArray[np.int64],
    velocity: NDArray[np.int64],
    *,
    counts: Sequence[int],
    meter: Meter,
    bars: int,
    bpm: float,
) -> list[dict[str, float]]:
    """:func:`drum_metrics` of several patterns of ``bars`` bars at once: their hits one after
    the other (arrays ``[N]``), the first ``counts[0]`` the first pattern's, and so on. The
    same floats as one call per pattern: counts are exact, and every float sum runs over one
    pattern's values in their order (:func:`_segment_sums`, :func:`_pair_mean`)."""
    if bars < 1:
        raise ValueError(f"bars: {bars!r} -- at least 1")
    if not bpm > 0:
        raise ValueError(f"bpm: {bpm!r} -- a positive tempo")
    patterns = len(counts)
    spb = round(meter.bar_qn * STEPS_PER_QN)
    owner = np.repeat(np.arange(patterns), counts)
    exact = onset_qn * STEPS_PER_QN
    step = np.floor(exact + 0.5).astype(np.int64)
    keep = (step >= 0) & (step < bars * spb)
    step, voice, velocity, exact = step[keep], voice[keep], velocity[keep], exact[keep]
    owner = owner[keep]
    n = np.bincount(owner, minlength=patterns)
    bounds = np.concatenate([[0], np.cumsum(n)])
    bar, in_bar = np.divmod(step, spb)
    stream = _STREAM[np.clip(voice, 0, 127)]
    core = stream <= 1
    core_n = np.bincount(owner[core], minlength=patterns)
    weights = step_weights(meter)
    starts = np.round(beat_starts_qn(meter) * STEPS_PER_QN).astype(np.int64)
    beat_of = np.searchsorted(starts, in_bar, side="right") - 1
    beats = len(starts) - 1
    filled = np.zeros((patterns, bars, beats), dtype=bool)
    filled[owner, bar, beat_of] = True
    any_onset = np.zeros((patterns, bars, spb), dtype=bool)
    any_onset[owner, bar, in_bar] = True
    by_stream = np.zeros((patterns, bars, 4 * spb), dtype=bool)
    by_stream[owner, bar, stream * spb + in_bar] = True
    per_stream = np.bincount(owner * 4 + stream, minlength=4 * patterns).reshape(patterns, 4)
    vel = velocity.astype(np.float64)
    offset_ms = np.abs(exact - step) / STEPS_PER_QN * 60_000.0 / bpm
    weakness = (1.0 - weights[in_bar])[core]
    with np.errstate(divide="ignore", invalid="ignore"):  # empty patterns: left out below
        vel_mean = _segment_sums(vel, bounds) / n
        spread = vel - vel_mean[owner]
        vel_std = np.sqrt(_segment_sums(spread * spread, bounds) / n)
        timing = _segment_sums(offset_ms, bounds) / n
        syncopation = _segment_sums(weakness, np.concatenate([[0], np.cumsum(core_n)])) / core_n
        shares = per_stream / n[:, None]
        polyphony = n / any_onset.sum(axis=(1, 2))
    empty_beats = 1.0 - filled.sum(axis=(1, 2)) / (bars * beats)
    grooving = grooving_similarity(any_onset)
    similarity = bar_similarity(by_stream)
    qn = bars * meter.bar_qn
    out = []
    for i in range(patterns):
        if n[i] == 0:
            out.append(
                dict.fromkeys(DRUM_METRICS, NAN) | {"hits_per_qn": 0.0, "empty_beat_rate": 1.0}
            )
            continue
        out.append(
            {
                "hits_per_qn": float(n[i] / qn),
                "kick_share": float(shares[i, 0]),
                "snare_share": float(shares[i, 1]),
                "hat_share": float(shares[i, 2]),
                "syncopation": float(syncopation[i]) if core_n[i] else 0.0,
                "empty_beat_rate": float(empty_beats[i]),
                "grooving_similarity": float(grooving[i]),
                "bar_similarity": float(similarity[i]),
                "velocity_mean": float(vel_mean[i]),
                "velocity_std": float(vel_std[i]),
                "timing_ms": float(timing[i]),
                "polyphony": float(polyphony[i]),
            }
        )
    return out


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
