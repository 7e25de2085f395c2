"""The bass genome: a style label and, per bar, a pattern of events on the meter's sixteenth
grid. An event names a chord-relative degree (root, third, fifth, octave, approach, passing),
not a pitch: the pitch is computed from the chord sounding at the onset (see ``to_midi``).
Values are frozen; operators build new genomes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from music.meter import Meter

#: The grid every onset and duration sits on, in quarter notes (a sixteenth note).
GRID_QN: Final = 0.25
#: Chord-relative degrees an event may name.
DEGREES: Final = ("root", "third", "fifth", "octave", "approach", "passing")
#: Register shifts an event may take from the placement nearest the previous note.
OCTAVE_SHIFTS: Final = (-1, 0, 1)
#: Default register: E1 (28) .. G3 (55), a four-string bass.
DEFAULT_REGISTER: Final = (28, 55)

_EPS = 1e-6


def on_grid(value: float) -> bool:
    """True when ``value`` (qn) is a whole number of sixteenths."""
    steps = value / GRID_QN
    return math.isfinite(value) and abs(steps - round(steps)) < _EPS


@dataclass(frozen=True, slots=True)
class BassEvent:
    """One bass note in a bar: onset and duration (qn, on the sixteenth grid), the degree it
    plays, an octave shift (-1, 0, +1) and a MIDI velocity."""

    onset: float
    duration: float
    degree: str
    octave: int = 0
    velocity: int = 96

    def __post_init__(self) -> None:
        if not on_grid(self.onset) or self.onset < 0:
            raise ValueError(
                f"BassEvent.onset: {self.onset!r} -- a position >= 0 on the sixteenth grid (qn)"
            )
        if not on_grid(self.duration) or self.duration < GRID_QN:
            raise ValueError(
                f"BassEvent.duration: {self.duration!r} -- a whole number of sixteenths (qn), "
                f"at least {GRID_QN}"
            )
        if self.degree not in DEGREES:
            raise ValueError(f"BassEvent.degree: {self.degree!r} -- one of {', '.join(DEGREES)}")
        if self.octave not in OCTAVE_SHIFTS:
            raise ValueError(f"BassEvent.octave: {self.octave!r} -- one of -1, 0, 1")
        if isinstance(self.velocity, bool) or not 1 <= self.velocity <= 127:
            raise ValueError(f"BassEvent.velocity: {self.velocity!r} -- an integer 1..127")

    @property
    def end(self) -> float:
        return self.onset + self.duration

    def with_(self, **changes: object) -> BassEvent:
        values: dict[str, object] = {
            "onset": self.onset,
            "duration": self.duration,
            "degree": self.degree,
            "octave": self.octave,
            "velocity": self.velocity,
        }
        values.update(changes)
        return BassEvent(**values)  # type: ignore[arg-type]


BassBar = tuple[BassEvent, ...]


@dataclass(frozen=True, slots=True)
class BassGenome:
    """A bass line: the style it was drawn from and one pattern per bar. ``signature`` is
    derived: per bar, ``{sixteenth index: (degree, octave)}``, for fast distances."""

    style: str
    bars: tuple[BassBar, ...]
    signature: tuple[dict[int, tuple[str, int]], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )
    # The hash of the compared fields, computed once (genomes are hashed many times).
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.bars:
            raise ValueError("BassGenome.bars: () -- at least one bar")
        sig = tuple(
            {round(e.onset / GRID_QN): (e.degree, e.octave) for e in bar} for bar in self.bars
        )
        object.__setattr__(self, "signature", sig)
        object.__setattr__(self, "_hash", hash((self.style, self.bars)))

    def __hash__(self) -> int:
        return self._hash


def validate_genome(genome: BassGenome, meter: Meter) -> None:
    """Raise ValueError unless every bar's events are sorted, do not overlap and end inside
    one bar of ``meter``."""
    for i, bar in enumerate(genome.bars):
        prev_end = 0.0
        for e in bar:
            if e.onset < prev_end - _EPS:
                raise ValueError(
                    f"bass genome bar {i + 1}: event at {e.onset} qn overlaps the one before "
                    f"(ends {prev_end} qn) -- events must be sorted and not overlap"
                )
            if e.end > meter.bar_qn + _EPS:
                raise ValueError(
                    f"bass genome bar {i + 1}: event {e.onset}+{e.duration} qn ends past the bar "
                    f"({meter.bar_qn} qn of {meter})"
                )
            prev_end = e.end


def normalise_bar(events: list[BassEvent] | tuple[BassEvent, ...], meter: Meter) -> BassBar:
    """Sort by onset, keep the first event at each onset, drop events past the bar, and clip
    each duration to the next onset and the bar line (at least one sixteenth)."""
    kept: list[BassEvent] = []
    for e in sorted(events, key=lambda x: x.onset):
        if e.onset > meter.bar_qn - GRID_QN + _EPS:
            continue
        if kept and abs(kept[-1].onset - e.onset) < _EPS:
            continue
        kept.append(e)
    out: list[BassEvent] = []
    for i, e in enumerate(kept):
        limit = kept[i + 1].onset if i + 1 < len(kept) else meter.bar_qn
        duration = max(GRID_QN, min(e.duration, limit - e.onset))
        out.append(e if abs(duration - e.duration) < _EPS else e.with_(duration=duration))
    return tuple(out)


def splice_bars(inside: BassGenome, outside: BassGenome, first: int, last: int) -> BassGenome:
    """``outside``'s bars with bars ``first``..``last`` (0-based, inclusive) from ``inside``."""
    bars = tuple(
        inside.bars[i] if first <= i <= last else bar for i, bar in enumerate(outside.bars)
    )
    return BassGenome(style=inside.style, bars=bars)


def onset_steps(bar: BassBar) -> frozenset[int]:
    """The bar's onsets as sixteenth-grid indices."""
    return frozenset(round(e.onset / GRID_QN) for e in bar)


def to_data(genome: BassGenome) -> dict[str, Any]:
    """A JSON-ready dict: style and, per bar, ``[onset, duration, degree, octave, velocity]``."""
    return {
        "style": genome.style,
        "bars": [
            [[e.onset, e.duration, e.degree, e.octave, e.velocity] for e in bar]
            for bar in genome.bars
        ],
    }


def from_data(data: Mapping[str, Any]) -> BassGenome:
    """Inverse of :func:`to_data`. Raises ValueError naming the bad field."""
    try:
        bars = tuple(
            tuple(
                BassEvent(
                    onset=float(o), duration=float(d), degree=str(g), octave=int(x), velocity=int(v)
                )
                for o, d, g, x, v in bar
            )
            for bar in data["bars"]
        )
        return BassGenome(style=str(data["style"]), bars=bars)
    except KeyError as exc:
        raise ValueError(
            f"bass genome: missing field {exc.args[0]!r} -- needs style, bars"
        ) from None
    except TypeError as exc:
        raise ValueError(
            f"bass genome bars: {data.get('bars')!r} -- per bar a list of "
            f"[onset, duration, degree, octave, velocity] ({exc})"
        ) from None
