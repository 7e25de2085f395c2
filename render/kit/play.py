"""Playing a drum part on a kit (seed 001, steps 5 and 7).

Each note of the part is a General MIDI drum note; its class (:data:`render.kit.classes.GM_CLASS`)
and its role (:data:`generators.drums.grid.VOICE_ROLES`; ``perc`` notes the grid has no voice
for are texture) choose the pool: the kit's hits of that class in that role, else of that class
in any role, else of the nearest class that has hits (:data:`render.kit.classes.FALLBACKS`).
A note with no pool at all is left to the General MIDI drums.

From the pool one hit is picked (:data:`PICKS`): ``round_robin`` (the pool's hits in turn, one
counter per pool), ``random`` (seeded: the same seed plays the same hits) or ``fixed`` (always
the pool's first, most confident hit). The hit starts at the note's exact time, micro-timing
included (to the sample), scaled by the velocity curve ``(velocity / 127) ** 2`` (-12 dB at
velocity 64, as General MIDI synthesizers' drums fall), so the kit's dynamics follow the drums it
is blended with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np

from music.meter import qn_to_seconds
from music.notes import Part
from render.kit.classes import FALLBACKS, class_of_note
from render.kit.classes import NOTE_ROLES as VOICE_ROLES
from render.kit.manifest import Kit

Pick = Literal["round_robin", "random", "fixed"]
PICKS: Final[tuple[Pick, ...]] = ("round_robin", "random", "fixed")


def velocity_gain(velocity: int) -> float:
    """The gain of a hit at MIDI ``velocity`` (1..127): ``(velocity / 127) ** 2``."""
    return float((max(0, min(127, velocity)) / 127.0) ** 2)


@dataclass(frozen=True, slots=True)
class Placement:
    """One note played: its pitch, the hit chosen, where it starts (frames) and its gain."""

    pitch: int
    hit_id: str
    frame: int
    gain: float


@dataclass
class KitPlayer:
    """Plays drum parts on ``kit`` with one of :data:`PICKS` (``seed`` drives ``random``)."""

    kit: Kit
    pick: Pick = "round_robin"
    seed: int = 0
    _substituted: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.pick not in PICKS:
            raise ValueError(f"kit pick: {self.pick!r} -- one of {', '.join(PICKS)}")

    @property
    def substituted(self) -> Mapping[str, str]:
        """Classes the kit lacks -> the class that played them (after :meth:`placements`)."""
        return dict(self._substituted)

    def pool(self, pitch: int) -> tuple[str, Sequence[str]] | None:
        """``(pool name, hit ids)`` for drum note ``pitch``; None when the kit has nothing
        for it or any class it may borrow from."""
        cls = class_of_note(pitch)
        if cls is None:
            return None
        role = VOICE_ROLES.get(pitch, "texture")
        for c in (cls, *FALLBACKS[cls]):
            by_role = self.kit.pools.get(c)
            if not by_role:
                continue
            if c != cls:
                self._substituted[cls] = c
            if by_role.get(role):
                return f"{c}/{role}", by_role[role]
            ids = [i for r in sorted(by_role) for i in by_role[r]]
            return f"{c}/*", ids
        return None

    def placements(self, part: Part, bpm: float, sample_rate: int) -> list[Placement]:
        """Which hit each note of ``part`` plays, where and how loud, in note order."""
        rng = np.random.default_rng(self.seed)
        turn: dict[str, int] = {}
        out = []
        for note in sorted(part.notes, key=lambda n: (n.start, n.pitch)):
            found = self.pool(note.pitch)
            if found is None:
                continue
            name, ids = found
            if self.pick == "fixed":
                hit = ids[0]
            elif self.pick == "random":
                hit = ids[int(rng.integers(len(ids)))]
            else:
                k = turn.get(name, 0)
                hit = ids[k % len(ids)]
                turn[name] = k + 1
            frame = round(qn_to_seconds(note.start, bpm) * sample_rate)
            out.append(Placement(note.pitch, hit, frame, velocity_gain(note.velocity)))
        return out

    def render(self, part: Part, bpm: float, sample_rate: int, seconds: float) -> np.ndarray:
        """``part`` played on the kit: float32 ``[frames, 2]``, ``seconds`` long."""
        frames = round(seconds * sample_rate)
        out = np.zeros((frames, 2), dtype=np.float32)
        for p in self.placements(part, bpm, sample_rate):
            if p.frame >= frames:
                continue
            sample = self.kit.sample(p.hit_id, sample_rate)
            n = min(sample.shape[0], frames - p.frame)
            out[p.frame : p.frame + n] += sample[:n] * p.gain
        return out
