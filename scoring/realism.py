"""The realism critic: per part, a small learned model that tells passages of real music from
passages our generators make, read as ``P(real)`` of a candidate's metric values.

Each part has one model, ``scoring/data/realism_<part>.onnx`` (built by ``chromatic train
realism``): a logistic regression over the part's :mod:`scoring.metrics` values (the same
numbers the style fit reads), each standardised, its square (how far from the corpus's middle,
either way), and a flag for a metric the passage leaves undefined. The ONNX graph takes the raw
metric values (NaN where undefined) in the order its sidecar names (``features``) and does the
normalisation itself, so nothing but onnxruntime runs at scoring time.

In the composite the critic is one more theory component, ``realism`` (:func:`with_realism`):
the theory total becomes ``(1 - REALISM_WEIGHT) * total + REALISM_WEIGHT * P(real)``.

A logistic model extrapolates: past the corpus's own range a metric's linear weight keeps
pushing ``P(real)`` up (a one-chord progression was judged 0.98 real, because our progressions
have more distinct chords per phrase than Billboard's). Where the candidate is held to a style
profile, :func:`judged` caps ``P(real)`` at the share of the critic's metrics that lie inside
that profile's p5-p95 (:func:`in_support`): a passage unlike anything the corpus plays is not
judged real, however the model extrapolates.

A :class:`RealismCritic` is small and picklable (a path); the ONNX session is opened once per
process and path, so executors that ship evaluators to workers ship only the path.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from inference.onnx import ModelFileError, OnnxModel
from scoring.composite import TheoryScores
from scoring.style.profile import Band, StyleProfile

PARTS: Final = ("drums", "melody", "chords", "bass")
#: Share of the theory total the realism component takes.
REALISM_WEIGHT: Final = 0.2
ARTIFACT_PACKAGE: Final = "scoring.data"
INPUT: Final = "metrics"
OUTPUT: Final = "p_real"


def artifact_name(part: str) -> str:
    """The shipped file name of ``part``'s model."""
    if part not in PARTS:
        raise ValueError(f"part: {part!r} -- one of {', '.join(PARTS)}")
    return f"realism_{part}.onnx"


def feature_matrix(
    rows: Sequence[Mapping[str, float]], features: Sequence[str]
) -> NDArray[np.float32]:
    """``[len(rows), len(features)]`` metric values, NaN where a row leaves one undefined."""
    out = np.full((len(rows), len(features)), np.nan, dtype=np.float32)
    for i, row in enumerate(rows):
        for j, name in enumerate(features):
            v = row.get(name)
            if v is not None and not math.isnan(v):
                out[i, j] = v
    return out


@functools.cache
def _open(path: str) -> OnnxModel:
    model = OnnxModel.load(Path(path))
    features = model.sidecar.get("features")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise ModelFileError(
            f"{Path(path).with_suffix('.json')}: field 'features' -- a list of metric names "
            "(rebuild with chromatic train realism)"
        )
    return model


@dataclass(frozen=True, slots=True)
class RealismCritic:
    """The realism model of one part at ``path`` (an ``.onnx`` with its ``.json`` sidecar)."""

    part: str
    path: str

    @property
    def model(self) -> OnnxModel:
        return _open(self.path)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.model.sidecar["features"])

    @property
    def sidecar(self) -> dict[str, Any]:
        return self.model.sidecar

    def p_real_matrix(self, x: NDArray[np.float32]) -> NDArray[np.float64]:
        """``P(real)`` of each row of raw metric values (columns as :attr:`features`)."""
        if x.shape[0] == 0:
            return np.zeros(0, dtype=np.float64)
        out = self.model.run({INPUT: np.ascontiguousarray(x, dtype=np.float32)})[OUTPUT]
        return np.asarray(out, dtype=np.float64).reshape(-1)

    def p_real(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        """``P(real)`` of each passage given as its metric values."""
        return [float(p) for p in self.p_real_matrix(feature_matrix(rows, self.features))]


def shipped_path(part: str) -> Path:
    return Path(str(resources.files(ARTIFACT_PACKAGE).joinpath(artifact_name(part))))


def shipped_critic(part: str) -> RealismCritic | None:
    """The shipped critic of ``part``; None when none is shipped."""
    path = shipped_path(part)
    return RealismCritic(part=part, path=str(path)) if path.is_file() else None


def with_realism(
    theory: TheoryScores, p_real: float, *, weight: float = REALISM_WEIGHT
) -> TheoryScores:
    """``theory`` with a ``realism`` component ``p_real`` taking ``weight`` of the total."""
    p = min(1.0, max(0.0, p_real))
    total = (1.0 - weight) * theory.total + weight * p
    return TheoryScores(
        components=(*theory.components, ("realism", p)), total=min(1.0, max(0.0, total))
    )


def in_support(
    values: Mapping[str, float], features: Sequence[str], profile: StyleProfile
) -> float:
    """The share of ``features`` (those the passage defines and ``profile`` has a band for)
    whose value lies inside the profile's p5-p95; 1.0 when none is both."""
    return _share_inside(values, _bands_of(features, profile))


def _bands_of(features: Sequence[str], profile: StyleProfile) -> list[tuple[str, Band]]:
    bands = dict(profile.bands)
    return [(name, bands[name]) for name in features if name in bands]


def _share_inside(values: Mapping[str, float], bands: Sequence[tuple[str, Band]]) -> float:
    inside = [
        band.inside(v)
        for name, band in bands
        if (v := values.get(name)) is not None and not math.isnan(v)
    ]
    return sum(inside) / len(inside) if inside else 1.0


def judged(
    theories: Sequence[TheoryScores],
    values: Sequence[Mapping[str, float]],
    critic: RealismCritic | None,
    support: StyleProfile | None = None,
) -> list[TheoryScores]:
    """Each theory with its passage's realism joined (unchanged when there is no critic);
    with a ``support`` profile, ``P(real)`` capped at :func:`in_support` of the passage."""
    if critic is None:
        return list(theories)
    p_real = critic.p_real(values)
    if support is not None:
        bands = _bands_of(critic.features, support)  # once for the batch
        p_real = [min(p, _share_inside(v, bands)) for p, v in zip(p_real, values, strict=True)]
    return [with_realism(t, p) for t, p in zip(theories, p_real, strict=True)]
