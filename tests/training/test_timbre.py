"""The DDSP timbre's training path: the torch synthesizer matches the runtime's numpy one, a
tiny model trains on a clip made here (its loss falls), exports to ONNX with a sidecar that
matches torch within 1e-4, and loads and plays in the runtime."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from typer.testing import CliRunner

from cli.app import app
from inference.onnx import OnnxModel
from music.notes import Note, Part
from render.ddsp import (
    HOP,
    SAMPLE_RATE,
    DdspTimbre,
    Loudness,
    harmonic_audio,
    noise_audio,
    noise_spectrum,
)
from training.timbre import synth
from training.timbre.export import PARITY_TOLERANCE, ExportParityError, check_parity, export_onnx
from training.timbre.features import Clip, trimmed
from training.timbre.model import TimbreConfig, TimbreDecoder
from training.timbre.train import TrainConfig, main


def test_torch_synthesizer_matches_the_runtime() -> None:
    rng = np.random.default_rng(3)
    frames, harmonics, bands = 40, 12, 8
    f0 = np.linspace(180.0, 620.0, frames).astype(np.float32)
    amps = rng.uniform(0, 0.1, size=(frames, harmonics)).astype(np.float32)
    mags = rng.uniform(0, 1, size=(frames, bands)).astype(np.float32)
    spectrum = noise_spectrum(rng, frames)
    want = harmonic_audio(f0, amps) + noise_audio(mags, spectrum)
    got = synth.harmonic_audio(
        torch.from_numpy(f0)[None], torch.from_numpy(amps)[None]
    ) + synth.noise_audio(
        torch.from_numpy(mags)[None], torch.from_numpy(spectrum.astype(np.complex64))[None]
    )
    assert got.shape == (1, frames * HOP)
    assert np.max(np.abs(got[0].numpy() - want)) < 1e-4 * max(1.0, np.abs(want).max())


def test_config_round_trip() -> None:
    cfg = TimbreConfig(harmonics=8, noise_bands=4, hidden=16, loudness_mean=-33.5)
    assert TimbreConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_trimming_drops_the_quiet_ends_only() -> None:
    loud = np.array([-90, -80, -30, -20, -60, -25, -65, -85, -95], dtype=np.float32)
    n = loud.shape[0]
    clip = Clip(
        np.arange(n * HOP, dtype=np.float32),
        np.full(n, 440.0, dtype=np.float32),
        loud,
        np.ones(n, dtype=bool),
    )
    kept = trimmed(clip, top_db=50.0)
    assert kept.loudness_db.tolist() == [-30, -20, -60, -25, -65]
    assert kept.audio[0] == 2 * HOP and kept.audio.shape[0] == 5 * HOP


def _clip(path: Path) -> Path:
    """Two seconds of a buzzy tone stepping through three pitches, with a breath of noise."""
    t = np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE
    f0 = np.select([t < 0.7, t < 1.4], [220.0, 330.0], 262.0)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k for k in range(1, 9))
    env = np.minimum(1.0, np.minimum(t, 2.0 - t) * 20)
    noise = np.random.default_rng(0).standard_normal(t.shape) * 0.01
    sf.write(path, (0.2 * tone * env + noise).astype(np.float32), SAMPLE_RATE)
    return path


def test_tiny_training_exports_a_model_the_runtime_plays(tmp_path: Path) -> None:
    losses: list[float] = []
    config = TrainConfig(
        audio=_clip(tmp_path / "tone.wav"),
        out=tmp_path / "model",
        epochs=12,
        shifts=(0.0, 3.0),
        window=16,
        batch=4,
        model=TimbreConfig(harmonics=12, noise_bands=8, hidden=16),
    )
    summary = main(config, on_epoch=lambda e, loss: losses.append(loss))
    assert len(losses) == 12
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    assert np.isfinite(summary["held_out_loss"]) and np.isfinite(summary["held_out_loss_untrained"])
    frames = summary["frames"]
    assert frames["held_out"] == round(0.15 * (frames["train"] + frames["held_out"]))

    onnx_path = tmp_path / "model" / "timbre.onnx"
    side = json.loads(onnx_path.with_suffix(".json").read_text())
    assert side["model"] == "ddsp_timbre"
    assert side["config"]["harmonics"] == 12
    assert side["parity_max_abs"] <= PARITY_TOLERANCE
    loud = side["loudness"]
    assert loud["floor_db"] <= loud["quiet_db"] < loud["loud_db"]

    session = OnnxModel.load(onnx_path)
    f0 = np.full((1, 30), 300.0, dtype=np.float32)
    level = np.linspace(-60, -20, 30, dtype=np.float32)[None]
    harm = session.run({"f0_hz": f0, "loudness_db": level})["harmonics"]
    assert harm.shape == (1, 30, 12)
    assert np.all(harm[0, :, 300 * np.arange(1, 13) >= SAMPLE_RATE / 2] == 0)

    timbre = DdspTimbre.load(onnx_path)
    part = Part("melody", (Note(0.0, 1.0, 60, 100), Note(1.0, 2.0, 64, 60)), program=56)
    stem = timbre.render_part(part, 120.0, 44100, 1.5)
    assert stem.shape == (round(1.5 * 44100), 2)
    assert np.all(stem[:, 0] == stem[:, 1])
    assert np.abs(stem[:44100]).max() > 0


def test_parity_check_catches_a_different_model(tmp_path: Path) -> None:
    cfg = TimbreConfig(harmonics=6, noise_bands=4, hidden=8)
    torch.manual_seed(0)
    model = TimbreDecoder(cfg)
    path, parity = export_onnx(model, tmp_path / "t.onnx", loudness=Loudness(-40, -20, -80))
    assert parity <= PARITY_TOLERANCE
    other = TimbreDecoder(cfg)
    try:
        check_parity(other, path)
    except ExportParityError as exc:
        assert "differs from torch" in str(exc)
    else:
        raise AssertionError("a decoder with other weights passed the parity check")


def test_cli_train_timbre_without_the_recording_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "none.wav"
    args = ["train", "timbre", "--audio", str(missing), "--out", str(tmp_path / "m")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--audio" in result.output and "none.wav" in result.output
    assert not (tmp_path / "m").exists()


def test_cli_train_timbre_writes_the_model_and_says_its_losses(tmp_path: Path) -> None:
    args = ["train", "timbre", "--audio", str(_clip(tmp_path / "tone.wav"))]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "m"), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert "held-out spectral loss" in result.output
    side = json.loads((tmp_path / "m" / "timbre.json").read_text())
    assert side["metrics"]["epochs"] == 1
    assert DdspTimbre.load(tmp_path / "m" / "timbre.onnx").loudness.loud_db == pytest.approx(
        side["loudness"]["loud_db"]
    )
