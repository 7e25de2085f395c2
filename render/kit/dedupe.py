"""Near-duplicate hits: the same sound cut twice (a drum machine's sample repeated through a
loop, one file given twice, a loop and its louder copy) is kept once.

Two hits are near-duplicates when their first :data:`WINDOW_S` seconds sound the same: the
Pearson correlation of their log-mel spectrograms (40 bands, 5.8 ms hops, levels relative to
each hit's own peak, floored 60 dB below it) is at least :data:`THRESHOLD`, and their lengths
differ by less than a quarter. Being relative to each hit's peak, the measure ignores level;
being over ~6 ms frames, it ignores a sample or two of offset, a faint noise floor or lossy
coding; two different strokes of one drum differ in their decay and their spectrum's shape,
and stay apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

WINDOW_S: Final = 0.25
THRESHOLD: Final = 0.97
LENGTH_RATIO: Final = 1.25
_N_FFT: Final = 1024
_HOP: Final = 256
_MELS: Final = 40
_FLOOR_DB: Final = -60.0


def fingerprint(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """The hit's first :data:`WINDOW_S` seconds as a unit-length, zero-mean log-mel vector."""
    import librosa

    n = round(WINDOW_S * sample_rate)
    x = np.zeros(n, dtype=np.float32)
    y = np.asarray(mono, dtype=np.float32)[:n]
    x[: y.size] = y
    mel = librosa.feature.melspectrogram(
        y=x, sr=sample_rate, n_fft=_N_FFT, hop_length=_HOP, n_mels=_MELS, fmax=16000, center=True
    )
    db = 10 * np.log10(np.maximum(mel, 1e-12))
    db = np.maximum(db - db.max(), _FLOOR_DB).ravel()
    db = db - db.mean()
    norm = float(np.linalg.norm(db))
    return db / norm if norm > 0 else db


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The correlation (-1..1) of two fingerprints."""
    return float(np.dot(a, b))


def near_duplicates(
    fingerprints: Sequence[np.ndarray],
    lengths: Sequence[float],
    *,
    threshold: float = THRESHOLD,
) -> list[int]:
    """For each hit, the index of the hit it duplicates (itself when it is the first of its
    sound). Hits are taken in order; a hit joins the earliest kept one it matches."""
    if len(fingerprints) != len(lengths):
        raise ValueError(f"fingerprints: {len(fingerprints)} -- one per length ({len(lengths)})")
    kept: list[int] = []
    owner: list[int] = []
    matrix = np.stack(fingerprints) if fingerprints else np.zeros((0, 0))
    for i in range(len(fingerprints)):
        match = i
        if kept:
            sims = matrix[kept] @ matrix[i]
            for k, s in zip(kept, sims, strict=True):
                ratio = max(lengths[i], lengths[k]) / max(min(lengths[i], lengths[k]), 1e-9)
                if s >= threshold and ratio < LENGTH_RATIO:
                    match = k
                    break
        if match == i:
            kept.append(i)
        owner.append(match)
    return owner
