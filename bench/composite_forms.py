"""The evidence behind the composite's form (docs/scoring.md): the same chords evolutions
(theory + the ChromaticScorer's match, the key verdict on every card) ranked by five forms of
fitness, and for each what music21 hears in the winner, what the winner scores, and how far the
final population's composites spread.

Forms (``v`` is the key verdict's violation, 0 in key):

- ``linear``: the composite alone (the key only through the theory's ``key_fit``; before);
- ``penalty``: composite - v;
- ``product``: composite x max(0, 1 - v);
- ``floor``: composite in key, else at most half of it (capped below 0.5);
- ``feasibility_first``: :attr:`scoring.composite.ScoreCard.fitness`, Deb's rule: every
  candidate in key above every one out of it; in key by composite, out of it by violation.

``python -m bench.composite_forms`` (a 40-cell part of the key grid; ``--tonics``, ``--meters``,
``--modes`` as in :mod:`bench.key_grid`); results in ``bench/results/composite_forms.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track

from agents.phases.chords import source_blend
from bench.common import write_result
from bench.key_grid import SONGS
from evolution.engine import EvolutionConfig, evolve
from evolution.fitness.chords import ChordEvaluator
from evolution.fitness.chromatic import SongChromaticScorer
from evolution.fitness.key_verdicts import heard_chords
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import flatten, workhorse_genomes
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part
from music.keys import Key
from music.meter import Meter
from music.midi_io import Song, write_midi
from scoring.composite import ScoreCard, Weights
from scoring.music21_keys import judge_progression


def _v(card: ScoreCard) -> float:
    return card.key.violation if card.key is not None else 0.0


FORMS: dict[str, Callable[[ScoreCard], float]] = {
    "linear": lambda c: c.composite,
    "penalty": lambda c: max(-1.0, c.composite - _v(c)),
    "product": lambda c: c.composite * max(0.0, 1.0 - _v(c)),
    "floor": lambda c: c.composite if _v(c) == 0 else 0.5 * c.composite,
    "feasibility_first": lambda c: c.fitness,
}


def _in_key_by_music21(genome: Any, key: Key, meter: Meter, folder: Path) -> bool:
    path = folder / "winner.mid"
    write_midi(Song(parts=(chords_part(genome, key),), bpm=96, meter=meter), path)
    return judge_progression(path, heard_chords(flatten(genome), key), key)[0]


def cell(
    key: Key, meter: Meter, index: int, folder: Path, *, population: int, generations: int
) -> dict[str, Any]:
    color, concept, genre = SONGS[index % len(SONGS)]
    model = ChordTransitionModel.load().with_blend(source_blend([genre], []))
    ops = ChordOps(key=key, meter=meter, bars=4, model=model)
    scorer = SongChromaticScorer(concept=concept, color=color, bpm=96.0, meter=meter)
    evaluator = ChordEvaluator(ops=ops, weights=Weights(), chromatic_scorer=scorer)
    out: dict[str, Any] = {"key": key.name, "meter": str(meter), "color": color}
    for name, form in FORMS.items():
        result = evolve(
            ops=ops,
            evaluate=evaluator,
            fitness=form,
            config=EvolutionConfig(population_size=population, generations=generations),
            rng=np.random.default_rng(100 + index),
            seeds=workhorse_genomes(key, meter, 4),
        )
        winner = result.top[0]
        composites = sorted((s.score.composite for s in result.population), reverse=True)
        chroma = winner.score.chromatic
        out[name] = {
            "music21_in_key": _in_key_by_music21(winner.genome, key, meter, folder),
            "verdict_in_key": winner.score.key is not None and winner.score.key.feasible,
            "composite": round(winner.score.composite, 4),
            "match": round(chroma.match, 4) if chroma is not None else None,
            "theory": round(winner.score.theory.total, 4),
            "spread": round(composites[0] - composites[-1], 4),
            "top10_spread": round(composites[0] - composites[min(9, len(composites) - 1)], 4),
            "feasible_share": round(
                float(np.mean([s.score.key is not None and s.score.key.feasible
                               for s in result.population])),
                4,
            ),
        }  # fmt: skip
    return out


def summary(cells: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for name in FORMS:
        rows = [c[name] for c in cells]
        out[name] = {
            "music21_in_key": round(float(np.mean([r["music21_in_key"] for r in rows])), 4),
            "verdict_in_key": round(float(np.mean([r["verdict_in_key"] for r in rows])), 4),
            **{
                k: round(float(np.mean([r[k] for r in rows if r[k] is not None])), 4)
                for k in ("composite", "match", "theory", "spread", "top10_spread")
            },
            "feasible_share": round(float(np.mean([r["feasible_share"] for r in rows])), 4),
        }
    return out


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.composite_forms", description=__doc__)
    parser.add_argument("--population", type=int, default=24)
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--tonics", default="0,3,6,9")
    parser.add_argument("--modes", default="major,minor,dorian,mixolydian,harmonic_minor")
    parser.add_argument("--meters", default="3/4,7/8")
    args = parser.parse_args(argv)
    grid = [
        (Key(int(t), mode), Meter.parse(m))
        for mode in args.modes.split(",")
        for t in args.tonics.split(",")
        for m in args.meters.split(",")
    ]
    cells = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (key, meter) in enumerate(
            track(grid, description="forms", disable=not sys.stderr.isatty())
        ):
            cells.append(
                cell(
                    key,
                    meter,
                    i,
                    Path(tmp),
                    population=args.population,
                    generations=args.generations,
                )
            )
    figures = summary(cells)
    settings = {"population": args.population, "generations": args.generations}
    path = write_result("composite_forms", {**settings, "summary": figures, "cells": cells})
    print(f"{len(cells)} cells, population {args.population} x {args.generations} generations")
    print(f"{'form':18} {'music21 in key':>14} {'composite':>9} {'match':>6} {'spread':>6}")
    for name, f in figures.items():
        print(
            f"{name:18} {100 * f['music21_in_key']:13.1f}% {f['composite']:9.3f} "
            f"{f['match']:6.3f} {f['spread']:6.3f}"
        )
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
