"""DSP audio features respond to the sound; CLAP is chosen only when configured, else DSP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from music.errors import ChromaticError, InputError
from scoring.audio_features import (
    AUDIO_NAMES,
    CLAP_ENV,
    N_AUDIO,
    ClapAudioEncoder,
    ClapConfigError,
    DspAudioEncoder,
    audio_encoder_from_config,
    audio_features,
    clap_checkpoint_from_env,
)

SR = 22_050
IDX = {name: i for i, name in enumerate(AUDIO_NAMES)}


def _sine(freq: float, seconds: float = 2.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _clicks(per_second: float, seconds: float = 4.0) -> np.ndarray:
    y = np.zeros(int(SR * seconds), dtype=np.float32)
    rng = np.random.default_rng(0)
    step = int(SR / per_second)
    for start in range(0, y.size - 600, step):
        y[start : start + 600] = rng.normal(0, 0.5, 600) * np.exp(-np.arange(600) / 120)
    return y


def test_shape_range_and_names() -> None:
    f = audio_features(_sine(440.0), SR)
    assert len(AUDIO_NAMES) == N_AUDIO == 32
    assert f.shape == (N_AUDIO,) and f.dtype == np.float32
    assert np.all(np.isfinite(f)) and f.min() >= 0.0 and f.max() <= 1.5


def test_features_follow_the_sound() -> None:
    low, high = audio_features(_sine(110.0), SR), audio_features(_sine(3520.0), SR)
    assert high[IDX["centroid"]] > 5 * low[IDX["centroid"]]
    assert low[IDX["low_share"]] > 0.9 and high[IDX["mid_share"]] > 0.9
    a440 = audio_features(_sine(440.0), SR)
    chroma = a440[IDX["chroma_0"] : IDX["chroma_0"] + 12]
    assert int(np.argmax(chroma)) == 9  # A
    noise = np.random.default_rng(1).normal(0, 0.3, SR * 2).astype(np.float32)
    assert audio_features(noise, SR)[IDX["flatness"]] > 10 * a440[IDX["flatness"]]
    sparse, busy = audio_features(_clicks(2.0), SR), audio_features(_clicks(8.0), SR)
    assert busy[IDX["onset_rate"]] > 2 * sparse[IDX["onset_rate"]]
    assert sparse[IDX["onset_rate"]] == pytest.approx(0.2, abs=0.05)
    assert a440[IDX["harmonic_share"]] > 0.9 > 0.5 > busy[IDX["harmonic_share"]]
    quiet = audio_features(_sine(440.0, amp=0.01), SR)
    assert quiet[IDX["rms_db"]] < a440[IDX["rms_db"]]
    stereo = np.stack([_sine(440.0), _sine(440.0)])
    np.testing.assert_allclose(audio_features(stereo, SR), a440, atol=1e-5)


@pytest.mark.parametrize(
    ("samples", "sr", "match"),
    [
        (np.zeros(SR, dtype=np.float32), SR, "silent"),
        (np.zeros(0, dtype=np.float32), SR, "at least"),
        (_sine(440.0, seconds=0.1), SR, "at least"),
        (np.full(SR, np.nan, dtype=np.float32), SR, "finite"),
        (np.zeros((2, 2, SR), dtype=np.float32), SR, "shape"),
        (_sine(440.0), 0, "sample rate"),
    ],
)
def test_bad_audio_is_a_clear_error(samples: np.ndarray, sr: int, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        audio_features(samples, sr)
    assert info.value.field == "audio"


def test_dsp_is_the_default_when_nothing_is_configured() -> None:
    encoder = audio_encoder_from_config(env={})
    assert isinstance(encoder, DspAudioEncoder) and encoder.dim == N_AUDIO
    np.testing.assert_array_equal(encoder.embed(_sine(440.0), SR), audio_features(_sine(440.0), SR))
    assert isinstance(audio_encoder_from_config(env={CLAP_ENV: "   "}), DspAudioEncoder)


def test_env_path_is_read() -> None:
    assert clap_checkpoint_from_env({CLAP_ENV: "~/clap.pt"}) == Path("~/clap.pt").expanduser()
    assert clap_checkpoint_from_env({}) is None


def test_configured_but_missing_checkpoint_never_falls_back(tmp_path: Path) -> None:
    missing = tmp_path / "clap.pt"
    with pytest.raises(ClapConfigError, match=CLAP_ENV) as info:
        audio_encoder_from_config(env={CLAP_ENV: str(missing)})
    assert "no such file" in str(info.value) and isinstance(info.value, ChromaticError)


def test_clap_without_the_package_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = tmp_path / "clap.pt"
    checkpoint.write_bytes(b"weights")
    # laion_clap is an optional extra: in this environment it is not installed.
    monkeypatch.setitem(__import__("sys").modules, "laion_clap", None)
    with pytest.raises(ClapConfigError, match="laion_clap package is not installed") as info:
        audio_encoder_from_config(checkpoint)
    assert CLAP_ENV in str(info.value)
    monkeypatch.delenv(CLAP_ENV, raising=False)
    with pytest.raises(ClapConfigError, match="not set"):
        ClapAudioEncoder()
