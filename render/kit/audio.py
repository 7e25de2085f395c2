"""Reading the audio a kit is built from: files and folders in, checked clips out.

The files taken are those :func:`render.audio_io.decode_audio` reads
(:data:`render.audio_io.READ_SUFFIXES`); here WAV, FLAC, OGG and AIFF are decoded by libsndfile
(soundfile: a long file's first :data:`MAX_SECONDS` only), MP3 by pedalboard. Every clip is
resampled to :data:`KIT_SAMPLE_RATE` and kept with its channels (1 or 2). A file that cannot be
used says why: unreadable (the decoder's words), too short, silent, or holding NaN/inf samples;
the kit build reports it and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from render.audio_io import READ_ALLOWED, READ_SUFFIXES

KIT_SAMPLE_RATE: Final = 44100
#: A file shorter than this holds no usable hit (seconds).
MIN_SECONDS: Final = 0.01
#: A file whose peak stays below this is silent (dBFS).
SILENCE_DBFS: Final = -60.0
#: Longest input read (seconds): longer files are cut, with a warning in the report.
MAX_SECONDS: Final = 20 * 60.0


class UnusableAudio(ValueError):
    """A file the kit build cannot use; ``reason`` says why in a few words."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True, slots=True)
class Clip:
    """Decoded audio: float32 ``[frames, channels]`` at ``sample_rate`` Hz, from ``path``."""

    path: Path
    audio: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return self.audio.shape[0] / self.sample_rate

    def mono(self) -> np.ndarray:
        """The channels averaged: float32 ``[frames]``."""
        return np.asarray(self.audio.mean(axis=1), dtype=np.float32)


def find_audio_files(inputs: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """``(audio files, skipped)``: each input file, and every audio file under each folder
    (recursively, sorted); a missing path or a file with another suffix is skipped with its
    reason. The same file given twice is read once."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READ_SUFFIXES
            )
            if not found:
                skipped.append((path, f"a folder with no audio files ({READ_ALLOWED})"))
            for p in found:
                add(p)
        elif not path.exists():
            skipped.append((path, "no such file or folder"))
        elif path.suffix.lower() not in READ_SUFFIXES:
            skipped.append((path, f"not an audio file (expected {READ_ALLOWED})"))
        else:
            add(path)
    return files, skipped


def _decode(path: Path) -> tuple[np.ndarray, int]:
    if path.suffix.lower() == ".mp3":
        from pedalboard.io import AudioFile

        try:
            with AudioFile(str(path)) as fh:
                frames = min(fh.frames, int(MAX_SECONDS * fh.samplerate))
                data = np.asarray(fh.read(frames), dtype=np.float32).T
                return np.ascontiguousarray(data), int(fh.samplerate)
        except (OSError, ValueError, RuntimeError) as exc:
            raise UnusableAudio(path, f"unreadable ({exc})") from None
    import soundfile

    try:
        with soundfile.SoundFile(str(path)) as fh:
            frames = min(fh.frames, int(MAX_SECONDS * fh.samplerate))
            data = fh.read(frames, dtype="float32", always_2d=True)
            return data, int(fh.samplerate)
    except (RuntimeError, OSError, ValueError) as exc:  # LibsndfileError is a RuntimeError
        raise UnusableAudio(path, f"unreadable ({exc})") from None


def resample(audio: np.ndarray, sample_rate: int, target: int) -> np.ndarray:
    """``audio`` (``[frames]`` or ``[frames, channels]``) at ``target`` Hz (soxr, high
    quality); unchanged when the rates agree."""
    if sample_rate == target:
        return np.asarray(audio, dtype=np.float32)
    import librosa

    y = librosa.resample(
        np.asarray(audio, dtype=np.float32).T, orig_sr=sample_rate, target_sr=target, axis=-1
    )
    return np.ascontiguousarray(np.asarray(y, dtype=np.float32).T)


def read_clip(path: Path, *, min_seconds: float = MIN_SECONDS) -> Clip:
    """The file at ``path`` decoded, checked and resampled to :data:`KIT_SAMPLE_RATE`
    (at most 2 channels: more are averaged to mono). Raises UnusableAudio."""
    path = Path(path)
    data, sr = _decode(path)
    if data.ndim != 2 or data.shape[0] == 0:
        raise UnusableAudio(path, "no audio frames")
    if not np.all(np.isfinite(data)):
        raise UnusableAudio(path, "holds NaN or infinite samples")
    seconds = data.shape[0] / sr
    if seconds < min_seconds:
        raise UnusableAudio(path, f"too short ({seconds:.3f} s; at least {min_seconds:g} s)")
    peak = float(np.abs(data).max())
    peak_db = 20 * np.log10(peak) if peak > 0 else float("-inf")
    if peak_db < SILENCE_DBFS:
        raise UnusableAudio(path, f"silent (peak {peak_db:.1f} dBFS, below {SILENCE_DBFS:g})")
    if data.shape[1] > 2:
        data = data.mean(axis=1, keepdims=True)
    return Clip(path=path, audio=resample(data, sr, KIT_SAMPLE_RATE), sample_rate=KIT_SAMPLE_RATE)
