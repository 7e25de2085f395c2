"""BS.1770-4 loudness and true peak against the standard's own numbers and EBU Tech 3341."""

from __future__ import annotations

import numpy as np
import pytest

from render.errors import RenderError
from render.limiter import (
    BLOCK,
    _block_peaks,
    fast_limiter_gain,
    frame_peaks,
    gain_then_limit,
    limiter_gain,
    normalize,
)
from render.loudness import (
    integrated_loudness,
    k_weighting,
    rms_db,
    sample_peak_db,
    true_peak_db,
)

SR = 48000


def sine(freq: float, seconds: float, dbfs: float, sr: int = SR, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + phase)


def stereo(x: np.ndarray) -> np.ndarray:
    return np.stack([x, x], axis=1)


def test_k_weighting_matches_the_standards_48k_table() -> None:
    b1, a1, b2, a2 = k_weighting(48000)
    np.testing.assert_allclose(
        b1, [1.53512485958697, -2.69169618940638, 1.19839281085285], atol=1e-9
    )
    np.testing.assert_allclose(a1, [1.0, -1.69065929318241, 0.73248077421585], atol=1e-9)
    np.testing.assert_allclose(b2, [1.0, -2.0, 1.0])
    np.testing.assert_allclose(a2, [1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_full_scale_997hz_sine_in_one_channel_reads_minus_3_01(sr: int) -> None:
    assert integrated_loudness(sine(997, 10, 0.0, sr), sr) == pytest.approx(-3.01, abs=0.05)
    assert integrated_loudness(sine(997, 10, -20.0, sr), sr) == pytest.approx(-23.01, abs=0.05)


@pytest.mark.parametrize("dbfs", [-23.0, -33.0])
def test_ebu_3341_cases_1_and_2_stereo_1k_sine(dbfs: float) -> None:
    assert integrated_loudness(stereo(sine(1000, 20, dbfs)), SR) == pytest.approx(dbfs, abs=0.1)


def test_ebu_3341_case_3_and_4_relative_and_absolute_gates() -> None:
    parts = [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)]
    x = np.concatenate([sine(1000, s, d) for d, s in parts])
    assert integrated_loudness(stereo(x), SR) == pytest.approx(-23.0, abs=0.1)
    # without the gates the quiet parts would pull the reading well below -23
    ungated = 10 * np.log10(np.mean(stereo(x) ** 2) * 2) - 0.691
    assert ungated < -24.0


def test_ebu_3341_case_5_blocks_above_the_relative_gate_all_count() -> None:
    x = np.concatenate([sine(1000, 20, -26), sine(1000, 20.1, -20), sine(1000, 20, -26)])
    assert integrated_loudness(stereo(x), SR) == pytest.approx(-23.0, abs=0.1)


def test_silence_and_short_audio_read_minus_infinity() -> None:
    assert integrated_loudness(np.zeros((SR, 2)), SR) == -np.inf
    assert integrated_loudness(sine(1000, 0.2, -10), SR) == -np.inf
    assert rms_db(np.zeros(10)) == -np.inf


def test_true_peak_finds_the_peak_between_samples() -> None:
    # fs/4 at 45 degrees: every sample is +-0.707 (-3.01 dBFS), the waveform peaks at 1.0
    x = sine(SR / 4, 1.0, 0.0, phase=np.pi / 4)
    assert sample_peak_db(x) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_db(x) == pytest.approx(0.0, abs=0.2)


def test_normalize_hits_the_target_under_the_ceiling() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(10 * SR) / SR
    # a quiet tone with loud clicks: reaching -14 LUFS needs the limiter
    x = 0.05 * np.sin(2 * np.pi * 220 * t)
    x[rng.integers(0, x.size, 40)] = 0.9
    y, stats = normalize(stereo(x), SR, target_lufs=-14.0, ceiling_dbtp=-1.0)
    assert integrated_loudness(y, SR) == pytest.approx(-14.0, abs=0.2)
    assert true_peak_db(y) < -1.0
    assert stats.max_reduction_db > 3.0  # the clicks were limited, not the whole signal


def test_preview_level_with_heavy_limiting_stays_within_half_an_lu_of_the_target() -> None:
    """A preview-like mix (a soft pad, loud drum-like bursts) pushed to targets that make the
    limiter work harder and harder: the one-pass estimate holds the loudness as measured
    within 0.5 LU and the sample peak under the ceiling."""
    rng = np.random.default_rng(4)
    t = np.arange(12 * SR) / SR
    x = 0.02 * np.sin(2 * np.pi * 110 * t) + 0.01 * np.sin(2 * np.pi * 330 * t)
    for start in rng.integers(0, x.size - 2000, 30):
        x[start : start + 2000] += 0.8 * np.exp(-np.arange(2000) / 300) * rng.uniform(-1, 1, 2000)
    for target in (-20.0, -16.0, -12.0, -9.0):
        y = gain_then_limit(x.astype(np.float32), SR, target_lufs=target, ceiling_db=-1.0)
        assert integrated_loudness(y, SR) == pytest.approx(target, abs=0.5)
        assert 20 * np.log10(np.abs(y).max()) < -1.0


def test_fast_limiter_gain_gives_the_loops_gains() -> None:
    """The numpy limiter of previews equals the per-block loops of the master to within float
    rounding, and both hold the ceiling."""
    rng = np.random.default_rng(5)
    for frames in (10, 1000, 5 * SR + 17):
        env = np.abs(rng.standard_normal(frames)) * 0.3
        env[rng.integers(0, frames, 1 + frames // 5000)] = 3.0
        loops = limiter_gain(env, 0.8, SR)
        fast = fast_limiter_gain(env, 0.8, SR)
        assert fast.shape == loops.shape
        np.testing.assert_allclose(fast, loops, rtol=0, atol=1e-9)
        assert (env * fast).max() <= 0.8 + 1e-9
    assert np.array_equal(fast_limiter_gain(np.full(100, 0.1), 0.8, SR), np.ones(100))


def test_preview_level_hits_the_target_within_1_lu_and_keeps_the_ceiling() -> None:
    t = np.arange(5 * SR) / SR
    quiet = stereo(0.01 * np.sin(2 * np.pi * 220 * t))  # -16 LUFS needs no limiting
    y = gain_then_limit(quiet, SR, target_lufs=-16.0)
    assert y.dtype == np.float32
    assert integrated_loudness(y, SR) == pytest.approx(-16.0, abs=0.05)
    rng = np.random.default_rng(0)
    clicks = 0.05 * np.sin(2 * np.pi * 220 * t)
    clicks[rng.integers(0, clicks.size, 40)] = 0.9
    y = gain_then_limit(stereo(clicks), SR, target_lufs=-10.0, ceiling_db=-1.0)
    assert 20 * np.log10(np.abs(y).max()) < -1.0  # the clicks were limited
    # the loudness the limiter took away is made up for by a gain or two more, estimated from
    # one pass of the K filter: the file as measured is within 0.5 LU of the target
    assert integrated_loudness(y, SR) == pytest.approx(-10.0, abs=0.5)
    with pytest.raises(RenderError, match="silent"):
        gain_then_limit(np.zeros((SR, 2)), SR, target_lufs=-16.0)


def _imports_scipy_signal(code: str) -> bool:
    """Whether ``code`` (numpy imported as np) imports ``scipy.signal``, in a fresh process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = f"import sys, numpy as np\n{code}print('scipy.signal' in sys.modules)\n"
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root, env=env
    )
    return done.stdout.strip() == "True"


def test_k_filter_gives_scipy_lfilters_samples_without_importing_scipy_signal() -> None:
    """The K filter runs scipy's own IIR routine, loaded without ``scipy.signal`` (whose
    import costs seconds): in a fresh process a preview's loudness leaves ``scipy.signal``
    unimported, and the filtered samples are byte for byte ``scipy.signal.lfilter``'s."""
    assert not _imports_scipy_signal(
        "from render.loudness import integrated_loudness\n"
        "integrated_loudness(np.ones((44100, 2), np.float32) * 0.1, 44100)\n"
    )

    from scipy import signal

    from render.loudness import k_weighted, k_weighting

    rng = np.random.default_rng(3)
    for sr in (22050, 44100, 48000):
        audio = rng.standard_normal((2, sr)) * rng.choice([1e-6, 0.5, 1.0], size=(2, 1))
        b1, a1, b2, a2 = k_weighting(sr)
        expected = signal.lfilter(b2, a2, signal.lfilter(b1, a1, audio, axis=1), axis=1)
        assert k_weighted(audio, sr).tobytes() == expected.tobytes()


def test_true_peak_gives_upfirdns_samples_without_importing_scipy_signal() -> None:
    """A master's true peak runs scipy's own polyphase routine with the taps ``firwin``
    designs, both had without ``scipy.signal``: in a fresh process the envelope leaves
    ``scipy.signal`` unimported, and the taps, the oversampled samples and the envelope are
    byte for byte what ``scipy.signal.firwin`` and ``upfirdn`` give."""
    assert not _imports_scipy_signal(
        "from render.loudness import true_peak_db\n"
        "true_peak_db(np.ones((44100, 2), np.float32) * 0.1)\n"
    )

    from scipy import signal

    from render.loudness import _interpolator, _upsampled, peak_envelope

    for oversample in (2, 4, 8):
        designed = signal.firwin(12 * oversample + 1, 1.0 / oversample, window=("kaiser", 7.0))
        taps = _interpolator(oversample)
        assert taps.tobytes() == (designed * oversample).astype(np.float32).tobytes()
    taps = _interpolator(4)
    rng = np.random.default_rng(5)
    audio = (rng.standard_normal((70_000, 2)) * 0.4).astype(np.float32)
    for x in (audio.T, audio.T[:1, 123:4567], np.ascontiguousarray(audio.T[:, :999])):
        expected = signal.upfirdn(taps, x, up=4, axis=1)
        got = _upsampled(taps, x, 4)
        assert got.dtype == expected.dtype
        assert got.tobytes() == expected.tobytes()
    # The envelope as it was computed with scipy.signal.upfirdn, chunk by chunk.
    channels = audio.T
    up = signal.upfirdn(taps, channels, up=4, axis=1)[:, 24 : 24 + 4 * len(audio)]
    reference = np.abs(up).reshape(2, len(audio), 4).max(axis=(0, 2))
    reference = np.maximum(reference, np.abs(channels).max(axis=0))
    assert peak_envelope(audio).tobytes() == reference.tobytes()


def test_block_peaks_commute_with_a_gain_float_for_float() -> None:
    """The preview leveller reads the blocks' peaks once and scales them for every gain it
    tries: the same floats as the peaks of the scaled envelope."""
    rng = np.random.default_rng(6)
    for _ in range(50):
        env = rng.random(int(rng.integers(1, 5000))) ** 3
        for g in rng.uniform(0.01, 30.0, 5):
            assert np.array_equal(_block_peaks(env * g), _block_peaks(env) * g)


def test_block_peaks_are_each_blocks_maximum() -> None:
    """The peaks folded half onto half are numpy's maximum over each block, the last block
    padded with zeros, for any length."""
    rng = np.random.default_rng(7)
    for frames in (1, 31, 32, 33, 64, 1000, 4097, *rng.integers(1, 20000, 20).tolist()):
        env = rng.random(frames) ** 3
        blocks = -(-frames // BLOCK)
        padded = np.zeros(blocks * BLOCK)
        padded[:frames] = env
        expected = padded.reshape(blocks, BLOCK).max(axis=1)
        got = _block_peaks(env)
        assert got.flags.c_contiguous
        assert got.tobytes() == expected.tobytes()


def test_frame_peaks_are_the_reduction_along_channels() -> None:
    rng = np.random.default_rng(2)
    for channels in (1, 2, 3):
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((1000, channels)).astype(dtype)
            got = frame_peaks(x)
            assert got.dtype == dtype
            assert np.array_equal(got, np.abs(x).max(axis=1))
