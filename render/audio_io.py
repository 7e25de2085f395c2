"""Atomic writes of audio and JSON: a temp file in the same folder, then a rename, so a crash or
a full disk never leaves a half-written file under the final name.

Audio arrays are float32 ``[frames, channels]`` (or ``[frames]`` for mono) at ``sample_rate``.
WAV and FLAC go through soundfile (stems as 32-bit float, masters as 24-bit PCM); MP3 and OGG
through pedalboard's encoders (LAME VBR V2 and Vorbis ~128 kbps).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import numpy as np

from music.errors import StorageError
from render.errors import RenderError

AUDIO_SUFFIXES: Final = (".wav", ".flac", ".mp3", ".ogg")


def ensure_writable_dir(folder: Path) -> Path:
    """Create ``folder`` if needed and prove a file can be created in it.

    Raises RenderError naming the folder when it cannot be created or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test.{os.getpid()}.{uuid.uuid4().hex}"
        with open(probe, "xb"):
            pass
        probe.unlink()
    except OSError as exc:
        raise RenderError(
            f"{folder}: output folder cannot be written ({exc.strerror or exc}) -- choose a "
            "folder you can write to, or fix its permissions",
            path=folder,
        ) from exc
    return folder


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path beside ``path`` (same suffix, so encoders pick the format); on
    success it is renamed onto ``path``, on any failure removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RenderError(f"{path}: cannot be written ({exc.strerror or exc})", path=path) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_audio(
    path: Path, audio: np.ndarray, sample_rate: int, *, float_wav: bool = False
) -> Path:
    """Write ``audio`` to ``path`` atomically; the suffix picks the format (.wav, .flac, .mp3,
    .ogg). WAV is 24-bit PCM, or 32-bit float with ``float_wav`` (for stems, which may exceed
    full scale before mixing)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise ValueError(
            f"path: {str(path)!r} -- an audio file ending in {', '.join(AUDIO_SUFFIXES)}"
        )
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] not in (1, 2):
        raise ValueError(f"audio: shape {np.shape(audio)} -- [frames] or [frames, 1 or 2]")
    if not np.all(np.isfinite(x)):
        raise RenderError(f"{path}: audio contains NaN or infinite samples", path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        try:
            _encode(tmp, x, sample_rate, suffix=suffix, float_wav=float_wav)
        except RuntimeError as exc:
            # libsndfile and pedalboard report a refused write without its errno.
            raise StorageError(
                f"{path}: cannot write audio ({exc}) -- the disk may be full or the folder "
                "not writable; free space or choose a writable --out folder"
            ) from None
    return path


def _encode(tmp: Path, x: np.ndarray, sample_rate: int, *, suffix: str, float_wav: bool) -> None:
    if suffix in (".wav", ".flac"):
        import soundfile

        subtype = "FLOAT" if (float_wav and suffix == ".wav") else "PCM_24"
        soundfile.write(str(tmp), x, sample_rate, subtype=subtype)
    else:
        from pedalboard.io import AudioFile

        quality: str | int = "V2" if suffix == ".mp3" else 128
        with AudioFile(str(tmp), "w", sample_rate, x.shape[1], quality=quality) as fh:
            fh.write(np.ascontiguousarray(np.clip(x, -1.0, 1.0).T))


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """``(float32 [frames, channels], sample_rate)`` of a WAV/FLAC file (soundfile)."""
    import soundfile

    try:
        data, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as exc:  # soundfile.LibsndfileError is a RuntimeError
        raise RenderError(f"{path}: unreadable audio file ({exc})", path=path) from exc
    return data, int(sr)
