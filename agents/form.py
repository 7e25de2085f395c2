"""The song's form: sections in order with their bars, and the phrase length progressions use.

The proposal's sections (or :data:`DEFAULT_FORM`) are framed by an intro and an outro when the
form allows it (:func:`framed`): at least :data:`FRAME_MIN_BARS` bars in two or more sections, a
phrase of two bars or more, and no intro or outro of its own. A framing section is one phrase
long; no phase evolves it: the assembly plays the nearest section's parts in it, thinned, and
ends the outro on the tonic (:mod:`render.energy`, :mod:`render.cadence`).

The run saves it as ``plan.json`` and under ``plan`` in its checkpoint (names kept so runs
started by earlier versions resume); in code a "plan" is only a RenderPlan."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from music.meter import Meter, bars_to_seconds
from render.energy import section_role

DEFAULT_FORM = (("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8))
PHRASE_BARS = 4
#: A form this long (bars) or longer gets an intro and an outro it does not have.
FRAME_MIN_BARS = 16


@dataclass(frozen=True, slots=True)
class Section:
    """A section of the form; ``framing``: an intro or outro the planner added (no phase
    evolves it; it borrows its parts from the nearest section)."""

    name: str
    bars: int
    framing: bool = False


@dataclass(frozen=True, slots=True)
class SongForm:
    """Sections in playing order, the distinct section labels (first-appearance order) and the
    bars of one chord phrase (a progression loops to fill its section)."""

    sections: tuple[Section, ...]
    phrase_bars: int
    meter: Meter
    bpm: float

    @property
    def labels(self) -> tuple[str, ...]:
        out: list[str] = []
        for s in self.sections:
            if s.name not in out and not s.framing:
                out.append(s.name)
        return tuple(out)

    @property
    def total_bars(self) -> int:
        return sum(s.bars for s in self.sections)

    @property
    def seconds(self) -> float:
        return bars_to_seconds(self.meter, self.total_bars, self.bpm)

    def to_dict(self) -> dict[str, object]:
        return {
            "sections": [
                {"name": s.name, "bars": s.bars, **({"framing": True} if s.framing else {})}
                for s in self.sections
            ],
            "labels": list(self.labels),
            "phrase_bars": self.phrase_bars,
            "meter": str(self.meter),
            "bar_qn": self.meter.bar_qn,
            "bpm": self.bpm,
            "total_bars": self.total_bars,
            "seconds": round(self.seconds, 3),
        }


def section_label(name: str) -> str:
    """A section name as a label that is safe as a file name: ``"Pre Chorus!"`` ->
    ``"pre_chorus"``."""
    label = re.sub(r"[^a-z0-9_-]+", "_", name.strip().lower()).strip("_-")[:64]
    return label or "section"


def framed(sections: tuple[Section, ...], phrase_bars: int) -> tuple[Section, ...]:
    """``sections`` with a framing intro and outro of one phrase each, where the form allows
    (module docstring)."""
    roles = {section_role(s.name) for s in sections}
    allowed = (
        len(sections) >= 2 and sum(s.bars for s in sections) >= FRAME_MIN_BARS and phrase_bars >= 2
    )
    if not allowed:
        return sections
    intro = () if "intro" in roles else (Section("intro", phrase_bars, framing=True),)
    outro = () if "outro" in roles else (Section("outro", phrase_bars, framing=True),)
    return (*intro, *sections, *outro)


def make_form(
    *, sections: list[tuple[str, int]], meter: Meter, bpm: float, phrase_bars: int = PHRASE_BARS
) -> SongForm:
    """The proposal's sections (or the default verse/chorus form), framed by an intro and an
    outro where the form allows (:func:`framed`); the phrase is 4 bars, or the shortest section
    when one is shorter. ``sections``: the form's own sections, without framing ones."""
    chosen = sections or list(DEFAULT_FORM)
    secs = tuple(Section(name=section_label(n), bars=b) for n, b in chosen)
    phrase = max(1, min(phrase_bars, *(s.bars for s in secs)))
    return SongForm(sections=framed(secs, phrase), phrase_bars=phrase, meter=meter, bpm=bpm)


def form_of_plan(plan: Mapping[str, Any], *, meter: Meter, bpm: float) -> SongForm:
    """The form saved as ``plan`` (:meth:`SongForm.to_dict`, the run's ``plan.json`` and
    checkpoint): its own sections, framed again by :func:`make_form` (a saved framing section
    is the planner's, not one of the form's own)."""
    own = [(s["name"], s["bars"]) for s in plan["sections"] if not s.get("framing")]
    return make_form(sections=own, meter=meter, bpm=bpm)
