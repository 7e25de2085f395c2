"""The drums in meters other than 4/4: the style skeletons (what the drums phase plays where the
drum transformer does not play a meter) and the drum transformer, against Groove's real bars.

For each meter with real bars, the per-bar drum metrics (:func:`scoring.metrics.drums.drum_metrics`
on one bar at a time: density, kick/snare/hat shares, syncopation, empty beats, velocity,
timing, polyphony) of generated bars against the p5-p95 band of the real bars: the share of
(bar, metric) values inside the band. The real bars are the held-out validation split where it
has the meter (3/4, 6/8: the fine-tuning never read them; one performance each) and the training
split otherwise (5/4, 5/8; marked ``seen``). A second reference for every meter: the validation
split's 4/4 beats of the style, cut into the meter as the training bars were
(:mod:`training.drums.augment`; never read by the fine-tuning). For every meter, the accents
(:func:`~scoring.metrics.drums.meter_accents`): bars with a kick on the downbeat, kicks on the
felt beats, and the loudness on the felt beats over that on the other eighths.

``python -m bench.drum_meters --data ../shared/data/groove-midi [--model PATH]``
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Final

import numpy as np

from bench.common import write_result
from generators.drums.genome import DrumGenome
from generators.drums.styles import skeleton
from generators.drums.tokens import CLASS_PITCH, VOCAB, BarHits
from generators.drums.transformer import DrumTransformer, load_for_meter, transformer_style
from music.meter import Meter
from scoring.metrics.drums import DRUM_METRICS, drum_metrics, meter_accents
from scoring.style.drums import genome_hits
from training.drums.augment import augment
from training.drums.dataset import Piece, load_pieces

#: Per-bar metrics compared (the pairwise bar similarities need several bars).
PER_BAR: Final = tuple(
    m for m in DRUM_METRICS if m not in ("grooving_similarity", "bar_similarity")
)
#: meter -> (the split its real bars come from, the generator style matching their style).
REAL: Final[dict[str, tuple[str, str]]] = {
    "3/4": ("validation", "bossa"),  # one latin (chacarera) performance
    "6/8": ("validation", "rock"),  # one rock performance
    "5/4": ("train", "rock"),  # rock/prog
    "5/8": ("train", "bossa"),  # latin (merengue)
}
NO_REAL: Final = ("2/4", "7/8", "9/8", "12/8")
#: Fewest bars a reference needs for a p5-p95 band.
MIN_REFERENCE_BARS: Final = 20
PATTERNS: Final = 16
BARS: Final = 4
BPM: Final = 110.0

Bar = tuple[np.ndarray, np.ndarray, np.ndarray]  # onset qn, GM note, velocity


def real_bars(pieces: list[Piece], meter: Meter) -> tuple[list[Bar], float]:
    """Every bar of the performances in ``meter`` and their mean tempo."""
    pieces = [
        p
        for p in pieces
        if (p.row.numerator, p.row.denominator) == (meter.numerator, meter.denominator)
    ]
    out = [_token_bar(b) for p in pieces for b in p.performance.bars if b]
    return out, float(np.mean([p.performance.bpm for p in pieces]))


def cut_bars(
    made: dict[tuple[int, int], list[Piece]], meter: Meter, style: str
) -> tuple[list[Bar], float]:
    """The cut pieces (:func:`training.drums.augment.augment`) of ``meter`` and ``style``, as
    bars, and their mean tempo."""
    made_m = made.get((meter.numerator, meter.denominator), [])
    token = f"STYLE_{transformer_style(style)}"
    pieces = [p for p in made_m if VOCAB[p.header[1]] == token]
    out = [_token_bar(b) for p in pieces for b in p.performance.bars if b]
    return out, float(np.mean([p.performance.bpm for p in pieces])) if pieces else BPM


def _token_bar(bar: BarHits) -> Bar:
    return (
        np.array([(s + h.offset) / 4.0 for s, h in bar]),
        np.array([CLASS_PITCH[h.cls] for _, h in bar], dtype=np.int64),
        np.array([h.velocity for _, h in bar], dtype=np.int64),
    )


def genome_bars(g: DrumGenome) -> list[Bar]:
    """A genome's bars as played, each from its own bar line."""
    onset, voice, velocity = genome_hits(g)
    qn = g.grid.meter.bar_qn
    bar = np.floor(onset / qn + 1e-9).clip(0, g.bars - 1)
    return [(onset[bar == b] - b * qn, voice[bar == b], velocity[bar == b]) for b in range(g.bars)]


def per_bar(bars: list[Bar], meter: Meter, bpm: float) -> dict[str, np.ndarray]:
    rows = [drum_metrics(t, v, vel, meter=meter, bars=1, bpm=bpm) for t, v, vel in bars]
    return {m: np.array([r[m] for r in rows], dtype=np.float64) for m in PER_BAR}


def accents(bars: list[Bar], meter: Meter) -> dict[str, float]:
    qn = meter.bar_qn
    t = np.concatenate([b[0] + i * qn for i, b in enumerate(bars)])
    v = np.concatenate([b[1] for b in bars])
    vel = np.concatenate([b[2] for b in bars])
    return {
        k: round(x, 3) for k, x in meter_accents(t, v, vel, meter=meter, bars=len(bars)).items()
    }


def fit(real: dict[str, np.ndarray], gen: dict[str, np.ndarray]) -> dict[str, Any]:
    """Share of generated (bar, metric) values inside the real bars' p5-p95 band."""
    rows: dict[str, Any] = {}
    inside_all: list[bool] = []
    for m in PER_BAR:
        r, g = real[m][np.isfinite(real[m])], gen[m][np.isfinite(gen[m])]
        if not len(r) or not len(g):
            continue
        lo, hi = np.percentile(r, [5, 95])
        inside = (g >= lo - 1e-9) & (g <= hi + 1e-9)
        inside_all += inside.tolist()
        rows[m] = {
            "p5": round(float(lo), 3),
            "p95": round(float(hi), 3),
            "median": round(float(np.median(g)), 3),
            "inside": round(float(inside.mean()), 3),
        }
    return {"share_inside": round(float(np.mean(inside_all)), 3), "metrics": rows}


def generated(model: DrumTransformer | None, style: str, meter: Meter, seed: int) -> list[Bar]:
    rng = np.random.default_rng(seed)
    if model is None:
        genomes = [skeleton(style, meter, BARS, rng) for _ in range(PATTERNS)]
    else:
        genomes = model.sample_many(PATTERNS, style, meter, BARS, rng)
    return [b for g in genomes for b in genome_bars(g)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the groove-midi folder")
    parser.add_argument(
        "--model", type=Path, default=None, help="default: the shipped meters model"
    )
    parser.add_argument("--name", default="drum_meters", help="results file name")
    args = parser.parse_args()
    model = DrumTransformer.load(args.model) if args.model else load_for_meter(Meter(3, 4))
    out: dict[str, Any] = {"meters": {}}
    splits = {"validation": load_pieces(args.data, "validation", kinds=("beat",))}
    val_cut = augment(splits["validation"])
    for name in (*REAL, *NO_REAL):
        meter = Meter.parse(name)
        split, style = REAL.get(name, ("", "rock"))
        row: dict[str, Any] = {"style": style, "transformer_plays": model.samples_directly(meter)}
        sources = {"skeleton": generated(None, style, meter, 1)}
        if model.samples_directly(meter):
            sources["transformer"] = generated(model, style, meter, 2)
        if split:
            if split not in splits:
                splits[split] = load_pieces(args.data, split, kinds=("beat",))
            real, bpm = real_bars(splits[split], meter)
            row |= {"real_split": split, "real_bars": len(real), "seen": split == "train"}
            real_m = per_bar(real, meter, bpm)
            row["real"] = {"accents": accents(real, meter)}
            for src, bars in sources.items():
                row[src] = fit(real_m, per_bar(bars, meter, bpm)) | {
                    "accents": accents(bars, meter)
                }
        else:
            for src, bars in sources.items():
                row[src] = {"accents": accents(bars, meter)}
        cut, cut_bpm = cut_bars(val_cut, meter, style)
        row["cut_bars"] = len(cut)
        if len(cut) >= MIN_REFERENCE_BARS:
            cut_m = per_bar(cut, meter, cut_bpm)
            row["cut"] = {"accents": accents(cut, meter)}
            for src, bars in sources.items():
                row[src]["vs_cut"] = fit(cut_m, per_bar(bars, meter, cut_bpm))
        out["meters"][name] = row
        line = f"{name:5s} {style:6s}"
        for src in ("real", "cut", "skeleton", "transformer"):
            if src in row:
                fit_s = row[src].get("share_inside", "-")
                fit_c = row[src].get("vs_cut", {}).get("share_inside", "-")
                acc = row[src]["accents"]
                line += (
                    f" | {src} fit {fit_s}/{fit_c} "
                    f"dbk {acc['downbeat_kick']} kob {acc['kick_on_beats']} "
                    f"acc {acc['accent_ratio']}"
                )
        print(line)
    path = write_result(args.name, out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
