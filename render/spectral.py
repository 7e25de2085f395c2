"""The spectral building blocks of the stem analysis, in numpy and scipy.fft: STFT, frame RMS, a
Slaney mel filter bank, dB scaling, spectral-flux onset strength and peak picking.

They compute what librosa's ``stft``, ``feature.rms``, ``filters.mel``, ``power_to_db``,
``onset.onset_strength`` and ``onset.onset_detect`` compute with the settings the analysis
uses (tests/render/test_spectral.py compares them within float tolerance). librosa's peak
picker is numba code compiled on first use -- about 17 s of CPU on a fresh install, paid in
the middle of the first render -- so the render does not import librosa at all.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

_AMIN: Final = 1e-10


def _padded(y: np.ndarray, frame_length: int, dtype: type[np.floating]) -> np.ndarray:
    """``y`` with ``frame_length // 2`` zeros at both ends (librosa's ``center=True`` with
    constant padding)."""
    pad = frame_length // 2
    return np.pad(np.asarray(y, dtype=dtype), (pad, pad))


def _count(padded_size: int, frame_length: int, hop: int) -> int:
    return 1 + (padded_size - frame_length) // hop


def stft(y: np.ndarray, *, n_fft: int, hop: int) -> np.ndarray:
    """Complex STFT ``[1 + n_fft // 2, frames]`` (complex64) with a periodic Hann window,
    centred frames."""
    window = (0.5 - 0.5 * np.cos(2.0 * math.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    frames = sliding_window_view(_padded(y, n_fft, np.float32), n_fft)[::hop]
    spectrum: np.ndarray = scipy.fft.rfft(frames * window, axis=1)
    return spectrum.T.astype(np.complex64, copy=False)


def frame_mean_square(y: np.ndarray, *, frame_length: int, hop: int) -> np.ndarray:
    """Mean square of each centred frame ``[frames]`` (the square of librosa's frame RMS)."""
    padded = _padded(y, frame_length, np.float64)
    sums = np.concatenate([[0.0], np.cumsum(padded * padded)])
    starts = np.arange(_count(padded.size, frame_length, hop)) * hop
    return np.asarray(np.maximum(0.0, sums[starts + frame_length] - sums[starts]) / frame_length)


def fft_frequencies(*, sample_rate: int, n_fft: int) -> np.ndarray:
    """Centre frequency (Hz) of each STFT bin ``[1 + n_fft // 2]``."""
    return np.fft.rfftfreq(n_fft, 1.0 / sample_rate)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    mel = hz / (200.0 / 3)
    log = hz >= 1000.0
    step = math.log(6.4) / 27.0
    return np.where(log, 15.0 + np.log(np.maximum(hz, 1e-12) / 1000.0) / step, mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    step = math.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(step * (mel - 15.0)), mel * (200.0 / 3))


def mel_filters(*, sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney-normalised triangular mel filters ``[n_mels, 1 + n_fft // 2]`` from 0 Hz to
    Nyquist (float32)."""
    freqs = fft_frequencies(sample_rate=sample_rate, n_fft=n_fft)
    low, high = _hz_to_mel(np.array([0.0, sample_rate / 2.0]))
    mel_f = _mel_to_hz(np.linspace(low, high, n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


def power_to_db(power: np.ndarray, *, top_db: float = 80.0) -> np.ndarray:
    """``10 log10(power)`` (reference 1.0, floor 1e-10), clipped to ``top_db`` below the
    peak."""
    db = 10.0 * np.log10(np.maximum(_AMIN, power))
    return np.maximum(db, db.max(initial=-np.inf) - top_db)


def onset_strength(db: np.ndarray, *, lag: int = 1, centre_frames: int = 2) -> np.ndarray:
    """Spectral flux ``[frames]`` of a dB spectrogram ``[bins, frames]``: the mean over bins of
    each frame's rise over the frame ``lag`` before it, shifted by ``lag + centre_frames``
    frames (librosa's framing compensation: ``n_fft // (2 * hop)`` with its defaults 2048 and
    512) and trimmed to the spectrogram's length."""
    rise = np.maximum(0.0, db[:, lag:] - db[:, :-lag])
    flux = np.mean(rise, axis=0) if rise.shape[1] else np.empty(0, dtype=db.dtype)
    return np.pad(flux, (lag + centre_frames, 0))[: db.shape[1]]


def _window_max(x: np.ndarray, before: int, after: int) -> np.ndarray:
    """``max(x[n - before : n + after])`` per frame, the window clipped to the signal."""
    padded = np.pad(x, (before, after - 1), constant_values=-np.inf)
    return np.asarray(sliding_window_view(padded, before + after).max(axis=1))


def _window_mean(x: np.ndarray, before: int, after: int) -> np.ndarray:
    """``mean(x[n - before : n + after])`` per frame, the window clipped to the signal."""
    n = np.arange(x.size)
    lo = np.maximum(0, n - before)
    hi = np.minimum(x.size, n + after)
    sums = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    return np.asarray((sums[hi] - sums[lo]) / (hi - lo))


def onset_frames(envelope: np.ndarray, *, sample_rate: int, hop: int) -> np.ndarray:
    """Frames of the onsets in an onset-strength ``envelope`` (librosa's ``onset_detect``:
    the envelope scaled to [0, 1], then a frame is an onset when it is the maximum of the
    30 ms before it, at least 0.07 above the mean of the 100 ms around it, and 30 ms after the
    previous onset)."""
    env = np.asarray(envelope, dtype=np.float64)
    if env.size == 0:
        return np.empty(0, dtype=np.int64)
    env = env - env.min()
    env = env / (env.max() + np.finfo(np.float32).tiny)
    if not env.any() or not np.all(np.isfinite(env)):
        return np.empty(0, dtype=np.int64)
    pre_max = math.ceil(0.03 * sample_rate // hop)
    pre_avg = math.ceil(0.10 * sample_rate // hop)
    post_avg = pre_avg + 1
    wait = math.ceil(0.03 * sample_rate // hop)
    peak = (env == _window_max(env, pre_max, 1)) & (
        env >= _window_mean(env, pre_avg, post_avg) + 0.07
    )
    onsets: list[int] = []
    free = 0
    for n in np.flatnonzero(peak):
        if n >= free:
            onsets.append(int(n))
            free = int(n) + wait + 1
    return np.asarray(onsets, dtype=np.int64)
