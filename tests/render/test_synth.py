"""Synthesis with a General MIDI SoundFont, heard through analysis: pitch, timing, drums on
channel 10, SoundFont choice. Both engines (FluidSynth and TinySoundFont) are checked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import librosa
import numpy as np
import pytest

from music.meter import Meter
from music.midi_io import Song
from music.notes import Note, Part
from render import soundfont as sf_module
from render.backends import available_backends
from render.loudness import rms_db
from render.soundfont import SOUNDFONT_ENV, bundled_soundfont, resolve_soundfont
from render.synth import SAMPLE_RATE, Synthesizer, shared_synthesizer, synthesize

BACKENDS = ["fluidsynth", "tinysoundfont"]


@pytest.fixture(scope="module", params=BACKENDS)
def synth(request: pytest.FixtureRequest) -> Synthesizer:
    return shared_synthesizer(backend=request.param)


def test_a_held_a4_sounds_at_440_hz(synth: Synthesizer) -> None:
    part = Part("melody", (Note(0.0, 4.0, 69, 100),), program=73)  # flute
    audio = synth.render_part(part, 120.0, channels=1)
    assert audio.dtype == np.float32
    assert audio.shape == (round((2.0 + 1.5) * SAMPLE_RATE),)
    f0 = librosa.yin(
        audio[SAMPLE_RATE // 4 : SAMPLE_RATE * 7 // 4], fmin=200, fmax=1000, sr=SAMPLE_RATE
    )
    assert np.median(f0) == pytest.approx(440.0, rel=0.01)


def test_a_note_starts_at_its_time_and_stops_after_its_end(synth: Synthesizer) -> None:
    # bpm 60: one quarter note = 1 s; a short piano note at 1.0 s, ending at 1.5 s
    part = Part("chords", (Note(1.0, 1.5, 60, 100),), program=0)
    audio = synth.render_part(part, 60.0, seconds=5.0)
    assert audio.shape == (5 * SAMPLE_RATE, 2)
    sr = SAMPLE_RATE
    assert rms_db(audio[: int(0.95 * sr)]) < -90  # nothing before the note
    assert rms_db(audio[sr : int(1.4 * sr)]) > -40
    assert rms_db(audio[4 * sr :]) < -60  # released well before 4 s
    onsets = librosa.onset.onset_detect(y=audio.mean(axis=1), sr=sr, hop_length=256, units="time")
    assert onsets[0] == pytest.approx(1.0, abs=0.03)


def test_drums_play_the_drum_kit_on_channel_10(synth: Synthesizer) -> None:
    hat = Part(
        "drums", tuple(Note(i * 0.5, i * 0.5 + 0.1, 42, 110) for i in range(8)), is_drum=True
    )
    pitched = Part("bass", hat.notes, program=0)  # the same note 42 (F#2) on a piano
    drum_audio = synth.render_part(hat, 120.0, channels=1)
    piano_audio = synth.render_part(pitched, 120.0, channels=1)
    drum_centroid = np.median(
        librosa.feature.spectral_centroid(y=drum_audio[: SAMPLE_RATE * 2], sr=SAMPLE_RATE)
    )
    piano_centroid = np.median(
        librosa.feature.spectral_centroid(y=piano_audio[: SAMPLE_RATE * 2], sr=SAMPLE_RATE)
    )
    assert drum_centroid > 3000 > piano_centroid  # a closed hi-hat, not a low piano note


def test_program_changes_the_timbre(synth: Synthesizer) -> None:
    notes = (Note(0, 2, 60, 100),)
    flute = synth.render_part(Part("m", notes, program=73), 120.0, channels=1)
    bass = synth.render_part(Part("m", notes, program=33), 120.0, channels=1)
    assert np.abs(flute - bass).max() > 0.01


def test_song_render_sums_its_parts(synth: Synthesizer) -> None:
    a = Part("a", (Note(0, 2, 60, 90),), program=0)
    b = Part("b", (Note(0, 2, 64, 90),), program=0)
    song = Song(parts=(a, b), bpm=120.0, meter=Meter(4, 4))
    stems = synth.render_stems(song)
    total = synth.render_song(song)
    # renders are repeatable to within -60 dBFS (FluidSynth keeps a little filter state)
    np.testing.assert_allclose(total, stems["a"] + stems["b"], atol=1e-3)
    assert synthesize(song, backend=synth.backend).shape == total.shape


def test_an_empty_part_renders_silence(synth: Synthesizer) -> None:
    audio = synth.render_part(Part("x", ()), 120.0, seconds=1.0)
    assert audio.shape == (SAMPLE_RATE, 2) and not audio.any()


def test_soundfont_order_env_then_system_then_bundled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled = bundled_soundfont()
    assert bundled is not None and bundled.name == "TimGM6mb.sf2"
    monkeypatch.setattr(sf_module, "SYSTEM_SOUNDFONTS", (tmp_path / "none.sf2",))
    monkeypatch.delenv(SOUNDFONT_ENV, raising=False)
    assert resolve_soundfont() == bundled  # no apt SoundFont: pretty_midi's TimGM6mb
    monkeypatch.setenv(SOUNDFONT_ENV, str(bundled))
    assert resolve_soundfont() == bundled
    assert resolve_soundfont(bundled) == bundled


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_bundled_fallback_soundfont_makes_sound(backend: str) -> None:
    bundled = bundled_soundfont()
    assert bundled is not None
    with Synthesizer(bundled, backend=backend) as synth:
        audio = synth.render_part(Part("m", (Note(0, 2, 72, 100),), program=73), 120.0)
    assert rms_db(audio[: SAMPLE_RATE // 2]) > -40


def test_a_part_renders_the_same_after_other_parts_on_the_previews_engine() -> None:
    """Previews share one TinySoundFont across candidates, phases and runs in a process: a
    part must sound the same whatever was rendered before it (a guitar's tail used to ring
    into the next part, so a Ray run's previews differed from an in-process run's)."""
    assert "tinysoundfont" in available_backends()  # the previews' engine, a pinned dependency
    chord = (52, 55, 59, 64)
    guitar = Part("chords", tuple(Note(i, i + 0.9, p, 90) for i in range(4) for p in chord), 25)
    kit = Part("drums", tuple(Note(i / 2, i / 2 + 0.1, 36 + i % 7, 110) for i in range(8)), 0)
    with Synthesizer(backend="tinysoundfont") as synth:
        first = synth.render_part(guitar, 120.0)
        synth.render_part(replace(kit, is_drum=True), 120.0)
        after_drums = synth.render_part(guitar, 120.0)
        after_itself = synth.render_part(guitar, 120.0)
    assert np.abs(first).max() > 0.01
    np.testing.assert_array_equal(after_drums, first)
    np.testing.assert_array_equal(after_itself, first)
