"""The meter is a constraint the generators cannot break: whatever chain of random genomes,
mutations and crossovers evolution runs, every candidate of every part has the requested number
of bars, each bar filled exactly (chords) or holding its events inside it (melody, bass, drums),
and its MIDI notes inside the section. So the composite needs no meter check: no candidate can
leave the meter to be ranked down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.bass.genome import validate_genome as validate_bass
from generators.bass.operators import BassOps
from generators.bass.to_midi import realise
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import validate_genome as validate_chords
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part
from generators.drums.operators import DrumOps
from generators.drums.styles import STYLES
from generators.drums.to_midi import drums_part
from generators.harmony import Harmony, chord_timeline
from generators.melody.genome import validate_genome as validate_melody
from generators.melody.operators import MelodyOps
from generators.melody.to_midi import melody_notes
from music.keys import Key
from music.meter import Meter
from music.notes import Note

METERS = [Meter.parse(m) for m in ("4/4", "3/4", "6/8", "7/8", "5/4", "12/8")]
BARS = 4
MODEL = ChordTransitionModel.load()
KEY = Key(2, "dorian")
G = TypeVar("G")


def _evolve(ops: Any, seed: int, steps: int = 30) -> list[Any]:
    """A population as evolution makes it: random genomes, then crossovers and mutations of
    them and of their children."""
    rng = np.random.default_rng(seed)
    pop = [ops.random(rng) for _ in range(6)]
    for _ in range(steps):
        a, b = pop[int(rng.integers(len(pop)))], pop[int(rng.integers(len(pop)))]
        pop.append(ops.mutate(ops.crossover(a, b, rng), rng))
    return pop


def _harmony(meter: Meter) -> Harmony:
    genome = ChordOps(key=KEY, meter=meter, bars=BARS, model=MODEL).random(np.random.default_rng(1))
    return chord_timeline(genome, KEY, meter, bars=BARS)


def _inside_bars(notes: tuple[Note, ...] | list[Note], meter: Meter) -> None:
    """Every note starts and ends inside one bar of the section."""
    for n in notes:
        bar = int(n.start // meter.bar_qn + 1e-9)
        assert 0 <= bar < BARS
        assert n.end <= (bar + 1) * meter.bar_qn + 1e-6, (n, meter)


def _each(meter: Meter, check: Callable[[Meter, int], None]) -> None:
    @settings(max_examples=6, deadline=None)
    @given(st.integers(0, 2**16))
    def run(seed: int) -> None:
        check(meter, seed)

    run()


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_chord_bars_always_fill_the_meter(meter: Meter) -> None:
    def check(meter: Meter, seed: int) -> None:
        ops = ChordOps(key=KEY, meter=meter, bars=BARS, model=MODEL)
        for genome in _evolve(ops, seed):
            assert len(genome) == BARS
            validate_chords(genome, meter)  # raises unless each bar is exactly one bar long
            part = chords_part(genome, KEY)
            assert max(n.end for n in part.notes) == pytest.approx(BARS * meter.bar_qn)

    _each(meter, check)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_melody_notes_never_cross_a_bar(meter: Meter) -> None:
    harmony = _harmony(meter)

    def check(meter: Meter, seed: int) -> None:
        ops = MelodyOps(key=KEY, meter=meter, harmony=harmony, bars=BARS, phrase_bars=2)
        for genome in _evolve(ops, seed):
            assert len(genome.bars) == BARS
            validate_melody(genome, meter)
            _inside_bars(melody_notes(genome, KEY, meter), meter)

    _each(meter, check)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_bass_notes_never_cross_a_bar(meter: Meter) -> None:
    harmony = _harmony(meter)

    def check(meter: Meter, seed: int) -> None:
        ops = BassOps(harmony=harmony, meter=meter, bars=BARS)
        for genome in _evolve(ops, seed):
            validate_bass(genome, meter)
            _inside_bars(realise(genome, harmony, KEY, meter, bars=BARS), meter)

    _each(meter, check)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_drum_hits_stay_in_their_section(meter: Meter) -> None:
    def check(meter: Meter, seed: int) -> None:
        ops = DrumOps(meter=meter, bars=BARS, styles=STYLES)
        for genome in _evolve(ops, seed):
            assert genome.bars == BARS and genome.grid.meter == meter
            starts = [n.start for n in drums_part(genome, meter).notes]
            assert all(0 <= s < BARS * meter.bar_qn for s in starts)

    _each(meter, check)


def test_a_genome_that_breaks_the_meter_is_refused() -> None:
    """The validators the checks above rely on do fail on a broken genome."""
    meter = Meter(3, 4)
    genome = ChordOps(key=KEY, meter=meter, bars=2, model=MODEL).random(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"bar 1: 3\.0 quarter notes -- each bar must hold 4\.0"):
        validate_chords(genome, Meter(4, 4))
    melody = MelodyOps(key=KEY, meter=meter, harmony=_harmony(meter), bars=BARS).random(
        np.random.default_rng(0)
    )
    with pytest.raises(ValueError, match="past the bar"):
        validate_melody(melody, Meter(2, 4))
