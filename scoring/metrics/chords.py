"""Harmony metrics of a chord sequence in a key, split into phrases (a Billboard line, one loop
of a generated progression). Chords are read as a root and a triad family (``maj``, ``min``,
``dim``, ``aug``, ``sus``); consecutive equal chords are one chord.

- ``chords_per_bar``: chord changes per bar (harmonic rhythm).
- ``distinct_per_phrase``: mean number of different chords in a phrase.
- ``authentic_share``: share of phrases ending V-I (or vii°-I).
- ``half_share``: share of phrases ending on V.
- ``tonic_end_share``: share of phrases ending on the tonic chord (any approach).
- ``function_entropy``: entropy (bits) of the transitions between harmonic functions (tonic,
  subdominant, dominant, other; table :data:`FUNCTIONS`).
- ``non_diatonic_share``: share of the time on chords with a tone outside the key's scale
  (minor keys also admit the raised leading tone).
- ``tonic_share``: share of the time on chords rooted on the tonic.
- ``rhythm_cv``: coefficient of variation of the chords' lengths (0: every chord as long).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from scoring.metrics.common import EPS, NAN

CHORD_METRICS: Final = (
    "chords_per_bar",
    "distinct_per_phrase",
    "authentic_share",
    "half_share",
    "tonic_end_share",
    "function_entropy",
    "non_diatonic_share",
    "tonic_share",
    "rhythm_cv",
)

#: Semitones above the root of each triad family (``sus``: root and fifth, the suspended tone
#: being either).
TRIAD_TONES: Final[dict[str, tuple[int, ...]]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus": (0, 7),
}
#: Harmonic function (0 tonic, 1 subdominant, 2 dominant, 3 other) of a root by its distance
#: from the tonic: major keys I iii vi / ii IV / V vii; minor keys i III / ii iv VI / v VII vii.
FUNCTIONS: Final[dict[str, tuple[int, ...]]] = {
    "major": (0, 3, 1, 3, 0, 1, 3, 2, 3, 0, 3, 2),
    "minor": (0, 3, 1, 0, 3, 1, 3, 2, 1, 3, 2, 2),
}


@dataclass(frozen=True, slots=True)
class HarmonyEvent:
    """One chord from ``start`` to ``end`` (qn): root pitch class and triad family."""

    start: float
    end: float
    root: int
    triad: str

    def __post_init__(self) -> None:
        if not self.end > self.start:
            raise ValueError(
                f"HarmonyEvent: start {self.start!r}, end {self.end!r} -- end after start (qn)"
            )
        if self.triad not in TRIAD_TONES:
            raise ValueError(
                f"HarmonyEvent.triad: {self.triad!r} -- one of {', '.join(TRIAD_TONES)}"
            )
        if not 0 <= self.root <= 11:
            raise ValueError(f"HarmonyEvent.root: {self.root!r} -- a pitch class 0..11")


def merged(events: Sequence[HarmonyEvent]) -> list[HarmonyEvent]:
    """Consecutive equal chords (root and triad) joined into one."""
    out: list[HarmonyEvent] = []
    for e in events:
        if out and (out[-1].root, out[-1].triad) == (e.root, e.triad):
            out[-1] = HarmonyEvent(out[-1].start, e.end, e.root, e.triad)
        else:
            out.append(e)
    return out


def _cadence(prev: tuple[int, str] | None, last: tuple[int, str]) -> tuple[bool, bool, bool]:
    """(authentic, half, on the tonic) for a phrase ending ``prev`` -> ``last`` (offsets
    above the tonic and triads)."""
    on_tonic = last[0] == 0
    authentic = on_tonic and prev is not None and prev in ((7, "maj"), (11, "dim"))
    return authentic, last[0] == 7, on_tonic


def _entropy(counts: Sequence[int]) -> float:
    total = sum(counts)
    return -sum(c / total * math.log2(c / total) for c in counts if c) + 0.0


def chord_metrics(
    events: Sequence[HarmonyEvent],
    *,
    tonic: int,
    minor: bool,
    scale: Sequence[int],
    bar_qn: float,
    phrase_starts: Sequence[float],
) -> dict[str, float]:
    """Every metric of :data:`CHORD_METRICS` for chords in time order (qn), in the key with
    ``tonic`` and ``scale`` (pitch classes), split into phrases starting at ``phrase_starts``
    (qn, the first at or before the first chord). Plain Python: a progression holds a handful
    of chords, where numpy's per-call cost would dominate."""
    if not events:
        raise ValueError("events: [] -- at least one chord")
    if not bar_qn > 0:
        raise ValueError(f"bar_qn: {bar_qn!r} -- a positive bar length (qn)")
    chords = merged(events)
    allowed = {pc % 12 for pc in scale}
    if minor:
        allowed.add((tonic + 11) % 12)
    table = FUNCTIONS["minor" if minor else "major"]
    rel = [((c.root - tonic) % 12, c.triad) for c in chords]
    lengths = [c.end - c.start for c in chords]
    total = sum(lengths)
    outside = sum(
        length
        for c, length in zip(chords, lengths, strict=True)
        if any((c.root + t) % 12 not in allowed for t in TRIAD_TONES[c.triad])
    )
    on_tonic = sum(length for (r, _), length in zip(rel, lengths, strict=True) if r == 0)
    pairs = Counter((table[a[0]], table[b[0]]) for a, b in itertools.pairwise(rel))
    bounds = sorted({*phrase_starts, chords[-1].end})
    distinct, ends = [], [0, 0, 0]
    for lo, hi in itertools.pairwise(bounds):
        inside = [i for i, c in enumerate(chords) if c.start < hi - EPS and c.end > lo + EPS]
        if not inside:
            continue
        distinct.append(len({rel[i] for i in inside}))
        last = inside[-1]
        for k, flag in enumerate(_cadence(rel[last - 1] if last > 0 else None, rel[last])):
            ends[k] += flag
    phrases = len(distinct)
    mean = total / len(lengths)
    spread = math.sqrt(sum((x - mean) ** 2 for x in lengths) / len(lengths))
    return {
        "chords_per_bar": len(chords) / (total / bar_qn),
        "distinct_per_phrase": sum(distinct) / phrases if phrases else NAN,
        "authentic_share": ends[0] / phrases if phrases else NAN,
        "half_share": ends[1] / phrases if phrases else NAN,
        "tonic_end_share": ends[2] / phrases if phrases else NAN,
        "function_entropy": _entropy(list(pairs.values())) if pairs else 0.0,
        "non_diatonic_share": outside / total,
        "tonic_share": on_tonic / total,
        "rhythm_cv": spread / mean,
    }
