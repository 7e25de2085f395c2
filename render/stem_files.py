"""Stem files: the synthesizer's stems (:meth:`render.synth.Synthesizer.render_stems`) written
as one WAV per part (``stems/<part>.wav``), stereo at the synthesizer's sample rate,
24-bit PCM (``wav_format="pcm24"``, the default) or 32-bit float (``"float32"``).

Every stem of a song has the same length (the arrangement plus a release tail), so they line
up in any DAW from 0. A part with no notes gives a stem of digital silence. Each file is
written to a temp file and renamed; the folder is checked for writing before any synthesis.
A 24-bit stem cannot hold a sample beyond full scale: when any stem peaks above it, every
stem file is turned down by the same gain (so their balance holds) to peak at
:data:`PCM_PEAK_DBFS`, and the gain is reported (``Stems.file_gain_db``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from music.midi_io import Song
from music.notes import Part
from render.audio_io import WAV_FORMATS, ensure_writable_dir, write_audio
from render.errors import RenderError
from render.synth import DEFAULT_TAIL_S, Synthesizer

logger = logging.getLogger(__name__)

#: Peak of the loudest 24-bit stem when the stems had to be turned down (dBFS).
PCM_PEAK_DBFS: Final = -0.1


#: Plays one part on something other than the SoundFont: ``(part, bpm, sample_rate, seconds)
#: -> float32 [frames, 2]`` (a sample kit, a DDSP timbre).
PartTrack = Callable[[Part, float, int, float], np.ndarray]


@dataclass(frozen=True, slots=True)
class Stems:
    """Rendered stems (part name -> float32 ``[frames, 2]``) and where they were written."""

    audio: Mapping[str, np.ndarray]
    paths: Mapping[str, Path]
    sample_rate: int
    seconds: float
    wav_format: str = "pcm24"
    #: Gain applied to the written files (dB; 0 unless 24-bit stems would have clipped).
    file_gain_db: float = 0.0


def pcm_headroom_gain(audio: Mapping[str, np.ndarray]) -> float:
    """The one gain (<= 1) that keeps every stem's samples within full scale, their loudest
    peak at :data:`PCM_PEAK_DBFS`; 1.0 when none exceeds full scale."""
    peak = max((float(np.abs(a).max()) for a in audio.values() if a.size), default=0.0)
    return 1.0 if peak <= 1.0 else float(10 ** (PCM_PEAK_DBFS / 20) / peak)


def stem_path(stems_dir: Path, part: str) -> Path:
    """``stems_dir/<part>.wav``; the part name must be a plain file name."""
    if not part or "/" in part or "\\" in part or part.startswith("."):
        raise ValueError(f"part name: {part!r} -- a plain name such as 'drums' (it names a file)")
    return stems_dir / f"{part}.wav"


def write_stems(
    song: Song,
    stems_dir: Path,
    synth: Synthesizer,
    *,
    seconds: float,
    tail_s: float = DEFAULT_TAIL_S,
    wav_format: str = "pcm24",
    on_stem: Callable[[str], None] | None = None,
    voices: Mapping[str, PartTrack] | None = None,
) -> Stems:
    """Render every part of ``song`` for ``seconds + tail_s`` and write ``stems_dir/<part>.wav``
    (``wav_format``: ``pcm24`` or ``float32``, see :data:`render.audio_io.WAV_FORMATS`),
    calling ``on_stem(part name)`` as each stem is written. ``voices``: part name -> what plays
    that part instead of the SoundFont (the others are synthesised as always).

    Raises RenderError for a song without parts or an unwritable folder (before rendering)."""
    if wav_format not in WAV_FORMATS:
        raise ValueError(f"wav_format: {wav_format!r} -- one of {', '.join(WAV_FORMATS)}")
    if not song.parts:
        raise RenderError("song: no parts -- nothing to render")
    names = [p.name for p in song.parts]
    if len(set(names)) != len(names):
        raise ValueError(f"song.parts: names {names!r} -- each part needs a unique name")
    paths = {p.name: stem_path(stems_dir, p.name) for p in song.parts}
    ensure_writable_dir(stems_dir)
    if voices:
        length = seconds + tail_s
        audio = {
            p.name: voices[p.name](p, song.bpm, synth.sample_rate, length)
            if p.name in voices
            else synth.render_part(p, song.bpm, seconds=length)
            for p in song.parts
        }
    else:
        audio = synth.render_stems(song, seconds=seconds + tail_s)
    gain = pcm_headroom_gain(audio) if wav_format == "pcm24" else 1.0
    if gain < 1.0:
        logger.warning("stems peak above full scale: written %.2f dB down", 20 * np.log10(gain))
    for name, data in audio.items():
        write_audio(paths[name], data * gain, synth.sample_rate, wav_format=wav_format)
        logger.debug("wrote %s", paths[name])
        if on_stem is not None:
            on_stem(name)
    return Stems(
        audio=audio,
        paths=paths,
        sample_rate=synth.sample_rate,
        seconds=seconds + tail_s,
        wav_format=wav_format,
        file_gain_db=float(20 * np.log10(gain)),
    )
