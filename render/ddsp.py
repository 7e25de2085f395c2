"""The melody stem played by a DDSP timbre: a learned decoder (an ONNX file made by
``chromatic train timbre``) turns per-frame f0 and loudness into harmonic amplitudes and
filtered-noise magnitudes, and a harmonic-plus-noise synthesizer turns those into audio.

Controls from MIDI (:func:`controls`), per frame of :data:`HOP` samples at :data:`SAMPLE_RATE`:

* f0: the sounding note's pitch (``440 * 2 ** ((pitch - 69) / 12)`` Hz), no vibrato; a note
  that follows another within :data:`LEGATO_S` glides to its pitch over :data:`GLIDE_S`
  (linear in semitones); through a rest the f0 holds the last (or, before the first note, the
  next) pitch.
* loudness (dB, the training recording's A-weighted scale): the velocity curve
  ``quiet_db + (loud_db - quiet_db) * velocity / 127`` (linear in dB; ``quiet_db``/``loud_db``
  are the 5th and 95th percentiles of the recording's voiced frames, in the sidecar), reached
  over :data:`ATTACK_S` from the silence floor and falling back to it over :data:`RELEASE_S`
  after the note-off (the envelope is linear in dB; overlapping envelopes take the louder).
  Frames no note reaches are silent.

Synthesis (:func:`harmonic_audio`, :func:`noise_audio`): amplitudes are interpolated linearly
from frame centres (``t * HOP``) to samples; harmonic ``k`` is ``a_k sin(k phi)`` with ``phi``
the running sum of ``2 pi f0 / sr``; the noise of frame ``t`` is a complex Gaussian spectrum
shaped by its band magnitudes (linear bands from 0 Hz to Nyquist, interpolated to the FFT bins),
inverse-transformed to ``2 * HOP`` samples, Hann-windowed and overlap-added centred on
``t * HOP``. ``training.timbre.synth`` is the same in torch. The result is resampled to the
stem's sample rate and put in the centre of a stereo stem.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from inference.onnx import ModelFileError, OnnxModel
from music.errors import InputError
from music.meter import qn_to_seconds
from music.notes import Note, Part

#: The model's own sample rate (Hz) and frame hop (samples): about 86 frames a second.
SAMPLE_RATE: Final = 22050
HOP: Final = 256
#: ONNX names: per-frame controls in, per-frame synthesizer parameters out.
INPUTS: Final = ("f0_hz", "loudness_db")
OUTPUTS: Final = ("harmonics", "noise")
MODEL_KIND: Final = "ddsp_timbre"

#: The shipped timbre and the name that picks it (``melody_timbre: trumpet``).
SHIPPED: Final = {"trumpet": Path(__file__).resolve().parent / "data" / "timbre_trumpet.onnx"}
TIMBRE_HELP: Final = (
    f"{' or '.join(SHIPPED)} (the shipped timbre) or an .onnx file written by "
    "`chromatic train timbre` (its .json sidecar beside it)"
)

ATTACK_S: Final = 0.03
RELEASE_S: Final = 0.08
GLIDE_S: Final = 0.025
LEGATO_S: Final = 0.05
_CHUNK: Final = 1 << 16


def hann(n: int) -> NDArray[np.float64]:
    """The periodic Hann window of ``n`` samples (two of them at hop ``n/2`` sum to 1)."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def band_matrix(n_bands: int, hop: int = HOP) -> NDArray[np.float64]:
    """``[n_bands, hop + 1]``: linear interpolation from band centres (equally spaced over the
    ``hop + 1`` FFT bins of a ``2 * hop`` frame, first at 0 Hz, last at Nyquist) to bins."""
    bins = np.arange(hop + 1, dtype=np.float64)
    centres = np.linspace(0.0, float(hop), n_bands)
    eye = np.eye(n_bands)
    return np.stack([np.interp(bins, centres, eye[i]) for i in range(n_bands)])


def frame_positions(n_samples: int, hop: int = HOP) -> NDArray[np.float64]:
    """Each sample's position in frames (sample ``i`` is at ``i / hop``)."""
    return np.arange(n_samples, dtype=np.float64) / hop


def upsample(frames: NDArray[Any], n_samples: int, hop: int = HOP) -> NDArray[np.float64]:
    """Per-frame values ``[T]`` or ``[T, C]`` interpolated linearly to ``n_samples`` samples
    (held beyond the last frame)."""
    x = frame_positions(n_samples, hop)
    grid = np.arange(frames.shape[0], dtype=np.float64)
    if frames.ndim == 1:
        return np.interp(x, grid, frames)
    i0 = np.minimum(np.floor(x).astype(np.int64), frames.shape[0] - 1)
    i1 = np.minimum(i0 + 1, frames.shape[0] - 1)
    frac = (x - i0)[:, None]
    out: NDArray[np.float64] = frames[i0] * (1 - frac) + frames[i1] * frac
    return out


def harmonic_audio(
    f0_hz: NDArray[Any], amplitudes: NDArray[Any], *, sample_rate: int = SAMPLE_RATE
) -> NDArray[np.float64]:
    """Additive synthesis: ``f0_hz [T]``, ``amplitudes [T, H]`` -> ``[T * HOP]`` samples."""
    n = f0_hz.shape[0] * HOP
    f0 = upsample(np.asarray(f0_hz, dtype=np.float64), n)
    phase = np.cumsum(2 * np.pi * f0 / sample_rate)
    k = np.arange(1, amplitudes.shape[1] + 1, dtype=np.float64)
    out = np.zeros(n)
    frames = np.asarray(amplitudes, dtype=np.float64)
    for s in range(0, n, _CHUNK):
        e = min(n, s + _CHUNK)
        # Interpolated per chunk: the whole [n, H] array would not fit a song in memory.
        x = np.arange(s, e, dtype=np.float64) / HOP
        i0 = np.minimum(np.floor(x).astype(np.int64), frames.shape[0] - 1)
        i1 = np.minimum(i0 + 1, frames.shape[0] - 1)
        frac = (x - i0)[:, None]
        amps = frames[i0] * (1 - frac) + frames[i1] * frac
        out[s:e] = np.sum(amps * np.sin(phase[s:e, None] * k), axis=1)
    return out


def noise_spectrum(rng: np.random.Generator, frames: int, hop: int = HOP) -> NDArray[Any]:
    """White noise as per-frame complex spectra ``[frames, hop + 1]`` (unit mean power)."""
    shape = (frames, hop + 1)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / math.sqrt(2.0)


def noise_audio(magnitudes: NDArray[Any], spectrum: NDArray[Any]) -> NDArray[np.float64]:
    """Filtered noise: band ``magnitudes [T, N]`` shaping ``spectrum [T, HOP + 1]`` ->
    ``[T * HOP]`` samples (module docstring)."""
    t = magnitudes.shape[0]
    shaped = (
        np.asarray(magnitudes, dtype=np.float64) @ band_matrix(magnitudes.shape[1])
    ) * spectrum
    frames = np.fft.irfft(shaped, n=2 * HOP, axis=1) * hann(2 * HOP)
    first, second = frames[:, :HOP], frames[:, HOP:]
    # Frame t covers [(t - 1) * HOP, (t + 1) * HOP): block b gets frame b's second half and
    # frame b + 1's first half.
    blocks = second.copy()
    blocks[:-1] += first[1:]
    return blocks.reshape(t * HOP)


@dataclass(frozen=True, slots=True)
class Loudness:
    """The velocity curve's ends and the silence floor (dB, the recording's scale)."""

    quiet_db: float
    loud_db: float
    floor_db: float

    def of_velocity(self, velocity: int) -> float:
        """``quiet_db + (loud_db - quiet_db) * velocity / 127``."""
        return self.quiet_db + (self.loud_db - self.quiet_db) * velocity / 127.0


def _notes_in_frames(notes: Sequence[Note], bpm: float) -> list[tuple[float, float, int, int]]:
    """(start, end) in frames, pitch and velocity of each note, by start."""
    rate = SAMPLE_RATE / HOP
    out = [
        (qn_to_seconds(n.start, bpm) * rate, qn_to_seconds(n.end, bpm) * rate, n.pitch, n.velocity)
        for n in notes
    ]
    return sorted(out)


def controls(
    part: Part, bpm: float, *, frames: int, loudness: Loudness
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.bool_]]:
    """Per-frame f0 (Hz), loudness (dB) and whether anything sounds, for ``frames`` frames
    of ``part`` at ``bpm`` (module docstring)."""
    rate = SAMPLE_RATE / HOP
    t = np.arange(frames, dtype=np.float64)
    notes = _notes_in_frames(part.notes, bpm)
    semis = np.full(frames, float(notes[0][2]) if notes else 69.0)
    level = np.full(frames, loudness.floor_db)
    sounding = np.zeros(frames, dtype=bool)
    attack, release, glide = ATTACK_S * rate, RELEASE_S * rate, GLIDE_S * rate
    prev: tuple[float, float, int, int] | None = None
    for start, end, pitch, velocity in notes:
        after = t >= start
        semis[after] = pitch
        if prev is not None and start - prev[1] <= LEGATO_S * rate:
            ramp = after & (t < start + glide)
            semis[ramp] = prev[2] + (pitch - prev[2]) * (t[ramp] - start) / glide
        rise = np.clip((t - start) / attack, 0.0, 1.0)
        fall = np.clip(1.0 - (t - end) / release, 0.0, 1.0)
        env = np.where(t < start, 0.0, np.minimum(rise, fall))
        top = loudness.of_velocity(velocity)
        level = np.maximum(level, loudness.floor_db + (top - loudness.floor_db) * env)
        sounding |= env > 0
        prev = (start, end, pitch, velocity)
    f0 = 440.0 * 2.0 ** ((semis - 69.0) / 12.0)
    return f0.astype(np.float32), level.astype(np.float32), sounding


class DdspTimbre:
    """A trained timbre: the ONNX decoder, its sidecar's loudness scale, and the synthesizer.

    Load with :meth:`load`; :meth:`render_part` plays a monophonic part."""

    def __init__(self, model: OnnxModel) -> None:
        side = model.sidecar
        if side.get("model") != MODEL_KIND or tuple(model.input_names) != INPUTS:
            raise ModelFileError(
                f"{model.path}: not a DDSP timbre (sidecar model {side.get('model')!r}, inputs "
                f"{list(model.input_names)}) -- a file written by `chromatic train timbre`"
            )
        cfg = side.get("config", {})
        if cfg.get("sample_rate") != SAMPLE_RATE or cfg.get("hop") != HOP:
            raise ModelFileError(
                f"{model.path}: sample rate {cfg.get('sample_rate')!r}, hop {cfg.get('hop')!r} "
                f"-- this runtime synthesises at {SAMPLE_RATE} Hz, hop {HOP}"
            )
        self.model = model
        curve = side["loudness"]
        self.loudness = Loudness(
            float(curve["quiet_db"]), float(curve["loud_db"]), float(curve["floor_db"])
        )

    @classmethod
    def load(cls, path: Path) -> DdspTimbre:
        """Open ``path`` (.onnx, its sidecar beside it). Raises ModelFileError naming it."""
        try:
            return cls(OnnxModel.load(Path(path)))
        except KeyError as exc:
            raise ModelFileError(f"{path}: sidecar lacks {exc} -- re-export the model") from None

    def decode(
        self, f0_hz: NDArray[Any], loudness_db: NDArray[Any]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Per-frame harmonic amplitudes ``[T, H]`` and noise magnitudes ``[T, N]``."""
        out = self.model.run(
            {
                INPUTS[0]: np.asarray(f0_hz, dtype=np.float32)[None],
                INPUTS[1]: np.asarray(loudness_db, dtype=np.float32)[None],
            }
        )
        return out[OUTPUTS[0]][0], out[OUTPUTS[1]][0]

    def synthesize(
        self,
        f0_hz: NDArray[Any],
        loudness_db: NDArray[Any],
        *,
        sounding: NDArray[np.bool_] | None = None,
        seed: int = 0,
    ) -> NDArray[np.float64]:
        """Audio ``[T * HOP]`` at :data:`SAMPLE_RATE` of per-frame controls; frames where
        ``sounding`` is False are silent."""
        harm, noise = self.decode(f0_hz, loudness_db)
        if sounding is not None:
            harm = harm * sounding[:, None]
            noise = noise * sounding[:, None]
        spectrum = noise_spectrum(np.random.default_rng(seed), harm.shape[0])
        return harmonic_audio(f0_hz, harm) + noise_audio(noise, spectrum)

    def render_part(
        self, part: Part, bpm: float, sample_rate: int, seconds: float, *, seed: int = 0
    ) -> NDArray[np.float32]:
        """``part`` at ``bpm`` as a float32 stereo stem ``[frames, 2]`` of ``seconds`` at
        ``sample_rate`` (a monophonic part: where notes overlap, the later one sounds)."""
        from scipy.signal import resample_poly

        n_out = round(seconds * sample_rate)
        frames = math.ceil(seconds * SAMPLE_RATE / HOP) + 1
        f0, level, sounding = controls(part, bpm, frames=frames, loudness=self.loudness)
        audio = self.synthesize(f0, level, sounding=sounding, seed=seed)
        g = math.gcd(sample_rate, SAMPLE_RATE)
        out = resample_poly(audio, sample_rate // g, SAMPLE_RATE // g)[:n_out]
        mono = np.zeros(n_out, dtype=np.float32)
        mono[: out.shape[0]] = out
        return np.repeat(mono[:, None], 2, axis=1)


def load_timbre(value: str, *, field: str = "melody_timbre") -> DdspTimbre:
    """The timbre ``value`` names (a shipped name or a path). Raises InputError naming
    ``field``, the value and what is allowed, with the file's own complaint."""
    path = SHIPPED.get(value.strip().lower(), Path(value.strip()).expanduser())
    try:
        return DdspTimbre.load(path)
    except ModelFileError as exc:
        raise InputError(
            file=None, field=field, value=value, allowed=f"{TIMBRE_HELP} ({exc})"
        ) from None
