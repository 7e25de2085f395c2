"""The melody genome: phrases of bars, each bar a rhythm of notes on the sixteenth grid (gaps are
rests) whose pitches are diatonic scale steps of the key, counted from ``base`` (the key's tonic
in the voice's register). A contour intent per phrase (where the climax should fall) guides
re-pitching. Values are frozen; operators build new genomes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from music.keys import MODE_INTERVALS
from music.meter import Meter

#: The grid every onset and duration sits on, in quarter notes (a sixteenth note).
GRID_QN: Final = 0.25
#: Where a phrase's climax is meant to fall (fraction of the phrase): an arch peaks near the
#: middle, the others early or late.
CONTOURS: Final[dict[str, tuple[float, float]]] = {
    "arch": (0.42, 0.65),
    "early-peak": (0.22, 0.4),
    "late-peak": (0.65, 0.82),
}

_EPS = 1e-6


def on_grid(value: float) -> bool:
    steps = value / GRID_QN
    return math.isfinite(value) and abs(steps - round(steps)) < _EPS


@dataclass(frozen=True, slots=True)
class MelodyNote:
    """One note in a bar: onset and duration (qn, on the sixteenth grid), the scale step
    (0 = the tonic at the genome's base, 7 = an octave above, negative below) and velocity."""

    onset: float
    duration: float
    step: int
    velocity: int = 90

    def __post_init__(self) -> None:
        if not on_grid(self.onset) or self.onset < 0:
            raise ValueError(
                f"MelodyNote.onset: {self.onset!r} -- a position >= 0 on the sixteenth grid (qn)"
            )
        if not on_grid(self.duration) or self.duration < GRID_QN:
            raise ValueError(
                f"MelodyNote.duration: {self.duration!r} -- a whole number of sixteenths (qn), "
                f"at least {GRID_QN}"
            )
        if isinstance(self.step, bool) or not -21 <= self.step <= 35:
            raise ValueError(f"MelodyNote.step: {self.step!r} -- a scale step -21..35")
        if isinstance(self.velocity, bool) or not 1 <= self.velocity <= 127:
            raise ValueError(f"MelodyNote.velocity: {self.velocity!r} -- an integer 1..127")

    @property
    def end(self) -> float:
        return self.onset + self.duration

    def with_(self, **changes: object) -> MelodyNote:
        values: dict[str, object] = {
            "onset": self.onset,
            "duration": self.duration,
            "step": self.step,
            "velocity": self.velocity,
        }
        values.update(changes)
        return MelodyNote(**values)  # type: ignore[arg-type]


MelodyBar = tuple[MelodyNote, ...]


@dataclass(frozen=True, slots=True)
class MelodyGenome:
    """A melody: bars grouped in phrases of ``phrase_bars`` (the last may be shorter), the MIDI
    pitch of step 0 and one contour intent per phrase. ``signature`` is derived: per bar,
    ``{sixteenth index: step}``, for fast distances."""

    bars: tuple[MelodyBar, ...]
    phrase_bars: int
    base: int
    contour: tuple[str, ...]
    signature: tuple[dict[int, int], ...] = field(init=False, repr=False, compare=False, hash=False)
    # The hash of the compared fields, computed once: genomes are hashed many times a
    # generation (identity, score cache, duplicates), each time through every note.
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.bars:
            raise ValueError("MelodyGenome.bars: () -- at least one bar")
        if self.phrase_bars < 1:
            raise ValueError(f"MelodyGenome.phrase_bars: {self.phrase_bars!r} -- at least 1")
        if not 0 <= self.base <= 127:
            raise ValueError(f"MelodyGenome.base: {self.base!r} -- a MIDI pitch 0..127")
        if len(self.contour) != self.phrases:
            raise ValueError(
                f"MelodyGenome.contour: {self.contour!r} -- one intent per phrase ({self.phrases})"
            )
        bad = [c for c in self.contour if c not in CONTOURS]
        if bad:
            raise ValueError(f"MelodyGenome.contour: {bad!r} -- each one of {', '.join(CONTOURS)}")
        sig = tuple({round(n.onset / GRID_QN): n.step for n in bar} for bar in self.bars)
        object.__setattr__(self, "signature", sig)
        object.__setattr__(
            self, "_hash", hash((self.bars, self.phrase_bars, self.base, self.contour))
        )

    def __hash__(self) -> int:
        return self._hash

    @property
    def phrases(self) -> int:
        return -(-len(self.bars) // self.phrase_bars)

    def phrase_range(self, p: int) -> range:
        """Bar indices of phrase ``p``."""
        return range(p * self.phrase_bars, min(len(self.bars), (p + 1) * self.phrase_bars))

    def phrase_notes(self, p: int) -> list[tuple[int, MelodyNote]]:
        """``(bar index, note)`` of phrase ``p`` in time order."""
        return [(b, n) for b in self.phrase_range(p) for n in self.bars[b]]

    def note_counts(self) -> tuple[int, ...]:
        """Notes per phrase."""
        return tuple(len(self.phrase_notes(p)) for p in range(self.phrases))


def step_pitch(step: int, base: int, mode: str) -> int:
    """MIDI pitch of scale ``step`` above ``base`` in ``mode``: step 2 in major is base + 4."""
    octave, degree = divmod(step, 7)
    return base + 12 * octave + MODE_INTERVALS[mode][degree]


def validate_genome(genome: MelodyGenome, meter: Meter) -> None:
    """Raise ValueError unless every bar's notes are sorted, do not overlap and end inside one
    bar of ``meter``, and every phrase has at least one note."""
    for i, bar in enumerate(genome.bars):
        prev_end = 0.0
        for n in bar:
            if n.onset < prev_end - _EPS:
                raise ValueError(
                    f"melody genome bar {i + 1}: note at {n.onset} qn overlaps the one before "
                    f"(ends {prev_end} qn) -- notes must be sorted and not overlap"
                )
            if n.end > meter.bar_qn + _EPS:
                raise ValueError(
                    f"melody genome bar {i + 1}: note {n.onset}+{n.duration} qn ends past the "
                    f"bar ({meter.bar_qn} qn of {meter})"
                )
            prev_end = n.end
    for p, count in enumerate(genome.note_counts()):
        if count == 0:
            raise ValueError(f"melody genome phrase {p + 1}: no notes -- a phrase needs a note")


def normalise_bar(notes: list[MelodyNote] | tuple[MelodyNote, ...], meter: Meter) -> MelodyBar:
    """Sort, keep the first note at each onset, drop notes starting past the bar and clip
    durations to the next onset and the bar line (at least one sixteenth)."""
    if _is_normal(notes, meter.bar_qn):
        return tuple(notes)  # what the steps below give for a bar they already made
    kept: list[MelodyNote] = []
    for n in sorted(notes, key=lambda x: x.onset):
        if n.onset > meter.bar_qn - GRID_QN + _EPS:
            continue
        if kept and abs(kept[-1].onset - n.onset) < _EPS:
            continue
        kept.append(n)
    out: list[MelodyNote] = []
    for i, n in enumerate(kept):
        limit = kept[i + 1].onset if i + 1 < len(kept) else meter.bar_qn
        duration = max(GRID_QN, min(n.duration, limit - n.onset))
        out.append(n if abs(duration - n.duration) < _EPS else n.with_(duration=duration))
    return tuple(out)


def _is_normal(notes: list[MelodyNote] | tuple[MelodyNote, ...], bar_qn: float) -> bool:
    """Whether :func:`normalise_bar` would keep every note as it is: onsets rising by at least
    ``_EPS``, none past the bar's last sixteenth, each duration already clipped (operators
    rebuild every bar of a genome, most of them unchanged)."""
    last = bar_qn - GRID_QN + _EPS
    for i, n in enumerate(notes):
        onset = n.onset
        if onset > last:
            return False
        if i + 1 < len(notes):
            limit = notes[i + 1].onset
            if limit - onset < _EPS:
                return False
        else:
            limit = bar_qn
        duration = n.duration
        if abs(max(GRID_QN, min(duration, limit - onset)) - duration) >= _EPS:
            return False
    return True


def splice_bars(inside: MelodyGenome, outside: MelodyGenome, first: int, last: int) -> MelodyGenome:
    """``outside``'s bars with bars ``first``..``last`` (0-based, inclusive) from ``inside``,
    on ``outside``'s base and phrases (so the kept bars sound the same); ``inside``'s contour."""
    bars = tuple(
        inside.bars[i] if first <= i <= last else bar for i, bar in enumerate(outside.bars)
    )
    return MelodyGenome(
        bars=bars, phrase_bars=outside.phrase_bars, base=outside.base, contour=inside.contour
    )


def to_data(genome: MelodyGenome) -> dict[str, Any]:
    """A JSON-ready dict: base pitch, phrase length, contours and, per bar,
    ``[onset, duration, step, velocity]``."""
    return {
        "base": genome.base,
        "phrase_bars": genome.phrase_bars,
        "contour": list(genome.contour),
        "bars": [[[n.onset, n.duration, n.step, n.velocity] for n in bar] for bar in genome.bars],
    }


def from_data(data: Mapping[str, Any]) -> MelodyGenome:
    """Inverse of :func:`to_data`. Raises ValueError naming the bad field."""
    try:
        bars = tuple(
            tuple(
                MelodyNote(onset=float(o), duration=float(d), step=int(s), velocity=int(v))
                for o, d, s, v in bar
            )
            for bar in data["bars"]
        )
        return MelodyGenome(
            bars=bars,
            phrase_bars=int(data["phrase_bars"]),
            base=int(data["base"]),
            contour=tuple(str(c) for c in data["contour"]),
        )
    except KeyError as exc:
        raise ValueError(
            f"melody genome: missing field {exc.args[0]!r} -- "
            "needs base, phrase_bars, contour, bars"
        ) from None
    except TypeError as exc:
        raise ValueError(
            f"melody genome bars: {data.get('bars')!r} -- per bar a list of "
            f"[onset, duration, step, velocity] ({exc})"
        ) from None
