"""Parts a person played, read back as genomes: chords heard bar by bar (root, quality,
inversion, a bar split where its halves differ), drum notes as the genome's drum classes on
the grid with their micro-timing; and each genome's ``splice_bars`` changes only its range."""

from __future__ import annotations

import numpy as np
import pytest

from generators.bass.genome import BassEvent, BassGenome
from generators.bass.genome import splice_bars as splice_bass
from generators.chords.genome import describe, workhorse_genomes
from generators.chords.genome import splice_bars as splice_chords
from generators.chords.recognise import recognise_chords
from generators.drums.from_notes import genome_from_notes
from generators.drums.genome import splice_bars as splice_drums
from generators.drums.grid import CRASH, KICK, SNARE
from generators.drums.styles import skeleton
from generators.melody.genome import MelodyGenome, MelodyNote
from generators.melody.genome import splice_bars as splice_melody
from music.keys import Key
from music.meter import Meter
from music.notes import Note

FOUR = Meter.parse("4/4")


def _block(bar: int, pitches: tuple[int, ...], start: float = 0.0, end: float = 4.0) -> list[Note]:
    return [Note(bar * 4.0 + start, bar * 4.0 + end, p, 80) for p in pitches]


def test_chords_are_heard_by_bar_with_inversions_and_split_bars() -> None:
    key = Key.parse("A minor")
    notes = [
        *_block(0, (45, 57, 60, 64)),  # Am, root in the bass
        *_block(1, (48, 57, 65)),  # F/C: the fifth in the bass
        *_block(2, (48, 55, 64), 0.0, 2.0),  # C | G inside one bar
        *_block(2, (43, 59, 62), 2.0, 4.0),
        *_block(3, (52, 56, 59, 62)),  # E7
    ]
    genome = recognise_chords(notes, key, FOUR, 5)  # bar 5 is silent: holds E7
    assert describe(genome, key)["chords"] == "Am | F/C | C G | E7 | E7"
    assert [len(bar) for bar in genome] == [1, 1, 2, 1, 1]
    assert genome[2][0].beats == 2.0 and genome[1][0].inversion == 2


def test_drum_notes_become_classes_on_the_grid_with_their_timing() -> None:
    notes = [
        Note(0.0, 0.1, 35, 100),  # bass drum -> kick
        Note(1.03, 1.1, 40, 60),  # electric snare, a little late -> snare, offset
        Note(1.0, 1.1, 38, 90),  # the louder snare on that step wins
        Note(4.0, 4.1, 57, 110),  # crash 2 -> crash
        Note(8.0, 8.1, 36, 100),  # past 2 bars: dropped
    ]
    genome = genome_from_notes(notes, FOUR, 2)
    assert [(h.step, h.voice, h.velocity) for h in genome.hits] == [
        (0, KICK, 100),
        (4, SNARE, 90),
        (16, CRASH, 110),
    ]
    late = genome_from_notes([Note(1.03, 1.1, 40, 60)], FOUR, 1).hits[0]
    assert late.step == 4 and late.offset == pytest.approx(0.12)
    with pytest.raises(ValueError, match="drum note: 60 -- one of kick 35/36"):
        genome_from_notes([Note(0.0, 0.5, 60, 90)], FOUR, 1)


def test_splice_bars_changes_only_the_range() -> None:
    rng = np.random.default_rng(1)
    a, b = skeleton("rock", FOUR, 4, rng), skeleton("funk", FOUR, 4, rng)
    mixed = splice_drums(b, a, 1, 2)
    for bar in range(4):
        assert mixed.bar_hits(bar) == (b if bar in (1, 2) else a).bar_hits(bar)

    key = Key.parse("C major")
    p, q = workhorse_genomes(key, FOUR, 4)[:2]
    assert splice_chords(q, p, 3, 3) == (*p[:3], q[3])

    def bass(degree: str) -> BassGenome:
        return BassGenome(
            style="root", bars=tuple((BassEvent(0.0, 4.0, degree),) for _ in range(4))
        )

    assert [bar[0].degree for bar in splice_bass(bass("fifth"), bass("root"), 0, 1).bars] == [
        "fifth",
        "fifth",
        "root",
        "root",
    ]

    def melody(step: int, base: int) -> MelodyGenome:
        bars = tuple((MelodyNote(0.0, 4.0, step),) for _ in range(4))
        return MelodyGenome(bars=bars, phrase_bars=2, base=base, contour=("arch", "arch"))

    spliced = splice_melody(melody(4, 62), melody(0, 60), 2, 3)
    assert [bar[0].step for bar in spliced.bars] == [0, 0, 4, 4] and spliced.base == 60
