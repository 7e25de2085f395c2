"""render.spectral (plain numpy) computes what librosa computes with the analysis's settings,
so the render can leave librosa, and its numba compile on first use, off its path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest

from render import spectral

N_FFT, HOP = 2048, 1024


def _signal(sr: int, seconds: float, seed: int) -> np.ndarray:
    """Gated tones and noise bursts: onsets at irregular times, silence between."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    gate = np.zeros_like(t)
    for start in np.sort(rng.uniform(0, seconds - 0.3, size=12)):
        gate[(t >= start) & (t < start + rng.uniform(0.05, 0.3))] = rng.uniform(0.2, 1.0)
    tone = np.sin(2 * np.pi * rng.uniform(80, 900) * t) + 0.3 * rng.standard_normal(t.size)
    return (0.4 * gate * tone).astype(np.float32)


@pytest.mark.parametrize(("sr", "seed"), [(44100, 0), (44100, 1), (48000, 2), (22050, 3)])
def test_every_step_equals_librosa(sr: int, seed: int) -> None:
    y = _signal(sr, 5.7, seed)
    ref = librosa.stft(y, n_fft=N_FFT, hop_length=HOP)
    ours = spectral.stft(y, n_fft=N_FFT, hop=HOP)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    np.testing.assert_allclose(ours, ref, atol=1e-5 * np.abs(ref).max())

    rms = librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP)[0].astype(np.float64)
    ms = spectral.frame_mean_square(y, frame_length=N_FFT, hop=HOP)
    np.testing.assert_allclose(ms, rms**2, rtol=1e-4, atol=1e-12)
    np.testing.assert_array_equal(
        spectral.fft_frequencies(sample_rate=sr, n_fft=N_FFT),
        librosa.fft_frequencies(sr=sr, n_fft=N_FFT),
    )

    mel_ref = librosa.filters.mel(sr=sr, n_fft=N_FFT, n_mels=64)
    mel = spectral.mel_filters(sample_rate=sr, n_fft=N_FFT, n_mels=64)
    np.testing.assert_allclose(mel, mel_ref, atol=1e-6 * mel_ref.max())

    power = np.abs(ref) ** 2
    db_ref = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=64))
    db = spectral.power_to_db(mel @ power)
    np.testing.assert_allclose(db, db_ref, atol=1e-3)

    env_ref = librosa.onset.onset_strength(S=db_ref, sr=sr)
    env = spectral.onset_strength(db)
    np.testing.assert_allclose(env, env_ref, atol=1e-4)

    onsets_ref = librosa.onset.onset_detect(onset_envelope=env_ref, sr=sr, hop_length=HOP)
    onsets = spectral.onset_frames(env, sample_rate=sr, hop=HOP)
    assert len(onsets_ref) >= 5
    np.testing.assert_array_equal(onsets, onsets_ref)


def test_silence_and_a_flat_envelope_have_no_onsets() -> None:
    assert spectral.onset_frames(np.zeros(50), sample_rate=44100, hop=HOP).size == 0
    assert spectral.onset_frames(np.full(50, 3.0), sample_rate=44100, hop=HOP).size == 0
    assert spectral.onset_frames(np.empty(0), sample_rate=44100, hop=HOP).size == 0


def test_the_analysis_imports_neither_librosa_nor_numba() -> None:
    code = (
        "import sys, numpy as np\n"
        "from render.analysis import analyze_stems\n"
        "from music.meter import Meter\n"
        "t = np.arange(44100 * 4) / 44100\n"
        "y = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.floor(t * 4) % 2)).astype(np.float32)\n"
        "a = analyze_stems({'chords': y}, 44100, bpm=120, meter=Meter(4, 4))\n"
        "assert a.windows[0].mix.density > 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('librosa', 'numba')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
