"""Isolating the drums of a recording before its hits are cut (seed 001, step 1).

Methods: ``demucs`` (a Demucs source-separation model from a local checkpoint; its ``drums``
source), ``hpss`` (librosa's harmonic/percussive separation, its percussive part), ``none``
(the audio as it is: for recordings that are drums already), and ``auto``: Demucs when a
checkpoint is configured, HPSS otherwise. The kit manifest records which one ran.

HPSS here uses a long harmonic median filter (63 frames, ~0.73 s at hop 512) so that only
sound sustained longer than ~0.36 s counts as harmonic: the boom of a kick or a tom stays with
the drums, held chords and pads go.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import scipy.ndimage

from render.kit.errors import KitError

logger = logging.getLogger(__name__)

Method = Literal["auto", "demucs", "hpss", "none"]
METHODS: Final[tuple[Method, ...]] = ("auto", "demucs", "hpss", "none")
HPSS_KERNEL: Final = (63, 31)
HPSS_MARGIN: Final = 1.0


@dataclass(frozen=True, slots=True)
class SeparationSettings:
    """``method`` (:data:`METHODS`), the Demucs checkpoint (a file or a folder; see
    :mod:`render.kit.demucs_model`), if any, and the CPU threads Demucs may use (torch's
    threads spin while they wait: more threads than free cores slow it down many times)."""

    method: Method = "auto"
    demucs_checkpoint: Path | None = None
    threads: int = 1

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"separation: {self.method!r} -- one of {', '.join(METHODS)}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"threads: {self.threads!r} -- an integer >= 1")

    def resolved(self) -> Literal["demucs", "hpss", "none"]:
        """The method that runs: ``auto`` is Demucs with a checkpoint, else HPSS. Raises
        KitError for ``demucs`` without a checkpoint."""
        if self.method == "auto":
            return "demucs" if self.demucs_checkpoint is not None else "hpss"
        if self.method == "demucs" and self.demucs_checkpoint is None:
            raise KitError(
                "separation demucs: no checkpoint -- give --demucs PATH (or $CHROMATIC_DEMUCS) "
                "naming a local Demucs model, or use --separation hpss"
            )
        return self.method


def hpss_drums(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """The percussive part of ``audio`` (float32 ``[frames, channels]``), same shape: one
    soft mask from the channels' summed spectrogram, applied to each channel."""
    import librosa

    x = np.asarray(audio, dtype=np.float32)
    stfts = [librosa.stft(x[:, c]) for c in range(x.shape[1])]
    power = np.sum([np.abs(s) ** 2 for s in stfts], axis=0)
    harm = scipy.ndimage.median_filter(power, size=(1, HPSS_KERNEL[0]), mode="reflect")
    perc = scipy.ndimage.median_filter(power, size=(HPSS_KERNEL[1], 1), mode="reflect")
    mask = librosa.util.softmask(perc, HPSS_MARGIN * harm, power=2.0, split_zeros=False)
    out = np.empty_like(x)
    for c, s in enumerate(stfts):
        y = librosa.istft(s * mask, length=x.shape[0])
        out[:, c] = np.asarray(y, dtype=np.float32)
    return out


class Separator:
    """One separation method, its model loaded once, applied file after file."""

    def __init__(self, settings: SeparationSettings) -> None:
        self.method = settings.resolved()
        self._settings = settings
        self._demucs: Any = None
        if self.method == "demucs":
            from render.kit.demucs_model import DemucsSeparator

            assert settings.demucs_checkpoint is not None
            self._demucs = DemucsSeparator.load(
                settings.demucs_checkpoint, threads=settings.threads
            )

    def describe(self) -> dict[str, Any]:
        """What ran, for the kit manifest."""
        info: dict[str, Any] = {"method": self.method}
        if self.method == "demucs":
            info.update(self._demucs.describe())
        elif self.method == "hpss":
            info.update({"kernel_size": list(HPSS_KERNEL), "margin": HPSS_MARGIN})
        return info

    def drums(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The drums of ``audio`` (float32 ``[frames, channels]``), same shape."""
        if self.method == "none":
            return np.asarray(audio, dtype=np.float32)
        if self.method == "hpss":
            return hpss_drums(audio, sample_rate)
        out: np.ndarray = self._demucs.drums(audio, sample_rate)
        return out
