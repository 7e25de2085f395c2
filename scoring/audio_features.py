"""The optional audio modality of the scorer.

By default audio is described by :func:`audio_features`: :data:`N_AUDIO` DSP numbers computed
with librosa from a rendered preview, each scaled to roughly [0, 1] (order:
:data:`AUDIO_NAMES`). LAION-CLAP is used only when a person configures a local checkpoint
(argument or the :data:`CLAP_ENV` environment variable); nothing is ever downloaded. laion_clap
is an optional extra, imported only when such a checkpoint is configured (DESIGN §9: it needs
``pip install --no-deps laion-clap`` plus its import-time needs, and its text branch needs
``roberta-base`` in the local Hugging Face cache).

:func:`audio_encoder_from_config` picks the encoder: no checkpoint configured -> DSP features;
a checkpoint configured -> CLAP, or a clear error when it cannot be used (never a silent fallback
that would change what the scorer was trained on).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from numpy.typing import NDArray

from music.errors import ChromaticError, InputError

logger = logging.getLogger(__name__)

N_AUDIO: Final = 32
CLAP_ENV: Final = "CHROMATIC_CLAP_CHECKPOINT"
CLAP_SAMPLE_RATE: Final = 48_000
CLAP_DIM: Final = 512
#: Shortest audio accepted, in seconds.
MIN_SECONDS: Final = 0.25
#: Peak level below which audio counts as silent.
SILENCE_PEAK: Final = 1e-4
_N_FFT: Final = 2048
_HOP: Final = 512

AUDIO_NAMES: Final[tuple[str, ...]] = (
    "rms_db",  # mean frame RMS, (dBFS + 60) / 60
    "rms_variation",  # std / mean of frame RMS, capped at 1
    "centroid",  # mean spectral centroid / Nyquist
    "bandwidth",  # mean spectral bandwidth / Nyquist
    "rolloff",  # mean 85% roll-off / Nyquist
    "flatness",  # mean spectral flatness (0 tonal .. 1 noise)
    "zero_crossings",  # mean zero-crossing rate x 5, capped at 1
    "onset_rate",  # onsets per second / 10, capped at 1
    "tempo",  # estimated bpm / 200, capped at 1.5
    *(f"chroma_{i}" for i in range(12)),  # mean chroma (C..B), each 0..1
    "low_share",  # energy share below 250 Hz
    "mid_share",  # energy share 250 Hz .. 4 kHz
    "high_share",  # energy share above 4 kHz
    "harmonic_share",  # harmonic / (harmonic + percussive) energy below 8 kHz (median-filter HPSS)
    "contrast",  # mean spectral contrast (dB) / 50, capped at 1
    "onset_strength",  # mean onset strength / 5, capped at 1
    "pulse_regularity",  # 1 - std/mean of inter-onset intervals, clipped to [0, 1]
    "duration",  # seconds / 30, capped at 1
    "peak",  # max |sample|, capped at 1
    "crest",  # peak / RMS in dB / 30, capped at 1
    "silent_frames",  # share of frames more than 50 dB below the loudest frame
)


def _bad_audio(value: object, allowed: str) -> InputError:
    return InputError(file=None, field="audio", value=value, allowed=allowed)


def _mono(samples: NDArray[np.float32], sr: int) -> NDArray[np.float32]:
    if isinstance(sr, bool) or not isinstance(sr, int | np.integer) or sr <= 0:
        raise _bad_audio(f"sr={sr!r}", "a positive integer sample rate in Hz")
    y = np.asarray(samples, dtype=np.float32)
    if y.ndim == 2:  # [channels, samples]
        y = y.mean(axis=0)
    if y.ndim != 1:
        raise _bad_audio(f"shape {y.shape}", "samples shaped [n] or [channels, n]")
    if y.size < MIN_SECONDS * sr:
        raise _bad_audio(
            f"{y.size} samples ({y.size / sr:.3f} s)", f"at least {MIN_SECONDS} s of audio"
        )
    if not np.all(np.isfinite(y)):
        raise _bad_audio("NaN or infinite samples", "finite sample values")
    peak = float(np.max(np.abs(y)))
    if peak < SILENCE_PEAK:
        raise _bad_audio(
            f"silent audio (peak {peak:.2g})",
            f"audible audio (peak >= {SILENCE_PEAK:g}); render the preview with notes in it",
        )
    return y


def audio_features(samples: NDArray[np.float32], sr: int) -> NDArray[np.float32]:
    """DSP description ``[N_AUDIO]`` (float32) of mono or ``[channels, n]`` audio at ``sr`` Hz.

    Raises InputError(field="audio") for empty, too short, non-finite or silent audio."""
    import librosa

    y = _mono(samples, sr)
    nyquist = sr / 2.0
    f = np.zeros(N_AUDIO, dtype=np.float64)
    stft = np.abs(librosa.stft(y, n_fft=_N_FFT, hop_length=_HOP))  # [freq, frames]
    power = stft**2
    rms = librosa.feature.rms(S=stft, frame_length=_N_FFT, hop_length=_HOP)[0]
    mean_rms = float(rms.mean())
    f[0] = _clip((20 * math.log10(max(mean_rms, 1e-10)) + 60) / 60)
    f[1] = _clip(float(rms.std()) / max(mean_rms, 1e-10))
    f[2] = float(librosa.feature.spectral_centroid(S=stft, sr=sr).mean()) / nyquist
    f[3] = _clip(float(librosa.feature.spectral_bandwidth(S=stft, sr=sr).mean()) / nyquist)
    f[4] = float(librosa.feature.spectral_rolloff(S=stft, sr=sr).mean()) / nyquist
    f[5] = float(librosa.feature.spectral_flatness(S=stft).mean())
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=_N_FFT, hop_length=_HOP)
    f[6] = _clip(float(zcr.mean()) * 5)
    envelope = librosa.onset.onset_strength(
        S=librosa.amplitude_to_db(stft, ref=np.max), sr=sr, hop_length=_HOP
    )
    onsets = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=sr, hop_length=_HOP, units="time"
    )
    seconds = y.size / sr
    f[7] = _clip(len(onsets) / seconds / 10)
    tempo = librosa.feature.tempo(onset_envelope=envelope, sr=sr, hop_length=_HOP)
    f[8] = min(1.5, float(np.atleast_1d(tempo)[0]) / 200.0)
    f[9:21] = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0).mean(axis=1)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=_N_FFT)
    band_energy = power.sum(axis=1)
    total = max(float(band_energy.sum()), 1e-20)
    f[21] = float(band_energy[freqs < 250].sum()) / total
    f[22] = float(band_energy[(freqs >= 250) & (freqs < 4000)].sum()) / total
    f[23] = float(band_energy[freqs >= 4000].sum()) / total
    # HPSS on the band below 8 kHz with short median filters: ~10x cheaper than the defaults
    # and enough for a harmonic-vs-percussive energy share.
    harmonic, percussive = librosa.decompose.hpss(stft[freqs < 8000], kernel_size=(13, 13))
    h_energy, p_energy = float((harmonic**2).sum()), float((percussive**2).sum())
    f[24] = h_energy / max(h_energy + p_energy, 1e-20)
    f[25] = _clip(float(librosa.feature.spectral_contrast(S=stft, sr=sr).mean()) / 50)
    f[26] = _clip(float(envelope.mean()) / 5)
    if len(onsets) >= 3:
        gaps = np.diff(onsets)
        f[27] = _clip(1.0 - float(gaps.std()) / max(float(gaps.mean()), 1e-9))
    f[28] = _clip(seconds / 30)
    peak = float(np.max(np.abs(y)))
    f[29] = _clip(peak)
    rms_all = math.sqrt(float(np.mean(y.astype(np.float64) ** 2)))
    f[30] = _clip(20 * math.log10(peak / max(rms_all, 1e-10)) / 30)
    rms_db = 20 * np.log10(np.maximum(rms, 1e-10) / max(float(rms.max()), 1e-10))
    f[31] = float((rms_db < -50).mean())
    return f.astype(np.float32)


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


class AudioEncoder(Protocol):
    """Turns audio into the scorer's audio input vector."""

    @property
    def name(self) -> str:
        """Short name of the encoder (``"dsp"``, ``"clap"``)."""
        ...

    @property
    def dim(self) -> int:
        """Length of the vectors :meth:`embed` returns."""
        ...

    def embed(self, samples: NDArray[np.float32], sr: int) -> NDArray[np.float32]:
        """``[dim]`` float32 vector of mono or ``[channels, n]`` audio at ``sr`` Hz."""
        ...


@dataclass(frozen=True, slots=True)
class DspAudioEncoder:
    """The offline default: :func:`audio_features`."""

    name: str = "dsp"
    dim: int = N_AUDIO

    def embed(self, samples: NDArray[np.float32], sr: int) -> NDArray[np.float32]:
        return audio_features(samples, sr)


class ClapConfigError(ChromaticError):
    """LAION-CLAP was asked for but cannot be used (no checkpoint, or laion_clap missing)."""


def clap_checkpoint_from_env(env: Mapping[str, str] | None = None) -> Path | None:
    """The checkpoint path configured in :data:`CLAP_ENV`, or None when it is unset or blank."""
    value = (os.environ if env is None else env).get(CLAP_ENV, "").strip()
    return Path(value).expanduser() if value else None


@dataclass
class ClapAudioEncoder:
    """LAION-CLAP audio embeddings (``[512]``, unit length) from a local checkpoint.

    ``checkpoint`` defaults to :data:`CLAP_ENV`. Raises ClapConfigError naming the variable when
    no checkpoint is configured, the file is missing, or laion_clap is not installed."""

    checkpoint: Path | None = None
    amodel: str = "HTSAT-tiny"
    enable_fusion: bool = False
    name: str = "clap"
    dim: int = CLAP_DIM
    _model: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        path = self.checkpoint if self.checkpoint is not None else clap_checkpoint_from_env()
        if path is None:
            raise ClapConfigError(
                f"{CLAP_ENV}: not set -- set it (or pass checkpoint=) to a local LAION-CLAP .pt "
                "checkpoint, or use the DSP audio features (the default)"
            )
        path = Path(path).expanduser()
        if not path.is_file():
            raise ClapConfigError(
                f"{CLAP_ENV}: {str(path)!r} -- no such file; a local LAION-CLAP .pt checkpoint "
                "(nothing is downloaded)"
            )
        try:
            import laion_clap
        except ImportError as exc:
            raise ClapConfigError(
                f"{CLAP_ENV}: {str(path)!r} is set but the laion_clap package is not installed "
                f"({exc}) -- install laion-clap==1.1.7 with --no-deps and its import-time needs "
                f"(DESIGN §9), or unset {CLAP_ENV} to use the DSP audio features"
            ) from exc
        self.checkpoint = path
        model = laion_clap.CLAP_Module(
            enable_fusion=self.enable_fusion, amodel=self.amodel, device="cpu"
        )
        model.load_ckpt(str(path))
        self._model = model

    def embed(self, samples: NDArray[np.float32], sr: int) -> NDArray[np.float32]:
        """Resample to 48 kHz mono and embed: ``[512]`` float32, unit length."""
        import librosa

        y = _mono(samples, sr)
        if sr != CLAP_SAMPLE_RATE:
            y = librosa.resample(y, orig_sr=sr, target_sr=CLAP_SAMPLE_RATE).astype(np.float32)
        # CLAP was trained on 16-bit audio: quantise the way its reference code does.
        y = (np.clip(y, -1.0, 1.0) * 32767.0).astype(np.int16).astype(np.float32) / 32767.0
        out = np.asarray(
            self._model.get_audio_embedding_from_data(x=y[None, :], use_tensor=False),
            dtype=np.float32,
        ).reshape(-1)
        if out.shape != (self.dim,):
            raise ClapConfigError(
                f"{self.checkpoint}: CLAP returned shape {out.shape} -- expected ({self.dim},); "
                f"is amodel={self.amodel!r} right for this checkpoint?"
            )
        norm = float(np.linalg.norm(out))
        return out / norm if norm > 0 else out


def audio_encoder_from_config(
    checkpoint: Path | None = None, *, env: Mapping[str, str] | None = None
) -> AudioEncoder:
    """CLAP when a checkpoint is given or configured in :data:`CLAP_ENV`, else DSP features.

    A configured checkpoint that cannot be used raises ClapConfigError; it never falls back."""
    path = checkpoint if checkpoint is not None else clap_checkpoint_from_env(env)
    if path is None:
        return DspAudioEncoder()
    return ClapAudioEncoder(checkpoint=path)
