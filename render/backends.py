"""SoundFont synthesizer engines behind one small interface.

* ``fluidsynth``: FluidSynth 2 through pyfluidsynth (needs Debian's ``libfluidsynth3``). The
  reference SoundFont 2 implementation (modulators, filters, 4th-order interpolation). Audio is
  pulled as float32 with ``fluid_synth_write_float`` straight into a numpy buffer.
* ``tinysoundfont``: TinySoundFont through the ``tinysoundfont`` wheel; pip-only, no system
  library, so audio works without the Debian packages.

Both run with their own reverb and chorus off: effects come from the RenderPlan (render.mix).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import importlib.util
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from render.errors import RenderError, SoundFontError

logger = logging.getLogger(__name__)

BACKENDS: Final = ("fluidsynth", "tinysoundfont")

DRUM_BANK: Final = 128
_FLUID_GAIN: Final = 0.5  # linear; a 4-note chord peaks near 0.2
_TSF_GAIN_DB: Final = -6.0  # TinySoundFont applies less attenuation than FluidSynth
_CHUNK: Final = 65536  # frames per write call
_FLUID_BLOCK: Final = 64  # FluidSynth renders in blocks of this many frames; events land on them
#: Frames TinySoundFont renders after all-sounds-off, beyond its quick release (~5 ms).
_TSF_SETTLE_FRAMES: Final = 2048


class Engine(Protocol):
    """One loaded SoundFont on one synthesizer; stereo float32 output."""

    name: str

    def select(self, channel: int, program: int, *, is_drum: bool) -> None: ...

    def note_on(self, channel: int, pitch: int, velocity: int) -> None: ...

    def note_off(self, channel: int, pitch: int) -> None: ...

    def reset(self) -> None: ...

    def render_into(self, out: np.ndarray) -> None:
        """Fill ``out`` ([frames, 2] float32, C-contiguous) with the next frames."""
        ...

    def close(self) -> None: ...


def _fluidsynth_module() -> Any | None:
    """pyfluidsynth, or None when it or libfluidsynth is missing (it raises on import)."""
    if importlib.util.find_spec("fluidsynth") is None:
        return None
    try:
        # pyfluidsynth prints where it found the library when CI is set; stdout is
        # ours (``chromatic play --path`` prints only the path).
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module("fluidsynth")
    except (ImportError, OSError) as exc:
        logger.debug("pyfluidsynth unusable: %s", exc)
        return None


def available_backends() -> tuple[str, ...]:
    """The engines that can run here, best first."""
    out = []
    if _fluidsynth_module() is not None:
        out.append("fluidsynth")
    if importlib.util.find_spec("tinysoundfont") is not None:
        out.append("tinysoundfont")
    return tuple(out)


class FluidSynthEngine:
    name = "fluidsynth"

    def __init__(self, soundfont: Path, sample_rate: int) -> None:
        fs = _fluidsynth_module()
        if fs is None:
            raise RenderError(
                "the fluidsynth backend needs pyfluidsynth and libfluidsynth3 (Debian "
                "packages fluidsynth libfluidsynth3) -- install them or use backend "
                "'tinysoundfont'"
            )
        self._fs = fs
        self._synth = fs.Synth(gain=_FLUID_GAIN, samplerate=float(sample_rate))
        self._synth.setting("synth.reverb.active", 0)
        self._synth.setting("synth.chorus.active", 0)
        self._write: Callable[..., int] = fs.cfunc(
            "fluid_synth_write_float",
            ctypes.c_int,
            ("synth", ctypes.c_void_p, 1),
            ("len", ctypes.c_int, 1),
            ("lout", ctypes.c_void_p, 1),
            ("loff", ctypes.c_int, 1),
            ("lincr", ctypes.c_int, 1),
            ("rout", ctypes.c_void_p, 1),
            ("roff", ctypes.c_int, 1),
            ("rincr", ctypes.c_int, 1),
        )
        self._rendered = 0
        self._sfid = self._synth.sfload(str(soundfont))
        if self._sfid < 0:
            self._synth.delete()
            raise SoundFontError(
                f"{soundfont}: FluidSynth could not load this SoundFont (truncated or corrupt) "
                "-- give a complete General MIDI .sf2 file",
                path=soundfont,
            )

    def select(self, channel: int, program: int, *, is_drum: bool) -> None:
        bank = DRUM_BANK if is_drum else 0
        if self._synth.program_select(channel, self._sfid, bank, program) < 0:
            logger.warning("no preset bank %d program %d; using program 0", bank, program)
            self._synth.program_select(channel, self._sfid, bank, 0)

    def note_on(self, channel: int, pitch: int, velocity: int) -> None:
        self._synth.noteon(channel, pitch, velocity)

    def note_off(self, channel: int, pitch: int) -> None:
        self._synth.noteoff(channel, pitch)

    def reset(self) -> None:
        """Silence everything and realign to FluidSynth's 64-frame block, so the same part
        renders to the same samples whatever was rendered before (libfluidsynth 2.3 keeps a
        little of a voice's filter state from its last note, so on some presets a part differs
        slightly after others; renders keep their parts in a fixed order)."""
        self._synth.system_reset()
        pad = -self._rendered % _FLUID_BLOCK
        if pad:
            self.render_into(np.zeros((pad, 2), dtype=np.float32))

    def render_into(self, out: np.ndarray) -> None:
        frames = out.shape[0]
        for start in range(0, frames, _CHUNK):
            n = min(_CHUNK, frames - start)
            ptr = out[start:].ctypes.data
            self._write(self._synth.synth, n, ptr, 0, 2, ptr, 1, 2)
        self._rendered += frames

    def close(self) -> None:
        self._synth.delete()


class TinySoundFontEngine:
    name = "tinysoundfont"

    def __init__(self, soundfont: Path, sample_rate: int) -> None:
        try:
            tsf = importlib.import_module("tinysoundfont")
        except ImportError as exc:
            raise RenderError(
                "the tinysoundfont backend needs the tinysoundfont wheel "
                "(pip install --no-deps tinysoundfont==0.3.7)"
            ) from exc
        self._synth = tsf.Synth(gain=_TSF_GAIN_DB, samplerate=sample_rate)
        try:
            self._sfid = self._synth.sfload(str(soundfont))
        except RuntimeError as exc:
            raise SoundFontError(
                f"{soundfont}: TinySoundFont could not load this SoundFont ({exc}) -- give a "
                "complete General MIDI .sf2 file",
                path=soundfont,
            ) from exc

    def select(self, channel: int, program: int, *, is_drum: bool) -> None:
        bank = DRUM_BANK if is_drum else 0
        self._synth.program_select(channel, self._sfid, bank, program, is_drums=is_drum)

    def note_on(self, channel: int, pitch: int, velocity: int) -> None:
        self._synth.noteon(channel, pitch, velocity)

    def note_off(self, channel: int, pitch: int) -> None:
        self._synth.noteoff(channel, pitch)

    def reset(self) -> None:
        """Silence everything, so the same part renders to the same samples whatever was
        rendered before. TinySoundFont's all-sounds-off is a quick release, not a cut: the
        voices of the last part still sound for a few milliseconds, so that tail is rendered
        away here instead of into the next part."""
        self._synth.sounds_off()
        self.render_into(np.zeros((_TSF_SETTLE_FRAMES, 2), dtype=np.float32))

    def render_into(self, out: np.ndarray) -> None:
        view = memoryview(out.data).cast("B")
        bytes_per_frame = 2 * out.itemsize
        frames = out.shape[0]
        for start in range(0, frames, _CHUNK):
            stop = min(frames, start + _CHUNK)
            self._synth.generate_simple(
                stop - start, buffer=view[start * bytes_per_frame : stop * bytes_per_frame]
            )

    def close(self) -> None:
        self._synth.sfunload(self._sfid)


def open_engine(soundfont: Path, *, backend: str | None, sample_rate: int) -> Engine:
    """Load ``soundfont`` on ``backend`` (None: the best available one).

    Raises RenderError when no engine is installed or the named one is unknown."""
    if backend is None:
        found = available_backends()
        if not found:
            raise RenderError(
                "no SoundFont synthesizer is installed -- install Debian's fluidsynth "
                "libfluidsynth3 (with pyfluidsynth) or pip install --no-deps tinysoundfont==0.3.7"
            )
        backend = found[0]
    if backend == "fluidsynth":
        return FluidSynthEngine(soundfont, sample_rate)
    if backend == "tinysoundfont":
        return TinySoundFontEngine(soundfont, sample_rate)
    raise ValueError(f"backend: {backend!r} -- one of {', '.join(BACKENDS)}, or None for the best")
