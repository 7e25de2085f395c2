"""The key grid: for every requested key (12 tonics x major, minor, dorian, mixolydian, harmonic
minor) in 4/4, 3/4, 6/8, 7/8 and 5/4, run the agent to its chords gate with the ChromaticScorer
on, take the candidate auto-approve promotes (rank 1), and ask music21 (``analyze('key')``)
which key it hears. The figure is the share of cells in the requested key.

music21 answers major or minor only. A major or minor request is in key when music21 names it;
harmonic minor when music21 names the tonic's minor; dorian and mixolydian when music21 names
the tonic in the mode's family (D minor for D dorian), or names the relative key of the mode's
pitch collection (C major or A minor for D dorian) while the progression emphasises the
requested tonic; and they must sound their own collection
(:func:`scoring.music21_keys.judge_progression`: the rules the key constraint applies to its
own estimate).

``python -m bench.key_grid`` runs the whole grid (300 cells; about 3 s each here at the default
population 24 x 10 generations); ``--tonics``, ``--modes``, ``--meters`` take a part of it.
Results go to ``bench/results/key_grid[_LABEL].json``, rewritten after every cell (``complete``
says whether the whole grid ran); cells run in a fixed shuffled order.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import track
from ruamel.yaml import YAML

from agents.runner import start_run
from bench.common import write_result
from evolution.fitness.key_verdicts import heard_chords
from generators.chords.genome import describe, flatten, from_data
from music.keys import MODE_INTERVALS, Key
from music.meter import Meter
from scoring.music21_keys import judge_progression

TONICS = tuple(range(12))
MODES = ("major", "minor", "dorian", "mixolydian", "harmonic_minor")
METERS = ("4/4", "3/4", "6/8", "7/8", "5/4")
#: Songs of every color, so the critic pulls in different directions across the grid.
SONGS = (
    ("Blue", "A porch at dusk, remembering someone who is no longer there.", "folk rock"),
    ("Red", "An old photograph of a fairground, colours fading in a drawer.", "electro rock"),
    ("Yellow", "A city of glass on a far planet, not yet built, humming at dawn.", "ambient"),
    ("Green", "A flooded forest nobody remembers, slow water over roots.", "modern classical"),
    ("Violet", "A friend laughing at a joke only the two of us understand.", "soul pop"),
    ("Indigo", "Signals from a station that may never have existed.", "post-rock"),
    ("Orange", "A storm of old radio voices over a burning field.", "art rock"),
    ("Black", "A dark empty hall where a single lamp flickers.", "experimental"),
    ("White", "Everything at once: light, memory, people and places.", "pop"),
)


def cell_proposal(key: Key, meter: str, index: int, *, population: int, generations: int) -> dict:
    color, concept, genre = SONGS[index % len(SONGS)]
    return {
        "title": f"Grid {key.name} {meter}".replace("/", "-"),
        "concept": concept,
        "color": color,
        "key": key.name,
        "bpm": 96,
        "time_signature": meter,
        "genres": [genre],
        "sections": [{"name": "verse", "bars": 4}],
        "evolution": {"population_size": population, "generations": generations, "top_n": 3},
        "seed": 11 + index,
    }


def judge_run(run_dir: Path, key: Key) -> dict[str, Any]:
    """music21's verdict on the chords auto-approve would promote in ``run_dir``."""
    midi = run_dir / "chords" / "candidates" / "chord_001.mid"
    data = json.loads(midi.with_suffix(".json").read_text(encoding="utf-8"))
    genome = from_data(data["genome"])
    in_key, reading, heard = judge_progression(midi, heard_chords(flatten(genome), key), key)
    return {
        "music21": Key(*heard).name,
        "in_key": in_key,
        "reading": reading,
        "progression": describe(genome, key)["progression"],
    }


def run_cell(
    key: Key, meter: str, index: int, folder: Path, *, population: int, generations: int
) -> dict[str, Any]:
    proposal = cell_proposal(key, meter, index, population=population, generations=generations)
    path = folder / "cell.yml"
    with path.open("w", encoding="utf-8") as fh:
        YAML(typ="safe").dump(proposal, fh)
    outcome = start_run(proposal_path=path, out_dir=folder / "runs", replace=True)
    return {"key": key.name, "meter": meter, "color": proposal["color"]} | judge_run(
        outcome.run_dir, key
    )


def summary(cells: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """In-key share overall, by mode and by meter."""
    by_mode: dict[str, list[bool]] = defaultdict(list)
    by_meter: dict[str, list[bool]] = defaultdict(list)
    for c in cells:
        by_mode[Key.parse(c["key"]).mode].append(c["in_key"])
        by_meter[c["meter"]].append(c["in_key"])

    def share(values: Sequence[bool]) -> float:
        return round(sum(values) / len(values), 4) if values else 0.0

    return {
        "cells": len(cells),
        "in_key": sum(c["in_key"] for c in cells),
        "in_key_share": share([c["in_key"] for c in cells]),
        "by_mode": {m: share(v) for m, v in by_mode.items()},
        "by_meter": {m: share(v) for m, v in by_meter.items()},
    }


def _choices(text: str, allowed: Sequence[str], what: str) -> tuple[str, ...]:
    out = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in out if x not in allowed]
    if bad or not out:
        raise SystemExit(f"--{what}: {text!r} -- a comma-separated list of {', '.join(allowed)}")
    return out


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.key_grid", description=__doc__)
    parser.add_argument("--population", type=int, default=24)
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--tonics", default=",".join(map(str, TONICS)), help="pitch classes")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--meters", default=",".join(METERS))
    parser.add_argument("--label", default="", help="suffix of the results file")
    args = parser.parse_args(argv)
    tonics = [int(t) for t in _choices(args.tonics, [str(t) for t in TONICS], "tonics")]
    modes = _choices(args.modes, [m for m in MODES if m in MODE_INTERVALS], "modes")
    meters = _choices(args.meters, METERS, "meters")
    for m in meters:
        Meter.parse(m)
    grid = [(Key(t, mode), meter) for mode in modes for t in tonics for meter in meters]
    # Cells run in a fixed shuffled order, so a run stopped early has covered every mode and
    # meter; each cell's song (color, seed) follows its place in the grid, not the order.
    order = np.random.default_rng(0).permutation(len(grid)).tolist()
    logging.getLogger("agents").setLevel(logging.WARNING)
    name = "key_grid" + (f"_{args.label}" if args.label else "")
    settings = {"population": args.population, "generations": args.generations}
    cells: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in track(order, description="key grid", disable=not sys.stderr.isatty()):
            key, meter = grid[i]
            cells.append(
                run_cell(
                    key,
                    meter,
                    i,
                    Path(tmp),
                    population=args.population,
                    generations=args.generations,
                )
            )
            partial = {"complete": len(cells) == len(grid), "summary": summary(cells)}
            path = write_result(name, {**settings, **partial, "cells": cells})
    figures = summary(cells)
    print(
        f"key grid: {figures['in_key']}/{figures['cells']} cells in the requested key by "
        f"music21 ({100 * figures['in_key_share']:.1f}%)"
    )
    for group, values in (("mode", figures["by_mode"]), ("meter", figures["by_meter"])):
        print(f"  by {group}: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in values.items()))
    for c in cells:
        if not c["in_key"]:
            print(f"  out: {c['key']} {c['meter']}: music21 {c['music21']}; {c['progression']}")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
