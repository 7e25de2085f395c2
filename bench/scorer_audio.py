"""Does the scorer hear audio? Held-out rendered clips scored with and without their audio.

    python -m bench.scorer_audio --before OLD.onnx --after NEW.onnx \\
        [--audio-corpus build/scorer_audio.npz] [--figure bench/results/scorer_audio.png]

On the ``test`` split of the audio corpus (songs never trained on; see
``training.scorer.audio_corpus``), through onnxruntime as the agent runs the model:

* **retrieval**: each clip's own text among 100 (the corpus protocol), for each model with and
  without the clip's audio features (a model trained without audio ignores them);
* **scores**: the ``match`` of populations of 64 clips under each scenario's concept and color,
  with and without audio: how far each candidate's match moves, how often the population's
  winner changes, Kendall tau of the top ten;
* **cost**: one population of 64 with audio features scored in one call (best and median ms);
* **without audio** the two models' matches should be the same (the fit keeps that path).

With ``--figure`` a PNG of match without audio against match with audio is written.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import kendalltau

from bench.common import RESULTS, write_result
from scoring.chromatic import ChromaticScorer
from training.scorer.audio_rows import AudioCorpus, load_audio_corpus
from training.scorer.probes import SCENARIOS
from training.scorer.train import retrieval_at

POPULATION = 64


def retrieval(scorer: ChromaticScorer, corpus: AudioCorpus, rows: NDArray[np.int64]) -> Any:
    text = corpus.text_emb[rows].astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    out = {}
    for label, audio in (("without_audio", False), ("with_audio", True)):
        z = scorer.embed(corpus.features(rows, audio=audio))
        top = retrieval_at(z, text, np.random.default_rng(0), pool=min(100, len(rows)))
        out[label] = {"top1": round(top[1], 3), "top5": round(top[5], 3)}
    return out


def score_changes(
    scorer: ChromaticScorer, corpus: AudioCorpus, rows: NDArray[np.int64]
) -> tuple[dict[str, Any], NDArray[np.float64], NDArray[np.float64]]:
    """Match with and without audio over populations of 64 under every scenario."""
    size = min(POPULATION, len(rows))
    pops = [rows[s : s + size] for s in range(0, len(rows) - size + 1, size)]
    without: list[float] = []
    with_audio: list[float] = []
    winners = 0
    taus: list[float] = []
    for scenario in SCENARIOS:
        for pop in pops:
            a = scorer.analyse_batch(
                corpus.features(pop, audio=False), scenario.concept, color=scenario.color
            ).match
            b = scorer.analyse_batch(
                corpus.features(pop, audio=True), scenario.concept, color=scenario.color
            ).match
            without.extend(a.tolist())
            with_audio.extend(b.tolist())
            winners += int(np.argmax(a) != np.argmax(b))
            top = np.argsort(-a)[:10]
            taus.append(float(kendalltau(a[top], b[top]).statistic))
    x, y = np.asarray(without), np.asarray(with_audio)
    delta = np.abs(y - x)
    summary = {
        "populations": len(pops) * len(SCENARIOS),
        "candidates_scored": len(x),
        "mean_abs_change": round(float(delta.mean()), 4),
        "median_abs_change": round(float(np.median(delta)), 4),
        "max_abs_change": round(float(delta.max()), 4),
        "share_changed_over_0.01": round(float((delta > 0.01).mean()), 3),
        "winner_changes": winners,
        "top10_kendall_tau_median": round(float(np.median(taus)), 3) if taus else None,
        "match_spread_without_audio": round(float(x.max() - x.min()), 4),
        "match_spread_with_audio": round(float(y.max() - y.min()), 4),
    }
    return summary, x, y


def cost(scorer: ChromaticScorer, corpus: AudioCorpus, rows: NDArray[np.int64]) -> Any:
    pop = corpus.features(rows[:POPULATION], audio=True)  # 64, or all the clips when fewer
    scenario = SCENARIOS[0]
    scorer.analyse_batch(pop, scenario.concept, color=scenario.color)  # warm-up, concept cache
    times = []
    for _ in range(15):
        t = time.perf_counter()
        scorer.analyse_batch(pop, scenario.concept, color=scenario.color)
        times.append(time.perf_counter() - t)
    return {
        "candidates": len(pop),
        "best_ms": round(min(times) * 1000, 2),
        "median_ms": round(statistics.median(times) * 1000, 2),
    }


def figure(x: NDArray[np.float64], y: NDArray[np.float64], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(x, y, s=4, alpha=0.4)
    ax.plot([0, 1], [0, 1], color="grey", linewidth=1)
    ax.set_xlabel("match without audio")
    ax.set_ylabel("match with the rendered audio")
    ax.set_title("ChromaticScorer: held-out clips, every scenario")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the model without audio")
    parser.add_argument("--after", type=Path, required=True, help="the model with audio")
    parser.add_argument("--audio-corpus", type=Path, default=Path("build/scorer_audio.npz"))
    parser.add_argument("--figure", type=Path, default=RESULTS / "scorer_audio.png")
    args = parser.parse_args()
    corpus = load_audio_corpus(args.audio_corpus)
    rows = corpus.indices("test")
    report: dict[str, Any] = {"test_clips": len(rows)}
    for label, path in (("before", args.before), ("after", args.after)):
        scorer = ChromaticScorer.load(path, threads=1)
        report[label] = {"model": str(path), "retrieval_of_100": retrieval(scorer, corpus, rows)}
    after = ChromaticScorer.load(args.after, threads=1)
    before = ChromaticScorer.load(args.before, threads=1)
    scenario = SCENARIOS[0]
    without = corpus.features(rows, audio=False)
    report["max_abs_match_change_without_audio"] = float(
        np.abs(
            after.analyse_batch(without, scenario.concept, color=scenario.color).match
            - before.analyse_batch(without, scenario.concept, color=scenario.color).match
        ).max()
    )
    report["score_changes_after"], x, y = score_changes(after, corpus, rows)
    report["population_with_audio"] = cost(after, corpus, rows)
    if args.figure:
        report["figure"] = str(figure(x, y, args.figure))
    for label in ("before", "after"):
        for how, top in report[label]["retrieval_of_100"].items():
            print(f"{label:6} {how:14} top-1 {top['top1']:.3f}  top-5 {top['top5']:.3f}")
    for key, value in report["score_changes_after"].items():
        print(f"{key}: {value}")
    print(f"population of 64 with audio: {report['population_with_audio']}")
    same = report["max_abs_match_change_without_audio"]
    print(f"before vs after, no audio: max |match change| {same}")
    print(f"-> {write_result('scorer_audio', report)}")


if __name__ == "__main__":
    main()
