"""Stems: one WAV per part (``stems/<part>.wav``), 32-bit float stereo at 44.1 kHz.

Every stem of a song has the same length (the arrangement plus a release tail), so they line
up in any DAW from 0. A part with no notes gives a stem of digital silence. Each file is
written to a temp file and renamed; the folder is checked for writing before any synthesis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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
    on_stem: Callable[[str], None] | None = None,
) -> Stems:
    """Render every part of ``song`` for ``seconds + tail_s`` and write ``stems_dir/<part>.wav``,
    calling ``on_stem(part name)`` as each stem is written.

    Raises RenderError for a song without parts or an unwritable folder (before rendering)."""
    if not song.parts:
        raise RenderError("song: no parts -- nothing to render")
    names = [p.name for p in song.parts]
    if len(set(names)) != len(names):
        raise ValueError(f"song.parts: names {names!r} -- each part needs a unique name")
    paths = {p.name: stem_path(stems_dir, p.name) for p in song.parts}
    ensure_writable_dir(stems_dir)
    audio: dict[str, np.ndarray] = {}
    for part in song.parts:
        audio[part.name] = synth.render_part(part, song.bpm, seconds=seconds + tail_s)
        write_audio(paths[part.name], audio[part.name], synth.sample_rate, float_wav=True)
        logger.debug("wrote %s", paths[part.name])
        if on_stem is not None:
            on_stem(part.name)
    return Stems(audio=audio, paths=paths, sample_rate=synth.sample_rate, seconds=seconds + tail_s)
