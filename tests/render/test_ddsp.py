"""The melody stem on the shipped DDSP timbre, checked by analysis: its pitch tracks the MIDI
(pYIN on the output, median error under 30 cents), louder velocities measure louder, the
controls follow the documented curves, the stem writer uses the timbre only where asked, and a
bad model file is refused naming the field, the value and what is allowed."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from music.errors import InputError
from music.meter import Meter
from music.midi_io import Song
from music.notes import Note, Part
from render.ddsp import (
    HOP,
    SAMPLE_RATE,
    SHIPPED,
    DdspTimbre,
    Loudness,
    controls,
    load_timbre,
)
from render.settings import RenderSettingError, RenderSettings
from render.stem_files import write_stems
from render.synth import Synthesizer

SR = 44100
BPM = 120.0  # a quarter note is half a second


@pytest.fixture(scope="module")
def trumpet() -> DdspTimbre:
    return load_timbre("trumpet")


def _median_cents(audio: np.ndarray, notes: list[Note]) -> float:
    import librosa

    f0, voiced, _ = librosa.pyin(
        audio, fmin=100, fmax=1200, sr=SR, frame_length=2048, hop_length=512
    )
    times = librosa.times_like(f0, sr=SR, hop_length=512)
    errors = []
    for n in notes:
        # The middle of each note: away from the attack, the glide and the release.
        start, end = n.start * 60 / BPM + 0.08, n.end * 60 / BPM - 0.08
        sel = (times >= start) & (times <= end) & voiced & np.isfinite(f0)
        want = 440.0 * 2 ** ((n.pitch - 69) / 12)
        errors.extend(np.abs(1200 * np.log2(f0[sel] / want)))
    assert len(errors) >= 3 * len(notes), "pYIN heard too few pitched frames"
    return float(np.median(errors))


def test_pitch_tracks_the_midi(trumpet: DdspTimbre) -> None:
    pitches = [55, 60, 62, 65, 67, 70, 72, 74, 77, 79, 64, 58]
    notes = [Note(i * 1.0, i * 1.0 + 0.9, p, 96) for i, p in enumerate(pitches)]
    part = Part("melody", tuple(notes), program=56)
    stem = trumpet.render_part(part, BPM, SR, 6.5)
    assert _median_cents(stem[:, 0], notes) < 30.0


def test_louder_velocities_measure_louder(trumpet: DdspTimbre) -> None:
    velocities = [30, 60, 90, 127]
    notes = [Note(i * 2.0, i * 2.0 + 1.5, 65, v) for i, v in enumerate(velocities)]
    stem = trumpet.render_part(Part("melody", tuple(notes), program=56), BPM, SR, 4.5)[:, 0]
    rms = []
    for n in notes:
        s, e = round((n.start * 0.5 + 0.2) * SR), round((n.end * 0.5 - 0.1) * SR)
        rms.append(float(np.sqrt(np.mean(stem[s:e] ** 2))))
    assert all(a < b for a, b in itertools.pairwise(rms)), rms
    # Silence after the last note's release.
    assert np.abs(stem[round(4.0 * SR) :]).max() == 0.0


def test_controls_follow_the_documented_curves() -> None:
    curve = Loudness(quiet_db=-50.0, loud_db=-20.0, floor_db=-90.0)
    notes = (Note(0.0, 1.0, 60, 127), Note(1.0, 2.0, 67, 64), Note(3.0, 3.5, 62, 1))
    frames = round(2.2 * SAMPLE_RATE / HOP)
    f0, level, sounding = controls(Part("melody", notes), BPM, frames=frames, loudness=curve)
    rate = SAMPLE_RATE / HOP
    mid = [round(0.25 * rate), round(0.75 * rate)]
    assert f0[mid[0]] == pytest.approx(261.6256, rel=1e-5)
    assert f0[mid[1]] == pytest.approx(391.9954, rel=1e-5)
    assert level[mid[0]] == pytest.approx(-20.0)
    assert level[mid[1]] == pytest.approx(-50.0 + 30.0 * 64 / 127, abs=1e-4)
    # A legato step glides: one frame into the second note the pitch is between the two.
    glide = 12 * np.log2(f0[round(0.5 * rate) + 1] / 261.6256) + 60
    assert 60 < glide < 67
    # The rest between 1.0 s (+ release) and 1.5 s is silent, held at the last pitch.
    rest = round(1.3 * rate)
    assert not sounding[rest] and level[rest] == pytest.approx(-90.0)
    assert f0[rest] == pytest.approx(391.9954, rel=1e-5)


def test_only_the_named_part_is_played_on_the_timbre(trumpet: DdspTimbre, tmp_path: Path) -> None:
    melody = Part("melody", (Note(0.0, 2.0, 67, 100),), program=56)
    bass = Part("bass", (Note(0.0, 2.0, 43, 100),), program=33)
    song = Song(parts=(bass, melody), bpm=BPM, meter=Meter(4, 4))
    # A fresh synthesizer each: the engine's output depends on what it played before.
    with Synthesizer() as synth:
        plain = write_stems(song, tmp_path / "a", synth, seconds=1.0)
    with Synthesizer() as synth:
        voiced = write_stems(
            song, tmp_path / "b", synth, seconds=1.0, voices={"melody": trumpet.render_part}
        )
    assert np.array_equal(plain.audio["bass"], voiced.audio["bass"])
    want = trumpet.render_part(melody, BPM, synth.sample_rate, voiced.seconds)
    assert np.array_equal(voiced.audio["melody"], want)
    assert not np.allclose(plain.audio["melody"], voiced.audio["melody"])


def test_bad_timbre_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        load_timbre(str(tmp_path / "nope.onnx"))
    text = str(missing.value)
    assert "melody_timbre" in text and "nope.onnx" in text and "chromatic train timbre" in text
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(InputError, match="onnxruntime cannot load it"):
        load_timbre(str(junk), field="--melody-timbre")
    other = SHIPPED["trumpet"].parents[2] / "scoring" / "data" / "emotion.onnx"
    with pytest.raises(InputError, match="not a DDSP timbre"):
        load_timbre(str(other))
    with pytest.raises(RenderSettingError, match="melody_timbre"):
        RenderSettings(melody_timbre="  ")
    assert "melody_timbre" not in RenderSettings().to_dict()
