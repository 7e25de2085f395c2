"""Fills for section transitions: the end of a bar becomes a snare roll or a tom descent that
builds in velocity, and the next downbeat gets a crash."""

from __future__ import annotations

import numpy as np

from generators.drums.genome import DrumGenome, Hit, has_fill
from generators.drums.grid import CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, SNARE

#: The fill shapes :func:`add_fill` chooses from.
FILL_KINDS = ("snare_roll", "tom_descent", "snare_toms")

__all__ = ["FILL_KINDS", "add_fill", "crash_on_downbeat", "has_fill"]


def _roll_voices(kind: str, n: int) -> list[int]:
    if kind == "snare_roll":
        return [SNARE] * n
    toms = [HIGH_TOM, MID_TOM, LOW_TOM]
    if kind == "tom_descent":
        return [toms[min(2, i * 3 // max(1, n))] for i in range(n)]
    half = n // 2
    return [SNARE] * half + [toms[min(2, i * 3 // max(1, n - half))] for i in range(n - half)]


def add_fill(
    genome: DrumGenome,
    bar_index: int,
    rng: np.random.Generator,
    *,
    kind: str | None = None,
    crash: bool = True,
) -> DrumGenome:
    """A copy of ``genome`` with a fill over the last one or two pulses of bar ``bar_index``
    (a negative index counts from the end): what played there is cleared (a kick on the fill's
    first pulse stays), a roll in 16ths or 8ths rises from velocity ~70 to ~115, and, when
    ``crash`` and a next bar exists, the next downbeat gets a crash and a kick."""
    bars = genome.bars
    if not -bars <= bar_index < bars:
        raise ValueError(f"bar_index: {bar_index!r} -- a bar of the pattern, -{bars}..{bars - 1}")
    bar = bar_index % bars
    if kind is None:
        kind = FILL_KINDS[int(rng.integers(len(FILL_KINDS)))]
    elif kind not in FILL_KINDS:
        raise ValueError(f"fill kind: {kind!r} -- one of {', '.join(FILL_KINDS)}")
    grid = genome.grid
    pulses = grid.pulse_steps
    span_pulses = 2 if len(pulses) >= 3 and rng.random() < 0.5 else 1
    start_in_bar = pulses[-span_pulses]
    base = bar * grid.steps_per_bar
    start, end = base + start_in_bar, base + grid.steps_per_bar
    span = end - start
    stride = 1 if span <= 2 * grid.steps_per_unit or rng.random() < 0.5 else grid.eighth_steps
    steps = list(range(start, end, stride))
    kept = [
        h for h in genome.hits if not start <= h.step < end or (h.voice == KICK and h.step == start)
    ]
    voices = _roll_voices(kind, len(steps))
    roll = []
    for i, (step, voice) in enumerate(zip(steps, voices, strict=True)):
        rise = i / max(1, len(steps) - 1)
        vel = int(min(127, max(1, round(70 + 45 * rise + rng.normal(0, 4)))))
        off = float(min(0.2, max(-0.2, rng.normal(0.0, 0.05))))
        roll.append(Hit(step=step, voice=voice, velocity=vel, offset=off))
    extra: list[Hit] = []
    if crash and bar + 1 < bars:
        down = (bar + 1) * grid.steps_per_bar
        extra = [
            Hit(step=down, voice=CRASH, velocity=110),
            Hit(step=down, voice=KICK, velocity=108),
        ]
    return genome.with_hits([*kept, *roll, *extra])


def crash_on_downbeat(genome: DrumGenome, bar: int = 0, velocity: int = 105) -> DrumGenome:
    """A copy with a crash on the downbeat of ``bar`` (where the next section begins)."""
    if not 0 <= bar < genome.bars:
        raise ValueError(f"bar: {bar!r} -- 0..{genome.bars - 1}")
    return genome.with_hits(
        [*genome.hits, Hit(step=bar * genome.grid.steps_per_bar, voice=CRASH, velocity=velocity)]
    )
