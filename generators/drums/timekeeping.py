"""How a drum pattern keeps its meter: the share of its bars with a kick on the downbeat and the
share of its loud snares on the backbeat pulses (the snare's pulses of
:func:`music.meter.kick_snare_pulses`, the skeletons' backbeat).

One measure, :func:`time_kept`, over one representation, a :class:`HitTable`: each hit's
position on the meter's straight 16th grid, its drum class (the transformer's nine classes,
:data:`generators.drums.tokens.DRUM_CLASSES`) and its velocity. A table is built from a genome
as it is played (:meth:`HitTable.from_genome`: swing and micro-timing included, a hit counting
on the 16th it rounds to) or from bars the drum transformer sampled (:meth:`HitTable.from_bars`:
each hit on its step). Two callers read it:

- the drums phase keeps a sampled groove in its bank when both shares reach its thresholds
  (:meth:`TimeKept.reaches`, :func:`agents.phases.drums.keeps_the_meter`);
- the transformer, playing a meter in cells, keeps the best of its draws of a cell meter by the
  two shares added (:attr:`TimeKept.total`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from generators.drums.genome import DrumGenome
from generators.drums.grid import Grid
from generators.drums.tokens import VOICE_CLASS, BarHits
from music.meter import Meter, kick_snare_pulses

#: Drum classes of the kick and the snare (indices of ``DRUM_CLASSES``).
KICK_CLASS: Final = 0
SNARE_CLASS: Final = 1
#: A snare hit at least this loud is a backbeat, not a ghost note.
LOUD: Final = 70
#: A hit counts on a 16th or a pulse up to half a step from it (16th steps).
ON_STEP: Final = 0.5


@dataclass(frozen=True, slots=True)
class HitTable:
    """The drum hits of ``bars`` bars of ``meter``: ``position`` ``[N]`` in 16th steps from the
    first bar line (float: micro-timing kept), ``drum_class`` ``[N]`` and ``velocity`` ``[N]``."""

    meter: Meter
    bars: int
    position: NDArray[np.float64]
    drum_class: NDArray[np.int64]
    velocity: NDArray[np.int64]

    def __post_init__(self) -> None:
        if self.bars < 0:
            raise ValueError(f"HitTable.bars: {self.bars!r} -- 0 or more bars")
        shapes = {np.shape(self.position), np.shape(self.drum_class), np.shape(self.velocity)}
        if len(shapes) != 1 or len(next(iter(shapes))) != 1:
            raise ValueError(
                f"HitTable columns: shapes {sorted(shapes)} -- position, drum_class and velocity "
                "of one length [N]"
            )

    @classmethod
    def of_rows(cls, meter: Meter, bars: int, rows: Iterable[tuple[float, int, int]]) -> HitTable:
        """A table from ``(position, drum class, velocity)`` rows."""
        listed = list(rows)
        return cls(
            meter=meter,
            bars=bars,
            position=np.array([r[0] for r in listed], dtype=np.float64),
            drum_class=np.array([r[1] for r in listed], dtype=np.int64),
            velocity=np.array([r[2] for r in listed], dtype=np.int64),
        )

    @classmethod
    def from_bars(cls, bars: Sequence[BarHits], meter: Meter) -> HitTable:
        """Sampled bars of ``meter`` (token hits by step), each hit on its step: a sampled hit's
        micro-offset is its feel, not its place."""
        spb = Grid.for_meter(meter).steps_per_bar
        rows = ((b * spb + s, h.cls, h.velocity) for b, bar in enumerate(bars) for s, h in bar)
        return cls.of_rows(meter, len(bars), rows)

    @classmethod
    def from_genome(cls, genome: DrumGenome) -> HitTable:
        """A genome as played: each hit at its swung grid time plus its micro-offset, on the
        meter's straight 16ths; voices without a drum class (shaker, cowbell, tambourine) are
        left out."""
        grid = genome.grid
        sixteenth_qn = Grid.for_meter(grid.meter).step_qn
        rows = (
            (grid.step_qn_at(h.step, h.offset) / sixteenth_qn, VOICE_CLASS[h.voice], h.velocity)
            for h in genome.hits
            if h.voice in VOICE_CLASS
        )
        return cls.of_rows(grid.meter, genome.bars, rows)


@dataclass(frozen=True, slots=True)
class TimeKept:
    """``downbeat``: the share of the bars with a kick on the downbeat; ``backbeat``: the share
    of the loud snares on the backbeat pulses (0 where there is none)."""

    downbeat: float
    backbeat: float

    @property
    def total(self) -> float:
        """The two shares added, in [0, 2]."""
        return self.downbeat + self.backbeat

    def reaches(self, *, downbeat: float, backbeat: float) -> bool:
        """Whether both shares reach their thresholds."""
        return self.downbeat >= downbeat and self.backbeat >= backbeat

    @classmethod
    def least(cls, kept: Iterable[TimeKept]) -> TimeKept:
        """Each share at its lowest over ``kept`` (a meter played in cells keeps its time as
        well as its worst cell meter)."""
        listed = list(kept)
        return cls(
            downbeat=min(k.downbeat for k in listed), backbeat=min(k.backbeat for k in listed)
        )


def time_kept(table: HitTable) -> TimeKept:
    """How the hits in ``table`` keep its meter (see the module docstring). A hit is on the
    16th it rounds to and on the pulse nearest it when within :data:`ON_STEP`; a hit that falls
    outside the table's bars counts for neither share but is still one of the loud snares."""
    if table.bars == 0:
        return TimeKept(downbeat=0.0, backbeat=0.0)
    grid = Grid.for_meter(table.meter)
    spb = grid.steps_per_bar
    bar, in_bar = np.divmod(np.floor(table.position + ON_STEP).astype(np.int64), spb)
    kicked = (table.drum_class == KICK_CLASS) & (in_bar == 0) & (bar >= 0) & (bar < table.bars)
    downbeat = len(np.unique(bar[kicked])) / table.bars
    loud = (table.drum_class == SNARE_CLASS) & (table.velocity >= LOUD)
    if not loud.any():
        return TimeKept(downbeat=downbeat, backbeat=0.0)
    pulses = np.asarray(grid.pulse_steps, dtype=np.float64)
    snare_pulses = np.asarray(kick_snare_pulses(len(pulses))[1], dtype=np.int64)
    snare_bar, at = np.divmod(table.position[loud] + ON_STEP, spb)
    at = at - ON_STEP
    distance = np.abs(at[:, None] - pulses[None, :])
    nearest = np.argmin(distance, axis=1)
    on = (distance[np.arange(len(at)), nearest] <= ON_STEP) & (snare_bar >= 0)
    on &= (snare_bar < table.bars) & np.isin(nearest, snare_pulses)
    return TimeKept(downbeat=downbeat, backbeat=float(on.mean()))
