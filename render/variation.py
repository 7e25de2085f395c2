"""A repeated section played again with variation, as a band would: the same chords and mostly
the same lines, with drum fills at phrase ends and a different last bar, bass approach notes,
melodic ornaments and a changed last phrase, and chords re-voiced (the same pitch classes in
another inversion).

Every function works on one section's notes, section-local (the section starts at quarter
note 0), and never changes its input. Variation never leaves the key: new pitches are scale
tones, chord tones of the chord sounding, or octave moves of notes already there, so the key
music21 hears stays the requested one (tested).

How much varies is measured by :func:`note_overlap` (the share of notes that match in onset
and pitch) against the first playing: edits are applied in a musical order (phrase ends first)
until the overlap falls to :data:`TARGET_OVERLAP`; each edit touches one bar or phrase end, so
the repeat keeps its identity (the overlap stays well above :data:`MIN_OVERLAP`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final

import numpy as np

from music.keys import Key
from music.notes import Note

#: Stop varying once a repeat shares at most this share of notes with its first playing.
TARGET_OVERLAP: Final = 0.8
#: A repeat shares at least this share of notes with its first playing (identity kept).
MIN_OVERLAP: Final = 0.4
#: Onsets closer than this (quarter notes) are the same onset.
ONSET_TOL: Final = 1e-3

# General MIDI percussion (channel 10) notes the drum variations play.
KICK: Final = 36
SNARE: Final = 38
CLOSED_HH: Final = 42
PEDAL_HH: Final = 44
OPEN_HH: Final = 46
CRASH: Final = 49
RIDE: Final = 51
LOW_TOM: Final = 45
MID_TOM: Final = 47
HIGH_TOM: Final = 50
HATS: Final = frozenset({CLOSED_HH, PEDAL_HH, OPEN_HH})
#: Drum hits last a sixteenth (their sound is the sample's own decay).
HIT_QN: Final = 0.25
#: Fill voices, high to low: each fill walks down one of these.
FILLS: Final[tuple[tuple[int, ...], ...]] = (
    (SNARE, SNARE, HIGH_TOM, HIGH_TOM, MID_TOM, MID_TOM, LOW_TOM, LOW_TOM),
    (HIGH_TOM, MID_TOM, LOW_TOM, SNARE),
    (SNARE, SNARE, SNARE, SNARE, HIGH_TOM, LOW_TOM),
)

Edit = Callable[[list[Note]], list[Note]]


@dataclass(frozen=True, slots=True)
class SectionFrame:
    """Where a section's notes sit: its length, bar and phrase (quarter notes) and the key."""

    length_qn: float
    bar_qn: float
    phrase_qn: float
    key: Key

    @property
    def bars(self) -> int:
        return max(1, round(self.length_qn / self.bar_qn))

    def phrase_ends(self) -> list[float]:
        """Starts of the phrase-end bars, the section's last bar first, then earlier phrases'."""
        phrases = max(1, round(self.length_qn / self.phrase_qn))
        ends = [min(self.length_qn, (p + 1) * self.phrase_qn) - self.bar_qn for p in range(phrases)]
        return sorted({round(e, 6) for e in ends if e >= 0}, reverse=True)


def _onset(q: float) -> int:
    return round(q / ONSET_TOL)


def note_overlap(a: Sequence[Note], b: Sequence[Note]) -> float:
    """The share of notes matching in onset and pitch: matched pairs (one to one) over the
    larger count; 1.0 when both are empty."""
    if not a and not b:
        return 1.0
    ca = Counter((_onset(n.start), n.pitch) for n in a)
    cb = Counter((_onset(n.start), n.pitch) for n in b)
    return sum((ca & cb).values()) / max(len(a), len(b))


def _in(n: Note, start: float, end: float) -> bool:
    return start - ONSET_TOL <= n.start < end - ONSET_TOL


def _scale_step(key: Key, pitch: int, step: int) -> int:
    """The scale tone ``step`` scale steps from ``pitch`` (+1 up, -1 down); a pitch outside the
    scale moves to the nearest scale tone that way first."""
    p = pitch
    for _ in range(abs(step)):
        p += 1 if step > 0 else -1
        while not key.contains(p):
            p += 1 if step > 0 else -1
    return p


def _clamp_pitch(p: int) -> int:
    return max(0, min(127, p))


# -- drums -------------------------------------------------------------------------------------


def drum_fill(
    notes: Sequence[Note], start: float, end: float, *, pattern: int, velocity: int
) -> list[Note]:
    """``notes`` with the span ``[start, end)`` replaced by a fill: sixteenths walking down
    ``FILLS[pattern]`` (cycled) in a crescendo; kicks on the span's beats are kept."""
    if end - start < HIT_QN - ONSET_TOL:
        return list(notes)
    kept = [n for n in notes if not _in(n, start, end) or n.pitch == KICK]
    voices = FILLS[pattern % len(FILLS)]
    steps = round((end - start) / HIT_QN)
    for i in range(steps):
        q = start + i * HIT_QN
        vel = int(min(127, max(1, round(velocity * (0.75 + 0.3 * i / max(1, steps - 1))))))
        kept.append(Note(q, q + HIT_QN, voices[i % len(voices)], vel))
    return kept


def _loudest(notes: Sequence[Note], default: int = 100) -> int:
    return max((n.velocity for n in notes), default=default)


def _span_fill(
    notes: list[Note], *, start: float, end: float, pattern: int, velocity: int
) -> list[Note]:
    return drum_fill(notes, start, end, pattern=pattern, velocity=velocity)


def with_crash(notes: Sequence[Note], at: float, velocity: int) -> list[Note]:
    """``notes`` with a crash (and a kick) on ``at`` unless one is already there."""
    out = list(notes)
    here = {n.pitch for n in notes if abs(n.start - at) < ONSET_TOL}
    if CRASH not in here:
        out.append(Note(at, at + HIT_QN, CRASH, velocity))
    if KICK not in here:
        out.append(Note(at, at + HIT_QN, KICK, velocity))
    return out


def _drum_edits(frame: SectionFrame, rng: np.random.Generator, loud: int) -> list[Edit]:
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
            edits.append(partial(_span_fill, start=q - beat / 2, end=q, pattern=2, velocity=loud))
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
        Note(n.start, n.end, RIDE, n.velocity) if n.pitch == CLOSED_HH and _in(n, start, end) else n
        for n in notes
    ]


# -- bass --------------------------------------------------------------------------------------


def _approach(notes: list[Note], bar: float, key: Key) -> list[Note]:
    """The last note before ``bar`` leads into the first note on it by a scale step (its second
    half split off when it is long, else it is replaced)."""
    target = next((n for n in notes if abs(n.start - bar) < ONSET_TOL), None)
    before = [n for n in notes if n.start < bar - ONSET_TOL]
    if target is None or not before:
        return notes
    last = max(before, key=lambda n: (n.start, n.pitch))
    step = -1 if last.pitch > target.pitch else 1
    tone = _clamp_pitch(_scale_step(key, target.pitch, -step))
    if tone == last.pitch:  # already a step away: approach from the other side
        tone = _clamp_pitch(_scale_step(key, target.pitch, step))
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
        if _in(n, start + ONSET_TOL * 2, end) and n.pitch + 12 <= 64
        else n
        for n in notes
    ]


def _octave_pop(notes: list[Note], start: float, end: float) -> list[Note]:
    """Long notes in ``[start, end)`` play their second half an octave up (a bass pop)."""
    out = []
    for n in notes:
        if _in(n, start, end) and n.duration >= 1.0 - ONSET_TOL and n.pitch + 12 <= 67:
            mid = n.start + n.duration / 2
            out += [
                Note(n.start, mid, n.pitch, n.velocity),
                Note(mid, n.end, n.pitch + 12, n.velocity),
            ]
        else:
            out.append(n)
    return out


def _bass_edits(frame: SectionFrame) -> list[Edit]:
    edits: list[Edit] = []
    bars = [b * frame.bar_qn for b in range(1, frame.bars)]
    phrase_starts = [
        b for b in bars if abs(b / frame.phrase_qn - round(b / frame.phrase_qn)) < 1e-6
    ]
    for b in [*reversed(phrase_starts), *(b for b in reversed(bars) if b not in phrase_starts)]:
        edits.append(partial(_approach, bar=b, key=frame.key))
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
        return _scale_step(key, pitch, 2 if up else -2)
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
    """Notes of an eighth or longer in ``[start, end)`` move to another tone of the chord under
    them, all the same way (the phrase answers a third higher or lower)."""
    span = _spans(notes)
    out = []
    for n in notes:
        if _in(n, start, end) and span[id(n)] >= 0.5 - ONSET_TOL:
            p = _other_chord_tone(n.pitch, _sounding_pcs(chords, n.start), key, up)
            out.append(Note(n.start, n.end, _clamp_pitch(p), n.velocity))
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
        if not (_in(n, start, end) and long and nxt is not None):
            out.append(n)
            continue
        gap = nxt.pitch - n.pitch
        if 3 <= abs(gap) <= 4:
            tone = _scale_step(key, n.pitch, 1 if gap > 0 else -1)
        elif abs(gap) <= 2:
            tone = _scale_step(key, n.pitch, 1)
        else:
            out.append(n)
            continue
        mid = n.start + n.duration / 2
        out += [
            Note(n.start, mid, n.pitch, n.velocity),
            Note(mid, n.end, _clamp_pitch(tone), n.velocity),
        ]
    return out


def _anticipate(notes: list[Note], bar: float, keep: frozenset[int]) -> list[Note]:
    """The note on ``bar`` comes an eighth early (the note before it is shortened), unless it
    carries a syllable (an onset in ``keep``)."""
    target = next((n for n in notes if abs(n.start - bar) < ONSET_TOL), None)
    before = [n for n in notes if n.start < bar - 0.5 - ONSET_TOL and n.end > bar - 0.5]
    if target is None or _onset(target.start) in keep or len(before) != 1 or bar < 0.5:
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


def revoice(notes: Sequence[Note], start: float, end: float, voices: int) -> list[Note]:
    """Chords starting in ``[start, end)`` in a lower inversion: their top ``voices`` notes an
    octave down (the same pitch classes, so the harmony is unchanged)."""
    by_onset: dict[int, list[Note]] = {}
    for n in notes:
        if _in(n, start, end):
            by_onset.setdefault(_onset(n.start), []).append(n)
    moved: dict[int, Note] = {}
    for group in by_onset.values():
        if len(group) < 3:
            continue
        low = min(n.pitch for n in group)
        for n in sorted(group, key=lambda n: -n.pitch)[:voices]:
            if n.pitch - 12 >= max(24, low - 12):
                moved[id(n)] = Note(n.start, n.end, n.pitch - 12, n.velocity)
    return [moved.get(id(n), n) for n in notes]


def _chord_edits(frame: SectionFrame, rng: np.random.Generator) -> list[Edit]:
    edits: list[Edit] = []
    ends = frame.phrase_ends()
    starts = [b * frame.bar_qn for b in range(frame.bars)]
    order = [*ends, *(s for s in reversed(starts) if round(s, 6) not in ends)]
    for s in order:
        voices = int(rng.integers(1, 3))
        edits.append(partial(revoice, start=s, end=s + frame.bar_qn, voices=voices))
    return edits


# -- the repeat --------------------------------------------------------------------------------


def apply_until(
    notes: Sequence[Note], edits: Sequence[Edit], *, target: float = TARGET_OVERLAP
) -> list[Note]:
    """Apply ``edits`` in order until the result's overlap with ``notes`` is at most
    ``target``; an edit that would take it below :data:`MIN_OVERLAP` is skipped."""
    base = list(notes)
    out = list(notes)
    for edit in edits:
        if note_overlap(base, out) <= target:
            break
        trial = edit(out)
        if note_overlap(base, trial) >= MIN_OVERLAP:
            out = trial
    return out


def vary_repeat(
    notes: Sequence[Note],
    *,
    part: str,
    is_drum: bool,
    frame: SectionFrame,
    rng: np.random.Generator,
    chords: Sequence[Note] = (),
    lyric_onsets: frozenset[int] = frozenset(),
) -> list[Note]:
    """A repeat of a section's ``notes`` for ``part`` (section-local), varied as its part
    plays it (module docstring). ``chords``: the section's chord notes (the melody's changed
    phrase moves to their tones); ``lyric_onsets``: onsets (``round(q / ONSET_TOL)``) carrying
    a syllable, which keep their place."""
    if not notes:
        return []
    if is_drum:
        edits = _drum_edits(frame, rng, _loudest(notes))
    elif part == "bass":
        edits = _bass_edits(frame)
    elif part == "chords":
        edits = _chord_edits(frame, rng)
    else:
        edits = _melody_edits(frame, chords, lyric_onsets, rng)
    varied = apply_until(notes, edits)
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
