"""The weak-label clip set: real-looking MIDI excerpts varied in tempo, dynamics and mode,
rendered through the SoundFont renderer and analysed; same seed, same clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from music.meter import Meter
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from training.emotion.corpus import build_clips


def _tune(path: Path, third: int) -> Path:
    """Eight bars: a melody over block triads on C (major or minor third)."""
    melody = tuple(
        Note(b * 4 + i, b * 4 + i + 0.9, 72 + (0, 2, third, 7)[i], 90)
        for b in range(8)
        for i in range(4)
    )
    chords = tuple(Note(b * 4, b * 4 + 3.9, 60 + p, 70) for b in range(8) for p in (0, third, 7))
    song = Song(
        parts=(Part("melody", melody, program=0), Part("chords", chords, program=0)),
        bpm=110.0,
        meter=Meter(4, 4),
    )
    return write_midi(song, path)


def test_clips_are_rendered_labelled_and_reproducible(tmp_path: Path) -> None:
    files = [_tune(tmp_path / "major.mid", 4), _tune(tmp_path / "minor.mid", 3)]
    a = build_clips(files, clips_per_file=3, seed=5)
    b = build_clips(files, clips_per_file=3, seed=5)
    assert a.features.shape[0] == 6 and a.features.shape[2] == 128
    assert np.all(np.isfinite(a.features)) and np.all(np.abs(a.labels) <= 1.0)
    assert np.array_equal(a.features, b.features) and np.array_equal(a.labels, b.labels)
    assert sorted(set(a.groups.tolist())) == [0, 1]
    # Tempo and dynamics are varied, so arousal labels spread.
    assert float(np.ptp(a.labels[:, 1])) > 0.2
    c = build_clips(files, clips_per_file=3, seed=6)
    assert not np.array_equal(a.labels, c.labels)
