"""Meters the drum transformer plays in cells (:mod:`generators.drums.cells`): every meter the
proposals allow has a plan whose cells tile the bar on its group starts; the operators' random
genomes in those meters come from the transformer, are genomes in the meter and put their kicks
on the group starts; a bar regenerates in the context of the bars before it."""

from __future__ import annotations

import numpy as np
import pytest

from generators.drums.cells import Cell, CellPlan, felt_groups, plan_cells
from generators.drums.grid import KICK, Grid
from generators.drums.operators import DrumOps
from generators.drums.tokens import TokenHit
from generators.drums.transformer import load_for_meter
from music.meter import ALLOWED_DENOMINATORS, Meter

#: The meters the shipped models sample directly (the meters model holds them all).
COVERED = load_for_meter(Meter(3, 4)).meters


def _group_starts(meter: Meter) -> list[int]:
    """The felt groups' first steps on the meter's 16th grid."""
    spu = Grid.for_meter(meter).steps_per_unit
    out, at = [], 0
    for g in felt_groups(meter):
        out.append(at * spu)
        at += g
    return out


@pytest.mark.parametrize(
    ("meter", "plan"),
    [
        (Meter(7, 4), "4/4+3/4"),
        (Meter(11, 8), "6/8+5/8"),
        (Meter(5, 4, (2, 3)), "2/4+3/4"),
        (Meter(7, 8, (3, 2, 2)), "5/8+7/8[:4]"),
        (Meter(6, 4), "4/4+2/4"),  # six quarter beats: kick, snare, kick, snare, kick, snare
        (Meter(6, 4, (3, 3)), "3/4+3/4"),
        (Meter(2, 2), "4/4"),
        (Meter(15, 16), "6/8/2+9/8/2"),  # felt as 3+3+3+3+3, its /8 twin at twice the tempo
        (Meter(3, 8), "5/8[:6]"),
    ],
)
def test_plans_of_common_meters(meter: Meter, plan: str) -> None:
    assert str(plan_cells(meter, COVERED)) == plan


def test_meters_sampled_directly_have_no_plan_and_nothing_covered_none() -> None:
    model = load_for_meter(Meter(7, 8))
    assert model.cell_plan(Meter(7, 8)) is None
    assert plan_cells(Meter(7, 4), ()) is None


@pytest.mark.parametrize("denominator", ALLOWED_DENOMINATORS)
def test_every_allowed_meter_has_a_plan_on_its_group_starts(denominator: int) -> None:
    for numerator in range(1, 33):
        meter = Meter(numerator, denominator)
        plan = plan_cells(meter, COVERED)
        assert plan is not None, meter
        spb = Grid.for_meter(meter).steps_per_bar
        assert sum(c.length for c in plan.cells) == spb, (meter, str(plan))
        starts = set(_group_starts(meter))
        for cell in plan.cells:
            assert cell.meter in COVERED
            assert cell.start in starts, (meter, str(plan))
            # Every group start inside the cell is one of the cell's own group starts.
            own = {s // cell.scale for s in Grid.for_meter(cell.meter).beat_steps}
            inside = {s - cell.start for s in starts if cell.start <= s < cell.start + cell.length}
            assert inside <= own, (meter, str(plan), cell)


def test_cells_place_and_take_back_their_hits() -> None:
    cell = Cell(meter=Meter(7, 8), start=6, length=7, scale=2)
    bar = tuple(
        (s, TokenHit(cls=c, velocity=90, offset=0.2)) for s, c in ((0, 0), (3, 2), (4, 1), (12, 2))
    )
    placed = cell.place(bar)
    # The odd 16ths are dropped, the rest land an eighth to a step after the cell's start.
    assert [(s, h.cls) for s, h in placed] == [(6, 0), (8, 1), (12, 2)]
    assert all(h.offset == pytest.approx(0.1) for _, h in placed)
    back = cell.take(tuple(placed))
    assert [(s, h.cls, h.offset) for s, h in back] == [(0, 0, 0.2), (4, 1, 0.2), (12, 2, 0.2)]
    with pytest.raises(ValueError, match="tile a bar"):
        CellPlan(meter=Meter(7, 4), cells=(Cell(meter=Meter(3, 4), start=4, length=12),))
    with pytest.raises(ValueError, match="a bar of 7/4 has 28"):
        CellPlan(meter=Meter(7, 4), cells=(Cell(meter=Meter(4, 4), start=0, length=16),))


#: A broad set of meters the models do not sample: every numerator 1..16 over 4 and 8 (those
#: sampled directly are left out), some /2, /1 and /16 meters and groupings of a proposal's own.
PLAYED_IN_CELLS = [
    m
    for m in (
        *(Meter(n, d) for d in (4, 8) for n in range(1, 17)),
        Meter(2, 2),
        Meter(3, 2),
        Meter(1, 1),
        Meter(7, 16),
        Meter(15, 16),
        Meter(5, 16, (3, 2)),
        Meter(5, 4, (2, 3)),
        Meter(7, 8, (3, 2, 2)),
        Meter(7, 4, (2, 2, 3)),
        Meter(11, 8, (3, 3, 3, 2)),
    )
    if m not in COVERED
]


@pytest.mark.parametrize("meter", PLAYED_IN_CELLS, ids=lambda m: f"{m}:{m.groups}")
def test_random_genomes_come_from_the_transformer_in_every_meter(meter: Meter) -> None:
    model = load_for_meter(meter)
    assert model.cell_plan(meter) is not None
    ops = DrumOps(
        meter=meter,
        bars=2,
        styles=("rock", "funk"),
        transformer=model,
        transformer_rate=1.0,
        fill_rate=0.0,
    )
    rng = np.random.default_rng(meter.numerator * 31 + meter.denominator)
    genomes = [ops.random(rng) for _ in range(4)]
    grid = Grid.for_meter(meter)
    starts = set(_group_starts(meter))
    on = off = 0
    for g in genomes:
        assert g.style.endswith("(transformer)"), g.style
        assert g.grid == grid and g.bars == 2
        assert all(0 <= h.step < 2 * grid.steps_per_bar for h in g.hits)
        for h in g.voice_hits(KICK):
            if h.step % grid.steps_per_bar in starts:
                on += 1
            else:
                off += 1
    assert on > 0, meter
    # Kicks fall on the group starts more often than steps are group starts.
    chance = len(starts) / grid.steps_per_bar
    assert chance == 1.0 or on / (on + off) > chance, (meter, on, off, chance)


@pytest.mark.parametrize("meter", [Meter(7, 4), Meter(11, 8), Meter(5, 4, (2, 3))])
def test_a_bar_regenerates_in_cells(meter: Meter) -> None:
    model = load_for_meter(meter)
    rng = np.random.default_rng(5)
    g = model.sample_bars("funk", meter, 4, rng)
    assert model.supports_genome(g)
    new = model.regenerate_bar(g, 2, rng)
    for bar in (0, 1, 3):
        assert new.bar_hits(bar) == g.bar_hits(bar)
    assert new.bar_hits(2) != g.bar_hits(2)
    assert new.grid == g.grid and all(0 <= h.step < new.total_steps for h in new.hits)
    # The operators' bar regeneration (mutation 5, live without a bank) uses it too.
    ops = DrumOps(meter=meter, bars=4, styles=("funk",), transformer=model, fill_rate=0.0)
    mutated = [ops.mutate(g, rng) for _ in range(30)]
    assert all(m.grid == g.grid and m.bars == 4 for m in mutated)


def test_patterns_in_cells_are_reproducible_and_batched_per_cell_meter() -> None:
    meter = Meter(7, 4)
    model = load_for_meter(meter)
    a = model.sample_styles(2, ("rock", "funk"), meter, 2, np.random.default_rng(3))
    b = model.sample_styles(2, ("rock", "funk"), meter, 2, np.random.default_rng(3))
    assert [g.key for g in a] == [g.key for g in b]
    assert [g.style for g in a] == ["rock (transformer)"] * 2 + ["funk (transformer)"] * 2
    assert len({g.key for g in a}) == 4
