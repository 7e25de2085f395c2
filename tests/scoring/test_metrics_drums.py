"""Drum metrics on patterns built here, with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import CLOSED_HH, CRASH, KICK, SNARE, Grid
from generators.drums.styles import skeleton
from music.meter import Meter
from scoring.metrics.common import step_weights
from scoring.metrics.drums import DRUM_METRICS, drum_metrics, drum_metrics_batch, meter_accents
from scoring.style.drums import genome_hits, genome_metrics, genomes_metrics

M44 = Meter(4, 4)


def rock(bars: int = 4, *, timing: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kick on 1 and 3, snare on 2 and 4, eighth-note hats; ``timing`` qn late."""
    hits = []
    for b in range(bars):
        t = 4.0 * b
        hits += [(t, KICK, 100), (t + 2, KICK, 100), (t + 1, SNARE, 110), (t + 3, SNARE, 110)]
        hits += [(t + 0.5 * k, CLOSED_HH, 70) for k in range(8)]
    onset, voice, vel = zip(*hits, strict=True)
    return (
        np.array(onset) + timing,
        np.array(voice, dtype=np.int64),
        np.array(vel, dtype=np.int64),
    )


def test_a_plain_rock_beat() -> None:
    m = drum_metrics(*rock(), meter=M44, bars=4, bpm=120)
    assert set(m) == set(DRUM_METRICS)
    assert m["hits_per_qn"] == 3.0
    assert m["kick_share"] == pytest.approx(2 / 12) and m["snare_share"] == pytest.approx(2 / 12)
    assert m["hat_share"] == pytest.approx(8 / 12)
    # kicks on the downbeat (weakness 0) and beat 3 (0.2), snares on 2 and 4 (0.4)
    assert m["syncopation"] == pytest.approx((0 + 0.2 + 0.4 + 0.4) / 4)
    assert m["empty_beat_rate"] == 0.0
    assert m["grooving_similarity"] == 1.0 and m["bar_similarity"] == 1.0
    assert m["velocity_mean"] == pytest.approx((200 + 220 + 560) / 12)
    assert m["timing_ms"] == 0.0
    assert m["polyphony"] == pytest.approx(12 / 8)  # 8 eighths struck, 12 hits


def test_micro_timing_is_read_in_milliseconds() -> None:
    late = drum_metrics(*rock(timing=0.05), meter=M44, bars=4, bpm=120)
    assert late["timing_ms"] == pytest.approx(25.0)  # 0.05 qn at 120 bpm
    assert late["hits_per_qn"] == 3.0  # still on the same steps


def test_empty_beats_and_bar_variation() -> None:
    onset = np.array([0.0, 4.0, 4.5, 8.0])
    voice = np.array([KICK, KICK, SNARE, CLOSED_HH], dtype=np.int64)
    vel = np.full(4, 90, dtype=np.int64)
    m = drum_metrics(onset, voice, vel, meter=M44, bars=3, bpm=100)
    assert m["empty_beat_rate"] == pytest.approx(9 / 12)
    # bar 1 holds {0, 2} steps, bars 0 and 2 hold {0}: XOR 1 of 16 steps twice, 0 once
    assert m["grooving_similarity"] == pytest.approx(1 - (1 / 16 + 0 + 1 / 16) / 3)
    assert m["bar_similarity"] == pytest.approx((0.5 + 0.0 + 0.0) / 3)


def test_nothing_struck_and_bad_input() -> None:
    empty = np.array([], dtype=np.int64)
    m = drum_metrics(empty.astype(float), empty, empty, meter=M44, bars=2, bpm=100)
    assert m["hits_per_qn"] == 0.0 and m["empty_beat_rate"] == 1.0
    assert math.isnan(m["kick_share"])
    with pytest.raises(ValueError, match="bars"):
        drum_metrics(empty.astype(float), empty, empty, meter=M44, bars=0, bpm=100)
    with pytest.raises(ValueError, match="bpm"):
        drum_metrics(empty.astype(float), empty, empty, meter=M44, bars=1, bpm=0)


def test_metrical_weights_of_odd_meters() -> None:
    w78 = step_weights(Meter(7, 8))  # 2+2+3 eighths: beats on steps 0, 4, 8
    assert w78[0] == 1.0 and w78[4] == w78[8] == 0.6 and w78[2] == 0.4 and w78[1] == 0.0
    w68 = step_weights(Meter(6, 8))
    assert len(w68) == 12 and w68[6] == 0.6 and w68[2] == 0.4


def test_genome_hits_are_read_as_played() -> None:
    grid = Grid.for_meter(M44)
    hits = [Hit(0, KICK), Hit(0, CLOSED_HH), Hit(0, CRASH), Hit(2, CLOSED_HH)]
    hits.append(Hit(4, SNARE, 80, 0.2))
    genome = DrumGenome(grid=grid, bars=1, hits=(), style="custom").with_hits(hits)
    onset, voice, velocity = genome_hits(genome)
    assert onset.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.05])
    assert sorted(voice.tolist()) == sorted([KICK, CLOSED_HH, CRASH, CLOSED_HH, SNARE])
    assert sorted(velocity.tolist())[0] == 80
    m = genome_metrics(genome, bpm=60)
    assert m["polyphony"] == pytest.approx(5 / 3)
    assert m["timing_ms"] == pytest.approx(0.05 * 1000 / 5)  # one hit 50 ms late of five
    swung = DrumGenome(grid=Grid.for_meter(M44, "swing"), bars=1, hits=(Hit(1, CLOSED_HH),))
    assert genome_hits(swung)[0][0] > 0.25  # the swung 16th is played late


def test_meter_accents_follow_the_felt_beats() -> None:
    """A 6/8 groove (kick on 1, snare on 4, eighth hats) read in 6/8 has its loud places on the
    felt beats; read as 3/4 (the same 12 16ths) its second beat falls between the quarters."""
    hits = []
    for b in range(2):
        t = 3.0 * b
        hits += [(t, KICK, 110), (t + 1.5, SNARE, 115)]
        hits += [(t + 0.5 * k, CLOSED_HH, 60) for k in range(6)]
    onset, voice, vel = (np.array(x) for x in zip(*hits, strict=True))
    six = meter_accents(onset, voice, vel, meter=Meter(6, 8), bars=2)
    assert six == {"downbeat_kick": 1.0, "kick_on_beats": 1.0, "accent_ratio": 2.875}
    three = meter_accents(onset, voice, vel, meter=Meter(3, 4), bars=2)
    assert three["kick_on_beats"] == 1.0 and three["accent_ratio"] < 1.0
    late = meter_accents(onset + 0.5, voice, vel, meter=Meter(6, 8), bars=2)
    assert late["downbeat_kick"] == 0.0


@pytest.mark.parametrize("meter", [M44, Meter(3, 4), Meter(7, 8), Meter(12, 8)])
def test_a_batch_gives_each_pattern_its_own_floats(meter: Meter) -> None:
    """drum_metrics_batch over patterns of many sizes (one empty, hits past the end) gives each
    the same floats, bit for bit, as measuring it alone."""
    rng = np.random.default_rng(3)
    bars = 5
    patterns = []
    for n in (0, 1, 7, 9, 40, 150, 3):
        onset = np.round(rng.uniform(-0.2, bars * meter.bar_qn + 0.2, n) * 4) / 4
        onset = onset + rng.normal(0.0, 0.03, n)
        voice = rng.choice([36, 38, 42, 46, 49, 51, 45], n).astype(np.int64)
        patterns.append((onset, voice, rng.integers(1, 128, n).astype(np.int64)))
    alone = [drum_metrics(*p, meter=meter, bars=bars, bpm=97.0) for p in patterns]
    batch = drum_metrics_batch(
        *(np.concatenate([p[k] for p in patterns]) for k in range(3)),
        counts=[len(p[0]) for p in patterns],
        meter=meter,
        bars=bars,
        bpm=97.0,
    )
    assert [list(map(repr, m.values())) for m in batch] == [
        list(map(repr, m.values())) for m in alone
    ]
    assert math.isnan(batch[0]["velocity_mean"]) and batch[0]["empty_beat_rate"] == 1.0


def test_genomes_metrics_are_each_genomes_metrics() -> None:
    rng = np.random.default_rng(4)
    genomes = [
        skeleton(style, meter, bars, rng, bpm=90.0)
        for style, meter, bars in (
            ("rock", M44, 4),
            ("shuffle", M44, 4),
            ("funk", M44, 2),
            ("rock", Meter(6, 8), 4),
        )
    ]
    measured = genomes_metrics(genomes, bpm=90.0)
    assert measured == [genome_metrics(g, bpm=90.0) for g in genomes]
