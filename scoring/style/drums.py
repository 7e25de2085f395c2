"""Style fit of a drum pattern: its :mod:`scoring.metrics.drums` metrics against the profile of
the song's style (Groove MIDI beats), grouped into the components the drum theory total shows:

- ``style_density``: hits per quarter note, empty beats, hits struck together.
- ``style_balance``: kick, snare and hi-hat shares, syncopation of kick and snare.
- ``style_feel``: velocity level and spread, micro-timing off the grid.
- ``style_repetition``: how alike the bars are (grooving-pattern and bar similarity).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from scoring.metrics.drums import drum_metrics_batch
from scoring.style.fit import group_fits, metric_fits
from scoring.style.profile import StyleProfile

DRUM_GROUPS: Final = (
    ("style_density", ("hits_per_qn", "empty_beat_rate", "polyphony")),
    ("style_balance", ("kick_share", "snare_share", "hat_share", "syncopation")),
    ("style_feel", ("velocity_mean", "velocity_std", "timing_ms")),
    ("style_repetition", ("grooving_similarity", "bar_similarity")),
)


class _GridLike(Protocol):
    @property
    def meter(self) -> Meter: ...
    @property
    def steps_per_bar(self) -> int: ...
    def step_qn_at(self, step: int, offset: float = 0.0) -> float: ...


class DrumGenomeLike(Protocol):
    """A drum genome (``generators.drums.genome.DrumGenome`` or anything shaped like it)."""

    @property
    def grid(self) -> _GridLike: ...
    @property
    def bars(self) -> int: ...
    @property
    def hit_table(self) -> NDArray[np.intc]:
        """``[hits, 4]`` ints: step, voice, velocity and micro-offset in thousandths of a
        step."""
        ...


_STEP_TIMES: dict[_GridLike, tuple[NDArray[np.float64], float]] = {}


def _step_times(grid: _GridLike) -> tuple[NDArray[np.float64], float]:
    """The grid's step onsets inside a bar (qn, swing included) and one step's length (qn),
    computed once per grid."""
    hit = _STEP_TIMES.get(grid)
    if hit is None:
        steps = grid.steps_per_bar
        times = np.array([grid.step_qn_at(s) for s in range(steps)], dtype=np.float64)
        hit = (times, grid.step_qn_at(0, 1.0))
        if len(_STEP_TIMES) > 64:
            _STEP_TIMES.clear()
        _STEP_TIMES[grid] = hit
    return hit


def genome_hits(
    genome: DrumGenomeLike,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Onset times as played (qn: swing and micro-timing included), GM notes and velocities,
    read from the genome's hit table (a hit's offset is the float nearest its thousandths /
    1000, so the table's column gives the same onsets as the hits)."""
    g = genome.grid
    table = genome.hit_table.astype(np.int64)
    times, step_qn = _step_times(g)
    bar, step = np.divmod(table[:, 0], g.steps_per_bar)
    onset = bar * g.meter.bar_qn + times[step] + (table[:, 3] / 1000.0) * step_qn
    return onset, table[:, 1], table[:, 2]


def genome_metrics(genome: DrumGenomeLike, *, bpm: float) -> dict[str, float]:
    """The drum metrics of a genome over all its bars."""
    return genomes_metrics([genome], bpm=bpm)[0]


def genomes_metrics(genomes: Sequence[DrumGenomeLike], *, bpm: float) -> list[dict[str, float]]:
    """:func:`genome_metrics` of each genome, the same floats, measured in one batch per meter
    and length (:func:`~scoring.metrics.drums.drum_metrics_batch`): a population is scored
    together."""
    hits = [genome_hits(g) for g in genomes]
    groups: dict[tuple[Meter, int], list[int]] = {}
    for i, g in enumerate(genomes):
        groups.setdefault((g.grid.meter, g.bars), []).append(i)
    out: dict[int, dict[str, float]] = {}
    for (meter, bars), members in groups.items():
        onset, voice, velocity = (np.concatenate([hits[i][k] for i in members]) for k in range(3))
        counts = [len(hits[i][0]) for i in members]
        batch = drum_metrics_batch(
            onset, voice, velocity, counts=counts, meter=meter, bars=bars, bpm=bpm
        )
        out.update(zip(members, batch, strict=True))
    return [out[i] for i in range(len(genomes))]


def drum_style(genome: DrumGenomeLike, *, bpm: float, profile: StyleProfile) -> dict[str, float]:
    """The named style components of a drum genome (:data:`DRUM_GROUPS`), each in (0, 1]."""
    return group_fits(metric_fits(genome_metrics(genome, bpm=bpm), profile), DRUM_GROUPS)
