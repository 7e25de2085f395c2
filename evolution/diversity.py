"""Diversity measures and the greedy diverse selection used for survivors and the top N.

Pure functions, no random state: the pair sample of :func:`mean_pairwise_distance` is evenly
spaced over all pairs, so the same population always gives the same figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from evolution.operators import SignatureDistance

G = TypeVar("G")
G_co = TypeVar("G_co", covariant=True)


class Ranked(Protocol[G_co]):
    """Anything carrying a genome and its fitness (e.g. :class:`evolution.engine.Scored`)."""

    @property
    def genome(self) -> G_co: ...

    @property
    def fitness(self) -> float: ...


R = TypeVar("R", bound=Ranked[Any])

# Each pass that cannot fill ``n`` slots retries with the guard scaled by the next factor; the
# last factor (0) accepts anything, i.e. fills the remaining slots by fitness.
_RELAX_FACTORS = (1.0, 0.5, 0.0)


def checked_distance(distance: Callable[[G, G], float], a: G, b: G) -> float:
    """``distance(a, b)`` as a float, or ``ValueError`` if it is NaN or outside [0, 1]."""
    value = float(distance(a, b))
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"genome distance must be in [0, 1], got {value!r}")
    return value


class DistanceCache(Generic[G]):
    """``distance`` remembered per ordered pair of genome objects, so pairs of survivors are
    not compared again each generation (the greedy guard compares every survivor with every
    survivor chosen before it). Values are those of ``distance`` itself, so results do not
    change. :meth:`retain` drops the pairs of genomes that left the population."""

    def __init__(self, distance: Callable[[G, G], float]) -> None:
        self.distance = distance
        self._values: dict[tuple[int, int], float] = {}
        self._alive: dict[int, G] = {}  # holds the genomes, so their ids are not reused
        self.computed = 0

    def __call__(self, a: G, b: G) -> float:
        key = (id(a), id(b))
        value = self._values.get(key)
        if value is None:
            value = self.distance(a, b)
            self.computed += 1
            self._values[key] = value
            self._alive[key[0]] = a
            self._alive[key[1]] = b
        return value

    def retain(self, genomes: Sequence[G]) -> None:
        """Keep only the pairs whose two genomes are both among ``genomes``."""
        keep = {id(g) for g in genomes}
        self._values = {k: v for k, v in self._values.items() if k[0] in keep and k[1] in keep}
        self._alive = {k: g for k, g in self._alive.items() if k in keep}


def select_diverse(
    items: Sequence[R],
    n: int,
    *,
    distance: Callable[[Any, Any], float],
    min_distance: float,
    keep: int = 0,
    distances: Callable[[Any, Sequence[Any]], np.ndarray] | None = None,
    matrix: np.ndarray | None = None,
) -> list[R]:
    """Choose up to ``n`` items, best fitness first, keeping chosen genomes apart.

    Greedy: walk the items by descending fitness (ties keep input order) and accept one if its
    genome is at least ``min_distance`` from every genome accepted so far. If fewer than ``n``
    pass, the guard is relaxed (halved, then dropped) for the remaining slots, so the result has
    ``min(n, len(items))`` items whenever possible. The best ``keep`` items are accepted first
    without the guard (elitism).

    Args:
        items: candidates with ``genome`` and ``fitness``.
        n: how many to return (>= 0).
        distance: genome distance in [0, 1].
        min_distance: guard in [0, 1]; 0 disables it.
        keep: how many of the best items to accept unconditionally (<= n).
        distances: optional one-to-many form of ``distance`` (``distances(g, others)[k] ==
            distance(g, others[k])``, see :class:`evolution.operators.BatchDistance`); when
            given, each item is compared with all accepted genomes in one call. Same result.
        matrix: optional ``[len(items), len(items)]`` distances between the items' genomes
            (from a :class:`PoolDistances`); when given, no distance is computed here. Same
            result.

    Returns:
        The chosen items, sorted best-first by fitness (ties keep input order).
    """
    if n < 0:
        raise ValueError(f"n = {n!r} is invalid; allowed: an integer >= 0")
    if not 0.0 <= min_distance <= 1.0:
        raise ValueError(f"min_distance = {min_distance!r} is invalid; allowed: [0, 1]")
    if not 0 <= keep <= n:
        raise ValueError(f"keep = {keep!r} is invalid; allowed: 0..n ({n})")
    order = sorted(range(len(items)), key=lambda i: -items[i].fitness)
    chosen: list[int] = list(order[:keep])
    far: _Guard = (
        _PairGuard(items, distance, distances) if matrix is None else _MatrixGuard(matrix, n)
    )
    for i in chosen:
        far.accept(i)
    taken = set(chosen)
    for factor in _RELAX_FACTORS:
        guard = min_distance * factor
        for i in order:
            if len(chosen) >= n:
                break
            if i in taken:
                continue
            if guard <= 0.0 or far(i, guard):
                chosen.append(i)
                far.accept(i)
                taken.add(i)
        if len(chosen) >= n:
            break
    rank = {index: position for position, index in enumerate(order)}
    chosen.sort(key=rank.__getitem__)
    return [items[i] for i in chosen]


class _Guard(Protocol):
    """Whether item ``i`` is at least ``guard`` from every item accepted so far."""

    def accept(self, i: int) -> None: ...

    def __call__(self, i: int, guard: float) -> bool: ...


class _PairGuard:
    """The guard by the pairwise ``distance``, or its one-to-many form ``distances``."""

    def __init__(
        self,
        items: Sequence[Ranked[Any]],
        distance: Callable[[Any, Any], float],
        distances: Callable[[Any, Sequence[Any]], np.ndarray] | None,
    ) -> None:
        self.items = items
        self.distance = distance
        self.distances = distances
        self.accepted: list[Any] = []

    def accept(self, i: int) -> None:
        self.accepted.append(self.items[i].genome)

    def __call__(self, i: int, guard: float) -> bool:
        genome = self.items[i].genome
        if not self.accepted:
            return True
        if self.distances is None:
            return all(checked_distance(self.distance, genome, g) >= guard for g in self.accepted)
        values = np.asarray(self.distances(genome, self.accepted), dtype=np.float64)
        return _all_far(values, len(self.accepted), guard)


class _MatrixGuard:
    """The guard read from the distances between all items, known beforehand."""

    def __init__(self, matrix: np.ndarray, n: int) -> None:
        self.matrix = matrix
        self.accepted = np.empty(max(n, 1), dtype=np.int64)
        self.count = 0

    def accept(self, i: int) -> None:
        self.accepted[self.count] = i
        self.count += 1

    def __call__(self, i: int, guard: float) -> bool:
        if not self.count:
            return True
        return bool(self.matrix[i, self.accepted[: self.count]].min() >= guard)


class PoolDistances(Generic[G]):
    """The distances between the genomes of a pool (survivors and children), read from array
    signatures (:class:`evolution.operators.SignatureDistance`) and kept from one call to the
    next: pairs of genomes already compared (the survivors of the generation before) are not
    compared again, and each new genome is compared with the whole pool in one array call.
    Signature distances are symmetric, so a new genome's row is also its column."""

    #: Upper bound on ``new rows x pool x signature cells`` per array call (memory).
    CHUNK_CELLS = 1 << 22

    def __init__(self, signatures: SignatureDistance[G]) -> None:
        self.signatures = signatures
        self._genomes: list[G] = []  # held, so the ids in _index are not reused
        self._index: dict[int, int] = {}
        self._values = np.zeros((0, 0), dtype=np.float64)
        self.computed = 0

    def __call__(self, genomes: Sequence[G]) -> np.ndarray | None:
        """``[n, n]`` float64: ``distance(genomes[i], genomes[j])``; None when the genomes
        have no common signatures (the caller then uses the pairwise distance). ValueError
        if a distance is NaN or outside [0, 1]."""
        n = len(genomes)
        before = np.array([self._index.get(id(g), -1) for g in genomes], dtype=np.int64)
        new = np.flatnonzero(before < 0)
        rows = self.signatures.signatures(genomes) if len(new) else None
        if len(new) and rows is None:
            return None
        out = np.empty((n, n), dtype=np.float64)
        known = np.flatnonzero(before >= 0)
        out[np.ix_(known, known)] = self._values[np.ix_(before[known], before[known])]
        step = max(1, self.CHUNK_CELLS // max(1, rows[0].size * n)) if rows is not None else 1
        for lo in range(0, len(new), step):
            assert rows is not None
            part = new[lo : lo + step]
            found = np.asarray(
                self.signatures.signature_distances(rows[part][:, None], rows[None, :]),
                dtype=np.float64,
            )
            _all_far(found.reshape(-1), found.size, 0.0)
            out[part, :] = found
            out[:, part] = found.T
        self.computed += len(new) * n
        self._genomes = list(genomes)
        self._index = {id(g): i for i, g in enumerate(genomes)}
        self._values = out
        return out


def _all_far(values: np.ndarray, count: int, guard: float) -> bool:
    """True if every one of ``values`` (``count`` distances) is at least ``guard``;
    ``ValueError`` if a distance is NaN or outside [0, 1]."""
    if values.shape != (count,):
        raise ValueError(f"distances returned shape {values.shape}, expected ({count},)")
    if not count:
        return True
    low, high = float(values.min()), float(values.max())  # NaN in, NaN out
    if not (low >= 0.0 and high <= 1.0):
        ok = (values >= 0.0) & (values <= 1.0)
        raise ValueError(f"genome distance must be in [0, 1], got {float(values[~ok][0])!r}")
    return low >= guard


def _pair_at(k: int, n: int) -> tuple[int, int]:
    """The ``k``-th pair ``(i, j)``, ``i < j``, in row-major order over ``n`` elements."""
    # Row i starts at linear index i*n - i*(i+1)/2; find the last row starting at or before k.
    lo, hi = 0, n - 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid * n - mid * (mid + 1) // 2 <= k:
            lo = mid
        else:
            hi = mid - 1
    start = lo * n - lo * (lo + 1) // 2
    return lo, lo + 1 + (k - start)


def mean_pairwise_distance(
    genomes: Sequence[G],
    distance: Callable[[G, G], float],
    *,
    max_pairs: int = 256,
    matrix: np.ndarray | None = None,
) -> float:
    """Mean distance over pairs of ``genomes``, in [0, 1] (0 for fewer than two genomes).

    All pairs are used when there are at most ``max_pairs``; otherwise ``max_pairs`` pairs
    evenly spaced over the row-major list of pairs, so the figure is deterministic. With
    ``matrix`` (``[n, n]`` distances between the genomes, from a :class:`PoolDistances`) the
    values are read from it.
    """
    if max_pairs < 1:
        raise ValueError(f"max_pairs = {max_pairs!r} is invalid; allowed: an integer >= 1")
    count = len(genomes)
    total = count * (count - 1) // 2
    if total == 0:
        return 0.0
    if total <= max_pairs:
        picks: Sequence[int] = range(total)
    else:
        picks = [math.floor(t * total / max_pairs) for t in range(max_pairs)]
    pairs = [_pair_at(k, count) for k in picks]
    if matrix is not None:
        first, second = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
        values = matrix[first, second].tolist()
    else:
        values = [checked_distance(distance, genomes[i], genomes[j]) for i, j in pairs]
    return math.fsum(values) / len(values)
