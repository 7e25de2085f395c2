"""Key verdicts of the generators' candidates (:mod:`scoring.key_constraint` over genomes):
chord progressions as voiced, and melody or bass lines over the chords they sound with."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from generators.chords.comping import Comping, sounding
from generators.chords.genome import ChordGene, ChordGenome, flatten
from generators.chords.voicing import DEFAULT_REGISTER, ChordRegister, voice_chords
from generators.harmony import Harmony
from music.chords import RomanChord
from music.keys import Key
from music.meter import Meter
from music.notes import Note
from scoring.key_constraint import (
    Facts,
    HeardChord,
    KeyVerdict,
    bar_of,
    progression_facts,
    tonic_emphasis,
    verdicts,
)


@lru_cache(maxsize=1024)
def _roman(offset: int, quality: str, inversion: int) -> RomanChord:
    return RomanChord(offset=offset, quality=quality, inversion=inversion)


def heard_chords(
    genes: Sequence[ChordGene],
    key: Key,
    register: ChordRegister = DEFAULT_REGISTER,
    comping: Comping | None = None,
) -> tuple[HeardChord, ...]:
    """The chords as the phase voices them in ``register`` and plays them in ``comping`` (the
    notes of its MIDI candidate: the instrument's voicing, whose doublings weigh in the key
    heard, and the rests between the hits)."""
    voicings = voice_chords(tuple(genes), key, register)
    out: list[HeardChord] = []
    t = 0.0
    for g, v in zip(genes, voicings, strict=True):
        roman = _roman(g.offset, g.quality, g.inversion)
        held = None if comping is None else sounding(comping, t, g.beats)
        out.append(HeardChord(roman=roman, pitches=v.pitches, beats=g.beats, sounding=held))
        t += g.beats
    return tuple(out)


@lru_cache(maxsize=16384)
def _chord_facts(
    genes: tuple[ChordGene, ...],
    key: Key,
    bar_qn: float,
    register: ChordRegister,
    comping: Comping | None,
) -> Facts:
    return progression_facts(heard_chords(genes, key, register, comping), key, bar_qn=bar_qn)


def chord_verdicts(
    genomes: Sequence[ChordGenome],
    key: Key,
    meter: Meter,
    register: ChordRegister = DEFAULT_REGISTER,
    comping: Comping | None = None,
) -> list[KeyVerdict]:
    """One verdict per chord genome (its chords loop, voiced in ``register`` and played in
    ``comping``), estimated in one batch."""
    bar_qn = meter.bar_qn
    return verdicts(
        [_chord_facts(flatten(g), key, bar_qn, register, comping) for g in genomes], key
    )


def _stray_kind(pitches: Sequence[int], i: int, allowed: Sequence[bool]) -> str | None:
    """Why note ``i`` (outside the scale and its chord) is still fine: a passing tone (by step
    from the note before to the note after, one direction), a neighbour tone (a step away from
    and back to one pitch) or a chromatic approach (a semitone into a next note that is in the
    key); None when it is none of these."""
    following = (i + 1) % len(pitches)  # the line loops with its chords
    if abs(pitches[following] - pitches[i]) == 1 and allowed[following]:
        return "chromatic approach"
    after = pitches[i + 1] if i + 1 < len(pitches) else None
    if i == 0 or after is None:
        return None
    before, here = pitches[i - 1], pitches[i]
    steps = 0 < abs(here - before) <= 2 and 0 < abs(after - here) <= 2
    if steps and (before < here < after or before > here > after):
        return "passing tone"
    if steps and before == after:
        return "neighbour tone"
    return None


def line_facts(
    notes: Sequence[Note],
    key: Key,
    *,
    harmony: Harmony | None,
    bar_qn: float,
    heard_with_chords: bool = False,
) -> Facts:
    """The facts of a melody or bass line in ``key`` over ``harmony`` (the chords it sounds
    with; None: none): its pitch classes (with ``heard_with_chords``, the chords' tones too,
    each for as long as its chord sounds under the line) and tonic emphasis, and its notes that
    are neither in the scale, nor tones of the chord sounding at their onset, nor passing,
    neighbour or chromatic-approach tones (:func:`_stray_kind`), with the share of the line's
    time on them."""
    ordered = sorted(notes, key=lambda n: (n.start, n.pitch))
    scale = set(key.scale_pcs())
    durations = [0.0] * 12  # the same float64 sums as in an array, without numpy per note
    allowed = []
    for n in ordered:
        pc = n.pitch % 12
        durations[pc] += n.end - n.start
        allowed.append(
            pc in scale or (harmony is not None and pc in harmony.at(n.start).pitch_classes)
        )
    hist = np.array(durations, dtype=np.float64)
    pitches = [n.pitch for n in ordered]
    strays: dict[str, int] = {}
    strayed = 0.0
    for i, n in enumerate(ordered):
        if allowed[i] or _stray_kind(pitches, i, allowed) is not None:
            continue
        strays.setdefault(f"{key.pc_name(n.pitch)}{n.pitch // 12 - 1}", bar_of(n.start, bar_qn))
        strayed += n.duration
    total = float(hist.sum())
    if heard_with_chords and harmony is not None and ordered:
        hist = hist + _chord_tones(harmony, max(n.end for n in ordered))
    return Facts(
        histogram=tuple(hist.tolist()),
        emphasis=tonic_emphasis(hist, key),
        out_of_key=tuple(f"{name} in bar {bar}" for name, bar in strays.items()),
        strayed=strayed / total if total else 0.0,
    )


def _chord_tones(harmony: Harmony, end_qn: float) -> np.ndarray:
    """``[12]``: each chord tone of ``harmony`` (looping) for as long as it sounds before
    ``end_qn``."""
    hist = np.zeros(12, dtype=np.float64)
    loop = 0.0
    while loop < end_qn:
        for c in harmony.chords:
            length = min(c.end, end_qn - loop) - c.start
            if length > 0:
                for pc in c.pitch_classes:
                    hist[pc] += length
        loop += harmony.total_qn
    return hist


def line_verdicts(
    lines: Sequence[Sequence[Note]],
    key: Key,
    *,
    harmony: Harmony | None,
    meter: Meter,
    heard_with_chords: bool = False,
) -> list[KeyVerdict]:
    """One verdict per melody or bass line (see :func:`line_facts`), estimated in one batch."""
    facts = [
        line_facts(
            notes, key, harmony=harmony, bar_qn=meter.bar_qn, heard_with_chords=heard_with_chords
        )
        for notes in lines
    ]
    return verdicts(facts, key)
