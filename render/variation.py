"""A repeated section played again with variation, as a band would: the same chords and mostly
the same lines, with drum fills at phrase ends and a different last bar, bass approach notes,
melodic ornaments and a changed last phrase, and chords re-voiced (the same pitch classes in
another inversion).

Every function works on one section's notes, section-local (the section starts at quarter
note 0), and never changes its input. Variation never leaves the key: new pitches are scale
tones, chord tones of the chord sounding, or octave moves of notes already there, so the key
music21 hears stays the requested one (tested).

How much varies is measured by :func:`note_overlap` (the share of notes that match in onset
and pitch) against every earlier playing: edits are applied, the section's ending first, until
the overlap with each falls to :data:`TARGET_OVERLAP`; each edit touches one bar or phrase end,
and none takes the overlap with the first playing below :data:`MIN_OVERLAP`, so the repeat
keeps its identity. The drums' edits are in :mod:`render.drum_fills`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Final

import numpy as np

from music.keys import Key
from music.notes import Note
from render.drum_fills import drum_edits, loudest
from render.section_frame import (
    ONSET_TOL,
    Edit,
    SectionFrame,
    clamp_pitch,
    in_span,
    note_overlap,
    onset_key,
    scale_step,
)

__all__ = ["SectionFrame", "note_overlap", "revoice", "vary_phrase_loops", "vary_repeat"]

#: Stop varying once a repeat shares at most this share of notes with its first playing.
TARGET_OVERLAP: Final = 0.8
#: No edit takes a repeat below this share of notes with its first playing (identity kept).
MIN_OVERLAP: Final = 0.6


# -- bass --------------------------------------------------------------------------------------


def _approach(notes: list[Note], bar: float, key: Key, above: bool) -> list[Note]:
    """The last note before ``bar`` leads into the first note on it by a scale step, from
    ``above`` or below when it comes from neither side (its second half split off when it is
    long, else it is replaced)."""
    target = next((n for n in notes if abs(n.start - bar) < ONSET_TOL), None)
    before = [n for n in notes if n.start < bar - ONSET_TOL]
    if target is None or not before:
        return notes
    last = max(before, key=lambda n: (n.start, n.pitch))
    if last.pitch == target.pitch:
        step = -1 if above else 1
    else:
        step = -1 if last.pitch > target.pitch else 1
    tone = clamp_pitch(scale_step(key, target.pitch, -step))
    if tone == last.pitch:  # already a step away: approach from the other side
        tone = clamp_pitch(scale_step(key, target.pitch, step))
    out = [n for n in notes if n is not last]
    if last.duration >= 0.75 - ONSET_TOL:
        mid = last.start + last.duration / 2
        out += [
            Note(last.start, mid, last.pitch, last.velocity),
            Note(mid, last.end, tone, last.velocity),
        ]
    elif tone != last.pitch:
        out.append(Note(last.start, last.end, tone, last.velocity))
    else:
        out.append(last)
    return out


def _octave_up(notes: list[Note], *, start: float, end: float) -> list[Note]:
    """Notes in ``[start, end)`` off the bar's downbeat jump an octave up (within a bass's
    range)."""
    return [
        Note(n.start, n.end, n.pitch + 12, n.velocity)
        if in_span(n, start + ONSET_TOL * 2, end) and n.pitch + 12 <= 64
        else n
        for n in notes
    ]


def _octave_pop(notes: list[Note], start: float, end: float) -> list[Note]:
    """Long notes in ``[start, end)`` play their second half an octave up (a bass pop)."""
    out = []
    for n in notes:
        if in_span(n, start, end) and n.duration >= 1.0 - ONSET_TOL and n.pitch + 12 <= 67:
            mid = n.start + n.duration / 2
            out += [
                Note(n.start, mid, n.pitch, n.velocity),
                Note(mid, n.end, n.pitch + 12, n.velocity),
            ]
        else:
            out.append(n)
    return out


def _bass_edits(frame: SectionFrame, rng: np.random.Generator) -> list[Edit]:
    edits: list[Edit] = []
    bars = [b * frame.bar_qn for b in range(1, frame.bars)]
    phrase_starts = [
        b for b in bars if abs(b / frame.phrase_qn - round(b / frame.phrase_qn)) < 1e-6
    ]
    for b in [*reversed(phrase_starts), *(b for b in reversed(bars) if b not in phrase_starts)]:
        above = bool(rng.integers(2))
        edits.append(partial(_approach, bar=b, key=frame.key, above=above))
    last = frame.length_qn - frame.bar_qn
    edits.append(lambda ns: _octave_pop(ns, last, frame.length_qn))
    for b in range(frame.bars - 1, -1, -2):
        s = b * frame.bar_qn
        edits.append(partial(_octave_up, start=s, end=s + frame.bar_qn))
    return edits


# -- melody ------------------------------------------------------------------------------------


def _sounding_pcs(chords: Sequence[Note], at: float) -> set[int]:
    return {n.pitch % 12 for n in chords if n.start - ONSET_TOL <= at < n.end}


def _other_chord_tone(pitch: int, pcs: set[int], key: Key, up: bool) -> int:
    """The nearest chord tone other than ``pitch``, preferring ``up`` (a scale third away when
    no chord sounds)."""
    if not pcs:
        return scale_step(key, pitch, 2 if up else -2)
    sign = 1 if up else -1
    for d in (3, 4, -3, -4, 2, 5, -2, -5, 1, -1):
        if (pitch + sign * d) % 12 in pcs and d % 12:
            return pitch + sign * d
    return pitch


def _spans(notes: Sequence[Note]) -> dict[int, float]:
    """Each note's inter-onset span (to the next later onset, or its own end), by ``id``."""
    onsets = sorted({n.start for n in notes})
    nxt = dict(zip(onsets, [*onsets[1:], None], strict=True))
    return {id(n): (nxt[n.start] or n.end) - n.start for n in notes}


def _change_bar(
    notes: list[Note], start: float, end: float, chords: Sequence[Note], key: Key, up: bool
) -> list[Note]:
    """Notes on a beat in ``[start, end)`` lasting an eighth or longer move to another tone of
    the chord under them, all the same way (the phrase answers a third higher or lower)."""
    span = _spans(notes)
    out = []
    for n in notes:
        on_beat = abs(n.start - round(n.start)) < ONSET_TOL
        if in_span(n, start, end) and on_beat and span[id(n)] >= 0.5 - ONSET_TOL:
            p = _other_chord_tone(n.pitch, _sounding_pcs(chords, n.start), key, up)
            out.append(Note(n.start, n.end, clamp_pitch(p), n.velocity))
        else:
            out.append(n)
    return out


def _ornament(notes: list[Note], start: float, end: float, key: Key) -> list[Note]:
    """Notes of a beat or longer in ``[start, end)`` followed by a leap of a third get a
    passing tone, and those followed by the same pitch or a step a neighbour tone, in the
    second half of their sounding length."""
    ordered = sorted(notes, key=lambda n: (n.start, n.pitch))
    span = _spans(ordered)
    out = []
    for n, nxt in zip(ordered, [*ordered[1:], None], strict=True):
        long = span[id(n)] >= 1.0 - ONSET_TOL and n.duration >= 0.5 - ONSET_TOL
        if not (in_span(n, start, end) and long and nxt is not None):
            out.append(n)
            continue
        gap = nxt.pitch - n.pitch
        if 3 <= abs(gap) <= 4:
            tone = scale_step(key, n.pitch, 1 if gap > 0 else -1)
        elif abs(gap) <= 2:
            tone = scale_step(key, n.pitch, 1)
        else:
            out.append(n)
            continue
        mid = n.start + n.duration / 2
        out += [
            Note(n.start, mid, n.pitch, n.velocity),
            Note(mid, n.end, clamp_pitch(tone), n.velocity),
        ]
    return out


def _anticipate(notes: list[Note], bar: float, keep: frozenset[int]) -> list[Note]:
    """The note on ``bar`` comes an eighth early (the note before it is shortened), unless it
    carries a syllable (an onset in ``keep``)."""
    target = next((n for n in notes if abs(n.start - bar) < ONSET_TOL), None)
    before = [n for n in notes if n.start < bar - 0.5 - ONSET_TOL and n.end > bar - 0.5]
    if target is None or onset_key(target.start) in keep or len(before) != 1 or bar < 0.5:
        return notes
    prev = before[0]
    out = [n for n in notes if n is not target and n is not prev]
    out += [
        Note(prev.start, bar - 0.5, prev.pitch, prev.velocity),
        Note(bar - 0.5, target.end, target.pitch, target.velocity),
    ]
    return out


def _melody_edits(
    frame: SectionFrame,
    chords: Sequence[Note],
    lyric_onsets: frozenset[int],
    rng: np.random.Generator,
) -> list[Edit]:
    up = bool(rng.integers(2))
    last = max(0.0, frame.length_qn - frame.phrase_qn)
    bars = [b * frame.bar_qn for b in range(frame.bars) if b * frame.bar_qn >= last - ONSET_TOL]
    changes: list[Edit] = [
        partial(_change_bar, start=b, end=b + frame.bar_qn, chords=chords, key=frame.key, up=up)
        for b in reversed(bars)
    ]
    ornaments: list[Edit] = [
        partial(
            _ornament,
            start=p * frame.phrase_qn,
            end=(p + 1) * frame.phrase_qn,
            key=frame.key,
        )
        for p in range(max(1, round(frame.length_qn / frame.phrase_qn)))
    ]
    # a changed ending first, then ornaments and more of the last phrase in turn
    edits: list[Edit] = [changes[0]]
    for k in range(max(len(changes), len(ornaments) + 1)):
        edits += ornaments[k : k + 1] + changes[k + 1 : k + 2]
    for b in range(1, frame.bars):
        edits.append(partial(_anticipate, bar=b * frame.bar_qn, keep=lyric_onsets))
    return edits


# -- chords ------------------------------------------------------------------------------------


def revoice(
    notes: Sequence[Note], start: float, end: float, voices: int, floor: int | None = None
) -> list[Note]:
    """Chords starting in ``[start, end)`` in a lower inversion: their top ``voices`` notes an
    octave down (the same pitch classes, so the harmony is unchanged), none below ``floor``
    (default: a fourth under the lowest note of ``notes``)."""
    lowest = floor if floor is not None else min((n.pitch for n in notes), default=60) - 5
    by_onset: dict[int, list[Note]] = {}
    for n in notes:
        if in_span(n, start, end):
            by_onset.setdefault(onset_key(n.start), []).append(n)
    moved: dict[int, Note] = {}
    for group in by_onset.values():
        if len(group) < 3:
            continue
        low = min(n.pitch for n in group)
        for n in sorted(group, key=lambda n: -n.pitch)[:voices]:
            if n.pitch - 12 >= max(24, low - 12, lowest):
                moved[id(n)] = Note(n.start, n.end, n.pitch - 12, n.velocity)
    return [moved.get(id(n), n) for n in notes]


def _chord_edits(frame: SectionFrame, rng: np.random.Generator, floor: int | None) -> list[Edit]:
    edits: list[Edit] = []
    ends = frame.phrase_ends()
    starts = [b * frame.bar_qn for b in range(frame.bars)]
    order = [*ends, *(s for s in reversed(starts) if round(s, 6) not in ends)]
    for s in order:
        voices = int(rng.integers(1, 3))
        edits.append(partial(revoice, start=s, end=s + frame.bar_qn, voices=voices, floor=floor))
    return edits


# -- the repeat --------------------------------------------------------------------------------


def apply_until(
    notes: Sequence[Note],
    edits: Sequence[Edit],
    *,
    earlier: Sequence[Sequence[Note]] = (),
    target: float = TARGET_OVERLAP,
) -> list[Note]:
    """Apply ``edits`` to ``notes`` in order until the result's overlap with every earlier
    playing (default: ``notes`` itself) is at most ``target``; an edit that would take the
    overlap with the first playing below :data:`MIN_OVERLAP` is skipped."""
    refs = [list(e) for e in earlier] or [list(notes)]
    out = list(notes)
    for edit in edits:
        if max(note_overlap(r, out) for r in refs) <= target:
            break
        trial = edit(out)
        if note_overlap(refs[0], trial) >= MIN_OVERLAP:
            out = trial
    return out


def vary_repeat(
    notes: Sequence[Note],
    *,
    part: str,
    is_drum: bool,
    frame: SectionFrame,
    rng: np.random.Generator,
    earlier: Sequence[Sequence[Note]] = (),
    chords: Sequence[Note] = (),
    lyric_onsets: frozenset[int] = frozenset(),
) -> list[Note]:
    """A repeat of a section's ``notes`` for ``part`` (section-local), varied as its part
    plays it (module docstring) until it differs enough from each of ``earlier`` (the
    section's earlier playings as heard, the first first; default ``notes``). The first edit
    (the section's ending) always leads; ``rng`` orders the rest, so each repeat varies in its
    own way. ``chords``: the section's chord notes (the melody's changed phrase moves to
    their tones); ``lyric_onsets``: onsets (:func:`~render.section_frame.onset_key`) carrying
    a syllable, which keep their place."""
    if not notes:
        return []
    if is_drum:
        edits = drum_edits(frame, rng, loudest(notes))
    elif part == "bass":
        edits = _bass_edits(frame, rng)
    elif part == "chords":
        floor = min(n.pitch for n in [*notes, *(earlier[0] if earlier else ())]) - 5
        edits = _chord_edits(frame, rng, floor)
    else:
        edits = _melody_edits(frame, chords, lyric_onsets, rng)
    order = [0, *(1 + rng.permutation(len(edits) - 1))] if edits else []
    varied = apply_until(notes, [edits[int(i)] for i in order], earlier=earlier)
    return [n for n in varied if n.end <= frame.length_qn + ONSET_TOL]


def vary_phrase_loops(notes: Sequence[Note], *, frame: SectionFrame, loop_qn: float) -> list[Note]:
    """Chords that loop a phrase inside a section: each later pass re-voices its last bar, so
    the phrase does not come back note for note."""
    out = list(notes)
    passes = round(frame.length_qn / loop_qn)
    for k in range(1, passes):
        end = min(frame.length_qn, (k + 1) * loop_qn)
        out = revoice(out, end - frame.bar_qn, end, 1 + k % 2)
    return out
