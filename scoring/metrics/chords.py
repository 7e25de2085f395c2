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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from scoring.metrics.common import EPS, NAN, entropy_bits

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
    (qn, the first at or before the first chord)."""
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
    lengths = np.array([c.end - c.start for c in chords], dtype=np.float64)
    total = float(lengths.sum())
    outside = np.array(
        [any((c.root + t) % 12 not in allowed for t in TRIAD_TONES[c.triad]) for c in chords]
    )
    tonic_root = np.array([r == 0 for r, _ in rel])
    functions = [table[r] for r, _ in rel]
    pairs = np.zeros(16, dtype=np.int64)
    for a, b in itertools.pairwise(functions):
        pairs[4 * a + b] += 1
    bounds = sorted({*phrase_starts, chords[-1].end})
    starts = np.array([c.start for c in chords])
    ends = np.array([c.end for c in chords])
    distinct, cadences = [], []
    for lo, hi in itertools.pairwise(bounds):
        inside = np.flatnonzero((starts < hi - EPS) & (ends > lo + EPS))
        if not inside.size:
            continue
        distinct.append(len({rel[i] for i in inside}))
        last = int(inside[-1])
        cadences.append(_cadence(rel[last - 1] if last > 0 else None, rel[last]))
    ends_of = np.array(cadences, dtype=bool).reshape(-1, 3)
    return {
        "chords_per_bar": len(chords) / (total / bar_qn),
        "distinct_per_phrase": float(np.mean(distinct)) if distinct else NAN,
        "authentic_share": float(ends_of[:, 0].mean()) if len(ends_of) else NAN,
        "half_share": float(ends_of[:, 1].mean()) if len(ends_of) else NAN,
        "tonic_end_share": float(ends_of[:, 2].mean()) if len(ends_of) else NAN,
        "function_entropy": entropy_bits(pairs) if pairs.any() else 0.0,
        "non_diatonic_share": float(lengths[outside].sum() / total),
        "tonic_share": float(lengths[tonic_root].sum() / total),
        "rhythm_cv": float(lengths.std() / lengths.mean()),
    }
