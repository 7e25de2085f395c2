"""The audio file endings the commands take (render.audio_io.READ_SUFFIXES) are those that can be
read: a short tone written in each format (soundfile for the PCM and Vorbis containers, the
project's own MP3 writer) decodes through decode_audio, through the kit's reader and, for the
catalogue's audio branch, through soundfile, with its pitch and level intact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from render.audio_io import (
    READ_ALLOWED,
    READ_SUFFIXES,
    decode_audio,
    is_readable_audio,
    write_audio,
)
from render.kit.audio import KIT_SAMPLE_RATE, find_audio_files, read_clip

SR = 44100
HZ = 441.0


def _tone(seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    return (0.5 * np.sin(2 * np.pi * HZ * t)).astype(np.float32)


def write_tone(path: Path, seconds: float = 0.5) -> Path:
    """A 441 Hz tone at half scale in the format ``path``'s ending names."""
    if path.suffix.lower() == ".mp3":
        return write_audio(path, _tone(seconds), SR)
    container = "AIFF" if path.suffix.lower() in (".aif", ".aiff") else None
    soundfile.write(str(path), _tone(seconds), SR, format=container)
    return path


def _pitch(mono: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1.0 / sr)[int(np.argmax(spectrum))])


def _check(audio: np.ndarray, sr: int) -> None:
    mono = audio.mean(axis=1)
    assert audio.dtype == np.float32 and audio.ndim == 2
    assert 0.45 < mono.shape[0] / sr < 0.6  # MP3 adds its encoder's padding
    assert abs(_pitch(mono, sr) - HZ) < 4.0
    assert 0.4 < float(np.abs(mono).max()) < 0.6


@pytest.mark.parametrize("suffix", READ_SUFFIXES)
def test_every_listed_ending_decodes(tmp_path: Path, suffix: str) -> None:
    path = write_tone(tmp_path / f"tone{suffix}")
    audio, sr = decode_audio(path)
    assert sr == SR
    _check(audio, sr)
    clip = read_clip(path)
    assert clip.sample_rate == KIT_SAMPLE_RATE
    _check(clip.audio, clip.sample_rate)
    samples, sf_sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    _check(samples, int(sf_sr))


def test_endings_are_matched_in_any_case_and_others_refused(tmp_path: Path) -> None:
    assert all(is_readable_audio(Path(f"a{s.upper()}")) for s in READ_SUFFIXES)
    assert not any(is_readable_audio(Path(f"a{s}")) for s in (".mid", ".txt", ".caf", ""))
    for s in READ_SUFFIXES:
        assert s in READ_ALLOWED
    upper = write_tone(tmp_path / "LOUD.AIFF")
    files, skipped = find_audio_files([upper, tmp_path / "notes.txt"])
    assert files == [upper]
    assert skipped == [(tmp_path / "notes.txt", "no such file or folder")]
    (tmp_path / "notes.txt").write_text("not audio", encoding="utf-8")
    _, skipped = find_audio_files([tmp_path / "notes.txt"])
    assert skipped == [(tmp_path / "notes.txt", f"not an audio file (expected {READ_ALLOWED})")]
