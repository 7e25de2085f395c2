"""Drum genomes to MIDI parts (GM drum notes on the drum channel, swing and micro-offsets
applied) and back, and the kick onsets the bass locks to."""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
from numpy.typing import NDArray

from generators.drums.genome import MAX_OFFSET, DrumGenome, Hit
from generators.drums.grid import VOICE_ROLES, Grid
from music.meter import Meter
from music.notes import Note, Part

logger = logging.getLogger(__name__)

#: Length of every drum note in quarter notes (drum sounds ring out regardless).
DRUM_NOTE_QN = 0.25
#: GM kick notes (acoustic bass drum 35 and bass drum 1 36).
KICK_PITCHES = frozenset({35, 36})
#: GM notes folded onto the voices the genome uses when a part is read back.
_FOLD = {35: 36, 40: 38, 41: 45, 43: 45, 48: 50, 57: 49, 55: 49, 52: 49, 53: 51, 59: 51}


def drums_part(
    genome: DrumGenome,
    meter: Meter,
    *,
    name: str = "drums",
    start_qn: float = 0.0,
    repeats: int = 1,
) -> Part:
    """The pattern as a drum part (``is_drum=True``), played ``repeats`` times from
    ``start_qn``: each hit at its swung grid time plus its micro-offset (a hit pushed before
    time 0 starts at 0), lasting :data:`DRUM_NOTE_QN`. Raises ValueError when ``meter`` is
    not the genome's meter."""
    if meter != genome.grid.meter:
        raise ValueError(
            f"meter: {meter} -- the drum pattern was built in {genome.grid.meter}; use that meter"
        )
    if repeats < 1:
        raise ValueError(f"repeats: {repeats!r} -- at least 1")
    length = genome.bars * meter.bar_qn
    notes = []
    known = _known_notes(genome.grid)
    for r in range(repeats):
        base = start_qn + r * length
        for h in genome.hits:
            # Keyed by the hit's values, not the object: offspring copy, move and rebuild
            # hits (a bar copied, a voice re-swung) far more often than they make new sounds.
            key = (h.step, h.voice, h.velocity, h.offset, base)
            note = known.get(key)
            if note is None:
                t = max(0.0, base + genome.grid.step_qn_at(h.step, h.offset))
                note = Note(start=t, end=t + DRUM_NOTE_QN, pitch=h.voice, velocity=h.velocity)
                known[key] = note
            notes.append(note)
    return Part(name=name, notes=tuple(notes), program=0, is_drum=True)


def drum_note_rows(genome: DrumGenome, meter: Meter) -> NDArray[np.float64]:
    """The notes of ``drums_part(genome, meter)`` as rows ``[hits, 4]`` (start, end, pitch,
    velocity; qn) in the order the part sorts them, the same numbers computed for all hits at
    once. Raises ValueError when ``meter`` is not the genome's meter."""
    grid = genome.grid
    if meter != grid.meter:
        raise ValueError(
            f"meter: {meter} -- the drum pattern was built in {grid.meter}; use that meter"
        )
    hits = genome.hit_table.astype(np.int64)
    bar, step = np.divmod(hits[:, 0], grid.steps_per_bar)
    times = np.array(grid.step_times_qn)
    # Hit.offset is round(offset, 3), the float nearest thousandths / 1000 (the table's
    # column); the sums run in step_qn_at's order, from a repeat starting at 0.0.
    onset = bar * meter.bar_qn + times[step] + (hits[:, 3] / 1000.0) * grid.step_qn
    start = np.maximum(0.0, 0.0 + onset)
    end = start + DRUM_NOTE_QN
    pitch, velocity = hits[:, 1].astype(np.float64), hits[:, 2].astype(np.float64)
    order = np.lexsort((velocity, pitch, end, start))
    return np.stack([start, end, pitch, velocity], axis=1)[order]


#: Notes already made, per grid, by the hit's (step, voice, velocity, offset) and the start of
#: its repeat: a phase turns thousands of genomes that share most of their hits into parts, and
#: a Note is immutable, so each is made once. Cleared past :data:`_KNOWN_LIMIT` notes.
_KNOWN: dict[Grid, dict[tuple[int, int, int, float, float], Note]] = {}
_KNOWN_LIMIT: Final = 50_000


def _known_notes(grid: Grid) -> dict[tuple[int, int, int, float, float], Note]:
    known = _KNOWN.get(grid)
    if known is None or len(known) > _KNOWN_LIMIT:
        if len(_KNOWN) > 8:
            _KNOWN.clear()
        known = _KNOWN[grid] = {}
    return known


def kick_onsets(part: Part) -> tuple[float, ...]:
    """Onsets of the kick drum (GM 35 and 36) in quarter notes, sorted, duplicates merged."""
    return tuple(sorted({round(n.start, 6) for n in part.notes if n.pitch in KICK_PITCHES}))


def part_to_genome(part: Part, grid: Grid, bars: int, *, style: str = "from MIDI") -> DrumGenome:
    """Read a drum part back into a genome on ``grid``: each note goes to its nearest step with
    the rest as micro-offset; notes past ``bars`` bars and drum notes the genome has no voice for
    are dropped (counted in the log)."""
    hits: list[Hit] = []
    dropped = 0
    for n in part.notes:
        voice = _FOLD.get(n.pitch, n.pitch)
        if voice not in VOICE_ROLES:
            dropped += 1
            continue
        step, off = grid.nearest_step(n.start)
        if step >= bars * grid.steps_per_bar:
            dropped += 1
            continue
        off = max(-MAX_OFFSET, min(MAX_OFFSET, off))
        hits.append(Hit(step=step, voice=voice, velocity=n.velocity, offset=off))
    if dropped:
        logger.info(
            "part %s: %d drum notes dropped (no voice or past %d bars)", part.name, dropped, bars
        )
    return DrumGenome(grid=grid, bars=bars, hits=(), style=style).with_hits(hits)
