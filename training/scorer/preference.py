"""Fine-tune the ChromaticScorer on a person's verdicts at the gates
(``chromatic train scorer --from-reviews RUN...``).

From reviewed candidates (:mod:`scoring.preferences`: approved over rejected, and over
pending candidates listed lower, within one phase and section) it fits the scorer graph's
**taste head** (:class:`training.scorer.graph.TasteHead`) with a Bradley-Terry loss on the
match::

    s_i            = Phi^-1(match_i) = s0_i + taste_i / scale     (s0: the base model's probit)
    P(i over j)    = sigmoid(s_i - s_j)
    loss           = mean over pairs of -log P(preferred over other)  +  l2 * |w|^2

``s`` is the match's probit, a monotone function of the match, so ranking by ``s`` is ranking by
the match; on the probit the loss does not flatten where the match nears 0 or 1. The encoder,
the chromatic heads and the calibration stay as they are (so concept and color keep their
meaning, and the reference statistics stay valid); only the taste weights ``w`` move, from the
base model's (zero for the shipped model). Full-batch AdamW from a fixed seed on one thread:
the same reviews and seed give the same model.

The result is exported like the shipped model (ONNX + sidecar + weights) to a new file, never
over the shipped one. With at least two reviewed groups, a held-out check fits on most groups
first and reports the preference accuracy on the others before and after.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from music.errors import InputError
from music.midi_io import read_midi
from music.notes import Part
from scoring.chromatic_match import match_probit, standardised
from scoring.midi_features import midi_features, stack
from scoring.preferences import ReviewedCandidate, preference_pairs
from scoring.text_encoder import EMBED_DIM, TextEncoder
from training.scorer.export import ExportResult, export
from training.scorer.graph import INPUTS, OUTPUTS, ScorerGraph, load_graph
from training.scorer.supervised import shipped_weights

logger = logging.getLogger(__name__)

MODEL_NAME: Final = "chromatic_scorer.onnx"


@dataclass(frozen=True, slots=True)
class PreferenceConfig:
    """Settings of the taste fit.

    Attributes:
        steps: full-batch AdamW steps.
        lr: learning rate.
        l2: weight of ``|w|^2`` (keeps the taste small where the reviews say little).
        holdout_every: every n-th reviewed group is held out for the before/after check.
        seed: random seed.
    """

    steps: int = 300
    lr: float = 0.05
    l2: float = 0.01
    holdout_every: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.lr <= 0 or self.l2 < 0 or self.holdout_every < 2:
            raise ValueError(
                f"PreferenceConfig: {self!r} -- steps >= 1, lr > 0, l2 >= 0, holdout_every >= 2"
            )


@dataclass(frozen=True, slots=True)
class PreferenceData:
    """The reviewed candidates as the taste fit sees them.

    Attributes:
        base: ``[N]`` the base model's match probit without its taste term.
        x: ``[N, 384 + 32]`` the taste head's inputs (centred embedding, standardised
            symbolic features).
        scale: the match curve's width (the taste enters the probit divided by it).
        pairs: ``[P, 2]`` (preferred, other) rows into the candidates.
        groups: ``[N]`` each candidate's group.
    """

    base: NDArray[np.float64]
    x: NDArray[np.float32]
    scale: float
    pairs: NDArray[np.int64]
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PreferenceResult:
    """What :func:`train_from_reviews` returns; accuracies are shares of pairs ordered as the
    person ordered them (ties count half)."""

    export: ExportResult
    candidates: int
    pairs: int
    train_accuracy_before: float
    train_accuracy_after: float
    heldout_pairs: int
    heldout_accuracy_before: float | None
    heldout_accuracy_after: float | None


def heard_parts(cand: ReviewedCandidate) -> list[Part]:
    """The candidate's parts over the approved parts underneath (the same section's)."""
    parts = list(read_midi(cand.midi).parts)
    for path in cand.underneath:
        parts += read_midi(path).parts
    return [p for p in parts if p.notes]


def graph_inputs(
    candidates: Sequence[ReviewedCandidate], text: TextEncoder
) -> dict[str, NDArray[np.float32]]:
    """The scorer graph's inputs for ``candidates`` (no audio, no lyrics), each with its own
    song's concept."""
    feats = [midi_features(heard_parts(c), bpm=c.bpm, meter=c.meter) for c in candidates]
    rolls, symbolic = stack(feats, rows=len(feats))
    n = len(candidates)
    concepts = sorted({c.concept for c in candidates})
    vectors = dict(zip(concepts, text.encode(concepts), strict=True))
    return {
        "roll": np.ascontiguousarray(rolls, dtype=np.float32),
        "symbolic": np.ascontiguousarray(symbolic, dtype=np.float32),
        "audio": np.zeros((n, 32), np.float32),
        "audio_mask": np.zeros((n, 1), np.float32),
        "lyrics": np.zeros((n, EMBED_DIM), np.float32),
        "lyrics_mask": np.zeros((n, 1), np.float32),
        "concept": np.stack([vectors[c.concept] for c in candidates]).astype(np.float32),
    }


def preference_data(
    graph: ScorerGraph,
    calibration: dict[str, Any],
    candidates: Sequence[ReviewedCandidate],
    text: TextEncoder,
) -> PreferenceData:
    """Run the frozen graph once over the candidates: the base probit of each (the runtime's
    formula, :mod:`scoring.chromatic_match`, without the taste) and the taste head's inputs."""
    inputs = graph_inputs(candidates, text)
    graph.eval()
    with torch.no_grad():
        outs = graph(*(torch.from_numpy(inputs[name]) for name in INPUTS))
        out = {name: o.numpy() for name, o in zip(OUTPUTS, outs, strict=True)}
        centred, sym = graph.taste_inputs(outs[0], torch.from_numpy(inputs["symbolic"]))
    concept_z = np.zeros(len(candidates))
    color_z = np.zeros(len(candidates))
    for i, cand in enumerate(candidates):
        row = {name: v[i : i + 1] for name, v in out.items()}
        z_concept, _, z_color = standardised(row, calibration, cand.color, cand.phase)
        concept_z[i], color_z[i] = z_concept[0], z_color[0]
    weights = calibration["weights"]
    scale = float(calibration.get("scale", 1.0))
    base = match_probit(
        concept_z,
        color_z,
        w_concept=weights["concept"],
        w_color=weights["color"],
        scale=scale,
    )
    pairs = np.asarray(preference_pairs(candidates), dtype=np.int64).reshape(-1, 2)
    return PreferenceData(
        base=base,
        x=torch.cat([centred, sym], dim=-1).numpy().astype(np.float32),
        scale=scale,
        pairs=pairs,
        groups=tuple(c.group for c in candidates),
    )


def pair_accuracy(scores: NDArray[Any], pairs: NDArray[np.int64]) -> float:
    """Share of ``pairs`` whose preferred candidate scores higher (a tie counts half)."""
    if len(pairs) == 0:
        raise ValueError("pairs: none -- at least one preference pair")
    a, b = np.asarray(scores, np.float64)[pairs[:, 0]], np.asarray(scores, np.float64)[pairs[:, 1]]
    return float(np.mean((a > b) + 0.5 * (a == b)))


def taste_scores(data: PreferenceData, weight: NDArray[np.float32]) -> NDArray[np.float64]:
    """Each candidate's match probit with taste weights ``weight [F]``."""
    taste = data.x.astype(np.float64) @ weight.astype(np.float64)
    out: NDArray[np.float64] = data.base + taste / data.scale
    return out


def fit_taste(
    data: PreferenceData,
    pairs: NDArray[np.int64],
    start: NDArray[np.float32],
    config: PreferenceConfig,
) -> NDArray[np.float32]:
    """Taste weights ``[F]`` fit by Bradley-Terry on ``pairs``, from ``start``."""
    if len(pairs) == 0:
        raise ValueError(
            "pairs: none -- at least one approved candidate with a rejected or "
            "lower-ranked one beside it"
        )
    torch.manual_seed(config.seed)
    x = torch.from_numpy(data.x).double()
    base = torch.from_numpy(data.base).double()
    win, lose = torch.from_numpy(pairs[:, 0]), torch.from_numpy(pairs[:, 1])
    weight = torch.nn.Parameter(torch.from_numpy(start.astype(np.float64)).clone())
    opt = torch.optim.Adam([weight], lr=config.lr)
    for _ in range(config.steps):
        opt.zero_grad()
        s = base + (x @ weight) / data.scale
        loss = F.softplus(-(s[win] - s[lose])).mean() + config.l2 * weight.pow(2).sum()
        loss.backward()
        opt.step()
    out: NDArray[np.float32] = weight.detach().numpy().astype(np.float32)
    return out


def heldout_groups(groups: Sequence[str], every: int) -> set[str]:
    """Every ``every``-th distinct group (in sorted order, starting with the last of each
    block), at least one when there are two or more."""
    distinct = sorted(set(groups))
    if len(distinct) < 2:
        return set()
    held = {g for i, g in enumerate(distinct) if i % every == every - 1}
    return held or {distinct[-1]}


def default_out(out: Path) -> Path:
    """``out`` as the ``.onnx`` to write: a folder gets ``chromatic_scorer.onnx`` inside.
    Raises InputError when it would replace the shipped model."""
    path = out if out.suffix == ".onnx" else out / MODEL_NAME
    if path.resolve() == shipped_weights().with_suffix(".onnx").resolve():
        raise InputError(
            file=None,
            field="--out",
            value=str(out),
            allowed="a new folder or .onnx path; the shipped model is never replaced",
        )
    return path


def train_from_reviews(
    candidates: Sequence[ReviewedCandidate],
    *,
    out: Path,
    base: Path | None = None,
    config: PreferenceConfig | None = None,
    text_encoder: TextEncoder | None = None,
    threads: int = 1,
) -> PreferenceResult:
    """Fit the taste head on the reviewed candidates' preference pairs and export the model to
    ``out`` (a folder or an ``.onnx`` path; never the shipped model). ``base``: the scorer
    weights (``.npz``) to start from (default: the shipped model)."""
    config = config or PreferenceConfig()
    torch.set_num_threads(threads)
    path = default_out(Path(out))
    graph, meta = load_graph(base or shipped_weights())
    side = meta.get("sidecar", {})
    data = preference_data(
        graph, side["calibration"], candidates, text_encoder or TextEncoder.load()
    )
    if len(data.pairs) == 0:
        raise InputError(
            file=None,
            field="--from-reviews",
            value=f"{len(candidates)} reviewed candidates, 0 preference pairs",
            allowed="runs where a candidate was approved beside a rejected or lower-ranked one",
        )
    start = graph.taste.net.weight.detach().numpy()[0].copy()
    before = taste_scores(data, start)
    held = heldout_groups(data.groups, config.holdout_every)
    held_rows = np.array([data.groups[a] in held for a, _ in data.pairs], dtype=bool)
    held_before = held_after = None
    if held and held_rows.any() and (~held_rows).any():
        probe = fit_taste(data, data.pairs[~held_rows], start, config)
        held_before = pair_accuracy(before, data.pairs[held_rows])
        held_after = pair_accuracy(taste_scores(data, probe), data.pairs[held_rows])
        logger.info("held-out pairs: accuracy %.3f -> %.3f", held_before, held_after)
    weight = fit_taste(data, data.pairs, start, config)
    with torch.no_grad():
        graph.taste.net.weight.copy_(torch.from_numpy(weight)[None, :])
    after = taste_scores(data, weight)
    result_fields = {
        "candidates": len(candidates),
        "pairs": len(data.pairs),
        "train_accuracy_before": pair_accuracy(before, data.pairs),
        "train_accuracy_after": pair_accuracy(after, data.pairs),
        "heldout_pairs": int(held_rows.sum()) if held_before is not None else 0,
        "heldout_accuracy_before": held_before,
        "heldout_accuracy_after": held_after,
    }
    sidecar = {
        key: side[key]
        for key in (
            "heads",
            "calibration",
            "modalities",
            "training_data",
            "training",
            "text_encoder",
        )
        if key in side
    }
    sidecar["version"] = f"{side.get('version', 'unknown')}+reviews"
    sidecar["preferences"] = {
        **result_fields,
        "config": {
            "steps": config.steps,
            "lr": config.lr,
            "l2": config.l2,
            "holdout_every": config.holdout_every,
            "seed": config.seed,
        },
        "loss": "Bradley-Terry on the match probit: -log sigmoid(s_preferred - s_other)",
    }
    exported = export(graph, path, sidecar=sidecar)
    return PreferenceResult(export=exported, **result_fields)  # type: ignore[arg-type]


__all__ = [
    "PreferenceConfig",
    "PreferenceData",
    "PreferenceResult",
    "default_out",
    "fit_taste",
    "graph_inputs",
    "heard_parts",
    "pair_accuracy",
    "preference_data",
    "train_from_reviews",
]
