"""Re-evolving some bars: every genome the wrapped operators make keeps the approved part's
other bars, and the wrapped operators' extras still serve the engine; a steer saved in the
checkpoint's state loads back equal."""

from __future__ import annotations

import numpy as np
import pytest

from agents.phases.kept import KeepOps, KeptBars
from agents.steer import parse_bars
from agents.steer_state import Steer
from evolution.operators import SignatureDistance
from generators.drums.genome import splice_bars
from generators.drums.operators import DrumOps
from generators.drums.styles import skeleton
from music.errors import InputError
from music.meter import Meter

METER = Meter.parse("4/4")


def test_every_new_genome_keeps_the_bars_outside_the_range() -> None:
    rng = np.random.default_rng(7)
    ops = DrumOps(meter=METER, bars=4, styles=("rock", "funk"))
    approved = skeleton("rock", METER, 4, rng)
    keep = KeepOps(ops, approved, splice_bars, KeptBars(section="verse", first=2, last=3))
    made = [keep.random(rng) for _ in range(10)]
    made += [keep.mutate(g, rng) for g in made]
    made += [keep.crossover(a, b, rng) for a, b in zip(made, reversed(made), strict=True)]
    for genome in made:
        assert genome.bar_hits(0) == approved.bar_hits(0)
        assert genome.bar_hits(3) == approved.bar_hits(3)
    assert any(g.bar_hits(1) != approved.bar_hits(1) for g in made)
    # The engine's fast distances still come from the wrapped operators.
    assert isinstance(keep, SignatureDistance)
    assert keep.distances(made[0], made[1:3]).tolist() == ops.distances(made[0], made[1:3]).tolist()


def test_a_steer_saved_in_the_state_loads_back_equal() -> None:
    steer = Steer(
        kind="regenerate",
        phase="drums",
        section="verse",
        kept=KeptBars(section="verse", first=5, last=8),
        stale=("bass", "melody"),
    )
    assert Steer.from_state(steer.to_state()) == steer
    assert steer.sections_for("drums") == ["verse"] and steer.sections_for("bass") == ["verse"]
    assert steer.sections_for("chords") is None and steer.kept_for("bass") is None
    imported = Steer(kind="import", phase="bass", section="chorus", stale=("melody",))
    assert Steer.from_state(imported.to_state()) == imported
    assert imported.sections_for("bass") is None and imported.sections_for("melody") == ["chorus"]
    assert Steer.from_state(None) is None
    assert str(KeptBars(section="verse", first=2, last=2)) == "bar 2 of verse"


@pytest.mark.parametrize(("text", "bars"), [("5-8", (5, 8)), ("3", (3, 3)), (None, None)])
def test_bar_ranges_parse(text: str | None, bars: tuple[int, int] | None) -> None:
    assert parse_bars(text) == bars


@pytest.mark.parametrize("text", ["8-5", "0-2", "a-b", "1-", ""])
def test_bad_bar_ranges_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="--bars"):
        parse_bars(text)
