"""Melody genome, phrases, lyrics, ranges and operators: purity, meter-correct bars, range
limits, breaths, continuity, syllable counts kept through evolution, lyric events in MIDI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evolution.engine import EvolutionConfig, EvolutionResult, evolve
from generators.chords.genome import workhorse_genomes
from generators.harmony import Harmony, chord_timeline
from generators.melody.genome import (
    MelodyGenome,
    MelodyNote,
    from_data,
    normalise_bar,
    step_pitch,
    to_data,
    validate_genome,
)
from generators.melody.lyrics import (
    MELISMA,
    fit_syllables,
    line_syllables,
    lyric_lines,
    phrase_syllables,
    syllabify,
)
from generators.melody.operators import MelodyOps
from generators.melody.phrase import breath_point, phrase_rhythm
from generators.melody.ranges import VOICES, voice_for
from generators.melody.to_midi import describe, melody_notes, melody_part, write_lyrics
from music.keys import Key
from music.meter import Meter
from music.midi_io import Song, read_midi, write_midi
from music.notes import Note, lyric_events
from scoring.composite import TheoryScores
from scoring.melody import score_melody

METERS = [Meter(4, 4), Meter(3, 4), Meter(7, 8), Meter(6, 8)]
LYRICS = """[Verse]
The tide went out and took the kitchen light,
I read your letters slower every night;

you wrote the gulls were louder than the sea,
you never wrote a single word to me.
"""


def make_ops(
    key: Key,
    meter: Meter,
    *,
    bars: int = 8,
    voice: str = "voice",
    previous: int | None = None,
    syllables: tuple[int, ...] = (),
) -> MelodyOps:
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=bars)
    return MelodyOps(
        key=key,
        meter=meter,
        harmony=harmony,
        bars=bars,
        voice=VOICES[voice],
        previous_pitch=previous,
        syllables=syllables,
    )


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_random_and_mutated_melodies_stay_meter_correct(meter: Meter) -> None:
    ops = make_ops(Key(9, "minor"), meter)
    rng = np.random.default_rng(1)
    for _ in range(15):
        g = ops.random(rng)
        assert len(g.bars) == 8 and g.phrases == 2
        validate_genome(g, meter)
        for _ in range(15):
            g = ops.mutate(g, rng)
            validate_genome(g, meter)
        validate_genome(ops.crossover(g, ops.random(rng), rng), meter)


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_phrase_rhythm_ends_with_a_breath(meter: Meter) -> None:
    rng = np.random.default_rng(2)
    for _ in range(30):
        rhythm = phrase_rhythm(meter, 4, rng)
        last = rhythm[-1]
        assert last.bar == 3
        assert last.end == pytest.approx(breath_point(meter))
        assert breath_point(meter) <= meter.bar_qn - 0.5
        assert all(n.end <= meter.bar_qn + 1e-9 for n in rhythm)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tonic=st.integers(0, 11), minor=st.booleans())
def test_operators_are_pure(seed: int, tonic: int, minor: bool) -> None:
    ops = make_ops(Key(tonic, "minor" if minor else "major"), Meter(4, 4))
    rng = np.random.default_rng(seed)
    a, b = ops.random(rng), ops.random(rng)
    a_copy = MelodyGenome(tuple(a.bars), a.phrase_bars, a.base, tuple(a.contour))
    b_copy = MelodyGenome(tuple(b.bars), b.phrase_bars, b.base, tuple(b.contour))
    for _ in range(5):
        ops.mutate(a, rng)
        ops.crossover(a, b, rng)
    assert a == a_copy and b == b_copy
    assert ops.distance(a, a) == 0.0
    assert 0.0 <= ops.distance(a, b) <= 1.0


def test_same_seed_same_melodies() -> None:
    ops = make_ops(Key(7), Meter(3, 4))
    first = [ops.random(np.random.default_rng(5)) for _ in range(3)]
    assert first == [ops.random(np.random.default_rng(5)) for _ in range(3)]
    assert ops.random(np.random.default_rng(6)) != first[0]


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    tonic=st.integers(0, 11),
    voice=st.sampled_from(sorted(VOICES)),
)
def test_every_note_lies_in_the_voice_range(seed: int, tonic: int, voice: str) -> None:
    key = Key(tonic, "dorian")
    ops = make_ops(key, Meter(4, 4), voice=voice)
    rng = np.random.default_rng(seed)
    g = ops.random(rng)
    for _ in range(20):
        g = ops.mutate(g, rng)
    r = VOICES[voice]
    assert all(r.low <= n.pitch <= r.high for n in melody_notes(g, key, Meter(4, 4)))


def test_pitches_are_in_the_key_and_steps_map_to_the_mode() -> None:
    key = Key(9, "minor")
    assert step_pitch(2, 57, "minor") == 60  # A3 + minor third = C4
    assert step_pitch(-1, 57, "minor") == 55  # G3
    assert step_pitch(7, 57, "minor") == 69
    ops = make_ops(key, Meter(4, 4))
    g = ops.random(np.random.default_rng(0))
    assert all(n.pitch % 12 in key.scale_pcs() for n in melody_notes(g, key, Meter(4, 4)))


def test_random_phrases_put_chord_tones_on_felt_beats_and_one_climax() -> None:
    key, meter = Key(0), Meter(4, 4)
    ops = make_ops(key, meter)
    rng = np.random.default_rng(3)
    on_beat = chord = single = total = 0
    for _ in range(20):
        g = ops.random(rng)
        notes = melody_notes(g, key, meter)
        for n in notes:
            if n.start % 1.0 == 0:
                on_beat += 1
                chord += n.pitch % 12 in ops.harmony.at(n.start).pitch_classes
        for p in range(g.phrases):
            steps = [n.step for _, n in g.phrase_notes(p)]
            total += 1
            single += steps.count(max(steps)) == 1
    assert chord / on_beat > 0.85
    assert single / total > 0.9


def test_first_note_continues_from_the_previous_section() -> None:
    key, meter = Key(2), Meter(4, 4)
    for previous in (62, 69, 74):
        ops = make_ops(key, meter, previous=previous)
        rng = np.random.default_rng(previous)
        for _ in range(10):
            first = melody_notes(ops.random(rng), key, meter)[0]
            assert abs(first.pitch - previous) <= 5


def test_voice_for_reads_the_proposal_instruments() -> None:
    assert voice_for(["female vocal", "piano"]).name == "voice"
    assert (voice_for(["male vocal"]).low, voice_for(["male vocal"]).high) == (48, 67)
    assert (voice_for(["vocals"]).low, voice_for(["vocals"]).high) == (57, 76)
    assert voice_for(["electric piano", "bass guitar", "analog synth lead"]).name == "synth lead"
    assert voice_for(["upright bass", "flute"]).name == "flute"
    assert voice_for(["trumpet"]).name == "trumpet"
    assert voice_for(["violin", "cello"]).name == "violin"
    assert voice_for(["sub bass", "string pad"]).name == "voice"
    assert voice_for(["flute"], has_lyrics=True).name == "voice"
    assert voice_for([]).name == "voice"


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("window", ("win", "dow")),
        ("little", ("lit", "tle")),
        ("table", ("ta", "ble")),
        ("time", ("time",)),
        ("kitchen", ("kit", "chen")),
        ("remember", ("re", "mem", "ber")),
        ("loved", ("loved",)),
        ("wanted", ("wan", "ted")),
        ("night", ("night",)),
        ("father", ("fa", "ther")),
    ],
)
def test_syllabify(word: str, parts: tuple[str, ...]) -> None:
    assert syllabify(word) == parts
    assert "".join(parts) == word


def test_lyric_lines_and_phrase_syllables() -> None:
    lines = lyric_lines(LYRICS)
    assert len(lines) == 4 and lines[0].startswith("The tide")
    assert line_syllables("the kitchen light") == ("the", "kit-", "chen", "light")
    per_phrase = phrase_syllables(lines, 2)
    assert [len(p) for p in per_phrase] == [21, 20]
    assert phrase_syllables(lines[:1], 2)[1] == phrase_syllables(lines[:1], 2)[0]
    assert fit_syllables(4, ["a", "b"]) == ("a", "b", MELISMA, MELISMA)
    assert fit_syllables(2, ["win-", "dow", "sill"]) == ("win-", "dow sill")


def _lyric_ops(meter: Meter) -> tuple[MelodyOps, tuple[tuple[str, ...], ...]]:
    syllables = phrase_syllables(lyric_lines(LYRICS), 2)
    ops = make_ops(Key(6, "minor"), meter, syllables=tuple(len(s) for s in syllables))
    return ops, syllables


@pytest.mark.parametrize("meter", METERS, ids=str)
def test_lyrics_give_one_note_per_syllable_through_every_operator(meter: Meter) -> None:
    ops, syllables = _lyric_ops(meter)
    want = tuple(len(s) for s in syllables)
    rng = np.random.default_rng(4)
    for _ in range(10):
        g = ops.random(rng)
        assert g.note_counts() == want
        for _ in range(20):
            g = ops.mutate(g, rng)
            assert g.note_counts() == want
        assert ops.crossover(g, ops.random(rng), rng).note_counts() == want


def test_lyrics_survive_evolution_and_reach_the_midi_file(tmp_path: Path) -> None:
    meter, key = Meter(4, 4), Key(6, "minor")
    ops, syllables = _lyric_ops(meter)
    want = [len(s) for s in syllables]

    def evaluate(genomes: Sequence[MelodyGenome]) -> list[TheoryScores]:
        return [
            score_melody(
                melody_notes(g, key, meter),
                chords=ops.harmony.chords,
                meter=meter,
                key=key,
                register=(ops.voice.low, ops.voice.high),
                phrase_qn=4 * meter.bar_qn,
                syllables=want,
            )
            for g in genomes
        ]

    result: EvolutionResult[MelodyGenome, TheoryScores] = evolve(
        ops=ops,
        evaluate=evaluate,
        fitness=lambda s: s.total,
        config=EvolutionConfig(population_size=12, generations=5),
        rng=np.random.default_rng(9),
    )
    best = result.population[0].genome
    assert list(best.note_counts()) == want
    assert result.population[0].score.as_dict()["lyric_fit"] == 1.0
    part = melody_part(best, key, meter, syllables=syllables, program=53)
    events = lyric_events(part)
    assert len(events) == len(part.notes) == sum(want)
    assert [t for t, _ in events] == pytest.approx([n.start for n in part.notes])
    assert MELISMA not in [s for _, s in events]
    path = write_midi(Song(parts=(part,), bpm=80, meter=meter), tmp_path / "melody.mid")
    write_lyrics(path, track="melody", events=events)
    texts = [m.text for t in mido.MidiFile(path).tracks for m in t if m.type == "lyrics"]
    assert texts == [s for _, s in events]
    again = read_midi(path)
    assert [n.pitch for n in again.parts[0].notes] == [n.pitch for n in part.notes]


def test_melisma_only_when_a_phrase_has_more_notes_than_syllables() -> None:
    meter, key = Meter(4, 4), Key(0)
    bar = tuple(MelodyNote(float(i), 1.0, i) for i in range(4))
    g = MelodyGenome((bar,), 1, 60, ("arch",))
    part = melody_part(g, key, meter, syllables=[("hel-", "lo")])
    assert [s for _, s in lyric_events(part)] == ["hel-", "lo", MELISMA, MELISMA]


def test_describe_speaks_of_contour_range_and_rhythm() -> None:
    meter, key = Meter(4, 4), Key(0)
    bars = (
        (MelodyNote(0.0, 1.0, 2), MelodyNote(1.0, 1.0, 3), MelodyNote(2.0, 2.0, 4)),
        (MelodyNote(0.0, 1.0, 5), MelodyNote(1.0, 1.0, 4)),
        (MelodyNote(0.0, 2.0, 7), MelodyNote(2.0, 1.0, 5)),
        (MelodyNote(0.0, 2.0, 0),),
    )
    d = describe(MelodyGenome(bars, 4, 60, ("arch",)), key, meter)
    assert d["contour"] == "phrase 1 rises to a peak on bar 3, falls to the tonic"
    assert d["range"] == "C4-C5"
    assert "2.0 notes per bar" in str(d["rhythm"])


def test_bad_inputs_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"MelodyNote\.onset"):
        MelodyNote(0.1, 1.0, 0)
    with pytest.raises(ValueError, match="contour"):
        MelodyGenome(((MelodyNote(0.0, 1.0, 0),),), 4, 60, ("zigzag",))
    harmony = chord_timeline(
        workhorse_genomes(Key(0), Meter(4, 4), 4)[0], Key(0), Meter(4, 4), bars=8
    )
    with pytest.raises(ValueError, match="syllables"):
        MelodyOps(key=Key(0), meter=Meter(4, 4), harmony=harmony, bars=8, syllables=(3,))
    wrong: Harmony = chord_timeline(
        workhorse_genomes(Key(0), Meter(3, 4), 4)[0], Key(0), Meter(3, 4), bars=8
    )
    with pytest.raises(ValueError, match="bar_qn"):
        MelodyOps(key=Key(0), meter=Meter(4, 4), harmony=wrong, bars=8)


def test_same_seed_same_evolved_melody() -> None:
    meter, key = Meter(7, 8), Key(2, "dorian")
    ops = make_ops(key, meter, previous=64)

    def run(seed: int) -> EvolutionResult[MelodyGenome, TheoryScores]:
        def evaluate(genomes: Sequence[MelodyGenome]) -> list[TheoryScores]:
            return [
                score_melody(
                    melody_notes(g, key, meter),
                    chords=ops.harmony.chords,
                    meter=meter,
                    key=key,
                    register=(ops.voice.low, ops.voice.high),
                    phrase_qn=4 * meter.bar_qn,
                    previous_pitch=64,
                )
                for g in genomes
            ]

        return evolve(
            ops=ops,
            evaluate=evaluate,
            fitness=lambda s: s.total,
            config=EvolutionConfig(population_size=12, generations=6),
            rng=np.random.default_rng(seed),
        )

    first, second = run(2), run(2)
    assert first.population[0].genome == second.population[0].genome
    assert first.history == second.history
    assert first.population[0].fitness >= first.initial_best
    assert run(3).population[0].genome != first.population[0].genome


def test_genome_save_load_round_trip() -> None:
    key, meter = Key(9, "minor"), Meter(7, 8)
    harmony = chord_timeline(workhorse_genomes(key, meter, 4)[0], key, meter, bars=8)
    rng = np.random.default_rng(1)
    for _ in range(10):
        genome = MelodyOps(key=key, meter=meter, harmony=harmony, bars=8).random(rng)
        assert from_data(json.loads(json.dumps(to_data(genome)))) == genome
    with pytest.raises(ValueError, match="missing field 'base'"):
        from_data({"bars": [], "phrase_bars": 4, "contour": []})
    with pytest.raises(ValueError, match=r"\[onset, duration, step, velocity\]"):
        from_data({"base": 60, "phrase_bars": 4, "contour": ["arch"], "bars": [[5]]})


@settings(max_examples=200, deadline=None)
@given(
    notes=st.lists(
        st.tuples(st.integers(0, 16), st.integers(1, 20), st.integers(-7, 14)), max_size=8
    ),
    meter=st.sampled_from(METERS),
    presorted=st.booleans(),
)
def test_normalise_bar_keeps_a_normal_bar_as_the_full_steps_would(
    notes: list[tuple[int, int, int]], meter: Meter, presorted: bool
) -> None:
    """A bar that is already normal comes back as it is, without the sort and clip steps;
    whatever the input, the result is what those steps give, and normalising is idempotent."""
    import generators.melody.genome as genome_module

    bar = [MelodyNote(o * 0.25, d * 0.25, s) for o, d, s in notes]
    if presorted:
        bar.sort(key=lambda n: n.onset)
    got = normalise_bar(bar, meter)
    real = genome_module._is_normal
    genome_module._is_normal = lambda *_: False
    try:
        full = normalise_bar(bar, meter)
        again_full = normalise_bar(got, meter)
    finally:
        genome_module._is_normal = real
    assert got == full
    assert normalise_bar(got, meter) == got == again_full
    assert genome_module._is_normal(got, meter.bar_qn)


def test_melody_notes_reuse_the_notes_of_shared_bars_and_equal_a_fresh_build() -> None:
    key, meter = Key(9, "minor"), Meter(4, 4)
    ops = make_ops(key, meter)
    rng = np.random.default_rng(2)
    pop = [ops.random(rng) for _ in range(8)]
    for i in range(60):
        child = ops.mutate(ops.crossover(pop[i % 8], pop[(i * 3) % 8], rng), rng)
        for start in (0.0, 16.0):
            got = melody_notes(child, key, meter, start_qn=start)
            fresh = [
                Note(
                    start + b * meter.bar_qn + n.onset,
                    start + b * meter.bar_qn + n.end,
                    step_pitch(n.step, child.base, key.mode),
                    n.velocity,
                )
                for b, bar in enumerate(child.bars)
                for n in bar
            ]
            assert list(got) == fresh
        pop[i % 8] = child
    first, again = melody_notes(pop[0], key, meter), melody_notes(pop[0], key, meter)
    assert all(a is b for a, b in zip(first, again, strict=True))  # made once, reused
