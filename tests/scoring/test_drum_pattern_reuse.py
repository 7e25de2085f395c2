"""``DrumPattern.of`` keeps what it reads per grid (immutable) and holds a genome's frozen hits
as they are: the patterns read what the ones read afresh (the reference below) read, and hit
objects that could change (not frozen) are copied, read anew every time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.drums.genome import DrumGenome, Hit
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
            got, want = DrumPattern.of(g), _ref_pattern(g)
            assert got.hits == g.hits and all(a is b for a, b in zip(got.hits, g.hits, strict=True))
            for bar in range(g.bars):
                assert [_read(h) for h in got.bar_hits(bar)] == list(want.bar_hits(bar))
            assert [_read(h) for h in got.hits] == list(want.hits)
            assert got.step_weights == want.step_weights and got.bar_qn == want.bar_qn
            assert (got.beat_steps, got.strong_steps, got.pulse_steps) == (
                want.beat_steps,
                want.strong_steps,
                want.pulse_steps,
            )
    assert drums._GRID_FACTS


def _read(h: Hit | PatternHit) -> PatternHit:
    """What the scores read of a hit."""
    return PatternHit(h.step, h.voice, h.role, h.velocity)


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
    pattern = DrumPattern.of(shape)
    hit.velocity = 60
    assert pattern.hits[0].velocity == 100  # a copy: the pattern does not change
    assert DrumPattern.of(shape).hits[0].velocity == 60
