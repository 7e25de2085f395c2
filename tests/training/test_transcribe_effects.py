"""Effects on the transcription corpus's stems: each changes the audio as it should, the draw
and the processing are deterministic per seed, a share of stems stays dry, and the MIDI labels
are the notes whatever the effects."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from music.midi_io import read_midi
from music.notes import Note, Part
from render.audio_io import read_audio
from render.synth import Synthesizer
from render.transcription.features import SAMPLE_RATE
from training.transcribe.corpus import CORPUS_STEMS, write_song
from training.transcribe.effects import DRY_SHARE, Effects, apply_effects, draw_effects


def _burst() -> np.ndarray:
    """0.5 s of a 220 Hz + 4 kHz tone, then 1.5 s of silence."""
    t = np.arange(SAMPLE_RATE * 2) / SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.3 * np.sin(2 * np.pi * 4000 * t)
    return np.where(t < 0.5, tone, 0.0).astype(np.float32)


def _band_energy(x: np.ndarray, low: float, high: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.shape[0], 1 / SAMPLE_RATE)
    return float(spec[(freqs >= low) & (freqs < high)].sum())


def test_reverb_leaves_a_tail_and_eq_tilts_the_spectrum() -> None:
    dry = _burst()
    wet = apply_effects(dry, SAMPLE_RATE, Effects(reverb_room=0.7, reverb_wet=0.3))
    assert wet.shape == dry.shape and wet.dtype == np.float32
    tail = slice(int(0.6 * SAMPLE_RATE), int(0.9 * SAMPLE_RATE))
    assert float(np.abs(dry[tail]).max()) == 0.0
    assert float(np.sqrt(np.mean(wet[tail] ** 2))) > 1e-3
    dark = apply_effects(dry, SAMPLE_RATE, Effects(low_shelf_db=0.0, high_shelf_db=-12.0))
    ratio_dry = _band_energy(dry, 3000, 5000) / _band_energy(dry, 100, 400)
    ratio_dark = _band_energy(dark, 3000, 5000) / _band_energy(dark, 100, 400)
    assert ratio_dark < 0.2 * ratio_dry
    squashed = apply_effects(dry, SAMPLE_RATE, Effects(compressor_db=-30.0, compressor_ratio=4.0))
    assert float(np.abs(squashed).max()) < 0.8 * float(np.abs(dry).max())


def test_dry_effects_leave_the_audio_alone() -> None:
    dry = _burst()
    assert Effects().dry and Effects().as_json() == {}
    assert apply_effects(dry, SAMPLE_RATE, Effects()) is dry


def test_draws_are_deterministic_with_a_dry_share_and_chorus_only_where_allowed() -> None:
    def draws(seed: int) -> list[Effects]:
        rng = np.random.default_rng(seed)
        return [draw_effects(stem, rng) for _ in range(100) for stem in CORPUS_STEMS]

    first = draws(3)
    assert first == draws(3) and first != draws(4)
    dry_share = np.mean([fx.dry for fx in first])
    assert abs(dry_share - DRY_SHARE) < 0.06
    stems = [stem for _ in range(100) for stem in CORPUS_STEMS]
    chorused = {stem for stem, fx in zip(stems, first, strict=True) if fx.chorus_mix is not None}
    assert chorused == {"guitar", "synth_pad_fx"}
    fx = next(f for f in first if f.reverb_room is not None and f.low_shelf_db is not None)
    once = apply_effects(_burst(), SAMPLE_RATE, fx)
    assert np.array_equal(once, apply_effects(_burst(), SAMPLE_RATE, fx))


def test_effects_change_the_stem_audio_not_its_midi(tmp_path: Path) -> None:
    notes = tuple(Note(0.5 * i, 0.5 * i + 0.4, 60 + 2 * i, 90) for i in range(6))
    parts = {"piano": Part("piano", notes, program=0)}
    fx = {"piano": Effects(reverb_room=0.6, reverb_wet=0.3, low_shelf_db=3.0, high_shelf_db=-9.0)}
    with Synthesizer(sample_rate=SAMPLE_RATE) as synth:
        write_song(tmp_path / "dry", parts, synth, 4.0, {"song": "dry"})
        write_song(tmp_path / "wet", parts, synth, 4.0, {"song": "wet"}, fx)
    dry, _ = read_audio(tmp_path / "dry" / "stems" / "piano.flac")
    wet, _ = read_audio(tmp_path / "wet" / "stems" / "piano.flac")
    assert dry.shape == wet.shape
    tail = slice(int(3.3 * SAMPLE_RATE), None)
    assert np.sqrt(np.mean(wet[tail] ** 2)) > 2 * np.sqrt(np.mean(dry[tail] ** 2))
    midi = (tmp_path / "wet" / "MIDI" / "piano.mid").read_bytes()
    assert midi == (tmp_path / "dry" / "MIDI" / "piano.mid").read_bytes()
    assert [n.pitch for n in read_midi(tmp_path / "wet" / "MIDI" / "piano.mid").parts[0].notes] == [
        n.pitch for n in notes
    ]
    meta = json.loads((tmp_path / "wet" / "metadata.json").read_text())
    assert meta["stems"]["piano"]["effects"] == fx["piano"].as_json()
    assert (
        json.loads((tmp_path / "dry" / "metadata.json").read_text())["stems"]["piano"]["effects"]
        == {}
    )
