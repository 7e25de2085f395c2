"""The whole section, window by window: how the scorer hears music longer than its window.

The scorer's model sees one :data:`~scoring.note_arrays.WINDOW_QN`-quarter-note picture at a
time. Music longer than that is cut into consecutive windows of whole bars (the most whole bars
that fit in the picture: 8 bars of 4/4, 9 bars of 7/8), each window scored as a clip of its own
(with the slice of the parts underneath that sounds in it), and the model's outputs are pooled
over the windows of a candidate: the mean of each output (the axis distributions stay
distributions, the concept cosine becomes the mean cosine over the section), the embedding's
mean renormalised. Cost grows linearly with the number of bars.

Windows start at the bar of the first note (of the candidate or of the parts underneath) and
follow each other without overlap; a note belongs to the window its onset falls in and is
shortened at that window's end. Windows in which nothing sounds are skipped. Music that fits in
one window is passed through unchanged, so its score is exactly the single-window score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.notes import Note, Part
from scoring.note_arrays import WINDOW_QN, NoteTable

_EPS = 1e-9


def window_qn(meter: Meter) -> float:
    """The length (qn) of one window in ``meter``: the most whole bars that fit in the
    scorer's picture (at least one bar)."""
    bar = meter.bar_qn
    return max(1, math.floor(WINDOW_QN / bar + _EPS)) * bar


def _span(parts: Sequence[Part]) -> tuple[float, float]:
    """First onset and last end of ``parts`` (inf, -inf without notes)."""
    first, last = math.inf, -math.inf
    for part in parts:
        if part.notes:
            first = min(first, part.notes[0].start)
            last = max(last, max(n.end for n in part.notes))
    return first, last


def window_starts(
    own: Sequence[Part], underneath: Sequence[Part], *, meter: Meter
) -> list[float] | None:
    """Where the windows of a candidate (``own`` parts over ``underneath``) start, in qn:
    ``None`` when it fits in one window (it is scored whole, as it is), ``[]`` when nothing
    sounds at all."""
    first, last = _span(own)
    return _starts(
        first, last, lambda: [n.start for p in own for n in p.notes], underneath, meter=meter
    )


def table_window_starts(
    table: NoteTable, underneath: Sequence[Part], *, meter: Meter
) -> list[list[float] | None]:
    """:func:`window_starts` of each candidate of ``table`` (its parts as the table holds
    them) over ``underneath``."""
    first, last = table.bounds()
    # Notes are numbered candidate by candidate: candidate c's onsets are one run of ``start``.
    edges = np.searchsorted(table.candidate, np.arange(table.candidates + 1)).tolist()

    def onsets(c: int) -> Callable[[], list[float]]:
        return lambda: table.start[edges[c] : edges[c + 1]].tolist()

    return [
        _starts(a, b, onsets(c), underneath, meter=meter)
        for c, (a, b) in enumerate(zip(first.tolist(), last.tolist(), strict=True))
    ]


def _starts(
    first_own: float,
    last_own: float,
    onsets: Callable[[], Sequence[float]],
    underneath: Sequence[Part],
    *,
    meter: Meter,
) -> list[float] | None:
    """:func:`window_starts` of a candidate whose notes span ``first_own`` to ``last_own``
    (inf, -inf without notes) and start at ``onsets()`` (asked for only when it needs more
    than one window)."""
    under = _Underneath.of(underneath)
    first, last = min(first_own, under.first), max(last_own, under.last)
    if not math.isfinite(first):
        return []
    bar = meter.bar_qn
    anchor = math.floor(first / bar + _EPS) * bar
    length = window_qn(meter)
    count = max(1, math.ceil((last - anchor) / length - _EPS))
    if count == 1:
        return None
    used = _windows_used(onsets(), anchor, count, length)
    return [anchor + k * length for k in sorted(used | under.used(anchor, count, length))]


def _windows_used(onsets: Sequence[float], anchor: float, count: int, length: float) -> set[int]:
    """The windows (``0..count - 1``) the ``onsets`` fall in."""
    return {min(count - 1, int((t - anchor) // length)) for t in onsets}


class _Underneath:
    """The parts underneath a population, read once: their span and, per window layout, the
    windows their onsets fall in. The last tuple of parts asked for is kept (held, so an
    identity test is safe; Parts and Notes are frozen): every candidate of a section is heard
    over the same tuple."""

    _last: _Underneath | None = None

    def __init__(self, parts: Sequence[Part]) -> None:
        self.parts = parts
        self.first, self.last = _span(parts)
        self._onsets = [n.start for p in parts for n in p.notes]
        self._used: dict[tuple[float, int, float], set[int]] = {}

    @classmethod
    def of(cls, parts: Sequence[Part]) -> _Underneath:
        kept = cls._last
        if kept is not None and kept.parts is parts:
            return kept
        made = cls(parts)
        if isinstance(parts, tuple):
            cls._last = made
        return made

    def used(self, anchor: float, count: int, length: float) -> set[int]:
        key = (anchor, count, length)
        got = self._used.get(key)
        if got is None:
            got = self._used[key] = _windows_used(self._onsets, anchor, count, length)
        return got


def slice_parts(parts: Sequence[Part], start: float, length: float) -> tuple[Part, ...]:
    """The notes of ``parts`` with onsets in ``[start, start + length)``, moved to start at 0
    and shortened at ``length``; parts left without notes are dropped."""
    stop = start + length
    out = []
    for part in parts:
        notes = tuple(
            Note(n.start - start, min(n.end, stop) - start, n.pitch, n.velocity)
            for n in part.notes
            if start <= n.start < stop
        )
        if notes:
            out.append(replace(part, notes=notes))
    return tuple(out)


def slice_table(table: NoteTable, start: float, length: float) -> NoteTable:
    """:func:`slice_parts` of every candidate of ``table`` at once (the same numbers), on the
    arrays; candidates keep their parts, now possibly without notes."""
    keep = (table.start >= start) & (table.start < start + length)
    return NoteTable(
        start=table.start[keep] - start,
        end=np.minimum(table.end[keep], start + length) - start,
        pitch=table.pitch[keep],
        velocity=table.velocity[keep],
        part=table.part[keep],
        part_candidate=table.part_candidate,
        part_drum=table.part_drum,
        candidates=table.candidates,
    )


def pool_outputs(
    outputs: dict[str, NDArray[np.float32]], owners: Sequence[int], n: int
) -> dict[str, NDArray[np.float32]]:
    """The model's per-window outputs (rows ``owners[r]`` belong to candidate ``owners[r]``)
    pooled per candidate (``n`` rows): each output's mean over the candidate's windows, the
    embedding's mean renormalised where there is more than one window. A candidate with one
    window keeps its row's values exactly."""
    who = np.asarray(owners, dtype=np.int64)
    counts = np.bincount(who, minlength=n)
    if len(who) == 0 or counts.min() < 1:
        raise ValueError(f"owners: {list(owners)} -- every candidate 0..{n - 1} owns a window")
    pooled: dict[str, NDArray[np.float32]] = {}
    for key, rows in outputs.items():
        total = np.zeros((n, *rows.shape[1:]), dtype=np.float64)
        np.add.at(total, who, rows.astype(np.float64))
        shape = (n,) + (1,) * (rows.ndim - 1)
        pooled[key] = (total / counts.reshape(shape)).astype(rows.dtype)
    if "embedding" in pooled:
        many = counts > 1
        emb = pooled["embedding"]
        norms = np.linalg.norm(emb[many], axis=1, keepdims=True)
        emb[many] = emb[many] / np.maximum(norms, 1e-12)
    return pooled


__all__ = [
    "pool_outputs",
    "slice_parts",
    "slice_table",
    "table_window_starts",
    "window_qn",
    "window_starts",
]
