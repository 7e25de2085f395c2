"""Objective comparison of generated melodies with real ones, on the melody metrics of the
literature defined in :mod:`scoring.metrics.melody` (the ones the style-fit scores read).

Real melodies come from OpenEWLD (public-domain lead sheets, MusicXML read with music21) and
the Nottingham folk tunes (GPL-3.0; read from their folder by path, never copied). Both are
cut into segments of as many bars as ours, so length-dependent metrics (range, entropy)
compare like with like. For each metric the report gives the real 5th-95th percentile range
per corpus and pooled, and where our melodies fall.

Run: ``python -m training.melody_eval --data ../shared/data --out melody_eval.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evolution.engine import EvolutionConfig, evolve
from generators.chords.genome import workhorse_genomes
from generators.harmony import chord_timeline
from generators.melody.genome import MelodyGenome
from generators.melody.operators import MelodyOps
from generators.melody.ranges import VOICES
from generators.melody.to_midi import melody_notes
from music.errors import MidiFileError
from music.files import write_text_atomic
from music.keys import Key
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import Note
from scoring.composite import TheoryScores
from scoring.melody import score_melody
from scoring.metrics.melody import MELODY_METRICS
from scoring.metrics.melody import melody_metrics as melody_metrics_of
from scoring.style.melody import melody_style
from scoring.style.select import song_profile
from scoring.style.windows import line_values
from scoring.timeline import EPS, ChordSpan

logger = logging.getLogger(__name__)

METRICS = MELODY_METRICS
SEGMENT_BARS = 8
_MIN_NOTES = 4


@dataclass(frozen=True, slots=True)
class MelodySample:
    """A monophonic melody segment: notes and chords in qn from the segment's start, its meter
    and length in bars, where it came from (the corpus) and the song (file) it was cut from."""

    notes: tuple[Note, ...]
    chords: tuple[ChordSpan, ...]
    meter: Meter
    bars: int
    source: str
    song: str = ""


# ---------------------------------------------------------------------------- metrics
def melody_metrics(sample: MelodySample) -> dict[str, float]:
    """Every metric of one melody segment (:mod:`scoring.metrics.melody`)."""
    ordered = sorted(sample.notes)
    length = sample.bars * sample.meter.bar_qn
    return line_values(
        melody_metrics_of, ordered, sample.chords, meter=sample.meter, length_qn=length
    )


# ---------------------------------------------------------------------------- segments
def segments(
    notes: Sequence[Note],
    chords: Sequence[ChordSpan],
    meter: Meter,
    bar_starts: Sequence[float],
    *,
    source: str,
    song: str = "",
    bars: int = SEGMENT_BARS,
) -> list[MelodySample]:
    """Cut a melody into non-overlapping segments of ``bars`` bars starting at ``bar_starts``
    (qn); notes and chords are clipped to each window and shifted to start at 0. Windows
    with fewer than four notes are skipped."""
    out = []
    for i in range(0, len(bar_starts) - bars, bars):
        start, end = bar_starts[i], bar_starts[i + bars]
        seg = [
            Note(n.start - start, min(n.end, end) - start, n.pitch, n.velocity)
            for n in notes
            if start - EPS <= n.start < end - EPS
        ]
        if len(seg) < _MIN_NOTES:
            continue
        spans = [
            ChordSpan(max(c.start, start) - start, min(c.end, end) - start, c.root, c.pitch_classes)
            for c in chords
            if c.end > start + EPS and c.start < end - EPS
        ]
        out.append(MelodySample(tuple(seg), tuple(spans), meter, bars, source, song))
    return out


def _spans(changes: Sequence[tuple[float, tuple[int, ...]]], end: float) -> list[ChordSpan]:
    """Chord spans from ``(time, pitch classes)`` changes, each lasting to the next."""
    out = []
    for k, (t, pcs) in enumerate(changes):
        nxt = changes[k + 1][0] if k + 1 < len(changes) else end
        if nxt > t + EPS and pcs:
            out.append(ChordSpan(t, nxt, pcs[0], tuple(dict.fromkeys(pcs))))
    return out


# ---------------------------------------------------------------------------- corpora
def load_openewld(folder: Path, *, limit: int | None = None) -> list[MelodySample]:
    """OpenEWLD lead sheets (``**/*.mxl``) as 8-bar segments (:func:`read_openewld`)."""
    files = sorted(Path(folder).rglob("*.mxl"))[:limit]
    return [sample for path in files for sample in read_openewld(path)]


def read_openewld(path: Path) -> list[MelodySample]:
    """One OpenEWLD lead sheet as 8-bar segments: the first part's notes (ties joined; the top
    note of any chord), its chord symbols, and its measures as bar lines (none: unreadable)."""
    from music21 import chord as m21chord
    from music21 import converter, harmony, note, stream
    from music21 import meter as m21meter
    from music21.exceptions21 import Music21Exception

    try:
        score = converter.parse(str(path))
    except (Music21Exception, OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        logger.warning("skipping %s: %s: %s", path.name, type(exc).__name__, exc)
        return []
    if not isinstance(score, stream.Score) or not score.parts:
        return []
    part = score.parts[0]
    ts = part.recurse().getElementsByClass(m21meter.TimeSignature).first()
    try:
        meter = Meter(ts.numerator, ts.denominator) if ts is not None else Meter(4, 4)
    except ValueError:
        return []
    measures = list(part.getElementsByClass(stream.Measure))
    flat = part.stripTies().flatten()
    notes = []
    for el in flat.notes:
        if isinstance(el, harmony.ChordSymbol) or el.quarterLength <= 0:
            continue
        if isinstance(el, m21chord.Chord):
            pitch = max(p.midi for p in el.pitches)
        elif isinstance(el, note.Note):
            pitch = el.pitch.midi
        else:
            continue
        start = float(el.offset)
        notes.append(Note(start, start + float(el.quarterLength), int(pitch)))
    if not notes or not measures:
        return []
    end = max(n.end for n in notes)
    changes = [
        (float(c.offset), tuple(p.pitchClass for p in c.pitches))
        for c in flat.getElementsByClass(harmony.ChordSymbol)
    ]
    bar_starts = [float(m.offset) for m in measures] + [
        float(measures[-1].offset) + float(measures[-1].duration.quarterLength)
    ]
    # Start at the first full bar (after a pickup).
    first = next(
        (k for k, m in enumerate(measures) if abs(m.duration.quarterLength - meter.bar_qn) < EPS),
        0,
    )
    return list(
        segments(
            notes,
            _spans(changes, end),
            meter,
            bar_starts[first:],
            source="openewld",
            song=path.stem,
        )
    )


def load_nottingham(folder: Path, *, limit: int | None = None) -> list[MelodySample]:
    """Nottingham MIDI files (track 1 melody, track 2 block chords) as 8-bar segments from
    the first bar with a melody note. Read in place: the data is GPL and never copied."""
    files = sorted(Path(folder).glob("*.mid"))[:limit]
    out: list[MelodySample] = []
    for path in files:
        try:
            song = read_midi(path)
        except MidiFileError as exc:
            logger.warning("skipping %s: %s", path.name, exc)
            continue
        if len(song.parts) < 2:
            continue
        melody, accomp = song.parts[0], song.parts[1]
        by_time: dict[float, list[int]] = {}
        for n in accomp.notes:
            by_time.setdefault(round(n.start, 4), []).append(n.pitch)
        changes = [(t, tuple(p % 12 for p in sorted(ps))) for t, ps in sorted(by_time.items())]
        end = max(melody.end, accomp.end)
        bar = song.meter.bar_qn
        first_bar = int((min(n.start for n in melody.notes) + EPS) // bar)
        bar_starts = [b * bar for b in range(first_bar, int(end // bar) + 2)]
        out.extend(
            segments(
                melody.notes,
                _spans(changes, end),
                song.meter,
                bar_starts,
                source="nottingham",
                song=path.stem,
            )
        )
    return out


# ---------------------------------------------------------------------------- ours
def _melody_evaluator(
    ops: MelodyOps, key: Key, meter: Meter
) -> Callable[[Sequence[MelodyGenome]], list[TheoryScores]]:
    chords = ops.harmony.chords
    register = (ops.voice.low, ops.voice.high)
    phrase_qn = ops.phrase_bars * meter.bar_qn
    profile = song_profile("melody", genres=(), mood=(), bpm=100.0, meter=str(meter))
    assert profile is not None

    def evaluate(genomes: Sequence[MelodyGenome]) -> list[TheoryScores]:
        out = []
        for g in genomes:
            notes = melody_notes(g, key, meter)
            style = melody_style(notes, chords, meter=meter, bars=ops.bars, profile=profile)
            out.append(
                score_melody(
                    notes,
                    chords=chords,
                    meter=meter,
                    key=key,
                    register=register,
                    phrase_qn=phrase_qn,
                    style=style,
                )
            )
        return out

    return evaluate


def generate_melodies(
    n: int, *, seed: int = 0, bars: int = SEGMENT_BARS, population: int = 32, generations: int = 20
) -> list[MelodySample]:
    """``n`` melodies made the way the melody phase makes them: a random key, meter (4/4,
    3/4, 6/8, 7/8), workhorse progression and carrier; evolved with the melody theory scores
    and the style fit (the pooled profile of the meter); the best of each run."""
    rng = np.random.default_rng(seed)
    meters = (Meter(4, 4), Meter(4, 4), Meter(3, 4), Meter(6, 8), Meter(7, 8))
    carriers = ("voice", "male vocal", "flute", "violin", "synth lead")
    out = []
    for _ in range(n):
        key = Key(int(rng.integers(12)), "minor" if rng.random() < 0.5 else "major")
        meter = meters[int(rng.integers(len(meters)))]
        options = workhorse_genomes(key, meter, 4)
        progression = options[int(rng.integers(len(options)))]
        harmony = chord_timeline(progression, key, meter, bars=bars)
        voice = VOICES[carriers[int(rng.integers(len(carriers)))]]
        ops = MelodyOps(key=key, meter=meter, harmony=harmony, bars=bars, voice=voice)
        result = evolve(
            ops=ops,
            evaluate=_melody_evaluator(ops, key, meter),
            fitness=lambda s: s.total,
            config=EvolutionConfig(population_size=population, generations=generations),
            rng=rng,
        )
        notes = melody_notes(result.population[0].genome, key, meter)
        spans = tuple(ChordSpan(c.start, c.end, c.root, c.pitch_classes) for c in harmony.chords)
        out.append(MelodySample(notes, spans, meter, bars, "ours"))
    return out


# ---------------------------------------------------------------------------- report
def _percentiles(values: Sequence[float]) -> dict[str, float]:
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=float)
    if v.size == 0:
        return {"n": 0}
    p5, p50, p95 = np.percentile(v, [5, 50, 95])
    return {"n": int(v.size), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def evaluate_melodies(
    ours: Sequence[MelodySample], real: Mapping[str, Sequence[MelodySample]]
) -> dict[str, object]:
    """Per metric: each real corpus's and the pooled real 5/50/95th percentiles, our
    melodies' mean, median and range, the share of ours inside the pooled 5-95 range, and
    whether our median lies inside it."""
    ours_m = [melody_metrics(s) for s in ours]
    real_m = {name: [melody_metrics(s) for s in samples] for name, samples in real.items()}
    report: dict[str, object] = {}
    for metric in METRICS:
        pooled = [m[metric] for ms in real_m.values() for m in ms]
        ref = _percentiles(pooled)
        mine = np.asarray([m[metric] for m in ours_m if not math.isnan(m[metric])], dtype=float)
        entry: dict[str, object] = {
            "real": {name: _percentiles([m[metric] for m in ms]) for name, ms in real_m.items()},
            "real_pooled": ref,
        }
        if mine.size:
            entry["ours"] = {
                "n": int(mine.size),
                "mean": float(mine.mean()),
                "p50": float(np.median(mine)),
                "min": float(mine.min()),
                "max": float(mine.max()),
            }
            if ref.get("n"):
                inside = (mine >= ref["p5"] - EPS) & (mine <= ref["p95"] + EPS)
                entry["ours_inside_share"] = float(inside.mean())
                entry["ours_median_inside"] = bool(ref["p5"] <= np.median(mine) <= ref["p95"])
            by_corpus = {}
            for name, stats in entry["real"].items():  # type: ignore[attr-defined]
                if stats.get("n"):
                    ok = (mine >= stats["p5"] - EPS) & (mine <= stats["p95"] + EPS)
                    by_corpus[name] = float(ok.mean())
            entry["ours_inside_share_by_corpus"] = by_corpus
        report[metric] = entry
    return {
        "segment_bars": SEGMENT_BARS,
        "counts": {"ours": len(ours), **{k: len(v) for k, v in real.items()}},
        "metrics": report,
    }


def format_report(report: dict[str, object]) -> str:
    """The report as a table: per metric the pooled real 5-95 range and our median."""
    lines = [f"segments: {report['counts']}"]
    metrics = report["metrics"]
    if not isinstance(metrics, dict):
        return lines[0]
    for name in METRICS:
        entry = metrics[name]
        ref = entry["real_pooled"]
        mine = entry.get("ours", {})
        lines.append(
            f"{name:20s} real p5..p95 {ref.get('p5', math.nan):7.3f} .. "
            f"{ref.get('p95', math.nan):7.3f}   ours median {mine.get('p50', math.nan):7.3f}"
            f"   ours inside {entry.get('ours_inside_share', math.nan):.2f}"
        )
    return "\n".join(lines)


def main(
    data_dir: Path, out_json: Path, *, limit: int | None = None, ours: int = 24, seed: int = 0
) -> dict[str, object]:
    """Load OpenEWLD (``data_dir/openewld/dataset``) and Nottingham (``data_dir/nottingham/
    MIDI``), generate ``ours`` melodies, compare, print a table and write ``out_json``."""
    data_dir = Path(data_dir)
    real = {
        "openewld": load_openewld(data_dir / "openewld" / "dataset", limit=limit),
        "nottingham": load_nottingham(data_dir / "nottingham" / "MIDI", limit=limit),
    }
    generated = generate_melodies(ours, seed=seed)
    report = evaluate_melodies(generated, real)
    out_json = Path(out_json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_json, json.dumps(report, indent=2) + "\n")
    print(format_report(report))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="folder with openewld/, nottingham/"
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON report to write")
    parser.add_argument("--limit", type=int, default=None, help="files per corpus (all by default)")
    parser.add_argument("--ours", type=int, default=24, help="melodies to generate")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    main(args.data, args.out, limit=args.limit, ours=args.ours, seed=args.seed)
