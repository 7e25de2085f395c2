"""The master as MP3 with its true-peak ceiling held on the decoded file.

An MP3 encoder drops the top of the spectrum and smears transients, so the decoded file's
true peak sits above the WAV's (0.2-0.4 dB on our renders). :func:`write_mp3_master` encodes
into a temp file, decodes it, reads its true peak (4x oversampled, render.loudness) and, while
it is above ``ceiling_dbtp - MP3_MARGIN_DB``, masters again with the limiter's ceiling lowered
by the excess (so the loudness holds) and re-encodes; only a file that passed is renamed onto
the final name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from music.files import atomic_path
from render.audio_io import decode_audio, encode_audio
from render.loudness import db_to_gain, integrated_loudness, true_peak_db

logger = logging.getLogger(__name__)

#: The decoded MP3's true peak must stay this far below the ceiling (dB), for the spread
#: between MP3 decoders.
MP3_MARGIN_DB: Final = 0.2
#: Encodes tried; the last ones trim the gain instead of re-mastering.
MAX_ATTEMPTS: Final = 5
_REMASTER_ATTEMPTS: Final = 3
_STEP_EXTRA_DB: Final = 0.05


@dataclass(frozen=True, slots=True)
class Mp3Stats:
    """The written MP3 as decoded: true peak (dBTP), loudness (LUFS), encodes it took, and
    the limiter ceiling (dBTP) of the audio that went into it."""

    true_peak_dbtp: float
    integrated_lufs: float
    attempts: int
    ceiling_dbtp: float


def write_mp3_master(
    path: Path,
    mastered: np.ndarray,
    sample_rate: int,
    *,
    ceiling_dbtp: float,
    remaster: Callable[[float], np.ndarray],
) -> Mp3Stats:
    """Write ``mastered`` (float32 ``[frames, channels]``, limited to ``ceiling_dbtp``) as an
    MP3 at ``path`` whose decoded true peak is at most ``ceiling_dbtp - MP3_MARGIN_DB``.

    ``remaster(ceiling)``: the same master made with the limiter at ``ceiling`` dBTP. If the
    ceiling still is not held after :data:`MAX_ATTEMPTS` encodes, the last file is kept and a
    warning logged (the stats say what it measures)."""
    path = Path(path)
    limit = ceiling_dbtp - MP3_MARGIN_DB
    audio, ceiling, trim_db = mastered, ceiling_dbtp, 0.0
    with atomic_path(path) as tmp:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            encode_audio(tmp, audio * db_to_gain(trim_db), sample_rate, suffix=".mp3")
            decoded, sr = decode_audio(tmp)
            peak = true_peak_db(decoded)
            if peak <= limit or attempt == MAX_ATTEMPTS:
                break
            excess = peak - limit + _STEP_EXTRA_DB
            logger.info("mp3: decoded true peak %.2f dBTP; encoding %.2f dB lower", peak, excess)
            if attempt < _REMASTER_ATTEMPTS:
                ceiling -= excess
                audio = remaster(ceiling)
            else:
                trim_db -= excess
    if peak > limit:
        logger.warning("%s: decoded true peak %.2f dBTP, above %.2f dBTP", path, peak, limit)
    return Mp3Stats(
        true_peak_dbtp=peak,
        integrated_lufs=integrated_loudness(decoded, sr),
        attempts=attempt,
        ceiling_dbtp=ceiling + trim_db,
    )
