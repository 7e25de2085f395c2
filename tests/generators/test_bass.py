"""Bass genome, styles, operators and realisation: purity, meter-correct bars, register limits,
pitches from the chord at each onset, and a real evolution that follows chords and kick."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evolution.engine import EvolutionConfig, EvolutionResult, evolve
from generators.bass.genome import (
    DEFAULT_REGISTER,
    DEGREES,
    BassEvent,
    BassGenome,
    from_data,
    normalise_bar,
    to_data,
    validate_genome,
)
from generators.bass.operators import BassOps
from generators.bass.styles import STYLES, felt_beats, style_bar, style_weights
from generators.bass.to_midi import bass_part, describe, realise
from generators.chords.genome import ChordGene, workhorse_genomes
from generators.harmony import Harmony, chord_timeline
from music.keys import Key
from music.meter import Meter
from scoring.bass import kick_hit_rate, score_bass, strong_beat_tone_rate
from scoring.composite import TheoryScores
from scoring.timeline import tile_onsets

METERS = [Meter(4, 4), Meter(3, 4), Meter(7, 8), Meter(6, 8)]
KICKS = {  # one bar of kick pattern per meter, qn
    "4/4": (0.0, 1.5, 2.5),
    "3/4": (0.0, 1.5),
    "7/8": (0.0, 1.0, 2.0),
    "6/8": (0.0, 1.5, 2.5),
}


def setup(key: Key, meter: Meter, bars: int = 8, which: int = 0) -> tuple[Harmony, BassOps]:
    progression = workhorse_genomes(key, meter, 4)[which]
    harmony = chord_timeline(progression, key, meter, bars=bars)
    kicks = tile_onsets(KICKS[str(meter)], meter.bar_qn, bars * meter.bar_qn)
    return harmony, BassOps(harmony=harmony, meter=meter, bars=bars, kicks=kicks)


@pytest.mark.parametrize("meter", METERS, ids=str)
@pytest.mark.parametrize("style", STYLES)
def test_every_style_fills_one_bar_on_the_grid(meter: Meter, style: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        bar = style_bar(style, meter, rng, changes=(felt_beats(meter)[-1][0],), kicks=(0.0,))
        assert bar and bar[0].onset == 0.0
        validate_genome(BassGenome(style=style, bars=(bar,)), meter)
        assert sum(e.duration for e in bar) <= meter.bar_qn + 1e-9
        assert all(e.end <= meter.bar_qn + 1e-9 for e in bar)


def test_seven_eight_walking_plays_on_the_two_two_three_beats() -> None:
    bar = style_bar("walking", Meter(7, 8), np.random.default_rng(0))
    assert [e.onset for e in bar] == [0.0, 1.0, 2.0]
    assert [e.duration for e in bar] == [1.0, 1.0, 1.5]


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_random_and_mutated_genomes_stay_meter_correct(meter: Meter) -> None:
    _, ops = setup(Key(9, "minor"), meter)
    rng = np.random.default_rng(1)
    for _ in range(20):
        g = ops.random(rng)
        assert len(g.bars) == 8
        validate_genome(g, meter)
        for _ in range(10):
            g = ops.mutate(g, rng)
            validate_genome(g, meter)
        validate_genome(ops.crossover(g, ops.random(rng), rng), meter)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tonic=st.integers(0, 11), minor=st.booleans())
def test_operators_are_pure(seed: int, tonic: int, minor: bool) -> None:
    _, ops = setup(Key(tonic, "minor" if minor else "major"), Meter(4, 4), bars=4)
    rng = np.random.default_rng(seed)
    a, b = ops.random(rng), ops.random(rng)
    a_copy, b_copy = BassGenome(a.style, tuple(a.bars)), BassGenome(b.style, tuple(b.bars))
    for _ in range(5):
        ops.mutate(a, rng)
        ops.crossover(a, b, rng)
    assert a == a_copy and b == b_copy
    assert ops.distance(a, a) == 0.0
    assert 0.0 <= ops.distance(a, b) <= 1.0


def test_same_seed_same_genomes() -> None:
    _, ops = setup(Key(0), Meter(4, 4))
    first = [ops.random(np.random.default_rng(5)) for _ in range(3)]
    assert first == [ops.random(np.random.default_rng(5)) for _ in range(3)]
    assert ops.random(np.random.default_rng(6)) != first[0]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tonic=st.integers(0, 11), which=st.integers(0, 7))
def test_every_note_lies_in_the_register(seed: int, tonic: int, which: int) -> None:
    key = Key(tonic, "minor" if which % 2 else "major")
    harmony, ops = setup(key, Meter(4, 4), which=which)
    rng = np.random.default_rng(seed)
    g = ops.random(rng)
    for _ in range(5):
        g = ops.mutate(g, rng)
    for register in (DEFAULT_REGISTER, (36, 55)):
        notes = realise(g, harmony, key, Meter(4, 4), register=register)
        assert notes
        assert all(register[0] <= n.pitch <= register[1] for n in notes)


def test_pitches_come_from_the_chord_sounding_at_the_onset() -> None:
    # C major: C for 2 beats then G for 2 beats; root on 0 and 2, fifth on 1 and 3.
    meter, key = Meter(4, 4), Key(0)
    bar = (ChordGene(0, "maj", 0, 2.0), ChordGene(7, "maj", 0, 2.0))
    harmony = chord_timeline((bar,), key, meter, bars=1)
    events = tuple(
        BassEvent(onset=float(i), duration=1.0, degree="root" if i % 2 == 0 else "fifth")
        for i in range(4)
    )
    notes = realise(BassGenome("root-fifth", (events,)), harmony, key, meter)
    assert [n.pitch % 12 for n in notes] == [0, 7, 7, 2]


def test_inversion_plays_its_bass_note_and_approach_leads_by_step() -> None:
    meter, key = Meter(4, 4), Key(0)
    bars = ((ChordGene(0, "maj", 1, 4.0),), (ChordGene(5, "maj", 0, 4.0),))  # C/E then F
    harmony = chord_timeline(bars, key, meter, bars=2)
    g = BassGenome(
        "walking",
        (
            (BassEvent(0.0, 3.0, "root"), BassEvent(3.0, 1.0, "approach")),
            (BassEvent(0.0, 4.0, "root"),),
        ),
    )
    notes = realise(g, harmony, key, meter)
    assert notes[0].pitch % 12 == 4  # E under C/E
    assert notes[2].pitch % 12 == 5
    assert abs(notes[2].pitch - notes[1].pitch) == 1  # the approach is a semitone away


def test_octave_pattern_alternates_an_octave_apart() -> None:
    meter, key = Meter(4, 4), Key(9, "minor")
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=1)
    bar = style_bar("octave", meter, np.random.default_rng(0))
    notes = realise(BassGenome("octave", (bar,)), harmony, key, meter)
    pitches = [n.pitch for n in notes]
    assert len(pitches) == 8
    assert all(b - a == 12 for a, b in zip(pitches[::2], pitches[1::2], strict=True))


def test_bass_part_loops_the_progression_to_the_section() -> None:
    meter, key = Meter(3, 4), Key(3)
    progression = workhorse_genomes(key, meter, 4)[0]
    _, ops = setup(key, meter, bars=8)
    g = ops.random(np.random.default_rng(2))
    part = bass_part(g, progression, key, meter)
    assert part.program == 33 and part.name == "bass"
    assert part.end == pytest.approx(8 * 3.0)
    assert max(n.start for n in part.notes) < 8 * 3.0


def test_normalise_bar_clips_overlaps_and_keeps_one_event_per_onset() -> None:
    meter = Meter(4, 4)
    bar = normalise_bar(
        [BassEvent(2.0, 4.0, "root"), BassEvent(0.0, 4.0, "fifth"), BassEvent(2.0, 1.0, "third")],
        meter,
    )
    assert [(e.onset, e.duration, e.degree) for e in bar] == [
        (0.0, 2.0, "fifth"),
        (2.0, 2.0, "root"),
    ]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("onset", {"onset": 0.1, "duration": 1.0, "degree": "root"}),
        ("duration", {"onset": 0.0, "duration": 0.0, "degree": "root"}),
        ("degree", {"onset": 0.0, "duration": 1.0, "degree": "ninth"}),
        ("octave", {"onset": 0.0, "duration": 1.0, "degree": "root", "octave": 2}),
    ],
)
def test_bad_events_are_refused_naming_the_field(field: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=f"BassEvent.{field}"):
        BassEvent(**kwargs)  # type: ignore[arg-type]


def test_style_weights_follow_genres_and_mood() -> None:
    jazz = style_weights(["jazz", "swing"], [])
    assert max(jazz, key=jazz.__getitem__) == "walking"
    ambient = style_weights(["ambient"], ["ominous", "dark"])
    assert max(ambient, key=ambient.__getitem__) == "pedal"
    funk = style_weights(["funk", "soul"], [])
    assert max(funk, key=funk.__getitem__) == "syncopated"
    assert sum(jazz.values()) == pytest.approx(1.0)


def test_describe_names_style_rhythm_approach_and_range() -> None:
    meter, key = Meter(4, 4), Key(4, "minor")
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=4)
    eighths = tuple(BassEvent(i * 0.5, 0.5, "root" if i % 4 < 2 else "fifth") for i in range(8))
    last = (*eighths[:-1], eighths[-1].with_(degree="approach"))
    g = BassGenome("root-fifth", (eighths, eighths, last, eighths))
    d = describe(g, meter, realise(g, harmony, key, meter))
    assert str(d["summary"]).startswith("root-fifth in eighths, approach notes into bar 4, range ")
    assert d["notes_per_bar"] == 8.0


# ------------------------------------------------------------------ the key property
Result = EvolutionResult[BassGenome, TheoryScores]


def _evolve_bass(key: Key, meter: Meter, seed: int) -> tuple[Harmony, tuple[float, ...], Result]:
    harmony, ops = setup(key, meter, which=1)

    def evaluate(genomes: Sequence[BassGenome]) -> list[TheoryScores]:
        return [
            score_bass(
                realise(g, harmony, key, meter), chords=harmony.chords, meter=meter, kicks=ops.kicks
            )
            for g in genomes
        ]

    result = evolve(
        ops=ops,
        evaluate=evaluate,
        fitness=lambda s: s.total,
        config=EvolutionConfig(population_size=16, generations=8),
        rng=np.random.default_rng(seed),
    )
    return harmony, ops.kicks, result


def _chance_tone_rate(key: Key, meter: Meter, harmony: Harmony, starts: list[float]) -> float:
    """The chord-tone rate a random note of the key's scale would reach on these onsets."""
    scale = set(key.scale_pcs())
    rates = [len(scale & set(harmony.at(t).pitch_classes)) / len(scale) for t in starts]
    return sum(rates) / len(rates)


@pytest.mark.parametrize("meter", [Meter(4, 4), Meter(7, 8)], ids=str)
def test_evolved_bass_follows_the_chords_and_locks_to_the_kick(meter: Meter) -> None:
    key = Key(9, "minor")
    harmony, kicks, result = _evolve_bass(key, meter, seed=11)
    best = result.population[0].genome
    notes = realise(best, harmony, key, meter)
    strong = [n for n in notes if meter.is_strong(n.start % meter.bar_qn)]
    assert len(strong) >= 8
    rate = sum(n.pitch % 12 in harmony.at(n.start).pitch_classes for n in strong) / len(strong)
    chance = _chance_tone_rate(key, meter, harmony, [n.start for n in strong])
    assert 0.35 < chance < 0.5  # three or four chord tones of seven scale notes
    assert rate > 0.8 and rate > chance + 0.3

    hit = kick_hit_rate([n.start for n in notes], kicks)
    rng = np.random.default_rng(0)
    grid = np.arange(0, 8 * meter.bar_qn, 0.25)
    random_hits = [
        kick_hit_rate(list(rng.choice(grid, size=len(notes), replace=False)), kicks)
        for _ in range(50)
    ]
    assert hit >= 0.9
    assert hit > float(np.mean(random_hits)) + 0.2


def test_same_seed_same_evolved_bass() -> None:
    key, meter = Key(2), Meter(4, 4)
    _, _, first = _evolve_bass(key, meter, seed=4)
    _, _, second = _evolve_bass(key, meter, seed=4)
    assert first.population[0].genome == second.population[0].genome
    assert first.history == second.history


def test_evolution_from_scrambled_degrees_recovers_chord_tones() -> None:
    """The fitness, not only the style makers, puts chord tones on strong beats: seeds with
    every degree drawn at random (passing and approach tones on downbeats too), no fresh
    immigrants, and the evolved best still states the chords."""
    key, meter = Key(9, "minor"), Meter(4, 4)
    harmony, ops = setup(key, meter, which=1)
    rng = np.random.default_rng(0)

    def scramble(g: BassGenome) -> BassGenome:
        bars = tuple(
            tuple(e.with_(degree=DEGREES[int(rng.integers(len(DEGREES)))]) for e in bar)
            for bar in g.bars
        )
        return BassGenome(g.style, bars)

    seeds = [scramble(ops.random(rng)) for _ in range(16)]

    def evaluate(genomes: Sequence[BassGenome]) -> list[TheoryScores]:
        return [
            score_bass(
                realise(g, harmony, key, meter), chords=harmony.chords, meter=meter, kicks=ops.kicks
            )
            for g in genomes
        ]

    result = evolve(
        ops=ops,
        evaluate=evaluate,
        fitness=lambda s: s.total,
        config=EvolutionConfig(population_size=16, generations=10, immigrant_rate=0.0),
        rng=np.random.default_rng(1),
        seeds=seeds,
    )
    seed_rate = np.mean(
        [
            strong_beat_tone_rate(realise(g, harmony, key, meter), harmony.chords, meter)
            for g in seeds
        ]
    )
    best = realise(result.population[0].genome, harmony, key, meter)
    assert result.population[0].fitness > result.initial_best
    assert strong_beat_tone_rate(best, harmony.chords, meter) >= seed_rate + 0.15


def test_genome_save_load_round_trip() -> None:
    key, meter = Key(9, "minor"), Meter(7, 8)
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=8)
    rng = np.random.default_rng(1)
    for _ in range(10):
        genome = BassOps(harmony=harmony, meter=meter, bars=8).random(rng)
        assert from_data(json.loads(json.dumps(to_data(genome)))) == genome
    with pytest.raises(ValueError, match="missing field 'style'"):
        from_data({"bars": []})
    with pytest.raises(ValueError, match=r"\[onset, duration, degree, octave, velocity\]"):
        from_data({"style": "root", "bars": [[5]]})


def test_lines_share_their_notes_and_keep_the_values_asked_for() -> None:
    """realise makes each Note once and hands the same object to every line that plays it;
    each note still equals the Note of its own values."""
    from music.notes import Note

    key, meter = Key(9, "minor"), Meter(4, 4)
    harmony, ops = setup(key, meter)
    rng = np.random.default_rng(3)
    genome = ops.random(rng)
    first = realise(genome, harmony, key, meter)
    again = realise(genome, harmony, key, meter)
    assert first == again and all(a is b for a, b in zip(first, again, strict=True))
    shifted = realise(genome, harmony, key, meter, start_qn=8)
    for n, m in zip(first, shifted, strict=True):
        assert m == Note(start=8 + n.start, end=8 + n.end, pitch=n.pitch, velocity=n.velocity)
