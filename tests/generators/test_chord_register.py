"""Chord voicings follow their instrument: inside its range and under the melody's ceiling, a
guitar's voices spaced like strings, a pad holding the tones two chords share."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from generators.chords.genome import ChordGene, ChordGenome, flatten, workhorse_genomes
from generators.chords.voicing import (
    DEFAULT_REGISTER,
    chords_part,
    register_for,
    voice_chords,
)
from music.chords import QUALITIES
from music.instruments import Instrument, load_table
from music.keys import parse_key
from music.meter import Meter

KEY = parse_key("E dorian")
CHORD_PLAYERS = [i for i in load_table().instruments.values() if "chords" in i.roles]


def _progressions() -> list[tuple[ChordGene, ...]]:
    out = [flatten(g) for g in workhorse_genomes(KEY, Meter(4, 4), 4)]
    for quality in QUALITIES:
        out.append(tuple(ChordGene(off, quality, 0, 4.0) for off in (0, 5, 7, 2, 9)))
    return out


@pytest.mark.parametrize("inst", CHORD_PLAYERS, ids=lambda i: i.name)
@pytest.mark.parametrize("ceiling", [57, 61, 66, 72])
def test_voicings_stay_in_the_instrument_and_under_the_ceiling(
    inst: Instrument, ceiling: int
) -> None:
    reg = register_for(inst, ceiling=ceiling)
    top = max(ceiling, inst.low + 12)
    assert reg.upper_high <= min(top, inst.high)
    for genes in _progressions():
        for v in voice_chords(genes, KEY, reg):
            assert reg.upper_low <= min(v.upper) and max(v.upper) <= reg.upper_high
            assert max(v.upper) <= top
            assert v.bass >= min(inst.low, reg.bass_low) - 12


def test_guitar_voicings_are_spaced_like_strings() -> None:
    guitar = load_table().instrument("nylon guitar")
    reg = register_for(guitar, ceiling=61)
    spaced = 0
    total = 0
    for genes in _progressions():
        for v in voice_chords(genes, KEY, reg):
            pitches = sorted({v.bass, *v.upper})
            assert min(pitches) >= guitar.low
            gaps = [b - a for a, b in itertools.pairwise(v.upper)]
            total += 1
            spaced += all(2 <= g <= 9 for g in gaps)
    assert spaced / total >= 0.9  # a chord no string spacing can reach is voiced closely


def test_a_pad_holds_common_tones_a_piano_strikes_again() -> None:
    table = load_table()
    pad_reg = register_for(table.instrument("warm pad"), ceiling=61)
    piano_reg = register_for(table.instrument("piano"), ceiling=61)
    held = 0
    for genome in workhorse_genomes(KEY, Meter(4, 4), 4):
        pad = chords_part(genome, KEY, register=pad_reg)
        piano = chords_part(genome, KEY, register=piano_reg)
        longest = max(n.end - n.start for n in pad.notes)
        held += longest > max(g.beats for g in flatten(genome))
        # Held or struck, the pad sounds every chord's tones all the time.
        for gene_start, gene in _starts(genome):
            t = gene_start + gene.beats / 2
            assert {n.pitch % 12 for n in pad.notes if n.start <= t < n.end} >= {
                n.pitch % 12 for n in piano.notes if n.start <= t < n.end
            } - {n.pitch % 12 for n in piano.notes if n.start <= t < n.end and n.velocity == 80}
    assert held >= 1


def _starts(genome: ChordGenome) -> Iterator[tuple[float, ChordGene]]:
    t = 0.0
    for gene in flatten(genome):
        yield t, gene
        t += gene.beats


@pytest.mark.parametrize("name", ["piano", "nylon guitar", "accordion", None])
def test_a_struck_register_sounds_every_voice_of_every_chord(name: str | None) -> None:
    reg = (
        DEFAULT_REGISTER
        if name is None
        else register_for(load_table().instrument(name), ceiling=61)
    )
    for genome in workhorse_genomes(KEY, Meter(4, 4), 4):
        part = chords_part(genome, KEY, register=reg, repeats=2)
        genes = flatten(genome)
        voicings = voice_chords(genes, KEY, reg) * 2
        t = 0.0
        for gene, v in zip(genes * 2, voicings, strict=True):
            struck = sorted(n.pitch for n in part.notes if abs(n.start - t) < 1e-9)
            assert struck == sorted(set(v.pitches))
            assert all(
                abs(n.end - (t + gene.beats)) < 1e-9 for n in part.notes if abs(n.start - t) < 1e-9
            )
            t += gene.beats


def test_the_default_register_is_unchanged() -> None:
    genes = flatten(workhorse_genomes(KEY, Meter(4, 4), 4)[0])
    assert voice_chords(genes, KEY) == voice_chords(genes, KEY, DEFAULT_REGISTER)
    for v in voice_chords(genes, KEY):
        assert min(v.upper) >= 52 and max(v.upper) <= 79
