"""Whether drums put their accents where a meter puts them: the drum transformer's samples in
the meters it learned from bars cut from Groove's 4/4 beats, against the validation split's
beats cut the same way (:mod:`training.drums.augment`; never trained or tuned on) and against
the style skeletons.

``python -m bench.drum_meter_fit --data ../shared/data/groove-midi [--model PATH]`` prints, per
meter and source, pooled over 4-bar windows, and writes ``bench/results/drum_meter_fit.json``
(without ``--data``, only the composed meters below):

- ``kicks_on_groups``: the share of the kicks on a group's start (:attr:`music.meter.Meter.groups`:
  7/8 as 2+2+3 on eighths 1, 3 and 5; 9/8 on 1, 4 and 7; 12/8 on 1, 4, 7 and 10);
- ``downbeat_kick``: the share of bars with a kick on the downbeat;
- ``backbeat``: the share of the loud snares on the backbeat pulses
  (:func:`music.meter.kick_snare_pulses`: 7/8 and 9/8 on groups 2 and 3, 12/8 on 2 and 4);
- ``hits_per_bar`` and the median ``bar_similarity`` of a window (:mod:`scoring.metrics.drums`);
- ``valid``: the share of the windows that are genomes in the meter, every hit inside its bars.

The cut bars are those of the bank's styles (rock, funk, shuffle, breakbeat: the styles the
transformer's samples are drawn in). The validation split has few bars played with a triplet
feel (one performance's worth), so where it gives fewer than :data:`MIN_WINDOWS` windows the
training split's cut bars are shown as well (``train_cut``: seen in training, not held out).

The composed meters (:data:`COMPOSED_METERS`: 7/4, 11/8, 6/4, 5/4 as 2+3, 13/8), which the
transformer plays as cells of the meters it samples (:mod:`generators.drums.cells`), have no
cut bars to hold them to: their samples (``transformer``) are set beside the skeletons, with
``bank``, the share of the samples that keep the meter (each cell meter's downbeat and
backbeat) and may join a drums phase's population (:func:`agents.phases.drums.keeps_the_meter`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np

from agents.phases.drums import keeps_the_meter
from bench.common import write_result
from generators.drums.genome import DrumGenome
from generators.drums.grid import Grid
from generators.drums.styles import skeleton
from generators.drums.tokens import VOCAB
from generators.drums.transformer import (
    BANK_STYLES,
    DrumTransformer,
    load_for_meter,
    transformer_style,
)
from music.meter import Meter
from scoring.metrics.drum_idiom import backbeat
from scoring.metrics.drums import meter_accents
from scoring.style.drums import genome_hits, genome_metrics
from training.drums.augment import augment
from training.drums.dataset import Piece, load_pieces
from training.drums.evaluate import WINDOW_BARS, bar_windows

#: The meters measured: those first sampled with the 2+2+3 cut and more triplet-feel bars, then
#: three the transformer already played (regression).
MEASURED_METERS: Final = ("7/8", "9/8", "12/8", "6/8", "3/4", "5/4")
#: Meters played in cells (``N/D`` or ``N/D:g+g+...`` for a grouping of their own).
COMPOSED_METERS: Final = ("7/4", "11/8", "6/4", "5/4:2+3", "13/8", "2/2", "15/16")
#: Fewest held-out windows before the training split's cut bars are shown beside them.
MIN_WINDOWS: Final = 30
#: Read at this tempo (the figures here do not depend on it).
BPM: Final = 100.0


@dataclass(frozen=True, slots=True)
class MeterFit:
    """The accents of a set of windows in one meter (see the module docstring)."""

    windows: int
    kicks_on_groups: float
    downbeat_kick: float
    backbeat: float
    hits_per_bar: float
    bar_similarity: float
    valid: float
    #: Share of the windows that keep the meter (composed meters' samples only; else NaN).
    bank: float = float("nan")


def cut_windows(
    pieces: Sequence[Piece], meter: Meter, styles: Sequence[str] = BANK_STYLES
) -> list[DrumGenome]:
    """Non-overlapping 4-bar windows of the ``beat`` performances of ``pieces`` in ``styles``
    (generator styles, as Groove's styles map onto them) cut into ``meter``
    (:func:`training.drums.augment.augment`), micro-timing kept."""
    grid = Grid.for_meter(meter, "straight")
    tokens = {f"STYLE_{transformer_style(s)}" for s in styles}
    made = augment([p for p in pieces if VOCAB[p.header[1]] in tokens])
    windows = made.get((meter.numerator, meter.denominator), [])
    return [w for p in windows for w in bar_windows(p.performance.bars, grid, style="cut")]


def sample_windows(
    model: DrumTransformer, meter: Meter, per_style: int, rng: np.random.Generator
) -> list[DrumGenome]:
    """``per_style`` 4-bar samples of each of the bank's styles in ``meter``."""
    return model.sample_styles(per_style, BANK_STYLES, meter, WINDOW_BARS, rng)


def skeleton_windows(meter: Meter, per_style: int, rng: np.random.Generator) -> list[DrumGenome]:
    """``per_style`` 4-bar skeletons of each of the bank's styles in ``meter``."""
    return [
        skeleton(style, meter, WINDOW_BARS, rng) for style in BANK_STYLES for _ in range(per_style)
    ]


def on_grid(genome: DrumGenome, meter: Meter) -> bool:
    """True when ``genome`` is a pattern in ``meter`` (its grouping too), every hit inside its
    bars."""
    return genome.grid.meter == meter and all(0 <= h.step < genome.total_steps for h in genome.hits)


def meter_fit(genomes: Sequence[DrumGenome], meter: Meter) -> MeterFit:
    """The figures of ``genomes`` (played one after another) in ``meter``."""
    if not genomes:
        raise ValueError(f"genomes: none in {meter} -- at least one window to measure")
    onsets, voices, velocities = [], [], []
    at = 0.0
    bars = 0
    for g in genomes:
        onset, voice, velocity = genome_hits(g)
        onsets.append(onset + at)
        voices.append(voice)
        velocities.append(velocity)
        at += g.bars * meter.bar_qn
        bars += g.bars
    onset, voice, velocity = (
        np.concatenate(onsets),
        np.concatenate(voices),
        np.concatenate(velocities),
    )
    accents = meter_accents(onset, voice, velocity, meter=meter, bars=bars)
    similarity = [genome_metrics(g, bpm=BPM)["bar_similarity"] for g in genomes]
    return MeterFit(
        windows=len(genomes),
        kicks_on_groups=accents["kick_on_beats"],
        downbeat_kick=accents["downbeat_kick"],
        backbeat=backbeat(onset, voice, velocity, meter, bars)["on_backbeat"],
        hits_per_bar=len(onset) / bars,
        bar_similarity=float(np.median(similarity)),
        valid=float(np.mean([on_grid(g, meter) for g in genomes])),
    )


def evaluate_meters(
    data_dir: Path,
    *,
    meters: Sequence[str] = MEASURED_METERS,
    per_style: int = 16,
    seed: int = 0,
    model_path: Path | None = None,
) -> dict[str, dict[str, MeterFit]]:
    """Per meter: the fit of the validation beats cut into it (``real_cut``; and ``train_cut``
    where those are few), of the transformer's samples (the shipped model for the meter, or
    ``model_path``; none where it does not sample the meter itself) and of the skeletons."""
    rng = np.random.default_rng(seed)
    val = load_pieces(data_dir, "validation", kinds=("beat",))
    train: list[Piece] = []
    out: dict[str, dict[str, MeterFit]] = {}
    for name in meters:
        meter = Meter.parse(name)
        model = DrumTransformer.load(model_path) if model_path else load_for_meter(meter)
        row = {"real_cut": meter_fit(cut_windows(val, meter), meter)}
        if row["real_cut"].windows < MIN_WINDOWS:
            train = train or load_pieces(data_dir, "train", kinds=("beat",))
            row["train_cut"] = meter_fit(cut_windows(train, meter), meter)
        if model.samples_directly(meter):
            row["transformer"] = meter_fit(sample_windows(model, meter, per_style, rng), meter)
        row["skeleton"] = meter_fit(skeleton_windows(meter, per_style, rng), meter)
        out[name] = row
    return out


def parse_meter(name: str) -> Meter:
    """``"7/4"`` or ``"5/4:2+3"`` (a grouping of the meter's own) -> a Meter."""
    text, _, groups = name.partition(":")
    meter = Meter.parse(text)
    if not groups:
        return meter
    return Meter(meter.numerator, meter.denominator, tuple(int(g) for g in groups.split("+")))


def evaluate_composed(
    *,
    meters: Sequence[str] = COMPOSED_METERS,
    per_style: int = 16,
    seed: int = 0,
) -> dict[str, dict[str, MeterFit]]:
    """Per composed meter: the fit of the shipped model's samples (played in cells) and of the
    skeletons, the samples with the share that keeps the meter."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, MeterFit]] = {}
    for name in meters:
        meter = parse_meter(name)
        model = load_for_meter(meter)
        sampled = sample_windows(model, meter, per_style, rng)
        fit = meter_fit(sampled, meter)
        plan = model.cell_plan(meter)
        kept = float(np.mean([keeps_the_meter(g, plan) for g in sampled]))
        out[f"{name} ({plan})"] = {
            "transformer": replace(fit, bank=kept),
            "skeleton": meter_fit(skeleton_windows(meter, per_style, rng), meter),
        }
    return out


def table(report: dict[str, dict[str, MeterFit]]) -> str:
    """A Markdown table of :func:`evaluate_meters`' figures."""
    lines = [
        "| meter | source | windows | kicks on groups | downbeat kick | backbeat | hits/bar "
        "| bar similarity | valid | bank |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in report.items():
        for source, f in row.items():
            lines.append(
                f"| {name} | {source} | {f.windows} | {f.kicks_on_groups:.2f} | "
                f"{f.downbeat_kick:.2f} | {f.backbeat:.2f} | {f.hits_per_bar:.1f} | "
                f"{f.bar_similarity:.2f} | {f.valid:.0%} | {f.bank:.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="the groove-midi folder (else composed meters only)"
    )
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped models")
    parser.add_argument("--per-style", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="drum_meter_fit", help="results file name")
    args = parser.parse_args()
    report = {}
    if args.data is not None:
        report = evaluate_meters(
            args.data, per_style=args.per_style, seed=args.seed, model_path=args.model
        )
    report |= evaluate_composed(per_style=args.per_style, seed=args.seed)
    print(table(report))
    data = {m: {s: asdict(f) for s, f in row.items()} for m, row in report.items()}
    print(f"wrote {write_result(args.name, {'meters': data})}")


if __name__ == "__main__":
    main()
