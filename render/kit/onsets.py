"""Finding the hits in drum audio and cutting them out (seed 001, step 1).

Onsets: spectral flux (librosa's onset strength of a log-mel spectrogram, hop 256, ~5.8 ms
at 44.1 kHz, against the frame two hops back) in three sub-bands (:data:`FLUX_BANDS`: the
kick's boom, the drums' bodies, the hats' and cymbals' hiss), each scaled to its own peak and
averaged, then peaks picked :data:`DELTA` above the local median (:func:`_peaks`; a moving
median, not librosa's moving mean: one loud hit raises the mean of the 100 ms around it by about
:data:`DELTA`, which hid a kick 65 ms after a loud snare; the median barely moves). One flux over
the whole spectrum misses a kick under a ringing crash or open hat: the kick changes a few low
bands out of 128 and the average over all of them hides it, more often the faster the hits
come (at 160 bpm it lost 11 % of the hits). The mean of the bands, not their largest, keeps a
band's noise in a decaying tail (a cymbal's low band 30 dB under its hiss) from passing for a
hit. Each onset is then moved back to where its attack starts (the first sample within 2 ms
of the onset frame that reaches a tenth of the attack's peak). Two hits closer than
:data:`MIN_GAP_S` are one (a flam is one hit).

Slices: from each onset (less :data:`PRE_ROLL_S`) to the next onset or :data:`MAX_HIT_S`,
ended before the sound swells again by :data:`RISE_DB` over the quietest it has been since its
peak (:func:`_one_hit`: a hit the onsets missed, such as a ghost note or the second stroke of a
flam in a loop, is not played as this hit's tail), trimmed where the hit has decayed
:data:`TRIM_DB` below its peak, faded in over 1 ms and out over 10 ms, and normalised to a peak
of :data:`PEAK_DBFS`. A slice quieter than
:data:`GATE_DB` below the loudest of its file, or shorter than :data:`MIN_HIT_S`, is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

HOP: Final = 256
LEAD_S: Final = 0.1
MIN_GAP_S: Final = 0.030
#: Sub-bands (Hz) of the onset flux; a band's flux is scaled to its peak, but never by more
#: than :data:`BAND_BOOST` times the loudest band's, so a band with nothing in it stays quiet.
FLUX_BANDS: Final[tuple[tuple[float, float], ...]] = ((0.0, 200.0), (200.0, 2000.0), (2000.0, 1e9))
BAND_BOOST: Final = 4.0
FLUX_LAG: Final = 2
DELTA: Final = 0.06
#: An onset frame is the largest of the last :data:`PEAK_SPAN_S` and :data:`DELTA` above the
#: median flux of the :data:`MEDIAN_SPAN_S` either side (module docstring).
PEAK_SPAN_S: Final = 0.03
MEDIAN_SPAN_S: Final = 0.1
N_MELS: Final = 128
PRE_ROLL_S: Final = 0.002
MAX_HIT_S: Final = 2.0
MIN_HIT_S: Final = 0.010
TRIM_DB: Final = 50.0
#: A slice's envelope (:data:`ENV_BLOCK`-sample block peaks, the largest of the last
#: :data:`ENV_SPAN_S`, so a kick's slow cycles do not read as swells) rising this far over its
#: lowest since the peak is a new hit.
RISE_DB: Final = 12.0
ENV_BLOCK: Final = 128
ENV_SPAN_S: Final = 0.015
#: A hit's attack can start before the onset (a tenth of its peak, :func:`_attack_start`): a
#: slice followed by another hit ends at its quietest block in the last :data:`VALLEY_S`.
VALLEY_S: Final = 0.030
#: A slice's own peak is its loudest in the first :data:`OWN_PEAK_S` after the onset; a louder
#: one later is another hit's.
OWN_PEAK_S: Final = 0.050
GATE_DB: Final = 40.0
PEAK_DBFS: Final = -1.0
FADE_IN_S: Final = 0.001
FADE_OUT_S: Final = 0.010


@dataclass(frozen=True, slots=True)
class Slice:
    """One hit cut from a source: float32 ``[frames, channels]`` normalised to
    :data:`PEAK_DBFS`, from ``start``..``end`` seconds of ``source``; ``gain_db`` is the gain
    normalising applied and ``level_db`` the hit's peak before it (dBFS)."""

    source: Path
    start: float
    end: float
    audio: np.ndarray
    sample_rate: int
    gain_db: float
    level_db: float

    def mono(self) -> np.ndarray:
        return np.asarray(self.audio.mean(axis=1), dtype=np.float32)


def detect_onsets(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """Onset times (seconds, sorted) of the hits in ``mono`` (float32 ``[frames]``)."""
    y = np.asarray(mono, dtype=np.float32)
    if y.size < 2 * HOP:
        return np.zeros(0)
    # Silence before the start, so a hit on the very first sample is an onset like any other.
    pad = round(LEAD_S * sample_rate)
    y = np.concatenate([np.zeros(pad, dtype=np.float32), y])
    frames = _peaks(_band_flux(y, sample_rate), sample_rate)
    starts = [max(0, _attack_start(y, int(f) * HOP, sample_rate) - pad) for f in frames]
    out: list[int] = []
    for s in sorted(starts):
        if not out or s - out[-1] >= MIN_GAP_S * sample_rate:
            out.append(s)
    return np.asarray(out, dtype=np.float64) / sample_rate


def _peaks(env: np.ndarray, sr: int) -> np.ndarray:
    """The onset frames of ``env``: a frame is one when it is the largest of the last
    :data:`PEAK_SPAN_S`, at least :data:`DELTA` above the median of the :data:`MEDIAN_SPAN_S`
    around it, and :data:`MIN_GAP_S` after the one before."""
    from scipy.ndimage import median_filter

    span = max(1, int(PEAK_SPAN_S * sr // HOP))
    before = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([np.full(span, -np.inf), env]), span + 1
    ).max(axis=1)
    median = median_filter(env, size=2 * int(MEDIAN_SPAN_S * sr // HOP) + 1, mode="nearest")
    wait = max(1, round(MIN_GAP_S * sr / HOP))
    out: list[int] = []
    for f in np.nonzero((env >= before) & (env >= median + DELTA))[0]:
        if not out or f - out[-1] > wait:
            out.append(int(f))
    return np.asarray(out, dtype=np.int64)


def _band_flux(y: np.ndarray, sr: int) -> np.ndarray:
    """The onset strength per frame: the mean of the :data:`FLUX_BANDS` fluxes, each scaled to
    its peak (module docstring)."""
    import librosa

    mel = librosa.feature.melspectrogram(y=y, sr=sr, hop_length=HOP, n_mels=N_MELS)
    db = librosa.power_to_db(mel, ref=np.max)
    centres = librosa.mel_frequencies(n_mels=N_MELS, fmax=sr / 2)
    fluxes = []
    for lo, hi in FLUX_BANDS:
        rows = (centres >= lo) & (centres < hi)
        if rows.any():
            fluxes.append(
                librosa.onset.onset_strength(S=db[rows], sr=sr, hop_length=HOP, lag=FLUX_LAG)
            )
    flux = np.stack(fluxes)
    peaks = flux.max(axis=1)
    scale = np.maximum(peaks, peaks.max() / BAND_BOOST)
    return np.asarray((flux / np.maximum(scale, 1e-12)[:, None]).mean(axis=0))


def _attack_start(y: np.ndarray, frame_sample: int, sr: int) -> int:
    """The sample where the attack around onset frame ``frame_sample`` begins: the first one
    from 2 ms before the frame's analysis window that reaches 10 % of the attack's peak."""
    lo = max(0, frame_sample - HOP - round(0.002 * sr))
    hi = min(y.size, frame_sample + 3 * HOP)
    seg = np.abs(y[lo:hi])
    if seg.size == 0 or seg.max() <= 0:
        return min(frame_sample, max(0, y.size - 1))
    first = int(np.argmax(seg >= 0.1 * seg.max()))
    return lo + first


def _db(x: float) -> float:
    return float(20 * np.log10(max(x, 1e-12)))


def slice_hits(
    audio: np.ndarray,
    sample_rate: int,
    onsets: np.ndarray,
    *,
    source: Path,
    one_hit: bool = True,
) -> list[Slice]:
    """The hits of ``audio`` (float32 ``[frames, channels]``) at ``onsets`` (seconds), cut,
    trimmed, faded and normalised (module docstring), in time order. ``one_hit``: end each
    slice before a second hit inside it (:func:`_one_hit`)."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    pre = round(PRE_ROLL_S * sample_rate)
    starts = [max(0, round(t * sample_rate) - pre) for t in onsets]
    raw: list[tuple[int, int]] = []
    for i, s in enumerate(starts):
        # A hit ends a pre-roll before the next one starts, so no part of that one bleeds in.
        nxt = starts[i + 1] - pre if i + 1 < len(starts) else n
        raw.append((s, min(max(nxt, s + 1), s + round(MAX_HIT_S * sample_rate), n)))
    peaks = [float(np.abs(x[a:b]).max()) if b > a else 0.0 for a, b in raw]
    loudest = max(peaks, default=0.0)
    out = []
    for (a, b), peak in zip(raw, peaks, strict=True):
        if peak <= 0 or _db(peak) < _db(loudest) - GATE_DB:
            continue
        hit = _one_hit(x[a:b], sample_rate, followed=b < n) if one_hit else x[a:b]
        hit = _faded(_trimmed(hit, sample_rate), sample_rate)
        top = float(np.abs(hit).max())
        if hit.shape[0] < MIN_HIT_S * sample_rate or top <= 0:
            continue
        gain = 10 ** (PEAK_DBFS / 20) / top
        out.append(
            Slice(
                source=source,
                start=a / sample_rate,
                end=(a + hit.shape[0]) / sample_rate,
                audio=hit * np.float32(gain),
                sample_rate=sample_rate,
                gain_db=_db(gain),
                level_db=_db(top),
            )
        )
    return out


def _one_hit(hit: np.ndarray, sr: int, *, followed: bool) -> np.ndarray:
    """``hit`` ended where its envelope, after its own peak (:data:`OWN_PEAK_S`), last reaches
    its lowest before it rises :data:`RISE_DB` above that lowest and to within :data:`TRIM_DB`
    of the peak (a second hit's attack; a swell in what trimming cuts anyway is none); all of
    it when it never does. ``followed`` (another hit comes right after): ended at the quietest block
    of its last :data:`VALLEY_S` after the peak, before the next attack's first rise."""
    mono = np.abs(hit).max(axis=1)
    blocks = mono.size // ENV_BLOCK
    if blocks < 2:
        return hit
    peaks = mono[: blocks * ENV_BLOCK].reshape(blocks, ENV_BLOCK).max(axis=1)
    span = max(1, round(ENV_SPAN_S * sr / ENV_BLOCK))
    env = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([np.zeros(span - 1, dtype=peaks.dtype), peaks]), span
    ).max(axis=1)
    top = int(np.argmax(env[: max(1, round(OWN_PEAK_S * sr / ENV_BLOCK))]))
    rise, floor = 10 ** (RISE_DB / 20), float(env[top]) * 10 ** (-TRIM_DB / 20)
    low, at = float("inf"), 0
    for k in range(top, blocks):
        if env[k] <= low:
            low, at = float(env[k]), k
        elif env[k] > max(low * rise, floor):
            return hit[: (at + 1) * ENV_BLOCK]
    if followed:
        first = max(top, blocks - round(VALLEY_S * sr / ENV_BLOCK))
        return hit[: (first + int(np.argmin(peaks[first:])) + 1) * ENV_BLOCK]
    return hit


def _trimmed(hit: np.ndarray, sr: int) -> np.ndarray:
    """``hit`` cut after the last 5.8 ms block within :data:`TRIM_DB` of its loudest."""
    mono = np.abs(hit).max(axis=1)
    blocks = mono.size // HOP
    if blocks < 2:
        return hit
    env = mono[: blocks * HOP].reshape(blocks, HOP).max(axis=1)
    keep = np.nonzero(env >= env.max() * 10 ** (-TRIM_DB / 20))[0]
    end = min(hit.shape[0], (int(keep[-1]) + 2) * HOP)
    return hit[:end]


def _faded(hit: np.ndarray, sr: int) -> np.ndarray:
    out = np.array(hit, dtype=np.float32)
    fi = min(out.shape[0], round(FADE_IN_S * sr))
    fo = min(out.shape[0] - fi, round(FADE_OUT_S * sr))
    if fi:
        out[:fi] *= np.linspace(0.0, 1.0, fi, endpoint=False, dtype=np.float32)[:, None]
    if fo:
        out[-fo:] *= np.linspace(1.0, 0.0, fo, dtype=np.float32)[:, None]
    return out


def one_shot(audio: np.ndarray, sample_rate: int, *, source: Path) -> Slice | None:
    """A one-shot file as one hit: from its first onset (or its first audible sample) to its
    end, trimmed, faded and normalised; None when it holds nothing audible."""
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    mono = np.abs(x).max(axis=1)
    if mono.size == 0 or mono.max() <= 0:
        return None
    first = int(np.argmax(mono >= mono.max() * 10 ** (-GATE_DB / 20)))
    start = first / sample_rate + PRE_ROLL_S
    # A one-shot is one sound as a whole (a roll or a rattle included), as it was trained on.
    hits = slice_hits(x, sample_rate, np.array([start]), source=source, one_hit=False)
    return hits[0] if hits else None


def distinct_onsets(times: np.ndarray, *, gap: float = MIN_GAP_S) -> np.ndarray:
    """Onset times (seconds) with those closer than ``gap`` to the one before merged into it:
    the hits a listener (and :func:`detect_onsets`) tells apart. Two notes a few milliseconds
    apart (a kick and a crash with their own micro-timing) are one onset."""
    out: list[float] = []
    for t in np.sort(np.asarray(times, dtype=np.float64)):
        if not out or t - out[-1] >= gap:
            out.append(float(t))
    return np.asarray(out)
