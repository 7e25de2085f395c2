"""The genre drum styles and the learned feels they read: how a bar of any meter maps onto the
4/4 table, the shipped table's checks, the learned hits and micro-timing, and each style's idiom
on its skeleton in 4/4, 3/4, 5/4, 6/8 and 7/8."""

from __future__ import annotations

import copy
import json
from importlib import resources

import numpy as np
import pytest

from generators.drums.feel import (
    ARTIFACT_NAME,
    CLASSES,
    LATTICE,
    Feel,
    beat_roles,
    feel_of,
    offbeat_step,
    parse_feels,
    shipped_feels,
    step_places,
)
from generators.drums.genres import GENRE_STYLES, learned
from generators.drums.grid import CLOSED_HH, KICK, PEDAL_HH, RIDE, RIM, SNARE, Grid
from generators.drums.styles import grid_for, skeleton, style_bar
from generators.drums.to_midi import drums_part
from music.meter import Meter
from scoring.style.drums import genome_metrics
from scoring.style.profile import shipped_profiles

METERS = [Meter(4, 4), Meter(3, 4), Meter(5, 4), Meter(6, 8), Meter(7, 8)]


def _shipped() -> dict:  # type: ignore[type-arg]
    text = resources.files("generators.data").joinpath(ARTIFACT_NAME).read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def test_pulses_take_the_roles_of_four_four_beats() -> None:
    assert beat_roles(4) == (0, 1, 2, 3)
    assert beat_roles(3) == (0, 1, 3)
    assert beat_roles(5) == (0, 1, 2, 1, 3)
    assert beat_roles(2) == (0, 3)


def test_steps_find_their_lattice_place_in_any_meter() -> None:
    sixteenths = step_places(Grid.for_meter(Meter(4, 4)))
    assert [LATTICE[p.pos] for p in sixteenths[:4]] == [0, 3, 6, 9]
    assert [p.role for p in sixteenths[::4]] == [0, 1, 2, 3]
    triplets = step_places(Grid.for_meter(Meter(3, 4), "triplet"))
    assert [LATTICE[p.pos] for p in triplets[:3]] == [0, 4, 8]
    compound = step_places(Grid.for_meter(Meter(6, 8)))  # two beats of three eighths
    assert [LATTICE[p.pos] for p in compound[:6:2]] == [0, 4, 8]
    assert not compound[0].binary and sixteenths[0].binary
    seven = Grid.for_meter(Meter(7, 8))  # 2+2+3
    assert [offbeat_step(seven, i) for i in range(3)] == [2, 6, 12]


def test_the_shipped_table_reads_and_bad_tables_are_refused() -> None:
    feels = shipped_feels()
    assert set(feels) == set(GENRE_STYLES) | {"rock", "half-time", "funk", "shuffle", "breakbeat"}
    assert 0.55 <= feels["swing"].swing_ratio <= 0.65  # Groove's jazz beats swing
    assert feels["hip-hop"].swing_ratio < 0.53
    data = _shipped()
    bad = copy.deepcopy(data)
    bad["format_version"] = 99
    with pytest.raises(ValueError, match="format_version 99"):
        parse_feels(bad)
    bad = copy.deepcopy(data)
    bad["styles"]["swing"]["probability"]["ride"] = [[0.5]]
    with pytest.raises(ValueError, match=r"styles\.swing\.probability\.ride has shape"):
        parse_feels(bad)


def _feel(**probability: list[list[float]]) -> Feel:
    zero = np.zeros((4, len(LATTICE)))
    return Feel(
        style="test",
        probability={c: np.asarray(probability.get(c, zero), dtype=np.float64) for c in CLASSES},
        velocity={c: np.full((4, len(LATTICE)), 77.0) for c in CLASSES},
        timing=(0.0,) * len(LATTICE),
        timing_sd=0.0,
        timing_sd_ms=0.0,
        swing_ratio=0.6,
        shares={"closed_hh": 0.5, "ride": 0.01},
        groove_styles=("test",),
        bars=1,
    )


def test_learned_hits_play_anchors_and_skip_rare_ones() -> None:
    kick = np.zeros((4, len(LATTICE)))
    kick[0, 0] = 0.9  # beat 1: an anchor
    kick[2, 0] = 0.05  # beat 3: too rare
    hats = np.full((4, len(LATTICE)), 0.3)  # scaled to always as the time-keeper
    feel = _feel(kick=kick.tolist(), closed_hh=hats.tolist(), ride=hats.tolist())
    grid = Grid.for_meter(Meter(4, 4))
    t = learned(feel, grid, np.random.default_rng(0), ("kick",), ("closed_hh", "ride"))
    assert sorted(s for s, v, _ in t if v == KICK) == [0]
    assert sorted(s for s, v, _ in t if v == CLOSED_HH) == list(range(16))
    assert not any(v == RIDE for _, v, _ in t)  # 1% of the hits: never the time-keeper
    assert {vel for _, _, vel in t} == {77}


def test_a_swung_feel_places_the_off_beat_at_its_ratio() -> None:
    feel = _feel()
    grid = Grid.for_meter(Meter(4, 4), "triplet")
    rng = np.random.default_rng(0)
    let = offbeat_step(grid, 1)
    assert let == 5
    offset = feel.offset(grid, let, rng, swung=True)
    assert grid.step_qn_at(let, offset) == pytest.approx(1.6)
    assert feel.offset(grid, 3, rng, swung=True) == 0.0  # the beat stays


def _bar_notes(style: str, meter: Meter) -> list[tuple[float, int, int]]:
    g = skeleton(style, meter, 2, np.random.default_rng(4))
    part = drums_part(g, meter)
    return [(n.start, n.pitch, n.velocity) for n in part.notes if n.start < meter.bar_qn - 0.2]


def _near(times: list[float], t: float) -> bool:
    return any(abs(x - t) <= 0.16 for x in times)  # the largest learned offset: 0.15


def _pulses(meter: Meter) -> list[float]:
    grid = Grid.for_meter(meter)
    return [grid.step_in_bar_qn(s) for s in grid.pulse_steps]


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_swing_rides_every_pulse_with_the_foot_on_the_backbeat(meter: Meter) -> None:
    notes = _bar_notes("swing", meter)
    ride = [t for t, p, _ in notes if p == RIDE]
    foot = [t for t, p, _ in notes if p == PEDAL_HH]
    pulses = _pulses(meter)
    assert all(_near(ride, t) for t in pulses)
    assert len(foot) == len(pulses) // 2 + (len(pulses) % 2 if len(pulses) > 1 else 0)
    assert not _near(foot, 0.0)
    if meter.denominator == 4:
        assert grid_for("swing", meter).feel == "triplet"
        skips = [t % 1.0 for t in ride if 0.4 < t % 1.0 < 0.8]
        assert skips and all(0.5 < x < 0.72 for x in skips)


def test_swing_comps_off_the_beat_as_groove_jazz_drummers_do() -> None:
    """The kick and snare comp where Groove's jazz drummers play them, each place in some bars:
    the kick on about half the downbeats (their 51%), and kick and snare off the strong beats
    about as often as in the jazz beats (syncopation inside the shipped jazz profile's
    p25-p75, 0.53-0.76; the anchored draw gave 0.2)."""
    meter = Meter(4, 4)
    genomes = [
        skeleton("swing", meter, 8, np.random.default_rng(seed), bpm=120) for seed in range(40)
    ]
    downbeats = [
        any(h.voice == KICK and h.step == b * g.grid.steps_per_bar for h in g.hits)
        for g in genomes
        for b in range(g.bars)
    ]
    assert 0.3 < float(np.mean(downbeats)) < 0.75
    band = shipped_profiles("drums").get("jazz|4/4|any")
    assert band is not None
    syncopation = dict(band.bands)["syncopation"]
    median = float(np.median([genome_metrics(g, bpm=120)["syncopation"] for g in genomes]))
    assert syncopation.at(25) <= median <= syncopation.at(75)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_four_on_the_floor_kicks_every_pulse(meter: Meter) -> None:
    kicks = [t for t, p, _ in _bar_notes("four-on-the-floor", meter) if p == KICK]
    assert all(_near(kicks, t) for t in _pulses(meter))


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_the_one_drop_and_the_bossa_cross_stick(meter: Meter) -> None:
    pulses = _pulses(meter)
    reggae = _bar_notes("reggae", meter)
    kicks = [t for t, p, _ in reggae if p == KICK]
    middle = pulses[len(pulses) // 2] if len(pulses) > 1 else 0.0
    assert _near(kicks, middle) and not _near(kicks, 0.0)
    assert _near([t for t, p, _ in reggae if p == RIM], middle)
    bossa = [t for t, p, _ in _bar_notes("bossa", meter) if p == RIM]
    assert _near(bossa, 0.0) and len(bossa) >= 2


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_hip_hop_and_brushes_keep_their_backbeat(meter: Meter) -> None:
    pulses = _pulses(meter)
    backbeat = [pulses[i] for i in range(1, len(pulses), 2)]
    hip_hop = _bar_notes("hip-hop", meter)
    assert _near([t for t, p, _ in hip_hop if p == KICK], 0.0)
    snares = [t for t, p, v in hip_hop if p == SNARE and v >= 70]
    assert all(_near(snares, t) for t in backbeat)
    for style in ("brushes", "brushes-straight"):
        brushes = _bar_notes(style, meter)
        taps = [(t, v) for t, p, v in brushes if p == SNARE]
        assert len(taps) >= len(pulses) and max(v for _, v in taps) < 90
        assert not any(p == RIDE for _, p, _ in brushes)


def test_straight_brushes_tap_the_and_and_swung_ones_the_let() -> None:
    """In 4/4 the tap between two pulses falls on the 8th's ``&`` (half the beat) for straight
    brushes and on the last triplet (two thirds) for swung ones."""
    meter = Meter(4, 4)
    for style, fraction in (("brushes-straight", 0.5), ("brushes", 2 / 3)):
        grid = grid_for(style, meter)
        template = style_bar(style, grid, np.random.default_rng(0))
        between = sorted(
            grid.step_in_bar_qn(s) % 1.0
            for s, v, _ in template
            if v == SNARE and s not in grid.pulse_steps
        )
        assert between and all(abs(f - fraction) < 1e-6 for f in between)


def test_variation_keeps_the_time_keeper_of_an_idiom() -> None:
    from generators.drums.operators import DrumOps

    meter = Meter(4, 4)
    rng = np.random.default_rng(9)
    for style, absent in (("four-on-the-floor", RIDE), ("swing", CLOSED_HH)):
        ops = DrumOps(meter=meter, bars=2, styles=(style,))
        genome = skeleton(style, meter, 2, rng)
        for _ in range(300):
            genome = ops.mutate(genome, rng)
            assert not any(h.voice == absent for h in genome.hits), style
    rock = DrumOps(meter=meter, bars=2, styles=("rock",))
    hats = [
        g
        for g in (skeleton("rock", meter, 2, rng) for _ in range(20))
        if all(h.voice != RIDE for h in g.hits)
    ]
    assert hats
    genomes = [rock.mutate(g, rng) for g in hats for _ in range(20)]
    assert any(h.voice == RIDE for g in genomes for h in g.hits)  # rock may move to the ride


@pytest.mark.parametrize("style", ["rock", "funk", "shuffle"])
def test_skeleton_styles_play_at_groove_velocities(style: str) -> None:
    """A skeleton's pattern is hand-set, but how loud each hit is comes from Groove's drummers
    (the rock template's downbeat kick says 100; Groove's rock drummers play it near 76)."""
    feel = feel_of(style)
    assert feel is not None
    grid = grid_for(style, Meter(4, 4))
    place = step_places(grid)[0]
    kicks = [
        h.velocity
        for seed in range(30)
        for h in skeleton(style, Meter(4, 4), 4, np.random.default_rng(seed)).hits
        if h.voice == KICK and h.step % grid.steps_per_bar == 0
    ]
    assert len(kicks) >= 60
    assert abs(float(np.mean(kicks)) - feel.vel("kick", place)) < 4.0
