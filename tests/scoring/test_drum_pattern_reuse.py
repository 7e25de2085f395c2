"""``DrumPattern.of`` keeps what it reads per grid and per hit (both immutable) and reuses it:
the patterns equal the ones read afresh (the reference below), and hit objects that could
change (not frozen) are read anew every time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.drums.genome import DrumGenome
from generators.drums.grid import Grid
from generators.drums.styles import STYLES, skeleton
from music.meter import Meter
from scoring import drums
from scoring.drums import DrumPattern, PatternHit


def _ref_pattern(genome: DrumGenome) -> DrumPattern:
    g = genome.grid
    return DrumPattern(
        bars=genome.bars,
        steps_per_bar=g.steps_per_bar,
        steps_per_qn=g.steps_per_qn,
        beat_steps=tuple(g.beat_steps),
        strong_steps=tuple(g.strong_steps),
        pulse_steps=tuple(g.pulse_steps),
        step_weights=tuple(g.weight(s) for s in range(g.steps_per_bar)),
        hits=tuple(PatternHit(h.step, h.voice, h.role, h.velocity) for h in genome.hits),
    )


def test_reused_reads_equal_fresh_ones() -> None:
    rng = np.random.default_rng(5)
    genomes = [
        skeleton(style, meter, 2, rng)
        for meter in (Meter(4, 4), Meter(5, 4), Meter(12, 8))
        for style in sorted(STYLES)[:5]
    ]
    for _ in range(2):
        for g in genomes:
            got = DrumPattern.of(g)
            assert got == _ref_pattern(g)
            assert got.bar_hits(1) == _ref_pattern(g).bar_hits(1)
    assert drums._PATTERN_HITS and drums._GRID_FACTS


@dataclass
class _MutableHit:
    step: int
    voice: int
    velocity: int
    role: str = "kick"


@dataclass
class _Shape:
    grid: Grid
    bars: int
    hits: tuple[_MutableHit, ...]


def test_a_hit_that_can_change_is_read_anew() -> None:
    hit = _MutableHit(0, 36, 100)
    shape = _Shape(Grid.for_meter(Meter(4, 4)), 1, (hit,))
    assert DrumPattern.of(shape).hits[0].velocity == 100
    hit.velocity = 60
    assert DrumPattern.of(shape).hits[0].velocity == 60
