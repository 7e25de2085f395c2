"""Per-window analysis of stems (seed 000): energy, density and brightness per bar and section.

* energy: RMS of the window (linear, full scale 1.0) and in dBFS;
* density: onsets per second (librosa's spectral-flux onset detector on a 64-band mel
  spectrogram, hop 1024 = 23 ms at 44.1 kHz, computed in numpy by :mod:`render.spectral`;
  onsets in frames below -60 dBFS are dropped);
* brightness: spectral centroid in Hz, weighted by frame energy (0 for a silent window).

A window is one bar of the song's meter at its tempo; a section aggregates its bars. Every
stem is analysed alone and the mix (the stems summed) as a whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from music.meter import Meter, bars_to_seconds
from render import spectral

N_FFT: Final = 2048
HOP: Final = 1024
N_MELS: Final = 64
SILENCE_DB: Final = -60.0
_FLOOR: Final = 1e-10


@dataclass(frozen=True, slots=True)
class Features:
    """Energy (linear RMS and dBFS), onset density (onsets/s), brightness (Hz)."""

    energy: float
    energy_db: float
    density: float
    brightness: float

    def to_dict(self) -> dict[str, float]:
        return {
            "energy": round(self.energy, 8),
            "energyDb": round(self.energy_db, 3),
            "density": round(self.density, 4),
            "brightness": round(self.brightness, 2),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Features:
        energy = float(data.get("energy", 0.0))
        db = data.get("energyDb")
        return cls(
            energy=energy,
            energy_db=float(db) if db is not None else _db(energy),
            density=float(data.get("density", 0.0)),
            brightness=float(data.get("brightness", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Window:
    """One bar: its time span (seconds), section label, mix features and per-stem features."""

    index: int
    start: float
    end: float
    section: str
    mix: Features
    stems: tuple[tuple[str, Features], ...]

    def stem(self, name: str) -> Features | None:
        return next((f for n, f in self.stems if n == name), None)


@dataclass(frozen=True, slots=True)
class Analysis:
    bpm: float
    meter: str
    windows: tuple[Window, ...]
    sections: tuple[tuple[str, int, int, Features], ...]  # (name, first window, end window, mix)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tempo": {"bpm": self.bpm, "meter": self.meter},
            "windows": [
                {
                    "index": w.index,
                    "start": round(w.start, 6),
                    "end": round(w.end, 6),
                    "section": w.section,
                    **w.mix.to_dict(),
                    "stems": {n: f.to_dict() for n, f in w.stems},
                }
                for w in self.windows
            ],
            "sections": [
                {"name": n, "firstWindow": a, "endWindow": b, **f.to_dict()}
                for n, a, b, f in self.sections
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        """Read :meth:`to_dict` output, a dataset row (``{"analysis": ..., "tempo": ...}``) or
        a seed-style analysis (windows with energy/density/brightness, sections optional)."""
        body = data.get("analysis", data)
        tempo = body.get("tempo") or data.get("tempo") or {}
        windows = []
        for i, w in enumerate(body.get("windows", [])):
            stems = tuple(
                (str(n), Features.from_dict(f)) for n, f in (w.get("stems") or {}).items()
            )
            windows.append(
                Window(
                    index=int(w.get("index", i)),
                    start=float(w.get("start", 0.0)),
                    end=float(w.get("end", 0.0)),
                    section=str(w.get("section", "song")),
                    mix=Features.from_dict(w),
                    stems=stems,
                )
            )
        sections = tuple(
            (str(s["name"]), int(s["firstWindow"]), int(s["endWindow"]), Features.from_dict(s))
            for s in body.get("sections", [])
            if "firstWindow" in s and "endWindow" in s
        )
        if not sections and windows:
            sections = _sections_from_windows(windows)
        return cls(
            bpm=float(tempo.get("bpm", 120.0)),
            meter=str(tempo.get("meter", "4/4")),
            windows=tuple(windows),
            sections=sections,
        )


def _db(energy: float) -> float:
    return 20.0 * math.log10(max(energy, _FLOOR))


@dataclass(frozen=True, slots=True)
class _Frames:
    """Frame-level curves of one signal (hop :data:`HOP`)."""

    ms: np.ndarray  # mean square per frame
    centroid: np.ndarray  # Hz
    onsets: np.ndarray  # onset times, seconds


def _spectrum(mono: np.ndarray) -> np.ndarray:
    """Complex STFT ``[1 + N_FFT / 2, frames]`` of a mono signal (hop :data:`HOP`)."""
    y = np.ascontiguousarray(mono, dtype=np.float32)
    if y.size < N_FFT:
        y = np.pad(y, (0, N_FFT - y.size))
    return spectral.stft(y, n_fft=N_FFT, hop=HOP)


def _frames(mono: np.ndarray, spec: np.ndarray, sample_rate: int) -> _Frames:
    """Frame curves of ``mono`` from its complex STFT ``spec``."""
    y = np.ascontiguousarray(mono, dtype=np.float32)
    if y.size < N_FFT:
        y = np.pad(y, (0, N_FFT - y.size))
    power = np.abs(spec) ** 2
    ms = spectral.frame_mean_square(y, frame_length=N_FFT, hop=HOP)
    n = min(power.shape[1], ms.size)
    power, ms = power[:, :n], ms[:n]
    freqs = spectral.fft_frequencies(sample_rate=sample_rate, n_fft=N_FFT)
    total = power.sum(axis=0)
    centroid = np.where(total > 0, (freqs @ power) / np.maximum(total, _FLOOR), 0.0)
    if float(ms.max(initial=0.0)) <= 10 ** (SILENCE_DB / 10):
        return _Frames(ms, centroid, np.empty(0))
    mel = spectral.mel_filters(sample_rate=sample_rate, n_fft=N_FFT, n_mels=N_MELS) @ power
    env = spectral.onset_strength(spectral.power_to_db(mel))
    frames = spectral.onset_frames(env, sample_rate=sample_rate, hop=HOP)
    loud = ms[np.minimum(frames, n - 1)] > 10 ** (SILENCE_DB / 10)
    onsets = frames[loud].astype(np.float64) * HOP / sample_rate
    return _Frames(ms, centroid, onsets)


def _window_features(fr: _Frames, start: float, end: float, sample_rate: int) -> Features:
    a = int(start * sample_rate / HOP)
    b = max(a + 1, int(end * sample_rate / HOP))
    ms = fr.ms[a:b]
    energy = math.sqrt(float(ms.mean())) if ms.size else 0.0
    weight = float(ms.sum())
    bright = float((fr.centroid[a:b] * ms).sum() / weight) if weight > _FLOOR else 0.0
    count = int(np.count_nonzero((fr.onsets >= start) & (fr.onsets < end)))
    return Features(energy, _db(energy), count / max(end - start, 1e-9), bright)


def _mean_features(items: Sequence[Features]) -> Features:
    if not items:
        return Features(0.0, _db(0.0), 0.0, 0.0)
    weights = np.array([f.energy**2 for f in items])
    energy = math.sqrt(float(weights.mean()))
    bright = (
        float(np.dot(weights, [f.brightness for f in items]) / weights.sum())
        if weights.sum() > 0
        else 0.0
    )
    return Features(energy, _db(energy), float(np.mean([f.density for f in items])), bright)


def _sections_from_windows(windows: Sequence[Window]) -> tuple[tuple[str, int, int, Features], ...]:
    out: list[tuple[str, int, int, Features]] = []
    start = 0
    for i in range(1, len(windows) + 1):
        if i == len(windows) or windows[i].section != windows[start].section:
            mix = _mean_features([w.mix for w in windows[start:i]])
            out.append((windows[start].section, start, i, mix))
            start = i
    return tuple(out)


def analyze_stems(
    stems: Mapping[str, np.ndarray],
    sample_rate: int,
    *,
    bpm: float,
    meter: Meter,
    sections: Sequence[tuple[str, int]] | None = None,
    seconds: float | None = None,
) -> Analysis:
    """Analyse ``stems`` (name -> ``[frames]`` or ``[frames, channels]``) bar by bar.

    ``sections``: the form as (label, bars); None: one section ``"song"``. ``seconds``: the
    length to analyse (default: the form's length, else the longest stem)."""
    if not stems:
        raise ValueError("stems: {} -- at least one stem to analyse")
    longest = max(a.shape[0] for a in stems.values())
    bar_s = bars_to_seconds(meter, 1, bpm)
    if sections:
        labels = [name for name, bars in sections for _ in range(bars)]
    else:
        total = seconds if seconds is not None else longest / sample_rate
        labels = ["song"] * max(1, math.ceil(total / bar_s - 1e-9))
    if seconds is not None:
        labels = labels[: max(1, math.ceil(seconds / bar_s - 1e-9))]
    # One stem at a time: its mono signal goes into the mix and its curves are read, then both
    # are dropped. The STFT is linear: the mix's spectrum is the sum of the stems' (equal-length
    # stems), added up as it goes, so one stem's spectrum is held at a time.
    mix = np.zeros(longest, dtype=np.float64)
    same_length = len({a.shape[0] for a in stems.values()}) == 1
    curves = {}
    mix_spec: np.ndarray | None = None
    for n, stem in stems.items():
        a = stem.mean(axis=1) if stem.ndim == 2 else stem
        mix[: a.shape[0]] += a
        spec = _spectrum(a)
        curves[n] = _frames(a, spec, sample_rate)
        if same_length:
            if mix_spec is None:
                mix_spec = np.zeros_like(spec)
            mix_spec += spec
        del spec, a
    if mix_spec is None:
        mix_spec = _spectrum(mix)
    mix_curves = _frames(mix.astype(np.float32), mix_spec, sample_rate)
    windows = []
    for i, label in enumerate(labels):
        start, end = i * bar_s, (i + 1) * bar_s
        windows.append(
            Window(
                index=i,
                start=start,
                end=end,
                section=label,
                mix=_window_features(mix_curves, start, end, sample_rate),
                stems=tuple(
                    (n, _window_features(c, start, end, sample_rate)) for n, c in curves.items()
                ),
            )
        )
    if not sections:
        return Analysis(float(bpm), str(meter), tuple(windows), _sections_from_windows(windows))
    spans = []
    first = 0
    for name, bars in sections:
        end = min(first + bars, len(windows))
        if end > first:
            spans.append((name, first, end, _mean_features([w.mix for w in windows[first:end]])))
        first = end
    return Analysis(float(bpm), str(meter), tuple(windows), tuple(spans))
