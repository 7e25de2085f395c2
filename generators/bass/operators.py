"""Random init, mutation and crossover of bass genomes (the evolution engine's GenomeOps):
pure functions of a genome and an explicit RNG. The operators know the section's chords (for
chord-change positions) and the approved kick onsets (to lock to)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Final

import numpy as np

from generators.bass.genome import (
    DEGREES,
    GRID_QN,
    OCTAVE_SHIFTS,
    BassBar,
    BassEvent,
    BassGenome,
    normalise_bar,
    onset_steps,
)
from generators.bass.styles import STYLES, style_bar
from generators.harmony import Harmony
from generators.sampling import weighted_index
from generators.signature_grid import bar_distances, bit_planes, distances_to, signature_grid
from music.meter import Meter

_EPS = 1e-6
_signature = attrgetter("signature")
# Mutation kinds and their weights: degree, shift, add-at-kick, remove, regenerate bar,
# copy bar, octave, velocity, approach into the next bar, restyle everything.
_MUTATIONS = (
    ("degree", 3.0),
    ("shift", 2.0),
    ("add", 2.0),
    ("remove", 1.5),
    ("regenerate", 1.5),
    ("copy", 1.0),
    ("octave", 1.0),
    ("velocity", 0.5),
    ("approach", 1.0),
    ("restyle", 0.3),
)
_DEGREE_WEIGHTS = np.array([0.34, 0.14, 0.24, 0.12, 0.1, 0.06])


def uniform_styles() -> tuple[tuple[str, float], ...]:
    return tuple((s, 1.0 / len(STYLES)) for s in STYLES)


@dataclass(frozen=True, slots=True)
class BassOps:
    """Genome operators for a bass of ``bars`` bars over ``harmony`` in ``meter``.

    Attributes:
        harmony: the section's chords (covering at least the genome's bars; it loops).
        meter: the song's meter.
        bars: bars in a genome.
        kicks: approved kick onsets in qn from the section start, tiled over the bars.
        styles: ``(style, weight)`` pairs to draw random genomes from (see
            :func:`generators.bass.styles.style_weights`).
        kick_lock_rate: chance that a random genome also plays on every kick.
    """

    harmony: Harmony
    meter: Meter
    bars: int
    kicks: tuple[float, ...] = ()
    styles: tuple[tuple[str, float], ...] = ()
    kick_lock_rate: float = 0.35

    def __post_init__(self) -> None:
        if self.bars < 1:
            raise ValueError(f"bars: {self.bars!r} -- at least 1 bar")
        if abs(self.harmony.bar_qn - self.meter.bar_qn) > _EPS:
            raise ValueError(
                f"harmony.bar_qn: {self.harmony.bar_qn!r} -- must match the meter's bar "
                f"({self.meter.bar_qn} qn of {self.meter})"
            )
        if not self.styles:
            object.__setattr__(self, "styles", uniform_styles())
        for name, weight in self.styles:
            if name not in STYLES or weight < 0:
                raise ValueError(
                    f"styles: {(name, weight)!r} -- (style, weight >= 0) with a style from "
                    f"{', '.join(STYLES)}"
                )
        if sum(w for _, w in self.styles) <= 0:
            raise ValueError(f"styles: {self.styles!r} -- at least one positive weight")

    # ------------------------------------------------------------------ building blocks
    def changes(self, b: int) -> tuple[float, ...]:
        """Chord-change positions inside bar ``b`` (qn from its bar line)."""
        start = (b % max(1, self.harmony.bars)) * self.meter.bar_qn
        return tuple(
            round(c - start, 6) for c in self.harmony.changes_in(start, start + self.meter.bar_qn)
        )

    def kicks_in_bar(self, b: int) -> tuple[float, ...]:
        """Kick onsets inside bar ``b`` (qn from its bar line), snapped to the grid."""
        start = b * self.meter.bar_qn
        end = start + self.meter.bar_qn
        snapped = {round((k - start) / GRID_QN) * GRID_QN for k in self.kicks if start <= k < end}
        return tuple(sorted(s for s in snapped if 0 <= s < self.meter.bar_qn - _EPS))

    def _style(self, rng: np.random.Generator) -> str:
        names = [s for s, _ in self.styles]
        p = np.array([w for _, w in self.styles], dtype=float)
        return names[weighted_index(rng, p / p.sum())]

    def _bar(self, style: str, b: int, rng: np.random.Generator) -> BassBar:
        return style_bar(
            style, self.meter, rng, changes=self.changes(b), kicks=self.kicks_in_bar(b)
        )

    def _lock_to_kicks(self, bar: BassBar, b: int) -> BassBar:
        steps = onset_steps(bar)
        added = [
            BassEvent(onset=k, duration=0.5, degree="root", velocity=100)
            for k in self.kicks_in_bar(b)
            if round(k / GRID_QN) not in steps
        ]
        return normalise_bar([*bar, *added], self.meter) if added else bar

    # ------------------------------------------------------------------ GenomeOps protocol
    def random(self, rng: np.random.Generator) -> BassGenome:
        style = self._style(rng)
        # A walking line keeps its quarters and a pedal its held root: neither locks to kicks.
        lock = rng.random() < self.kick_lock_rate and style not in _OWN_TIME
        motif_len = 1 if rng.random() < 0.5 else 2
        motif: dict[int, tuple[tuple[float, ...], BassBar]] = {}
        bars: list[BassBar] = []
        for b in range(self.bars):
            slot = b % motif_len
            changes = self.changes(b)
            if slot in motif and motif[slot][0] == changes and rng.random() < 0.8:
                bar = motif[slot][1]
            else:
                bar = self._bar(style, b, rng)
                motif.setdefault(slot, (changes, bar))
            if lock:
                bar = self._lock_to_kicks(bar, b)
            bars.append(bar)
        if len(bars) > 1 and rng.random() < 0.5 and style != "pedal":
            bars[-1] = _with_approach(bars[-1])
        return BassGenome(style=style, bars=tuple(bars))

    def mutate(self, genome: BassGenome, rng: np.random.Generator) -> BassGenome:
        names = [n for n, _ in _MUTATIONS]
        p = np.array([w for _, w in _MUTATIONS])
        kind = names[weighted_index(rng, p / p.sum())]
        bars = list(genome.bars)
        b = int(rng.integers(len(bars)))
        bar = list(bars[b])
        if kind == "restyle":
            style = self._style(rng)
            return BassGenome(
                style=style, bars=tuple(self._bar(style, i, rng) for i in range(len(bars)))
            )
        if kind == "regenerate" or not bar:
            bars[b] = self._bar(genome.style, b, rng)
        elif kind == "copy" and len(bars) > 1:
            bars[int(rng.integers(len(bars)))] = bars[b]
        elif kind == "add":
            bars[b] = self._add(bar, b, rng)
        elif kind == "remove" and len(bar) > 1:
            i = int(rng.integers(len(bar)))
            del bar[i]
            if i > 0:  # the note before rings on into the gap
                bar[i - 1] = bar[i - 1].with_(duration=self.meter.bar_qn)
            bars[b] = normalise_bar(bar, self.meter)
        elif kind == "approach" and len(bars) > 1:
            bars[b] = _with_approach(bars[b])
        else:
            i = int(rng.integers(len(bar)))
            e = bar[i]
            if kind == "degree":
                degree = DEGREES[weighted_index(rng, _DEGREE_WEIGHTS)]
                bar[i] = e.with_(degree=degree)
            elif kind == "shift":
                onset = e.onset + GRID_QN * (1 if rng.random() < 0.5 else -1)
                if 0 <= onset <= self.meter.bar_qn - GRID_QN and round(
                    onset / GRID_QN
                ) not in onset_steps(tuple(bar)):
                    bar[i] = e.with_(onset=onset, duration=max(GRID_QN, e.duration))
            elif kind == "octave":
                bar[i] = e.with_(octave=OCTAVE_SHIFTS[int(rng.integers(len(OCTAVE_SHIFTS)))])
            else:  # velocity
                bar[i] = e.with_(velocity=int(np.clip(e.velocity + rng.integers(-10, 11), 30, 127)))
            bars[b] = normalise_bar(bar, self.meter)
        return BassGenome(style=genome.style, bars=tuple(bars))

    def _add(self, bar: list[BassEvent], b: int, rng: np.random.Generator) -> BassBar:
        taken = onset_steps(tuple(bar))
        free_kicks = [k for k in self.kicks_in_bar(b) if round(k / GRID_QN) not in taken]
        if free_kicks and rng.random() < 0.75:
            onset = free_kicks[int(rng.integers(len(free_kicks)))]
        else:
            steps = round(self.meter.bar_qn / GRID_QN)
            free = [s for s in range(steps) if s not in taken]
            if not free:
                return tuple(bar)
            onset = free[int(rng.integers(len(free)))] * GRID_QN
        degree = "root" if rng.random() < 0.6 else ("fifth" if rng.random() < 0.6 else "octave")
        return normalise_bar(
            [*bar, BassEvent(onset=onset, duration=0.5, degree=degree)], self.meter
        )

    def crossover(self, a: BassGenome, b: BassGenome, rng: np.random.Generator) -> BassGenome:
        n = min(len(a.bars), len(b.bars))
        if n < 2:
            return a if rng.random() < 0.5 else b
        if rng.random() < 0.5:
            cut = int(rng.integers(1, n))
            bars = a.bars[:cut] + b.bars[cut:n] + a.bars[n:]
        else:
            take = rng.random(n) < 0.5
            bars = tuple(b.bars[i] if take[i] else a.bars[i] for i in range(n)) + a.bars[n:]
        return BassGenome(style=a.style, bars=bars)

    def identity(self, genome: BassGenome) -> Hashable:
        return genome

    def distance(self, a: BassGenome, b: BassGenome) -> float:
        """Per bar: 0.6 x the Jaccard distance of the onset sets plus 0.4 x the share of
        shared onsets that play another degree or octave; averaged over bars (a missing bar
        counts 1)."""
        n = max(len(a.bars), len(b.bars))
        total = 0.0
        for i in range(n):
            if i >= len(a.bars) or i >= len(b.bars):
                total += 1.0
            elif a.bars[i] is not b.bars[i]:
                total += _bar_distance(a.signature[i], b.signature[i])
        return total / n

    def distances(self, genome: BassGenome, others: Sequence[BassGenome]) -> np.ndarray:
        """``[len(others)]`` float64: :meth:`distance` to each of ``others``, the same floats
        (see :meth:`signature_distances`)."""
        return distances_to(self, genome, others)

    def signatures(self, genomes: Sequence[BassGenome]) -> np.ndarray | None:
        """``uint64 [len(genomes), planes, bars]``: each genome's onset grid (made once per
        genome) as bit planes, or None when the genomes differ in length (see
        :meth:`distance`)."""
        return bit_planes([signature_grid(g, _signature) for g in genomes])

    def signature_distances(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`distance` between the genomes of rows ``a`` and ``b`` (broadcast), the same
        floats (see :func:`generators.signature_grid.bar_distances`)."""
        return bar_distances(a, b, onsets=0.6, values=0.4)


def _bar_distance(x: dict[int, tuple[str, int]], y: dict[int, tuple[str, int]]) -> float:
    shared = x.keys() & y.keys()
    union = len(x) + len(y) - len(shared)
    if not union:
        return 0.0
    jaccard = 1.0 - len(shared) / union
    mismatch = sum(x[s] != y[s] for s in shared) / len(shared) if shared else 1.0
    return 0.6 * jaccard + 0.4 * mismatch


#: Styles that keep their own time rather than adding the kick's onsets.
_OWN_TIME: Final = ("walking", "pedal")


def _with_approach(bar: BassBar) -> BassBar:
    """The bar with its last event turned into an approach note into the next bar (unless
    that event is the downbeat)."""
    if not bar or bar[-1].onset < _EPS:
        return bar
    return (*bar[:-1], bar[-1].with_(degree="approach"))
