"""Does the realism critic point towards real music? Over populations our generators make
(fresh runs, a seed the critic never saw), candidates it ranks more real should score closer to
the corpora: per candidate, its ``P(real)`` from the shipped critic against (a) the share of its
metric values inside the held-out corpus's p5-p95 band and (b) its mean style fit
(:func:`scoring.style.fit.metric_fits`) to the held-out profile of the style, meter and tempo
its run is held to, as :mod:`bench.corpus_fit` chooses it.

Reported per part: Spearman's rank correlation within each population (random initial members
and evolved members of one run; averaged over runs) and pooled over all candidates, and the
inside share of the quarter of each population the critic ranks most real against the quarter
it ranks least real. Also the held-out accuracy and AUC the shipped sidecars record.

``python -m bench.realism --data ../shared/data`` writes ``bench/results/realism.json``.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from scipy.stats import spearmanr

from bench.common import write_result
from bench.corpus_fit import reference_for, reference_profiles
from bench.song_parts import SongParts
from cli.realism import phase_parts
from scoring.realism import PARTS, shipped_critic
from scoring.style.fit import metric_fits
from scoring.style.profile import ProfileSet
from training.realism.generated import GenConfig, generated_rows
from training.style.build import SHIPPED
from training.style.rows import MetricRow
from training.style.train import DEFAULT_CACHE, part_rows

ROOT = Path(__file__).resolve().parents[1]
#: The generator seed of the populations measured (training used 0, eval realism 1).
SEED: Final = 2


def closeness(row: MetricRow, reference: ProfileSet) -> tuple[float, float]:
    """Share of the row's defined metrics inside the reference's p5-p95 band, and their mean
    style fit, for the profile the row's run is held to."""
    song = SongParts(
        run=row.song,
        title=row.song,
        color="",
        genres=tuple(row.style.split("+")),
        mood=(),
        bpm=row.bpm or 100.0,
        meter=row.meter,
        units=(),
    )
    profile = reference_for(song, row.part, reference)
    inside = [
        band.inside(v, 5, 95)
        for name, band in profile.bands
        if (v := row.values.get(name)) is not None and not math.isnan(v)
    ]
    fits = list(metric_fits(row.values, profile).values())
    return (sum(inside) / len(inside) if inside else math.nan), (
        sum(fits) / len(fits) if fits else math.nan
    )


def _rho(a: Sequence[float], b: Sequence[float]) -> float | None:
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < 4 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return None
    return float(spearmanr(x[ok], y[ok]).statistic)


def part_effect(part: str, rows: Sequence[MetricRow], reference: ProfileSet) -> dict[str, Any]:
    critic = shipped_critic(part)
    if critic is None:
        raise FileNotFoundError(f"scoring/data/realism_{part}.onnx: not shipped -- train it")
    p = critic.p_real([r.values for r in rows])
    close = [closeness(r, reference) for r in rows]
    runs: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        runs[r.song].append(i)
    within_inside, within_fit, top, bottom = [], [], [], []
    for members in runs.values():
        pp = [p[i] for i in members]
        rho = _rho(pp, [close[i][0] for i in members])
        if rho is not None:
            within_inside.append(rho)
        rho = _rho(pp, [close[i][1] for i in members])
        if rho is not None:
            within_fit.append(rho)
        order = sorted(members, key=lambda i: -p[i])
        q = max(1, len(order) // 4)
        top += [close[i][0] for i in order[:q]]
        bottom += [close[i][0] for i in order[-q:]]
    return {
        "candidates": len(rows),
        "populations": len(runs),
        "mean_p_real": round(float(np.mean(p)), 4),
        "spearman_within_inside_p5_p95": round(float(np.mean(within_inside)), 4),
        "spearman_within_style_fit": round(float(np.mean(within_fit)), 4),
        "populations_with_positive_rho": round(float(np.mean(np.array(within_fit) > 0)), 3),
        "spearman_pooled_inside_p5_p95": _round(_rho(p, [c[0] for c in close])),
        "spearman_pooled_style_fit": _round(_rho(p, [c[1] for c in close])),
        "inside_p5_p95_most_real_quarter": round(float(np.nanmean(top)), 4),
        "inside_p5_p95_least_real_quarter": round(float(np.nanmean(bottom)), 4),
        "heldout": {
            k: critic.sidecar.get("heldout", {}).get(k)
            for k in ("accuracy", "balanced_accuracy", "auc", "real_rows", "generated_rows")
        },
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=None, help="row cache of the corpora")
    parser.add_argument("--runs", type=int, default=16, help="populations per part")
    parser.add_argument("--population", type=int, default=24)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--part", action="append", choices=PARTS, default=None)
    args = parser.parse_args(argv)
    gen = GenConfig(
        runs=args.runs,
        keep=args.population,
        population=args.population,
        generations=args.generations,
        seed=SEED,
    )
    result: dict[str, Any] = {}
    for part in args.part or PARTS:
        real = part_rows(part, args.data, cache=args.cache or DEFAULT_CACHE)
        reference = reference_profiles(real, part, SHIPPED[part][0])
        result[part] = part_effect(part, generated_rows(part, gen, phase_parts()), reference)
        e = result[part]
        print(
            f"{part:7s} held-out acc {e['heldout']['accuracy']:.1%} AUC {e['heldout']['auc']:.3f}"
            f" | rho(P(real), style fit) within {e['spearman_within_style_fit']:+.2f}"
            f" pooled {e['spearman_pooled_style_fit']}"
            f" | inside p5-p95: most-real quarter {e['inside_p5_p95_most_real_quarter']:.1%}"
            f" vs least {e['inside_p5_p95_least_real_quarter']:.1%}",
            flush=True,
        )
    path = write_result(
        "realism",
        {
            "generated": {
                "runs": args.runs,
                "population": args.population,
                "generations": args.generations,
                "seed": SEED,
            },
            **result,
        },
    )
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
