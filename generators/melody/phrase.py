"""Making one phrase: a rhythm of cells on the meter's felt beats ending in a breath, with an
optional exact note count (one note per lyric syllable), and pitches that follow a contour to a
single climax, put chord tones on felt beats, move mostly by step and recover from leaps.
Pure functions of their arguments and an explicit RNG."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from generators.melody.genome import GRID_QN, on_grid
from generators.sampling import cumulative, index_by_cumulative
from music.meter import Meter

_EPS = 1e-6

# Cells: fractions of a felt beat that get a note (positive) or rest (negative), with weights.
_CELLS: tuple[tuple[tuple[float, ...], float], ...] = (
    ((1.0,), 3.0),
    ((0.5, 0.5), 3.0),
    ((0.75, 0.25), 1.2),
    ((0.25, 0.25, 0.5), 0.6),
    ((0.5, 0.25, 0.25), 0.6),
    ((0.25, 0.25, 0.25, 0.25), 0.3),
    ((1 / 3, 1 / 3, 1 / 3), 2.0),
    ((2 / 3, 1 / 3), 2.0),
    ((1 / 3, 2 / 3), 0.6),
    ((-1.0,), 0.12),
    ((-0.5, 0.5), 0.3),
)
_HOLD_RATE = 0.22  # chance a beat holds the note before instead of taking a cell


@dataclass(frozen=True, slots=True)
class RhythmNote:
    """A note of a phrase rhythm: bar (inside the phrase), onset in the bar and duration (qn)."""

    bar: int
    onset: float
    duration: float

    @property
    def end(self) -> float:
        return self.onset + self.duration


def felt_beats(meter: Meter) -> tuple[tuple[float, float], ...]:
    """``(start, length)`` of each felt beat of a bar, in quarter notes."""
    return meter.felt_beats()


@lru_cache(maxsize=64)
def _cells_of(length: float) -> tuple[tuple[tuple[float, ...], ...], np.ndarray, np.ndarray]:
    """Cells that fit a beat of ``length`` qn on the grid, their weights and note counts."""
    cells, weights, counts = [], [], []
    for cell, w in _CELLS:
        pieces = [abs(f) * length for f in cell]
        if all(on_grid(p) and p >= GRID_QN - _EPS for p in pieces):
            cells.append(cell)
            weights.append(w)
            counts.append(sum(1 for f in cell if f > 0))
    return tuple(cells), np.asarray(weights, dtype=float), np.asarray(counts, dtype=float)


def _cells_for(length: float, density: float) -> tuple[tuple[tuple[float, ...], ...], np.ndarray]:
    cells, weights, counts = _cells_of(length)
    return cells, weights * density ** (counts - 1)


def breath_point(meter: Meter) -> float:
    """Where the last bar of a phrase stops sounding (qn from its bar line): the start of the
    last felt beat, or a quarter of a one-beat bar before its end."""
    beats = felt_beats(meter)
    if len(beats) > 1:
        return beats[-1][0]
    rest = max(GRID_QN, round(meter.bar_qn / 4 / GRID_QN) * GRID_QN)
    return max(GRID_QN, meter.bar_qn - rest)


def phrase_rhythm(
    meter: Meter,
    bars: int,
    rng: np.random.Generator,
    *,
    density: float = 1.0,
    target: int | None = None,
    breath: bool = True,
) -> list[RhythmNote]:
    """A phrase's rhythm over ``bars`` bars: one cell per felt beat (notes, rests, or a beat
    that holds the note before), the last bar cut at :func:`breath_point` with its last note
    held to it. With ``target`` the note count is then matched exactly where the grid allows
    (long notes split, short ones merged into the note before). ``breath=False`` leaves the
    last bar whole (a bar rewritten inside a phrase)."""
    notes: list[RhythmNote] = []
    # The cells of each beat length and their cumulative weights, made once per phrase.
    draws: dict[float, tuple[tuple[tuple[float, ...], ...], np.ndarray]] = {}
    for b in range(bars):
        for s, length in felt_beats(meter):
            held = bool(notes) and notes[-1].bar == b and abs(notes[-1].end - s) < _EPS
            if held and rng.random() < _HOLD_RATE:
                last = notes[-1]
                notes[-1] = RhythmNote(last.bar, last.onset, last.duration + length)
                continue
            if length not in draws:
                cells, w = _cells_for(length, density)
                draws[length] = (cells, cumulative(w / w.sum()))
            cells, cdf = draws[length]
            cell = cells[index_by_cumulative(rng, cdf)]
            t = s
            for f in cell:
                piece = round(abs(f) * length / GRID_QN) * GRID_QN
                if f > 0:
                    notes.append(RhythmNote(b, t, piece))
                t += piece
    if breath:
        notes = _breathe(notes, meter, bars)
    elif not notes:
        notes = [RhythmNote(0, 0.0, meter.bar_qn)]
    if target is not None:
        notes = match_count(notes, target, meter, bars, breath=breath)
    return notes


def _breathe(notes: list[RhythmNote], meter: Meter, bars: int) -> list[RhythmNote]:
    last_bar = bars - 1
    cut = breath_point(meter)
    kept = [n for n in notes if n.bar < last_bar or n.onset < cut - _EPS]
    if not kept or kept[-1].bar < last_bar:
        kept.append(RhythmNote(last_bar, 0.0, cut))
    final = kept[-1]
    kept[-1] = RhythmNote(final.bar, final.onset, cut - final.onset)
    return kept


def match_count(
    notes: list[RhythmNote], target: int, meter: Meter, bars: int, *, breath: bool
) -> list[RhythmNote]:
    """``notes`` with ``target`` notes where the grid allows: the longest notes split in two,
    then rests filled, while too few; the shortest merged into the note before while too
    many."""
    notes = list(notes)
    target = max(1, target)
    while len(notes) < target:
        splittable = [i for i, n in enumerate(notes) if n.duration >= 2 * GRID_QN - _EPS]
        if splittable:
            i = max(splittable, key=lambda k: (notes[k].duration, -k))
            n = notes[i]
            first = max(GRID_QN, float(np.floor(n.duration / 2 / GRID_QN)) * GRID_QN)
            notes[i : i + 1] = [
                RhythmNote(n.bar, n.onset, first),
                RhythmNote(n.bar, n.onset + first, n.duration - first),
            ]
            continue
        gap = _largest_gap(notes, meter, bars, breath=breath)
        if gap is None:
            break
        notes.append(gap)
        notes.sort(key=lambda n: (n.bar, n.onset))
    while len(notes) > target:
        i = min(range(1, len(notes)), key=lambda k: (notes[k].duration, k))
        prev = notes[i - 1]
        if prev.bar == notes[i].bar:
            notes[i - 1] = RhythmNote(prev.bar, prev.onset, notes[i].end - prev.onset)
        del notes[i]
    return notes


def _largest_gap(
    notes: list[RhythmNote], meter: Meter, bars: int, *, breath: bool
) -> RhythmNote | None:
    """A sixteenth-or-longer note filling the longest rest before the phrase's breath."""
    best: RhythmNote | None = None
    for b in range(bars):
        limit = breath_point(meter) if breath and b == bars - 1 else meter.bar_qn
        t = 0.0
        for n in [n for n in notes if n.bar == b] + [RhythmNote(b, limit, GRID_QN)]:
            if n.onset - t >= GRID_QN - _EPS and (best is None or n.onset - t > best.duration):
                best = RhythmNote(b, t, n.onset - t)
            t = max(t, n.end)
    return best


def contour_target(u: float, climax: float, start: float, peak: float, end: float) -> float:
    """The contour's wanted step at phrase fraction ``u``: a line up to ``peak`` at ``climax``
    then down to ``end``."""
    if u <= climax:
        return start + (peak - start) * (u / climax if climax > 0 else 1.0)
    return peak + (end - peak) * ((u - climax) / (1.0 - climax) if climax < 1 else 1.0)


def phrase_steps(
    times: Sequence[float],
    felt: Sequence[bool],
    *,
    chord_steps: Callable[[float], Sequence[int]],
    low: int,
    high: int,
    start: int,
    peak: int,
    finals: Sequence[int],
    climax: float,
    rng: np.random.Generator,
) -> list[int]:
    """Scale steps for notes at ``times`` (qn): the first at ``start``, one note at ``peak``
    (the note nearest the ``climax`` fraction; every other note stays below it), the last on
    the ``finals`` step nearest the middle of the phrase's span, chord tones on felt beats,
    steps of at most a third between the others, and a step back after any leap of a fifth
    or more."""
    n = len(times)
    if n == 0:
        return []
    if n == 1:
        return [start]
    span = times[-1] - times[0]
    us = [(t - times[0]) / span if span > 0 else 0.0 for t in times]
    inner = range(1, n - 1) if n >= 3 else range(1, n)
    kc = min(inner, key=lambda k: (abs(us[k] - climax), k))
    middle = (start + peak) / 2 - 1
    end = min(finals, key=lambda s: (abs(s - middle), s)) if finals else start
    end = min(end, peak - 1) if kc != n - 1 else peak
    steps: list[int] = []
    for k in range(n):
        if k == 0:
            s = start
        elif k == kc:
            s = peak
        elif k == n - 1:
            s = end
        else:
            prev = steps[-1]
            tgt = min(contour_target(us[k], us[kc], start, peak, end), peak - 1)
            cands = [c for c in chord_steps(times[k]) if low <= c <= peak - 1] if felt[k] else []
            if not cands:
                cands = [c for c in range(prev - 2, prev + 3) if low <= c <= peak - 1]
            if not cands:
                cands = [max(low, min(peak - 1, prev))]
            # Python floats, not numpy scalars: the same sums, a few candidates at a time.
            noise = (rng.random(len(cands)) * 0.8).tolist()
            costs = [
                abs(c - tgt) + 0.6 * max(0, abs(c - prev) - 2) + 0.7 * (c == prev) + e
                for c, e in zip(cands, noise, strict=True)
            ]
            s = cands[min(range(len(costs)), key=costs.__getitem__)]  # the first least
            if k >= 2 and abs(steps[-1] - steps[-2]) >= 4:
                back = steps[-1] - int(np.sign(steps[-1] - steps[-2]))
                if low <= back <= peak - 1:
                    s = back
        steps.append(s)
    return steps
