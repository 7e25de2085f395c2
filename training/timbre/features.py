"""What the decoder learns from: a monophonic recording at the model's rate, cut into frames of
:data:`render.ddsp.HOP` samples, with per-frame f0 (librosa's pYIN; unvoiced frames take the
nearest voiced frames' f0, interpolated) and A-weighted loudness (dB of the A-weighted power
of a 1024-sample frame, centred on the frame like pYIN's)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from render.audio_io import decode_audio
from render.ddsp import HOP, SAMPLE_RATE

N_FFT: Final = 1024
#: Frames this far below the loudest one, at either end, are the room's silence or a reverb
#: tail (pYIN still calls a decaying tail voiced): :func:`trimmed` drops them.
TRIM_DB: Final = 35.0
FMIN_HZ: Final = 80.0
FMAX_HZ: Final = 1600.0
MIN_DB: Final = -100.0


@dataclass(frozen=True, slots=True)
class Clip:
    """``audio [T * HOP]`` at the model's rate and its per-frame ``f0_hz``, ``loudness_db`` and
    ``voiced`` (``[T]`` each)."""

    audio: NDArray[np.float32]
    f0_hz: NDArray[np.float32]
    loudness_db: NDArray[np.float32]
    voiced: NDArray[np.bool_]

    @property
    def frames(self) -> int:
        return int(self.f0_hz.shape[0])

    def cut(self, start: int, stop: int) -> Clip:
        """Frames ``start:stop`` (and their samples)."""
        return Clip(
            self.audio[start * HOP : stop * HOP],
            self.f0_hz[start:stop],
            self.loudness_db[start:stop],
            self.voiced[start:stop],
        )


def read_mono(path: Path) -> NDArray[np.float32]:
    """``path`` decoded, mixed to mono and resampled to the model's rate."""
    import librosa

    audio, sr = decode_audio(path)
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    out: NDArray[np.float32] = librosa.resample(
        mono.astype(np.float32), orig_sr=sr, target_sr=SAMPLE_RATE
    ).astype(np.float32)
    return out


def loudness_db(audio: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per-frame A-weighted loudness in dB (floored at :data:`MIN_DB`)."""
    import librosa

    power = np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP, center=True)) ** 2
    with np.errstate(divide="ignore"):  # 0 Hz: minus infinity dB, a weight of 0
        a_db = librosa.A_weighting(librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=N_FFT))
    weights = 10 ** (a_db / 10)
    mean = np.mean(power * weights[:, None], axis=0) / (N_FFT / 2)
    out: NDArray[np.float32] = np.maximum(10 * np.log10(mean + 1e-12), MIN_DB).astype(np.float32)
    return out


def pitch_track(audio: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Per-frame f0 (Hz, gaps filled) and voicing, by pYIN."""
    import librosa

    f0, voiced, _ = librosa.pyin(
        audio,
        fmin=FMIN_HZ,
        fmax=FMAX_HZ,
        sr=SAMPLE_RATE,
        frame_length=2 * N_FFT,
        hop_length=HOP,
        center=True,
    )
    ok = voiced & np.isfinite(f0)
    if not ok.any():
        raise ValueError(
            "recording: pYIN found no pitched frame -- a monophonic, pitched recording"
        )
    idx = np.arange(f0.shape[0])
    filled = np.interp(idx, idx[ok], f0[ok]).astype(np.float32)
    return filled, ok


def measure(audio: NDArray[np.float32]) -> Clip:
    """``audio`` (mono, at the model's rate) as a :class:`Clip` of whole frames."""
    f0, voiced = pitch_track(audio)
    loud = loudness_db(audio)
    frames = min(f0.shape[0], loud.shape[0], audio.shape[0] // HOP)
    return Clip(
        audio[: frames * HOP].astype(np.float32), f0[:frames], loud[:frames], voiced[:frames]
    )


def trimmed(clip: Clip, top_db: float = TRIM_DB) -> Clip:
    """``clip`` without its leading and trailing frames quieter than the loudest minus
    ``top_db``."""
    loud = np.flatnonzero(clip.loudness_db > clip.loudness_db.max() - top_db)
    return clip.cut(int(loud[0]), int(loud[-1]) + 1)


def shifted(audio: NDArray[np.float32], semitones: float) -> NDArray[np.float32]:
    """``audio`` played ``semitones`` higher (and faster), as a tape would: resampled."""
    import librosa

    if semitones == 0:
        return audio
    ratio = 2.0 ** (semitones / 12.0)
    out: NDArray[np.float32] = librosa.resample(
        audio, orig_sr=SAMPLE_RATE, target_sr=round(SAMPLE_RATE / ratio)
    ).astype(np.float32)
    return out
