"""A drum part a person played, as a drum genome: each GM drum note read as the drum class the
genome knows (a bass drum 35 as the kick 36, a side stick as the rim, a splash or china as the
crash, ...), placed on the meter's sixteenth grid with the rest of its time kept as the hit's
micro-timing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from generators.drums.genome import MAX_OFFSET, DrumGenome, Hit
from generators.drums.grid import (
    CLAP,
    CLOSED_HH,
    COWBELL,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    OPEN_HH,
    PEDAL_HH,
    RIDE,
    RIM,
    SHAKER,
    SNARE,
    TAMBOURINE,
    VOICE_NAMES,
    Grid,
)
from music.meter import Meter
from music.notes import Note

#: GM drum notes -> the genome's drum classes.
DRUM_CLASSES: Final[Mapping[int, int]] = {
    35: KICK, 36: KICK,
    37: RIM,
    38: SNARE, 40: SNARE,
    39: CLAP,
    42: CLOSED_HH, 44: PEDAL_HH, 46: OPEN_HH,
    41: LOW_TOM, 43: LOW_TOM, 45: LOW_TOM,
    47: MID_TOM, 48: MID_TOM,
    50: HIGH_TOM,
    49: CRASH, 52: CRASH, 55: CRASH, 57: CRASH,
    51: RIDE, 53: RIDE, 59: RIDE,
    54: TAMBOURINE,
    56: COWBELL,
    69: SHAKER, 70: SHAKER, 82: SHAKER,
}  # fmt: skip


def drum_classes_text() -> str:
    """The GM drum notes a part may play, by class, for error messages."""
    by_class: dict[int, list[int]] = {}
    for note, voice in DRUM_CLASSES.items():
        by_class.setdefault(voice, []).append(note)
    return "; ".join(
        f"{VOICE_NAMES[v]} {'/'.join(map(str, sorted(ns)))}" for v, ns in by_class.items()
    )


def genome_from_notes(
    notes: Sequence[Note], meter: Meter, bars: int, *, style: str = "imported"
) -> DrumGenome:
    """The hits of ``notes`` (GM drum notes of :data:`DRUM_CLASSES`, qn from the part's start)
    over ``bars`` bars; two hits of one class on one step keep the louder. Raises ValueError
    naming a note that is no drum class."""
    grid = Grid.for_meter(meter, "straight")
    step_qn = grid.step_qn
    hits: dict[tuple[int, int], Hit] = {}
    limit = bars * grid.steps_per_bar
    for n in notes:
        if n.pitch not in DRUM_CLASSES:
            raise ValueError(f"drum note: {n.pitch} -- one of {drum_classes_text()}")
        exact = n.start / step_qn
        step = round(exact)
        if step >= limit:
            continue
        offset = max(-MAX_OFFSET, min(MAX_OFFSET, exact - step))
        hit = Hit(step=step, voice=DRUM_CLASSES[n.pitch], velocity=n.velocity, offset=offset)
        place = (step, hit.voice)
        if place not in hits or hits[place].velocity < hit.velocity:
            hits[place] = hit
    return DrumGenome(grid=grid, bars=bars, hits=tuple(hits.values()), style=style)
