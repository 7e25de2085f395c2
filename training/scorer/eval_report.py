"""The readable Markdown summary of a scorer evaluation (``scorer_eval.md``) and the goals it
is judged against (DESIGN §5, §8)."""

from __future__ import annotations

from typing import Any

#: Goal for the range of ``match`` over a population of 64 (the original system: 0.0005).
SPREAD_GOAL = 0.05
#: Goal for Kendall tau of the top 10 when the concept or the color changes.
TAU_GOAL = 0.5


def summary(r: dict[str, Any]) -> str:
    """The report as Markdown a person can read."""
    ret = r["retrieval"]
    lines = [
        "# ChromaticScorer evaluation",
        "",
        f"Model: `{r['model']}` (version {r['model_version']}, heads: {r['heads']})",
        "",
        "## Held-out retrieval (test split, by song)",
        "",
        f"{ret['clips']} clips from {r['test_split']['songs']} songs; each clip's own text "
        f"among {ret['pool']} (99 texts of other songs' clips).",
        "",
        "| | top-1 | top-5 | median rank |",
        "|---|---|---|---|",
        f"| scorer | {ret['top1']:.3f} | {ret['top5']:.3f} | {ret['median_rank']:.0f} |",
        f"| chance | {ret['chance_top1']:.3f} | {ret['chance_top5']:.3f} | 50 |",
        "",
    ]
    for src, v in r["retrieval_by_source"].items():
        if v["top1"] is not None:
            lines.append(
                f"- {src}: top-1 {v['top1']:.3f}, top-5 {v['top5']:.3f} ({v['clips']} clips)"
            )
    lines += [
        "",
        f"Confidence ROC AUC (true vs wrong text): {r['confidence_auc']:.3f}",
        "",
        "## Populations of 64 generated progressions (means over 3 populations each)",
        "",
        "| scenario | match min..max | range | std | top-10 range | tau other concepts "
        "| tau dark/bright | tau color swap (to) | median tau, all colors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in r["populations"].items():
        s = p["match_spread"]
        c = p["color_swap"]
        lines.append(
            f"| {name} | {s['min']:.3f}..{s['max']:.3f} | {s['range']:.3f} | {s['std']:.3f} "
            f"| {s['top10_range']:.3f} | {p['concept_swap']['kendall_tau_top10']:.2f} "
            f"| {p['dark_vs_bright_concept']['kendall_tau_top10']:.2f} "
            f"| {c['kendall_tau_top10']:.2f} ({c['other_color']}) "
            f"| {c['median_tau_over_all_other_colors']:.2f} |"
        )
    lines += [
        "",
        f"Goals: range >= {SPREAD_GOAL} (original system: 0.0005 over its top 10); "
        f"Kendall tau of the top 10 < {TAU_GOAL}.",
        "",
        "## Directional checks",
        "",
    ]
    for concept, v in r["directional"].items():
        if concept == "color_probs":
            continue
        lines.append(
            f'- "{concept}" prefers {v["prefers"]} candidates in '
            f"{v['pairs_ordered_correctly']:.0%} of dark/bright pairs (match; "
            f"{v['concept_only_pairs_correct']:.0%} by concept alone); mean match dark "
            f"{v['mean_match_dark']:.3f}, bright {v['mean_match_bright']:.3f}"
        )
    lines += ["", "## Goals", ""]
    lines += [f"- {k}: {'met' if v else 'NOT met'}" for k, v in r["goals"].items()]
    return "\n".join(lines) + "\n"
