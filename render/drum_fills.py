"""Drums in a repeat or an ending: fills (sixteenths walking down the toms), a crash on a
downbeat, hats that open or move to the ride; and the ordered edits a repeated section's drums
get (:func:`drum_edits`). General MIDI percussion notes (channel 10)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Final

import numpy as np

from music.gm import (
    CLOSED_HH,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    OPEN_HH,
    PEDAL_HH,
    RIDE,
    SNARE,
)
from music.notes import Note
from render.section_frame import ONSET_TOL, Edit, SectionFrame, in_span

HATS: Final = frozenset({CLOSED_HH, PEDAL_HH, OPEN_HH})
#: Drum hits last a sixteenth (their sound is the sample's own decay).
HIT_QN: Final = 0.25
#: Fill voices, high to low: each fill walks down one of these.
FILLS: Final[tuple[tuple[int, ...], ...]] = (
    (SNARE, SNARE, HIGH_TOM, HIGH_TOM, MID_TOM, MID_TOM, LOW_TOM, LOW_TOM),
    (HIGH_TOM, MID_TOM, LOW_TOM, SNARE),
    (SNARE, SNARE, SNARE, SNARE, HIGH_TOM, LOW_TOM),
)


def drum_fill(
    notes: Sequence[Note], start: float, end: float, *, pattern: int, velocity: int
) -> list[Note]:
    """``notes`` with the span ``[start, end)`` replaced by a fill: sixteenths walking down
    ``FILLS[pattern]`` (cycled) in a crescendo; kicks on the span's beats are kept."""
    if end - start < HIT_QN - ONSET_TOL:
        return list(notes)
    kept = [n for n in notes if not in_span(n, start, end) or n.pitch == KICK]
    voices = FILLS[pattern % len(FILLS)]
    steps = round((end - start) / HIT_QN)
    for i in range(steps):
        q = start + i * HIT_QN
        vel = int(min(127, max(1, round(velocity * (0.75 + 0.3 * i / max(1, steps - 1))))))
        kept.append(Note(q, q + HIT_QN, voices[i % len(voices)], vel))
    return kept


def loudest(notes: Sequence[Note], default: int = 100) -> int:
    return max((n.velocity for n in notes), default=default)


def with_crash(notes: Sequence[Note], at: float, velocity: int) -> list[Note]:
    """``notes`` with a crash (and a kick) on ``at`` unless one is already there."""
    out = list(notes)
    here = {n.pitch for n in notes if abs(n.start - at) < ONSET_TOL}
    if CRASH not in here:
        out.append(Note(at, at + HIT_QN, CRASH, velocity))
    if KICK not in here:
        out.append(Note(at, at + HIT_QN, KICK, velocity))
    return out


def drum_edits(frame: SectionFrame, rng: np.random.Generator, loud: int) -> list[Edit]:
    ends = frame.phrase_ends()
    last = ends[0]
    pattern = int(rng.integers(len(FILLS)))
    beat = min(1.0, frame.bar_qn)
    edits: list[Edit] = [
        # a different last bar: a half-bar fill
        lambda ns: drum_fill(
            ns, last + frame.bar_qn / 2, last + frame.bar_qn, pattern=pattern, velocity=loud
        ),
    ]
    for k, end in enumerate(ends[1:], start=1):
        # a short fill into the next phrase, and a crash on its downbeat
        def inner(ns: list[Note], end: float = end, k: int = k) -> list[Note]:
            bar_end = end + frame.bar_qn
            filled = drum_fill(ns, bar_end - beat, bar_end, pattern=pattern + k, velocity=loud)
            return with_crash(filled, bar_end, loud)

        edits.append(inner)
    # a pickup on the snare at the half-phrase ends
    per = max(1, round(frame.phrase_qn / frame.bar_qn))
    for b in range(1, frame.bars):
        q = b * frame.bar_qn
        if per >= 2 and b % per == per // 2:
            edits.append(partial(drum_fill, start=q - beat / 2, end=q, pattern=2, velocity=loud))
    # the hats open on the bar's last off-beat in the later phrases
    later = frame.phrase_qn if frame.length_qn > frame.phrase_qn else 0.0
    edits.append(lambda ns: _open_hats(ns, later, frame))
    # the ride takes over the section's end, a bar more at a time
    for k in range(1, frame.bars):
        start = frame.length_qn - k * frame.bar_qn
        edits.append(partial(_hats_to_ride, start=start, end=frame.length_qn))
    return edits


def _open_hats(notes: Sequence[Note], start: float, frame: SectionFrame) -> list[Note]:
    out = []
    for n in notes:
        pos = (n.start % frame.bar_qn) / frame.bar_qn
        if n.pitch in HATS and n.start >= start - ONSET_TOL and pos > 0.8:
            out.append(Note(n.start, n.end, OPEN_HH, n.velocity))
        else:
            out.append(n)
    return out


def _hats_to_ride(notes: Sequence[Note], start: float, end: float) -> list[Note]:
    return [
        Note(n.start, n.end, RIDE, n.velocity)
        if n.pitch == CLOSED_HH and in_span(n, start, end)
        else n
        for n in notes
    ]
