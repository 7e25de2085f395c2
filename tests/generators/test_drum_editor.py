"""Editor operations (seed 001 step 6): velocity scaling, mute, timing shift, snap to grid with
micro-offsets kept, swing, progressive layers, and applying an edit by name."""

from __future__ import annotations

import pytest

from generators.drums.editor import (
    apply_edit,
    display_grid,
    mute,
    progressive_layers,
    scale_velocity,
    set_swing,
    shift_timing,
    snap_to_grid,
)
from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import CLOSED_HH, CRASH, HIGH_TOM, KICK, OPEN_HH, RIM, SNARE, Grid
from generators.drums.to_midi import drums_part
from music.meter import Meter


def groove() -> DrumGenome:
    grid = Grid.for_meter(Meter(4, 4))
    hits = [
        Hit(0, KICK, 100, -0.1),
        Hit(0, CRASH, 110),
        Hit(4, SNARE, 100, 0.2),
        Hit(8, KICK, 90),
        Hit(12, SNARE, 104, 0.15),
        Hit(14, OPEN_HH, 90),
        Hit(13, HIGH_TOM, 80),
        Hit(6, RIM, 50),
    ]
    hits += [Hit(s, CLOSED_HH, 70, -0.05) for s in range(0, 14, 2)]
    return DrumGenome(grid=grid, bars=1, hits=tuple(hits))


def snare_starts(g: DrumGenome) -> list[float]:
    return sorted(n.start for n in drums_part(g, Meter(4, 4)).notes if n.pitch == SNARE)


def test_scale_velocity_by_role_and_clamps() -> None:
    g = groove()
    louder = scale_velocity(g, 1.5, roles=["core"])
    for old, new in zip(g.hits, louder.hits, strict=True):
        if old.voice in (KICK, SNARE):
            assert new.velocity == min(127, round(old.velocity * 1.5))
        else:
            assert new == old
    assert all(h.velocity == 1 for h in scale_velocity(g, 0.0).hits)
    with pytest.raises(ValueError, match="factor"):
        scale_velocity(g, -1.0)


def test_mute_voices_and_roles() -> None:
    g = groove()
    assert {h.voice for h in mute(g, roles=["motion", "accent"]).hits} == {
        KICK,
        SNARE,
        HIGH_TOM,
        RIM,
    }
    assert all(h.voice != RIM for h in mute(g, voices=[RIM]).hits)
    assert mute(g) == g
    with pytest.raises(ValueError, match="drum role"):
        mute(g, roles=["bass"])


def test_shift_timing_moves_steps_and_carries_fractions() -> None:
    g = groove()
    late = shift_timing(g, fraction=0.4, voices=[SNARE])
    snares = [h for h in late.hits if h.voice == SNARE]
    # 4 + 0.2 + 0.4 = 4.6 -> step 5, offset -0.4; 12.15 + 0.4 = 12.55 -> 13, -0.45
    assert [(h.step, h.offset) for h in snares] == [(5, -0.4), (13, -0.45)]
    # Playback time moves by exactly the requested fraction of a step (0.4 x 0.25 qn).
    assert snare_starts(late) == pytest.approx([t + 0.1 for t in snare_starts(g)])
    wrapped = shift_timing(g, steps=3, voices=[OPEN_HH])
    assert [h.step for h in wrapped.hits if h.voice == OPEN_HH] == [1]  # 14 + 3 wraps to 1
    dropped = shift_timing(g, steps=3, voices=[OPEN_HH], wrap=False)
    assert not [h for h in dropped.hits if h.voice == OPEN_HH]


def test_snap_keeps_micro_offsets_for_playback() -> None:
    g = groove()
    snapped = snap_to_grid(g)
    assert all(h.offset == 0.0 for h in snapped.display.hits)
    assert snapped.playback().key == g.key  # nothing audible changed
    hard = snap_to_grid(g, keep_micro=False)
    assert all(off == 0.0 for off in hard.micro)
    half = snap_to_grid(g, keep_micro=False, strength=0.5).playback()
    assert [h.offset for h in half.hits if h.voice == SNARE] == [0.1, 0.075]
    with pytest.raises(ValueError, match="strength"):
        snap_to_grid(g, strength=2.0)


def test_progressive_layers_core_then_accent_then_full() -> None:
    core, core_accent, full = progressive_layers(groove())
    assert {h.role for h in core.hits} == {"core"}
    assert {h.role for h in core_accent.hits} == {"core", "accent"}
    assert full == groove()
    assert len(core.hits) < len(core_accent.hits) < len(full.hits)


def test_set_swing_and_display_grid() -> None:
    g = groove()
    swung = set_swing(g, 0.66)
    assert swung.hits == g.hits and swung.grid.swing == 0.66
    lines = display_grid(g)
    assert lines["kick"] == "X.......x......."
    assert lines["rim"] == "......x........."
    assert lines["snare"][4] == "X"


def test_apply_edit_by_name() -> None:
    g = groove()
    assert apply_edit(g, "mute", {"roles": ["texture"]}) == mute(g, roles=["texture"])
    q = apply_edit(g, "quantize", {"strength": 1.0})
    assert all(h.offset == 0.0 for h in q.hits)
    with pytest.raises(ValueError, match="drum edit: 'explode'"):
        apply_edit(g, "explode")
    with pytest.raises(ValueError, match="parameters"):
        apply_edit(g, "mute", {"colour": "red"})
