"""Music-theory scores for a bass line, each in [0, 1].

Inputs are plain: the bass notes (MIDI pitch, start and end in quarter notes from the start of
the section), the chords sounding per time span (:class:`scoring.timeline.ChordSpanLike`), the
meter and the approved kick onsets (qn). Nothing here knows how the bass was generated.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping, Sequence

from music.meter import Meter
from music.notes import Note, sorted_notes
from scoring.composite import TheoryScores
from scoring.timeline import EPS, ChordLookup, ChordSpanLike, is_felt_beat

#: Default weights of the bass theory components.
BASS_WEIGHTS: dict[str, float] = {
    "root_adherence": 0.35,
    "kick_alignment": 0.3,
    "voice_leading": 0.2,
    "range_fit": 0.15,
}
#: Weights with the style fit (:mod:`scoring.style.bass`) in place of root adherence and voice
#: leading.
BASS_STYLE_WEIGHTS: dict[str, float] = {
    "style_roots": 0.25,
    "style_motion": 0.2,
    "style_rhythm": 0.1,
    "kick_alignment": 0.3,
    "range_fit": 0.15,
}
#: E1 .. G3, a four-string bass.
BASS_REGISTER = (28, 55)
#: Kick alignment tolerance: a sixteenth note, in quarter notes.
KICK_TOLERANCE_QN = 0.25


def tone_value(pc: int, chord: ChordSpanLike) -> float:
    """How firmly a pitch class states ``chord`` in the bass: root or written bass 1.0, the
    fifth 0.85, another chord tone 0.7, anything else 0."""
    if pc == chord.root or pc == chord.bass:
        return 1.0
    fifth = chord.pitch_classes[2] if len(chord.pitch_classes) > 2 else (chord.root + 7) % 12
    if pc in (fifth, (chord.root + 7) % 12):
        return 0.85
    return 0.7 if pc in chord.pitch_classes else 0.0


def _covered_chords(chords: Sequence[ChordSpanLike], end: float) -> list[ChordSpanLike]:
    return [c for c in chords if c.start < end - EPS]


def root_adherence(notes: Sequence[Note], chords: Sequence[ChordSpanLike], meter: Meter) -> float:
    """Strong-beat notes state the chord sounding then.

    Notes on a strong beat (:meth:`Meter.is_strong`) or on a chord change weigh 1, notes on
    other felt beats 0.5 (off-beat notes are free). Each scores :func:`tone_value`; a
    non-chord tone on a weak felt beat that moves on by step (a passing or approach tone)
    scores 0.6. The weighted mean is scaled by ``0.6 + 0.4 x`` the share of chords whose
    first sixteenth has a bass onset. 0 when no note falls on a felt beat."""
    ordered = sorted_notes(notes)
    lookup = ChordLookup(chords)
    weight = got = 0.0
    for i, n in enumerate(ordered):
        chord = lookup(n.start)
        if chord is None:
            continue
        pos = n.start % meter.bar_qn
        if meter.is_strong(pos) or abs(n.start - chord.start) < EPS:
            w = 1.0
        elif is_felt_beat(meter, pos):
            w = 0.5
        else:
            continue
        v = tone_value(n.pitch % 12, chord)
        passing = i + 1 < len(ordered) and 1 <= abs(ordered[i + 1].pitch - n.pitch) <= 2
        if v == 0.0 and w < 1.0 and passing:
            v = 0.6
        weight += w
        got += w * v
    if weight == 0:
        return 0.0
    end = max(n.end for n in ordered)
    spans = _covered_chords(chords, end)
    starts = sorted(n.start for n in ordered)
    covered = 0
    for c in spans:
        j = bisect.bisect_left(starts, c.start - EPS)
        if j < len(starts) and starts[j] < c.start + KICK_TOLERANCE_QN - EPS:
            covered += 1
    coverage = covered / len(spans) if spans else 1.0
    return (got / weight) * (0.6 + 0.4 * coverage)


def _nearest(sorted_values: Sequence[float], t: float) -> float:
    """Distance from ``t`` to the nearest value (inf when there are none)."""
    j = bisect.bisect_left(sorted_values, t)
    best = abs(sorted_values[j - 1] - t) if j else float("inf")
    if j < len(sorted_values):
        best = min(best, abs(sorted_values[j] - t))
    return best


def _credit(distance: float, tolerance: float) -> float:
    """1 for a hit on the same grid point, falling to 0.5 at ``tolerance``, 0 beyond."""
    if distance <= 0.02:
        return 1.0
    if distance <= tolerance + EPS:
        return 1.0 - 0.5 * distance / tolerance
    return 0.0


def kick_hit_rate(
    onsets: Sequence[float], kicks: Sequence[float], *, tolerance: float = KICK_TOLERANCE_QN
) -> float:
    """Share of kicks with a bass onset within ``tolerance`` qn (1 when there are no kicks)."""
    if not kicks:
        return 1.0
    ordered = sorted(onsets)
    return sum(_nearest(ordered, k) <= tolerance + EPS for k in kicks) / len(kicks)


def kick_alignment(
    onsets: Sequence[float],
    kicks: Sequence[float],
    *,
    end: float | None = None,
    tolerance: float = KICK_TOLERANCE_QN,
) -> float:
    """Bass onsets lock to the kick: 0.7 x how well each kick is met by a bass onset plus
    0.3 x how well each bass onset is met by a kick, a hit counting 1 on the same grid point
    and falling to 0.5 at ``tolerance`` (a sixteenth), 0 beyond. Kicks at or after ``end``
    (qn) are ignored. 1 when there are no kicks to lock to; 0 for a silent bass."""
    ks = sorted(k for k in kicks if end is None or k < end - EPS)
    if not ks:
        return 1.0
    if not onsets:
        return 0.0
    os_ = sorted(onsets)
    recall = sum(_credits(os_, ks, tolerance)) / len(ks)
    precision = sum(_credits(ks, os_, tolerance)) / len(os_)
    return 0.7 * recall + 0.3 * precision


def _credits(sorted_values: Sequence[float], ts: Sequence[float], tolerance: float) -> list[float]:
    """:func:`_credit` of :func:`_nearest` for each of the sorted ``ts`` in order, the same
    floats, in one walk along ``sorted_values`` (the bisection point only moves forward)."""
    out = []
    n = len(sorted_values)
    j = 0
    for t in ts:
        while j < n and sorted_values[j] < t:
            j += 1
        best = abs(sorted_values[j - 1] - t) if j else math.inf
        if j < n:
            best = min(best, abs(sorted_values[j] - t))
        out.append(_credit(best, tolerance))
    return out


def _interval_value(semitones: int) -> float:
    i = abs(semitones)
    if i == 0:
        return 0.9
    if i <= 2:
        return 1.0
    if i <= 5:
        return 0.9
    if i == 7:
        return 0.85
    if i == 12:
        return 0.8
    if i < 12:
        return 0.5
    return max(0.0, 0.4 - 0.1 * (i - 13))


def _connection_value(semitones: int) -> float:
    i = abs(semitones)
    if i <= 2:
        return 1.0
    if i <= 5:
        return 0.85
    if i == 7:
        return 0.7
    if i == 12:
        return 0.6
    return 0.35


def voice_leading(notes: Sequence[Note], chords: Sequence[ChordSpanLike]) -> float:
    """Smooth motion: 0.6 x the mean value of the intervals between consecutive notes (steps
    1.0, repeats 0.9, thirds/fourths 0.9, fifths 0.85, octaves 0.8, other leaps 0.5, beyond
    an octave less) plus 0.4 x how each chord change is entered from the note before (by step
    or an approach tone 1.0, a third/fourth 0.85, a fifth 0.7, an octave 0.6, else 0.35)."""
    ordered = sorted_notes(notes)
    if len(ordered) < 2:
        return 1.0 if ordered else 0.0
    smooth = sum(_interval_value(b.pitch - a.pitch) for a, b in itertools.pairwise(ordered)) / (
        len(ordered) - 1
    )
    starts = [n.start for n in ordered]
    conns = []
    end = ordered[-1].end
    for c in _covered_chords(chords, end)[1:]:
        j = bisect.bisect_left(starts, c.start - EPS)
        if 0 < j < len(ordered) and ordered[j].start < c.start + 0.5:
            conns.append(_connection_value(ordered[j].pitch - ordered[j - 1].pitch))
    conn = sum(conns) / len(conns) if conns else 1.0
    return 0.6 * smooth + 0.4 * conn


def range_fit(pitches: Sequence[int], *, register: tuple[int, int] = BASS_REGISTER) -> float:
    """Share of notes inside ``register`` times a span factor (1 up to an octave and a fifth,
    falling to 0.3 at three octaves)."""
    if not pitches:
        return 0.0
    low, high = register
    inside = sum(low <= p <= high for p in pitches) / len(pitches)
    span = max(pitches) - min(pitches)
    factor = 1.0 if span <= 19 else max(0.3, 1.0 - (span - 19) / 24)
    return inside * factor


def strong_beat_tone_rate(
    notes: Sequence[Note], chords: Sequence[ChordSpanLike], meter: Meter
) -> float:
    """Share of notes on strong beats (:meth:`Meter.is_strong`) whose pitch class is a tone of
    the chord sounding then (0 when no note falls on a strong beat)."""
    hits = total = 0
    lookup = ChordLookup(chords)
    for n in notes:
        chord = lookup(n.start)
        if chord is None or not meter.is_strong(n.start % meter.bar_qn):
            continue
        total += 1
        hits += n.pitch % 12 in chord.pitch_classes
    return hits / total if total else 0.0


def score_bass(
    notes: Sequence[Note],
    *,
    chords: Sequence[ChordSpanLike],
    meter: Meter,
    kicks: Sequence[float] = (),
    register: tuple[int, int] = BASS_REGISTER,
    weights: dict[str, float] | None = None,
    style: Mapping[str, float] | None = None,
) -> TheoryScores:
    """All bass theory components and their weighted total. ``kicks`` are the approved kick
    onsets in qn over the same span as the notes (tile a short pattern first). With ``style``
    (the style-fit components of :func:`scoring.style.bass.bass_style`) those replace root
    adherence and voice leading, under :data:`BASS_STYLE_WEIGHTS`."""
    if not notes:
        raise ValueError("notes: [] -- a bass line needs at least one note")
    end = max(n.end for n in notes)
    kick = kick_alignment([n.start for n in notes], kicks, end=end)
    span = range_fit([n.pitch for n in notes], register=register)
    if style is not None:
        scores = {**style, "kick_alignment": kick, "range_fit": span}
        return TheoryScores.weighted(scores, weights or BASS_STYLE_WEIGHTS)
    scores = {
        "root_adherence": root_adherence(notes, chords, meter),
        "kick_alignment": kick,
        "voice_leading": voice_leading(notes, chords),
        "range_fit": span,
    }
    return TheoryScores.weighted(scores, weights or BASS_WEIGHTS)
