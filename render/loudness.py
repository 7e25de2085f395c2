"""Loudness and peaks: ITU-R BS.1770-4 integrated loudness (LUFS) and true peak (dBTP).

Integrated loudness, as the standard gives it:

1. K-weighting per channel: a high-shelf pre-filter (+4 dB above ~1.5 kHz, the head) then the
   RLB high-pass (~38 Hz). The standard lists coefficients for 48 kHz; for any other rate they
   are derived from the analog prototypes by the bilinear transform (as libebur128 does), which
   reproduces the 48 kHz table exactly.
2. Mean square per 400 ms block, blocks overlapping by 75 % (a 100 ms hop).
3. Block loudness ``l = -0.691 + 10 log10(sum_i G_i z_i)`` with channel weights G = 1 for
   left, right and centre (mono and stereo signals here).
4. Absolute gate at -70 LUFS, then a relative gate 10 LU below the loudness of the blocks that
   passed the absolute gate; the result is the loudness of the mean power of the blocks left.

A 997 Hz sine with 0 dBFS peak in one channel reads -3.01 LUFS; the same at -23 dBFS in both
channels of a stereo file reads -23.0 LUFS (EBU Tech 3341 case 1).

True peak (BS.1770-4 Annex 2): the signal oversampled 4x (polyphase FIR) and its largest
absolute value in dB; the 4x-oversampled reading may be up to ~0.5 dB low for content near
Nyquist, which the mastering ceiling leaves room for.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import math
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Final, cast

import numpy as np

ABSOLUTE_GATE_LUFS: Final = -70.0
RELATIVE_GATE_LU: Final = -10.0
BLOCK_S: Final = 0.400
HOP_S: Final = 0.100
#: The constant of BS.1770's block loudness ``-0.691 + 10 log10(power)``.
LOUDNESS_OFFSET: Final = -0.691
_OFFSET: Final = LOUDNESS_OFFSET
_SILENCE: Final = -math.inf
_PEAK_CHUNK: Final = 1 << 16
_LOUDNESS_CHUNK: Final = 1 << 18


def k_weighting(sample_rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(b_shelf, a_shelf, b_highpass, a_highpass)`` biquad coefficients of the K filter at
    ``sample_rate`` Hz."""
    # Stage 1: high shelf (the acoustic effect of the head).
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    b1 = np.array(
        [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    )
    a1 = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    # Stage 2: RLB high-pass.
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    b2 = np.array([1.0, -2.0, 1.0])
    a2 = np.array([1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0])
    return b1, a1, b2, a2


@functools.cache
def _signal_extension(name: str) -> ModuleType | None:
    """The compiled module ``scipy.signal.<name>`` loaded from its file without importing
    ``scipy.signal``, whose import (stats, interpolate, optimize...) costs a process most of a
    second of CPU; None where that load fails (the callers then import ``scipy.signal``)."""
    import scipy

    full = f"scipy.signal.{name}"
    path = (
        Path(scipy.__file__).parent / "signal" / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"
    )
    try:
        loader = importlib.machinery.ExtensionFileLoader(full, str(path))
        spec = importlib.util.spec_from_loader(full, loader)
        if spec is None:
            return None
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except (ImportError, OSError):
        return None
    return module


@functools.cache
def _iir() -> Callable[..., Any]:
    """scipy's IIR filter routine, the one ``scipy.signal.lfilter`` calls for a filter with
    feedback (same arguments, same samples), from its extension module (see
    :func:`_signal_extension`); where that load fails, ``scipy.signal.lfilter`` itself."""
    routine = getattr(_signal_extension("_sigtools"), "_linear_filter", None)
    if routine is None:
        from scipy import signal

        return lambda b, a, x, axis, zi: signal.lfilter(b, a, x, axis=axis, zi=zi)
    return cast(Callable[..., Any], routine)


def k_weighted(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """``audio`` (``[channels, frames]`` float64) through both stages of the K filter, as
    ``scipy.signal.lfilter`` gives them."""
    return KFilter(sample_rate, np.shape(audio)[0])(audio)


class KFilter:
    """Both stages of the K filter, run chunk after chunk of one signal: the filters' state
    carries from one call to the next, so the chunks' outputs joined are the samples
    :func:`k_weighted` gives for the whole signal (the same recurrence in the same order)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._coefs = k_weighting(sample_rate)
        self._state = [np.zeros((channels, 2)), np.zeros((channels, 2))]

    def __call__(self, chunk: np.ndarray) -> np.ndarray:
        """The next ``[channels, frames]`` chunk filtered (float64)."""
        b1, a1, b2, a2 = self._coefs
        iir = _iir()
        shelf, self._state[0] = iir(b1, a1, np.asarray(chunk, dtype=np.float64), 1, self._state[0])
        out, self._state[1] = iir(b2, a2, shelf, 1, self._state[1])
        return np.asarray(out)


def _channels_first(audio: np.ndarray) -> np.ndarray:
    """``[frames]`` or ``[frames, channels]`` -> float64 ``[channels, frames]``."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x.T
    raise ValueError(f"audio: shape {x.shape} -- [frames] or [frames, channels]")


#: Reads frames ``a:b`` of a signal as ``[frames, channels]`` (or ``[frames]`` for mono).
ChunkReader = Callable[[int, int], np.ndarray]


def block_loudness(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Loudness (LUFS) of every 400 ms block with a 100 ms hop; -inf for digital silence.

    ``audio``: ``[frames]`` or ``[frames, channels]`` (up to 3 channels: L, R, C)."""
    x = np.asarray(audio)
    if x.ndim not in (1, 2):
        raise ValueError(f"audio: shape {x.shape} -- [frames] or [frames, channels]")
    channels = 1 if x.ndim == 1 else x.shape[1]
    return chunked_block_loudness(lambda a, b: x[a:b], x.shape[0], channels, sample_rate)


def chunked_block_loudness(
    read: ChunkReader, frames: int, channels: int, sample_rate: int
) -> np.ndarray:
    """:func:`block_loudness` of a signal of ``frames`` frames read chunk by chunk with
    ``read(a, b)`` (a signal computed as it is read never needs to exist whole). Chunks of
    :data:`_LOUDNESS_CHUNK` frames are filtered and summed in turn (a master minutes long
    needs a few MB, not several float64 copies of itself); the running sum of squares goes on
    from one chunk to the next in the order a whole-signal ``cumsum`` takes, so every block
    reads the same power to the last bit."""
    if channels > 3:
        raise ValueError(f"audio: {channels} channels -- 1 to 3 (L, R, C); no surround weights")
    block = round(BLOCK_S * sample_rate)
    hop = round(HOP_S * sample_rate)
    if frames < block:
        return np.empty(0)
    starts = np.arange(0, frames - block + 1, hop)
    # The running sum of squares is read at these frame counts only.
    marks = np.union1d(starts, starts + block)
    power = np.zeros((channels, marks.size))
    carry = np.zeros(channels)
    k_filter = KFilter(sample_rate, channels)
    for a in range(0, frames, _LOUDNESS_CHUNK):
        b = min(frames, a + _LOUDNESS_CHUNK)
        y = k_filter(_channels_first(read(a, b)))
        squares = y * y
        squares[:, 0] += carry
        sums = np.cumsum(squares, axis=1)
        carry = sums[:, -1]
        lo, hi = np.searchsorted(marks, [a + 1, b + 1])
        power[:, lo:hi] = sums[:, marks[lo:hi] - 1 - a]
    ends = np.searchsorted(marks, starts + block)
    z = power[:, ends] - power[:, np.searchsorted(marks, starts)]
    z /= block  # [channels, blocks]
    total = z.sum(axis=0)
    with np.errstate(divide="ignore"):
        return np.where(total > 0, _OFFSET + 10.0 * np.log10(total), _SILENCE)


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float:
    """Gated integrated loudness in LUFS (-inf for silence or audio shorter than 400 ms)."""
    return gated_loudness(block_loudness(audio, sample_rate))


def chunked_integrated_loudness(
    read: ChunkReader, frames: int, channels: int, sample_rate: int
) -> float:
    """:func:`integrated_loudness` of a signal read chunk by chunk (see
    :func:`chunked_block_loudness`)."""
    return gated_loudness(chunked_block_loudness(read, frames, channels, sample_rate))


def gated_loudness(lk: np.ndarray) -> float:
    """The integrated loudness of block loudnesses ``lk`` (both gates applied)."""
    lk = lk[lk > ABSOLUTE_GATE_LUFS]
    if lk.size == 0:
        return _SILENCE
    power = 10.0 ** ((lk - _OFFSET) / 10.0)
    relative_gate = _OFFSET + 10.0 * math.log10(float(power.mean())) + RELATIVE_GATE_LU
    kept = power[lk > relative_gate]
    return _OFFSET + 10.0 * math.log10(float(kept.mean()))


#: The first 25 of the 49 taps of the 4x interpolator (the filter is symmetric), as
#: :func:`_interpolator` computes them with ``scipy.signal.firwin`` (float32 values, exact;
#: tests/render/test_loudness.py holds them to it): the masters' true peak needs no
#: ``scipy.signal`` import for them.
_TAPS_4X_HALF: Final = (
    -2.3122231361483067e-19, -0.0005291274865157902, -0.0014243898913264275,
    -0.0017093891510739923, 2.335330840150282e-18, 0.004039507359266281, 0.00822638999670744,
    0.008119008503854275, -7.653332280511116e-18, -0.014718613587319851, -0.02724742516875267,
    -0.024851689115166664, 1.6453985577329208e-17, 0.03996453061699867, 0.07081000506877899,
    0.06244569644331932, -2.693767596954873e-17, -0.09709593653678894, -0.17280098795890808,
    -0.15622693300247192, 3.560746515755787e-17, 0.2852485477924347, 0.6224514245986938,
    0.8952871561050415, 1.000024437904358,
)  # fmt: skip


@functools.lru_cache(maxsize=4)
def _interpolator(oversample: int) -> np.ndarray:
    """The interpolation FIR: 12 taps per phase (49 for 4x; BS.1770-4 Annex 2 uses 48),
    Kaiser windowed, cut at the original Nyquist frequency, gain ``oversample``."""
    if oversample == 4:
        half = np.array(_TAPS_4X_HALF, dtype=np.float32)
        return np.concatenate([half, half[-2::-1]])
    return _designed_interpolator(oversample)


def _designed_interpolator(oversample: int) -> np.ndarray:
    """:func:`_interpolator` designed by ``scipy.signal.firwin``."""
    from scipy import signal  # here: previews never need it (see _iir)

    taps = signal.firwin(12 * oversample + 1, 1.0 / oversample, window=("kaiser", 7.0))
    return (taps * oversample).astype(np.float32)


def _upsampled(taps: np.ndarray, x: np.ndarray, up: int) -> np.ndarray:
    """``scipy.signal.upfirdn(taps, x, up=up, axis=1)`` for float32 ``taps`` and ``x``: the
    same routine of its extension module on the same arrays (see :func:`_signal_extension`),
    so the same samples; ``scipy.signal.upfirdn`` itself where that load fails."""
    ext = _signal_extension("_upfirdn_apply")
    if ext is None:
        from scipy import signal

        return np.asarray(signal.upfirdn(taps, x, up=up, axis=1))
    # As scipy's _UpFIRDn: the taps padded to whole phases, each phase reversed.
    padded = np.zeros(taps.size + (-taps.size % up), dtype=np.float32)
    padded[: taps.size] = taps
    flipped = np.ascontiguousarray(padded.reshape(-1, up).T[:, ::-1].ravel())
    out = np.zeros((x.shape[0], ext._output_len(taps.size, x.shape[1], up, 1)), dtype=np.float32)
    ext._apply(np.asarray(x, np.float32), flipped, out, up, 1, 1, ext.mode_enum("constant"), 0)
    return out


def peak_envelope(audio: np.ndarray, oversample: int = 4) -> np.ndarray:
    """Per-frame true-peak estimate ``[frames]``: the largest absolute value over channels of
    the frame and the ``oversample - 1`` points interpolated after it. Works in chunks, so a
    long master needs little memory."""
    x = np.asarray(audio, dtype=np.float32)  # no float64 copy of a long master on the way
    if x.ndim not in (1, 2):
        raise ValueError(f"audio: shape {x.shape} -- [frames] or [frames, channels]")
    x = x[None, :] if x.ndim == 1 else x.T
    frames = x.shape[1]
    taps = _interpolator(oversample)
    half = (taps.size - 1) // 2  # filter delay, in oversampled samples
    context = taps.size // oversample + 1
    env = np.empty(frames, dtype=np.float32)
    for start in range(0, frames, _PEAK_CHUNK):
        n = min(_PEAK_CHUNK, frames - start)
        a, b = max(0, start - context), min(frames, start + n + context)
        up = _upsampled(taps, x[:, a:b], oversample)
        first = (start - a) * oversample + half
        env[start : start + n] = _frame_peaks(up[:, first : first + n * oversample], oversample)
    return np.maximum(env, _frame_peaks(x, 1))


def _frame_peaks(points: np.ndarray, per_frame: int) -> np.ndarray:
    """The largest absolute value over channels (rows) of each run of ``per_frame`` points:
    elementwise maxima of whole rows and of strided phases (a reduction over short inner axes
    of a strided view is ten times slower; max is exact, so the values are the same)."""
    rows = np.abs(points)
    peak = rows[0]
    for row in rows[1:]:
        peak = np.maximum(peak, row)
    frame = peak[::per_frame]
    for phase in range(1, per_frame):
        frame = np.maximum(frame, peak[phase::per_frame])
    return frame


def true_peak(audio: np.ndarray, oversample: int = 4) -> float:
    """Largest absolute value of ``audio`` oversampled ``oversample`` times (linear)."""
    x = np.asarray(audio)
    if x.size == 0:
        return 0.0
    return float(peak_envelope(x, oversample).max())


def true_peak_db(audio: np.ndarray, oversample: int = 4) -> float:
    """True peak in dBTP (-inf for silence)."""
    peak = true_peak(audio, oversample)
    return 20.0 * math.log10(peak) if peak > 0 else _SILENCE


def sample_peak_db(audio: np.ndarray) -> float:
    """Largest absolute sample value in dBFS (-inf for silence)."""
    x = np.asarray(audio)
    peak = float(np.abs(x).max()) if x.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else _SILENCE


def rms_db(audio: np.ndarray) -> float:
    """RMS level in dBFS over all samples and channels (-inf for silence or no samples)."""
    x = np.asarray(audio, dtype=np.float64)
    if x.size == 0:
        return _SILENCE
    ms = float(np.mean(x * x))
    return 10.0 * math.log10(ms) if ms > 0 else _SILENCE


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)
