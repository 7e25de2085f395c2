"""The drum grid: steps per bar and felt beat in every meter, swing, triplets, roles."""

from __future__ import annotations

import pytest

from generators.drums.grid import (
    CLOSED_HH,
    CRASH,
    KICK,
    LOW_TOM,
    RIM,
    ROLES,
    SNARE,
    VOICE_ROLES,
    Grid,
    role_of,
    voices_of,
)
from music.meter import Meter


@pytest.mark.parametrize(
    ("meter", "steps", "beats", "pulses"),
    [
        ("4/4", 16, (0, 4, 8, 12), (0, 4, 8, 12)),
        ("3/4", 12, (0, 4, 8), (0, 4, 8)),
        ("5/4", 20, (0, 12), (0, 4, 8, 12, 16)),
        ("6/8", 12, (0, 6), (0, 6)),
        ("7/8", 14, (0, 4, 8), (0, 4, 8)),
        ("12/8", 24, (0, 6, 12, 18), (0, 6, 12, 18)),
    ],
)
def test_straight_grid_steps_and_felt_beats(
    meter: str, steps: int, beats: tuple[int, ...], pulses: tuple[int, ...]
) -> None:
    grid = Grid.for_meter(Meter.parse(meter))
    assert grid.steps_per_bar == steps
    assert grid.beat_steps == beats
    assert grid.pulse_steps == pulses
    assert grid.step_qn == pytest.approx(0.25)  # straight 16ths everywhere
    assert grid.step_in_bar_qn(steps - 1) == pytest.approx(Meter.parse(meter).bar_qn - 0.25)


def test_seven_eight_is_two_two_three() -> None:
    grid = Grid.for_meter(Meter(7, 8))
    sizes = [b - a for a, b in zip(grid.beat_steps, (*grid.beat_steps[1:], 14), strict=True)]
    assert sizes == [4, 4, 6]
    assert grid.count_label(8) == "5" and grid.count_label(9) == "5&"


def test_swing_delays_the_second_step_of_each_pair() -> None:
    grid = Grid.for_meter(Meter(4, 4), "swing", swing=0.6)
    assert grid.step_in_bar_qn(0) == pytest.approx(0.0)
    assert grid.step_in_bar_qn(1) == pytest.approx(0.6 * 0.5)  # 60% of an eighth
    assert grid.step_in_bar_qn(2) == pytest.approx(0.5)
    assert grid.step_in_bar_qn(3) == pytest.approx(0.5 + 0.3)
    twelve = Grid.for_meter(Meter(12, 8), "swing", swing=2 / 3)
    assert twelve.steps_per_bar == 24
    assert twelve.step_in_bar_qn(1) == pytest.approx(2 / 3 * 0.5)
    assert twelve.step_qn_at(24 + 3) == pytest.approx(6.0 + 0.5 + 1 / 3)


def test_triplet_grid_and_its_limits() -> None:
    grid = Grid.for_meter(Meter(4, 4), "triplet")
    assert grid.steps_per_bar == 12 and grid.feel == "triplet"
    assert grid.step_in_bar_qn(1) == pytest.approx(1 / 3)
    assert grid.count_label(5) == "2-let"
    with pytest.raises(ValueError, match="triplets need"):
        Grid.for_meter(Meter(7, 8), "triplet")
    with pytest.raises(ValueError, match="swing needs an even"):
        Grid(Meter(4, 4), 3, 0.6)
    with pytest.raises(ValueError, match="feel"):
        Grid.for_meter(Meter(4, 4), "latin")


def test_nearest_step_inverts_step_time() -> None:
    grid = Grid.for_meter(Meter(7, 8), "swing", swing=0.6)
    for step in range(0, 3 * grid.steps_per_bar):
        for off in (-0.3, 0.0, 0.2):
            t = grid.step_qn_at(step, off)
            got, rest = grid.nearest_step(t)
            assert got == step
            assert rest == pytest.approx(off, abs=1e-9)


def test_metrical_levels() -> None:
    grid = Grid.for_meter(Meter(4, 4))
    assert [grid.level(s) for s in (0, 8, 4, 2, 1)] == [0, 1, 2, 4, 5]
    assert grid.weight(0) == 1.0 and grid.weight(1) == 0.0
    assert grid.strong_steps == (0, 8)


def test_roles_cover_every_voice() -> None:
    assert {VOICE_ROLES[v] for v in VOICE_ROLES} == set(ROLES)
    assert role_of(KICK) == role_of(SNARE) == "core"
    assert role_of(CRASH) == "accent" and role_of(CLOSED_HH) == "motion"
    assert role_of(LOW_TOM) == "fill" and role_of(RIM) == "texture"
    assert KICK in voices_of("core") and CLOSED_HH not in voices_of("core")
    with pytest.raises(ValueError, match="GM drum notes"):
        role_of(60)
    with pytest.raises(ValueError, match="drum role"):
        voices_of("lead")
