"""One measure of how a drum pattern keeps its meter (:mod:`generators.drums.timekeeping`), over
one hit table built from a genome as played or from sampled token bars. On many generated
patterns in many meters it answers as the two measures it replaced did: on genomes, as the
metrics of the notes played (``meter_accents``' downbeat_kick and ``backbeat``'s on_backbeat,
which the drums phase's bank filter read); on token bars, as the step rule the transformer
ranked its cell draws by (a kick on step 0, a loud snare on a snare pulse's step)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np
import pytest

from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import CLAP, CLOSED_HH, KICK, RIDE, RIM, SNARE, Grid
from generators.drums.styles import STYLES, skeleton
from generators.drums.timekeeping import LOUD, HitTable, TimeKept, time_kept
from generators.drums.tokens import BarHits
from generators.drums.transformer import genome_bar_hits, load_for_meter, time_kept_in_cells
from music.meter import Meter, kick_snare_pulses
from scoring.metrics.drum_idiom import backbeat
from scoring.metrics.drums import meter_accents
from scoring.style.drums import genome_hits

METERS = ("4/4", "3/4", "6/8", "7/8", "7/4", "11/8", "5/4", "12/8", "2/2", "6/4", "15/16", "5/8")
BARS = 4
#: Offsets at and beside the edges where a hit rounds to the next 16th or leaves a pulse.
EDGES = (-0.5, -0.499, -0.4, 0.0, 0.4, 0.499, 0.5)
VOICES = (KICK, SNARE, RIM, CLAP, CLOSED_HH, RIDE)


def _variants(genome: DrumGenome, rng: np.random.Generator) -> Iterator[DrumGenome]:
    """The genome, shifted a 16th late and early, and with its offsets at the edges."""
    total = genome.bars * genome.grid.steps_per_bar
    yield genome
    yield genome.with_hits([h.moved(h.step + 1) for h in genome.hits if h.step + 1 < total])
    yield genome.with_hits([h.moved(h.step - 1) for h in genome.hits if h.step >= 1])
    yield genome.with_hits(
        [Hit(h.step, h.voice, h.velocity, float(rng.choice(EDGES))) for h in genome.hits]
    )


def _random(meter: Meter, rng: np.random.Generator) -> DrumGenome:
    """Random hits on the straight grid, many of the kicks and snares on the pulses."""
    grid = Grid.for_meter(meter)
    spb = grid.steps_per_bar
    hits = {}
    for _ in range(int(rng.integers(3, 6 * BARS))):
        step, voice = int(rng.integers(0, spb * BARS)), int(rng.choice(VOICES))
        offset = float(rng.choice([*EDGES, rng.uniform(-0.5, 0.5)]))
        hits[step, voice] = Hit(step, voice, int(rng.integers(1, 128)), offset)
    for bar in range(BARS):
        for pulse in grid.pulse_steps:
            if rng.random() < 0.6:
                step, voice = bar * spb + pulse, int(rng.choice((KICK, SNARE, CLAP)))
                hits[step, voice] = Hit(step, voice, int(rng.integers(50, 128)), 0.0)
    return DrumGenome(grid=grid, bars=BARS, hits=(), style="random").with_hits(hits.values())


def patterns(meter: Meter) -> list[DrumGenome]:
    """Every style's skeletons (two seeds, each also shifted and at the offset edges), random
    patterns and drum-transformer grooves sampled as the bank samples them."""
    rng = np.random.default_rng(5)
    out = []
    for style in STYLES:
        for seed in range(2):
            out += _variants(skeleton(style, meter, BARS, np.random.default_rng(seed)), rng)
    out += [_random(meter, rng) for _ in range(30)]
    model = load_for_meter(meter)
    if model.supports(meter):
        out += model.sample_styles(3, ("rock", "funk"), meter, BARS, np.random.default_rng(1))
    return out


def _as_notes(genome: DrumGenome) -> tuple[float, float]:
    """The shares the drums phase's bank filter read from the notes played."""
    onset, voice, velocity = genome_hits(genome)
    meter = genome.grid.meter
    downbeat = meter_accents(onset, voice, velocity, meter=meter, bars=genome.bars)
    on_backbeat = backbeat(onset, voice, velocity, meter, genome.bars)["on_backbeat"]
    return downbeat["downbeat_kick"], 0.0 if math.isnan(on_backbeat) else on_backbeat


def _step_rule(bars: Sequence[BarHits], meter: Meter) -> tuple[float, float]:
    """The shares the transformer ranked its draws by: bars with a kick on step 0, and loud
    snares on the step of one of the snare's pulses."""
    if not bars:
        return 0.0, 0.0
    pulses = Grid.for_meter(meter).pulse_steps
    snare_steps = {pulses[i] for i in kick_snare_pulses(len(pulses))[1]}
    kicked = sum(any(s == 0 and h.cls == 0 for s, h in bar) for bar in bars)
    loud = [s for bar in bars for s, h in bar if h.cls == 1 and h.velocity >= LOUD]
    on = sum(s in snare_steps for s in loud)
    return kicked / len(bars), on / len(loud) if loud else 0.0


@pytest.mark.parametrize("name", METERS)
def test_on_genomes_it_answers_as_the_notes_played(name: str) -> None:
    meter = Meter.parse(name)
    shares = []
    for genome in patterns(meter):
        kept = time_kept(HitTable.from_genome(genome))
        assert (kept.downbeat, kept.backbeat) == _as_notes(genome), (name, genome.style)
        shares.append(kept.reaches(downbeat=0.5, backbeat=0.75))
    assert any(shares) and not all(shares), name  # the patterns fall on both sides


@pytest.mark.parametrize("name", METERS)
def test_on_sampled_bars_it_answers_as_the_step_rule(name: str) -> None:
    """Each pattern's bars as token hits, and for a meter played in cells each cell meter's
    bars as the model samples them (their offsets stretched up to the edges)."""
    meter = Meter.parse(name)
    plan = load_for_meter(meter).cell_plan(meter)
    totals = set()
    for genome in patterns(meter):
        bars = [genome_bar_hits(genome, b) for b in range(genome.bars)]
        streams = {meter: bars} if plan is None else plan.split(bars)
        for stream_meter, stream in streams.items():
            kept = time_kept(HitTable.from_bars(stream, stream_meter))
            assert (kept.downbeat, kept.backbeat) == _step_rule(stream, stream_meter)
            totals.add(kept.total)
        if plan is not None:
            least = time_kept_in_cells(genome, plan)
            rules = [_step_rule(s, m) for m, s in streams.items()]
            assert least.downbeat == min(r[0] for r in rules)
            assert least.backbeat == min(r[1] for r in rules)
    assert len(totals) > 3  # the patterns are told apart


def test_a_late_or_early_kick_counts_on_the_16th_it_rounds_to() -> None:
    grid = Grid.for_meter(Meter(4, 4))
    base = DrumGenome(grid=grid, bars=1, hits=(), style="t")
    for offset, on in ((0.499, True), (-0.5, True), (0.5, False)):
        kick = base.with_hits([Hit(0, KICK, 100, offset), Hit(4, SNARE, 100, offset)])
        kept = time_kept(HitTable.from_genome(kick))
        assert kept == TimeKept(downbeat=float(on), backbeat=1.0), offset
    late = base.with_hits([Hit(15, KICK, 100, 0.5)])  # rounds into the bar after the last
    assert time_kept(HitTable.from_genome(late)).downbeat == 0.0
    # The 16th after beat 2 played half a step early sits on beat 2's edge; swung, it is later.
    early = [Hit(0, KICK, 100), Hit(5, SNARE, 100, -0.5)]
    assert time_kept(HitTable.from_genome(base.with_hits(early))).backbeat == 1.0
    swung = replace(base, grid=Grid.for_meter(Meter(4, 4), "swing")).with_hits(early)
    assert time_kept(HitTable.from_genome(swung)) == TimeKept(downbeat=1.0, backbeat=0.0)


def test_shares_thresholds_and_the_least_of_cells() -> None:
    kept = TimeKept(downbeat=0.5, backbeat=0.75)
    assert kept.total == 1.25
    assert kept.reaches(downbeat=0.5, backbeat=0.75)
    assert not kept.reaches(downbeat=0.5, backbeat=0.8)
    assert not kept.reaches(downbeat=0.6, backbeat=0.75)
    least = TimeKept.least([kept, TimeKept(downbeat=1.0, backbeat=0.5)])
    assert least == TimeKept(downbeat=0.5, backbeat=0.5)
    empty = HitTable.from_bars([], Meter(7, 8))
    assert time_kept(empty) == TimeKept(downbeat=0.0, backbeat=0.0)
    ghosts = HitTable.of_rows(Meter(4, 4), 1, [(0.0, 0, 90), (4.0, 1, LOUD - 1)])
    assert time_kept(ghosts) == TimeKept(downbeat=1.0, backbeat=0.0)


def test_a_table_refuses_columns_of_other_lengths() -> None:
    with pytest.raises(ValueError, match=r"HitTable columns: .* of one length \[N\]"):
        HitTable(
            meter=Meter(4, 4),
            bars=1,
            position=np.zeros(2),
            drum_class=np.zeros(3, dtype=np.int64),
            velocity=np.zeros(2, dtype=np.int64),
        )
    with pytest.raises(ValueError, match=r"HitTable\.bars: -1"):
        HitTable.of_rows(Meter(4, 4), -1, [])
