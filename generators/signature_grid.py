"""Per-bar onset signatures as integer grids, for one-to-many genome distances in numpy.

The bass and melody genomes carry a derived ``signature``: per bar, ``{sixteenth index: value}``
(value = degree and octave, or scale step). Their pairwise distances count, per bar, the shared
onsets, the union of onsets and the shared onsets whose value differs. Here a signature becomes
an ``int32 [bars, width]`` grid (0 = no onset, else a code for the value), and the grids of a
pool become bit planes (a bar's onsets as the bits of one word, and the bits of its value
codes), so those three counts for any pairs of genomes are a few bitwise operations and
population counts. Counts are integers, so distances built from them in the same float
operations as the pairwise code give the same floats.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

G = TypeVar("G")
G_contra = TypeVar("G_contra", contravariant=True)


class Signed(Protocol[G_contra]):
    """Genome operators with a pairwise distance and array signatures of the same values."""

    def distance(self, a: G_contra, b: G_contra, /) -> float: ...

    def signatures(self, genomes: Sequence[G_contra], /) -> np.ndarray | None: ...

    def signature_distances(self, a: np.ndarray, b: np.ndarray, /) -> np.ndarray: ...


def distances_to(ops: Signed[G], genome: G, others: Sequence[G]) -> np.ndarray:
    """``[len(others)]`` float64: ``ops.distance(genome, other)`` for each of ``others``, the
    same floats, read from the genomes' signatures where they have common ones."""
    rows = ops.signatures([genome, *others])
    if rows is None:
        return np.array([ops.distance(genome, o) for o in others], dtype=np.float64)
    out: np.ndarray = ops.signature_distances(rows[:1], rows[1:])
    return out


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


#: Onset indices of one bar that fit a bit plane (one 64-bit word per bar).
MAX_WIDTH = 64


def bit_planes(grids: Sequence[np.ndarray | None]) -> np.ndarray | None:
    """``uint64 [len(grids), 1 + K, bars]``: per genome and bar, its onsets as the bits of one
    word (plane 0) and the ``K`` bits of the value codes at those onsets (planes 1..K, K as
    many as the largest code of these grids needs). None if a grid is missing, the numbers of
    bars differ or a bar is wider than :data:`MAX_WIDTH` onsets."""
    if any(g is None for g in grids):
        return None
    present = [g for g in grids if g is not None]
    if len({g.shape[0] for g in present}) > 1:
        return None
    width = max((g.shape[1] for g in present), default=0)
    if width > MAX_WIDTH:
        return None
    bars = present[0].shape[0] if present else 0
    codes = np.zeros((len(present), bars, width), dtype=np.uint64)
    for k, g in enumerate(present):
        codes[k, :, : g.shape[1]] = g
    bits = np.left_shift(np.uint64(1), np.arange(width, dtype=np.uint64))
    depth = int(codes.max(initial=0)).bit_length()
    planes = np.zeros((len(present), 1 + depth, bars), dtype=np.uint64)
    planes[:, 0] = np.bitwise_or.reduce(np.where(codes > 0, bits, np.uint64(0)), axis=-1)
    for k in range(depth):
        bit = (codes >> np.uint64(k)) & np.uint64(1)
        planes[:, 1 + k] = np.bitwise_or.reduce(bit * bits, axis=-1)
    return planes


def plane_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair of genomes of ``a`` and ``b`` (:func:`bit_planes` rows ``[..., 1 + K, bars]``,
    broadcast along the leading axes) and bar: shared onsets, union of onsets, and shared
    onsets whose value differs; each ``int64 [..., bars]``."""
    on_a, on_b = a[..., 0, :], b[..., 0, :]
    both = on_a & on_b
    shared = np.bitwise_count(both).astype(np.int64)
    union = (
        np.bitwise_count(on_a).astype(np.int64) + np.bitwise_count(on_b).astype(np.int64) - shared
    )
    other = np.zeros_like(both)
    for k in range(1, a.shape[-2]):
        other |= a[..., k, :] ^ b[..., k, :]
    differ = np.bitwise_count(both & other).astype(np.int64)
    return shared, union, differ


def bar_distances(a: np.ndarray, b: np.ndarray, *, onsets: float, values: float) -> np.ndarray:
    """The per-bar distance of the bass and melody genomes between the genomes of
    :func:`bit_planes` rows ``a`` and ``b`` (broadcast), averaged over bars: per bar, ``onsets``
    x the Jaccard distance of the onset sets plus ``values`` x the share of shared onsets with
    another value (1 when none is shared), 0 for two empty bars. The same floats as the
    pairwise loops: integer counts, the same formula, bars added in order."""
    shared, union, differ = plane_counts(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = 1.0 - shared / union
        mismatch = np.where(shared > 0, differ / shared, 1.0)
    per_bar = np.where(union > 0, onsets * jaccard + values * mismatch, 0.0)
    out: np.ndarray = sum_bars(per_bar) / a.shape[-1]
    return out


def sum_bars(per_bar: np.ndarray) -> np.ndarray:
    """Sums over the last axis (bars) added bar by bar from 0.0, the order of a Python
    ``total +=`` loop (numpy's own sum adds pairwise, which can differ in the last bit)."""
    total = np.zeros(per_bar.shape[:-1], dtype=np.float64)
    for b in range(per_bar.shape[-1]):
        total = total + per_bar[..., b]
    return total
