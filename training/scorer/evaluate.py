"""Evaluate the exported ChromaticScorer (``chromatic eval scorer``).

Runs the ONNX model through :class:`scoring.chromatic.ChromaticScorer` (what the agent uses)
and writes ``scorer_eval.json`` and a readable ``scorer_eval.md`` with:

* **held-out retrieval**: each test-split clip (songs never seen in training) against its own
  text and 99 texts of other test clips with different text: top-1 / top-5 vs chance (1% / 5%);
* **match spread** over populations of 64 progressions from the real chord generator, per
  scenario (goal: max - min >= 0.05; the original system's top-10 spread was 0.0005);
* **concept sensitivity**: the same population ranked under two concepts (each other scenario's
  concept; "dark, slow, ominous" vs "bright, joyful, energetic") and under two colors (the
  scenario's and the color sharing no mode with it), Kendall tau over the first ranking's top
  10 (goal < 0.5), averaged over three populations per scenario (ten items make one tau noisy);
* **directional checks**: "dark, slow, ominous" should prefer low, minor, sparse candidates over
  high, major, busy ones, and "bright, joyful, energetic" the reverse (fraction of correctly
  ordered pairs, scored with the neutral color White so the concept decides).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import kendalltau

from music.files import write_text_atomic
from scoring.chromatic import ChromaticScorer
from scoring.colors import COLOR_NAMES, target_vector
from scoring.midi_features import MidiFeatures
from training.scorer.eval_report import SPREAD_GOAL, TAU_GOAL, summary
from training.scorer.probes import (
    BRIGHT_CONCEPT,
    DARK_CONCEPT,
    SCENARIOS,
    chord_population,
    contrast_sets,
)

logger = logging.getLogger(__name__)

POPULATION = 64
SEEDS = 3


def _unit(x: NDArray[Any]) -> NDArray[np.float32]:
    v = np.asarray(x, dtype=np.float32)
    out: NDArray[np.float32] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return out


def corpus_embeddings(
    scorer: ChromaticScorer, rolls: NDArray[np.uint8], symbolic: NDArray[Any]
) -> NDArray[np.float32]:
    """Music embeddings ``[N, 384]`` of corpus clips, through the ONNX model."""
    out = []
    for s in range(0, len(rolls), 256):
        feats = [
            MidiFeatures(roll=r.astype(np.float32) / 127.0, symbolic=f.astype(np.float32))
            for r, f in zip(rolls[s : s + 256], symbolic[s : s + 256], strict=True)
        ]
        out.append(scorer.embed(feats))
    return np.concatenate(out)


def retrieval(
    z: NDArray[np.float32],
    text: NDArray[np.float32],
    songs: NDArray[Any],
    rng: np.random.Generator,
    *,
    pool: int = 100,
) -> dict[str, Any]:
    """Clip -> text retrieval among ``pool`` texts: the clip's own and ``pool - 1`` texts of
    clips from other songs whose text differs from it."""
    sims_tt = text @ text.T
    ranks = []
    for i in range(len(z)):
        others = np.flatnonzero((sims_tt[i] < 0.999) & (songs != songs[i]))
        if len(others) < pool - 1:
            continue
        pick = rng.choice(others, size=pool - 1, replace=False)
        sims = text[np.concatenate([[i], pick])] @ z[i]
        ranks.append(int((sims[1:] >= sims[0]).sum()) + 1)
    r = np.array(ranks)
    return {
        "clips": len(r),
        "pool": pool,
        "top1": float((r <= 1).mean()) if len(r) else None,
        "top5": float((r <= 5).mean()) if len(r) else None,
        "median_rank": float(np.median(r)) if len(r) else None,
        "chance_top1": 1.0 / pool,
        "chance_top5": 5.0 / pool,
    }


def confidence_auc(
    scorer: ChromaticScorer,
    z_inputs: Sequence[MidiFeatures],
    text: NDArray[np.float32],
    rng: np.random.Generator,
) -> float:
    """ROC AUC of the confidence output: true clip-text pairs vs the same clips with a random
    other clip's text."""
    wrong = rng.permutation(len(text))
    pos = scorer.pair_confidence(z_inputs, text)
    neg = scorer.pair_confidence(z_inputs, text[wrong])
    keep = (text * text[wrong]).sum(1) < 0.999
    pos, neg = pos[keep], neg[keep]
    # Mann-Whitney U: P(pos > neg) + 0.5 P(tie).
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def top10_tau(a: NDArray[np.float64], b: NDArray[np.float64]) -> dict[str, Any]:
    """Kendall tau of scores ``a`` and ``b`` over the top 10 of ``a``; top-10 overlap; whether
    the top candidate is the same."""
    top_a = np.argsort(-a)[:10]
    top_b = np.argsort(-b)[:10]
    tau = float(kendalltau(a[top_a], b[top_a]).statistic)
    return {
        "kendall_tau_top10": tau,
        "top10_overlap": len(set(top_a.tolist()) & set(top_b.tolist())),
        "same_top1": float(top_a[0] == top_b[0]),
    }


def spread(match: NDArray[np.float64]) -> dict[str, Any]:
    top10 = np.sort(match)[-10:]
    return {
        "min": float(match.min()),
        "max": float(match.max()),
        "range": float(match.max() - match.min()),
        "std": float(match.std()),
        "top10_range": float(top10.max() - top10.min()),
        "meets_goal": bool(match.max() - match.min() >= SPREAD_GOAL),
    }


def farthest_color(color: str) -> str:
    """The color whose target vector is farthest (L1) from ``color``'s: one sharing no mode."""
    ref = np.array(target_vector(color).flat())
    return max(
        (c for c in COLOR_NAMES if c != color),
        key=lambda c: float(np.abs(np.array(target_vector(c).flat()) - ref).sum()),
    )


def population_checks(scorer: ChromaticScorer, seed: int) -> dict[str, Any]:
    """Per scenario, over :data:`SEEDS` populations of 64: the spread of match, and Kendall tau
    of the top 10 when the concept or the color changes (means over the populations)."""
    out: dict[str, Any] = {}
    for i, sc in enumerate(SCENARIOS):
        far = farthest_color(sc.color)
        rows: dict[str, list[dict[str, Any]]] = {
            "spread": [],
            "far": [],
            "colors": [],
            "concepts": [],
            "dark_bright": [],
        }
        for k in range(SEEDS):
            pop = chord_population(
                key=sc.key,
                meter=sc.meter,
                bpm=sc.bpm,
                size=POPULATION,
                rng=np.random.default_rng([seed, i, k]),
            )
            base = scorer.analyse_batch(pop, sc.concept, color=sc.color)
            rows["spread"].append(spread(base.match))
            rows["far"].append(
                top10_tau(base.match, scorer.analyse_batch(pop, sc.concept, color=far).match)
            )
            rows["colors"] += [
                top10_tau(base.match, scorer.analyse_batch(pop, sc.concept, color=c).match)
                for c in COLOR_NAMES
                if c != sc.color
            ]
            rows["concepts"] += [
                top10_tau(base.match, scorer.analyse_batch(pop, o.concept, color=sc.color).match)
                for o in SCENARIOS
                if o is not sc
            ]
            dark = scorer.analyse_batch(pop, DARK_CONCEPT, color=sc.color)
            bright = scorer.analyse_batch(pop, BRIGHT_CONCEPT, color=sc.color)
            rows["dark_bright"].append(top10_tau(dark.match, bright.match))

        def mean(key: str, field: str, rows: dict[str, list[dict[str, Any]]] = rows) -> float:
            return float(np.mean([r[field] for r in rows[key]]))

        out[sc.name] = {
            "setting": {"key": sc.key, "meter": sc.meter, "bpm": sc.bpm, "color": sc.color},
            "populations": SEEDS,
            "match_spread": {
                **{f: mean("spread", f) for f in ("min", "max", "range", "std", "top10_range")},
                "meets_goal": all(r["meets_goal"] for r in rows["spread"]),
            },
            "color_swap": {
                "other_color": far,
                "kendall_tau_top10": mean("far", "kendall_tau_top10"),
                "top10_overlap": mean("far", "top10_overlap"),
                "median_tau_over_all_other_colors": float(
                    np.median([r["kendall_tau_top10"] for r in rows["colors"]])
                ),
                "meets_goal": mean("far", "kendall_tau_top10") < TAU_GOAL,
            },
            "concept_swap": {
                "other_concepts": [o.name for o in SCENARIOS if o is not sc],
                "kendall_tau_top10": mean("concepts", "kendall_tau_top10"),
                "top10_overlap": mean("concepts", "top10_overlap"),
                "meets_goal": mean("concepts", "kendall_tau_top10") < TAU_GOAL,
            },
            "dark_vs_bright_concept": {
                "kendall_tau_top10": mean("dark_bright", "kendall_tau_top10"),
                "top10_overlap": mean("dark_bright", "top10_overlap"),
                "same_top1_share": mean("dark_bright", "same_top1"),
                "meets_goal": mean("dark_bright", "kendall_tau_top10") < TAU_GOAL,
            },
        }
    return out


def directional_checks(scorer: ChromaticScorer) -> dict[str, Any]:
    dark, bright = contrast_sets()
    out: dict[str, Any] = {}
    for concept, want in ((DARK_CONCEPT, "dark"), (BRIGHT_CONCEPT, "bright")):
        d = scorer.analyse_batch(dark, concept, color="White")
        b = scorer.analyse_batch(bright, concept, color="White")
        good, bad = (d, b) if want == "dark" else (b, d)
        pairs = float((good.match[:, None] > bad.match[None, :]).mean())
        out[concept] = {
            "prefers": want,
            "pairs_ordered_correctly": pairs,
            "mean_match_dark": float(d.match.mean()),
            "mean_match_bright": float(b.match.mean()),
            "concept_only_pairs_correct": float(
                (good.concept_z[:, None] > bad.concept_z[None, :]).mean()
            ),
            "passes": bool(pairs > 0.5),
        }
    d = scorer.analyse_batch(dark, DARK_CONCEPT, color="White")
    b = scorer.analyse_batch(bright, DARK_CONCEPT, color="White")
    out["color_probs"] = {
        "dark_candidates": dict(
            zip(COLOR_NAMES, d.color_probs.mean(0).round(4).tolist(), strict=True)
        ),
        "bright_candidates": dict(
            zip(COLOR_NAMES, b.color_probs.mean(0).round(4).tolist(), strict=True)
        ),
    }
    return out


def heads_on_clips(scorer: ChromaticScorer, feats: Sequence[MidiFeatures]) -> dict[str, Any]:
    scores = scorer.analyse_batch(feats, "music of every kind and colour", color="White")
    argmax = np.bincount(scores.color_probs.argmax(1), minlength=len(COLOR_NAMES))

    def entropy(p: NDArray[Any]) -> float:
        return float((-(p * np.log(np.clip(p, 1e-12, None))).sum(1) / np.log(p.shape[1])).mean())

    return {
        "clips": len(feats),
        "argmax_color_share": dict(
            zip(COLOR_NAMES, (argmax / len(feats)).round(4).tolist(), strict=True)
        ),
        "mean_max_color_prob": float(scores.color_probs.max(1).mean()),
        "normalised_entropy": {
            "colors": entropy(scores.color_probs),
            "temporal": entropy(scores.temporal),
            "spatial": entropy(scores.spatial),
            "ontological": entropy(scores.ontological),
        },
    }


def main(
    *,
    model: Path | None = None,
    corpus: Path = Path("build/scorer_corpus.npz"),
    out_dir: Path = Path("bench/results"),
    seed: int = 0,
) -> dict[str, Any]:
    """Evaluate, write ``out_dir/scorer_eval.json`` and ``scorer_eval.md``; return the report."""
    from training.scorer.corpus import load_corpus

    scorer = ChromaticScorer.load(model)
    data = load_corpus(corpus)
    rng = np.random.default_rng(seed)
    test = np.flatnonzero(np.asarray(data.splits) == "test")
    feats = [
        MidiFeatures(
            roll=data.rolls[i].astype(np.float32) / 127.0,
            symbolic=data.symbolic[i].astype(np.float32),
        )
        for i in test
    ]
    z = corpus_embeddings(scorer, data.rolls[test], data.symbolic[test])
    text = _unit(data.text_emb[test])
    songs = np.asarray(data.song_ids)[test]
    if len(set(songs.tolist())) < 100:
        raise ValueError(
            f"corpus {corpus}: test split: {len(test)} clips of {len(set(songs.tolist()))} "
            "songs -- at least 100 songs, for retrieval among 100 (build it from the whole data "
            "folder)"
        )
    sources = np.asarray(data.sources)[test]
    report: dict[str, Any] = {
        "model": str(scorer.model.path),
        "model_version": scorer.sidecar.get("version"),
        "heads": scorer.sidecar.get("heads", {}).get("mode"),
        "test_split": {"clips": len(test), "songs": len(set(songs.tolist()))},
        "retrieval": retrieval(z, text, songs, rng),
        "retrieval_by_source": {
            s: retrieval(z[sources == s], text[sources == s], songs[sources == s], rng)
            for s in sorted(set(sources.tolist()))
        },
        "confidence_auc": confidence_auc(scorer, feats, text, rng),
        "heads_on_test_clips": heads_on_clips(scorer, feats),
        "populations": population_checks(scorer, seed),
        "directional": directional_checks(scorer),
    }
    report["goals"] = goals(report)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "scorer_eval.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(out_dir / "scorer_eval.md", summary(report))
    return report


def goals(r: dict[str, Any]) -> dict[str, Any]:
    pops = r["populations"].values()
    ret = r["retrieval"]
    return {
        "retrieval_top1_above_chance": bool(
            ret["top1"] is not None and ret["top1"] > ret["chance_top1"]
        ),
        "retrieval_top5_above_chance": bool(
            ret["top5"] is not None and ret["top5"] > ret["chance_top5"]
        ),
        "match_spread_at_least_0.05": all(p["match_spread"]["meets_goal"] for p in pops),
        "concept_swap_tau_below_0.5": all(p["concept_swap"]["meets_goal"] for p in pops),
        "dark_bright_concept_tau_below_0.5": all(
            p["dark_vs_bright_concept"]["meets_goal"] for p in pops
        ),
        "color_swap_tau_below_0.5": all(p["color_swap"]["meets_goal"] for p in pops),
        "directional_checks_pass": all(
            v["passes"] for k, v in r["directional"].items() if k != "color_probs"
        ),
    }


def _cli() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the chromatic scorer.")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--corpus", type=Path, default=Path("build/scorer_corpus.npz"))
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    report = main(model=args.model, corpus=args.corpus, out_dir=args.out)
    print(summary(report))


if __name__ == "__main__":
    _cli()
