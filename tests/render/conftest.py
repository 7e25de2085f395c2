"""Small songs built in code for the render tests (no files from outside the repository)."""

from __future__ import annotations

import numpy as np
import pytest

from music.gm import PART_PROGRAMS
from music.meter import Meter
from music.notes import Note, Part

KICK, SNARE, HAT = 36, 38, 42


def chords_phrase(meter: Meter, bars: int = 4, root: int = 60) -> Part:
    """One sustained triad per bar, filling every bar to its end."""
    prog = [(0, 4, 7), (-3, 0, 4), (-7, -3, 0), (-5, -1, 2)]
    notes = []
    for b in range(bars):
        start = b * meter.bar_qn
        for iv in prog[b % len(prog)]:
            notes.append(Note(start, start + meter.bar_qn, root + iv, 80))
    return Part("chords", tuple(notes), program=PART_PROGRAMS["chords"])


def bass_phrase(meter: Meter, bars: int = 4) -> Part:
    roots = [36, 33, 29, 31]
    notes = []
    for b in range(bars):
        for k, off in enumerate(meter.beat_offsets_qn()):
            start = b * meter.bar_qn + off
            notes.append(Note(start, start + 0.45, roots[b % 4] + (12 if k % 2 else 0), 95))
    return Part("bass", tuple(notes), program=PART_PROGRAMS["bass"])


def drums_phrase(meter: Meter, bars: int = 4, step_qn: float = 0.5) -> Part:
    """Hats on every step, kick on felt beat 1, snare on the other felt beats."""
    notes = []
    beats = meter.beat_offsets_qn()
    steps = round(meter.bar_qn / step_qn)
    for b in range(bars):
        base = b * meter.bar_qn
        for s in range(steps):
            notes.append(Note(base + s * step_qn, base + s * step_qn + 0.1, HAT, 70))
        for k, off in enumerate(beats):
            notes.append(Note(base + off, base + off + 0.1, KICK if k == 0 else SNARE, 110))
    return Part("drums", tuple(notes), is_drum=True)


def melody_phrase(meter: Meter, bars: int = 4, seed: int = 0) -> Part:
    rng = np.random.default_rng(seed)
    notes = []
    q = 0.0
    end = bars * meter.bar_qn
    while q < end - 1e-9:
        d = float(min(rng.choice([0.5, 1.0]), end - q))
        notes.append(Note(q, q + d * 0.9, int(rng.choice([72, 74, 76, 77, 79])), 90))
        q += d
    return Part("melody", tuple(notes), program=PART_PROGRAMS["melody"])


def four_parts(meter: Meter, bars: int = 4) -> dict[str, Part]:
    return {
        "chords": chords_phrase(meter, bars),
        "drums": drums_phrase(meter, bars),
        "bass": bass_phrase(meter, bars),
        "melody": melody_phrase(meter, bars),
    }


@pytest.fixture
def meter44() -> Meter:
    return Meter(4, 4)
