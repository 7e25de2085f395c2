"""The emotion model's input: 128 audio features per analysis window.

Audio is mixed to mono and resampled to :data:`SAMPLE_RATE`; STFT frames of 2048 samples every
512 are grouped into windows of :data:`WINDOW_S` seconds every :data:`HOP_S` seconds (a clip
shorter than one window is one window). Per window, in this order (:data:`FEATURE_NAMES`):

====  =====================================================================================
 64   log-mel band means (64 mel bands, 30 Hz-11 kHz, dB re the clip's loudest bin, /80)
 12   chroma means (STFT chroma, tuning 0)
 12   chroma standard deviations
  7   spectral contrast means (6 octave bands + valley), /50
  6   tonal centroid (tonnetz) means, from the chroma
 10   mean and standard deviation of spectral centroid, bandwidth, roll-off (as shares of
      Nyquist), flatness and zero-crossing rate
  4   onset strength mean and std (/5), its maximum (/10) and onset peaks per second (/10)
  4   RMS level in dBFS (mean, std, max, min; +60 then /60)
  2   onset-envelope autocorrelation: the strongest beat period's tempo (/200 bpm) and its
      strength (pulse clarity)
  3   key clarity of the window's chroma: the best major and the best minor key correlation
      (Krumhansl-Schmuckler, :mod:`scoring.key_estimate`) and their difference (mode)
  2   spectral flux mean and std (positive change of the log-mel frames)
  1   low-energy share (frames below the window's mean RMS)
  1   chroma entropy (/log 12)
====  =====================================================================================

These are the cues the music-emotion literature reads: mode and harmony (chroma, key
correlations) for valence; tempo, event density, loudness and spectral brightness for arousal
(Gabrielsson & Lindström 2010; Eerola, Friberg & Bresin 2013).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from scoring.audio_features import _mono
from scoring.key_estimate import correlations

SAMPLE_RATE: Final = 22050
N_FFT: Final = 2048
FRAME_HOP: Final = 512
WINDOW_S: Final = 1.0
HOP_S: Final = 0.5
N_FEATURES: Final = 128
N_MELS: Final = 64

FEATURE_NAMES: Final[tuple[str, ...]] = (
    *(f"mel_{i:02d}" for i in range(N_MELS)),
    *(f"chroma_{i:02d}" for i in range(12)),
    *(f"chroma_std_{i:02d}" for i in range(12)),
    *(f"contrast_{i}" for i in range(7)),
    *(f"tonnetz_{i}" for i in range(6)),
    *(
        f"{name}_{stat}"
        for name in ("centroid", "bandwidth", "rolloff", "flatness", "zcr")
        for stat in ("mean", "std")
    ),
    "onset_mean",
    "onset_std",
    "onset_max",
    "onset_rate",
    "rms_db_mean",
    "rms_db_std",
    "rms_db_max",
    "rms_db_min",
    "beat_tempo",
    "pulse_clarity",
    "major_r",
    "minor_r",
    "mode_r",
    "flux_mean",
    "flux_std",
    "low_energy",
    "chroma_entropy",
)
assert len(FEATURE_NAMES) == N_FEATURES


def _frames_per(seconds: float) -> int:
    return max(1, round(seconds * SAMPLE_RATE / FRAME_HOP))


def _window_starts(n_frames: int) -> list[int]:
    width, hop = _frames_per(WINDOW_S), _frames_per(HOP_S)
    if n_frames <= width:
        return [0]
    return list(range(0, n_frames - width + 1, hop))


def _beat(envelope: NDArray[np.float64]) -> tuple[float, float]:
    """Tempo (bpm) of the strongest autocorrelation lag between 40 and 240 bpm, and its
    normalised strength."""
    e = envelope - envelope.mean()
    energy = float(e @ e)
    if energy <= 1e-12 or e.size < 4:
        return 0.0, 0.0
    fps = SAMPLE_RATE / FRAME_HOP
    lo, hi = max(1, int(fps * 60 / 240)), min(e.size - 1, int(fps * 60 / 40))
    if hi <= lo:
        return 0.0, 0.0
    ac = np.array([float(e[:-lag] @ e[lag:]) for lag in range(lo, hi + 1)]) / energy
    best = int(np.argmax(ac))
    return 60.0 * fps / (lo + best), max(0.0, float(ac[best]))


def window_features(samples: NDArray[np.float32], sr: int) -> NDArray[np.float32]:
    """``[windows, 128]`` float32 features of mono ``[n]`` or ``[channels, n]`` audio.

    Raises InputError(field="audio") for empty, too short, non-finite or silent audio."""
    import librosa

    y = _mono(samples, sr)
    if sr != SAMPLE_RATE:
        y = librosa.resample(y, orig_sr=sr, target_sr=SAMPLE_RATE).astype(np.float32)
    stft = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=FRAME_HOP))
    power = stft**2
    mel_db = librosa.power_to_db(
        librosa.feature.melspectrogram(
            S=power, sr=SAMPLE_RATE, n_mels=N_MELS, fmin=30.0, fmax=11000.0
        ),
        ref=float(power.max()) + 1e-12,
        top_db=80.0,
    )
    chroma = librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, tuning=0.0)
    contrast = librosa.feature.spectral_contrast(S=stft, sr=SAMPLE_RATE)
    tonnetz = librosa.feature.tonnetz(chroma=chroma, sr=SAMPLE_RATE)
    nyquist = SAMPLE_RATE / 2.0
    shape = np.vstack(
        [
            librosa.feature.spectral_centroid(S=stft, sr=SAMPLE_RATE) / nyquist,
            librosa.feature.spectral_bandwidth(S=stft, sr=SAMPLE_RATE) / nyquist,
            librosa.feature.spectral_rolloff(S=stft, sr=SAMPLE_RATE) / nyquist,
            librosa.feature.spectral_flatness(S=stft),
            librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=FRAME_HOP),
        ]
    )
    rms = librosa.feature.rms(S=stft, frame_length=N_FFT, hop_length=FRAME_HOP)[0]
    rms_db = 20.0 * np.log10(np.maximum(rms, 1e-6))
    onset = librosa.onset.onset_strength(S=mel_db, sr=SAMPLE_RATE, hop_length=FRAME_HOP)
    flux = np.concatenate([[0.0], np.maximum(np.diff(mel_db, axis=1), 0.0).mean(axis=0)])
    n = min(stft.shape[1], chroma.shape[1], onset.size, shape.shape[1], rms.size)
    width = _frames_per(WINDOW_S)
    rows = []
    for start in _window_starts(n):
        s = slice(start, min(n, start + width))
        env = onset[s].astype(np.float64)
        peaks = librosa.util.peak_pick(
            env, pre_max=3, post_max=3, pre_avg=3, post_avg=5, delta=0.5, wait=5
        )
        seconds = env.size * FRAME_HOP / SAMPLE_RATE
        tempo, clarity = _beat(env)
        cmean = chroma[:, s].mean(axis=1)
        r = correlations(cmean[None, :].astype(np.float64))[0].mean(axis=0)
        major, minor = float(r[:12].max()), float(r[12:].max())
        p = cmean / max(float(cmean.sum()), 1e-12)
        entropy = -float(np.sum(p * np.log(np.maximum(p, 1e-12)))) / math.log(12)
        w_rms = rms[s]
        row = [
            *(mel_db[:, s].mean(axis=1) / 80.0 + 1.0),
            *cmean,
            *chroma[:, s].std(axis=1),
            *(contrast[:, s].mean(axis=1) / 50.0),
            *tonnetz[:, s].mean(axis=1),
            *np.column_stack([shape[:, s].mean(axis=1), shape[:, s].std(axis=1)]).ravel(),
            float(env.mean()) / 5.0,
            float(env.std()) / 5.0,
            float(env.max()) / 10.0,
            len(peaks) / seconds / 10.0,
            (float(rms_db[s].mean()) + 60.0) / 60.0,
            float(rms_db[s].std()) / 60.0,
            (float(rms_db[s].max()) + 60.0) / 60.0,
            (float(rms_db[s].min()) + 60.0) / 60.0,
            tempo / 200.0,
            clarity,
            major,
            minor,
            major - minor,
            float(flux[s].mean()),
            float(flux[s].std()),
            float((w_rms < w_rms.mean()).mean()),
            entropy,
        ]
        rows.append(row)
    out = np.asarray(rows, dtype=np.float32)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
