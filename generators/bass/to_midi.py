"""Realise a bass genome against the chords: each event's pitch is computed from the chord
sounding at its onset, placed in the register nearest the note before (smooth lines), with
approach and passing tones filled in from their neighbours. Plus the musician's description
of a bass line for review.yml."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from generators.bass.genome import DEFAULT_REGISTER, BassEvent, BassGenome
from generators.chords.genome import ChordGenome
from generators.harmony import Harmony, SoundingChord, chord_timeline
from music.gm import PART_PROGRAMS
from music.keys import Key, pitch_name
from music.meter import Meter
from music.notes import Note, Part, shared_note

_EPS = 1e-6
_NON_CHORD = ("approach", "passing")


def _check_register(register: tuple[int, int]) -> None:
    low, high = register
    if not (low >= 0 and high <= 127 and high - low >= 12):
        raise ValueError(
            f"register: {register!r} -- (low, high) MIDI numbers at least an octave apart"
        )


@lru_cache(maxsize=8192)
def _place(pc: int, ref: float, low: int, high: int) -> int:
    """The pitch of class ``pc`` inside ``[low, high]`` nearest ``ref`` (the lower on a tie);
    remembered: ``ref`` is the pitch placed before, so a phase asks the same few questions
    tens of thousands of times."""
    return min(_pitches_of(pc, low, high), key=lambda p: (abs(p - ref), p))


@lru_cache(maxsize=1024)
def _pitches_of(pc: int, low: int, high: int) -> tuple[int, ...]:
    """The pitches of class ``pc`` inside ``[low, high]``, low to high."""
    return tuple(p for p in range(low, high + 1) if p % 12 == pc)


def _degree_pc(degree: str, chord: SoundingChord) -> int:
    if degree in ("root", "octave"):
        return chord.bass
    if degree == "third":
        return chord.third
    return chord.fifth


class _Slot(NamedTuple):
    """One event placed in time with the chord under its onset (a tuple: thousands are made
    per generation)."""

    start: float
    end: float
    event: BassEvent
    chord: SoundingChord


def _slots(genome: BassGenome, harmony: Harmony, meter: Meter, bars: int) -> list[_Slot]:
    out = []
    bar_qn = meter.bar_qn
    total = bars * bar_qn
    at = harmony.at
    for b in range(bars):
        for e in genome.bars[b % len(genome.bars)]:
            start = b * bar_qn + e.onset
            end = min(start + e.duration, total)
            if end > start + _EPS:
                out.append(_Slot(start, end, e, at(start)))
    return out


def realise(
    genome: BassGenome,
    harmony: Harmony,
    key: Key,
    meter: Meter,
    *,
    bars: int | None = None,
    register: tuple[int, int] = DEFAULT_REGISTER,
    start_qn: float = 0.0,
) -> tuple[Note, ...]:
    """The bass line's notes (qn from ``start_qn``) over ``bars`` bars (default: the longer of
    the genome and the harmony; both loop). Every pitch lies inside ``register``."""
    _check_register(register)
    low, high = register
    total_bars = bars if bars is not None else max(len(genome.bars), harmony.bars)
    slots = _slots(genome, harmony, meter, total_bars)
    pitches: list[int | None] = []
    ref = low + (high - low) * 0.35
    roots: dict[float, int] = {}  # the root placed under each chord (by chord start)
    loop_qn = harmony.total_qn
    for s in slots:
        e = s.event
        if e.degree in _NON_CHORD:
            pitches.append(None)
            continue
        pc = _degree_pc(e.degree, s.chord)
        where = s.start - s.start % loop_qn + s.chord.start
        root = roots.get(where)
        if e.degree in ("third", "fifth") and root is not None and root + (pc - root) % 12 <= high:
            p = root + (pc - root) % 12  # a third or fifth sits above its chord's root
        else:
            p = _place(pc, ref, low, high)
        if e.degree in ("root", "octave"):
            roots[where] = p
        anchor = p
        if e.degree == "octave" and p + 12 <= high:
            p += 12
        shifted = p + 12 * e.octave
        if e.octave and low <= shifted <= high:
            p = anchor = shifted
        pitches.append(p)
        ref = anchor
    scale = set(key.scale_pcs())
    resolved: list[int] = []
    for i, s in enumerate(slots):
        known = pitches[i]
        if known is None:
            prev = resolved[-1] if resolved else None
            target = _next_chord_tone(pitches, i, slots, ref, low, high)
            known = (
                _approach(prev, target, scale, low, high)
                if s.event.degree == "approach"
                else _passing(prev, target, scale, low, high)
            )
        resolved.append(known)
    return tuple(
        shared_note(start_qn + s.start, start_qn + s.end, p, s.event.velocity)
        for s, p in zip(slots, resolved, strict=True)
    )


def _next_chord_tone(
    pitches: Sequence[int | None],
    i: int,
    slots: Sequence[_Slot],
    ref: float,
    low: int,
    high: int,
) -> int:
    """The next chord-tone pitch after slot ``i`` (wrapping to the loop's start); the root of
    the chord at slot ``i`` when the line has no chord tones at all."""
    n = len(pitches)
    for j in range(1, n + 1):
        p = pitches[(i + j) % n]
        if p is not None:
            return p
    return _place(slots[i].chord.bass, ref, low, high)


def _approach(prev: int | None, target: int, scale: set[int], low: int, high: int) -> int:
    """A semitone below the target when coming from below, a scale step above from above."""
    below = target - 1
    above = target + 1 if (target + 1) % 12 in scale else target + 2
    first, second = (below, above) if prev is None or prev <= target else (above, below)
    return first if low <= first <= high else second


def _passing(prev: int | None, target: int, scale: set[int], low: int, high: int) -> int:
    """A scale tone between the notes around it, or an upper neighbour of the note before."""
    if prev is None:
        prev = target
    lo, hi = sorted((prev, target))
    between = [p for p in range(lo + 1, hi) if p % 12 in scale]
    if hi - lo >= 3 and between:
        mid = (lo + hi) / 2
        return min(between, key=lambda p: (abs(p - mid), p))
    up = [p for p in range(prev + 1, min(high, prev + 3) + 1) if p % 12 in scale]
    if up:
        return up[0]
    down = [p for p in range(max(low, prev - 2), prev) if p % 12 in scale]
    return down[-1] if down else prev


def bass_part(
    genome: BassGenome,
    chords: ChordGenome,
    key: Key,
    meter: Meter,
    *,
    name: str = "bass",
    bars: int | None = None,
    register: tuple[int, int] = DEFAULT_REGISTER,
    program: int = PART_PROGRAMS["bass"],
    start_qn: float = 0.0,
) -> Part:
    """The bass line over the progression ``chords`` (looped) as a MIDI part; GM program 33
    (fingered bass) by default. ``bars`` defaults to the longer of genome and progression."""
    total = bars if bars is not None else max(len(genome.bars), len(chords))
    harmony = chord_timeline(chords, key, meter, bars=total)
    notes = realise(genome, harmony, key, meter, bars=total, register=register, start_qn=start_qn)
    return Part(name=name, notes=notes, program=program)


_RHYTHM_NAMES = {
    0.25: "sixteenths",
    0.5: "eighths",
    0.75: "dotted eighths",
    1.0: "quarters",
    1.5: "dotted quarters",
    2.0: "half notes",
    3.0: "dotted halves",
    4.0: "whole notes",
}


def _rhythm_name(qn: float) -> str:
    return _RHYTHM_NAMES.get(round(qn, 3), f"{qn:g}-quarter notes")


def rhythm_summary(genome: BassGenome, meter: Meter) -> str:
    """The prevailing note spacing, e.g. ``"eighths"`` or ``"mixed, mostly quarters"``."""
    iois: list[float] = []
    for bar in genome.bars:
        for i, e in enumerate(bar):
            nxt = bar[i + 1].onset if i + 1 < len(bar) else meter.bar_qn
            iois.append(round(nxt - e.onset, 3))
    if not iois:
        return "silent"
    counts = Counter(iois)
    common, n = counts.most_common(1)[0]
    name = _rhythm_name(common)
    return name if n / len(iois) >= 0.6 else f"mixed, mostly {name}"


def describe(genome: BassGenome, meter: Meter, notes: Sequence[Note] = ()) -> dict[str, object]:
    """What a musician reads in review.yml: style, rhythm, tones, approach notes and range,
    e.g. ``"root-fifth in eighths, approach notes into bar 4, range E1-D2"``."""
    events = [e for bar in genome.bars for e in bar]
    rhythm = rhythm_summary(genome, meter)
    degrees = Counter(e.degree for e in events)
    tones = {d: round(c / len(events), 2) for d, c in degrees.most_common()} if events else {}
    into: list[int] = []
    for b, bar in enumerate(genome.bars):
        if bar and bar[-1].degree == "approach" and bar[-1].onset > _EPS:
            into.append((b + 1) % len(genome.bars) + 1)
    parts = [f"{genome.style} in {rhythm}"]
    if into:
        bars_text = ", ".join(str(b) for b in sorted(set(into)))
        parts.append(f"approach notes into bar{'s' if len(set(into)) > 1 else ''} {bars_text}")
    out: dict[str, object] = {
        "style": genome.style,
        "rhythm": rhythm,
        "notes_per_bar": round(len(events) / len(genome.bars), 2),
        "tones": tones,
    }
    if notes:
        lo = min(n.pitch for n in notes)
        hi = max(n.pitch for n in notes)
        out["range"] = f"{pitch_name(lo)}-{pitch_name(hi)}"
        parts.append(f"range {out['range']}")
    out["summary"] = ", ".join(parts)
    return out
