"""The drum genome: hits on a grid over a number of bars, each with a GM voice, a velocity and a
micro-timing offset. Values are frozen; operators and editor functions build new genomes."""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np

from generators.drums.grid import (
    CLOSED_HH,
    OPEN_HH,
    ROLES,
    SNARE,
    VOICE_NAMES,
    VOICE_ROLES,
    VOICES,
    Grid,
    Role,
    role_of,
)
from music.meter import Meter

_STEP_VOICE = attrgetter("step", "voice")
_PACKED = attrgetter("packed")

#: Micro-timing offsets are fractions of a step in [-MAX_OFFSET, MAX_OFFSET].
MAX_OFFSET = 0.5
#: One row of a genome's hit table: four native C ints.
_HIT_ROW = struct.Struct("4i")
#: Velocity below which a snare hit reads as a ghost note.
GHOST_VELOCITY = 50


@dataclass(frozen=True, slots=True, order=True)
class Hit:
    """One drum hit: absolute step (bars counted from 0), GM drum note, velocity 1..127 and a
    micro-timing offset in fractions of a step (negative = early)."""

    step: int
    voice: int
    velocity: int = 90
    offset: float = 0.0
    #: The hit's row of :attr:`DrumGenome.hit_table` as C ints (step, voice, velocity, offset
    #: in thousandths of a step), packed once: a genome's signature joins its hits' rows.
    packed: bytes = field(init=False, repr=False, compare=False)
    #: The voice's role (:func:`generators.drums.grid.role_of`), read once: the drum scores
    #: read it for every hit of every candidate.
    role: Role = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.step, int) or self.step < 0:
            raise ValueError(f"Hit.step: {self.step!r} -- an integer step >= 0")
        role = VOICE_ROLES.get(self.voice)
        if role is None:
            role_of(self.voice)  # raises, naming the voices allowed
        if not isinstance(self.velocity, int) or not 1 <= self.velocity <= 127:
            raise ValueError(f"Hit.velocity: {self.velocity!r} -- an integer 1..127")
        if not (math.isfinite(self.offset) and abs(self.offset) <= MAX_OFFSET):
            raise ValueError(
                f"Hit.offset: {self.offset!r} -- a fraction of a step in "
                f"[-{MAX_OFFSET}, {MAX_OFFSET}]"
            )
        # Rounded so equal-sounding genomes hash equal (1/1000 of a step is inaudible).
        thousandths = _thousandths(float(self.offset))
        object.__setattr__(self, "offset", thousandths / 1000 + 0.0)
        object.__setattr__(self, "role", role)
        object.__setattr__(
            self, "packed", _HIT_ROW.pack(self.step, self.voice, self.velocity, thousandths)
        )

    def moved(self, step: int) -> Hit:
        """This hit on ``step`` (itself when it is already there)."""
        if step == self.step:
            return self
        return Hit(step=step, voice=self.voice, velocity=self.velocity, offset=self.offset)


def _thousandths(offset: float) -> int:
    """``round(offset, 3)`` in thousandths, an int (``round(offset, 3)`` is the float nearest
    it / 1000). ``round(offset * 1000)`` gives it fast, except where the product lies within a
    hair of a half and its own rounding could tip it; there the decimal rounding decides."""
    scaled = offset * 1000
    nearest = round(scaled)
    if abs(abs(scaled - nearest) - 0.5) > 1e-6:
        return nearest
    return round(round(offset, 3) * 1000)


@dataclass(frozen=True, slots=True)
class DrumGenome:
    """Hits of ``bars`` bars on ``grid``, sorted by (step, voice), one hit per voice and step.

    ``style`` names the skeleton or model the pattern came from (kept through variation, shown
    in review.yml); it is not part of the genome's identity."""

    grid: Grid
    bars: int
    hits: tuple[Hit, ...]
    style: str = "custom"
    # A compact signature of the hits and its hash, computed once: genomes are hashed and
    # compared thousands of times per generation (identity, score cache, diversity).
    _sig: bytes = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.bars, int) or self.bars < 1:
            raise ValueError(f"DrumGenome.bars: {self.bars!r} -- an integer >= 1")
        ordered = tuple(sorted(self.hits, key=_STEP_VOICE))
        object.__setattr__(self, "hits", ordered)
        limit = self.total_steps
        places = [_STEP_VOICE(h) for h in ordered]  # sorted: a repeated place is adjacent
        for i, (step, voice) in enumerate(places):
            if step >= limit:
                raise ValueError(
                    f"DrumGenome hit step: {step!r} -- 0..{limit - 1} for {self.bars} bars "
                    f"of {self.grid.steps_per_bar} steps"
                )
            if i and places[i - 1] == (step, voice):
                raise ValueError(
                    f"DrumGenome hits: two {VOICE_NAMES[voice]} hits on step {step} -- one "
                    "hit per voice and step"
                )
        self._seal()

    def _seal(self) -> None:
        """Compute the signature and hash of the (sorted, checked) hits."""
        sig = b"".join(map(_PACKED, self.hits))
        object.__setattr__(self, "_sig", sig)
        object.__setattr__(self, "_hash", hash((self.grid, self.bars, sig)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def total_steps(self) -> int:
        return self.bars * self.grid.steps_per_bar

    @property
    def hit_table(self) -> np.ndarray:
        """``[hits, 4]`` C ints, one row per hit in order: step, voice, velocity and offset in
        thousandths of a step (read-only, from the genome's signature)."""
        return np.frombuffer(self._sig, dtype=np.intc).reshape(-1, 4)

    @property
    def key(self) -> tuple[object, ...]:
        """Identity: grid, length and hits (not the style label), cheap to hash."""
        return (self.grid, self.bars, self._sig)

    def with_hits(self, hits: Iterable[Hit], *, style: str | None = None) -> DrumGenome:
        """A genome with these hits; where two share a voice and step the later one wins, and
        hits past the end are dropped."""
        limit = self.total_steps
        # Keyed by place as one int, step * 256 + voice (a GM note < 128): sorting the keys
        # sorts by (step, voice), and ints hash and compare faster than pairs.
        chosen = {h.step * 256 + h.voice: h for h in hits if h.step < limit}
        # One hit per place, every step inside: what __post_init__ checks already holds, so
        # the copy is only sorted and sealed (offspring are made thousands of times a phase).
        out: DrumGenome = object.__new__(DrumGenome)
        object.__setattr__(out, "grid", self.grid)
        object.__setattr__(out, "bars", self.bars)
        object.__setattr__(out, "hits", tuple(map(chosen.__getitem__, sorted(chosen))))
        object.__setattr__(out, "style", self.style if style is None else style)
        out._seal()
        return out

    def bar_of(self, hit: Hit) -> int:
        return hit.step // self.grid.steps_per_bar

    def bar_hits(self, bar: int) -> tuple[Hit, ...]:
        spb = self.grid.steps_per_bar
        return tuple(h for h in self.hits if bar * spb <= h.step < (bar + 1) * spb)

    def voice_hits(self, voice: int) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.voice == voice)


def has_fill(genome: DrumGenome, bar: int) -> bool:
    """True when bar ``bar`` holds a fill: two or more tom hits, or a snare roll (4+ snare hits
    at velocity >= 60 in its last two pulses)."""
    hits = genome.bar_hits(bar)
    if sum(1 for h in hits if h.role == "fill") >= 2:
        return True
    pulses = genome.grid.pulse_steps
    tail = bar * genome.grid.steps_per_bar + pulses[-min(2, len(pulses))]
    loud = [h for h in hits if h.voice == SNARE and h.step >= tail and h.velocity >= 60]
    return len(loud) >= 4


def splice_bars(inside: DrumGenome, outside: DrumGenome, first: int, last: int) -> DrumGenome:
    """``outside``'s hits with bars ``first``..``last`` (0-based, inclusive) taken from
    ``inside`` (same grid and length): a pattern changed in those bars only."""
    spb = outside.grid.steps_per_bar
    lo, hi = first * spb, (last + 1) * spb
    kept = [h for h in outside.hits if not lo <= h.step < hi]
    return outside.with_hits([*kept, *(h for h in inside.hits if lo <= h.step < hi)])


def empty_genome(grid: Grid, bars: int, style: str = "custom") -> DrumGenome:
    return DrumGenome(grid=grid, bars=bars, hits=(), style=style)


def to_data(genome: DrumGenome) -> dict[str, Any]:
    """A JSON-ready dict: meter, grouping, grid, bars, style and hits as
    ``[step, voice, velocity, offset]``."""
    g = genome.grid
    return {
        "meter": str(g.meter),
        "groups": list(g.meter.groups),
        "steps_per_unit": g.steps_per_unit,
        "swing": g.swing,
        "bars": genome.bars,
        "style": genome.style,
        "hits": [[h.step, h.voice, h.velocity, h.offset] for h in genome.hits],
    }


def from_data(data: Mapping[str, Any]) -> DrumGenome:
    """Inverse of :func:`to_data`. Raises ValueError naming a missing or bad field."""
    try:
        meter = Meter.parse(str(data["meter"]))
        meter = Meter(meter.numerator, meter.denominator, tuple(data.get("groups", ())))
        grid = Grid(meter, int(data["steps_per_unit"]), float(data.get("swing", 0.5)))
        hits = tuple(
            Hit(step=int(s), voice=int(v), velocity=int(vel), offset=float(off))
            for s, v, vel, off in data["hits"]
        )
        return DrumGenome(
            grid=grid, bars=int(data["bars"]), hits=hits, style=str(data.get("style", "custom"))
        )
    except KeyError as exc:
        raise ValueError(
            f"drum genome: missing field {exc.args[0]!r} -- needs meter, steps_per_unit, bars, hits"
        ) from None
    except TypeError as exc:
        raise ValueError(
            f"drum genome hits: {data.get('hits')!r} -- [step, voice, velocity, offset] lists "
            f"({exc})"
        ) from None


def bar_pattern(genome: DrumGenome, bar: int, voice: int) -> frozenset[int]:
    """Steps inside the bar where ``voice`` hits in bar ``bar``."""
    spb = genome.grid.steps_per_bar
    return frozenset(h.step - bar * spb for h in genome.bar_hits(bar) if h.voice == voice)


def main_pattern(genome: DrumGenome, voice: int) -> frozenset[int]:
    """The bar pattern ``voice`` plays most often (ties: the earliest bar's)."""
    patterns = [bar_pattern(genome, b, voice) for b in range(genome.bars)]
    counts = Counter(patterns)
    best = max(counts.values())
    return next(p for p in patterns if counts[p] == best)


def _join(labels: list[str]) -> str:
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def voice_phrase(grid: Grid, steps: frozenset[int], voice: int) -> str:
    """How a musician names one voice's bar pattern: 'on 1 and 3', 'in straight 8ths',
    'backbeat on 2 and 4', 'in 16ths', 'on every beat'."""
    if not steps:
        return "silent"
    spb = grid.steps_per_bar
    eighth = grid.eighth_steps
    every_eighth = frozenset(range(0, spb, eighth))
    swung = "swung" if grid.feel == "swing" else "straight"
    if len(steps) == spb and grid.feel != "triplet":
        return "in 16ths"
    if grid.feel == "triplet":
        shuffle = frozenset(s for s in range(spb) if s % grid.steps_per_unit in (0, 2))
        if steps == shuffle:
            return "in shuffled 8ths"
        if len(steps) == spb:
            return "in triplets"
    elif steps == every_eighth:
        return f"in {swung} 8ths"
    elif steps == every_eighth - frozenset(grid.pulse_steps) and steps:
        return "on the off-beat 8ths"
    if steps == frozenset(grid.pulse_steps) and len(steps) > 2:
        return "on every beat"
    labels = [grid.count_label(s) for s in sorted(steps)]
    pulses = grid.pulse_steps
    backbeat = frozenset(pulses[1::2])
    if voice == SNARE and steps == backbeat and len(pulses) >= 4:
        return f"backbeat on {_join(labels)}"
    if len(labels) > 6:
        return f"{len(labels)} hits a bar"
    return f"on {_join(labels)}"


def _main_steps(genome: DrumGenome, voice: int, *, min_velocity: int = 1) -> frozenset[int]:
    """Main bar pattern of ``voice`` counting only hits at ``min_velocity`` or louder."""
    loud = genome.with_hits(
        h for h in genome.hits if h.voice != voice or h.velocity >= min_velocity
    )
    return main_pattern(loud, voice)


def describe(genome: DrumGenome) -> dict[str, object]:
    """What a musician reads in review.yml: style, feel, the main pattern in words (snare ghost
    notes counted apart, closed and open hats read as one line), density per role (hits per bar)
    and where the fills are."""
    grid = genome.grid
    played = [v for v in VOICES if genome.voice_hits(v)]
    phrases = []
    hats_open = main_pattern(genome, OPEN_HH) if OPEN_HH in played else frozenset()
    for v in played:
        if v == OPEN_HH and CLOSED_HH in played:
            continue  # described with the closed hat
        steps = _main_steps(genome, v, min_velocity=GHOST_VELOCITY if v == SNARE else 1)
        if v == CLOSED_HH and hats_open:
            both = steps | hats_open
            if voice_phrase(grid, both, v).startswith("in "):
                opens = ", ".join(grid.count_label(s) for s in sorted(hats_open))
                phrases.append(f"hats {voice_phrase(grid, both, v)} (open on {opens})")
                continue
            phrases.append(f"open hat {voice_phrase(grid, hats_open, OPEN_HH)}")
        if not steps and v != SNARE:
            continue
        phrase = f"{VOICE_NAMES[v]} {voice_phrase(grid, steps, v)}" if steps else "snare"
        if v == SNARE:
            ghosts = sum(1 for h in genome.voice_hits(v) if h.velocity < GHOST_VELOCITY)
            if ghosts:
                per_bar = ghosts / genome.bars
                phrase += f" with ghost notes ({per_bar:.1f} a bar)"
        phrases.append(phrase)
    if not phrases:
        phrases = ["silence"]
    density = {
        role: round(sum(1 for h in genome.hits if h.role == role) / genome.bars, 2)
        for role in ROLES
    }
    fill_bars = [b + 1 for b in range(genome.bars) if has_fill(genome, b)]
    offsets = [abs(h.offset) for h in genome.hits]
    feel = {"straight": "straight 16ths", "triplet": "triplet (shuffle) grid"}.get(
        grid.feel, f"swung 16ths ({round(grid.swing * 100)}% swing)"
    )
    return {
        "style": genome.style,
        "feel": feel,
        "meter": str(grid.meter),
        "felt_beats": "+".join(str(g) for g in grid.meter.groups),
        "bars": genome.bars,
        "pattern": ", ".join(phrases),
        "hits_per_bar": round(len(genome.hits) / genome.bars, 2),
        "density_per_role": density,
        "fills": f"bar {_join([str(b) for b in fill_bars])}" if fill_bars else "none",
        "micro_timing": (
            f"mean |offset| {sum(offsets) / len(offsets):.2f} step" if offsets else "none"
        ),
    }
