"""Chords heard in notes a person played: per bar (or per half bar, where its two halves hold
different chords) the root, quality and inversion whose tones cover the most sounding time,
as a chord genome (what the later phases and the transition model read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from generators.chords.genome import Bar, ChordGene, ChordGenome, bar_splits
from music.chords import QUALITIES, RomanChord, triad_quality_in_key
from music.keys import Key
from music.meter import Meter
from music.notes import Note

#: Weight of a chord tone that does not sound, against a second of sounding time per note:
#: small, so a triad played as a dyad still reads as its triad.
_MISSING_TONE: Final = 0.15
#: A chord's lowest sounding pitch class as its root counts this share of the segment's time.
_BASS_ROOT: Final = 0.1
#: Each tone beyond a triad costs this share (a plain triad wins a tie).
_EXTENSION: Final = 0.02


def _weights(notes: Sequence[Note], start: float, end: float) -> tuple[np.ndarray, int | None]:
    """``[12]`` sounding time (qn) per pitch class in [start, end) and the lowest pitch's class."""
    w = np.zeros(12)
    lowest: int | None = None
    for n in notes:
        overlap = min(n.end, end) - max(n.start, start)
        if overlap <= 1e-9:
            continue
        w[n.pitch % 12] += overlap
        if lowest is None or n.pitch < lowest:
            lowest = n.pitch
    return w, None if lowest is None else lowest % 12


def best_chord(weights: np.ndarray, lowest: int | None) -> tuple[int, str, int, float]:
    """``(root pitch class, quality, inversion, score)`` of the chord that best explains the
    pitch-class ``weights`` (``lowest``: the bass's pitch class, for the inversion)."""
    total = float(weights.sum())
    best: tuple[float, int, str] | None = None
    for root in range(12):
        for quality, intervals in QUALITIES.items():
            tones = {(root + i) % 12 for i in intervals}
            inside = sum(float(weights[pc]) for pc in tones)
            missing = sum(1 for pc in tones if weights[pc] <= 1e-9)
            score = inside - (total - inside) - _MISSING_TONE * total * missing
            score -= _EXTENSION * total * (len(intervals) - 3)
            if lowest == root:
                score += _BASS_ROOT * total
            if best is None or score > best[0] + 1e-9:
                best = (score, root, quality)
    assert best is not None
    score, root, quality = best
    inversion = 0
    if lowest is not None:
        members = [(root + i) % 12 for i in QUALITIES[quality]]
        if lowest in members[1:3]:
            inversion = members.index(lowest)
    return root, quality, inversion, score


def recognise_chords(notes: Sequence[Note], key: Key, meter: Meter, bars: int) -> ChordGenome:
    """The chord genome of ``bars`` bars heard in ``notes`` (qn from the part's start). A bar
    splits in two where its halves read as different chords; a bar with nothing sounding
    holds the chord before it (the tonic's triad at the start)."""
    splits = bar_splits(meter)
    halves = splits[1] if len(splits) > 1 else None
    previous = RomanChord(offset=0, quality=triad_quality_in_key(key, 0))
    out: list[Bar] = []
    for b in range(bars):
        t0 = b * meter.bar_qn
        whole = _weights(notes, t0, t0 + meter.bar_qn)
        if whole[0].sum() <= 1e-9:
            out.append((ChordGene(previous.offset, previous.quality, 0, meter.bar_qn),))
            continue
        chords = [_gene(whole, key, meter.bar_qn)]
        if halves is not None:
            first = _weights(notes, t0, t0 + halves[0])
            second = _weights(notes, t0 + halves[0], t0 + meter.bar_qn)
            if first[0].sum() > 1e-9 and second[0].sum() > 1e-9:
                pair = [_gene(first, key, halves[0]), _gene(second, key, halves[1])]
                if (pair[0].offset, pair[0].quality) != (pair[1].offset, pair[1].quality):
                    chords = pair
        out.append(tuple(chords))
        previous = chords[-1].roman
    return tuple(out)


def _gene(heard: tuple[np.ndarray, int | None], key: Key, beats: float) -> ChordGene:
    root, quality, inversion, _ = best_chord(*heard)
    return ChordGene(
        offset=(root - key.tonic) % 12, quality=quality, inversion=inversion, beats=beats
    )
