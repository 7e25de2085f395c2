"""Drum genome, style skeletons, operators, fills and MIDI: purity, meter-correct lengths in
3/4, 7/8 (2+2+3) and swung 12/8, readable descriptions, kick onsets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.drums.fills import add_fill, crash_on_downbeat, has_fill
from generators.drums.genome import (
    DrumGenome,
    Hit,
    describe,
    from_data,
    to_data,
)
from generators.drums.grid import (
    CLOSED_HH,
    CRASH,
    KICK,
    RIDE,
    SHAKER,
    SNARE,
    VOICES,
    Grid,
    role_of,
)
from generators.drums.operators import DrumOps, seed_genomes
from generators.drums.styles import STYLES, choose_styles, grid_for, kick_snare_pulses, skeleton
from generators.drums.to_midi import drums_part, kick_onsets, part_to_genome
from music.meter import ALLOWED_DENOMINATORS, Meter

METERS = [Meter(4, 4), Meter(3, 4), Meter(5, 4), Meter(6, 8), Meter(7, 8), Meter(12, 8)]


def rock_beat(bars: int = 2) -> DrumGenome:
    grid = Grid.for_meter(Meter(4, 4))
    hits = []
    for b in range(bars):
        base = b * 16
        hits += [Hit(base + 0, KICK, 100), Hit(base + 8, KICK, 100)]
        hits += [Hit(base + 4, SNARE, 105), Hit(base + 12, SNARE, 105)]
        hits += [Hit(base + s, CLOSED_HH, 80) for s in range(0, 16, 2)]
    return DrumGenome(grid=grid, bars=bars, hits=tuple(hits), style="rock")


def test_genome_refuses_impossible_states() -> None:
    grid = Grid.for_meter(Meter(4, 4))
    with pytest.raises(ValueError, match="step"):
        DrumGenome(grid=grid, bars=1, hits=(Hit(16, KICK),))
    with pytest.raises(ValueError, match="one hit per voice"):
        DrumGenome(grid=grid, bars=1, hits=(Hit(0, KICK), Hit(0, KICK, 50)))
    with pytest.raises(ValueError, match="velocity"):
        Hit(0, KICK, 0)
    with pytest.raises(ValueError, match="offset"):
        Hit(0, KICK, 90, 0.7)
    with pytest.raises(ValueError, match="GM drum notes"):
        Hit(0, 60)
    # Hits are sorted and the style label is not part of the identity.
    g = DrumGenome(grid=grid, bars=1, hits=(Hit(4, SNARE), Hit(0, KICK)), style="a")
    assert [h.step for h in g.hits] == [0, 4]
    assert g.key == DrumGenome(grid=grid, bars=1, hits=g.hits, style="b").key


def test_genome_save_load_round_trip() -> None:
    for style, meter in (
        ("shuffle", Meter(12, 8)),
        ("funk", Meter(7, 8)),
        ("shuffle", Meter(4, 4)),
    ):
        g = skeleton(style, meter, 3, np.random.default_rng(4))
        data = json.loads(json.dumps(to_data(g)))
        back = from_data(data)
        assert back == g and back.grid == g.grid and back.key == g.key
    with pytest.raises(ValueError, match="missing field 'bars'"):
        from_data({"meter": "4/4", "steps_per_unit": 4, "hits": []})
    with pytest.raises(ValueError, match="velocity"):
        from_data({"meter": "4/4", "steps_per_unit": 4, "bars": 1, "hits": [[0, 36, 0, 0]]})


def test_describe_reads_like_a_musician() -> None:
    d = describe(rock_beat())
    assert d["pattern"] == (
        "kick on 1 and 3, snare backbeat on 2 and 4, closed hat in straight 8ths"
    )
    assert d["feel"] == "straight 16ths"
    assert d["density_per_role"] == {
        "core": 4.0,
        "accent": 0.0,
        "motion": 8.0,
        "fill": 0.0,
        "texture": 0.0,
    }
    assert d["fills"] == "none"


@pytest.mark.parametrize("meter", METERS, ids=str)
@pytest.mark.parametrize("style", STYLES)
def test_skeletons_fit_every_meter(meter: Meter, style: str) -> None:
    rng = np.random.default_rng(3)
    g = skeleton(style, meter, 4, rng)
    assert g.grid.meter == meter
    assert g.bars == 4 and g.total_steps == 4 * g.grid.steps_per_bar
    # The kick plays the downbeat of every bar (reggae's one-drop: the bar's middle pulse);
    # in swing the kick comps, and the ride marks every pulse instead.
    pulses = g.grid.pulse_steps
    first = pulses[len(pulses) // 2] if style == "reggae" and len(pulses) > 1 else 0
    keeper, marks = (RIDE, pulses) if style == "swing" else (KICK, (first,))
    assert all(
        any(h.voice == keeper and h.step == b * g.grid.steps_per_bar + m for h in g.hits)
        for b in range(4)
        for m in marks
    )
    part = drums_part(g, meter)
    assert part.is_drum
    assert max(n.start for n in part.notes) < 4 * meter.bar_qn
    assert isinstance(describe(g)["pattern"], str)


@pytest.mark.parametrize("denominator", ALLOWED_DENOMINATORS)
def test_every_style_builds_a_skeleton_in_every_allowed_meter(denominator: int) -> None:
    """Down to a bar of one 16th: the breakbeat's second kick and open hat and the shuffle's
    swing need steps a /16 or a one-eighth bar does not have."""
    rng = np.random.default_rng(0)
    for numerator in range(1, 33):
        meter = Meter(numerator, denominator)
        for style in STYLES:
            g = skeleton(style, meter, 2, rng)
            assert g.grid.meter == meter and all(0 <= h.step < g.total_steps for h in g.hits)


def test_backbeat_placement_by_pulses() -> None:
    assert kick_snare_pulses(4) == ((0, 2), (1, 3))
    assert kick_snare_pulses(3) == ((0,), (1, 2))  # 3/4 and 7/8: kick, snare, snare
    assert kick_snare_pulses(2) == ((0,), (1,))
    g = skeleton("rock", Meter(7, 8), 1, np.random.default_rng(0))
    snares = {h.step for h in g.hits if h.voice == SNARE and h.velocity > 80}
    assert snares == {4, 8}  # eighths 3 and 5 of 2+2+3


def test_shuffle_grids() -> None:
    assert grid_for("shuffle", Meter(4, 4)).feel == "triplet"
    twelve = grid_for("shuffle", Meter(12, 8))
    assert twelve.feel == "swing" and twelve.steps_per_bar == 24
    g = skeleton("shuffle", Meter(12, 8), 2, np.random.default_rng(1))
    assert g.total_steps == 48
    assert "swung" in str(describe(g)["feel"])


def test_choose_styles_reads_genres_mood_and_tempo() -> None:
    assert choose_styles(["ambient"], ["dreamy", "ominous"], 70)[0] == "sparse"
    assert choose_styles(["funk", "soul"], ["groovy"], 100)[0] == "funk"
    assert choose_styles(["hip hop"], [], 90)[0] == "hip-hop"
    assert choose_styles(["breakbeat"], [], 90)[0] == "breakbeat"
    assert choose_styles(["jazz", "folk"], [], 100)[:2] == ["swing", "shuffle"]
    assert choose_styles(["folk", "jazz"], [], 100)[:2] == ["shuffle", "swing"]
    assert choose_styles(["jazz"], [], 100, ["upright bass", "Brushed drum kit"])[0] == "brushes"
    # Brushes swing where a word names swing; folk and waltz brushes play straight.
    folk = choose_styles(["folk rock", "americana"], ["wistful"], 70, ["brushed drums"])
    assert folk[0] == "brushes-straight"
    assert choose_styles(["waltz"], [], 96, ["brushes"])[0] == "brushes-straight"
    # Mood words alone: a tender, sleepy song plays sparse and soft, a driving, angry one rock.
    assert choose_styles([], ["tender", "sleepy"], 100)[0] == "sparse"
    assert choose_styles([], ["driving", "angry"], 100)[0] == "rock"
    assert choose_styles(["electronic"], [], 124)[0] == "four-on-the-floor"
    assert choose_styles(["bossa nova"], [], 124)[0] == "bossa"
    assert choose_styles(["reggae"], [], 80)[0] == "reggae"
    assert choose_styles(["blues"], [], 100)[0] == "shuffle"
    assert choose_styles(["post-rock"], ["epic"], 160)[0] == "half-time"
    default = choose_styles([], [], 100)
    assert default == ["rock", "half-time"] and set(default) <= set(STYLES)


@pytest.mark.parametrize("meter", [Meter(3, 4), Meter(7, 8), Meter(12, 8)], ids=str)
def test_operators_keep_meter_correct_lengths(meter: Meter) -> None:
    ops = DrumOps(meter=meter, bars=4, styles=STYLES)
    rng = np.random.default_rng(5)
    pop = [ops.random(rng) for _ in range(12)]
    for _ in range(150):
        a, b = pop[int(rng.integers(len(pop)))], pop[int(rng.integers(len(pop)))]
        child = ops.mutate(ops.crossover(a, b, rng), rng)
        assert child.grid.meter == meter and child.bars == 4
        assert all(h.step < child.total_steps for h in child.hits)
        pop.append(child)
    assert len({ops.identity(g) for g in pop}) > 50


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_operators_never_change_their_parents(seed: int) -> None:
    ops = DrumOps(meter=Meter(4, 4), bars=4, styles=("rock", "funk", "breakbeat"))
    rng = np.random.default_rng(seed)
    a, b = ops.random(rng), ops.random(rng)
    a_hits, b_hits = a.hits, b.hits
    for _ in range(5):
        ops.mutate(a, rng)
        ops.crossover(a, b, rng)
    assert a.hits == a_hits and b.hits == b_hits
    # Same seed, same result.
    r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
    assert ops.mutate(a, r1).key == ops.mutate(a, r2).key


def test_distance_is_a_bounded_dissimilarity() -> None:
    ops = DrumOps(meter=Meter(4, 4), bars=2, styles=("rock",))
    a = rock_beat()
    assert ops.distance(a, a) == 0.0
    empty = DrumGenome(grid=a.grid, bars=2, hits=())
    assert ops.distance(a, empty) == 1.0
    one_less = a.with_hits(a.hits[1:])
    assert 0.0 < ops.distance(a, one_less) < 0.1
    # A triplet shuffle and a straight rock beat share the downbeats only.
    shuffle = skeleton("shuffle", Meter(4, 4), 2, np.random.default_rng(0))
    assert 0.3 < ops.distance(a, shuffle) <= 1.0


def test_crossover_by_bar_and_role_keeps_material_of_both() -> None:
    ops = DrumOps(meter=Meter(4, 4), bars=2, styles=("rock",))
    a = rock_beat()
    b = a.with_hits(
        [h for h in a.hits if h.voice != CLOSED_HH] + [Hit(s, RIDE, 70) for s in range(0, 32, 4)]
    )
    rng = np.random.default_rng(0)
    children = [ops.crossover(a, b, rng) for _ in range(40)]
    assert any({h.voice for h in c.hits} >= {CLOSED_HH, RIDE} for c in children)
    for c in children:
        assert {h.voice for h in c.hits if h.role == "core"} == {KICK, SNARE}


def test_fill_in_last_bar_with_crash_on_next_downbeat() -> None:
    g = rock_beat(4)
    rng = np.random.default_rng(2)
    for kind in ("snare_roll", "tom_descent", "snare_toms"):
        filled = add_fill(g, 2, rng, kind=kind)
        assert has_fill(filled, 2) and not has_fill(filled, 1)
        crash = [h for h in filled.hits if h.voice == CRASH]
        assert [h.step for h in crash] == [48]
        # The roll rises in velocity and the bars before it are untouched.
        roll = [
            h
            for h in filled.bar_hits(2)
            if role_of(h.voice) in ("fill",) or (h.voice == SNARE and h.step >= 40)
        ]
        assert roll[-1].velocity > roll[0].velocity
        assert filled.bar_hits(0) == g.bar_hits(0)
    last = add_fill(g, -1, rng)
    assert has_fill(last, 3) and not any(h.voice == CRASH for h in last.hits)
    assert any(h.voice == CRASH and h.step == 0 for h in crash_on_downbeat(last).hits)
    assert not any(h.voice == CRASH and h.step == 0 for h in last.hits)
    with pytest.raises(ValueError, match="bar_index"):
        add_fill(g, 4, rng)


def test_midi_part_applies_swing_and_micro_offsets() -> None:
    grid = Grid.for_meter(Meter(12, 8), "swing", swing=0.6)
    g = DrumGenome(
        grid=grid,
        bars=2,
        hits=(
            Hit(0, KICK, 100, 0.0),
            Hit(1, CLOSED_HH, 70, 0.0),
            Hit(24, KICK, 100, -0.2),
            Hit(30, SNARE, 100, 0.1),
            Hit(5, SHAKER, 40),
        ),
    )
    part = drums_part(g, Meter(12, 8))
    starts = {(n.pitch, round(n.start, 4)) for n in part.notes}
    assert (CLOSED_HH, 0.3) in starts  # swung 16th: 60% of an eighth
    assert (KICK, round(6.0 - 0.2 * 0.25, 4)) in starts
    assert (SNARE, round(6.0 + 1.5 + 0.1 * 0.25, 4)) in starts
    assert kick_onsets(part) == (0.0, 5.95)
    with pytest.raises(ValueError, match="built in 12/8"):
        drums_part(g, Meter(4, 4))
    back = part_to_genome(part, grid, 2)
    assert back.key == g.key


def test_seed_genomes_one_per_style() -> None:
    seeds = seed_genomes(Meter(5, 4), 2, ("rock", "sparse"), np.random.default_rng(0))
    assert [s.style for s in seeds] == ["rock", "sparse"]
    assert all(s.grid.steps_per_bar == 20 for s in seeds)


def test_with_hits_gives_the_genome_the_constructor_gives() -> None:
    """with_hits builds its copy without re-running the constructor's checks (they hold by
    construction): the result equals, hashes and orders like the checked constructor's, with
    the later of two hits on one place kept and hits past the end dropped."""
    rng = np.random.default_rng(11)
    base = DrumGenome(grid=Grid.for_meter(Meter(4, 4), "straight"), bars=2, hits=(), style="rock")
    for _ in range(50):
        hits = [
            Hit(
                step=int(rng.integers(0, 40)),
                voice=int(rng.choice(VOICES)),
                velocity=int(rng.integers(1, 128)),
                offset=float(rng.uniform(-0.3, 0.3)),
            )
            for _ in range(int(rng.integers(0, 30)))
        ]
        made = base.with_hits(hits)
        kept = {(h.step, h.voice): h for h in hits if h.step < base.total_steps}
        checked = DrumGenome(grid=base.grid, bars=2, hits=tuple(kept.values()), style="rock")
        assert made == checked and hash(made) == hash(checked) and made.key == checked.key
        assert made.hits == checked.hits and made.style == "rock"
        assert made.hit_table.tolist() == checked.hit_table.tolist()
    assert base.with_hits([], style="funk").style == "funk"


@given(st.floats(min_value=-0.5, max_value=0.5))
@settings(max_examples=300, deadline=None)
def test_hit_offsets_round_to_thousandths_as_round_does(offset: float) -> None:
    """A hit's offset is ``round(offset, 3)`` and its table row holds that in thousandths, the
    exact halves (0.0625 = 62.5 thousandths) included."""
    hit = Hit(0, KICK, 90, offset)
    assert hit.offset == round(offset, 3) + 0.0
    row = DrumGenome(grid=Grid.for_meter(Meter(4, 4)), bars=1, hits=(hit,)).hit_table[0]
    assert row[3] == round(round(offset, 3) * 1000)


@pytest.mark.parametrize("offset", [0.0625, -0.0625, -0.4995, -0.4975, 0.0015, 0.1234999999])
def test_hit_offsets_on_and_near_halves(offset: float) -> None:
    """Where ``offset * 1000`` itself rounds onto a half (-0.4995 -> -499.5 though the float
    lies above it), the offset is still ``round(offset, 3)``."""
    hit = Hit(0, KICK, 90, offset)
    assert hit.offset == round(offset, 3) + 0.0
    assert hit.packed == Hit(0, KICK, 90, round(offset, 3)).packed


def test_a_hit_moved_to_its_own_step_is_itself() -> None:
    hit = Hit(5, SNARE, 70, 0.1)
    assert hit.moved(5) is hit
    assert hit.moved(7) == Hit(7, SNARE, 70, 0.1)
