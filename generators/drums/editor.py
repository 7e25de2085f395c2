"""Editor operations of seed 001 step 6, as pure functions on a genome: velocity scaling, mute,
timing shift, snap to grid (for display, keeping micro-offsets for playback), swing, and
progressive layering (core -> core+accent -> full). :func:`apply_edit` applies one by name,
for the agent and the CLI."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from generators.drums.genome import DrumGenome, Hit
from generators.drums.grid import ROLES, VOICE_NAMES, VOICES, Grid, voices_of


def _selection(
    roles: Collection[str] | None, voices: Collection[int] | None
) -> frozenset[int] | None:
    """The voices an edit touches (None = all). Raises ValueError for unknown names."""
    if roles is None and voices is None:
        return None
    chosen: set[int] = set()
    for role in roles or ():
        chosen.update(voices_of(role))
    for v in voices or ():
        if v not in VOICE_NAMES:
            raise ValueError(f"voices: {v!r} -- GM drum notes among {sorted(VOICE_NAMES)}")
        chosen.add(v)
    return frozenset(chosen)


def scale_velocity(
    genome: DrumGenome,
    factor: float,
    *,
    roles: Collection[str] | None = None,
    voices: Collection[int] | None = None,
) -> DrumGenome:
    """Velocities of the chosen hits (all by default) times ``factor``, kept in 1..127."""
    if not (math.isfinite(factor) and factor >= 0):
        raise ValueError(f"factor: {factor!r} -- a finite velocity factor >= 0")
    sel = _selection(roles, voices)
    hits = [
        Hit(h.step, h.voice, max(1, min(127, round(h.velocity * factor))), h.offset)
        if sel is None or h.voice in sel
        else h
        for h in genome.hits
    ]
    return genome.with_hits(hits)


def mute(
    genome: DrumGenome,
    *,
    roles: Collection[str] | None = None,
    voices: Collection[int] | None = None,
) -> DrumGenome:
    """The genome without the chosen voices or roles (nothing chosen mutes nothing)."""
    sel = _selection(roles, voices)
    if sel is None:
        return genome
    return genome.with_hits(h for h in genome.hits if h.voice not in sel)


def shift_timing(
    genome: DrumGenome,
    *,
    steps: int = 0,
    fraction: float = 0.0,
    roles: Collection[str] | None = None,
    voices: Collection[int] | None = None,
    wrap: bool = True,
) -> DrumGenome:
    """Move the chosen hits by ``steps`` whole steps plus ``fraction`` of a step (a laid-back
    snare is ``fraction=+0.1``). Each hit lands on the step nearest its new time with the rest
    kept as its micro-offset; hits pushed past either end wrap around (a loop) or, with
    ``wrap=False``, are dropped. Where a moved hit meets another of its voice it replaces it."""
    if not math.isfinite(fraction):
        raise ValueError(f"fraction: {fraction!r} -- a finite fraction of a step")
    sel = _selection(roles, voices)
    total = genome.total_steps
    still, moved = [], []
    for h in genome.hits:
        if sel is not None and h.voice not in sel:
            still.append(h)
            continue
        t = h.step + h.offset + steps + fraction
        new = math.floor(t + 0.5)
        off = max(-0.5, min(0.5, t - new))
        if not 0 <= new < total:
            if not wrap:
                continue
            new %= total
        moved.append(Hit(new, h.voice, h.velocity, off))
    return genome.with_hits([*still, *moved])


@dataclass(frozen=True, slots=True)
class Snapped:
    """A genome snapped to its grid for display, and the micro-offsets kept for playback
    (``micro[i]`` belongs to ``display.hits[i]``, in fractions of a step)."""

    display: DrumGenome
    micro: tuple[float, ...]

    def playback(self) -> DrumGenome:
        """The genome as it plays: the display's hits with their micro-offsets back on."""
        return self.display.with_hits(
            Hit(h.step, h.voice, h.velocity, off)
            for h, off in zip(self.display.hits, self.micro, strict=True)
        )


def snap_to_grid(genome: DrumGenome, *, keep_micro: bool = True, strength: float = 1.0) -> Snapped:
    """Snap every hit onto its grid step for display. With ``keep_micro`` the micro-offsets are
    kept for playback (the sound does not change); without it they shrink by ``strength``
    (1 = hard quantise, 0.5 = halve every offset)."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength: {strength!r} -- a quantise strength in [0, 1]")
    display = genome.with_hits(Hit(h.step, h.voice, h.velocity, 0.0) for h in genome.hits)
    by_key = {(h.step, h.voice): h.offset for h in genome.hits}
    keep = 1.0 if keep_micro else 1.0 - strength
    micro = tuple(round(by_key[(h.step, h.voice)] * keep, 3) for h in display.hits)
    return Snapped(display=display, micro=micro)


def set_swing(genome: DrumGenome, swing: float) -> DrumGenome:
    """The same hits on a grid with another swing ratio (0.5 = straight)."""
    grid = Grid(genome.grid.meter, genome.grid.steps_per_unit, swing)
    return DrumGenome(grid=grid, bars=genome.bars, hits=genome.hits, style=genome.style)


def progressive_layers(genome: DrumGenome) -> tuple[DrumGenome, DrumGenome, DrumGenome]:
    """The arrangement layers of seed 001: core only, core + accent, and the full pattern."""
    core = mute(genome, roles=[r for r in ROLES if r != "core"])
    core_accent = mute(genome, roles=[r for r in ROLES if r not in ("core", "accent")])
    return core, core_accent, genome


def display_grid(genome: DrumGenome) -> dict[str, str]:
    """One text line per played voice, bars separated by '|': 'X' loud (>= 100), 'x' normal,
    'o' ghost (< 50), '.' rest. What an editor shows once hits are snapped."""
    spb = genome.grid.steps_per_bar
    out: dict[str, str] = {}
    for v in VOICES:
        hits = {h.step: h.velocity for h in genome.hits if h.voice == v}
        if not hits:
            continue
        cells = []
        for s in range(genome.total_steps):
            vel = hits.get(s)
            cells.append("." if vel is None else "X" if vel >= 100 else "o" if vel < 50 else "x")
        out[VOICE_NAMES[v]] = "|".join(
            "".join(cells[b * spb : (b + 1) * spb]) for b in range(genome.bars)
        )
    return out


EDIT_OPS: Final[dict[str, Callable[..., DrumGenome]]] = {
    "scale_velocity": scale_velocity,
    "mute": mute,
    "shift_timing": shift_timing,
    "set_swing": set_swing,
    "quantize": lambda genome, strength=1.0: snap_to_grid(
        genome, keep_micro=False, strength=strength
    ).playback(),
}


def apply_edit(genome: DrumGenome, op: str, params: Mapping[str, Any] | None = None) -> DrumGenome:
    """Apply the edit named ``op`` (one of :data:`EDIT_OPS`) with keyword ``params``, e.g.
    ``apply_edit(g, "mute", {"roles": ["accent"]})``. Raises ValueError naming a bad op or
    parameter."""
    if op not in EDIT_OPS:
        raise ValueError(f"drum edit: {op!r} -- one of {', '.join(EDIT_OPS)}")
    try:
        return EDIT_OPS[op](genome, **dict(params or {}))
    except TypeError as exc:
        raise ValueError(f"drum edit {op}: parameters {dict(params or {})!r} -- {exc}") from exc
