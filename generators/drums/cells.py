"""Additive meters: a bar of a meter the drum transformer does not sample, played as a sequence
of cells, each a bar (or the first groups of a bar) of a meter it does sample.

A drummer counts 7/4 (4+3) as a bar of 4/4 and a bar of 3/4, 11/8 (3+3+3+2) as 6/8 then 5/8,
5/4 as 2+3 as 2/4 then 3/4, 6/4 as two bars of 3/4 and 2/2 as the 4/4 bar of the same length;
:func:`plan_cells` finds such a sequence by a small search over the sampled ("covered") meters:

- a cell starts and ends on a start of one of the meter's felt groups
  (:attr:`music.meter.Meter.groups`), and every group start inside it is one of the cell's own
  group starts, so the cell puts its accents (its kick on its downbeat, its backbeats) where
  the meter has them;
- a cell is a whole bar of a covered meter, or its first groups (a *prefix*: 7/8 as 3+2+2 is
  5/8 then the first group of a 7/8 bar), on the same 16th grid (scale 1) or compressed two or
  four times (scale 2: a 16th of the target per eighth of the cell; 7/16 is a 7/8 bar at twice
  the tempo, its finest 16ths dropped);
- a cell's group starts all lie on the meter's beat lattice (its units, or its quarters where
  the unit is longer), so no accent falls between two of the meter's beats (6/4 as 3+3 is
  3/4 + 3/4, never a 12/8 bar with a group start on a half beat);
- of the plans that fit, the cheapest wins: each cell costs :data:`CELL_COST`, a prefix, a
  compression, a cell of another denominator family (a /4 cell in an /8 meter), each of the
  cell's group starts the meter does not accent and each change of cell meter add to it
  and so does each of the meter's counted pulses where the cell plays the other of kick and
  snare (:func:`music.meter.kick_snare_pulses`: the skeletons' backbeat, which the drums
  phase's bank holds grooves to), so 6/4 (six quarter beats: kick, snare, kick, snare, kick,
  snare) is 4/4 + 2/4 rather than 3/4 + 3/4 (kick, snare, snare twice), while 6/4 given as
  3+3 is 3/4 + 3/4; and 7/8 as 3+2+2 takes its last two eighths from a 7/8 bar rather than
  from a 2/4 one.

A /16 meter given without groups (every group one 16th, which names no felt beat) is felt in
the groups of its /8 twin: 15/16 as 3+3+3+3+3, 7/16 as 2+2+3. A meter whose groups no cell
sequence fits on their boundaries (a single group longer than any cell: 7/4 given as one group
of 7) may put cell boundaries on any of its units instead; every meter the proposals allow
(numerator 1..32 over 1, 2, 4, 8, 16) then has a plan, so none is left to the skeletons.

Steps are 16ths throughout: the straight grid of every meter (:meth:`Grid.for_meter`) has 16
steps per whole note, so a /16 meter has one step per unit and a /1 meter sixteen.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from generators.drums.grid import Grid
from generators.drums.tokens import BarHits, TokenHit
from music.meter import Meter, default_groups, kick_snare_pulses

#: Cost of one cell; the others are added to it (see the module docstring).
CELL_COST: Final = 10
PREFIX_COST: Final = 4
#: Per halving of the cell's 16ths (scale 2: 6, scale 4: 12).
COMPRESS_COST: Final = 6
FAMILY_COST: Final = 2
EXTRA_ACCENT_COST: Final = 1
SWITCH_COST: Final = 1
ROLE_COST: Final = 1
SCALES: Final = (1, 2, 4)


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of a bar: the first ``length * scale`` 16ths of a bar of ``meter`` (all of it
    or its first groups), played from step ``start`` of the target bar, every ``scale`` of its
    16ths one target step (16ths off that lattice are dropped)."""

    meter: Meter
    start: int
    length: int
    scale: int = 1

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"Cell.scale: {self.scale!r} -- one of {SCALES}")
        if self.start < 0 or self.length < 1:
            raise ValueError(
                f"Cell.start, Cell.length: {self.start!r}, {self.length!r} -- a start >= 0 "
                "and at least one step"
            )

    @property
    def source_steps(self) -> int:
        """16ths of the cell's bar played (fewer than the bar for a prefix)."""
        return self.length * self.scale

    def place(self, bar: BarHits) -> list[tuple[int, TokenHit]]:
        """A sampled bar of :attr:`meter` -> its hits inside this cell as (step in the target
        bar, hit): the prefix kept, every ``scale``-th 16th kept, micro-offsets (fractions of
        a step) shrunk with the step."""
        out = []
        for step, h in bar:
            if step >= self.source_steps or step % self.scale:
                continue
            hit = TokenHit(cls=h.cls, velocity=h.velocity, offset=h.offset / self.scale)
            out.append((self.start + step // self.scale, hit))
        return out

    def take(self, bar: BarHits) -> BarHits:
        """The inverse of :meth:`place`: the hits of a target bar inside this cell, as a bar of
        :attr:`meter` (steps and offsets stretched back), to prompt the model with."""
        end = self.start + self.length
        return tuple(
            (
                (step - self.start) * self.scale,
                TokenHit(
                    cls=h.cls,
                    velocity=h.velocity,
                    offset=max(-0.5, min(0.5, h.offset * self.scale)),
                ),
            )
            for step, h in bar
            if self.start <= step < end
        )

    def __str__(self) -> str:
        whole = self.source_steps == Grid.for_meter(self.meter).steps_per_bar
        text = str(self.meter) if whole else f"{self.meter}[:{self.source_steps}]"
        return text if self.scale == 1 else f"{text}/{self.scale}"


@dataclass(frozen=True, slots=True)
class CellPlan:
    """The cells of one bar of ``meter``, in order, tiling its 16th steps."""

    meter: Meter
    cells: tuple[Cell, ...]

    def __post_init__(self) -> None:
        spb = Grid.for_meter(self.meter).steps_per_bar
        at = 0
        for cell in self.cells:
            if cell.start != at:
                raise ValueError(
                    f"CellPlan.cells: {[str(c) for c in self.cells]} -- cells that tile a bar "
                    f"of {self.meter} ({spb} steps) in order"
                )
            at += cell.length
        if at != spb:
            raise ValueError(
                f"CellPlan.cells: {[str(c) for c in self.cells]} fill {at} steps -- a bar of "
                f"{self.meter} has {spb}"
            )

    @property
    def streams(self) -> tuple[tuple[Meter, int], ...]:
        """Each cell meter (in order of first use) and its cells per bar: one pattern of that
        meter is sampled per pattern of the plan, ``count`` of its bars per target bar."""
        counts: dict[Meter, int] = {}
        for cell in self.cells:
            counts[cell.meter] = counts.get(cell.meter, 0) + 1
        return tuple(counts.items())

    def slots(self) -> tuple[tuple[Cell, int], ...]:
        """Each cell with its index among its meter's cells in a bar (the stream bar of target
        bar ``b`` is ``b * count + index``)."""
        seen: dict[Meter, int] = {}
        out = []
        for cell in self.cells:
            out.append((cell, seen.get(cell.meter, 0)))
            seen[cell.meter] = out[-1][1] + 1
        return tuple(out)

    def split(self, bars: Sequence[BarHits]) -> dict[Meter, list[BarHits]]:
        """Bars of :attr:`meter` cut into their cells: per cell meter, its bars in order
        (:meth:`Cell.take`), as a pattern of that meter sampled for this plan would be."""
        out: dict[Meter, list[BarHits]] = {m: [] for m, _ in self.streams}
        for bar in bars:
            for cell in self.cells:
                out[cell.meter].append(cell.take(bar))
        return out

    def __str__(self) -> str:
        return "+".join(map(str, self.cells))


def felt_groups(meter: Meter) -> tuple[int, ...]:
    """The meter's groups in its units; a /16 meter of one-16th groups is felt as its /8 twin."""
    if meter.denominator == 16 and all(g == 1 for g in meter.groups):
        return default_groups(meter.numerator, 8)
    return meter.groups


@dataclass(frozen=True, slots=True)
class _Option:
    meter: Meter
    length: int
    scale: int
    accents: frozenset[int]
    prefix: bool
    #: The cell's counted pulses (steps of the target) -> True for the kick's, False for the
    #: snare's.
    roles: tuple[tuple[int, bool], ...]


def _options(covered: Iterable[Meter]) -> tuple[_Option, ...]:
    """Every cell a covered meter gives: whole bars and prefixes ending on a group start, at
    each scale whose lattice holds the cell's end and its group starts; longest first."""
    out = []
    for m in covered:
        grid = Grid.for_meter(m)
        starts = grid.beat_steps
        roles = _roles(grid.pulse_steps)
        for end in (*starts[1:], grid.steps_per_bar):
            inside = [a for a in starts if a < end]
            for scale in SCALES:
                if end % scale or any(a % scale for a in inside):
                    continue
                out.append(
                    _Option(
                        meter=m,
                        length=end // scale,
                        scale=scale,
                        accents=frozenset(a // scale for a in inside),
                        prefix=end < grid.steps_per_bar,
                        roles=tuple(
                            (p // scale, kick)
                            for p, kick in roles.items()
                            if p < end and p % scale == 0
                        ),
                    )
                )
    # Ties go to the longer cell, then the less compressed, the whole bar, the shorter bar.
    return tuple(
        sorted(out, key=lambda o: (-o.length, o.scale, o.prefix, o.meter.bar_qn, str(o.meter)))
    )


def _roles(pulses: Iterable[int]) -> dict[int, bool]:
    """Counted pulses (steps) -> True where the kick plays, False where the snare does."""
    ordered = sorted(pulses)
    kicks, _ = kick_snare_pulses(len(ordered))
    return {p: i in kicks for i, p in enumerate(ordered)}


def _cost(option: _Option, wanted: frozenset[int], denominator: int, roles: dict[int, bool]) -> int:
    """``roles``: the target's pulses inside the cell (steps from its start) -> kick."""
    cost = CELL_COST + EXTRA_ACCENT_COST * len(option.accents - wanted)
    cost += ROLE_COST * sum(roles.get(p) != kick for p, kick in option.roles)
    cost += PREFIX_COST * option.prefix + COMPRESS_COST * (option.scale.bit_length() - 1)
    return cost + FAMILY_COST * (option.meter.denominator * option.scale != denominator)


def plan_cells(meter: Meter, covered: Iterable[Meter]) -> CellPlan | None:
    """The cheapest cell sequence of ``meter`` from the ``covered`` meters (see the module
    docstring); None only when nothing is covered. Cached per meter and covered set."""
    return _plan(meter, frozenset(covered))


@functools.lru_cache(maxsize=256)
def _plan(meter: Meter, covered: frozenset[Meter]) -> CellPlan | None:
    if not covered:
        return None
    grid = Grid.for_meter(meter)
    spu, spb = grid.steps_per_unit, grid.steps_per_bar
    accents: list[int] = []
    at = 0
    for g in felt_groups(meter):
        accents.append(at * spu)
        at += g
    lattice = min(spu, 4)
    options = tuple(
        o for o in _options(sorted(covered, key=str)) if all(a % lattice == 0 for a in o.accents)
    )
    pulses = range(0, spb, spu) if meter.denominator <= 4 else accents
    roles = tuple(_roles(pulses).items())
    for bounds in (accents, list(range(0, spb, spu))):
        cells = _search(tuple(accents), roles, tuple(bounds), spb, options, meter.denominator)
        if cells is not None:
            return CellPlan(meter=meter, cells=cells)
    return None


def _search(
    accents: tuple[int, ...],
    roles: tuple[tuple[int, bool], ...],
    bounds: tuple[int, ...],
    spb: int,
    options: tuple[_Option, ...],
    denominator: int,
) -> tuple[Cell, ...] | None:
    """The cheapest tiling of ``spb`` steps by options starting and ending on ``bounds``
    (or the bar's end) whose group starts hold every accent inside them; ``roles``: the
    meter's counted pulses (steps) -> True for the kick's."""
    ends = frozenset((*bounds, spb))
    wanted_all = frozenset(accents)

    @functools.cache
    def best(pos: int, last: Meter | None) -> tuple[int, tuple[Cell, ...]] | None:
        if pos == spb:
            return 0, ()
        found: tuple[int, tuple[Cell, ...]] | None = None
        for o in options:
            end = pos + o.length
            if end not in ends:
                continue
            wanted = frozenset(a - pos for a in wanted_all if pos <= a < end)
            if not wanted <= o.accents:
                continue
            rest = best(end, o.meter)
            if rest is None:
                continue
            inside = {p - pos: kick for p, kick in roles if pos <= p < end}
            cost = _cost(o, wanted, denominator, inside) + rest[0]
            cost += SWITCH_COST * (last is not None and last != o.meter)
            if found is None or cost < found[0]:
                cell = Cell(meter=o.meter, start=pos, length=o.length, scale=o.scale)
                found = (cost, (cell, *rest[1]))
        return found

    result = best(0, None)
    return None if result is None else result[1]
