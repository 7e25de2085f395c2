"""The audio features every transcription model reads, the same in training and at run time:
mono audio at 16 kHz, a centred STFT (2048-sample Hann window, hop 256: 62.5 frames a
second) and 229 HTK mel bands from 30 Hz to 8 kHz (as Onsets and Frames uses), as
``log10(power + 1e-8)``.

Frame ``t`` is centred on sample ``t * HOP``, i.e. on ``t / FRAMES_PER_SECOND`` seconds.
"""

from __future__ import annotations

from functools import cache
from math import gcd
from typing import Final

import numpy as np
from numpy.typing import NDArray

SAMPLE_RATE: Final = 16000
HOP: Final = 256
N_FFT: Final = 2048
N_MELS: Final = 229
FMIN: Final = 30.0
FMAX: Final = 8000.0
FRAMES_PER_SECOND: Final = SAMPLE_RATE / HOP
_FLOOR: Final = 1e-8

#: What a model's sidecar records of the features, checked when the model is loaded.
FEATURE_SPEC: Final[dict[str, float | int | str]] = {
    "kind": "log10_mel_htk",
    "sample_rate": SAMPLE_RATE,
    "hop": HOP,
    "n_fft": N_FFT,
    "n_mels": N_MELS,
    "fmin": FMIN,
    "fmax": FMAX,
}


def to_model_rate(audio: NDArray[np.float32], sample_rate: int) -> NDArray[np.float32]:
    """``audio`` (``[frames]`` or ``[frames, channels]`` at ``sample_rate`` Hz) as mono float32
    at :data:`SAMPLE_RATE` (polyphase resampling)."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if x.ndim != 1:
        raise ValueError(f"audio: shape {np.shape(audio)} -- [frames] or [frames, channels]")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate: {sample_rate!r} -- a positive rate in Hz")
    if sample_rate == SAMPLE_RATE:
        return x
    from scipy.signal import resample_poly

    g = gcd(int(sample_rate), SAMPLE_RATE)
    return np.asarray(resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g), dtype=np.float32)


@cache
def mel_basis() -> NDArray[np.float32]:
    """``[N_MELS, N_FFT // 2 + 1]`` HTK mel filterbank."""
    import librosa

    basis = librosa.filters.mel(
        sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=True
    )
    return np.asarray(basis, dtype=np.float32)


@cache
def _window() -> NDArray[np.float32]:
    return np.hanning(N_FFT + 1)[:-1].astype(np.float32)


def n_frames(n_samples: int) -> int:
    """Feature frames of ``n_samples`` samples at :data:`SAMPLE_RATE`."""
    return 1 + n_samples // HOP


def log_mel(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """Mono ``audio`` at :data:`SAMPLE_RATE` -> float32 ``[T, N_MELS]``, ``T = 1 + n // HOP``."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"audio: shape {x.shape} -- mono [frames] at {SAMPLE_RATE} Hz")
    half = N_FFT // 2
    padded = np.pad(x, (half, half), mode="reflect" if x.size > half else "constant")
    t = n_frames(x.size)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(t)[:, None]
    frames = padded[idx] * _window()
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = power.astype(np.float32) @ mel_basis().T
    return np.log10(np.maximum(mel, _FLOOR)).astype(np.float32)
