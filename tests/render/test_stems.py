"""Stems: silent (RMS below -60 dBFS) where the part has no notes, sounding where it does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import bass_phrase, chords_phrase, drums_phrase, melody_phrase

from music.meter import Meter, bars_to_seconds
from music.midi_io import Song
from music.notes import Part
from render.audio_io import read_audio
from render.loudness import rms_db
from render.stem_files import write_stems
from render.synth import SAMPLE_RATE, shared_synthesizer

RELEASE_S = 1.5  # release tails may ring this long after a note-off


def gapped(part: Part, meter: Meter, play_bars: set[int]) -> Part:
    """The part with notes only in ``play_bars``."""
    keep = tuple(n for n in part.notes if int(n.start // meter.bar_qn) in play_bars)
    return Part(part.name, keep, program=part.program, is_drum=part.is_drum)


@pytest.mark.parametrize("backend", ["fluidsynth", "tinysoundfont"])
def test_each_stem_is_silent_without_notes_and_sounds_with_them(
    tmp_path: Path, backend: str
) -> None:
    meter = Meter(3, 4)
    bpm = 150.0  # one bar = 1.2 s
    bars = 10
    plays = {
        "chords": {0, 1, 2},
        "drums": {4, 5},
        "bass": {0, 7, 8, 9},
        "melody": {6, 7},
    }
    full = {
        "chords": chords_phrase(meter, bars),
        "drums": drums_phrase(meter, bars),
        "bass": bass_phrase(meter, bars),
        "melody": melody_phrase(meter, bars),
    }
    parts = [gapped(full[name], meter, plays[name]) for name in plays]
    song = Song(parts=(*parts, Part("pad", ())), bpm=bpm, meter=meter)
    seconds = bars_to_seconds(meter, bars, bpm)
    stems = write_stems(
        song, tmp_path / "stems", shared_synthesizer(backend=backend), seconds=seconds
    )
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == sorted(
        f"{n}.wav" for n in [*plays, "pad"]
    )
    bar_s = bars_to_seconds(meter, 1, bpm)
    for part in parts:
        audio, sr = read_audio(stems.paths[part.name])
        assert sr == SAMPLE_RATE and audio.shape[1] == 2
        # 24-bit PCM by default: the file holds the audio to within one 24-bit step
        np.testing.assert_allclose(audio, stems.audio[part.name], rtol=0, atol=2.0**-23)
        note_spans = [(n.start * 60 / bpm, n.end * 60 / bpm) for n in part.notes]
        for bar in range(bars):
            a, b = bar * bar_s, (bar + 1) * bar_s
            window = audio[round(a * sr) : round(b * sr)]
            if bar in plays[part.name]:
                assert rms_db(window) > -45, (part.name, bar, rms_db(window))
            elif all(end + RELEASE_S <= a or start >= b for start, end in note_spans):
                assert rms_db(window) < -60, (part.name, bar, rms_db(window))
    pad, _ = read_audio(stems.paths["pad"])
    assert rms_db(pad) < -60 and pad.shape[0] == round((seconds + 1.5) * SAMPLE_RATE)
    assert not [p for p in (tmp_path / "stems").iterdir() if p.name.startswith(".")]
