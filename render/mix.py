"""Apply a RenderPlan to stems with pedalboard, gain-stage and sum them, and master the sum.

Per part (stems float32 ``[frames, 2]`` at one sample rate), window by window with the
plugins' state carried across windows (``reset=False``), so tails and modulation run on:

1. gain staging: the stem's RMS over its sounding frames is brought to ``STEM_REF_DB`` plus the
   part's balance (``PART_BALANCE_DB``); a silent stem stays silent;
2. drums only, when a sample kit track is given: blended over the GM drums by sampleInfluence;
3. inserts: Chorus (depth and mix from ``chorus``; rate 0.4..3.4 Hz and feedback from
   ``weirdness``, so a weird window wobbles) -> Distortion (drive 0..30 dB from ``sat``) ->
   Compressor (threshold -10..-30 dB, ratio 1..7 from ``comp``); a plugin the plan never uses
   for the part is left out. The result is brought back to the stem's staged RMS, so effects
   change colour, not balance;
4. a reverb send (``reverbSend``, ramped 20 ms at window edges) into one shared Reverb (room
   size from the plan's ``room``) returned at ``REVERB_RETURN_DB``.

The bus then gets the color tilt (a 2.5 kHz high shelf of ``9 dB * tone * styleInfluence``),
is cut to the arrangement's length with a 20 ms fade, and mastered (render.limiter): loudness
to the target (default -14 LUFS) under a true-peak ceiling (default -1 dBTP).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pedalboard

from render.errors import RenderError
from render.limiter import InputMeasures, MasterStats, measure_input, normalize
from render.loudness import db_to_gain
from render.renderplan import RenderPlan, WindowPlan

logger = logging.getLogger(__name__)

STEM_REF_DB: Final = -20.0
PART_BALANCE_DB: Final[Mapping[str, float]] = {
    "drums": 0.0,
    "bass": -1.0,
    "chords": -4.0,
    "melody": -1.5,
}
OTHER_BALANCE_DB: Final = -3.0
REVERB_RETURN_DB: Final = -3.0
RAMP_S: Final = 0.020
FADE_OUT_S: Final = 0.020
_ACTIVE_DB: Final = -50.0
_RMS_BLOCK: Final = 2048
#: Frames per chunk where a per-frame curve meets the audio (no song-long float64 buffers).
_CHUNK: Final = 1 << 18


def active_rms_db(audio: np.ndarray) -> float:
    """RMS (dBFS) over the 2048-frame blocks louder than -50 dBFS; -inf when none are."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    n = (x.shape[0] // _RMS_BLOCK) * _RMS_BLOCK
    if n == 0:
        ms = np.array([float(np.mean(np.square(x, dtype=np.float64)))]) if x.size else np.zeros(1)
    else:
        blocks = x[:n].reshape(n // _RMS_BLOCK, -1)
        ms = np.einsum("ij,ij->i", blocks, blocks, dtype=np.float64) / blocks.shape[1]
    active = ms[ms > 10 ** (_ACTIVE_DB / 10)]
    return float(10 * np.log10(active.mean())) if active.size else float("-inf")


def _spans(plan: RenderPlan, frames: int, sr: int) -> list[tuple[int, int, WindowPlan]]:
    """Frame spans of the plan's windows covering ``0..frames`` (the last runs to the end)."""
    out = []
    for i, w in enumerate(plan.windows):
        a = 0 if i == 0 else min(frames, round(w.start * sr))
        b = frames if i == len(plan.windows) - 1 else min(frames, round(w.end * sr))
        if b > a:
            out.append((a, b, w))
    return out


def envelope(
    plan: RenderPlan, value: Callable[[WindowPlan], float], frames: int, sr: int
) -> np.ndarray:
    """Per-frame curve of a per-window value, ramped over :data:`RAMP_S` at window edges."""
    return _Curve.of(plan, value, frames, sr)(0, frames)


@dataclass(frozen=True, slots=True)
class _Curve:
    """An :func:`envelope` read a span of frames at a time (the same values, without a
    float64 curve as long as the song)."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    @classmethod
    def of(
        cls, plan: RenderPlan, value: Callable[[WindowPlan], float], frames: int, sr: int
    ) -> _Curve:
        spans = _spans(plan, frames, sr)
        if not spans:
            return cls((0.0, float(max(frames, 1))), (0.0, 0.0))
        half = RAMP_S * sr / 2
        xs: list[float] = [0.0]
        ys: list[float] = [value(spans[0][2])]
        for (_, _, prev), (a, _, cur) in itertools.pairwise(spans):
            xs += [a - half, a + half]
            ys += [value(prev), value(cur)]
        xs.append(float(frames))
        ys.append(value(spans[-1][2]))
        return cls(tuple(xs), tuple(ys))

    def __call__(self, a: int, b: int) -> np.ndarray:
        """The curve at frames ``a:b`` (float64)."""
        return np.interp(np.arange(a, b), self.xs, self.ys)


def _chunks(frames: int) -> range:
    return range(0, frames, _CHUNK)


@dataclass(slots=True)
class _Inserts:
    """A part's insert chain; a plugin the plan never uses for the part is None (left out)."""

    chorus: pedalboard.Chorus | None
    dist: pedalboard.Distortion | None
    comp: pedalboard.Compressor | None

    @classmethod
    def for_part(cls, part: str, plan: RenderPlan) -> _Inserts:
        settings = [w.fx_for(part) for w in plan.windows]
        return cls(
            chorus=pedalboard.Chorus(centre_delay_ms=7.0)
            if any(f.chorus > 0 for f in settings)
            else None,
            dist=pedalboard.Distortion() if any(f.sat > 0 for f in settings) else None,
            comp=pedalboard.Compressor(attack_ms=5.0, release_ms=150.0)
            if any(f.comp > 0 for f in settings)
            else None,
        )

    def board(self) -> pedalboard.Pedalboard | None:
        chain: tuple[pedalboard.Plugin | None, ...] = (self.chorus, self.dist, self.comp)
        plugins = [p for p in chain if p is not None]
        return pedalboard.Pedalboard(plugins) if plugins else None

    def set(self, part: str, w: WindowPlan) -> None:
        fx = w.fx_for(part)
        if self.chorus is not None:
            self.chorus.rate_hz = 0.4 + 3.0 * w.weirdness
            self.chorus.depth = 0.15 + 0.35 * fx.chorus
            self.chorus.feedback = 0.1 + 0.3 * w.weirdness
            self.chorus.mix = 0.6 * fx.chorus
        if self.dist is not None:
            self.dist.drive_db = 30.0 * fx.sat
        if self.comp is not None:
            self.comp.threshold_db = -10.0 - 20.0 * fx.comp
            self.comp.ratio = 1.0 + 6.0 * fx.comp


def process_stem(
    part: str,
    audio: np.ndarray,
    sample_rate: int,
    plan: RenderPlan,
    *,
    kit_track: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(processed, reverb_send)`` of one stem, both float32 ``[frames, 2]``."""
    x = np.asarray(audio, dtype=np.float32)
    frames = x.shape[0]
    level = active_rms_db(x)
    if not np.isfinite(level):
        silent = np.zeros((frames, 2), dtype=np.float32)
        return silent, silent
    target = STEM_REF_DB + PART_BALANCE_DB.get(part, OTHER_BALANCE_DB)
    x = x * db_to_gain(target - level)
    if kit_track is not None:
        kit_level = active_rms_db(kit_track)
        if np.isfinite(kit_level):
            kit = kit_track[:frames] * db_to_gain(target - kit_level)
            share = _Curve.of(plan, lambda w: w.sample_influence, frames, sample_rate)
            blend = np.empty((frames, x.shape[1]), dtype=np.float32)
            for a in _chunks(frames):
                b = min(frames, a + _CHUNK)
                s = share(a, b)[:, None]
                blend[a:b] = (1.0 - s) * x[a:b] + s * kit[a:b]
            x = blend
    inserts = _Inserts.for_part(part, plan)
    board = inserts.board()
    if board is not None:
        out = np.empty((frames, 2), dtype=np.float32)
        for i, (a, b, w) in enumerate(_spans(plan, frames, sample_rate)):
            inserts.set(part, w)
            chunk = np.ascontiguousarray(x[a:b].T)
            out[a:b] = board.process(chunk, sample_rate, reset=i == 0).T
    else:
        out = np.ascontiguousarray(x, dtype=np.float32)
    processed_level = active_rms_db(out)
    if np.isfinite(processed_level):
        out *= db_to_gain(target - processed_level)
    send = _Curve.of(plan, lambda w: w.fx_for(part).reverb_send, frames, sample_rate)
    sent = np.empty_like(out)
    for a in _chunks(frames):
        b = min(frames, a + _CHUNK)
        sent[a:b] = out[a:b] * send(a, b)[:, None]
    return out, sent


def _tilt(bus: np.ndarray, sample_rate: int, plan: RenderPlan) -> np.ndarray:
    shelf = pedalboard.HighShelfFilter(cutoff_frequency_hz=2500.0, q=0.707)
    out = np.empty_like(bus)
    for i, (a, b, w) in enumerate(_spans(plan, bus.shape[0], sample_rate)):
        shelf.gain_db = 9.0 * plan.tone * w.style_influence
        out[a:b] = shelf.process(np.ascontiguousarray(bus[a:b].T), sample_rate, reset=i == 0).T
    return out


def mix_stems(
    stems: Mapping[str, np.ndarray],
    sample_rate: int,
    plan: RenderPlan,
    *,
    kit_track: np.ndarray | None = None,
) -> np.ndarray:
    """The plan applied to every stem, summed with the shared reverb and the color tilt:
    float32 ``[frames, 2]`` as long as the longest stem (not normalised)."""
    if not stems:
        raise RenderError("stems: none -- nothing to mix")
    frames = max(a.shape[0] for a in stems.values())
    bus = np.zeros((frames, 2), dtype=np.float32)
    sends = np.zeros((frames, 2), dtype=np.float32)
    for part, audio in stems.items():
        stereo = audio if audio.ndim == 2 else np.repeat(audio[:, None], 2, axis=1)
        wet, send = process_stem(
            part, stereo, sample_rate, plan, kit_track=kit_track if part == "drums" else None
        )
        bus[: wet.shape[0]] += wet
        sends[: send.shape[0]] += send
    reverb = pedalboard.Reverb(
        room_size=plan.room, damping=0.5, wet_level=1.0, dry_level=0.0, width=1.0
    )
    bus += reverb.process(np.ascontiguousarray(sends.T), sample_rate).T * db_to_gain(
        REVERB_RETURN_DB
    )
    return _tilt(bus, sample_rate, plan)


def master(
    bus: np.ndarray,
    sample_rate: int,
    *,
    seconds: float,
    target_lufs: float = -14.0,
    ceiling_dbtp: float = -1.0,
) -> tuple[np.ndarray, MasterStats]:
    """``bus`` cut (or padded) to exactly ``seconds``, faded over the last 20 ms, brought to
    ``target_lufs`` under ``ceiling_dbtp`` (render.limiter)."""
    return Mastering(bus, sample_rate, seconds=seconds).at(target_lufs, ceiling_dbtp)


class Mastering:
    """:func:`master` of one bus, for any target and ceiling: the bus is cut, faded and
    measured (loudness, true-peak envelope) once, however many ceilings are tried."""

    def __init__(self, bus: np.ndarray, sample_rate: int, *, seconds: float) -> None:
        frames = round(seconds * sample_rate)
        x = np.zeros((frames, bus.shape[1]), dtype=np.float32)
        n = min(frames, bus.shape[0])
        x[:n] = bus[:n]
        fade = min(frames, round(FADE_OUT_S * sample_rate))
        if fade:
            x[frames - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
        self._audio = x
        self._sample_rate = sample_rate
        self._measures: InputMeasures | None = None

    def at(self, target_lufs: float, ceiling_dbtp: float) -> tuple[np.ndarray, MasterStats]:
        """The master at ``target_lufs`` under ``ceiling_dbtp``."""
        if self._measures is None:
            self._measures = measure_input(self._audio, self._sample_rate)
        return normalize(
            self._audio,
            self._sample_rate,
            target_lufs=target_lufs,
            ceiling_dbtp=ceiling_dbtp,
            measures=self._measures,
        )
