"""Stems: one WAV per part (``stems/<part>.wav``), 32-bit float stereo at 44.1 kHz.

Every stem of a song has the same length (the arrangement plus a release tail), so they line
up in any DAW from 0. A part with no notes gives a stem of digital silence. Each file is
written to a temp file and renamed; the folder is checked for writing before any synthesis.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from music.midi_io import Song
from render.audio_io import ensure_writable_dir, write_audio
from render.errors import RenderError
from render.synth import DEFAULT_TAIL_S, Synthesizer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Stems:
    """Rendered stems (part name -> float32 ``[frames, 2]``) and where they were written."""

    audio: Mapping[str, np.ndarray]
    paths: Mapping[str, Path]
    sample_rate: int
    seconds: float


def stem_path(stems_dir: Path, part: str) -> Path:
    """``stems_dir/<part>.wav``; the part name must be a plain file name."""
    if not part or "/" in part or "\\" in part or part.startswith("."):
        raise ValueError(f"part name: {part!r} -- a plain name such as 'drums' (it names a file)")
    return stems_dir / f"{part}.wav"


def render_stems(
    song: Song,
    stems_dir: Path,
    synth: Synthesizer,
    *,
    seconds: float,
    tail_s: float = DEFAULT_TAIL_S,
) -> Stems:
    """Render every part of ``song`` for ``seconds + tail_s`` and write ``stems_dir/<part>.wav``.

    Raises RenderError for a song without parts or an unwritable folder (before rendering)."""
    if not song.parts:
        raise RenderError("song: no parts -- nothing to render")
    paths = {p.name: stem_path(stems_dir, p.name) for p in song.parts}
    ensure_writable_dir(stems_dir)
    audio = synth.render_stems(song, seconds=seconds + tail_s)
    for name, data in audio.items():
        write_audio(paths[name], data, synth.sample_rate, float_wav=True)
        logger.debug("wrote %s", paths[name])
    return Stems(audio=audio, paths=paths, sample_rate=synth.sample_rate, seconds=seconds + tail_s)
