"""A sample drum kit: one-shot samples placed at exact note times (seed 001, step 7).

``kit`` maps a GM drum note (36 kick, 38 snare, 42 closed hat, ...) to a one-shot sample,
float32 ``[frames]`` or ``[frames, channels]`` at the render's sample rate. Each note of the
drum part starts its sample at the note's frame, scaled by velocity / 127; notes whose pitch
the kit lacks are left to the GM drums. The drum-kit issue builds kits from audio; the mix
blends this track over the GM drums by the plan's sampleInfluence (render.mix).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from music.meter import qn_to_seconds
from music.notes import Part


def render_hits(
    part: Part,
    bpm: float,
    kit: Mapping[int, np.ndarray],
    sample_rate: int,
    *,
    seconds: float,
) -> np.ndarray:
    """The drum ``part`` played on ``kit``: float32 ``[frames, 2]``, ``seconds`` long."""
    frames = round(seconds * sample_rate)
    out = np.zeros((frames, 2), dtype=np.float32)
    stereo = {}
    for pitch, sample in kit.items():
        s = np.asarray(sample, dtype=np.float32)
        if s.ndim == 1:
            s = np.repeat(s[:, None], 2, axis=1)
        if s.ndim != 2 or s.shape[1] not in (1, 2) or not np.all(np.isfinite(s)):
            raise ValueError(
                f"kit[{pitch}]: shape {np.shape(sample)} -- finite [frames] or [frames, 1|2]"
            )
        stereo[int(pitch)] = s if s.shape[1] == 2 else np.repeat(s, 2, axis=1)
    for note in part.notes:
        if note.pitch not in stereo:
            continue
        sample = stereo[note.pitch]
        start = round(qn_to_seconds(note.start, bpm) * sample_rate)
        if start >= frames:
            continue
        n = min(sample.shape[0], frames - start)
        out[start : start + n] += sample[:n] * (note.velocity / 127.0)
    return out
