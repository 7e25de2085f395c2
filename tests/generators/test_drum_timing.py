"""Drum micro-timing keeps its milliseconds across tempi, and hits the operators add are
humanised like the rest (no dead-on-grid 16ths among played ones)."""

from __future__ import annotations

import numpy as np
import pytest

from generators.drums.grid import CRASH, Grid
from generators.drums.operators import DrumOps
from generators.drums.styles import humanize, skeleton
from music.meter import Meter


def _spread_ms(style: str, bpm: float) -> float:
    """Robust spread (ms) of the pulse hits' offsets around each pulse's median, 64 bars."""
    genome = skeleton(style, Meter(4, 4), 64, np.random.default_rng(7), bpm=bpm)
    grid = genome.grid
    ms_per_step = grid.step_qn * 60000.0 / bpm
    pulses = set(grid.pulse_steps)
    by_place: dict[tuple[int, int], list[float]] = {}
    for h in genome.hits:
        if h.step % grid.steps_per_bar in pulses and h.voice != CRASH:
            by_place.setdefault((h.step % grid.steps_per_bar, h.voice), []).append(h.offset)
    deviations = [(x - float(np.median(v))) * ms_per_step for v in by_place.values() for x in v]
    return float(1.4826 * np.median(np.abs(deviations)))


@pytest.mark.parametrize("style", ["rock", "swing", "brushes"])
def test_micro_timing_keeps_its_milliseconds_at_half_the_tempo(style: str) -> None:
    slow, fast = _spread_ms(style, 60.0), _spread_ms(style, 120.0)
    assert 8.0 < fast < 40.0, fast  # drummers sit ~20 ms off the grid
    assert 0.7 < slow / fast < 1.4, (slow, fast)  # a spread in steps would double it


def test_without_a_tempo_the_spread_stays_in_steps() -> None:
    a = skeleton("rock", Meter(4, 4), 8, np.random.default_rng(3))
    b = skeleton("rock", Meter(4, 4), 8, np.random.default_rng(3), bpm=105.0)
    # Groove's median tempo is where the step figures hold: the same draws, the same offsets.
    assert [h.offset for h in a.hits] == pytest.approx([h.offset for h in b.hits], abs=2e-3)


def test_hits_the_operators_add_are_humanised() -> None:
    ops = DrumOps(meter=Meter(4, 4), bars=4, styles=("sparse", "rock"), bpm=100.0)
    rng = np.random.default_rng(11)
    added = []
    for _ in range(40):
        genome = ops.random(rng)
        for _ in range(30):
            child = ops.mutate(genome, rng)
            before = {(h.step, h.voice) for h in genome.hits}
            added += [h for h in child.hits if (h.step, h.voice) not in before]
            genome = child
    played = [h for h in added if h.voice != CRASH]
    assert len(played) > 200
    on_grid = sum(h.offset == 0.0 for h in played) / len(played)
    assert on_grid < 0.1, on_grid


def test_humanize_draws_what_generator_normal_draws() -> None:
    """Velocity and offset are the floats of ``rng.normal(loc, sd)``, from the same stream."""
    grid = Grid(Meter(4, 4), 4)
    ours, theirs = np.random.default_rng(8), np.random.default_rng(8)
    for i in range(2000):
        velocity, spread, bpm = 20 + i % 100, (9.0, 10.0, 0.0)[i % 3], 60.0 + i % 90
        got = humanize(velocity, ours, spread, grid=grid, bpm=bpm)
        vel = min(127, max(1, round(velocity + theirs.normal(0.0, spread))))
        scale = (0.25 / grid.step_qn) * (bpm / 105.0)
        draw = float(theirs.normal(-0.04 * scale, 0.12 * scale))
        assert got == (vel, min(0.35, max(-0.35, draw)))
