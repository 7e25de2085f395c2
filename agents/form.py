"""The song's form: sections in order with their bars, and the phrase length progressions use.

The run saves it as ``plan.json`` and under ``plan`` in its checkpoint (names kept so runs
started by earlier versions resume); in code a "plan" is only a RenderPlan."""

from __future__ import annotations

import re
from dataclasses import dataclass

from music.meter import Meter, bars_to_seconds

DEFAULT_FORM = (("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8))
PHRASE_BARS = 4


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    bars: int


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
            if s.name not in out:
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
            "sections": [{"name": s.name, "bars": s.bars} for s in self.sections],
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


def make_form(
    *, sections: list[tuple[str, int]], meter: Meter, bpm: float, phrase_bars: int = PHRASE_BARS
) -> SongForm:
    """The proposal's sections (or the default verse/chorus form); the phrase is 4 bars, or the
    shortest section when one is shorter."""
    chosen = sections or list(DEFAULT_FORM)
    secs = tuple(Section(name=section_label(n), bars=b) for n, b in chosen)
    phrase = max(1, min(phrase_bars, *(s.bars for s in secs)))
    return SongForm(sections=secs, phrase_bars=phrase, meter=meter, bpm=bpm)
