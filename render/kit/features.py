"""DSP features of one drum hit, the classifier's and the role rules' input.

A hit is mono float32 audio starting at its onset (a few milliseconds of pre-roll at most).
Every feature is a plain number with a physical meaning, in a fixed order (:data:`FEATURE_NAMES`):

* ``attack_s``: seconds from the start to the loudest 5.8 ms frame; ``decay_s``: seconds from
  that peak until the level falls 30 dB below it (the hit's length if it never does);
  ``tail_db``: the level 150..500 ms after the peak relative to the first 150 ms (dB; ringing
  cymbals and open hats keep theirs, closed hats and kicks lose it);
* ``centroid_oct``, ``rolloff_oct``: spectral centroid and 85 % roll-off of the hit's first
  150 ms as octaves above 20 Hz; ``bandwidth_oct``: the spread around the centroid (octaves);
* ``flatness``: spectral flatness of the body (1 = white noise, ~0 = a pure tone);
  ``crest_db``: the strongest spectral peak over the mean (a pitched drum or bell rings at one);
* ``band_<lo>_<hi>``: the share of the body's energy in each band (Hz), which add up to 1;
* ``low_decay_s``, ``high_decay_s``: the decay (30 dB) of the energy below 300 Hz and above
  4 kHz: a kick's boom outlasts its click, a hat's hiss is all there is;
* ``zcr``: zero crossings per sample over the first 100 ms;
* ``bursts``: attack peaks in the first 60 ms (a clap is several hands, a snap one);
* ``bdecay_<lo>``: the decay (20 dB) of each band's energy from its own peak, 0 for a band
  40 dB or more under the hit's loudest frame (a tom's body rings, a snare's wires hiss);
* ``mfcc<s>_<i>``, ``centroid<s>_oct``, ``flatness<s>``: cepstrum (8 coefficients), centroid
  and flatness of three segments after the peak (:data:`SEGMENTS`: the attack, the early
  body, the late decay), the way a hit's timbre moves (a kick's click then boom);
* ``pitch_strength``, ``pitch_oct``: the height and place (octaves above 20 Hz) of the
  highest normalised autocorrelation peak 10..100 ms after the peak, lags 0.5..25 ms past
  its first dip below zero (a tom, a bell or a synth blip is periodic, a snare or hat is not);
* ``flux``: the mean rise of the log spectrum per frame over 100 ms from the peak (a clap's
  bursts, a roll); ``zcr_decay``: zero crossings per sample 50..200 ms after the peak;
  ``length_s``: the hit's length; ``mid_peak_db``: the strongest 200..2000 Hz bin of the
  body over the median of that range (a tuned drum's fundamental);
* ``energy_db``: the hit's RMS over its first 150 ms before normalisation (dBFS).
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np

N_FFT: Final = 2048
HOP: Final = 256
BODY_S: Final = 0.150
TAIL_S: Final = 0.500
DECAY_DB: Final = 30.0
BANDS: Final[tuple[tuple[int, int], ...]] = (
    (20, 120),
    (120, 300),
    (300, 1000),
    (1000, 4000),
    (4000, 10000),
    (10000, 22050),
)
ENV_MS: Final = (25, 50, 100, 200, 400)
N_MFCC: Final = 12
#: Segments (seconds after the peak) whose timbre is measured apart.
SEGMENTS: Final[tuple[tuple[float, float], ...]] = ((0.0, 0.020), (0.020, 0.080), (0.080, 0.250))
N_SEGMENT_MFCC: Final = 8
BAND_DECAY_DB: Final = 20.0
BAND_FLOOR_DB: Final = 40.0
FEATURE_NAMES: Final[tuple[str, ...]] = (
    "attack_s",
    "decay_s",
    "tail_db",
    "centroid_oct",
    "rolloff_oct",
    "bandwidth_oct",
    "flatness",
    "crest_db",
    *(f"band_{lo}_{hi}" for lo, hi in BANDS),
    "low_decay_s",
    "high_decay_s",
    "zcr",
    "bursts",
    "noise_hi",
    "peak_oct",
    "glide_oct",
    *(f"env_{ms}ms" for ms in ENV_MS),
    *(f"mfcc_{i}" for i in range(1, N_MFCC + 1)),
    *(f"bdecay_{lo}" for lo, _ in BANDS),
    *(f"mfcc{s}_{i}" for s in range(len(SEGMENTS)) for i in range(1, N_SEGMENT_MFCC + 1)),
    *(f"centroid{s}_oct" for s in range(len(SEGMENTS))),
    *(f"flatness{s}" for s in range(len(SEGMENTS))),
    "pitch_strength",
    "pitch_oct",
    "flux",
    "zcr_decay",
    "length_s",
    "mid_peak_db",
    "energy_db",
)
_FLOOR: Final = 1e-12


def _frames_db(power: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(power, _FLOOR))


def _decay(level_db: np.ndarray, peak: int, hop_s: float) -> float:
    """Seconds from frame ``peak`` until ``level_db`` stays ``DECAY_DB`` below its peak."""
    after = level_db[peak:]
    if after.size == 0:
        return 0.0
    above = np.nonzero(after > after[0] - DECAY_DB)[0]
    return float((above[-1] + 1) * hop_s)


def _octaves(hz: float) -> float:
    return float(np.log2(max(hz, 20.0) / 20.0))


def hit_features(
    audio: np.ndarray, sample_rate: int, *, level_db: float | None = None
) -> dict[str, float]:
    """The features of one hit (module docstring): mono float32 ``[frames]`` at
    ``sample_rate`` Hz. ``level_db``: the hit's level before it was normalised (dBFS; default:
    measured on ``audio``). Raises ValueError for an empty or non-finite hit."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"hit audio: shape {np.shape(audio)} -- finite mono samples [frames]")
    sr = float(sample_rate)
    hop_s = HOP / sr
    pad = max(0, N_FFT - x.size)
    xp = np.pad(x, (0, pad))
    n_frames = 1 + (xp.size - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    spec = np.abs(np.fft.rfft(xp[idx] * np.hanning(N_FFT), axis=1)) ** 2  # [T, F]
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sr)
    frame_power = spec.sum(axis=1)
    level = _frames_db(frame_power)
    peak = int(np.argmax(frame_power))
    body = slice(peak, max(peak + 1, peak + round(BODY_S / hop_s)))
    tail = slice(body.stop, max(body.stop, peak + round(TAIL_S / hop_s)))
    body_spec = spec[body].sum(axis=0) + _FLOOR
    total = float(body_spec.sum())
    p = body_spec / total
    centroid = float((p * freqs).sum())
    cum = np.cumsum(p)
    rolloff = float(freqs[min(int(np.searchsorted(cum, 0.85)), freqs.size - 1)])
    logf = np.log2(np.maximum(freqs, 20.0) / 20.0)
    bandwidth = float(np.sqrt((p * (logf - _octaves(centroid)) ** 2).sum()))
    audible = (freqs >= 20.0) & (freqs <= min(16000.0, sr / 2))
    band = body_spec[audible]
    flatness = float(np.exp(np.mean(np.log(band))) / np.mean(band))
    crest = float(10 * np.log10(band.max() / band.mean()))
    shares = [float(body_spec[(freqs >= lo) & (freqs < hi)].sum() / total) for lo, hi in BANDS]
    tail_power = float(spec[tail].sum()) if tail.stop > tail.start else 0.0
    tail_db = float(10 * np.log10(max(tail_power, _FLOOR) / max(float(spec[body].sum()), _FLOOR)))
    low = _frames_db(spec[:, freqs < 300.0].sum(axis=1))
    high = _frames_db(spec[:, freqs >= 4000.0].sum(axis=1))
    first = x[: max(2, round(0.100 * sr))]
    zcr = float(np.mean(np.abs(np.diff(np.signbit(first).astype(np.int8)))))
    bursts = _bursts(x, int(sample_rate))
    hi = (freqs >= 1000.0) & audible
    noise_hi = float(np.exp(np.mean(np.log(body_spec[hi]))) / np.mean(body_spec[hi]))
    peak_hz = float(freqs[int(np.argmax(body_spec * audible))])
    early = spec[peak : peak + max(1, round(0.030 / hop_s))].sum(axis=0) * audible
    later = spec[peak + round(0.050 / hop_s) : body.stop].sum(axis=0) * audible
    glide = 0.0
    if later.size and later.max() > 0 and early.max() > 0:
        glide = _octaves(float(freqs[int(np.argmax(later))])) - _octaves(
            float(freqs[int(np.argmax(early))])
        )
    env = [
        max(float(level[min(level.size - 1, peak + round(ms / 1000 / hop_s))] - level[peak]), -60.0)
        if peak + round(ms / 1000 / hop_s) < level.size
        else -60.0
        for ms in ENV_MS
    ]
    mfcc = _mfcc(body_spec, freqs, sr)
    energy = level_db
    if energy is None:
        seg = x[peak * HOP : peak * HOP + round(BODY_S * sr)]
        energy = float(10 * np.log10(max(float(np.mean(seg**2)) if seg.size else 0.0, _FLOOR)))
    values = (
        peak * hop_s,
        _decay(level, peak, hop_s),
        max(tail_db, -80.0),
        _octaves(centroid),
        _octaves(rolloff),
        bandwidth,
        flatness,
        crest,
        *shares,
        _decay(low, int(np.argmax(low)), hop_s),
        _decay(high, int(np.argmax(high)), hop_s),
        zcr,
        float(bursts),
        noise_hi,
        _octaves(peak_hz),
        glide,
        *env,
        *mfcc,
        *_band_decays(spec, freqs, peak, hop_s),
        *_segments(spec, freqs, peak, sr),
        *_periodicity(x, peak * HOP, sr),
        *_motion(x, spec, freqs, peak, sr),
        max(float(energy), -120.0),
    )
    return dict(zip(FEATURE_NAMES, (float(v) for v in values), strict=True))


def _band_decays(spec: np.ndarray, freqs: np.ndarray, peak: int, hop_s: float) -> list[float]:
    """Each band's :data:`BAND_DECAY_DB` decay from its own peak (seconds; 0 for a band
    :data:`BAND_FLOOR_DB` under the loudest frame)."""
    loudest = float(_frames_db(spec[peak : peak + 1].sum(axis=1))[0])
    out = []
    for lo, hi in BANDS:
        level = _frames_db(spec[:, (freqs >= lo) & (freqs < hi)].sum(axis=1))
        top = int(np.argmax(level))
        if level[top] < loudest - BAND_FLOOR_DB:
            out.append(0.0)
            continue
        above = np.nonzero(level[top:] > level[top] - BAND_DECAY_DB)[0]
        out.append(float((above[-1] + 1) * hop_s))
    return out


def _segments(spec: np.ndarray, freqs: np.ndarray, peak: int, sr: float) -> list[float]:
    """Cepstrum, centroid (octaves) and flatness of each of :data:`SEGMENTS` (a segment past
    the hit's end is silence: zeros)."""
    hop_s = HOP / sr
    audible = (freqs >= 20.0) & (freqs <= min(16000.0, sr / 2))
    cepstra: list[float] = []
    centroids, flatness = [], []
    for a, b in SEGMENTS:
        lo = peak + round(a / hop_s)
        hi = max(lo + 1, peak + round(b / hop_s))
        power = spec[lo:hi].sum(axis=0) if lo < spec.shape[0] else np.zeros(freqs.size)
        if power.sum() <= _FLOOR:
            cepstra += [0.0] * N_SEGMENT_MFCC
            centroids.append(0.0)
            flatness.append(0.0)
            continue
        power = power + _FLOOR
        cepstra += _mfcc(power, freqs, sr)[:N_SEGMENT_MFCC]
        centroids.append(_octaves(float((power * freqs).sum() / power.sum())))
        band = power[audible]
        flatness.append(float(np.exp(np.mean(np.log(band))) / np.mean(band)))
    return [*cepstra, *centroids, *flatness]


def _periodicity(x: np.ndarray, at: int, sr: float) -> list[float]:
    """``pitch_strength`` and ``pitch_oct`` (module docstring) of ``x`` from sample ``at``."""
    seg = x[at + round(0.010 * sr) : at + round(0.100 * sr)]
    lo, hi = round(sr / 2000), round(sr / 40)
    if seg.size < hi + round(0.010 * sr):
        return [0.0, 0.0]
    seg = seg - seg.mean()
    spectrum = np.fft.rfft(seg, 2 * seg.size)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[: seg.size]
    if ac[0] <= 0:
        return [0.0, 0.0]
    # Unbiased: each lag's sum over the samples that overlap, so long lags are not favoured less.
    ac = ac / ac[0] * seg.size / (seg.size - np.arange(seg.size))
    # The first peak after the autocorrelation first dips below zero (a low tone's neighbouring
    # samples are alike, which is no period).
    below = np.nonzero(ac[:hi] < 0.0)[0]
    first = max(lo, int(below[0])) if below.size else hi - 1
    lag = first + int(np.argmax(ac[first:hi]))
    return [float(min(ac[lag], 1.5)), _octaves(sr / lag)]


def _motion(
    x: np.ndarray, spec: np.ndarray, freqs: np.ndarray, peak: int, sr: float
) -> list[float]:
    """``flux``, ``zcr_decay``, ``length_s`` and ``mid_peak_db`` (module docstring)."""
    hop_s = HOP / sr
    body = slice(peak, peak + max(1, round(0.100 / hop_s)))
    rise = np.maximum(np.diff(np.log(spec + 1e-10), axis=0), 0.0).mean(axis=1)
    flux = float(rise[body].mean()) if rise[body].size else 0.0
    start = peak * HOP
    tail = x[start + round(0.050 * sr) : start + round(0.200 * sr)]
    zcr = (
        float(np.mean(np.abs(np.diff(np.signbit(tail).astype(np.int8))))) if tail.size > 2 else 0.0
    )
    mid = (freqs >= 200.0) & (freqs < 2000.0)
    power = spec[peak : peak + max(1, round(BODY_S / hop_s)), :][:, mid].sum(axis=0) + _FLOOR
    mid_peak = float(10 * np.log10(power.max() / np.median(power)))
    return [flux, zcr, x.size / sr, mid_peak]


def _bursts(x: np.ndarray, sr: int) -> int:
    """Attack bursts in the first 60 ms: rises of the 1 ms RMS of the signal's change (its high
    frequencies) above half its maximum, each after a dip below 35 % of the burst before."""
    d = np.diff(x[: round(0.060 * sr)])
    win = max(1, round(0.001 * sr))
    blocks = d.size // win
    if blocks < 2:
        return 0
    env = np.sqrt((d[: blocks * win].reshape(blocks, win) ** 2).mean(axis=1))
    if env.max() <= 0:
        return 0
    count, armed, top = 0, True, 0.0
    for v in env:
        if armed and v > 0.5 * env.max():
            count, armed, top = count + 1, False, float(v)
        elif not armed:
            top = max(top, float(v))
            armed = v < 0.35 * top
    return count


def _mfcc(power: np.ndarray, freqs: np.ndarray, sr: float) -> list[float]:
    """Cepstral coefficients 1..N_MFCC of a power spectrum (40 mel bands, 20 Hz..16 kHz, dB,
    orthonormal DCT-II): the spectrum's coarse shape, independent of level."""
    mel = _mel(float(sr), 2 * (freqs.size - 1))
    bands = 10 * np.log10(np.maximum(mel @ power, _FLOOR))
    bands -= bands.max()
    bands = np.maximum(bands, -80.0)
    k = np.arange(bands.size)
    out = []
    for i in range(1, N_MFCC + 1):
        basis = np.cos(np.pi * i * (2 * k + 1) / (2 * bands.size)) * np.sqrt(2.0 / bands.size)
        out.append(float(basis @ bands) / 10.0)
    return out


@functools.lru_cache(maxsize=8)
def _mel(sr: float, n_fft: int) -> np.ndarray:
    import librosa

    return np.asarray(
        librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=40, fmin=20.0, fmax=min(16000.0, sr / 2))
    )


def feature_vector(features: dict[str, float]) -> np.ndarray:
    """The features in :data:`FEATURE_NAMES` order, float64 ``[len(FEATURE_NAMES)]``."""
    return np.array([features[name] for name in FEATURE_NAMES], dtype=np.float64)
