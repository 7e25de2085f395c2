"""The render's chunked paths (loudness, mastering, the mix's per-frame curves) give the same
samples and figures, bit for bit, as the whole-signal formulas they replaced (kept here as
references); chunk sizes are made small so every path crosses many chunk edges."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import astuple

import numpy as np
import pytest

from render import limiter, loudness, mix
from render.limiter import CEILING_MARGIN_DB, MAX_ITERATIONS, TOLERANCE_LU, limiter_gain
from render.loudness import db_to_gain, k_weighted
from render.renderplan import FxSettings, RenderPlan, WindowPlan

SR = 44100


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loudness, "_LOUDNESS_CHUNK", 5000)
    monkeypatch.setattr(loudness, "_PEAK_CHUNK", 3000)
    monkeypatch.setattr(limiter, "_CHUNK", 7000)
    monkeypatch.setattr(mix, "_CHUNK", 6000)


def _ref_block_loudness(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    x = np.asarray(audio, dtype=np.float64)
    x = x[None, :] if x.ndim == 1 else x.T
    y = k_weighted(x, sample_rate)
    block, hop = round(0.4 * sample_rate), round(0.1 * sample_rate)
    n = y.shape[1]
    if n < block:
        return np.empty(0)
    starts = np.arange(0, n - block + 1, hop)
    power = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y * y, axis=1)], axis=1)
    total = ((power[:, starts + block] - power[:, starts]) / block).sum(axis=0)
    with np.errstate(divide="ignore"):
        return np.where(total > 0, -0.691 + 10.0 * np.log10(total), -math.inf)


def _ref_integrated(audio: np.ndarray, sample_rate: int) -> float:
    lk = _ref_block_loudness(audio, sample_rate)
    lk = lk[lk > -70.0]
    if lk.size == 0:
        return -math.inf
    power = 10.0 ** ((lk + 0.691) / 10.0)
    gate = -0.691 + 10.0 * math.log10(float(power.mean())) - 10.0
    return -0.691 + 10.0 * math.log10(float(power[lk > gate].mean()))


def _ref_envelope(x: np.ndarray, oversample: int) -> np.ndarray:
    if oversample == 1:
        return np.asarray(np.abs(x).max(axis=1))
    return loudness.peak_envelope(x.astype(np.float32), oversample)


def _ref_normalize(
    audio: np.ndarray, sr: int, target_lufs: float, oversample: int
) -> tuple[np.ndarray, tuple[float, ...]]:
    """render.limiter.normalize as it was: float64 copies of the whole signal."""
    x = np.asarray(audio, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    loud = _ref_integrated(x, sr)
    ceiling = db_to_gain(-1.0 - CEILING_MARGIN_DB)
    env = _ref_envelope(x, oversample)
    gain_db, y, reduction, measured = target_lufs - loud, x, np.ones(x.shape[0]), loud
    low: tuple[float, float] | None = None
    high: tuple[float, float] | None = None
    iterations = 0
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007
        g = db_to_gain(gain_db)
        reduction = limiter_gain(env * g, ceiling, sr)
        y = x * (g * reduction)[:, None]
        measured = _ref_integrated(y, sr)
        err = target_lufs - measured
        if abs(err) < TOLERANCE_LU:
            break
        if err > 0:
            low = (gain_db, measured)
        else:
            high = (gain_db, measured)
        if low is None or high is None:
            gain_db += 2.0 * err if high is None else err
            continue
        gain_db = low[0] + (target_lufs - low[1]) * (high[0] - low[0]) / (high[1] - low[1])
        if not low[0] < gain_db < high[0]:
            gain_db = (low[0] + high[0]) / 2
    tp = 20.0 * math.log10(max(float(_ref_envelope(y, oversample).max()), 1e-12))
    trim = min(0.0, -1.0 - CEILING_MARGIN_DB / 2 - tp)
    if trim < 0:
        y = y * db_to_gain(trim)
    red = float(-20.0 * np.log10(max(float(reduction.min()), 1e-12)))
    return y.astype(np.float32), (measured + trim, tp + trim, gain_db, red, iterations)


def _signal(frames: int, channels: int, *, hits: bool, dtype: type, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((frames, channels)) * 0.05
    if hits:
        x[:: SR // 3] += 0.9  # peaks the limiter has to catch
    return x.astype(dtype)


@pytest.mark.parametrize("shape", [(SR * 3 + 17, 2), (SR * 2, 1), (SR + 5, 3), (100, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_loudness_equals_the_whole_signal_formula(
    shape: tuple[int, int], dtype: type
) -> None:
    x = _signal(*shape, hits=False, dtype=dtype, seed=shape[0])
    for audio in (x, x[:, 0]):
        want = _ref_block_loudness(audio, SR)
        got = loudness.block_loudness(audio, SR)
        assert got.shape == want.shape and np.array_equal(got, want)
        if want.size:
            assert loudness.integrated_loudness(audio, SR) == _ref_integrated(audio, SR)


@pytest.mark.parametrize("sample_rate", [48000, 11025])
def test_block_loudness_equal_at_other_rates(sample_rate: int) -> None:
    x = _signal(sample_rate * 2 + 3, 2, hits=False, dtype=np.float32, seed=3)
    assert np.array_equal(
        loudness.block_loudness(x, sample_rate), _ref_block_loudness(x, sample_rate)
    )


def test_peak_envelope_reads_float32_without_a_float64_copy() -> None:
    x = _signal(20000, 2, hits=True, dtype=np.float64, seed=4)
    want = loudness.peak_envelope(x.astype(np.float32))
    assert np.array_equal(loudness.peak_envelope(x), want)
    assert np.array_equal(loudness.peak_envelope(x[:, 0]), loudness.peak_envelope(x[:, :1]))


@pytest.mark.parametrize("hits", [False, True])
@pytest.mark.parametrize("oversample", [1, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_equals_the_whole_signal_master(hits: bool, oversample: int, dtype: type) -> None:
    x = _signal(SR * 2 + 11, 2, hits=hits, dtype=dtype, seed=7)
    for target in (-14.0, -8.0):  # -8 LUFS drives the limiter hard, with a final trim
        got, stats = limiter.normalize(x, SR, target_lufs=target, oversample=oversample)
        want, want_stats = _ref_normalize(x, SR, target, oversample)
        assert got.dtype == np.float32 and np.array_equal(got, want)
        assert astuple(stats) == want_stats


def _ref_curve(
    plan: RenderPlan, value: Callable[[WindowPlan], float], frames: int, sr: int
) -> np.ndarray:
    spans = mix._spans(plan, frames, sr)
    half = 0.020 * sr / 2
    xs, ys = [0.0], [value(spans[0][2])]
    for (_, _, prev), (a, _, cur) in itertools.pairwise(spans):
        xs += [a - half, a + half]
        ys += [value(prev), value(cur)]
    xs.append(float(frames))
    ys.append(value(spans[-1][2]))
    return np.interp(np.arange(frames), xs, ys)


def _plan() -> RenderPlan:
    windows = tuple(
        WindowPlan(
            i, i * 0.5, (i + 1) * 0.5, "verse", 0.2 * i, 0.0, 0.0,
            (("drums", FxSettings(reverb_send=0.1 + 0.15 * i, comp=0.3)),),
        )
        for i in range(4)
    )  # fmt: skip
    return RenderPlan(windows)


def test_mix_curves_and_sends_equal_the_whole_song_arithmetic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan, frames = _plan(), SR * 2
    send_of = lambda w: w.fx_for("drums").reverb_send  # noqa: E731
    want_send = _ref_curve(plan, send_of, frames, SR)
    assert np.array_equal(mix.envelope(plan, send_of, frames, SR), want_send)
    x = _signal(frames, 2, hits=True, dtype=np.float32, seed=9)
    kit = _signal(frames, 2, hits=True, dtype=np.float32, seed=10)
    out, send = mix.process_stem("drums", x, SR, plan, kit_track=kit)
    assert np.array_equal(send, (out * want_send[:, None]).astype(np.float32))
    # One chunk as long as the song is the whole-song arithmetic of the kit blend.
    monkeypatch.setattr(mix, "_CHUNK", frames)
    whole, whole_send = mix.process_stem("drums", x, SR, plan, kit_track=kit)
    assert np.array_equal(out, whole) and np.array_equal(send, whole_send)
    no_kit, _ = mix.process_stem("drums", x, SR, plan)
    assert not np.array_equal(out, no_kit)  # the kit was blended in


def test_limiter_gain_per_chunk_equals_one_interpolation(monkeypatch: pytest.MonkeyPatch) -> None:
    env = np.abs(_signal(SR * 2 + 3, 1, hits=True, dtype=np.float64, seed=11)[:, 0]) * 3.0
    chunked = limiter_gain(env, 0.8, SR)
    monkeypatch.setattr(limiter, "_CHUNK", env.size)  # one np.interp over every frame
    whole = limiter_gain(env, 0.8, SR)
    assert chunked.min() < 1.0 and np.array_equal(chunked, whole)
