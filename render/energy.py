"""The song's shape: each section's role (intro, body, outro) and its energy, and how both are
heard (velocity, drum density, which parts play).

* **Roles** come from section names: ``intro`` (also ``introduction``, ``prelude``) and
  ``outro`` (also ``coda``, ``ending``, ``tag``); everything else is a body section.
* **Energy** (0..1) rises through the body sections to the climax, the last chorus-like section
  (``chorus``, ``refrain``, ``hook``, ``drop``; else the last body section), which plays at 1.0;
  a chorus sits a step above the verse around it; sections after the climax ease off; an intro
  plays at :data:`INTRO_ENERGY`, an outro at :data:`OUTRO_ENERGY`.
* **Heard as**: a part's mean velocity in a section is its reference (its mean over all its
  approved phrases) times ``0.8 + 0.2 * energy``, the notes keeping their accents (the scale
  stays within :data:`MAX_SCALE` either way); at low energy (:data:`SPARSE`) the drums
  leave out their quiet hits (ghost notes, soft hats); at the climax a crash opens the section.
* **Instrumentation**: an intro or outro that borrows its parts from a neighbouring section
  (the planner added it; no phase evolved it) is thinned: the intro is chords and drums (kick
  and cymbals, the rest joining for its second half), the bass entering for its second half;
  the outro leaves out the melody. An intro or outro a phase evolved plays all its parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from music.gm import CLOSED_HH, CRASH, KICK, OPEN_HH, PEDAL_HH, RIDE
from music.notes import Note
from render.drum_fills import HIT_QN, loudest, with_crash
from render.section_frame import ONSET_TOL

INTRO_NAMES: Final = frozenset({"intro", "introduction", "prelude"})
OUTRO_NAMES: Final = frozenset({"outro", "coda", "ending", "tag"})
CLIMAX_NAMES: Final = frozenset({"chorus", "refrain", "hook", "drop"})
INTRO_ENERGY: Final = 0.45
OUTRO_ENERGY: Final = 0.55
#: The first body section's energy; the climax plays at 1.0.
START_ENERGY: Final = 0.65
#: A chorus-like section's step above the curve.
CHORUS_LIFT: Final = 0.1
#: A section after the climax eases off by this much.
AFTER_CLIMAX_DROP: Final = 0.15
#: Drums below an energy leave out hits quieter than a share of their loudest: (energy, share)
#: from the lowest; an intro or outro drops soft hats, an early verse only ghost notes.
SPARSE: Final = ((0.6, 0.6), (0.75, 0.3))
#: A section's velocities scale by at most this factor (or its inverse).
MAX_SCALE: Final = 1.5
#: What a borrowed intro's drums play in its first half: kick and cymbals.
INTRO_DRUMS: Final = frozenset({KICK, CLOSED_HH, PEDAL_HH, OPEN_HH, CRASH, RIDE})


def section_role(name: str) -> str:
    """``"intro"``, ``"outro"`` or ``"body"`` by the section's name (label)."""
    base = name.strip().lower().rstrip("0123456789_- ")
    if base in INTRO_NAMES:
        return "intro"
    if base in OUTRO_NAMES:
        return "outro"
    return "body"


def _chorus_like(name: str) -> bool:
    return any(word in name.lower() for word in CLIMAX_NAMES)


def climax_index(names: Sequence[str]) -> int | None:
    """The climax section: the last chorus-like body section, else the last body section
    (None when there is no body section)."""
    body = [i for i, n in enumerate(names) if section_role(n) == "body"]
    if not body:
        return None
    chorus = [i for i in body if _chorus_like(names[i])]
    return (chorus or body)[-1]


def energy_curve(names: Sequence[str]) -> tuple[float, ...]:
    """Each section's energy in 0..1 (module docstring), in playing order."""
    climax = climax_index(names)
    body = [i for i, n in enumerate(names) if section_role(n) == "body"]
    out = []
    for i, name in enumerate(names):
        role = section_role(name)
        if role == "intro":
            out.append(INTRO_ENERGY)
            continue
        if role == "outro" or climax is None:
            out.append(OUTRO_ENERGY)
            continue
        if i == climax:
            out.append(1.0)
            continue
        before = [j for j in body if j <= climax]
        if i < climax:
            t = before.index(i) / max(1, len(before) - 1)
            e = START_ENERGY + (1.0 - START_ENERGY - CHORUS_LIFT) * t
        else:
            e = 1.0 - AFTER_CLIMAX_DROP - CHORUS_LIFT
        out.append(round(min(1.0, e + (CHORUS_LIFT if _chorus_like(name) else 0.0)), 3))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SectionShape:
    """How one section is played: its role, energy and whether it borrows its parts (a framing
    section the planner added)."""

    role: str
    energy: float
    borrowed: bool


def velocity_scaled(notes: Sequence[Note], energy: float, reference: float) -> list[Note]:
    """``notes`` scaled so their mean velocity is ``reference * (0.8 + 0.2 * energy)``."""
    if not notes:
        return []
    target = reference * (0.8 + 0.2 * max(0.0, min(1.0, energy)))
    mean = sum(n.velocity for n in notes) / len(notes)
    scale = max(1 / MAX_SCALE, min(MAX_SCALE, target / mean))
    return [
        Note(n.start, n.end, n.pitch, max(1, min(127, round(n.velocity * scale)))) for n in notes
    ]


def drums_for_energy(notes: Sequence[Note], energy: float) -> list[Note]:
    """Drum hits for a section's energy: sparse (no quiet hits) at low energy (:data:`SPARSE`), a
    crash on the downbeat at the climax."""
    if not notes:
        return []
    out = list(notes)
    loud = loudest(notes)
    share = next((q for below, q in SPARSE if energy < below), 0.0)
    out = [n for n in out if n.velocity >= share * loud or n.pitch == KICK]
    if energy >= 1.0 - 1e-9:
        out = with_crash(out, 0.0, loud)
    return out


def thinned(
    notes: Sequence[Note], *, part: str, is_drum: bool, role: str, length_qn: float
) -> list[Note]:
    """A borrowed intro's or outro's notes for ``part`` (module docstring)."""
    if role == "intro":
        if is_drum:
            half = length_qn / 2 - ONSET_TOL
            return [n for n in notes if n.start >= half or n.pitch in INTRO_DRUMS]
        if part == "bass":
            return [n for n in notes if n.start >= length_qn / 2 - ONSET_TOL]
        if part == "chords":
            return list(notes)
        return []
    if role == "outro" and part not in ("chords", "bass") and not is_drum:
        return []
    return list(notes)


def shape_section(
    notes: Sequence[Note],
    *,
    part: str,
    is_drum: bool,
    shape: SectionShape,
    length_qn: float,
    reference_velocity: float,
) -> list[Note]:
    """A section's notes for ``part`` as its shape plays them: thinned when borrowed as an
    intro or outro, drum density and velocity for its energy."""
    out = list(notes)
    if shape.borrowed and shape.role != "body":
        out = thinned(out, part=part, is_drum=is_drum, role=shape.role, length_qn=length_qn)
    if is_drum:
        out = drums_for_energy(out, shape.energy)
    out = velocity_scaled(out, shape.energy, reference_velocity)
    return [n for n in out if n.start < length_qn - HIT_QN / 8]
