"""``chromatic train realism``: per part, read the real corpora's metric rows (the style fit's
readers and windows, :mod:`training.style`), make generated rows with the project's own
generators (:mod:`training.realism.generated`), fit the realism model on the ``build`` split,
choose its L2 penalty on ``tune``, report ``heldout`` (never looked at while fitting or
choosing), and write ``realism_<part>.onnx`` with its ``.json`` sidecar.

Real rows come from each part's shipped corpus (:data:`training.style.build.SHIPPED`: Groove
MIDI, OpenEWLD, Billboard, the Bach chorales); evaluation-only corpora (Nottingham, GPL-3.0)
are scored in the held-out report and never trained on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from music.files import write_bytes_atomic
from scoring.realism import PARTS, artifact_name, feature_matrix
from training.realism.generated import GenConfig, PhaseParts, generated_rows
from training.realism.measure import separation
from training.realism.model import CLIP, RealismModel, fit, onnx_bytes
from training.style.build import METRICS, SHIPPED
from training.style.rows import MetricRow, write_json_atomic
from training.style.train import DEFAULT_CACHE, part_rows

logger = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
#: L2 penalties tried; the one with the lowest balanced log-loss on ``tune`` is kept.
L2_GRID: Final = (0.001, 0.01, 0.1, 1.0)
DEFAULT_L2: Final = 0.01
GENERATED: Final = ("ours-random", "ours-evolved")


@dataclass(frozen=True, slots=True)
class RealismConfig:
    """Where the corpora are, where the models go, the row cache, the parts and how many
    generated runs."""

    data: Path
    out: Path
    phase: PhaseParts
    cache: Path | None = DEFAULT_CACHE
    parts: tuple[str, ...] = PARTS
    gen: GenConfig = field(default_factory=GenConfig)
    limit: int | None = None


def labelled(rows: Sequence[MetricRow], part: str) -> tuple[NDArray[np.float32], NDArray[Any]]:
    """Raw feature rows and labels (1: a shipped corpus's row, 0: generated)."""
    x = feature_matrix([r.values for r in rows], METRICS[part])
    y = np.array([0 if r.corpus in GENERATED else 1 for r in rows], dtype=np.int64)
    return x, y


def training_rows(rows: Sequence[MetricRow], part: str, split: str) -> list[MetricRow]:
    """Rows of ``split`` the model may learn from: the shipped corpus's and ours."""
    return [
        r for r in rows if r.split == split and (r.corpus in SHIPPED[part] or r.corpus in GENERATED)
    ]


def balanced_log_loss(p: NDArray[np.float64], y: NDArray[Any]) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    real = -np.log(p[y == 1]).mean()
    ours = -np.log(1 - p[y == 0]).mean()
    return float(0.5 * (real + ours))


def choose_l2(part: str, build: Sequence[MetricRow], tune: Sequence[MetricRow]) -> dict[str, Any]:
    """The L2 penalty of :data:`L2_GRID` with the lowest balanced log-loss on ``tune``
    (:data:`DEFAULT_L2` when ``tune`` lacks real or generated rows), and the losses."""
    x, y = labelled(build, part)
    xt, yt = labelled(tune, part)
    if yt.sum() == 0 or (1 - yt).sum() == 0:
        return {"l2": DEFAULT_L2, "tune_log_loss": {}}
    losses = {
        l2: balanced_log_loss(fit(METRICS[part], x, y, l2=l2).p_real(xt), yt) for l2 in L2_GRID
    }
    best = min(L2_GRID, key=lambda k: (losses[k], -k))
    return {"l2": best, "tune_log_loss": {str(k): round(v, 4) for k, v in losses.items()}}


def report(model: RealismModel, rows: Sequence[MetricRow], split: str) -> dict[str, Any]:
    """The separation of ``split``'s rows, grouped by corpus (every real corpus counts as
    real, shipped or evaluation-only)."""
    used = [r for r in rows if r.split == split]
    corpora = sorted({r.corpus for r in used})
    groups = {
        c: model.p_real(feature_matrix([r.values for r in used if r.corpus == c], model.features))
        for c in corpora
    }
    return separation(groups, real=[c for c in corpora if c not in GENERATED])


def counts(rows: Sequence[MetricRow]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = out.setdefault(r.corpus, {})
        entry[r.split] = entry.get(r.split, 0) + 1
    return {c: dict(sorted(v.items())) for c, v in sorted(out.items())}


def train_part(
    part: str, rows: Sequence[MetricRow], config: RealismConfig
) -> tuple[RealismModel, dict[str, Any]]:
    """Fit ``part``'s model to ``rows`` (real and generated) and its sidecar."""
    build = training_rows(rows, part, "build")
    x, y = labelled(build, part)
    if y.sum() == 0 or (1 - y).sum() == 0:
        raise ValueError(
            f"{part}: {int(y.sum())} real and {int((1 - y).sum())} generated rows in the build "
            f"split -- the data folder holds too little of {', '.join(SHIPPED[part])}"
        )
    chosen = choose_l2(part, build, training_rows(rows, part, "tune"))
    model = fit(METRICS[part], x, y, l2=chosen["l2"])
    sidecar = {
        "format_version": FORMAT_VERSION,
        "part": part,
        "model": "logistic regression over [z, z**2, undefined] of the metric values",
        "features": list(model.features),
        "input": "metrics [N, features] float32, NaN where undefined",
        "output": "p_real [N] float32",
        "normalisation": {"mean": model.to_dict()["mean"], "scale": model.to_dict()["scale"]},
        "clip": CLIP,
        "weights": model.to_dict()["weights"],
        "bias": model.to_dict()["bias"],
        **chosen,
        "trained_from": {
            "real": list(SHIPPED[part]),
            "split": "build",
            "rows": counts(rows),
            "generated": asdict(config.gen),
        },
        "tune": report(model, rows, "tune"),
        "heldout": report(model, rows, "heldout"),
        "rebuild": "chromatic train realism --data DIR",
    }
    return model, sidecar


def write_model(out: Path, part: str, model: RealismModel, sidecar: dict[str, Any]) -> Path:
    path = Path(out) / artifact_name(part)
    write_bytes_atomic(path, onnx_bytes(model))
    write_json_atomic(path.with_suffix(".json"), sidecar)
    return path


def part_all_rows(
    part: str, config: RealismConfig, step: Callable[[str], None] | None
) -> list[MetricRow]:
    """Real rows of every corpus of ``part`` and the generated rows of ``config.gen``."""
    real = part_rows(part, config.data, cache=config.cache, limit=config.limit, step=step)
    return real + generated_rows(part, config.gen, config.phase, step=step)


def main(config: RealismConfig, *, step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train and write the models of ``config.parts``; returns a summary per part."""
    summary: dict[str, Any] = {}
    for part in config.parts:
        if part not in PARTS:
            raise ValueError(f"part: {part!r} -- one of {', '.join(PARTS)}")
        rows = part_all_rows(part, config, step)
        if step is not None:
            step(f"fitting {part}")
        model, sidecar = train_part(part, rows, config)
        path = write_model(config.out, part, model, sidecar)
        summary[part] = {"file": str(path), "l2": sidecar["l2"], "heldout": sidecar["heldout"]}
        logger.info("%s: -> %s", part, path)
    return summary
