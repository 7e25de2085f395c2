"""Weighted draws shared by the generators."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def weighted_index(rng: np.random.Generator, p: ArrayLike) -> int:
    """An index drawn with probabilities ``p`` (non-negative, summing to 1 up to rounding):
    the same index, from the same single uniform draw, as ``int(rng.choice(len(p), p=p))``,
    without its argument checks (a third of the time; the operators draw tens of thousands
    of times a phase). The cumulative sum is divided by its last value and searched on the
    right, as numpy's ``Generator.choice`` does."""
    return index_by_cumulative(rng, cumulative(p))


def cumulative(p: ArrayLike) -> np.ndarray:
    """The cumulative sum of ``p`` divided by its last value, as :func:`weighted_index` and
    numpy's ``Generator.choice`` search it; made once for many draws from the same ``p``."""
    cdf = np.cumsum(p, dtype=np.float64)
    cdf /= cdf[-1]
    return cdf


def index_by_cumulative(rng: np.random.Generator, cdf: np.ndarray) -> int:
    """:func:`weighted_index` from the :func:`cumulative` of its probabilities."""
    return int(cdf.searchsorted(rng.random(), side="right"))
