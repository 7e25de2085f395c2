"""The emotion model's weak labels, its person-labelled catalogue (format, errors, fine-tuning
with held-out correlation) and the train/eval commands on a tiny catalogue built here."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from typer.testing import CliRunner

from cli.app import app
from music.errors import InputError
from music.notes import Note
from render.audio_io import READ_ALLOWED, READ_SUFFIXES
from scoring.emotion.midi import weak_label
from tests.render.test_audio_read import write_tone
from training.emotion.catalogue import catalogue_features, read_catalogue
from training.emotion.model import EmotionNet
from training.emotion.run import sanity_table
from training.emotion.train import load_weights, save_weights

SR = 22050


def _chord_notes(third: int, step: float, velocity: int) -> list[Note]:
    notes = []
    t = 0.0
    while t < 16.0:
        for offset in (0, third, 7, 12):
            notes.append(Note(t, t + step, 60 + offset, velocity))
            t += step
    return notes


def test_weak_labels_follow_mode_tempo_density_and_loudness() -> None:
    calm = weak_label(_chord_notes(4, 1.0, 50), bpm=70, length_qn=16)
    tense = weak_label(_chord_notes(3, 0.25, 115), bpm=160, length_qn=16)
    assert calm.valence > 0.3 > -0.3 > tense.valence
    assert tense.arousal > 0.3 > -0.3 > calm.arousal
    with pytest.raises(ValueError, match="notes"):
        weak_label([], bpm=100, length_qn=4)


def _tone_clip(third: int, notes_per_s: float, level: float, seed: int) -> np.ndarray:
    """Arpeggiated triads on A (major or minor third), at a rate and a level."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(3.0 * SR)) / SR
    y = np.zeros_like(t)
    pitches = [57, 57 + third, 64, 69]
    step = 1.0 / notes_per_s
    for i, start in enumerate(np.arange(0.0, 3.0, step)):
        f = 440.0 * 2 ** ((pitches[i % 4] - 69) / 12)
        env = np.clip((t - start) / 0.01, 0, 1) * np.exp(-np.maximum(t - start, 0) * 4)
        env[t < start] = 0
        y += env * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t))
    y += rng.normal(scale=0.002, size=y.size)
    return (level * y / np.max(np.abs(y))).astype(np.float32)


def _catalogue(folder: Path, n: int = 20) -> Path:
    """A person's catalogue: clips they rated, valence by mode, arousal by rate and level."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["file,valence,arousal"]
    rng = np.random.default_rng(7)
    for i in range(n):
        major = i % 2 == 0
        energy = float(rng.uniform(-0.9, 0.9))
        rate = 1.5 * 4 ** ((energy + 1) / 2)  # 1.5 .. 6 notes a second
        level = 0.05 + 0.9 * (energy + 1) / 2
        name = f"clip{i:02d}.wav"
        soundfile.write(folder / name, _tone_clip(4 if major else 3, rate, level, i), SR)
        valence = (0.6 if major else -0.6) + float(rng.uniform(-0.2, 0.2))
        rows.append(f"{name},{valence:.2f},{energy:.2f}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _base(folder: Path) -> Path:
    torch.manual_seed(0)
    save_weights(EmotionNet(), folder / "emotion.npz")
    return folder


def test_fine_tune_on_a_catalogue_learns_its_labels(tmp_path: Path) -> None:
    cat = _catalogue(tmp_path / "cat")
    base = _base(tmp_path / "base")
    args = ["train", "emotion", "--dataset", str(cat), "--model", str(base), "--epochs", "40"]
    runs = [CliRunner().invoke(app, [*args, "--out", str(tmp_path / name)]) for name in ("a", "b")]
    for res in runs:
        assert res.exit_code == 0, res.output
    out = runs[0].output
    after = out.split("held-out after:")[1]
    arousal_r = float(after.split("arousal r")[1].split()[0])
    assert arousal_r > 0.8, out
    # Same seed, same model.
    a = np.load(tmp_path / "a" / "emotion.npz")
    b = np.load(tmp_path / "b" / "emotion.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a.files)
    assert load_weights(tmp_path / "a" / "emotion.npz") is not None
    res = CliRunner().invoke(
        app,
        [
            "eval", "emotion", "--model", str(tmp_path / "a"), "--dataset", str(cat),
            "--recordings", str(cat),
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "held-out-before" in res.output and "clip19.wav" in res.output


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        (None, "labels.csv"),
        ("name,v,a\n", "header"),
        ("file,valence,arousal\nclip00.wav,1.5,0\n", "line 2: valence: '1.5' -- a number in -1..1"),
        ("file,valence,arousal\nclip00.wav,0.1,calm\n", "line 2: arousal: 'calm'"),
        ("file,valence,arousal\nmissing.wav,0,0\n", "line 2: file: 'missing.wav'"),
        (
            "file,valence,arousal\nclip00.caf,0,0\n",
            f"labels.csv: line 2: file: 'clip00.caf' -- an existing audio file ({READ_ALLOWED})",
        ),
        ("file,valence,arousal\n../x.wav,0,0\n", "inside the catalogue folder"),
        ("file,valence,arousal\nclip00.wav,0,0\nclip00.wav,0,0\n", "each file once"),
        ("file,valence,arousal\nclip00.wav,0,0\n", "at least 5"),
    ],
)
def test_bad_catalogue_is_one_clear_error(tmp_path: Path, csv: str | None, message: str) -> None:
    cat = tmp_path / "cat"
    cat.mkdir()
    soundfile.write(cat / "clip00.wav", _tone_clip(4, 2.0, 0.5, 0), SR)
    soundfile.write(cat / "clip00.caf", _tone_clip(4, 2.0, 0.5, 0), SR)
    if csv is not None:
        (cat / "labels.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        read_catalogue(cat)
    res = CliRunner().invoke(
        app, ["train", "emotion", "--dataset", str(cat), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2
    assert "labels.csv" in res.output or "labels.csv" in str(res.stderr_bytes or b"")


def test_a_catalogue_takes_every_readable_format(tmp_path: Path) -> None:
    """A clip per ending of READ_SUFFIXES (MP3 and AIFF among them): every row is read and each
    recording decodes to its window features."""
    rows = ["file,valence,arousal"]
    for i, suffix in enumerate(READ_SUFFIXES):
        write_tone(tmp_path / f"clip{i}{suffix}", seconds=2.0)
        rows.append(f"clip{i}{suffix},0.{i},-0.{i}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    entries = read_catalogue(tmp_path)
    assert [e.path.suffix for e in entries] == list(READ_SUFFIXES)
    features, labels = catalogue_features(entries)
    assert features.shape[0] == labels.shape[0] == len(READ_SUFFIXES)
    assert np.all(np.isfinite(features)) and np.all(np.abs(features).sum(axis=(1, 2)) > 0)
    # The table of estimates on a folder of recordings reads them all, and nothing else.
    rows = sanity_table(_base(tmp_path / "model"), tmp_path, lambda _: None)
    names = sorted(f"clip{i}{s}" for i, s in enumerate(READ_SUFFIXES))
    assert [name for name, _, _ in rows] == names
