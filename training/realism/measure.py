"""How well a realism model tells real from generated: accuracy at ``P(real) = 0.5`` (per class
and balanced), the area under the ROC curve (the chance a real passage is ranked above a
generated one), and per group of rows the mean ``P(real)`` and the share judged real."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray


def auc(p_real: NDArray[Any], p_ours: NDArray[Any]) -> float:
    """P(a real row scores above a generated one), ties counting half (Mann-Whitney U)."""
    a = np.asarray(p_real, dtype=np.float64)
    b = np.asarray(p_ours, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        return float("nan")
    both = np.concatenate([a, b])
    order = np.argsort(both, kind="mergesort")
    ranks = np.empty(both.size, dtype=np.float64)
    sorted_vals = both[order]
    i = 0
    while i < both.size:  # average ranks over ties
        j = i
        while j + 1 < both.size and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    u = float(ranks[: a.size].sum()) - a.size * (a.size + 1) / 2.0
    return u / (a.size * b.size)


def group_summary(p: NDArray[Any], *, real: bool) -> dict[str, Any]:
    """Rows, mean ``P(real)`` and the share classified correctly (as real when ``real``)."""
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        return {"rows": 0}
    right = p >= 0.5 if real else p < 0.5
    return {
        "rows": int(p.size),
        "mean_p_real": round(float(p.mean()), 4),
        "accuracy": round(float(right.mean()), 4),
    }


def separation(groups: Mapping[str, NDArray[Any]], real: Sequence[str]) -> dict[str, Any]:
    """Accuracy and AUC of the ``real`` groups against the rest, and each group's summary.
    ``ranked_real_share``: of the ``n`` rows ranked most real (``n`` = the real rows), the
    share that are real."""
    p_real = np.concatenate([np.asarray(groups[g]) for g in groups if g in real] or [np.zeros(0)])
    p_ours = np.concatenate(
        [np.asarray(groups[g]) for g in groups if g not in real] or [np.zeros(0)]
    )
    out: dict[str, Any] = {
        "groups": {g: group_summary(v, real=g in real) for g, v in groups.items()},
        "real_rows": int(p_real.size),
        "generated_rows": int(p_ours.size),
    }
    if p_real.size and p_ours.size:
        acc_real = float((p_real >= 0.5).mean())
        acc_ours = float((p_ours < 0.5).mean())
        both = np.concatenate([p_real, p_ours])
        top = np.argsort(-both, kind="mergesort")[: p_real.size]
        out.update(
            accuracy=round(float(((p_real >= 0.5).sum() + (p_ours < 0.5).sum()) / both.size), 4),
            balanced_accuracy=round(0.5 * (acc_real + acc_ours), 4),
            auc=round(auc(p_real, p_ours), 4),
            ranked_real_share=round(float((top < p_real.size).mean()), 4),
        )
    return out
