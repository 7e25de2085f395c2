"""``chromatic eval realism``: how the realism models (the shipped ONNX files, or others) tell
real passages from ours on data they never learned from: the real corpora's ``heldout`` split
(and evaluation-only corpora such as Nottingham) against passages of generator runs drawn with
a seed the models were not trained on. Reports per part: accuracy at ``P(real) = 0.5``, the
balanced accuracy, the AUC, the share of real passages among the ones ranked most real, and the
mean ``P(real)`` of each corpus, of random and of evolved candidates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from scoring.realism import PARTS, RealismCritic, artifact_name, feature_matrix, shipped_path
from training.realism.generated import GenConfig, PhaseParts, generated_rows
from training.realism.measure import separation
from training.realism.train import GENERATED
from training.style.rows import MetricRow
from training.style.train import DEFAULT_CACHE, part_rows

#: The generator seed of evaluation runs (training uses :class:`GenConfig`'s default, 0).
EVAL_SEED: Final = 1


@dataclass(frozen=True, slots=True)
class EvalConfig:
    data: Path
    phase: PhaseParts
    models: Path | None = None
    cache: Path | None = DEFAULT_CACHE
    parts: tuple[str, ...] = PARTS
    gen: GenConfig = field(default_factory=lambda: GenConfig(runs=24, seed=EVAL_SEED))


def critic_of(models: Path | None, part: str) -> RealismCritic:
    """The model of ``part`` in ``models`` (None: the shipped one)."""
    path = shipped_path(part) if models is None else Path(models) / artifact_name(part)
    return RealismCritic(part=part, path=str(path))


def part_report(
    critic: RealismCritic, real: list[MetricRow], ours: list[MetricRow]
) -> dict[str, Any]:
    """The separation of the held-out real rows from the evaluation runs' rows."""
    used = [r for r in real if r.split == "heldout"] + ours
    groups = {
        c: critic.p_real_matrix(
            feature_matrix([r.values for r in used if r.corpus == c], critic.features)
        )
        for c in sorted({r.corpus for r in used})
    }
    out = separation(groups, real=[c for c in groups if c not in GENERATED])
    out["model"] = critic.path
    out["trained_heldout"] = critic.sidecar.get("heldout", {}).get("balanced_accuracy")
    return out


def evaluate(config: EvalConfig, *, step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The report of every part of ``config.parts``."""
    report: dict[str, Any] = {"generated": {"runs": config.gen.runs, "seed": config.gen.seed}}
    for part in config.parts:
        if part not in PARTS:
            raise ValueError(f"part: {part!r} -- one of {', '.join(PARTS)}")
        critic = critic_of(config.models, part)
        if not critic.features:  # opens the model now: a missing one fails before any work
            raise ValueError(f"{critic.path}: no features -- rebuild with chromatic train realism")
        real = part_rows(part, config.data, cache=config.cache, step=step)
        ours = generated_rows(part, config.gen, config.phase, step=step)
        report[part] = part_report(critic, real, ours)
    return report
