"""Meters: bar lengths, beat groupings and time conversions. Time inside the program is in
quarter-note beats ("qn"), so tempo never changes what a part looks like."""

from __future__ import annotations

import functools
import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Final

ALLOWED_DENOMINATORS: Final = (1, 2, 4, 8, 16)

# Conventional groupings in units of the denominator (e.g. eighths for /8).
_DEFAULT_GROUPS: Final[dict[tuple[int, int], tuple[int, ...]]] = {
    (5, 8): (3, 2),
    (7, 8): (2, 2, 3),
    (9, 8): (3, 3, 3),
    (6, 8): (3, 3),
    (12, 8): (3, 3, 3, 3),
    (5, 4): (3, 2),
    (7, 4): (4, 3),
    (11, 8): (3, 3, 3, 2),
}

_METER_RE: Final = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Meter:
    """A time signature with its beat grouping.

    ``groups`` are counted in units of the denominator: 7/8 as (2, 2, 3) means two groups of
    two eighths and one of three. Each group is one felt beat.
    """

    numerator: int
    denominator: int
    groups: tuple[int, ...] = ()
    # Lengths in quarter notes, worked out once (asked for on every note of every candidate).
    _unit_qn: float = field(default=0.0, init=False, repr=False, compare=False)
    _bar_qn: float = field(default=0.0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _is_int(self.numerator) or not 1 <= self.numerator <= 32:
            raise ValueError(f"time_signature.numerator: {self.numerator!r} -- an integer 1..32")
        if not _is_int(self.denominator) or self.denominator not in ALLOWED_DENOMINATORS:
            raise ValueError(
                f"time_signature.denominator: {self.denominator!r} -- one of "
                f"{', '.join(map(str, ALLOWED_DENOMINATORS))}"
            )
        if not self.groups:
            object.__setattr__(self, "groups", default_groups(self.numerator, self.denominator))
        if not all(_is_int(g) for g in self.groups):
            raise ValueError(
                f"time_signature.groups: {list(self.groups)!r} -- whole numbers of "
                f"1/{self.denominator} notes"
            )
        # A list given by the caller becomes a tuple, so equal meters compare and hash equal.
        object.__setattr__(self, "groups", tuple(int(g) for g in self.groups))
        if sum(self.groups) != self.numerator or any(g <= 0 for g in self.groups):
            raise ValueError(
                f"time_signature.groups: {list(self.groups)!r} -- positive group sizes that add up "
                f"to the numerator {self.numerator}"
            )
        unit = 4.0 / self.denominator
        object.__setattr__(self, "_unit_qn", unit)
        object.__setattr__(self, "_bar_qn", self.numerator * unit)

    @classmethod
    def parse(cls, text: str) -> Meter:
        """``"7/8"`` -> Meter(7, 8). Raises ValueError."""
        m = _METER_RE.match(str(text))
        if m is None:
            raise ValueError(f"time_signature: {text!r} -- 'N/D' such as '4/4', '3/4', '7/8'")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def unit_qn(self) -> float:
        """Length of one denominator unit in quarter notes (an eighth = 0.5)."""
        return self._unit_qn

    @property
    def bar_qn(self) -> float:
        """Length of one bar in quarter notes (7/8 -> 3.5, 6/8 -> 3.0, 3/4 -> 3.0)."""
        return self._bar_qn

    @property
    def beats_per_bar(self) -> int:
        """Felt beats per bar: one per group (6/8 -> 2, 7/8 -> 3, 4/4 -> 4)."""
        return len(self.groups)

    def beat_offsets_qn(self) -> tuple[float, ...]:
        """Start of each felt beat inside the bar, in quarter notes (computed once per meter)."""
        return _beat_offsets_qn(self.groups, self.unit_qn)

    def felt_beats(self) -> tuple[tuple[float, float], ...]:
        """``(start, length)`` of each felt beat of a bar, in quarter notes (computed once
        per meter)."""
        return _felt_beats(self.groups, self.unit_qn)

    def is_strong(self, position_qn: float, *, tolerance: float = 1e-6) -> bool:
        """True at the downbeat or the start of a felt beat group that counts as strong
        (the first beat, and in 4/4 and 12/8 the third group). Remembered per meter and
        position (scores ask about the same grid positions many times)."""
        return _is_strong(self, position_qn, tolerance)

    @property
    def is_compound(self) -> bool:
        return self.denominator == 8 and all(g == 3 for g in self.groups)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@functools.cache
def _beat_offsets_qn(groups: tuple[int, ...], unit_qn: float) -> tuple[float, ...]:
    out: list[float] = []
    pos = 0
    for g in groups:
        out.append(pos * unit_qn)
        pos += g
    return tuple(out)


@functools.cache
def _felt_beats(groups: tuple[int, ...], unit_qn: float) -> tuple[tuple[float, float], ...]:
    offsets = _beat_offsets_qn(groups, unit_qn)
    return tuple((start, g * unit_qn) for start, g in zip(offsets, groups, strict=True))


@functools.lru_cache(maxsize=1 << 16)
def _is_strong(meter: Meter, position_qn: float, tolerance: float) -> bool:
    pos = position_qn % meter.bar_qn
    # A position a rounding error before the bar line is the next downbeat.
    strong = [0.0, meter.bar_qn]
    offsets = meter.beat_offsets_qn()
    if len(offsets) == 4:
        strong.append(offsets[2])
    return any(abs(pos - s) < tolerance for s in strong)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def default_groups(numerator: int, denominator: int) -> tuple[int, ...]:
    """The usual grouping of a meter, in denominator units."""
    if (numerator, denominator) in _DEFAULT_GROUPS:
        return _DEFAULT_GROUPS[(numerator, denominator)]
    if denominator == 8 and numerator % 3 == 0:
        return tuple([3] * (numerator // 3))
    if denominator == 8 and numerator > 3:
        twos, rem = divmod(numerator, 2)
        if rem:
            return tuple([2] * (twos - 1) + [3])
        return tuple([2] * twos)
    return tuple([1] * numerator)


def kick_snare_pulses(n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Indices of the pulses the kick and the snare (the backbeat) take in a bar of ``n``
    counted pulses: the kick the even ones, the snare the odd ones; an odd count ends on a
    snare (3/4 and 7/8 as 2+2+3: kick, snare, snare)."""
    if n <= 1:
        return (0,), ()
    kicks = list(range(0, n, 2))
    snares = list(range(1, n, 2))
    if n % 2:
        kicks.remove(n - 1)
        snares.append(n - 1)
    return tuple(kicks), tuple(snares)


def qn_to_seconds(qn: float, bpm: float) -> float:
    """Quarter notes to seconds at ``bpm`` quarter notes per minute."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo")
    return qn * 60.0 / bpm


def bars_to_seconds(meter: Meter, bars: float, bpm: float) -> float:
    """Duration of ``bars`` bars of ``meter`` at ``bpm`` (quarter notes per minute)."""
    return qn_to_seconds(bars * meter.bar_qn, bpm)
