"""Per-bar onset signatures as integer grids, for one-to-many genome distances in numpy.

The bass and melody genomes carry a derived ``signature``: per bar, ``{sixteenth index: value}``
(value = degree and octave, or scale step). Their pairwise distances count, per bar, the shared
onsets, the union of onsets and the shared onsets whose value differs. Here a signature becomes
an ``int32 [bars, width]`` grid (0 = no onset, else a code for the value), so those three counts
for one genome against many are a few array operations. Counts are integers, so distances built
from them in the same float operations as the pairwise code give the same floats.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np

# Value -> code (>= 1). Only equality of codes matters, so the order values arrive in does not.
_CODES: dict[Hashable, int] = {}
# (id(genome), kind) -> (genome, grid): the genome is held so its id is not reused while cached.
_GRIDS: dict[tuple[int, str], tuple[Any, np.ndarray]] = {}
_MAX_CACHED = 50_000


def _code(value: Hashable) -> int:
    code = _CODES.get(value)
    if code is None:
        code = _CODES[value] = len(_CODES) + 1
    return code


def signature_grid(
    genome: Any,
    signature_of: Callable[[Any], Sequence[Mapping[int, Hashable]]],
    kind: str = "",
) -> np.ndarray | None:
    """``int32 [bars, width]`` grid of ``signature_of(genome)`` (per bar, onset index ->
    value), cached per genome object and ``kind`` (one genome may have several grids); None if
    an onset index is negative (the caller then uses its pairwise distance)."""
    key = (id(genome), kind)
    hit = _GRIDS.get(key)
    if hit is not None and hit[0] is genome:
        return hit[1]
    return _store(key, genome, signature_of(genome))


def _store(
    key: tuple[int, str], genome: Any, signature: Sequence[Mapping[int, Hashable]]
) -> np.ndarray | None:
    width = 1 + max((k for bar in signature for k in bar), default=0)
    if any(k < 0 for bar in signature for k in bar):
        return None
    grid = np.zeros((len(signature), width), dtype=np.int32)
    for b, bar in enumerate(signature):
        for k, value in bar.items():
            grid[b, k] = _code(value)
    if len(_GRIDS) >= _MAX_CACHED:
        _GRIDS.clear()
    _GRIDS[key] = (genome, grid)
    return grid


def bar_counts(
    grid: np.ndarray, others: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per other grid and bar: shared onsets, union of onsets, and shared onsets whose value
    differs; each ``int64 [len(others), bars]``. All grids must have the same number of bars
    (widths may differ; missing columns are no onsets)."""
    width = max([grid.shape[1], *(o.shape[1] for o in others)])
    stack = np.zeros((len(others), grid.shape[0], width), dtype=np.int32)
    for k, o in enumerate(others):
        stack[k, :, : o.shape[1]] = o
    mine = np.zeros((grid.shape[0], width), dtype=np.int32)
    mine[:, : grid.shape[1]] = grid
    a_on = mine > 0
    b_on = stack > 0
    both = a_on & b_on
    shared = both.sum(axis=2, dtype=np.int64)
    union = a_on.sum(axis=1, dtype=np.int64) + b_on.sum(axis=2, dtype=np.int64) - shared
    differ = (both & (stack != mine)).sum(axis=2, dtype=np.int64)
    return shared, union, differ


def sum_bars(per_bar: np.ndarray) -> np.ndarray:
    """Row sums of ``[M, bars]`` added bar by bar from 0.0, the order of a Python ``total +=``
    loop (numpy's own sum adds pairwise, which can differ in the last bit)."""
    total = np.zeros(per_bar.shape[0], dtype=np.float64)
    for b in range(per_bar.shape[1]):
        total = total + per_bar[:, b]
    return total
