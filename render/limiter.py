"""A true-peak brickwall limiter and loudness normalisation for the master.

pedalboard's ``Limiter`` (JUCE) adds make-up gain and hard-clips at 0 dBFS, so it cannot hold a
-1 dBTP ceiling; this limiter can. It reads the 4x-oversampled peak of every sample, computes
the gain each 32-sample block needs to stay under the ceiling, looks one block back and ahead,
releases exponentially (80 ms) and ramps down ahead of a peak (3 ms), then interpolates the
gain per sample. Every block's gain is at most what that block needs, so the output's true
peak stays under the ceiling (checked afterwards; any residue is trimmed by a final gain).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from render.errors import RenderError
from render.loudness import (
    BLOCK_S,
    HOP_S,
    LOUDNESS_OFFSET,
    ChunkReader,
    chunked_integrated_loudness,
    db_to_gain,
    gated_loudness,
    integrated_loudness,
    k_weighted,
    peak_envelope,
)

BLOCK: Final = 32
RELEASE_S: Final = 0.080
ATTACK_S: Final = 0.003
#: Headroom below the requested ceiling, for the 4x estimate's error and MP3 encoding.
CEILING_MARGIN_DB: Final = 0.3
MAX_ITERATIONS: Final = 14
TOLERANCE_LU: Final = 0.05
_CHUNK: Final = 1 << 18


def _block_peaks(envelope: np.ndarray) -> np.ndarray:
    """The peak of each :data:`BLOCK`-frame block (the last padded with zeros). Scaling by a
    positive gain commutes with it exactly (rounding is monotonic): ``_block_peaks(g * e)``
    is ``g * _block_peaks(e)``, float for float."""
    frames = envelope.shape[0]
    n_blocks = max(1, math.ceil(frames / BLOCK))
    padded = np.zeros(n_blocks * BLOCK)
    padded[:frames] = envelope
    # Halves folded onto each other (BLOCK is a power of two; a maximum is exact in any
    # order): the same peaks as ``max(axis=1)``, about twice as fast as numpy's reduction
    # along a 32-wide axis.
    blocks = padded.reshape(n_blocks, BLOCK)
    width = BLOCK
    while width > 1:
        width //= 2
        blocks = np.maximum(blocks[:, :width], blocks[:, width : 2 * width])
    return np.ascontiguousarray(blocks[:, 0])


def _needs(peaks: np.ndarray, ceiling: float) -> np.ndarray:
    """The gain (<= 1) each block of these ``peaks`` needs, looking one block back."""
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    return np.minimum(need, np.concatenate([[1.0], need[:-1]]))  # one block back


def _block_needs(envelope: np.ndarray, ceiling: float) -> np.ndarray:
    """The gain (<= 1) each :data:`BLOCK`-frame block needs, looking one block back."""
    return _needs(_block_peaks(envelope), ceiling)


def _coefficients(sample_rate: int) -> tuple[float, float]:
    """The per-block release and attack coefficients."""
    release = 1.0 - math.exp(-BLOCK / (RELEASE_S * sample_rate))
    attack = 1.0 - math.exp(-BLOCK / (ATTACK_S * sample_rate))
    return release, attack


def limiter_gain(envelope: np.ndarray, ceiling: float, sample_rate: int) -> np.ndarray:
    """Per-frame gain (<= 1) that keeps ``envelope * gain`` under ``ceiling`` (linear)."""
    frames = envelope.shape[0]
    need = _block_needs(envelope, ceiling)
    n_blocks = need.size
    if not np.any(need < 1.0):
        return np.ones(frames)
    release, attack = _coefficients(sample_rate)
    g = need.tolist()
    for j in range(1, n_blocks):  # instant attack, exponential release
        rel = g[j - 1] + (1.0 - g[j - 1]) * release
        if rel < g[j]:
            g[j] = rel
    for j in range(n_blocks - 2, -1, -1):  # ramp down ahead of a drop
        ahead = g[j + 1] + (1.0 - g[j + 1]) * attack
        if ahead < g[j]:
            g[j] = ahead
    knots = np.arange(n_blocks + 1) * BLOCK
    values = np.concatenate([g, [g[-1]]])
    out = np.empty(frames)
    for a in range(0, frames, _CHUNK):  # no song-long index arrays beside the result
        b = min(frames, a + _CHUNK)
        out[a:b] = np.interp(np.arange(a, b), knots, values)
    return out


def _decayed_running_max(h: np.ndarray, decay: float) -> np.ndarray:
    """``out[j] = max(h[j], out[j - 1] * decay)`` for ``h >= 0``, ``0 < decay < 1``, without a
    loop: ``out[j] = max_k<=j h[k] decay^(j - k)``, a running maximum in the log domain."""
    step = math.log(decay)
    j = np.arange(h.size) * step
    with np.errstate(divide="ignore"):
        logs = np.log(h)
    return np.asarray(np.exp(j + np.maximum.accumulate(logs - j)))


def fast_limiter_gain(envelope: np.ndarray, ceiling: float, sample_rate: int) -> np.ndarray:
    """:func:`limiter_gain` in numpy alone (for previews): the release and the ramp ahead are
    running maxima of the gain reduction, not per-block loops, and each block is interpolated
    by broadcasting. The same gains to within float rounding (~1e-12), so not bit for bit: the
    master keeps :func:`limiter_gain` and its files' bytes."""
    return _gain_of_needs(_block_needs(envelope, ceiling), envelope.shape[0], sample_rate)


def _gain_of_needs(need: np.ndarray, frames: int, sample_rate: int) -> np.ndarray:
    """:func:`fast_limiter_gain` from the blocks' needs (:func:`_needs`)."""
    if not np.any(need < 1.0):
        return np.ones(frames)
    release, attack = _coefficients(sample_rate)
    # With h = 1 - g, the release is h[j] = max(h[j], h[j-1] (1 - release)); the ramp ahead is
    # the same recurrence run backwards with (1 - attack).
    h = _decayed_running_max(1.0 - need, 1.0 - release)
    h = _decayed_running_max(h[::-1], 1.0 - attack)[::-1]
    g = 1.0 - h
    step = (np.concatenate([g[1:], g[-1:]]) - g)[:, None]
    ramp = np.arange(BLOCK) / BLOCK
    curve = step * ramp
    curve += g[:, None]  # g + step * ramp, in place (a sum is the same float either way round)
    return np.asarray(curve.reshape(-1)[:frames])


@dataclass(frozen=True, slots=True)
class MasterStats:
    """What mastering did: loudness (LUFS), true peak (dBTP), input gain (dB), the largest
    gain reduction of the limiter (dB) and the loudness iterations it took."""

    integrated_lufs: float
    true_peak_dbtp: float
    gain_db: float
    max_reduction_db: float
    iterations: int


def frame_peaks(x: np.ndarray) -> np.ndarray:
    """``np.abs(x).max(axis=1)`` of ``[frames, channels]`` audio, channel against channel: the
    same values (a maximum is exact) without numpy's slow reduction along a short axis (~15x
    faster for a stereo song)."""
    return functools.reduce(np.maximum, (np.abs(x[:, c]) for c in range(x.shape[1])))


def _envelope(x: np.ndarray, oversample: int) -> np.ndarray:
    """Per-frame peak: the ``oversample``-times true-peak estimate, or the sample peak for 1."""
    if oversample == 1:
        return frame_peaks(np.asarray(x, dtype=np.float64))
    return peak_envelope(x, oversample)


@dataclass(frozen=True, slots=True)
class InputMeasures:
    """What :func:`normalize` reads of its input before any gain: the integrated loudness
    (LUFS), the per-frame peak envelope and the oversampling it was read with. They do not
    depend on the target or the ceiling, so a master made again at a lower ceiling (the MP3's
    second encode) reads them once."""

    loudness: float
    envelope: np.ndarray
    oversample: int


def measure_input(audio: np.ndarray, sample_rate: int, *, oversample: int = 4) -> InputMeasures:
    """:class:`InputMeasures` of ``audio`` ([frames, channels] or [frames])."""
    x = np.asarray(audio)
    if x.ndim == 1:
        x = x[:, None]
    return InputMeasures(integrated_loudness(x, sample_rate), _envelope(x, oversample), oversample)


def normalize(
    audio: np.ndarray,
    sample_rate: int,
    *,
    target_lufs: float = -14.0,
    ceiling_dbtp: float = -1.0,
    oversample: int = 4,
    tolerance_lu: float = TOLERANCE_LU,
    measures: InputMeasures | None = None,
) -> tuple[np.ndarray, MasterStats]:
    """Gain ``audio`` ([frames, channels]) to ``target_lufs`` integrated loudness with the
    true-peak limiter holding ``ceiling_dbtp``; returns float32 audio and its stats.

    ``oversample``: 4 (the default, for masters) reads true peaks; 1 reads sample peaks only
    (about 4x cheaper, for previews: the ceiling is then in dBFS, not dBTP). ``tolerance_lu``:
    how close to the target the loudness must come (LU; previews settle for 0.5).
    ``measures``: :func:`measure_input` of this ``audio`` with this ``oversample``, when the
    caller holds it (read here when not given)."""
    if not 0.0 < tolerance_lu <= 3.0:
        raise ValueError(f"tolerance_lu: {tolerance_lu!r} -- 0 < tolerance <= 3 LU")
    if oversample not in (1, 2, 4, 8):
        raise ValueError(f"oversample: {oversample!r} -- 1 (sample peak), 2, 4 or 8")
    # The arithmetic is float64 as before, but chunk by chunk (_CHUNK frames): a master minutes
    # long is never held whole in float64, gained or not; the samples are the same.
    x = np.asarray(audio)
    if x.ndim == 1:
        x = x[:, None]
    frames, channels = x.shape

    def gained(curve: np.ndarray) -> ChunkReader:
        return lambda a, b: np.asarray(x[a:b], dtype=np.float64) * curve[a:b, None]

    if measures is not None and (
        measures.oversample != oversample or measures.envelope.shape != (frames,)
    ):
        raise ValueError(
            f"measures: {measures.envelope.shape[0]} frames at {measures.oversample}x -- the "
            f"measures of this audio ({frames} frames) at {oversample}x"
        )
    loud = integrated_loudness(x, sample_rate) if measures is None else measures.loudness
    if not math.isfinite(loud):
        raise RenderError("mix: silent or shorter than 400 ms -- nothing to master")
    ceiling = db_to_gain(ceiling_dbtp - CEILING_MARGIN_DB)
    env = _envelope(x, oversample) if measures is None else measures.envelope
    gain_db = target_lufs - loud
    curve = np.ones(frames)
    reduction = np.ones(frames)
    iterations = 0
    # Loudness rises with the input gain, more slowly once the limiter works: bracket the
    # target (the first try, with no limiting assumed, is at or below it), then regula falsi.
    measured = loud
    low: tuple[float, float] | None = None  # (gain dB, loudness) below the target
    high: tuple[float, float] | None = None  # above it
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007 - reported in the stats
        g = db_to_gain(gain_db)
        reduction = limiter_gain(env * g, ceiling, sample_rate)
        curve = g * reduction
        measured = chunked_integrated_loudness(gained(curve), frames, channels, sample_rate)
        err = target_lufs - measured
        if abs(err) < tolerance_lu:
            break
        if err > 0:
            low = (gain_db, measured)
        else:
            high = (gain_db, measured)
        gain_db = _next_gain(gain_db, err, target_lufs, low, high)
    out = _write_chunks(gained(curve), frames, channels)
    peak = (
        _chunked_sample_peak(gained(curve), frames)
        if oversample == 1
        else float(peak_envelope(out, oversample).max())  # float32 samples: as read before
    )
    tp = 20.0 * math.log10(max(peak, 1e-12))
    trim = min(0.0, ceiling_dbtp - CEILING_MARGIN_DB / 2 - tp)
    if trim < 0:
        t = db_to_gain(trim)
        read = gained(curve)
        out = _write_chunks(lambda a, b: read(a, b) * t, frames, channels)
    stats = MasterStats(
        integrated_lufs=measured + trim,
        true_peak_dbtp=tp + trim,
        gain_db=gain_db,
        max_reduction_db=float(-20.0 * np.log10(max(float(reduction.min()), 1e-12))),
        iterations=iterations,
    )
    return out, stats


def _write_chunks(read: ChunkReader, frames: int, channels: int) -> np.ndarray:
    """The float32 ``[frames, channels]`` of a signal read chunk by chunk."""
    out = np.empty((frames, channels), dtype=np.float32)
    for a in range(0, frames, _CHUNK):
        b = min(frames, a + _CHUNK)
        out[a:b] = read(a, b)
    return out


def _chunked_sample_peak(read: ChunkReader, frames: int) -> float:
    """The largest absolute sample of a signal read chunk by chunk."""
    peak = 0.0
    for a in range(0, frames, _CHUNK):
        peak = max(peak, float(np.abs(read(a, min(frames, a + _CHUNK))).max()))
    return peak


#: How close a preview's loudness must come to its target (LU), by the one-pass estimate, and
#: the gains it may try.
PREVIEW_TOLERANCE_LU: Final = 0.2
PREVIEW_TRIES: Final = 8


def gain_then_limit(
    audio: np.ndarray, sample_rate: int, *, target_lufs: float, ceiling_db: float = -1.0
) -> np.ndarray:
    """For previews: bring ``audio`` ([frames, channels]) to ``target_lufs`` integrated
    loudness, the limiter on sample peaks holding ``ceiling_db`` (dBFS). Returns float32 audio.

    One pass of the K filter: the limiter's gain moves slowly beside the filter's response,
    so the K-weighted power of the gained, limited audio is read as the K-weighted power of the
    input times the squared gain curve. Each gain tried (the one that reaches the target with
    no limiting, then regula falsi where the limiter takes loudness away, as :func:`normalize`
    does) costs the limiter and a sum, never another filter pass. The estimate settles within
    0.2 LU and reads within ~0.1 LU of the measured loudness, so a preview lands within 0.5 LU
    of its target (tests/render).

    Raises RenderError for audio that is silent or shorter than 400 ms."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    frames, channels = x.shape
    if channels > 3:
        raise ValueError(f"audio: {channels} channels -- 1 to 3 (L, R, C); no surround weights")
    weighted = k_weighted(x.T, sample_rate)
    power = np.einsum("cf,cf->f", weighted, weighted)  # channel weights 1 (L, R, C)
    block, hop = round(BLOCK_S * sample_rate), round(HOP_S * sample_rate)

    def loudness(curve: np.ndarray | float) -> float:
        if frames < block:
            return -math.inf
        weighted_power = np.square(curve)
        weighted_power *= power  # power * curve ** 2, in place
        n_blocks = (frames - block) // hop + 1
        if block % hop == 0:  # blocks of whole hops: sum each hop, then each block's hops
            hops = weighted_power[: (n_blocks - 1) * hop + block].reshape(-1, hop).sum(axis=1)
            z = np.convolve(hops, np.ones(block // hop), mode="valid") / block
        else:
            sums = np.concatenate([[0.0], np.cumsum(weighted_power)])
            starts = np.arange(n_blocks) * hop
            z = (sums[starts + block] - sums[starts]) / block
        with np.errstate(divide="ignore"):
            lk = np.where(z > 0, LOUDNESS_OFFSET + 10.0 * np.log10(z), -math.inf)
        return gated_loudness(lk)

    loud = loudness(1.0)
    if not math.isfinite(loud):
        raise RenderError("preview: silent or shorter than 400 ms -- nothing to level")
    ceiling = db_to_gain(ceiling_db - CEILING_MARGIN_DB)
    peaks = frame_peaks(x).astype(np.float64)
    block_peaks = _block_peaks(peaks)
    gain_db = target_lufs - loud
    curve: np.ndarray | float = db_to_gain(gain_db)
    low: tuple[float, float] | None = None  # (gain dB, loudness) below the target
    high: tuple[float, float] | None = None  # above it
    for _ in range(PREVIEW_TRIES):
        g = db_to_gain(gain_db)
        # fast_limiter_gain(peaks * g, ...), the blocks' peaks read once for every gain tried
        reduction = _gain_of_needs(_needs(block_peaks * g, ceiling), frames, sample_rate)
        curve = g * reduction
        if reduction.min() >= 1.0:  # nothing limited: the gain is exact
            break
        measured = loudness(curve)
        err = target_lufs - measured
        if abs(err) < PREVIEW_TOLERANCE_LU:
            break
        if err > 0:
            low = (gain_db, measured)
        else:
            high = (gain_db, measured)
        gain_db = _next_gain(gain_db, err, target_lufs, low, high)
    y = x * np.asarray(curve, dtype=np.float32).reshape(-1, 1)
    peak = float(np.abs(y).max())
    if peak > ceiling:  # interpolation residue: one trim keeps the ceiling
        y *= np.float32(ceiling / peak)
    return y


def _next_gain(
    gain_db: float,
    err: float,
    target: float,
    low: tuple[float, float] | None,
    high: tuple[float, float] | None,
) -> float:
    """The next gain (dB) to try: twice the error until the target is bracketed (loudness
    rises more slowly than the gain once the limiter works), then regula falsi."""
    if low is None or high is None:
        return gain_db + (2.0 * err if high is None else err)
    step = (target - low[1]) * (high[0] - low[0]) / (high[1] - low[1])
    nxt = low[0] + step
    return nxt if low[0] < nxt < high[0] else (low[0] + high[0]) / 2
