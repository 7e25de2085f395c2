"""The match formula: how the scorer graph's outputs and a model's calibration become a
candidate's ``match``. Pure functions of numbers; :mod:`scoring.chromatic` runs the graph.

**match** (documented formula, every term a property of one candidate, so ``score`` equals
``score_batch`` item by item)::

    agreement  = mean over the 3 axes of  sum_m sqrt(q_m * target_m)    (Bhattacharyya, in [0, 1])
    z_color    = (agreement - mu_color) / sigma_color                   (reference-clip stats)
    z          = (w_concept * concept_z + w_color * z_color) / sqrt(w_concept^2 + w_color^2)
                 + taste
    match      = Phi(z / scale)                                          (standard normal CDF)

``mu_color``/``sigma_color`` are the mean and standard deviation of ``agreement`` with that
color's target over the reference clips (stored in the sidecar at export). Both z-scores say how
this candidate compares with real music: 0.5 is a typical real clip.

**Banks per part kind.** A model exported with banks per part kind (the sidecar's
``calibration.reference_kinds``: ``all``, then e.g. ``chords``, ``drums``, ``bass``, ``melody``)
standardises a candidate scored as one kind of part (``kind=``; every phase passes its own)
against real parts of that kind heard over what the phases would approve under them, instead of
against all clips: ``mean_ref``/``std_ref`` are that bank's (the graph's ``kind_ref_mean`` and
``kind_ref_std``) and ``mu_color``/``sigma_color`` its ``calibration.color_agreement_by_kind``.
0.5 is then a typical real part of that kind, and a population of one part, which sits in a
narrow band of all music, is spread by how it differs among parts of its kind. Without
``kind``, or with a kind the model has no bank for, the whole bank serves. ``scale`` (sidecar,
default 2) widens the curve: the reference is all kinds of real music (songs, chorales, fiddle
tunes, drum grooves), while one population is one part in one key and sits in a narrow band that
is often far in the tail (z of 2-3 for a fitting concept); with ``scale = 1`` the top ten of
such a population differed by only 0.005, with 2 by 0.03-0.09. ``match`` lies in (0, 1) and
spreads across candidates in proportion to real differences in how they sound, instead of the
near-constant values of a raw cosine. Weights and scale are in the sidecar's ``calibration``.
``taste`` is the graph's taste head: 0 for the shipped model (and for models exported before it
existed), a person's learned taste for a model fit on their verdicts
(``chromatic train scorer --from-reviews``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.onnx import ModelFileError
from scoring.colors import COLOR_NAMES, ColorTarget, target_vector


def color_agreement(
    temporal: NDArray[Any], spatial: NDArray[Any], ontological: NDArray[Any], target: ColorTarget
) -> NDArray[np.float64]:
    """Mean Bhattacharyya coefficient of the predicted axis distributions (``[B, 3]`` each)
    with ``target``: 1 for identical distributions, less the further apart. ``[B]``."""
    total = np.zeros(len(temporal), dtype=np.float64)
    for pred, tgt in (
        (temporal, target.temporal),
        (spatial, target.spatial),
        (ontological, target.ontological),
    ):
        p = np.clip(np.asarray(pred, dtype=np.float64), 0.0, None)
        total += np.sqrt(p * np.asarray(tgt, dtype=np.float64)[None, :]).sum(axis=1)
    out: NDArray[np.float64] = total / 3.0
    return out


def normal_cdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard normal CDF, elementwise."""
    from scipy.special import ndtr

    out: NDArray[np.float64] = ndtr(z)
    return out


def match_probit(
    concept_z: NDArray[Any],
    color_z: NDArray[Any],
    *,
    w_concept: float,
    w_color: float,
    scale: float = 1.0,
    taste: NDArray[Any] | None = None,
) -> NDArray[np.float64]:
    """``((w_concept * concept_z + w_color * color_z) / sqrt(w_concept^2 + w_color^2) + taste)
    / scale``: the match's probit (``match = normal_cdf(probit)``, a monotone function of it)."""
    norm = math.hypot(w_concept, w_color)
    if not (norm > 0 and scale > 0):
        raise ValueError(
            f"match weights: concept {w_concept}, color {w_color}, scale {scale} -- the weights "
            "not both zero and a positive scale"
        )
    z = w_concept * np.asarray(concept_z, np.float64) + w_color * np.asarray(color_z, np.float64)
    z = z / norm
    if taste is not None:
        z = z + np.asarray(taste, np.float64)
    out: NDArray[np.float64] = z / scale
    return out


def reference_bank(calibration: dict[str, Any], kind: str | None) -> str:
    """The bank a candidate scored as ``kind`` is standardised against: ``kind`` where the
    model has a bank of it (``calibration.reference_kinds``), else ``all``."""
    kinds = calibration.get("reference_kinds", ["all"])
    return kind if kind is not None and kind in kinds else "all"


def standardised(
    out: dict[str, NDArray[np.float32]],
    calibration: dict[str, Any],
    color: str,
    kind: str | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(concept_z, agreement, color_z)`` of the graph outputs ``out`` for the color
    ``color``, standardised against the reference bank of ``kind`` (:func:`reference_bank`)."""
    bank = reference_bank(calibration, kind)
    if bank == "all":
        mean, std = out["concept_ref_mean"], out["concept_ref_std"]
        stats = calibration["color_agreement"][color]
    else:
        k = list(calibration["reference_kinds"]).index(bank)
        mean, std = out["kind_ref_mean"][:, k], out["kind_ref_std"][:, k]
        stats = calibration["color_agreement_by_kind"][bank][color]
    concept_z = (out["concept_sim"].astype(np.float64) - mean) / np.maximum(
        std.astype(np.float64), 1e-6
    )
    agreement = color_agreement(
        out["temporal"], out["spatial"], out["ontological"], target_vector(color)
    )
    color_z = (agreement - stats["mean"]) / max(stats["std"], 1e-6)
    return concept_z, agreement, color_z


def check_banks(side: Path, sidecar: dict[str, Any], outputs: Sequence[str]) -> None:
    """Raise ModelFileError naming ``side`` when its banks per part kind are not whole: a bank
    list the graph has no outputs for, or a bank without color statistics."""
    calibration = sidecar["calibration"]
    kinds = calibration.get("reference_kinds")
    if kinds is None:
        return
    if not (isinstance(kinds, list) and kinds and kinds[0] == "all"):
        raise ModelFileError(
            f"{side}: calibration.reference_kinds = {kinds!r} -- a list that starts with 'all'"
        )
    lacking = [o for o in ("kind_ref_mean", "kind_ref_std") if o not in outputs]
    by_kind = calibration.get("color_agreement_by_kind", {})
    for kind in kinds[1:]:
        if not isinstance(by_kind, dict) or set(by_kind.get(kind, {})) < set(COLOR_NAMES):
            lacking.append(f"calibration.color_agreement_by_kind.{kind}")
    if lacking:
        raise ModelFileError(
            f"{side}: banks per part kind {kinds} but no {', '.join(lacking)} -- re-export the "
            "model"
        )


__all__ = [
    "check_banks",
    "color_agreement",
    "match_probit",
    "normal_cdf",
    "reference_bank",
    "standardised",
]
