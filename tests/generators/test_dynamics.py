"""The song's dynamic level: mood arousal sets one velocity factor, every part of every kind
is played at it with its own accents kept, and a calm mood plays softer than an aroused one."""

from __future__ import annotations

import numpy as np

from generators.bass.genome import BassEvent, BassGenome
from generators.bass.to_midi import bass_part
from generators.chords.genome import ChordGene, ChordGenome
from generators.chords.voicing import chords_part
from generators.drums.styles import skeleton
from generators.drums.to_midi import drums_part
from generators.melody.genome import CONTOURS, MelodyGenome, MelodyNote
from generators.melody.to_midi import melody_part
from music.dynamics import at_level, mood_dynamic, played
from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part

KEY = Key.parse("C major")
METER = Meter(4, 4)


def test_calm_plays_softer_than_aroused() -> None:
    levels = [mood_dynamic(a) for a in (-1.0, -0.5, 0.0, 0.5, 1.0)]
    assert levels == sorted(levels)
    assert mood_dynamic(0.0) == 1.0
    assert 0.65 < mood_dynamic(-1.0) < 0.75 and 1.35 < mood_dynamic(1.0) < 1.45
    assert mood_dynamic(-5.0) == mood_dynamic(-1.0)  # clipped to the circumplex


def test_played_keeps_midi_range_and_accents() -> None:
    assert played(100, 1.0) == 100
    assert played(120, 1.41) == 127 and played(2, 0.2) == 1
    soft = [played(v, 0.71) for v in (40, 80, 110)]
    assert soft == sorted(soft) and len(set(soft)) == 3  # ghost < normal < accent still
    part = Part("p", (Note(0.0, 1.0, 60, 100), Note(1.0, 2.0, 62, 50)))
    assert at_level(part, 1.0) is part
    assert [n.velocity for n in at_level(part, 0.8).notes] == [80, 40]


def _velocities(part: Part) -> list[int]:
    return [n.velocity for n in part.notes]


def test_every_part_is_played_at_the_level() -> None:
    drums = skeleton("rock", METER, 2, np.random.default_rng(0))
    chords: ChordGenome = ((ChordGene(0, "maj", 0, 4.0),), (ChordGene(7, "maj", 0, 4.0),))
    bass = BassGenome("root", ((BassEvent(onset=0.0, duration=1.0, degree="root"),),) * 2)
    line = (
        MelodyNote(onset=0.0, duration=1.0, step=2),
        MelodyNote(onset=1.0, duration=1.0, step=4, velocity=70),
    )
    melody = MelodyGenome(
        bars=(line, line), phrase_bars=2, base=60, contour=(next(iter(CONTOURS)),)
    )
    parts = {
        "drums": drums_part(drums, METER),
        "chords": chords_part(chords, KEY),
        "bass": bass_part(bass, chords, KEY, METER),
        "melody": melody_part(melody, KEY, METER),
    }
    for name, part in parts.items():
        written, soft, loud = at_level(part, 1.0), at_level(part, 0.74), at_level(part, 1.2)
        assert [n.start for n in soft.notes] == [n.start for n in written.notes], name
        assert _velocities(soft) == [played(v, 0.74) for v in _velocities(written)], name
        assert np.mean(_velocities(loud)) > np.mean(_velocities(written)), name
