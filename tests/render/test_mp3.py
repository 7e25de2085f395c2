"""The MP3 master holds -1 dBTP after decoding: measured on the decoded file with an
independent 4x oversampler (scipy's resample_poly), on a loud, limited signal whose plain
encode overshoots the margin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from render.audio_io import decode_audio, write_audio
from render.limiter import normalize
from render.loudness import integrated_loudness
from render.mp3 import MP3_MARGIN_DB, write_mp3_master

SR = 44100
CEILING = -1.0


def _dbtp(audio: np.ndarray) -> float:
    """True peak (dBTP) by 4x polyphase oversampling, channel by channel."""
    up = resample_poly(np.asarray(audio, dtype=np.float64), 4, 1, axis=0)
    return float(20 * np.log10(max(np.abs(up).max(), np.abs(audio).max())))


def _loud_mix(seconds: float = 6.0) -> np.ndarray:
    """Kick, hats and a pad: transients the limiter has to work on (4-5 dB of reduction)."""
    rng = np.random.default_rng(3)
    n = round(seconds * SR)
    t = np.arange(n) / SR
    kick = np.zeros(n)
    for k in range(0, n, SR // 2):
        m = np.arange(min(6000, n - k))
        sweep = 50 + 100 * np.exp(-m / 400)
        kick[k : k + m.size] += np.sin(2 * np.pi * sweep * m / SR) * np.exp(-m / 2500)
    hats = np.zeros(n)
    for k in range(SR // 4, n, SR // 4):
        m = np.arange(min(1500, n - k))
        hats[k : k + m.size] += rng.standard_normal(m.size) * np.exp(-m / 150) * 0.5
    pad = 0.2 * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    left, right = kick + hats + pad, kick + 0.7 * np.roll(hats, 50) + pad
    return (0.3 * np.stack([left, right], axis=1)).astype(np.float32)


def _master(bus: np.ndarray, ceiling: float) -> np.ndarray:
    return normalize(bus, SR, target_lufs=-14.0, ceiling_dbtp=ceiling)[0]


def test_the_decoded_mp3_stays_under_the_ceiling(tmp_path: Path) -> None:
    bus = _loud_mix()
    mastered = _master(bus, CEILING)
    # The plain encode of this master overshoots what the MP3 must hold (so the test needs
    # the ceiling to be held on the decoded file).
    plain, _ = decode_audio(write_audio(tmp_path / "plain.mp3", mastered, SR))
    assert _dbtp(plain) > CEILING - MP3_MARGIN_DB
    path = tmp_path / "mix.mp3"
    stats = write_mp3_master(
        path, mastered, SR, ceiling_dbtp=CEILING, remaster=lambda c: _master(bus, c)
    )
    decoded, sr = decode_audio(path)
    assert sr == SR
    measured = _dbtp(decoded)
    assert measured < CEILING
    assert measured <= CEILING - MP3_MARGIN_DB + 0.02  # our oversampler vs scipy's
    assert stats.true_peak_dbtp == pytest.approx(measured, abs=0.05)
    assert stats.attempts >= 2 and stats.ceiling_dbtp < CEILING
    # The loudness is held (the limiter works harder; the level does not drop).
    assert integrated_loudness(decoded, sr) == pytest.approx(-14.0, abs=0.3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mix.mp3", "plain.mp3"]


def test_a_master_already_under_the_ceiling_is_encoded_once(tmp_path: Path) -> None:
    quiet = _master(_loud_mix(), -6.0)
    calls: list[float] = []

    def remaster(c: float) -> np.ndarray:
        calls.append(c)
        return quiet

    stats = write_mp3_master(tmp_path / "q.mp3", quiet, SR, ceiling_dbtp=CEILING, remaster=remaster)
    assert stats.attempts == 1 and not calls
    assert _dbtp(decode_audio(tmp_path / "q.mp3")[0]) < CEILING - MP3_MARGIN_DB
