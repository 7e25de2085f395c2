"""For every one of the 24 major/minor keys, an independent key analysis (music21's
Krumhansl-Schmuckler) of the evolved chords agrees with the requested key. The original system
produced F# minor chords for an A minor request; this is the regression test for that."""

from __future__ import annotations

import music21
import numpy as np
import pytest

from evolution.engine import EvolutionConfig, evolve
from evolution.fitness.chords import ChordEvaluator
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part
from music.keys import Key
from music.meter import Meter
from scoring.composite import Weights

MODEL = ChordTransitionModel.load()
KEYS = [Key(t, m) for m in ("major", "minor") for t in range(12)]


def _music21_key(key: Key) -> tuple[int, str]:
    meter = Meter(4, 4)
    ops = ChordOps(key=key, meter=meter, bars=4, model=MODEL)
    result = evolve(
        ops=ops,
        evaluate=ChordEvaluator(ops=ops, weights=Weights()),
        fitness=lambda card: card.composite,
        config=EvolutionConfig(population_size=24, generations=6, top_n=3),
        rng=np.random.default_rng(key.tonic * 2 + key.is_minor),
        seeds=workhorse_genomes(key, meter, 4),
    )
    part = chords_part(result.top[0].genome, key, repeats=2)
    stream = music21.stream.Stream()
    for n in part.notes:
        note = music21.note.Note(n.pitch, quarterLength=n.duration)
        stream.insert(n.start, note)
    analysed = stream.analyze("key")
    return analysed.tonic.pitchClass, analysed.mode


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.name.replace(" ", "_"))
def test_music21_hears_the_requested_key(key: Key) -> None:
    tonic, mode = _music21_key(key)
    assert (tonic, mode) == (key.tonic, key.mode), f"asked {key.name}, music21 heard {tonic} {mode}"
