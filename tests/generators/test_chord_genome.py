"""Chord genome, operators and voicing: purity, meter-correct bars, voice leading."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.chord_model import ChordTransitionModel
from generators.chords.genome import (
    ChordGene,
    bar_splits,
    describe,
    validate_genome,
    workhorse_genomes,
)
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part, voice_chords
from music.keys import Key
from music.meter import Meter

MODEL = ChordTransitionModel.load()
METERS = [Meter(4, 4), Meter(3, 4), Meter(7, 8), Meter(6, 8), Meter(5, 4), Meter(12, 8)]


def ops_for(key: Key, meter: Meter, bars: int = 4) -> ChordOps:
    return ChordOps(key=key, meter=meter, bars=bars, model=MODEL)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_bar_splits_fill_the_bar_on_beat_boundaries(meter: Meter) -> None:
    for split in bar_splits(meter):
        assert sum(split) == pytest.approx(meter.bar_qn)
        assert all(s in (*meter.beat_offsets_qn(), meter.bar_qn) or s > 0 for s in split)
    if meter == Meter(7, 8):
        assert bar_splits(meter)[1] == (2.0, 1.5)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_random_and_mutated_genomes_fill_every_bar(meter: Meter) -> None:
    ops = ops_for(Key(2, "minor"), meter)
    rng = np.random.default_rng(1)
    for _ in range(30):
        g = ops.random(rng)
        validate_genome(g, meter)
        assert len(g) == 4
        m = ops.mutate(g, rng)
        validate_genome(m, meter)
        validate_genome(ops.crossover(g, m, rng), meter)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tonic=st.integers(0, 11), minor=st.booleans())
def test_operators_never_change_their_parents(seed: int, tonic: int, minor: bool) -> None:
    ops = ops_for(Key(tonic, "minor" if minor else "major"), Meter(4, 4))
    rng = np.random.default_rng(seed)
    a, b = ops.random(rng), ops.random(rng)
    a_copy, b_copy = tuple(a), tuple(b)
    for _ in range(5):
        ops.mutate(a, rng)
        ops.crossover(a, b, rng)
    assert a == a_copy and b == b_copy


def test_same_seed_same_genomes() -> None:
    ops = ops_for(Key(7), Meter(4, 4))
    first = [ops.random(np.random.default_rng(5)) for _ in range(3)]
    second = [ops.random(np.random.default_rng(5)) for _ in range(3)]
    assert first == second
    assert ops.random(np.random.default_rng(6)) != first[0]


def test_distance_is_zero_for_equal_and_one_for_disjoint() -> None:
    key, meter = Key(0), Meter(4, 4)
    ops = ops_for(key, meter)
    seeds = workhorse_genomes(key, meter, 4)
    assert ops.distance(seeds[0], seeds[0]) == 0.0
    every_bar_c = tuple((ChordGene(0, "maj", 0, 4.0),) for _ in range(4))
    every_bar_fs = tuple((ChordGene(6, "dim", 0, 4.0),) for _ in range(4))
    assert ops.distance(every_bar_c, every_bar_fs) == 1.0
    assert ops.distance(seeds[0], seeds[2]) == pytest.approx(0.75)  # I V vi IV vs I vi IV V


def test_workhorses_read_as_written() -> None:
    key = Key.parse("A minor")
    seeds = workhorse_genomes(key, Meter(4, 4), 4)
    assert describe(seeds[0], key)["progression"] == "i | VII | VI | VII"
    assert describe(seeds[0], key)["chords"] == "Am | G | F | G"
    major = workhorse_genomes(Key.parse("G major"), Meter(4, 4), 4)
    assert describe(major[0], Key.parse("G major"))["chords"] == "G | D | Em | C"


def test_voicing_moves_little_and_keeps_the_bass_below() -> None:
    key = Key(0)
    genes = tuple(g for bar in workhorse_genomes(key, Meter(4, 4), 4)[3] for g in bar)  # I IV V I
    voicings = voice_chords(genes, key)
    for prev, nxt in itertools.pairwise(voicings):
        assert max(abs(a - b) for a, b in zip(prev.upper, nxt.upper, strict=True)) <= 4
    for v, g in zip(voicings, genes, strict=True):
        assert v.bass < v.upper[0]
        assert {p % 12 for p in v.upper} == set(g.roman.in_key(key).pitch_classes())


def test_inversion_puts_the_third_in_the_bass() -> None:
    key = Key(0)
    v = voice_chords((ChordGene(0, "maj", 1, 4.0),), key)[0]
    assert v.bass % 12 == 4  # C/E


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_chords_part_lasts_the_bars_of_its_meter(meter: Meter) -> None:
    key = Key(9, "minor")
    genome = workhorse_genomes(key, meter, 4)[0]
    part = chords_part(genome, key, repeats=2)
    assert part.end == pytest.approx(8 * meter.bar_qn)
    assert min(n.start for n in part.notes) == 0.0


def test_genome_json_round_trip() -> None:
    import json

    from generators.chords.genome import from_data, to_data

    ops = ops_for(Key(4, "minor"), Meter(7, 8))
    rng = np.random.default_rng(9)
    for _ in range(10):
        g = ops.random(rng)
        assert from_data(json.loads(json.dumps(to_data(g)))) == g
    with pytest.raises(ValueError, match="bar 1"):
        from_data([[]])
