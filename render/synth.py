"""Synthesize parts and songs to audio with a General MIDI SoundFont.

Output is float32 at 44.1 kHz, shaped ``[frames, channels]`` (stereo by default, as the
SoundFont pans it), frame 0 at quarter note 0. Drums play on MIDI channel 10 (index 9) from
the SoundFont's drum bank (128), kit 0. Which SoundFont: see :mod:`render.soundfont`; which
engine: see :mod:`render.backends`.

Measured on the 2-core machine (30 s parts, 4 parts; see the render issue's report): FluidSynth
+ FluidR3 262-1834x real time per part (sf load 0.24 s); TinySoundFont + FluidR3 606-3679x;
pretty_midi.fluidsynth + TimGM6mb 174-389x (it reloads the SoundFont on every call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from music.meter import qn_to_seconds
from music.midi_io import Song
from music.notes import DRUM_CHANNEL, Part
from render.backends import Engine, open_engine
from render.errors import RenderError
from render.soundfont import resolve_soundfont

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = 44100
#: Seconds rendered after the last note-off when no length is given (release tails).
DEFAULT_TAIL_S: Final = 1.5
_MELODIC_CHANNEL: Final = 0


@dataclass(frozen=True, slots=True)
class _Event:
    frame: int
    on: bool
    pitch: int
    velocity: int


def _events(part: Part, bpm: float, sample_rate: int) -> list[_Event]:
    """Note-ons and -offs in frames, offs first at the same frame (a repeated pitch restarts)."""
    out: list[_Event] = []
    for n in part.notes:
        start = round(qn_to_seconds(n.start, bpm) * sample_rate)
        end = max(start + 1, round(qn_to_seconds(n.end, bpm) * sample_rate))
        out.append(_Event(start, True, n.pitch, n.velocity))
        out.append(_Event(end, False, n.pitch, 0))
    out.sort(key=lambda e: (e.frame, e.on, e.pitch))
    return out


def part_seconds(part: Part, bpm: float, tail_s: float = DEFAULT_TAIL_S) -> float:
    """Seconds from 0 to the last note-off of ``part`` plus ``tail_s``."""
    return qn_to_seconds(part.end, bpm) + tail_s


class Synthesizer:
    """One SoundFont loaded on one engine; renders parts one at a time (not thread-safe).

    Use as a context manager, or call :meth:`close`. Loading FluidR3 takes ~0.25 s, so keep
    one open for many renders (:func:`shared_synthesizer` caches one per process)."""

    def __init__(
        self,
        soundfont: Path | str | None = None,
        *,
        backend: str | None = None,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        if not 8000 <= sample_rate <= 192000:
            raise ValueError(f"sample_rate: {sample_rate!r} -- 8000..192000 Hz")
        self.soundfont = resolve_soundfont(soundfont)
        self.sample_rate = sample_rate
        self._engine: Engine = open_engine(self.soundfont, backend=backend, sample_rate=sample_rate)
        self.backend = self._engine.name
        logger.debug("loaded %s on %s", self.soundfont, self.backend)

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.close()

    def render_part(
        self,
        part: Part,
        bpm: float,
        *,
        seconds: float | None = None,
        channels: int = 2,
    ) -> np.ndarray:
        """``part`` at ``bpm`` (quarter notes per minute) as float32 ``[frames, channels]``.

        ``seconds``: exact length (notes after it are cut); None: last note-off plus
        :data:`DEFAULT_TAIL_S`. A part with no notes gives silence of that length."""
        if channels not in (1, 2):
            raise ValueError(f"channels: {channels!r} -- 1 (mono) or 2 (stereo)")
        length = part_seconds(part, bpm) if seconds is None else seconds
        if not (np.isfinite(length) and length >= 0):
            raise ValueError(f"seconds: {seconds!r} -- a finite length >= 0")
        frames = round(length * self.sample_rate)
        out = np.zeros((frames, 2), dtype=np.float32)
        if part.notes and frames:
            self._play(part, bpm, out)
        if channels == 2:
            return out
        # Mono: the float32 mean of the two channels exactly as ``out.mean(axis=1)`` gives it
        # (its sum starts from +0.0, so two negative zeros make +0.0), without numpy's
        # reduction over a length-2 axis per frame.
        mono: np.ndarray = (out[:, 0] + (out[:, 1] + np.float32(0.0))) / np.float32(2.0)
        return mono

    def _play(self, part: Part, bpm: float, out: np.ndarray) -> None:
        engine = self._engine
        channel = DRUM_CHANNEL if part.is_drum else _MELODIC_CHANNEL
        engine.reset()
        engine.select(channel, part.program, is_drum=part.is_drum)
        frames = out.shape[0]
        pos = 0
        for ev in _events(part, bpm, self.sample_rate):
            if ev.frame >= frames:
                break
            if ev.frame > pos:
                engine.render_into(out[pos : ev.frame])
                pos = ev.frame
            if ev.on:
                engine.note_on(channel, ev.pitch, ev.velocity)
            else:
                engine.note_off(channel, ev.pitch)
        if pos < frames:
            engine.render_into(out[pos:])
        engine.reset()

    def render_stems(
        self, song: Song, *, seconds: float | None = None, channels: int = 2
    ) -> dict[str, np.ndarray]:
        """Every part of ``song`` rendered alone, all the same length (``seconds``, or the
        song's last note-off plus the tail), keyed by part name in song order."""
        names = [p.name for p in song.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"song.parts: names {names!r} -- each part needs a unique name")
        length = seconds
        if length is None:
            length = max((part_seconds(p, song.bpm) for p in song.parts), default=0.0)
        return {
            p.name: self.render_part(p, song.bpm, seconds=length, channels=channels)
            for p in song.parts
        }

    def render_song(
        self, song: Song, *, seconds: float | None = None, channels: int = 2
    ) -> np.ndarray:
        """All parts of ``song`` summed (no effects, no normalisation). Raises RenderError
        for a song with no notes at all."""
        if not any(p.notes for p in song.parts):
            raise RenderError("song: no part has any notes -- there is nothing to render")
        stems = self.render_stems(song, seconds=seconds, channels=channels)
        total: np.ndarray = np.stack(list(stems.values())).sum(axis=0, dtype=np.float32)
        return total


#: The per-process synthesizers of :func:`shared_synthesizer`, oldest first (at most two).
_SHARED: dict[tuple[Path, str | None, int], Synthesizer] = {}
_SHARED_MAX: Final = 2


def _cached(soundfont: Path, backend: str | None, sample_rate: int) -> Synthesizer:
    key = (soundfont, backend, sample_rate)
    synth = _SHARED.pop(key, None)
    if synth is None:
        synth = Synthesizer(soundfont, backend=backend, sample_rate=sample_rate)
        while len(_SHARED) >= _SHARED_MAX:
            del _SHARED[next(iter(_SHARED))]
    _SHARED[key] = synth  # now the most recently used
    return synth


def release_shared_synthesizers() -> None:
    """Close and forget the synthesizers :func:`shared_synthesizer` keeps (its next call loads
    anew). A whole-song render calls it first: the previews' TinySoundFont holds FluidR3's
    samples as floats, about 300 MB the render can use."""
    while _SHARED:
        _SHARED.popitem()[1].close()


def shared_synthesizer(
    soundfont: Path | str | None = None,
    *,
    backend: str | None = None,
    sample_rate: int = SAMPLE_RATE,
) -> Synthesizer:
    """A per-process cached :class:`Synthesizer` (previews render many short songs; the
    SoundFont is loaded once). The path is resolved and checked on every call."""
    return _cached(resolve_soundfont(soundfont), backend, sample_rate)


def synthesize(
    item: Part | Song,
    *,
    bpm: float | None = None,
    soundfont: Path | str | None = None,
    backend: str | None = None,
    seconds: float | None = None,
    channels: int = 2,
) -> np.ndarray:
    """A part (``bpm`` required) or a whole song as float32 ``[frames, channels]`` at 44.1 kHz
    (``[frames]`` when ``channels`` is 1), with the shared synthesizer."""
    synth = shared_synthesizer(soundfont, backend=backend)
    if isinstance(item, Song):
        return synth.render_song(item, seconds=seconds, channels=channels)
    if bpm is None:
        raise ValueError("bpm: None -- a tempo in quarter notes per minute is needed for a Part")
    return synth.render_part(item, bpm, seconds=seconds, channels=channels)
