"""The drum-hit classifier: an ensemble of decision trees over a hit's DSP features
(:mod:`render.kit.features`) that says which class (:data:`render.kit.classes.CLASSES`) a hit
is, with the share of trees' votes as its confidence.

The model is a ``.npz`` of plain arrays (no pickled objects: it is read with
``allow_pickle=False``): every tree's nodes laid end to end (``feature``, ``threshold``, ``left``,
``right``, ``value``), each tree's root, the feature and class names, and a JSON string of what
it was trained on. ``training/kitclass`` trains and writes it; the shipped one is
:data:`SHIPPED_MODEL`. A node sends a hit left when ``feature <= threshold`` (compared in
float32, as the trainer did); a leaf (``left == -1``) holds class shares that add up to 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from render.kit.classes import DrumClass, check_class
from render.kit.errors import KitError
from render.kit.features import FEATURE_NAMES

SHIPPED_MODEL: Final = Path(__file__).resolve().parent / "drum_classifier.npz"
_ARRAYS: Final = ("feature", "threshold", "left", "right", "value", "roots")


@dataclass(frozen=True, slots=True)
class Classification:
    """A hit's class, the share of votes it got (``confidence``) and every class's share."""

    drum_class: DrumClass
    confidence: float
    scores: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class DrumClassifier:
    """A trained tree ensemble (module docstring). Arrays: ``feature`` int32 ``[nodes]``
    (index into ``features``; -1 at a leaf), ``threshold`` float32 ``[nodes]``, ``left`` and
    ``right`` int32 ``[nodes]`` (-1 at a leaf), ``value`` float32 ``[nodes, classes]``,
    ``roots`` int32 ``[trees]``."""

    classes: tuple[DrumClass, ...]
    features: tuple[str, ...]
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.feature.shape[0]
        shapes = {
            "threshold": (self.threshold.shape, (n,)),
            "left": (self.left.shape, (n,)),
            "right": (self.right.shape, (n,)),
            "value": (self.value.shape, (n, len(self.classes))),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValueError(f"classifier {name}: shape {got} -- {want}")
        unknown = [f for f in self.features if f not in FEATURE_NAMES]
        if unknown:
            raise ValueError(f"classifier features: {unknown} -- names of {FEATURE_NAMES}")
        inner = self.left >= 0
        if np.any(self.left[inner] >= n) or np.any(self.right[inner] >= n):
            raise ValueError("classifier nodes: a child index past the last node")
        if np.any(self.left[inner] <= np.nonzero(inner)[0]):
            raise ValueError("classifier nodes: a child before its parent (a loop)")
        if np.any(self.feature[inner] < 0) or np.any(self.feature[inner] >= len(self.features)):
            raise ValueError("classifier nodes: a feature index outside the feature names")
        if self.roots.size == 0 or np.any(self.roots < 0) or np.any(self.roots >= n):
            raise ValueError(f"classifier roots: {self.roots.size} trees -- at least one, in range")

    @property
    def columns(self) -> np.ndarray:
        """Where each of the model's features sits in :data:`FEATURE_NAMES`."""
        return np.array([FEATURE_NAMES.index(f) for f in self.features], dtype=np.int64)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class shares ``[N, classes]`` of hits ``x`` ``[N, len(FEATURE_NAMES)]``."""
        rows = np.asarray(x, dtype=np.float64)[:, self.columns].astype(np.float32)
        n = rows.shape[0]
        out = np.zeros((n, len(self.classes)), dtype=np.float64)
        ar = np.arange(n)
        for root in self.roots:
            node = np.full(n, int(root), dtype=np.int64)
            while True:
                inner = self.left[node] >= 0
                if not inner.any():
                    break
                f = np.where(inner, self.feature[node], 0)
                go_left = rows[ar, f] <= self.threshold[node]
                node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
            out += self.value[node]
        return out / len(self.roots)

    def classify(self, features: Mapping[str, float]) -> Classification:
        """The class of one hit from its features (:func:`render.kit.features.hit_features`)."""
        return self.classify_many([features])[0]

    def classify_many(self, rows: Sequence[Mapping[str, float]]) -> list[Classification]:
        """:meth:`classify` for many hits in one pass."""
        if not rows:
            return []
        x = np.array([[r[name] for name in FEATURE_NAMES] for r in rows])
        out = []
        for p in self.predict_proba(x):
            best = int(np.argmax(p))
            out.append(
                Classification(
                    drum_class=self.classes[best],
                    confidence=float(p[best]),
                    scores={c: round(float(v), 4) for c, v in zip(self.classes, p, strict=True)},
                )
            )
        return out

    def save(self, path: Path) -> Path:
        """Write the model as ``.npz`` (atomically)."""
        from render.audio_io import atomic_path

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                classes=np.array(self.classes),
                features=np.array(self.features),
                feature=self.feature.astype(np.int32),
                threshold=self.threshold.astype(np.float32),
                left=self.left.astype(np.int32),
                right=self.right.astype(np.int32),
                value=self.value.astype(np.float32),
                roots=self.roots.astype(np.int32),
                meta=np.array(json.dumps(dict(self.meta), sort_keys=True)),
            )
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> DrumClassifier:
        """The model at ``path`` (default: :data:`SHIPPED_MODEL`). Raises KitError naming the
        file when it is missing, not such a model, or inconsistent."""
        path = Path(path) if path is not None else SHIPPED_MODEL
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {k: np.asarray(data[k]) for k in _ARRAYS}
                classes = tuple(check_class(str(c)) for c in data["classes"])
                names = tuple(str(f) for f in data["features"])
                meta = json.loads(str(data["meta"]))
            return cls(classes=classes, features=names, meta=meta, **arrays)
        except FileNotFoundError:
            raise KitError(
                f"{path}: no such classifier model -- train one with `python -m "
                "training.kitclass` or use the shipped one",
                path=path,
            ) from None
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise KitError(
                f"{path}: not a drum classifier model ({exc}) -- a .npz written by "
                "training/kitclass",
                path=path,
            ) from None
