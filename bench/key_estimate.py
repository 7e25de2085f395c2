"""How the key estimate (:mod:`scoring.key_estimate`) agrees with music21's ``analyze('key')``:
on the Bach chorales bundled with music21 (also against each chorale's own key: its key
signature's major or minor, whichever the final bass note names), and on chord progressions the
generator makes, written as MIDI files and read back by music21. Per profile too, and the speed
of a batch of 2,000 histograms.

``python -m bench.key_estimate [--chorales N] [--progressions N]``; results in
``bench/results/key_estimate.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from music21 import corpus, stream
from rich.progress import track

from bench.common import write_result
from evolution.fitness.key_verdicts import heard_chords
from generators.chord_model import ChordTransitionModel
from generators.chords.genome import flatten
from generators.chords.operators import ChordOps
from generators.chords.voicing import chords_part
from music.keys import Key
from music.meter import Meter
from music.midi_io import Song, write_midi
from scoring.key_estimate import PROFILE_NAMES, correlations, estimate_keys, key_index
from scoring.music21_keys import heard_key, histogram, music21_key, notated_key

METERS = ("4/4", "3/4", "6/8", "7/8", "5/4")


def chorale_facts(score: stream.Score) -> tuple[np.ndarray, int, int | None]:
    """``([12] histogram as music21 weighs it, music21's key index, the chorale's own key
    index or None)``."""
    own = notated_key(score)
    return (
        histogram(score),
        key_index(*heard_key(score)),
        None if own is None else key_index(*own),
    )


def agreement(hists: np.ndarray, heard: Sequence[int]) -> dict[str, float]:
    """Share of rows whose estimate (and each profile alone, and all four averaged) names the
    key ``heard``."""
    r = correlations(hists)
    want = np.asarray(heard)
    estimate = np.asarray([key_index(e.tonic, e.family) for e in estimate_keys(hists)])
    out = {"estimate": float((estimate == want).mean())}
    for p, name in enumerate(PROFILE_NAMES):
        out[name] = float((r[:, p].argmax(axis=1) == want).mean())
    out["mean_of_all_four"] = float((r.mean(axis=1).argmax(axis=1) == want).mean())
    return {k: round(v, 4) for k, v in out.items()}


def chorales(limit: int, *, show: bool) -> dict[str, Any]:
    rows = []
    for i, score in enumerate(
        track(
            corpus.chorales.Iterator(returnType="stream"),
            total=min(limit, 371),
            description="chorales",
            disable=not show,
        )
    ):
        if i >= limit:
            break
        rows.append(chorale_facts(score))
    hists = np.stack([h for h, _, _ in rows])
    m21 = [heard for _, heard, _ in rows]
    known = [i for i, (_, _, own) in enumerate(rows) if own is not None]
    own = [rows[i][2] for i in known]
    return {
        "chorales": len(rows),
        "with_own_key": len(known),
        "agreement_with_music21": agreement(hists, m21),
        "agreement_with_own_key": agreement(hists[known], [o for o in own if o is not None]),
        "music21_with_own_key": round(float(np.mean([m21[i] == rows[i][2] for i in known])), 4),
    }


def progressions(count: int, *, show: bool) -> dict[str, Any]:
    """Random progressions of the generator in random major/minor keys and meters."""
    model = ChordTransitionModel.load()
    rng = np.random.default_rng(7)
    hists, heard = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in track(range(count), description="progressions", disable=not show):
            key = Key(int(rng.integers(12)), ("major", "minor")[int(rng.integers(2))])
            meter = Meter.parse(METERS[i % len(METERS)])
            genome = ChordOps(key=key, meter=meter, bars=4, model=model).random(rng)
            hist = np.zeros(12, dtype=np.float64)
            for c in heard_chords(flatten(genome), key):
                for p in c.pitches:
                    hist[p % 12] += c.beats
            path = Path(tmp) / f"p{i}.mid"
            write_midi(Song(parts=(chords_part(genome, key),), bpm=96, meter=meter), path)
            tonic, mode = music21_key(path)
            hists.append(hist)
            heard.append(key_index(tonic, mode))
    return {"progressions": count, "agreement_with_music21": agreement(np.stack(hists), heard)}


def speed(rows: int = 2000) -> float:
    """Seconds to estimate ``rows`` histograms in one batch."""
    hists = np.random.default_rng(0).random((rows, 12))
    t0 = time.perf_counter()
    estimate_keys(hists)
    return round(time.perf_counter() - t0, 4)


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.key_estimate", description=__doc__)
    parser.add_argument("--chorales", type=int, default=371)
    parser.add_argument("--progressions", type=int, default=300)
    args = parser.parse_args(argv)
    show = sys.stderr.isatty()
    figures = {
        "bach_chorales": chorales(args.chorales, show=show),
        "generated_progressions": progressions(args.progressions, show=show),
        "seconds_for_2000": speed(),
    }
    path = write_result("key_estimate", figures)
    bach, gen = figures["bach_chorales"], figures["generated_progressions"]
    print(
        f"Bach chorales ({bach['chorales']}): the estimate agrees with music21 on "
        f"{100 * bach['agreement_with_music21']['estimate']:.1f}%, with the chorales' own key "
        f"on {100 * bach['agreement_with_own_key']['estimate']:.1f}% (music21 itself: "
        f"{100 * bach['music21_with_own_key']:.1f}%)"
    )
    print(
        f"generated progressions ({gen['progressions']}): agrees with music21 on "
        f"{100 * gen['agreement_with_music21']['estimate']:.1f}%"
    )
    for name in PROFILE_NAMES:
        print(
            f"  {name}: music21 {100 * bach['agreement_with_music21'][name]:.1f}%, own key "
            f"{100 * bach['agreement_with_own_key'][name]:.1f}%, generated "
            f"{100 * gen['agreement_with_music21'][name]:.1f}%"
        )
    print(f"estimate of 2000 histograms: {figures['seconds_for_2000']} s")
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
