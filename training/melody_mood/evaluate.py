"""How the mood melody transformer's samples compare with real melodies, and how they move with
the condition.

- **Against the corpora.** For every held-out OpenEWLD segment (songs the model never trained
  or tuned on), one melody is sampled for that segment's condition (its weak label with a drawn
  tempo and dynamics, its meter and mode) and played in its key over its chords; the melody
  metrics of :mod:`training.melody_eval` then place the samples against the held-out OpenEWLD
  segments' and the Nottingham tunes' (never trained on) 5-95 percentile bands.
- **The shift.** Melodies sampled at low and at high valence (arousal 0, the model drawing the
  mode) and at low and at high arousal (valence 0, major), 8 bars of 4/4 at 100 bpm, compared
  on what the weak labels read: minor-mode share, register (mean scale step), mean interval,
  onsets per quarter note, velocity, and the weak label of the melody itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from generators.melody.compound import GRID_QN, TokenNote, reference_tonic
from generators.melody.mood_transformer import MoodMelodyTransformer, MoodSample
from music.keys import MODE_INTERVALS
from music.meter import Meter
from music.notes import Note
from scoring.emotion.midi import weak_label
from scoring.timeline import ChordSpan
from training.melody_eval import (
    METRICS,
    MelodySample,
    evaluate_melodies,
    load_nottingham,
    load_openewld,
)
from training.melody_mood.dataset import Segment, variant
from training.melody_mood.train import meter_tables, split_segments

SHIFT_BARS: Final = 8
SHIFT_BPM: Final = 100.0
LOW: Final = -0.8
HIGH: Final = 0.8


def realise(notes: Sequence[TokenNote], tonic: int, mode: str, bar_qn: float) -> list[Note]:
    """Sampled notes as MIDI notes in the key of ``tonic`` and ``mode`` (one note per onset,
    each cut at the next onset)."""
    ref = reference_tonic(tonic)
    out: list[Note] = []
    for n in notes:
        octave, degree = divmod(n.step, 7)
        start = n.bar * bar_qn + n.onset * GRID_QN
        pitch = ref + 12 * octave + MODE_INTERVALS[mode][degree]
        if out and out[-1].end > start:
            last = out[-1]
            out[-1] = Note(last.start, start, last.pitch, last.velocity)
        out.append(Note(start, start + n.duration * GRID_QN, pitch, n.velocity))
    return out


def conditioned_samples(
    model: MoodMelodyTransformer, segments: Sequence[Segment], rng: np.random.Generator
) -> list[MelodySample]:
    """One sample per segment, for its condition, in its key, meter and chords."""
    bar_qn, felt = meter_tables()
    out = []
    for seg in segments:
        _, cond = variant(seg, bar_qn[seg.meter], felt[seg.meter], rng, may_flip=False)
        meter = Meter.parse(seg.meter)
        bars = round(seg.length_qn / meter.bar_qn)
        (sample,) = model.sample(
            1,
            valence=cond.valence,
            arousal=cond.arousal,
            bpm=cond.bpm,
            meter=meter,
            bars=bars,
            rng=rng,
            mode=cond.mode,
        )
        notes = realise(sample.notes, seg.tonic, seg.mode, meter.bar_qn)
        if len(notes) < 4:
            continue
        chords = tuple(ChordSpan(a, b, pcs[0], pcs) for a, b, pcs in seg.chords if pcs)
        out.append(MelodySample(tuple(notes), chords, meter, bars, "mood transformer", seg.song))
    return out


def shift_measures(samples: Sequence[MoodSample]) -> dict[str, float]:
    """Means over ``samples`` (8 bars of 4/4 in C) of what the weak labels read."""
    minor, steps, intervals, density, velocity, valence, arousal = ([] for _ in range(7))
    length = SHIFT_BARS * 4.0
    for s in samples:
        minor.append(float(s.mode == "minor"))
        if len(s.notes) < 2:
            continue
        st = [n.step for n in s.notes]
        steps.append(float(np.mean(st)))
        intervals.append(float(np.mean(np.abs(np.diff(st)))))
        density.append(len(s.notes) / length)
        velocity.append(float(np.mean([n.velocity for n in s.notes])))
        label = weak_label(realise(s.notes, 0, s.mode, 4.0), bpm=SHIFT_BPM, length_qn=length)
        valence.append(label.valence)
        arousal.append(label.arousal)
    return {
        "minor_share": float(np.mean(minor)),
        "mean_step": float(np.mean(steps)),
        "mean_interval_steps": float(np.mean(intervals)),
        "notes_per_qn": float(np.mean(density)),
        "velocity": float(np.mean(velocity)),
        "weak_valence": float(np.mean(valence)),
        "weak_arousal": float(np.mean(arousal)),
        "n": float(len(samples)),
    }


def condition_shift(
    model: MoodMelodyTransformer, n: int, rng: np.random.Generator
) -> dict[str, dict[str, dict[str, float]]]:
    """Low vs high valence (arousal 0, mode drawn) and low vs high arousal (valence 0,
    major)."""
    meter = Meter(4, 4)

    def draw(valence: float, arousal: float, mode: str | None) -> dict[str, float]:
        made = model.sample(
            n,
            valence=valence,
            arousal=arousal,
            bpm=SHIFT_BPM,
            meter=meter,
            bars=SHIFT_BARS,
            rng=rng,
            mode=mode,
        )
        return shift_measures(made)

    return {
        "valence": {"low": draw(LOW, 0.0, None), "high": draw(HIGH, 0.0, None)},
        "arousal": {"low": draw(0.0, LOW, "major"), "high": draw(0.0, HIGH, "major")},
    }


def evaluate(
    *,
    data_dir: Path,
    model_path: Path | None = None,
    per_condition: int = 96,
    seed: int = 0,
    openewld: Sequence[MelodySample] | None = None,
    nottingham: Sequence[MelodySample] | None = None,
) -> dict[str, Any]:
    """The figures of the module docstring (``openewld``/``nottingham``: segments already
    read, else read from ``data_dir``)."""
    rng = np.random.default_rng(seed)
    model = MoodMelodyTransformer.load(model_path)
    if openewld is None:
        openewld = load_openewld(Path(data_dir) / "openewld" / "dataset")
    if nottingham is None:
        nottingham = load_nottingham(Path(data_dir) / "nottingham" / "MIDI")
    held = split_segments(openewld)["heldout"]
    held_songs = {s.song for s in held}
    real = {
        "openewld_heldout": [s for s in openewld if s.song in held_songs],
        "nottingham": list(nottingham),
    }
    ours = conditioned_samples(model, held, rng)
    report = evaluate_melodies(ours, {k: v for k, v in real.items() if v})
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    summary = {
        corpus: {
            "median_inside": sum(
                1
                for m in METRICS
                if (ref := metrics[m]["real"].get(corpus, {})).get("n")
                and ref["p5"] <= metrics[m]["ours"]["p50"] <= ref["p95"]
            ),
            "values_inside": float(
                np.mean(
                    [
                        metrics[m]["ours_inside_share_by_corpus"].get(corpus, math.nan)
                        for m in METRICS
                    ]
                )
            ),
        }
        for corpus in real
        if real[corpus]
    }
    return {
        "held_out_segments": len(held),
        "samples": len(ours),
        "inside": summary,
        "metrics": metrics,
        "shift": condition_shift(model, per_condition, rng),
    }


def format_report(figures: dict[str, Any]) -> str:
    """The figures as a short table."""
    lines = [f"{figures['samples']} samples for {figures['held_out_segments']} held-out segments"]
    for corpus, row in figures["inside"].items():
        lines.append(
            f"  vs {corpus}: median inside p5-p95 on {row['median_inside']}/{len(METRICS)} "
            f"metrics; {100 * row['values_inside']:.1f}% of values inside"
        )
    metrics = figures["metrics"]
    for m in METRICS:
        ref = metrics[m]["real_pooled"]
        ours = metrics[m]["ours"]
        lines.append(
            f"  {m:20s} real p5..p95 {ref['p5']:7.3f} .. {ref['p95']:7.3f}  ours median "
            f"{ours['p50']:7.3f}  inside {metrics[m]['ours_inside_share']:.2f}"
        )
    for axis, pair in figures["shift"].items():
        lines.append(f"{axis} low -> high:")
        for key in pair["low"]:
            if key != "n":
                lines.append(f"  {key:20s} {pair['low'][key]:8.3f} -> {pair['high'][key]:8.3f}")
    return "\n".join(lines)
