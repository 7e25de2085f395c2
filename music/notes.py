"""Note and part value types. Times are in quarter-note beats (qn) from the start.

A part's sung text travels in its ``meta`` under :data:`LYRIC_EVENTS_META` as JSON
``[[start_qn, text], ...]`` (one syllable per note onset); :func:`lyric_events` reads it and
:func:`with_lyric_events` sets it. ``music.midi_io`` writes those events as MIDI ``lyrics``
meta events on the part's track and reads them back.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import attrgetter

DRUM_CHANNEL = 9
LYRIC_EVENTS_META = "lyric_events"


def _is_int(value: object) -> bool:
    if type(value) is int:  # the common case, without the slow abstract-class check
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True, order=True)
class Note:
    """One note: MIDI pitch 0..127, start and end in quarter notes, velocity 1..127."""

    start: float
    end: float
    pitch: int
    velocity: int = 90

    def __post_init__(self) -> None:
        if not _is_int(self.pitch) or not 0 <= self.pitch <= 127:
            raise ValueError(f"Note.pitch: {self.pitch!r} -- a MIDI note number 0..127")
        if not _is_int(self.velocity) or not 1 <= self.velocity <= 127:
            raise ValueError(f"Note.velocity: {self.velocity!r} -- an integer 1..127")
        # NaN passes every comparison below, so finiteness is checked first.
        if not math.isfinite(self.start) or self.start < 0:
            raise ValueError(f"Note.start: {self.start!r} -- a finite time >= 0 (quarter notes)")
        if not math.isfinite(self.end):
            raise ValueError(f"Note.end: {self.end!r} -- a finite time (quarter notes)")
        if self.end <= self.start:
            raise ValueError(
                f"Note.end: {self.end!r} -- must be after its start {self.start!r} (quarter notes)"
            )

    @property
    def duration(self) -> float:
        return self.end - self.start

    def shifted(self, qn: float) -> Note:
        return Note(
            start=self.start + qn, end=self.end + qn, pitch=self.pitch, velocity=self.velocity
        )


@lru_cache(maxsize=8192, typed=True)
def shared_note(start: float, end: float, pitch: int, velocity: int) -> Note:
    """The Note of these values, made (and checked) once: the candidates of one phase share
    most of their notes, and Notes are frozen, so one object serves every part that plays it
    (``typed``: ``1`` and ``1.0`` stay apart, as the MIDI and JSON written from them do)."""
    return Note(start=start, end=end, pitch=pitch, velocity=velocity)


# The fields in the order the generated comparisons of ``Note`` compare them.
_NOTE_ORDER = attrgetter("start", "end", "pitch", "velocity")


def sorted_notes(notes: Iterable[Note]) -> list[Note]:
    """``sorted(notes)`` in the same order (time, then end, pitch, velocity; ties keep their
    order), sorting by field tuples instead of calling the dataclass comparison per pair."""
    return sorted(notes, key=_NOTE_ORDER)


def last_note(notes: Iterable[Note]) -> Note:
    """``max(notes)`` (the latest by time, then end, pitch, velocity), comparing field tuples
    instead of calling the dataclass comparison per pair."""
    return max(notes, key=_NOTE_ORDER)


def clip_notes(notes: Iterable[Note], end_qn: float) -> tuple[Note, ...]:
    """``notes`` without what sounds at or after ``end_qn``: notes starting there or later are
    left out, notes crossing it are cut at it."""
    return tuple(
        n
        if n.end <= end_qn
        else Note(start=n.start, end=end_qn, pitch=n.pitch, velocity=n.velocity)
        for n in notes
        if n.start < end_qn - 1e-9
    )


@dataclass(frozen=True, slots=True)
class Part:
    """A named track: GM program 0..127 (ignored for drums), notes sorted by start."""

    name: str
    notes: tuple[Note, ...]
    program: int = 0
    is_drum: bool = False
    meta: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if not _is_int(self.program) or not 0 <= self.program <= 127:
            raise ValueError(f"Part.program: {self.program!r} -- a GM program number 0..127")
        if not self.name.strip():
            raise ValueError(f"Part.name: {self.name!r} -- a non-empty track name")
        object.__setattr__(self, "notes", tuple(sorted_notes(self.notes)))

    @property
    def end(self) -> float:
        """Last note-off, in quarter notes (0 for an empty part)."""
        return max((n.end for n in self.notes), default=0.0)

    def renamed(self, name: str) -> Part:
        return Part(
            name=name, notes=self.notes, program=self.program, is_drum=self.is_drum, meta=self.meta
        )


def lyric_events(part: Part) -> tuple[tuple[float, str], ...]:
    """The ``(start_qn, text)`` lyric events attached to a part, in time order (empty when
    none)."""
    for key, value in part.meta:
        if key == LYRIC_EVENTS_META:
            return tuple(sorted((float(t), str(text)) for t, text in json.loads(value)))
    return ()


def with_lyric_events(part: Part, events: Iterable[tuple[float, str]]) -> Part:
    """``part`` with its lyric events replaced by ``events`` (none: the entry is dropped)."""
    kept = tuple((k, v) for k, v in part.meta if k != LYRIC_EVENTS_META)
    timed = sorted((round(float(t), 6), str(text)) for t, text in events)
    if timed:
        kept += ((LYRIC_EVENTS_META, json.dumps(timed)),)
    return replace(part, meta=kept)
