"""Parts as numpy arrays, for the scorer's hot path: windowing and piano rolls of a whole batch of
candidates at once, without building a :class:`~music.notes.Note` per windowed note and without
a Python loop per candidate.

Every function here gives exactly (bit for bit) what the per-note definitions in
:mod:`scoring.midi_features`'s docstring and :mod:`music.pianoroll` give: the same float64
operations on each note, notes kept in the order a :class:`~music.notes.Part` sorts them, and
maxima (which do not depend on order) for overlapping notes.

A :class:`Backdrop` holds the parts underneath a population (the approved chords under a drum
candidate, say): they are the same for every candidate, so they are converted, windowed and
rolled once, and each candidate's own parts are combined with them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.notes import Part

STEPS_PER_QN = 4
ROLL_STEPS = 128
WINDOW_QN = ROLL_STEPS / STEPS_PER_QN
#: Onset steps of notes inside the window: ``floor(start * 4 + 0.5)`` for ``0 <= start < 32``.
ONSET_STEPS = ROLL_STEPS + 1

_NOTE_FIELDS = attrgetter("start", "end", "pitch", "velocity")


@dataclass(frozen=True, slots=True)
class NoteTable:
    """The notes of a batch of candidates, each a list of parts, as arrays.

    ``start``, ``end`` (qn), ``pitch``, ``velocity`` and ``part`` (the index of the note's part)
    are ``[N]``; ``part_candidate`` and ``part_drum`` are ``[P]``. Parts are numbered candidate
    by candidate in order, and the notes of a part keep its (sorted) order."""

    start: NDArray[np.float64]
    end: NDArray[np.float64]
    pitch: NDArray[np.int64]
    velocity: NDArray[np.int64]
    part: NDArray[np.int64]
    part_candidate: NDArray[np.int64]
    part_drum: NDArray[np.bool_]
    candidates: int

    @classmethod
    def of(cls, candidates: Sequence[Sequence[Part]]) -> NoteTable:
        parts = [p for own in candidates for p in own]
        rows = [_NOTE_FIELDS(n) for p in parts for n in p.notes]
        return cls._of_values(
            np.array(rows, dtype=np.float64).reshape(len(rows), 4),
            note_counts=[len(p.notes) for p in parts],
            part_counts=[len(own) for own in candidates],
            drums=[p.is_drum for p in parts],
        )

    @classmethod
    def of_rows(cls, rows: Sequence[NDArray[np.float64]], *, drum: bool) -> NoteTable:
        """Candidates of one part each, given as its notes' rows ``[n, 4]`` (start, end,
        pitch, velocity) in the order a :class:`~music.notes.Part` sorts them: the table
        :meth:`of` gives for those parts, without a Note per row."""
        values = np.concatenate(rows) if rows else np.empty((0, 4), dtype=np.float64)
        return cls._of_values(
            values.astype(np.float64, copy=False),
            note_counts=[len(r) for r in rows],
            part_counts=[1] * len(rows),
            drums=[drum] * len(rows),
        )

    @classmethod
    def _of_values(
        cls,
        values: NDArray[np.float64],
        *,
        note_counts: Sequence[int],
        part_counts: Sequence[int],
        drums: Sequence[bool],
    ) -> NoteTable:
        """The table of note rows ``values`` ``[N, 4]``, ``note_counts[p]`` rows per part and
        ``part_counts[c]`` parts per candidate, in order."""
        return cls(
            start=values[:, 0].copy(),
            end=values[:, 1].copy(),
            pitch=values[:, 2].astype(np.int64),
            velocity=values[:, 3].astype(np.int64),
            part=np.repeat(
                np.arange(len(note_counts), dtype=np.int64),
                np.array(note_counts, dtype=np.int64),
            ),
            part_candidate=np.repeat(
                np.arange(len(part_counts), dtype=np.int64),
                np.array(part_counts, dtype=np.int64),
            ),
            part_drum=np.array(drums, dtype=np.bool_),
            candidates=len(part_counts),
        )

    def select(self, members: Sequence[int]) -> NoteTable:
        """The candidates ``members`` (increasing indices) alone, numbered ``0..`` in that
        order: the table :meth:`of` gives for their parts."""
        if list(members) == list(range(self.candidates)):
            return self
        chosen = np.zeros(self.candidates, dtype=np.bool_)
        chosen[np.asarray(members, dtype=np.int64)] = True
        kept_parts = chosen[self.part_candidate]
        kept = kept_parts[self.part]
        part_number = np.cumsum(kept_parts) - 1
        candidate_number = np.cumsum(chosen) - 1
        return NoteTable(
            start=self.start[kept],
            end=self.end[kept],
            pitch=self.pitch[kept],
            velocity=self.velocity[kept],
            part=part_number[self.part[kept]],
            part_candidate=candidate_number[self.part_candidate[kept_parts]],
            part_drum=self.part_drum[kept_parts],
            candidates=len(members),
        )

    def __len__(self) -> int:
        return len(self.start)

    @property
    def candidate(self) -> NDArray[np.int64]:
        """The candidate of each note ``[N]``."""
        out: NDArray[np.int64] = self.part_candidate[self.part]
        return out

    @property
    def drum(self) -> NDArray[np.bool_]:
        """Whether each note ``[N]`` belongs to a drum part."""
        out: NDArray[np.bool_] = self.part_drum[self.part]
        return out

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per candidate ``[B]``: its first note's start (inf without notes) and its last
        note's end (-inf without notes)."""
        first = np.full(self.candidates, math.inf)
        last = np.full(self.candidates, -math.inf)
        who = self.candidate
        np.minimum.at(first, who, self.start)
        np.maximum.at(last, who, self.end)
        return first, last


@dataclass(frozen=True, slots=True)
class Window:
    """Where the 32-qn window sits: ``offset`` qn dropped, music looped every ``loop`` qn,
    ``copies`` times."""

    offset: float
    loop: float
    copies: int


def window_of(first_start: float, last_end: float, *, meter: Meter) -> Window:
    """The window for music whose first note starts at ``first_start`` and whose last ends at
    ``last_end`` (qn): leading empty bars dropped, short music looped at whole bars."""
    bar = meter.bar_qn
    offset = math.floor(first_start / bar + 1e-9) * bar
    end = last_end - offset
    loop = max(bar, math.ceil(end / bar - 1e-9) * bar)
    copies = math.ceil(WINDOW_QN / loop) if loop < WINDOW_QN else 1
    return Window(offset=offset, loop=loop, copies=copies)


def windowed(table: NoteTable, windows: Sequence[Window]) -> NoteTable:
    """Each candidate's notes as they fill its window (``windows[c]``: copies looped, notes
    crossing the end shortened, notes past it dropped), sorted by part and, within a part, as
    :class:`~music.notes.Part` sorts notes."""
    who = table.candidate
    offset = np.array([w.offset for w in windows], dtype=np.float64)[who]
    loop = np.array([w.loop for w in windows], dtype=np.float64)[who]
    copies = np.array([w.copies for w in windows], dtype=np.int64)[who]
    starts, ends, keep = [], [], []
    for k in range(max((w.copies for w in windows), default=0)):
        shift = k * loop - offset
        start = table.start + shift
        stop = np.minimum(table.end + shift, WINDOW_QN)
        starts.append(start)
        ends.append(stop)
        keep.append((k < copies) & (start < WINDOW_QN) & (stop > start))
    if not starts:
        return table
    mask = np.concatenate(keep)
    start = np.concatenate(starts)[mask]
    end = np.concatenate(ends)[mask]
    if len(start) and np.any(start < 0):
        bad = float(start[start < 0][0])
        raise ValueError(f"Note.start: {bad!r} -- a finite time >= 0 (quarter notes)")
    count = len(starts)
    pitch = np.tile(table.pitch, count)[mask]
    velocity = np.tile(table.velocity, count)[mask]
    part = np.tile(table.part, count)[mask]
    order = np.lexsort((velocity, pitch, end, start, part))
    return NoteTable(
        start=start[order],
        end=end[order],
        pitch=pitch[order],
        velocity=velocity[order],
        part=part[order],
        part_candidate=table.part_candidate,
        part_drum=table.part_drum,
        candidates=table.candidates,
    )


def onset_steps(qn: NDArray[np.float64]) -> NDArray[np.int64]:
    """Nearest step, halves rounded up (as :func:`music.pianoroll._step`)."""
    return np.floor(qn * STEPS_PER_QN + 0.5).astype(np.int64)


def rolls(table: NoteTable) -> NDArray[np.float32]:
    """``[B, 2, 128, ROLL_STEPS]``: per candidate, the sustained roll of its pitched parts
    (velocity/127 while a note sounds, the louder of overlapping notes) and the onset roll of
    all its parts."""
    total = ROLL_STEPS
    plane = 128 * total
    flat = np.zeros(table.candidates * 2 * plane, dtype=np.float32)
    base = table.candidate * (2 * plane)
    level = (table.velocity / 127.0).astype(np.float32)
    a = onset_steps(table.start)
    pitched = ~table.drum
    b = np.minimum(np.maximum(a + 1, onset_steps(table.end)), total)
    live = pitched & (a < total)
    lengths = (b - a)[live]
    if len(lengths):
        first = base[live] + table.pitch[live] * total + a[live] - np.cumsum(lengths) + lengths
        cells = np.repeat(first, lengths) + np.arange(int(lengths.sum()))
        np.maximum.at(flat, cells, np.repeat(level[live], lengths))
    live = (a >= 0) & (a < total)
    np.maximum.at(flat, base[live] + plane + table.pitch[live] * total + a[live], level[live])
    return flat.reshape(table.candidates, 2, 128, total)


@dataclass(frozen=True, slots=True)
class Placed:
    """Parts placed in one window: their windowed notes and their ``[2, 128, T]`` rolls."""

    notes: NoteTable
    roll: NDArray[np.float32]


@dataclass
class Backdrop:
    """The parts underneath every candidate of a population, converted once; each distinct
    window they are placed in is computed once and kept (a population has one or two)."""

    notes: NoteTable
    first_start: float
    last_end: float
    _windows: dict[Window, Placed] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, parts: Sequence[Part]) -> Backdrop:
        notes = NoteTable.of([parts])
        first, last = notes.bounds()
        return cls(notes=notes, first_start=float(first[0]), last_end=float(last[0]))

    @property
    def parts(self) -> int:
        """How many parts lie underneath (some may have no notes)."""
        return len(self.notes.part_drum)

    @property
    def empty(self) -> bool:
        """True when no note lies underneath."""
        return not len(self.notes)

    def placed(self, window: Window) -> Placed:
        """The notes underneath placed in ``window`` and their rolls."""
        hit = self._windows.get(window)
        if hit is None:
            notes = windowed(self.notes, [window])
            hit = Placed(notes=notes, roll=rolls(notes)[0])
            if len(self._windows) >= 16:
                self._windows.clear()
            self._windows[window] = hit
        return hit
