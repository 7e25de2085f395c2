"""The song's final cadence: its last section ends on the tonic chord, held through the last
bar, after a dominant (or, where the mode's fifth-degree triad is diminished, a subdominant) in
the bar before.

Section-local notes (the last section starts at quarter note 0). Per part:

* chords: the last two bars become the cadence chord and the tonic triad, each held a bar, in
  close position around the chords' own register;
* bass: the cadence chord's root, then the tonic, at the octave nearest the bass line;
* melody (any other pitched part): its notes in the bar before move to the nearest tone of the
  cadence chord, and it ends on the tonic, held, nearest its last pitch;
* drums: a fill in the second half of the bar before, then one crash and kick on the final
  downbeat, left to ring.

The chords used are the scale's own triads, so the cadence stays in the key.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Final

from music.keys import Key
from music.notes import Note
from render.drum_fills import drum_fill, loudest, with_crash
from render.section_frame import ONSET_TOL, clamp_pitch

#: Scale degrees (0-based) of the cadence chord: the dominant, else the subdominant.
DOMINANT: Final = 4
SUBDOMINANT: Final = 3


def triad_pcs(key: Key, degree: int) -> tuple[int, int, int]:
    """The scale's triad on ``degree`` (0 = tonic) as pitch classes, root first."""
    return (key.degree_pc(degree), key.degree_pc(degree + 2), key.degree_pc(degree + 4))


def cadence_degree(key: Key) -> int:
    """The dominant, unless its triad is diminished in this mode (then the subdominant)."""
    root, _, fifth = triad_pcs(key, DOMINANT)
    return DOMINANT if (fifth - root) % 12 == 7 else SUBDOMINANT


def _nearest(pc: int, around: float) -> int:
    """The pitch of pitch class ``pc`` nearest ``around``."""
    base = round(around) - 6
    return base + (pc - base) % 12


def close_voicing(pcs: Sequence[int], around: float) -> list[int]:
    """The chord ``pcs`` in close position centred near ``around``, the root doubled an octave
    below."""
    pitches = sorted(_nearest(pc, around) for pc in pcs)
    return sorted({*pitches, _nearest(pcs[0], around) - 12})


def _held(pitches: Sequence[int], start: float, end: float, velocity: int) -> list[Note]:
    return [Note(start, end, clamp_pitch(p), velocity) for p in pitches]


def _median(notes: Sequence[Note], default: float) -> float:
    return float(statistics.median(n.pitch for n in notes)) if notes else default


def _velocity(notes: Sequence[Note], default: int = 80) -> int:
    return round(statistics.median(n.velocity for n in notes)) if notes else default


def final_cadence(
    notes: Sequence[Note],
    *,
    part: str,
    is_drum: bool,
    key: Key,
    length_qn: float,
    bar_qn: float,
) -> list[Note]:
    """The last section's ``notes`` for ``part`` ending on the tonic (module docstring)."""
    if not notes:
        return []
    final = max(0.0, length_qn - bar_qn)
    before = max(0.0, final - bar_qn)
    has_before = final - before > ONSET_TOL
    span_start = before if has_before else final
    kept = [n for n in notes if n.start < span_start - ONSET_TOL]
    cut = [Note(n.start, min(n.end, span_start), n.pitch, n.velocity) for n in kept]
    degree = cadence_degree(key)
    vel = _velocity(notes)
    if is_drum:
        out = [n for n in notes if n.start < final - ONSET_TOL]
        if has_before:
            out = drum_fill(out, before + bar_qn / 2, final, pattern=0, velocity=loudest(notes))
        return with_crash(out, final, loudest(notes))
    if part == "chords":
        around = _median(notes, 60.0)
        out = cut
        if has_before:
            out += _held(close_voicing(triad_pcs(key, degree), around), before, final, vel)
        return out + _held(close_voicing(triad_pcs(key, 0), around), final, length_qn, vel)
    if part == "bass":
        around = _median(notes, 40.0)
        out = cut
        if has_before:
            out += _held([_nearest(key.degree_pc(degree), around)], before, final, vel)
        return out + _held([_nearest(key.tonic, around)], final, length_qn, vel)
    # a line: the bar before follows the cadence chord, and it ends on the tonic, held
    chord = set(triad_pcs(key, degree))
    out = [
        Note(n.start, min(n.end, final), n.pitch, n.velocity)
        for n in notes
        if n.start < before - ONSET_TOL
    ]
    for n in notes:
        if has_before and before - ONSET_TOL <= n.start < final - ONSET_TOL:
            p = min(
                (n.pitch + d for d in range(-2, 3)),
                key=lambda q: (q % 12 not in chord, abs(q - n.pitch)),
            )
            out.append(
                Note(n.start, min(n.end, final), p if p % 12 in chord else n.pitch, n.velocity)
            )
    last = max(notes, key=lambda n: n.start).pitch
    return out + _held([_nearest(key.tonic, last)], final, length_qn, vel)
