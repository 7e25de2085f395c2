"""The chords phase with the real transition model and theory scorers: evolution really raises
the scores, is reproducible, and writes MIDI whose bars have the meter's length."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from agents.phases.chords import source_blend
from agents.runner import start_run
from evolution.engine import EvolutionConfig, evolve
from evolution.fitness.chords import ChordEvaluator
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import workhorse_genomes
from generators.chords.operators import ChordOps
from music.keys import Key
from music.meter import Meter
from scoring.composite import Weights

MODEL = ChordTransitionModel.load()


def _evolve(seed: int, *, seeds: bool = True) -> object:
    key, meter = Key(2, "minor"), Meter(4, 4)
    ops = ChordOps(key=key, meter=meter, bars=4, model=MODEL)
    return evolve(
        ops=ops,
        evaluate=ChordEvaluator(ops=ops, weights=Weights()),
        fitness=lambda card: card.composite,
        config=EvolutionConfig(population_size=64, generations=30, patience=30),
        rng=np.random.default_rng(seed),
        seeds=workhorse_genomes(key, meter, 4) if seeds else (),
    )


def test_best_and_mean_composite_rise_with_the_real_scorers() -> None:
    result = _evolve(11, seeds=False)
    history = result.history  # type: ignore[attr-defined]
    bests = [h.best for h in history]
    means = [h.mean for h in history]
    assert all(b2 >= b1 for b1, b2 in itertools.pairwise(bests))  # elitism
    assert bests[-1] > bests[0] + 0.02
    assert means[-1] > means[0] + 0.1
    assert result.population[0].fitness > result.initial_best  # type: ignore[attr-defined]
    # The composite is the real theory total: every top candidate has all five components.
    card = result.top[0].score  # type: ignore[attr-defined]
    assert card.chromatic is None and card.composite == card.theory.total
    assert {k for k, _ in card.theory.components} == {
        "likelihood",
        "voice_leading",
        "cadence",
        "key_fit",
        "variety",
    }


def test_top_candidates_are_not_near_copies() -> None:
    result = _evolve(3)
    top = result.top  # type: ignore[attr-defined]
    ops = ChordOps(key=Key(2, "minor"), meter=Meter(4, 4), bars=4, model=MODEL)
    for i, a in enumerate(top):
        for b in top[i + 1 :]:
            assert ops.distance(a.genome, b.genome) >= 0.15


def test_same_seed_same_result_different_seed_different() -> None:
    a, b, c = _evolve(5), _evolve(5), _evolve(6)
    assert [s.genome for s in a.top] == [s.genome for s in b.top]  # type: ignore[attr-defined]
    assert a.history == b.history  # type: ignore[attr-defined]
    assert [s.genome for s in a.top] != [s.genome for s in c.top]  # type: ignore[attr-defined]


def test_source_blend_follows_genres() -> None:
    assert source_blend(["folk rock"], [])["billboard"] > 0.5
    assert source_blend(["baroque chorale"], [])["bach"] > 0.5
    assert source_blend(["ambient"], []) == {"bach": 0.5, "billboard": 0.5}


def _changes(pm: pretty_midi.PrettyMIDI) -> list[float]:
    """The onsets (seconds) where the set of pitches struck differs from the one before."""
    struck: dict[float, set[int]] = {}
    for inst in pm.instruments:
        for n in inst.notes:
            struck.setdefault(round(n.start, 6), set()).add(n.pitch)
    out: list[float] = []
    before: set[int] = set()
    for at in sorted(struck):
        if struck[at] != before:
            out.append(at)
        before = struck[at]
    return out


@pytest.mark.parametrize(
    ("genre", "longest_qn", "off_beat"), [("jazz", 0.75, True), ("ambient", 3.0, False)]
)
def test_candidate_midi_comps_in_the_genre_rhythm(
    make_proposal: Callable[..., Path],
    tmp_path: Path,
    genre: str,
    longest_qn: float,
    off_beat: bool,
) -> None:
    """Jazz chords are short hits with some off the beat; ambient chords are held (3/4: a
    chord a bar), in the candidate MIDI the person hears and song.mid is built from."""
    bpm = 100.0
    proposal = make_proposal(name=f"comp_{genre}", time_signature="3/4", bpm=bpm, genres=[genre])
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path)
    qn = 60.0 / bpm
    paths = sorted((outcome.run_dir / "chords" / "candidates").glob("*.mid"))
    assert paths
    for path in paths:
        notes = [n for inst in pretty_midi.PrettyMIDI(str(path)).instruments for n in inst.notes]
        lengths = [(n.end - n.start) / qn for n in notes]
        in_bar = [round(n.start / qn, 3) % 3.0 for n in notes]
        if off_beat:
            assert max(lengths) <= longest_qn + 1e-3
            assert any(abs(b - round(b)) > 1e-3 for b in in_bar)
        else:
            assert min(lengths) >= 1.0 - 1e-3 and max(lengths) >= longest_qn - 1e-3
            assert all(abs(b - round(b)) < 1e-3 for b in in_bar)


@pytest.mark.parametrize(
    ("signature", "bar_qn"), [("7/8", 3.5), ("3/4", 3.0), ("6/8", 3.0), ("5/4", 5.0)]
)
def test_candidate_midi_bars_have_the_meter_length(
    make_proposal: Callable[..., Path], tmp_path: Path, signature: str, bar_qn: float
) -> None:
    bpm = 120.0
    proposal = make_proposal(
        name=f"odd_{signature.replace('/', '_')}", time_signature=signature, bpm=bpm
    )
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path)
    for path in sorted((outcome.run_dir / "chords" / "candidates").glob("*.mid")):
        pm = pretty_midi.PrettyMIDI(str(path))
        ts = pm.time_signature_changes[0]
        assert f"{ts.numerator}/{ts.denominator}" == signature
        bar_seconds = bar_qn * 60.0 / bpm
        end = max(n.end for inst in pm.instruments for n in inst.notes)
        assert end == pytest.approx(4 * bar_seconds, abs=1e-3)  # a 4-bar phrase
        downbeats = pm.get_downbeats()
        assert downbeats[1] == pytest.approx(bar_seconds, abs=1e-3)
        # Every chord change (a new set of pitches; the folk strum repeats a chord between
        # changes) falls on a felt beat of the meter.
        beats = Meter.parse(signature).beat_offsets_qn()
        for s in _changes(pm):
            in_bar = (s / (60.0 / bpm)) % bar_qn
            assert any(abs(in_bar - b) < 1e-3 for b in beats)
