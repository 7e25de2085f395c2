"""How generated drums compare with real grooves: metrics of the literature on 4-bar windows of
the Groove validation ``beat`` files versus samples of the drum transformer and of the style
skeletons, reporting for each metric the real 5th/50th/95th percentiles, our median and the
share of our windows inside the real 5-95 range.

``python -m training.drums.evaluate --data ../shared/data/groove-midi`` prints a table and
writes JSON (``--out``).

Metrics (per window): those of :mod:`scoring.metrics.drums` (the style-fit scores read the same
definitions): hits per quarter note, kick/snare/hi-hat shares, syncopation, empty beats,
grooving-pattern and bar similarity, velocity level and spread, micro-timing in milliseconds
(generated windows read at :data:`GENERATED_BPM`), polyphony.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import Grid
from generators.drums.styles import skeleton
from generators.drums.tokens import CLASS_VOICE, BarHits
from generators.drums.transformer import DEFAULT_TEMPERATURE, DrumTransformer
from music.files import write_text_atomic
from music.meter import Meter
from scoring.metrics.drums import DRUM_METRICS
from scoring.style.drums import genome_metrics
from training.drums.dataset import load_pieces
from training.drums.tokenizer import groove_style

logger = logging.getLogger(__name__)

WINDOW_BARS: Final = 4
METRICS: Final = DRUM_METRICS
#: Tempo the generated windows are read at (the drums phase's default), for micro-timing in ms.
GENERATED_BPM: Final = 100.0
#: Groove transformer styles -> the skeleton style compared with them.
_SKELETON_OF: Final = {
    "rock": "rock",
    "funk": "funk",
    "halftime": "half-time",
    "shuffle": "shuffle",
    "breakbeat": "breakbeat",
}


def window_metrics(genome: DrumGenome, *, bpm: float = GENERATED_BPM) -> dict[str, float]:
    """All :data:`METRICS` of one pattern (:mod:`scoring.metrics.drums`), played at ``bpm``."""
    return genome_metrics(genome, bpm=bpm)


def real_windows(
    data_dir: Path, *, meter: Meter | None = None
) -> tuple[list[DrumGenome], Counter[str], list[float]]:
    """Non-overlapping 4-bar windows of the validation ``beat`` performances in ``meter``
    (default 4/4; 16th grid, micro-timing kept), the count of windows per transformer style,
    and each window's tempo (bpm)."""
    meter = meter or Meter(4, 4)
    grid = Grid.for_meter(meter, "straight")
    out: list[DrumGenome] = []
    bpms: list[float] = []
    styles: Counter[str] = Counter()
    for piece in load_pieces(data_dir, "validation", kinds=("beat",)):
        perf = piece.performance
        if (perf.numerator, perf.denominator) != (meter.numerator, meter.denominator):
            continue
        windows = bar_windows(perf.bars, grid)
        out += windows
        bpms += [perf.bpm] * len(windows)
        styles[groove_style(piece.row.style)] += len(windows)
    return out, styles, bpms


def bar_windows(bars: Sequence[BarHits], grid: Grid, *, style: str = "groove") -> list[DrumGenome]:
    """Non-overlapping :data:`WINDOW_BARS`-bar windows of token bars on ``grid`` (micro-timing
    kept); windows without a hit are left out."""
    spb = grid.steps_per_bar
    out = []
    for start in range(0, len(bars) - WINDOW_BARS + 1, WINDOW_BARS):
        hits = [
            Hit(step=b * spb + s, voice=CLASS_VOICE[h.cls], velocity=h.velocity, offset=h.offset)
            for b in range(WINDOW_BARS)
            for s, h in bars[start + b]
        ]
        if hits:
            out.append(
                DrumGenome(grid=grid, bars=WINDOW_BARS, hits=(), style=style).with_hits(hits)
            )
    return out


def _style_plan(styles: Counter[str], n: int) -> list[str]:
    total = sum(styles.values())
    plan: list[str] = []
    for style, count in styles.most_common():
        plan += [style] * max(1, round(n * count / total))
    return plan[:n]


def transformer_windows(
    model: DrumTransformer,
    styles: Counter[str],
    n: int,
    rng: np.random.Generator,
    temperature: float = DEFAULT_TEMPERATURE,
    batch: int = 32,
) -> list[DrumGenome]:
    """``n`` 4-bar 4/4 samples, styles in the proportions of the real windows."""
    out: list[DrumGenome] = []
    plan = _style_plan(styles, n)
    for style in sorted(set(plan)):
        k = plan.count(style)
        for i in range(0, k, batch):
            out += model.sample_many(
                min(batch, k - i), style, Meter(4, 4), WINDOW_BARS, rng, temperature
            )
    return out


def skeleton_windows(styles: Counter[str], n: int, rng: np.random.Generator) -> list[DrumGenome]:
    """``n`` 4-bar 4/4 style skeletons, styles matched to the real windows where a skeleton
    exists (others: rock)."""
    return [
        skeleton(_SKELETON_OF.get(s, "rock"), Meter(4, 4), WINDOW_BARS, rng)
        for s in _style_plan(styles, n)
    ]


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric: the real 5/50/95 percentiles and, per generator, its median and the share
    of its windows inside the real 5-95 range."""

    metric: str
    real_p5: float
    real_p50: float
    real_p95: float
    ours: dict[str, tuple[float, float]]


def compare(
    real: Sequence[DrumGenome],
    generated: Mapping[str, Sequence[DrumGenome]],
    *,
    real_bpm: Sequence[float] | None = None,
) -> list[MetricRow]:
    """Per metric, the real windows' percentiles (each read at its own tempo, ``real_bpm``;
    default :data:`GENERATED_BPM`) and each generator's median and share inside."""
    tempos = real_bpm or [GENERATED_BPM] * len(real)
    real_m = [window_metrics(g, bpm=b) for g, b in zip(real, tempos, strict=True)]
    gen_m = {name: [window_metrics(g) for g in gs] for name, gs in generated.items()}
    rows = []
    for metric in METRICS:
        values = np.array([m[metric] for m in real_m])
        p5, p50, p95 = (float(x) for x in np.percentile(values, [5, 50, 95]))
        ours = {}
        for name, ms in gen_m.items():
            v = np.array([m[metric] for m in ms])
            inside = float(np.mean((v >= p5) & (v <= p95))) if len(v) else 0.0
            ours[name] = (float(np.median(v)) if len(v) else float("nan"), inside)
        rows.append(MetricRow(metric, p5, p50, p95, ours))
    return rows


def table(rows: list[MetricRow]) -> str:
    """A Markdown table of :func:`compare`'s rows."""
    names = list(rows[0].ours) if rows else []
    head = (
        "| metric | real p5 | real p50 | real p95 | "
        + " | ".join(f"{n} median | {n} inside" for n in names)
        + " |"
    )
    sep = "|" + "---|" * (4 + 2 * len(names))
    lines = [head, sep]
    for r in rows:
        cells = [f"{r.real_p5:.3f}", f"{r.real_p50:.3f}", f"{r.real_p95:.3f}"]
        for n in names:
            med, inside = r.ours[n]
            cells += [f"{med:.3f}", f"{inside:.0%}"]
        lines.append(f"| {r.metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def evaluate(
    data_dir: Path,
    *,
    model_path: Path | None = None,
    samples: int = 128,
    seed: int = 0,
    temperature: float = DEFAULT_TEMPERATURE,
) -> dict[str, Any]:
    """Run the comparison; returns a JSON-ready dict (rows, counts, settings)."""
    rng = np.random.default_rng(seed)
    real, styles, bpms = real_windows(data_dir)
    model = DrumTransformer.load(model_path)
    generated: dict[str, list[DrumGenome]] = {
        "transformer": transformer_windows(model, styles, samples, rng, temperature),
        "skeleton": skeleton_windows(styles, samples, rng),
    }
    rows = compare(real, generated, real_bpm=bpms)
    return {
        "real_windows": len(real),
        "real_styles": dict(styles.most_common()),
        "samples": {k: len(v) for k, v in generated.items()},
        "window_bars": WINDOW_BARS,
        "temperature": temperature,
        "seed": seed,
        "rows": [
            {
                "metric": r.metric,
                "real_p5": r.real_p5,
                "real_p50": r.real_p50,
                "real_p95": r.real_p95,
                **{f"{n}_median": m for n, (m, _) in r.ours.items()},
                **{f"{n}_inside_p5_p95": i for n, (_, i) in r.ours.items()},
            }
            for r in rows
        ],
        "table": table(rows),
    }


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="the groove-midi folder")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--temperature", type=float, default=DEFAULT_TEMPERATURE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the report as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = evaluate(
        args.data,
        model_path=args.model,
        samples=args.samples,
        seed=args.seed,
        temperature=args.temperature,
    )
    print(report["table"])
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(args.out, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    _cli()
