"""Train the drum-hit classifier (render/kit/classify.py) on SoundFont one-shots.

Extremely randomised trees (scikit-learn's ``ExtraTreesClassifier``) over every hit feature but
the recording level (``energy_db``: a level says nothing about what was hit). Chosen over
logistic regression, random forests and k-nearest neighbours because it generalised best from
one SoundFont to another (leave-one-SoundFont-out) and to real one-shots; the trees are exported
as plain arrays that numpy walks at run time (no scikit-learn needed to classify), and the
export is checked against scikit-learn's own probabilities.

With two or more SoundFonts the report gives the balanced accuracy of a model trained on all
but one and tested on the one left out, for each. With labelled one-shots (the ``dev`` half of
Sonic Pi's, :mod:`training.kitclass.labels`) the model trains on them too, and the report (and
the model's ``meta``) holds each one's class as predicted by a model trained without its group
(``dev_out_of_fold``): the dev accuracy ``bench/kit_build.py`` reports, never measured on a
model that saw the file or a variant of it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from render.kit.classes import CLASSES
from render.kit.classify import DrumClassifier
from render.kit.features import FEATURE_NAMES
from training.kitclass.dataset import OneShots, render_one_shots

logger = logging.getLogger(__name__)

#: Every feature but the recording level.
MODEL_FEATURES: Final = tuple(f for f in FEATURE_NAMES if f != "energy_db")


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """``trees`` in the ensemble, ``min_leaf`` hits per leaf at least, ``seed``."""

    trees: int = 200
    min_leaf: int = 1
    seed: int = 0
    #: How much one labelled one-shot row counts against one SoundFont row.
    labelled_weight: float = 3.0


def _fit(
    x: np.ndarray, y: Sequence[str], config: TrainConfig, weight: np.ndarray | None = None
) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier

    cols = [FEATURE_NAMES.index(f) for f in MODEL_FEATURES]
    model = ExtraTreesClassifier(
        n_estimators=config.trees,
        min_samples_leaf=config.min_leaf,
        random_state=config.seed,
        n_jobs=1,
    )
    return model.fit(x[:, cols], np.asarray(y), sample_weight=weight)


def export(model: Any, meta: dict[str, Any]) -> DrumClassifier:
    """A fitted scikit-learn tree ensemble as a :class:`DrumClassifier` (its classes in
    :data:`CLASSES` order; a class it never saw gets share 0)."""
    order = [list(model.classes_).index(c) if c in model.classes_ else -1 for c in CLASSES]
    feature, threshold, left, right, value, roots = [], [], [], [], [], []
    offset = 0
    for est in model.estimators_:
        t = est.tree_
        n = t.node_count
        roots.append(offset)
        leaf = t.children_left < 0
        feature.append(np.where(leaf, -1, t.feature))
        threshold.append(t.threshold.astype(np.float32))
        left.append(np.where(leaf, -1, t.children_left + offset))
        right.append(np.where(leaf, -1, t.children_right + offset))
        v = t.value[:, 0, :]
        v = v / np.maximum(v.sum(axis=1, keepdims=True), 1e-12)
        shares = np.zeros((n, len(CLASSES)), dtype=np.float32)
        for j, k in enumerate(order):
            if k >= 0:
                shares[:, j] = v[:, k]
        value.append(shares)
        offset += n
    return DrumClassifier(
        classes=CLASSES,
        features=MODEL_FEATURES,
        feature=np.concatenate(feature).astype(np.int32),
        threshold=np.concatenate(threshold),
        left=np.concatenate(left).astype(np.int32),
        right=np.concatenate(right).astype(np.int32),
        value=np.concatenate(value),
        roots=np.array(roots, dtype=np.int32),
        meta=meta,
    )


def balanced_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The mean over the classes present in ``truth`` of the share of that class found."""
    t = np.asarray(truth)
    p = np.asarray(predicted)
    recalls = [float(np.mean(p[t == c] == c)) for c in np.unique(t)]
    return float(np.mean(recalls)) if recalls else 0.0


def _stack(sets: Sequence[OneShots]) -> tuple[np.ndarray, list[str]]:
    return np.vstack([s.x for s in sets]), [label for s in sets for label in s.y]


def out_of_fold(
    base: Sequence[OneShots],
    labelled: Mapping[str, OneShots],
    groups: Mapping[str, str],
    config: TrainConfig,
) -> dict[str, str]:
    """Each labelled one-shot's class as predicted (from its unaltered first row) by a model
    trained on ``base`` and every labelled one-shot outside its group (``groups``: name ->
    group)."""
    cols = [FEATURE_NAMES.index(f) for f in MODEL_FEATURES]
    predicted = {}
    for g in sorted(set(groups[n] for n in labelled)):
        inside = [n for n in sorted(labelled) if groups[n] == g]
        x, y, w = _training_rows(base, [labelled[n] for n in labelled if groups[n] != g], config)
        model = _fit(x, y, config, w)
        rows = np.stack([labelled[n].x[0] for n in inside])[:, cols]
        for n, p in zip(inside, model.predict(rows), strict=True):
            predicted[n] = str(p)
    return predicted


def _training_rows(
    base: Sequence[OneShots], labelled: Sequence[OneShots], config: TrainConfig
) -> tuple[np.ndarray, list[str], np.ndarray]:
    x, y = _stack([*base, *labelled])
    n_base = sum(len(s.y) for s in base)
    weight = np.ones(len(y))
    weight[n_base:] = config.labelled_weight
    return x, y, weight


def train_classifier(
    soundfonts: Sequence[Path | str | None],
    out: Path,
    *,
    config: TrainConfig | None = None,
    backend: str | None = None,
    data: Sequence[OneShots] | None = None,
    labelled: Mapping[str, OneShots] | None = None,
    groups: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Render one-shots from every SoundFont (or use ``data``, one set per SoundFont), add the
    ``labelled`` one-shots (name -> rows; ``groups``: name -> group, for the out-of-fold
    report), train, check the export against scikit-learn, write ``out`` (.npz) and return the
    report."""
    config = config or TrainConfig()
    labelled = dict(labelled or {})
    sets = (
        list(data)
        if data is not None
        else [render_one_shots(soundfont=sf, backend=backend) for sf in soundfonts]
    )
    names = [str(sf) for sf in soundfonts]
    x, y, weight = _training_rows(sets, list(labelled.values()), config)
    held_out = {}
    if len(sets) > 1:
        for i, left_out in enumerate(sets):
            rest = [s for j, s in enumerate(sets) if j != i]
            m = _fit(np.vstack([s.x for s in rest]), [c for s in rest for c in s.y], config)
            cols = [FEATURE_NAMES.index(f) for f in MODEL_FEATURES]
            held_out[names[i]] = round(
                balanced_accuracy(left_out.y, m.predict(left_out.x[:, cols])), 4
            )
    model = _fit(x, y, config, weight)
    counts = {c: int(sum(1 for v in y if v == c)) for c in CLASSES}
    fold = (
        out_of_fold(sets, labelled, groups or {n: n for n in labelled}, config) if labelled else {}
    )
    meta = {
        "trained_on": names,
        "labelled_one_shots": sorted(labelled),
        "labelled_weight": config.labelled_weight,
        "dev_out_of_fold": fold,
        "hits": len(y),
        "per_class": counts,
        "trees": config.trees,
        "min_leaf": config.min_leaf,
        "seed": config.seed,
        "leave_one_soundfont_out_balanced_accuracy": held_out,
    }
    exported = export(model, meta)
    cols = [FEATURE_NAMES.index(f) for f in MODEL_FEATURES]
    ours = exported.predict_proba(x)
    theirs = np.zeros_like(ours)
    for k, c in enumerate(model.classes_):
        theirs[:, CLASSES.index(c)] = model.predict_proba(x[:, cols].astype(np.float32))[:, k]
    gap = float(np.abs(ours - theirs).max())
    if gap > 1e-5:
        raise RuntimeError(f"exported trees differ from scikit-learn's by {gap:g}")
    exported.save(out)
    report = {**meta, "export_max_abs_diff": gap, "model": str(out)}
    logger.info("classifier: %d hits, %s", len(y), held_out)
    return report
