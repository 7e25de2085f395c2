"""Drum feels learned from the Groove MIDI Dataset's style labels: for each generator style the
data has (swing from ``jazz``, hip-hop from ``hiphop``, reggae, four-on-the-floor from
``dance/disco``, bossa's timing from the Brazilian ``latin`` sub-styles, ...), how often each
drum class plays at each position of each beat of a 4/4 bar, how loud, and where the positions
really fall (swing and micro-timing, its spread in beats and in milliseconds).
:mod:`generators.drums.feel` reads the table to build the genre styles' patterns in any meter;
the skeleton styles (rock, funk, half-time, shuffle, breakbeat) read only its velocities.

Positions are read on a lattice of twelfths of a beat that holds both 16ths and triplets:
:data:`LATTICE` = (0, 3, 4, 6, 8, 9) -- the beat, its ``e``, its first triplet, its ``&``, its
last triplet (``let``) and its ``a``. Every onset of a ``beat`` performance in 4/4 goes to the
nearest lattice position (an onset near the next beat counts on that beat); the remainder is its
timing. A swung off-beat 8th (at 0.62 of the beat) lands on ``let`` with a remainder of -0.05.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from generators.drums.feel import CLASSES, FORMAT_VERSION, LATTICE
from generators.drums.tokens import DRUM_CLASSES as GROOVE_CLASSES
from training.drums.dataset import GrooveRow, read_index
from training.drums.tokenizer import read_performance

#: Generator style -> the Groove ``info.csv`` styles (exact labels) it learns from.
GROOVE_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "swing": ("jazz", "jazz/swing"),
    "brushes": ("jazz", "jazz/swing"),
    "brushes-straight": ("jazz", "jazz/swing"),
    "hip-hop": ("hiphop",),
    "reggae": ("reggae",),
    "four-on-the-floor": ("dance/disco", "dance"),
    "bossa": ("latin/brazilian-samba", "latin/samba", "latin/brazilian-bossa", "latin/brazilian"),
    # The skeleton styles take their velocities from these (their patterns stay hand-set).
    "rock": ("rock", "rock/indie", "rock/prog", "rock/folk", "rock/rockabilly"),
    "half-time": ("rock/halftime", "rock"),
    "funk": ("funk", "neworleans/funk", "funk/rock", "funk/fast", "funk/latin"),
    "shuffle": ("rock/shuffle", "blues/shuffle", "neworleans/shuffle"),
    "breakbeat": ("hiphop",),
}
#: Groove class index (:data:`generators.drums.tokens.DRUM_CLASSES`) -> the table's class.
_GROOVE_CLASS: Final[dict[int, str]] = {
    i: name for i, name in enumerate(GROOVE_CLASSES) if name in CLASSES
}


def _nearest(frac12: float) -> tuple[int, int, float]:
    """(beat carry 0/1, lattice index, remainder in twelfths) of a position inside a beat."""
    best = (0, 0, frac12)
    for i, p in enumerate(LATTICE):
        if abs(frac12 - p) < abs(best[2]):
            best = (0, i, frac12 - p)
    if abs(frac12 - 12.0) < abs(best[2]):
        best = (1, 0, frac12 - 12.0)
    return best


def _robust_sd(values: Sequence[float]) -> float:
    """1.4826 x the median absolute deviation: the spread of the bulk of the onsets, not of
    the few a position's nearest lattice point misreads."""
    if not values:
        return 0.0
    x = np.asarray(values, dtype=np.float64)
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def _spread(remainders: Sequence[Sequence[float]]) -> float:
    """The robust spread of the remainders around each lattice position's median."""
    return _robust_sd([x - float(np.median(r)) for r in remainders for x in r])


def _rows(data_dir: Path, labels: Sequence[str]) -> list[GrooveRow]:
    wanted = set(labels)
    return [
        r
        for split in ("train", "validation")
        for r in read_index(data_dir, split)
        if r.kind == "beat" and (r.numerator, r.denominator) == (4, 4) and r.style in wanted
    ]


def style_feel(data_dir: Path, labels: Sequence[str]) -> dict[str, Any]:
    """The feel table of the ``beat`` performances in 4/4 whose style is one of ``labels``."""
    rows = _rows(data_dir, labels)
    if not rows:
        raise ValueError(f"Groove styles {list(labels)!r}: no 4/4 beat performance in {data_dir}")
    n_lat = len(LATTICE)
    # present[class][beat][pos] counts bars; velocities and remainders per cell.
    present = np.zeros((len(CLASSES), 4, n_lat))
    velocities: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    remainders: list[list[float]] = [[] for _ in LATTICE]
    remainders_ms: list[list[float]] = [[] for _ in LATTICE]
    bars = 0
    swing: list[float] = []
    for row in rows:
        perf = read_performance(row.midi)
        spb = perf.steps_per_bar
        ms_per_twelfth = 60000.0 / row.bpm / 12.0
        for b, bar in enumerate(perf.bars):
            bars += 1
            seen: set[tuple[int, int, int]] = set()
            for step, hit in bar:
                name = _GROOVE_CLASS.get(hit.cls)
                if name is None:
                    continue
                where = (b * spb + step + hit.offset) / 4.0
                beat, frac = divmod(where, 1.0)
                carry, pos, rem = _nearest(frac * 12.0)
                beat_in_bar = int(beat + carry) % 4
                cell = (CLASSES.index(name), beat_in_bar, pos)
                if LATTICE[pos] in (6, 8) and name in ("closed_hh", "ride"):
                    swing.append(frac)
                velocities[cell].append(hit.velocity)
                remainders[pos].append(rem)
                remainders_ms[pos].append(rem * ms_per_twelfth)
                seen.add(cell)
            for cell in seen:
                present[cell] += 1
    prob = present / max(1, bars)
    vel = np.zeros_like(prob)
    for cell, values in velocities.items():
        vel[cell] = float(np.median(values))
    shares = {
        name: float(sum(len(v) for c, v in velocities.items() if c[0] == i))
        for i, name in enumerate(CLASSES)
    }
    total = max(1.0, sum(shares.values()))
    return {
        "groove_styles": sorted(labels),
        "performances": len(rows),
        "bars": bars,
        "swing_ratio": round(float(np.median(swing)), 4) if swing else 0.5,
        "shares": {k: round(v / total, 4) for k, v in shares.items()},
        "probability": {name: np.round(prob[i], 4).tolist() for i, name in enumerate(CLASSES)},
        "velocity": {name: np.round(vel[i], 1).tolist() for i, name in enumerate(CLASSES)},
        "timing": [round(float(np.mean(r)) / 12.0, 4) if r else 0.0 for r in remainders],
        "timing_sd": round(_spread(remainders) / 12.0, 4),
        "timing_sd_ms": round(_spread(remainders_ms), 2),
    }


def build_feels(data_dir: Path, *, tick: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every style of :data:`GROOVE_SOURCES`: the file :mod:`generators.drums.feel` reads."""
    styles = {}
    for style, labels in GROOVE_SOURCES.items():
        if tick is not None:
            tick(style)
        styles[style] = style_feel(data_dir, labels)
    return {
        "format_version": FORMAT_VERSION,
        "source": "Groove MIDI Dataset v1.0 (Gillick et al. 2019), CC BY 4.0; beat "
        "performances in 4/4, train and validation splits",
        "lattice_twelfths": list(LATTICE),
        "classes": list(CLASSES),
        "styles": styles,
    }
