"""Audio previews of candidates: the candidate heard with the approved parts under it.

:func:`preview_song` builds that Song (the caller picks the parts underneath: a bass candidate
over the approved chords and drums of its section); :func:`render_preview` renders it with
the shared synthesizer, without RenderPlan effects, levelled to -16 LUFS within 0.5 LU (one
pass of the K filter; the gains tried where the limiter takes loudness away are read from it)
with sample peaks under -1 dBFS (true peaks are not read: that costs ~4x the rest of a preview;
the master holds -1 dBTP), the whole song and its release tail (or at most ``max_seconds``,
when given: a cut preview fades out over its last second), to OGG or MP3 (by the suffix; WAV
too) written atomically.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, MutableMapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np

from music.meter import Meter, qn_to_seconds
from music.midi_io import Song
from music.notes import Part
from render.assemble import loop_notes
from render.audio_io import ensure_writable_dir, write_audio
from render.backends import available_backends
from render.errors import RenderError
from render.limiter import gain_then_limit
from render.synth import DEFAULT_TAIL_S, shared_synthesizer


def preview_backend() -> str | None:
    """The engine previews play on: TinySoundFont when installed (it renders each note alone,
    so the same notes give the same audio whatever was rendered before), else the best
    available."""
    return "tinysoundfont" if "tinysoundfont" in available_backends() else None


PREVIEW_LUFS: Final = -16.0
PREVIEW_SUFFIXES: Final = (".ogg", ".mp3", ".wav")
_FADE_CUT_S: Final = 1.0
_FADE_END_S: Final = 0.02
#: How far (quarter notes) a candidate's last note may ring past a bar line without a new bar.
_OVERHANG_QN: Final = 0.25


def preview_song(candidate: Part, underneath: Sequence[Part], bpm: float, meter: Meter) -> Song:
    """``underneath`` then ``candidate`` as one Song as long as the candidate rounded up to
    whole bars; each part underneath loops (by its own length in whole bars) to fill it. A
    note ringing less than a sixteenth past a bar line (a drum hit played late, a held last
    note) does not add a bar of silence: it sounds in the preview's release tail."""
    names = [p.name for p in (*underneath, candidate)]
    if len(set(names)) != len(names):
        raise ValueError(
            f"parts: names {names!r} -- the candidate and each part underneath need distinct names"
        )
    length = meter.bar_qn * max(1, math.ceil((candidate.end - _OVERHANG_QN) / meter.bar_qn))
    parts = [
        Part(
            name=p.name,
            notes=tuple(loop_notes(p, phrase_qn=meter.bar_qn, length_qn=length)),
            program=p.program,
            is_drum=p.is_drum,
            meta=p.meta,
        )
        for p in underneath
    ]
    return Song(parts=(*parts, candidate), bpm=bpm, meter=meter)


def render_preview(
    song: Song,
    out: Path,
    *,
    max_seconds: float | None = None,
    soundfont: Path | str | None = None,
    backend: str | None = None,
    channels: int = 2,
    cache: MutableMapping[Hashable, np.ndarray] | None = None,
) -> Path:
    """Render ``song`` to ``out`` (.ogg, .mp3 or .wav) and return ``out``.

    ``channels``: 2 (stereo, as the SoundFont pans) or 1 (mono: about half the time, most of
    it in the encoder; the agent's many candidate previews use it). ``cache``: the audio of
    every part but the last (the candidate, see :func:`preview_song`), keyed by its notes,
    program, tempo and length; previews of many candidates over the same parts underneath
    synthesize those once (the caller owns and clears it). Same audio with or without it.

    Raises RenderError for a song with no notes, a missing or broken SoundFont or an
    unwritable folder; nothing is left under ``out`` on failure."""
    out = Path(out)
    if out.suffix.lower() not in PREVIEW_SUFFIXES:
        raise ValueError(f"out: {str(out)!r} -- a file ending in {', '.join(PREVIEW_SUFFIXES)}")
    if channels not in (1, 2):
        raise ValueError(f"channels: {channels!r} -- 1 (mono) or 2 (stereo)")
    if max_seconds is not None and not (math.isfinite(max_seconds) and max_seconds >= 1.0):
        raise ValueError(f"max_seconds: {max_seconds!r} -- None (the whole song) or >= 1 second")
    if not any(p.notes for p in song.parts):
        raise RenderError(f"{out}: the preview's song has no notes -- nothing to render", path=out)
    ensure_writable_dir(out.parent)
    synth = shared_synthesizer(soundfont, backend=backend)
    full = qn_to_seconds(song.end, song.bpm) + DEFAULT_TAIL_S
    seconds = full if max_seconds is None else min(full, max_seconds)
    cut = seconds < full
    frames = round(seconds * synth.sample_rate)
    audio = np.zeros((frames, channels), dtype=np.float32)
    for i, part in enumerate(song.parts):
        sound = (synth.soundfont, synth.backend, part.program, part.is_drum)
        key: Hashable = (*sound, part.notes, song.bpm, seconds, channels)
        cached = cache is not None and i < len(song.parts) - 1  # not the candidate (last)
        rendered = cache.get(key) if cache is not None and cached else None
        if rendered is None:
            rendered = synth.render_part(part, song.bpm, seconds=seconds, channels=channels)
            rendered = rendered.reshape(frames, channels)
            if cache is not None and cached:
                cache[key] = rendered
        audio += rendered
    fade = round((_FADE_CUT_S if cut else _FADE_END_S) * synth.sample_rate)
    fade = min(fade, audio.shape[0])
    if fade:
        audio[audio.shape[0] - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    mastered = gain_then_limit(audio, synth.sample_rate, target_lufs=PREVIEW_LUFS)
    return write_audio(out, mastered, synth.sample_rate)
