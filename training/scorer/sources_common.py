"""Clips of real music for the scorer corpus, and the pieces every source shares.

A :class:`Clip` is up to 32 quarter notes of one song (parts, tempo, meter) plus what its source
says about it (:class:`ClipInfo`: key, whether the tempo is known, style words, ensemble, section,
chords). Text is written from these facts and from measurements of the notes
(:mod:`training.scorer.text`), never from our color rules.

Splits are by song: :func:`split_of` hashes the song id, so every clip of a song lands in the
same split on every machine and every run.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from scoring.midi_features import WINDOW_QN

SPLITS: Final = ("train", "val", "test")
#: Cumulative shares of train and val; the rest is test.
_SPLIT_EDGES: Final = (0.8, 0.9)
#: Default tempo for sources that do not state one (the text then says nothing about tempo).
UNKNOWN_BPM: Final = 100.0
#: A window shorter than this (quarter notes) is not worth a clip.
MIN_CLIP_QN: Final = 8.0


@dataclass(frozen=True, slots=True)
class ChordEvent:
    """A chord symbol sounding for ``qn`` quarter notes from ``start`` (quarter notes).

    ``intervals`` are semitones above the root (may exceed 12 for extensions); ``bass`` is the
    slash bass in semitones above the root (0 for root position)."""

    start: float
    qn: float
    root: int
    intervals: tuple[int, ...]
    bass: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.root <= 11:
            raise ValueError(f"ChordEvent.root: {self.root!r} -- a pitch class 0..11")
        if not (self.qn > 0 and math.isfinite(self.qn)):
            raise ValueError(f"ChordEvent.qn: {self.qn!r} -- a positive length in quarter notes")
        if not self.intervals:
            raise ValueError("ChordEvent.intervals: () -- at least the root (0)")

    @property
    def pitch_classes(self) -> frozenset[int]:
        return frozenset((self.root + i) % 12 for i in self.intervals)

    @property
    def is_extended(self) -> bool:
        """A seventh, sixth, ninth or richer chord (not a triad, power chord or bare root)."""
        return len({i % 12 for i in self.intervals}) >= 4

    def shifted(self, qn: float) -> ChordEvent:
        return ChordEvent(self.start + qn, self.qn, self.root, self.intervals, self.bass)


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """What the source says about a clip (facts, not labels we invent)."""

    source: str
    song_id: str
    key: Key | None
    tempo_known: bool
    style: tuple[str, ...]
    ensemble: tuple[str, ...]
    section: str | None = None
    era: str | None = None
    chords: tuple[ChordEvent, ...] = ()
    swing: bool = False


@dataclass(frozen=True, slots=True)
class Clip:
    """One window of a song: parts start at 0 and end by 32 quarter notes."""

    parts: tuple[Part, ...]
    bpm: float
    meter: Meter
    info: ClipInfo
    split: str = field(default="train")

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"Clip.split: {self.split!r} -- one of {', '.join(SPLITS)}")


def song_hash(song_id: str) -> float:
    """A stable number in [0, 1) from the song id (SHA-1; independent of PYTHONHASHSEED)."""
    digest = hashlib.sha1(song_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_of(song_id: str) -> str:
    """``train`` / ``val`` / ``test`` (about 80/10/10) for a song id, the same on every run."""
    h = song_hash(song_id)
    if h < _SPLIT_EDGES[0]:
        return "train"
    if h < _SPLIT_EDGES[1]:
        return "val"
    return "test"


def window_starts(length_qn: float, meter: Meter, *, max_windows: int) -> list[float]:
    """Bar-aligned starts of consecutive 32-qn windows over ``length_qn`` quarter notes; a last
    partial window counts when it holds at least :data:`MIN_CLIP_QN`."""
    bars_per_window = max(1, math.floor(WINDOW_QN / meter.bar_qn + 1e-9))
    step = bars_per_window * meter.bar_qn
    starts: list[float] = []
    t = 0.0
    while t < length_qn - 1e-9 and len(starts) < max_windows:
        if length_qn - t >= MIN_CLIP_QN or not starts:
            starts.append(t)
        t += step
    return starts


def cut(parts: Sequence[Part], start: float, length: float = WINDOW_QN) -> tuple[Part, ...]:
    """Notes starting in ``[start, start + length)``, moved to start at 0 and cut at ``length``.
    Parts left empty are dropped."""
    out: list[Part] = []
    for p in parts:
        notes = tuple(
            Note(n.start - start, min(n.end - start, length), n.pitch, n.velocity)
            for n in p.notes
            if start - 1e-9 <= n.start < start + length - 1e-9
        )
        if notes:
            out.append(Part(p.name, notes, program=p.program, is_drum=p.is_drum, meta=p.meta))
    return tuple(out)


def cut_chords(
    chords: Sequence[ChordEvent], start: float, length: float = WINDOW_QN
) -> tuple[ChordEvent, ...]:
    """Chord events overlapping ``[start, start + length)``, moved to start at 0."""
    out = []
    for c in chords:
        a, b = max(c.start, start), min(c.start + c.qn, start + length)
        if b - a > 1e-9:
            out.append(ChordEvent(a - start, b - a, c.root, c.intervals, c.bass))
    return tuple(out)


def windows(
    parts: Sequence[Part], meter: Meter, *, max_windows: int, chords: Sequence[ChordEvent] = ()
) -> Iterator[tuple[tuple[Part, ...], tuple[ChordEvent, ...]]]:
    """Consecutive bar-aligned 32-qn windows of a song with notes in them."""
    end = max((n.end for p in parts for n in p.notes), default=0.0)
    for s in window_starts(end, meter, max_windows=max_windows):
        clip_parts = cut(parts, s)
        if clip_parts:
            yield clip_parts, cut_chords(chords, s)


# --- realising chord symbols as MIDI ------------------------------------------------------

#: Comping patterns: "hold" (once per chord), "beats" (every felt beat), "offbeats" (the change,
#: then the middle of each felt beat), "eighths" (every eighth note).
COMPING: Final = ("hold", "beats", "offbeats", "eighths")


def voice_chord(
    chord: ChordEvent, *, previous_centre: float, low: int = 52, high: int = 76
) -> tuple[int, ...]:
    """Close-position voicing of the chord's pitch classes (extensions folded in), the inversion
    whose centre is nearest ``previous_centre`` (MIDI pitch), kept inside ``[low, high]``."""
    pcs = sorted({(chord.root + i) % 12 for i in chord.intervals})
    best: tuple[int, ...] = ()
    best_cost = math.inf
    for inversion in range(len(pcs)):
        order = pcs[inversion:] + pcs[:inversion]
        for first in range(low, high + 1):
            if first % 12 != order[0]:
                continue
            pitches = [first]
            for pc in order[1:]:
                pitches.append(pitches[-1] + (pc - pitches[-1]) % 12)
            if len(pitches) == 1:  # a bare root: octave doubling
                pitches.append(first + 12)
            if pitches[-1] > high:
                continue
            cost = abs(float(np.mean(pitches)) - previous_centre)
            if cost < best_cost:
                best, best_cost = tuple(pitches), cost
    if not best:  # wider than the range: stack upwards from the bottom of it
        first = low + (pcs[0] - low) % 12
        stacked = [first]
        for pc in pcs[1:]:
            stacked.append(stacked[-1] + (pc - stacked[-1]) % 12)
        best = tuple(stacked)
    return best


def realise_chords(
    chords: Sequence[ChordEvent],
    meter: Meter,
    *,
    comping: str,
    bass_every_beat: bool,
    velocity: int = 72,
    centre: float = 62.0,
) -> tuple[Part, Part]:
    """Chord symbols as a voiced chord part and a simple bass part (root or slash bass in
    octave 2, on each chord change and, with ``bass_every_beat``, on every felt beat)."""
    if comping not in COMPING:
        raise ValueError(f"comping: {comping!r} -- one of {', '.join(COMPING)}")
    beat_offsets = meter.beat_offsets_qn()
    bar = meter.bar_qn
    chord_notes: list[Note] = []
    bass_notes: list[Note] = []
    for c in chords:
        pitches = voice_chord(c, previous_centre=centre)
        centre = float(np.mean(pitches))
        end = c.start + c.qn
        onsets = _comp_onsets(c.start, end, comping, beat_offsets, bar, meter.unit_qn)
        for i, t in enumerate(onsets):
            stop = onsets[i + 1] if comping == "hold" and i + 1 < len(onsets) else end
            if comping != "hold":
                stop = min(end, t + max(0.25, _gap(onsets, i, end) * 0.9))
            vel = min(127, velocity + (8 if _on_beat(t, beat_offsets, bar) else 0))
            chord_notes.extend(Note(t, stop, p, vel) for p in pitches)
        bass_pc = (c.root + c.bass) % 12
        bass_pitch = 36 + (bass_pc - 36) % 12  # C2..B2
        bass_onsets = (
            _comp_onsets(c.start, end, "beats", beat_offsets, bar, meter.unit_qn)
            if bass_every_beat
            else [c.start]
        )
        for i, t in enumerate(bass_onsets):
            stop = bass_onsets[i + 1] if i + 1 < len(bass_onsets) else end
            bass_notes.append(Note(t, max(stop, t + 0.25), bass_pitch, min(127, velocity + 10)))
    return (
        Part("chords", tuple(chord_notes), program=0),
        Part("bass", tuple(bass_notes), program=33),
    )


def _gap(onsets: Sequence[float], i: int, end: float) -> float:
    return (onsets[i + 1] if i + 1 < len(onsets) else end) - onsets[i]


def _on_beat(t: float, beat_offsets: Sequence[float], bar: float) -> bool:
    pos = t % bar
    return any(abs(pos - b) < 1e-6 for b in beat_offsets)


def _comp_onsets(
    start: float, end: float, comping: str, beat_offsets: Sequence[float], bar: float, unit: float
) -> list[float]:
    """Onset times of a comping pattern between ``start`` and ``end`` (quarter notes)."""
    if comping == "hold":
        return [start]
    grid: list[float] = []
    bar_start = math.floor(start / bar + 1e-9) * bar
    while bar_start < end - 1e-9:
        for k, b in enumerate(beat_offsets):
            nxt = beat_offsets[k + 1] if k + 1 < len(beat_offsets) else bar
            if comping == "beats":
                grid.append(bar_start + b)
            elif comping == "offbeats":
                grid.append(bar_start + b + (nxt - b) / 2 if nxt - b > unit else bar_start + b)
            else:  # eighths
                t = b
                while t < nxt - 1e-9:
                    grid.append(bar_start + t)
                    t += 0.5
        bar_start += bar
    onsets = [t for t in grid if start - 1e-9 <= t < end - 1e-9]
    if not onsets or onsets[0] > start + 1e-9:
        onsets.insert(0, start)  # the chord always sounds when it changes
    return onsets


#: Chord templates for naming block chords: semitone sets above the root, richest first.
_TEMPLATES: Final[tuple[frozenset[int], ...]] = tuple(
    frozenset(t)
    for t in (
        (0, 4, 7, 10, 2), (0, 4, 7, 11, 2), (0, 3, 7, 10, 2), (0, 4, 7, 10), (0, 4, 7, 11),
        (0, 3, 7, 10), (0, 3, 6, 10), (0, 3, 6, 9), (0, 3, 7, 11), (0, 4, 7, 9), (0, 3, 7, 9),
        (0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8), (0, 5, 7), (0, 2, 7), (0, 7),
    )
)  # fmt: skip


def name_block_chord(pitches: Sequence[int]) -> tuple[int, tuple[int, ...], int]:
    """(root pitch class, intervals above it, bass interval) of simultaneous pitches: the root
    is the pitch class whose intervals fit the richest template; else the lowest note."""
    if not pitches:
        raise ValueError("pitches: () -- at least one pitch")
    pcs = {p % 12 for p in pitches}
    lowest = min(pitches) % 12
    for template in _TEMPLATES:
        for root in sorted(pcs, key=lambda pc: (pc != lowest, pc)):
            rel = frozenset((pc - root) % 12 for pc in pcs)
            if rel == frozenset(i % 12 for i in template):
                intervals = tuple(sorted(i if i in template else i % 12 for i in template))
                return root, intervals, (lowest - root) % 12
    rel_low = tuple(sorted((pc - lowest) % 12 for pc in pcs))
    return lowest, rel_low, 0


def chord_events_from_part(part: Part) -> tuple[ChordEvent, ...]:
    """Block chords (notes sharing an onset) as chord events, each lasting to the next onset
    or its longest note."""
    by_start: dict[float, list[Note]] = {}
    for n in part.notes:
        by_start.setdefault(round(n.start, 4), []).append(n)
    starts = sorted(by_start)
    events = []
    for i, s in enumerate(starts):
        group = by_start[s]
        stop = max(n.end for n in group)
        if i + 1 < len(starts):
            stop = min(stop, starts[i + 1]) if stop > starts[i + 1] else stop
        root, intervals, bass = name_block_chord([n.pitch for n in group])
        if stop > s:
            events.append(ChordEvent(s, stop - s, root, intervals, bass))
    return tuple(events)
