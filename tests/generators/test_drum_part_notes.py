"""``drums_part`` makes each Note once per grid, hit values and repeat start and reuses it:
the parts it returns equal, note for note, the ones made from the formula afresh (kept here as
the reference), whatever was turned into a part before, for swung, humanised and early hits."""

from __future__ import annotations

import numpy as np
import pytest

from generators.drums import to_midi
from generators.drums.genome import DrumGenome
from generators.drums.styles import STYLES, skeleton
from generators.drums.to_midi import DRUM_NOTE_QN, drum_note_rows, drums_part
from music.meter import Meter
from music.notes import Note, Part


def _ref_drums_part(genome: DrumGenome, start_qn: float, repeats: int) -> Part:
    length = genome.bars * genome.grid.meter.bar_qn
    notes = []
    for r in range(repeats):
        base = start_qn + r * length
        for h in genome.hits:
            t = max(0.0, base + genome.grid.step_qn_at(h.step, h.offset))
            notes.append(Note(start=t, end=t + DRUM_NOTE_QN, pitch=h.voice, velocity=h.velocity))
    return Part(name="drums", notes=tuple(notes), program=0, is_drum=True)


def test_reused_notes_equal_fresh_ones() -> None:
    rng = np.random.default_rng(3)
    to_midi._KNOWN.clear()
    genomes = [
        skeleton(style, meter, bars, rng)
        for meter in (Meter(4, 4), Meter(6, 8), Meter(7, 8))
        for style in sorted(STYLES)[:4]
        for bars in (1, 2)
    ]
    assert any(h.offset < 0 for g in genomes for h in g.hits)  # early hits are covered
    for _ in range(2):  # the second round reads every note from what the first made
        for g in genomes:
            for start_qn, repeats in ((0.0, 1), (3.5, 2)):
                got = drums_part(g, g.grid.meter, start_qn=start_qn, repeats=repeats)
                assert got == _ref_drums_part(g, start_qn, repeats)
    assert to_midi._KNOWN  # notes were kept for reuse


def test_known_notes_are_bounded() -> None:
    to_midi._KNOWN.clear()
    g = skeleton(sorted(STYLES)[0], Meter(4, 4), 2, np.random.default_rng(1))
    for k in range(5):
        drums_part(g, g.grid.meter, start_qn=float(k), repeats=1)
    before = len(to_midi._KNOWN[g.grid])
    original = to_midi._KNOWN_LIMIT
    try:
        to_midi._KNOWN_LIMIT = before - 1  # type: ignore[misc]
        drums_part(g, g.grid.meter, start_qn=99.0)
        assert len(to_midi._KNOWN[g.grid]) == len(g.hits)  # cleared, then filled again
    finally:
        to_midi._KNOWN_LIMIT = original  # type: ignore[misc]


def test_note_rows_are_the_parts_notes() -> None:
    rng = np.random.default_rng(11)
    genomes = [
        skeleton(style, meter, bars, rng, bpm=bpm)
        for meter in (Meter(4, 4), Meter(6, 8), Meter(7, 8), Meter(3, 4))
        for style in sorted(STYLES)
        for bars, bpm in ((1, None), (4, 84.0))
    ]
    assert any(h.offset < 0 and h.step == 0 for g in genomes for h in g.hits)  # clamped to 0
    for g in genomes:
        rows = drum_note_rows(g, g.grid.meter)
        notes = drums_part(g, g.grid.meter).notes
        assert rows.tolist() == [[n.start, n.end, n.pitch, n.velocity] for n in notes]
    with pytest.raises(ValueError, match="meter"):
        drum_note_rows(genomes[0], Meter(5, 4))
