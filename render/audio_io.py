"""Writes of audio and JSON, atomic through :func:`music.files.atomic_path` (a temp file in the
same folder, then a rename), so a crash or a full disk never leaves a half-written file under the
final name; a refused write is one StorageError naming the file.

Audio arrays are float32 ``[frames, channels]`` (or ``[frames]`` for mono) at ``sample_rate``.
WAV and FLAC go through soundfile (24-bit PCM; WAV also as 32-bit float, see
:data:`WAV_FORMATS`); MP3 and OGG through pedalboard's encoders (LAME VBR V2 and Vorbis
~128 kbps). :data:`READ_SUFFIXES` is the one list of the audio file endings the commands take
as input, every one of them decoded by :func:`decode_audio`.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any, Final

import numpy as np

from music.errors import StorageError
from music.files import atomic_path, write_text_atomic
from render.errors import RenderError

#: File endings :func:`write_audio` writes.
WRITE_SUFFIXES: Final = (".wav", ".flac", ".mp3", ".ogg")


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


#: WAV sample formats: ``pcm24`` (24-bit integer PCM, a plain ``WAVE_FORMAT_PCM`` header) and
#: ``float32`` (32-bit float in a ``WAVE_FORMAT_EXTENSIBLE`` header with its ``fact`` chunk, so
#: sox and DAWs read it without complaint; the values may exceed full scale).
WAV_FORMATS: Final = {"pcm24": ("WAV", "PCM_24"), "float32": ("WAVEX", "FLOAT")}


def _checked(path: Path, audio: np.ndarray) -> np.ndarray:
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] not in (1, 2):
        raise ValueError(f"audio: shape {np.shape(audio)} -- [frames] or [frames, 1 or 2]")
    if not np.all(np.isfinite(x)):
        raise RenderError(f"{path}: audio contains NaN or infinite samples", path=path)
    return x


def encode_audio(
    path: Path, audio: np.ndarray, sample_rate: int, *, suffix: str, wav_format: str = "pcm24"
) -> None:
    """Encode ``audio`` into ``path`` as ``suffix`` says (not atomic: give it a temp path)."""
    x = _checked(path, audio)
    if suffix in (".wav", ".flac"):
        import soundfile

        if wav_format not in WAV_FORMATS:
            raise ValueError(f"wav_format: {wav_format!r} -- one of {', '.join(WAV_FORMATS)}")
        container, subtype = WAV_FORMATS[wav_format] if suffix == ".wav" else ("FLAC", "PCM_24")
        soundfile.write(str(path), x, sample_rate, subtype=subtype, format=container)
    else:
        from pedalboard.io import AudioFile

        quality: str | int = "V2" if suffix == ".mp3" else 128
        with AudioFile(str(path), "w", sample_rate, x.shape[1], quality=quality) as fh:
            fh.write(np.ascontiguousarray(np.clip(x, -1.0, 1.0).T))


def audio_suffix(path: Path) -> str:
    """The lower-case suffix of an audio file this module writes; ValueError for another."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise ValueError(
            f"path: {str(path)!r} -- an audio file ending in {', '.join(WRITE_SUFFIXES)}"
        )
    return suffix


def write_audio(
    path: Path, audio: np.ndarray, sample_rate: int, *, wav_format: str = "pcm24"
) -> Path:
    """Write ``audio`` to ``path`` atomically; the suffix picks the format (.wav, .flac, .mp3,
    .ogg). WAV is 24-bit PCM, or 32-bit float with ``wav_format="float32"`` (see
    :data:`WAV_FORMATS`); FLAC is 24-bit."""
    path = Path(path)
    suffix = audio_suffix(path)
    x = _checked(path, audio)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        try:
            encode_audio(tmp, x, sample_rate, suffix=suffix, wav_format=wav_format)
        except RuntimeError as exc:
            # libsndfile and pedalboard report a refused write without its errno.
            raise StorageError(
                f"{path}: cannot write audio ({exc}) -- the disk may be full or the folder "
                "not writable; free space or choose a writable --out folder"
            ) from None
    return path


#: File endings (lower case) :func:`decode_audio` reads: WAV, FLAC, Ogg Vorbis, MP3 and AIFF,
#: which the pinned pedalboard decodes here (tests/render/test_audio_read.py decodes each).
#: Every command that takes audio files accepts these and only these.
READ_SUFFIXES: Final = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")
#: :data:`READ_SUFFIXES` in words, for the "what is allowed" of an error message.
READ_ALLOWED: Final = "WAV, FLAC, OGG, MP3 or AIFF (" + ", ".join(READ_SUFFIXES) + ")"


def is_readable_audio(path: Path) -> bool:
    """Whether ``path`` ends (in any case) in one of :data:`READ_SUFFIXES`."""
    return Path(path).suffix.lower() in READ_SUFFIXES


def decode_audio(path: Path) -> tuple[np.ndarray, int]:
    """A file ending in one of :data:`READ_SUFFIXES` (any file this module writes among them)
    decoded to ``(float32 [frames, channels], sample_rate)`` with pedalboard's decoders."""
    from pedalboard.io import AudioFile

    try:
        with AudioFile(str(path)) as fh:
            data = fh.read(fh.frames)
            sr = int(fh.samplerate)
    except (OSError, ValueError, RuntimeError) as exc:
        raise RenderError(f"{path}: unreadable audio file ({exc})", path=path) from exc
    return np.ascontiguousarray(np.asarray(data, dtype=np.float32).T), sr


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON atomically."""
    return write_text_atomic(Path(path), json.dumps(data, indent=2) + "\n")


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """``(float32 [frames, channels], sample_rate)`` of a WAV/FLAC file (soundfile)."""
    import soundfile

    try:
        data, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as exc:  # soundfile.LibsndfileError is a RuntimeError
        raise RenderError(f"{path}: unreadable audio file ({exc})", path=path) from exc
    return data, int(sr)
