"""Rendered drum onsets match the MIDI drum onsets (mir_eval onset F-measure at 50 ms)."""

from __future__ import annotations

import librosa
import mir_eval
import numpy as np
import pytest

from music.meter import Meter
from music.notes import Note, Part
from render.synth import SAMPLE_RATE, shared_synthesizer

KICK, SNARE, HAT, TOM = 36, 38, 42, 45


def groove(meter: Meter, bars: int, seed: int) -> Part:
    """Kick on each felt beat, snare or tom on some off-beats, hats on others: one drum hit
    per onset, at least an eighth apart, velocities 70..120."""
    rng = np.random.default_rng(seed)
    notes = []
    eighths = round(meter.bar_qn / 0.5)
    beat_starts = {round(o / 0.5) for o in meter.beat_offsets_qn()}
    for b in range(bars):
        for e in range(eighths):
            start = b * meter.bar_qn + e * 0.5
            if e in beat_starts:
                pitch = KICK
            elif rng.random() < 0.7:
                pitch = int(rng.choice([SNARE, HAT, TOM]))
            else:
                continue
            notes.append(Note(start, start + 0.1, pitch, int(rng.integers(70, 121))))
    return Part("drums", tuple(notes), is_drum=True)


@pytest.mark.parametrize("backend", ["fluidsynth", "tinysoundfont"])
@pytest.mark.parametrize(("meter_text", "bpm"), [("4/4", 110.0), ("7/8", 140.0)])
def test_drum_onsets_match_the_midi(backend: str, meter_text: str, bpm: float) -> None:
    meter = Meter.parse(meter_text)
    part = groove(meter, bars=8, seed=3)
    audio = shared_synthesizer(backend=backend).render_part(part, bpm, channels=1)
    reference = np.unique([n.start * 60.0 / bpm for n in part.notes])
    estimated = librosa.onset.onset_detect(
        y=audio, sr=SAMPLE_RATE, hop_length=256, units="time", backtrack=False
    )
    f, precision, recall = mir_eval.onset.f_measure(reference, estimated, window=0.05)
    assert f >= 0.9, (f, precision, recall)
