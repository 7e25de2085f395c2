"""Music-theory scores for a melody, each in [0, 1].

Inputs are plain: the melody notes (MIDI pitch, start and end in quarter notes from the start of
the section), the chords per time span (:class:`scoring.timeline.ChordSpanLike`), the meter and
key, the carrier's range, the phrase length, and optionally the previous section's last pitch,
the bass notes and the syllables each phrase should carry. Nothing here knows how the melody
was generated.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from typing import Final

from music.keys import Key
from music.meter import Meter
from music.notes import Note, last_note, sorted_notes
from scoring.composite import TheoryScores
from scoring.timeline import EPS, ChordLookup, ChordSpanLike, is_felt_beat

#: Default weights of the melody theory components (``lyric_fit`` only counts with lyrics).
MELODY_WEIGHTS: dict[str, float] = {
    "singability": 0.3,
    "chord_tone_alignment": 0.25,
    "contour": 0.2,
    "continuity": 0.1,
    "rhythm_variety": 0.15,
    "lyric_fit": 0.1,
}
#: Weights with the style fit (:mod:`scoring.style.melody`) in place of chord-tone alignment
#: and rhythm variety.
MELODY_STYLE_WEIGHTS: dict[str, float] = {
    "singability": 0.15,
    "contour": 0.15,
    "continuity": 0.1,
    "style_motion": 0.15,
    "style_pitch": 0.1,
    "style_rhythm": 0.15,
    "style_harmony": 0.1,
    "lyric_fit": 0.1,
}


def split_phrases(notes: Sequence[Note], phrase_qn: float) -> list[list[Note]]:
    """Notes grouped by the phrase window ``[p * phrase_qn, (p + 1) * phrase_qn)`` their start
    falls in; empty windows are dropped."""
    if phrase_qn <= 0:
        raise ValueError(f"phrase_qn: {phrase_qn!r} -- a positive length in quarter notes")
    groups: dict[int, list[Note]] = {}
    for n in sorted_notes(notes):
        groups.setdefault(int((n.start + EPS) // phrase_qn), []).append(n)
    return [groups[k] for k in sorted(groups)]


def interval_value(semitones: int) -> float:
    """How singable one melodic interval is: steps and thirds 1.0, a fourth 0.85, a fifth 0.75,
    a repeated note 0.7, sixths 0.5, an octave 0.4, the tritone 0.25, sevenths 0.2, beyond
    an octave 0."""
    return _INTERVAL_VALUES.get(abs(semitones), 0.0)


#: interval_value by absolute interval (semitones); wider than an octave is 0. A table built
#: once: singability reads it for every interval of every candidate.
_INTERVAL_VALUES: Final[dict[int, float]] = {
    **{0: 0.7, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 0.85, 6: 0.25, 7: 0.75, 8: 0.5, 9: 0.5},
    **{10: 0.2, 11: 0.2, 12: 0.4},
}


def leap_recovery(pitches: Sequence[int]) -> float:
    """After each leap wider than a fourth: a step back the other way 1.0, a larger move the
    other way 0.6, a repeated note 0.4, going on the same way 0. Mean; 1 without leaps."""
    values = []
    for k in range(1, len(pitches) - 1):
        leap = pitches[k] - pitches[k - 1]
        if abs(leap) <= 5:
            continue
        nxt = pitches[k + 1] - pitches[k]
        if nxt == 0:
            values.append(0.4)
        elif (nxt > 0) != (leap > 0):
            values.append(1.0 if abs(nxt) <= 2 else 0.6)
        else:
            values.append(0.0)
    return sum(values) / len(values) if values else 1.0


def range_fit(pitches: Sequence[int], *, low: int, high: int) -> float:
    """Share of notes inside ``[low, high]`` times a span factor: up to a ninth 1 (real 8-bar
    melodies: median 12-14 semitones), up to an eleventh 0.85, then 0.1 less per semitone."""
    if not pitches:
        return 0.0
    inside = sum(low <= p <= high for p in pitches) / len(pitches)
    span = max(pitches) - min(pitches)
    factor = 1.0 if span <= 14 else (0.85 if span <= 17 else max(0.0, 0.85 - 0.1 * (span - 17)))
    return inside * factor


def breath(notes: Sequence[Note], *, phrase_qn: float) -> float:
    """Each phrase ends with a breath: the rest after its last note (to the next note, or to
    the end of its window for the last phrase) of an eighth or more scores 1, a sixteenth
    0.6, none 0. Mean over phrases."""
    phrases = split_phrases(notes, phrase_qn)
    values = []
    for i, ph in enumerate(phrases):
        last = ph[-1]
        if i + 1 < len(phrases):
            nxt = phrases[i + 1][0].start
        else:
            nxt = (int((ph[0].start + EPS) // phrase_qn) + 1) * phrase_qn
        gap = nxt - last.end
        values.append(1.0 if gap >= 0.5 - EPS else (0.6 if gap >= 0.25 - EPS else 0.0))
    return sum(values) / len(values) if values else 0.0


def motion(intervals: Sequence[int]) -> float:
    """Enough melodic motion: 1 when the mean absolute interval lies between 1.5 and 4
    semitones (real lead sheets and folk tunes: 5th-95th percentile 1.4-3.8 over 8 bars),
    falling to 0.6 for a line of repeated notes and towards 0.3 for a leaping one."""
    if not intervals:
        return 0.6
    mean = sum(abs(i) for i in intervals) / len(intervals)
    if mean < 1.5:
        return 0.6 + 0.4 * mean / 1.5
    return 1.0 if mean <= 4.0 else max(0.3, 1.0 - (mean - 4.0) / 4.0)


def singability(notes: Sequence[Note], *, low: int, high: int, phrase_qn: float) -> float:
    """0.4 x mean :func:`interval_value` x :func:`motion` + 0.2 x :func:`leap_recovery` +
    0.2 x :func:`range_fit` + 0.2 x :func:`breath`."""
    ordered = sorted_notes(notes)
    pitches = [n.pitch for n in ordered]
    if not pitches:
        return 0.0
    ivals = [b - a for a, b in itertools.pairwise(pitches)]
    iv = sum(interval_value(i) for i in ivals) / len(ivals) * motion(ivals) if ivals else 0.3
    return (
        0.4 * iv
        + 0.2 * leap_recovery(pitches)
        + 0.2 * range_fit(pitches, low=low, high=high)
        + 0.2 * breath(ordered, phrase_qn=phrase_qn)
    )


def chord_tone_alignment(
    notes: Sequence[Note],
    chords: Sequence[ChordSpanLike],
    meter: Meter,
    *,
    bass: Sequence[Note] = (),
) -> float:
    """Notes on strong beats or chord changes (weight 1), other felt beats (0.6) and long
    off-beat notes of a beat or more (0.4) belong to the chord sounding then: a chord tone 1,
    a non-chord tone moving on by step 0.5 off the strong beats and 0.25 on them (an
    appoggiatura), else 0; a minor ninth (or second) above the sounding bass note halves it.
    Weighted mean; 0 when no note is weighted."""
    ordered = sorted_notes(notes)
    bass_sorted = sorted_notes(bass)
    bass_starts = [b.start for b in bass_sorted]
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
            w = 0.6
        elif n.duration >= 1.0 - EPS:
            w = 0.4
        else:
            continue
        if n.pitch % 12 in chord.pitch_classes:
            v = 1.0
        elif i + 1 < len(ordered) and 1 <= abs(ordered[i + 1].pitch - n.pitch) <= 2:
            v = 0.5 if w < 1.0 else 0.25
        else:
            v = 0.0
        j = bisect.bisect_right(bass_starts, n.start + EPS) - 1
        if (
            j >= 0
            and n.start < bass_sorted[j].end - EPS
            and (n.pitch - bass_sorted[j].pitch) % 12 == 1
        ):
            v *= 0.5
        weight += w
        got += w * v
    return got / weight if weight else 0.0


def _direction_variety(pitches: Sequence[int]) -> float:
    moves = [b - a for a, b in itertools.pairwise(pitches)]
    if not moves:
        return 0.0
    signs = [m > 0 for m in moves if m != 0]
    if len(signs) < 2:
        return 0.2
    changes = sum(a != b for a, b in itertools.pairwise(signs)) / (len(signs) - 1)
    if 0.2 <= changes <= 0.6:
        value = 1.0
    elif changes < 0.2:
        value = 0.4 + 3.0 * changes
    else:
        value = max(0.4, 1.0 - 1.5 * (changes - 0.6))
    repeats = sum(m == 0 for m in moves) / len(moves)
    return value * (1.0 if repeats <= 0.4 else max(0.3, 1.0 - (repeats - 0.4)))


def phrase_contour(notes: Sequence[Note]) -> float:
    """One phrase's shape: 0.35 x a single climax (one run of the highest pitch 1.0, two 0.6,
    more, or a line that never rises a whole tone, 0.3) + 0.2 x its place (inside the phrase
    1.0, at the end 0.6, on the first note 0.4) + 0.25 x an arch (start and end at least a
    minor third below the climax 1.0, one of them 0.6, neither 0.3) + 0.2 x direction
    variety."""
    ordered = sorted_notes(notes)
    pitches = [n.pitch for n in ordered]
    if len(pitches) < 2:
        return 0.3
    peak = max(pitches)
    runs = sum(1 for k, p in enumerate(pitches) if p == peak and (k == 0 or pitches[k - 1] != peak))
    single = 1.0 if runs == 1 else (0.6 if runs == 2 else 0.3)
    if peak - min(pitches) < 2:
        single = 0.3  # a line without a rise has no climax to speak of
    k = pitches.index(peak)
    span = ordered[-1].start - ordered[0].start
    u = (ordered[k].start - ordered[0].start) / span if span > 0 else 0.0
    place = 0.4 if k == 0 else (0.6 if u > 0.9 else 1.0)
    below = (peak - pitches[0] >= 3) + (peak - pitches[-1] >= 3)
    arch = {2: 1.0, 1: 0.6, 0: 0.3}[below]
    return 0.35 * single + 0.2 * place + 0.25 * arch + 0.2 * _direction_variety(pitches)


def ending(notes: Sequence[Note], key: Key) -> float:
    """The melody's last note: the tonic 1.0, the third or fifth of the tonic chord 0.7,
    anything else 0.4."""
    if not notes:
        return 0.0
    pc = last_note(notes).pitch % 12
    if pc == key.tonic:
        return 1.0
    if pc in (key.degree_pc(2), key.degree_pc(4)):
        return 0.7
    return 0.4


def contour(notes: Sequence[Note], *, phrase_qn: float, key: Key) -> float:
    """0.85 x the mean :func:`phrase_contour` over phrases + 0.15 x :func:`ending`."""
    phrases = split_phrases(notes, phrase_qn)
    if not phrases:
        return 0.0
    shape = sum(phrase_contour(ph) for ph in phrases) / len(phrases)
    return 0.85 * shape + 0.15 * ending(notes, key)


def continuity(first_pitch: int, previous_pitch: int | None) -> float:
    """The leap from the previous section's last note into this one: within a fourth 1, then
    falling linearly to 0 at an octave and a second. 1 when there is no previous note."""
    if previous_pitch is None:
        return 1.0
    d = abs(first_pitch - previous_pitch)
    return 1.0 if d <= 5 else max(0.0, 1.0 - (d - 5) / 9)


def rhythm_variety(notes: Sequence[Note], meter: Meter) -> float:
    """0.35 x note values used (one 0.3, two 0.8, three to five 1.0, six 0.85, more 0.7) +
    0.4 x density (1.5 to 5 notes a bar 1.0, sparser proportionally less, busier falling
    to 0.2) + 0.25 x rhythmic repetition (a quarter to three quarters of the bars sharing
    their onset pattern with another bar 1.0, else 0.6)."""
    if not notes:
        return 0.0
    values = len({round(n.duration, 3) for n in notes})
    kinds = {1: 0.3, 2: 0.8, 3: 1.0, 4: 1.0, 5: 1.0, 6: 0.85}.get(values, 0.7)
    bars: dict[int, set[float]] = {}
    for n in notes:
        bars.setdefault(int((n.start + EPS) // meter.bar_qn), set()).add(
            round(n.start % meter.bar_qn, 3)
        )
    span_bars = max(bars) - min(bars) + 1
    d = len(notes) / span_bars
    density = 1.0 if 1.5 <= d <= 5 else (d / 1.5 if d < 1.5 else max(0.2, 1.0 - (d - 5) / 4))
    patterns = [frozenset(v) for v in bars.values()]
    shared = sum(patterns.count(p) > 1 for p in patterns) / len(patterns)
    repetition = 1.0 if 0.25 <= shared <= 0.75 else 0.6
    return 0.35 * kinds + 0.4 * density + 0.25 * repetition


def lyric_fit(counts: Sequence[int], targets: Sequence[int]) -> float:
    """Notes per phrase against syllables per phrase: mean of ``1 - |notes - syllables| /
    syllables`` over phrases with syllables (floored at 0)."""
    pairs = [(c, t) for c, t in zip(counts, targets, strict=False) if t > 0]
    if not pairs:
        return 1.0
    return sum(max(0.0, 1.0 - abs(c - t) / t) for c, t in pairs) / len(pairs)


def score_melody(
    notes: Sequence[Note],
    *,
    chords: Sequence[ChordSpanLike],
    meter: Meter,
    key: Key,
    register: tuple[int, int],
    phrase_qn: float,
    previous_pitch: int | None = None,
    bass: Sequence[Note] = (),
    syllables: Sequence[int] = (),
    weights: dict[str, float] | None = None,
    style: Mapping[str, float] | None = None,
) -> TheoryScores:
    """All melody theory components and their weighted total. ``syllables`` (syllables per
    phrase) adds ``lyric_fit``; without it the component is left out. With ``style`` (the
    style-fit components of :func:`scoring.style.melody.melody_style`) those replace chord-tone
    alignment and rhythm variety, under :data:`MELODY_STYLE_WEIGHTS`."""
    if not notes:
        raise ValueError("notes: [] -- a melody needs at least one note")
    ordered = sorted_notes(notes)
    low, high = register
    scores = {"singability": singability(ordered, low=low, high=high, phrase_qn=phrase_qn)}
    if style is None:
        scores["chord_tone_alignment"] = chord_tone_alignment(ordered, chords, meter, bass=bass)
    scores["contour"] = contour(ordered, phrase_qn=phrase_qn, key=key)
    scores["continuity"] = continuity(ordered[0].pitch, previous_pitch)
    if style is None:
        scores["rhythm_variety"] = rhythm_variety(ordered, meter)
    else:
        scores.update(style)
    if syllables:
        counts = [0] * len(syllables)
        for n in ordered:
            p = int((n.start + EPS) // phrase_qn)
            if p < len(counts):
                counts[p] += 1
        scores["lyric_fit"] = lyric_fit(counts, syllables)
    default = MELODY_WEIGHTS if style is None else MELODY_STYLE_WEIGHTS
    return TheoryScores.weighted(scores, weights or default)
