"""A recording read for transcription: decoded to float32 samples by
:func:`render.audio_io.decode_audio` (a file ending in one of
:data:`render.audio_io.READ_SUFFIXES`), or one clear error naming the file when it is missing,
cannot be decoded, holds no samples or, where a part is expected, is silent."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.errors import InputError
from render.audio_io import READ_ALLOWED, decode_audio
from render.errors import RenderError

AUDIO_ALLOWED: Final = f"a recording in {READ_ALLOWED}"
#: A recording whose peak stays under this level (dBFS) is silence: nothing to transcribe.
SILENCE_DBFS: Final = -60.0


def read_recording(path: Path, *, field: str = "AUDIO") -> tuple[NDArray[np.float32], int]:
    """``(samples [frames, channels], sample_rate)`` of the recording at ``path``. Raises
    InputError naming the file and ``field`` when it is missing, undecodable or empty."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            file=path, field=field, value=str(path), allowed=f"an existing file, {AUDIO_ALLOWED}"
        )
    try:
        data, sr = decode_audio(path)
    except RenderError:
        raise InputError(
            file=path,
            field=field,
            value=path.name,
            allowed=f"{AUDIO_ALLOWED} (this file cannot be decoded as audio)",
        ) from None
    if data.shape[0] == 0:
        raise InputError(
            file=path, field=field, value=path.name, allowed=f"{AUDIO_ALLOWED} with samples"
        )
    return data, sr


def peak_dbfs(samples: NDArray[np.float32]) -> float:
    """The recording's peak level in dB relative to full scale (-inf for digital silence)."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return 20.0 * float(np.log10(peak)) if peak > 0 else float("-inf")


def refuse_silence(samples: NDArray[np.float32], path: Path, *, field: str = "AUDIO") -> None:
    """Raise InputError naming ``path`` when the recording peaks under :data:`SILENCE_DBFS`."""
    level = peak_dbfs(samples)
    if level < SILENCE_DBFS:
        raise InputError(
            file=path,
            field=field,
            value=f"silence (peak {level:.1f} dBFS)",
            allowed=f"a recording of the part, peaking above {SILENCE_DBFS:g} dBFS",
        )
