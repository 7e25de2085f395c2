"""Audio previews of a phase's candidates, written in the phase's generate node (never in its
gate, which re-runs on resume): ``<phase>/previews/<id>.mp3``, the candidate heard over the
parts approved before it for its section (nothing under chords).

Previews play the whole candidate (a section's part to its end, plus the release tail), mono,
at -16 LUFS, MP3 (byte-identical for the same seed), and written atomically; only the first
:data:`PREVIEWS_PER_SECTION` candidates of each section get one. The parts underneath are the
same for every candidate of a section, so they are synthesized once per section. The SoundFont
is the render's (``$CHROMATIC_SOUNDFONT``, else FluidR3 GM, else pretty_midi's TimGM6mb); a
missing or broken one stops the phase with a RenderError naming it. The engine is TinySoundFont
when installed: FluidSynth's output for a part depends on what it rendered before (a few
samples at note starts differ, up to -35 dBFS, even after a system reset), so previews rendered
one after another by one shared FluidSynth would differ between an interrupted and a straight
run; TinySoundFont renders the same part to the same samples whatever came before (and faster).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from agents.rundir import RunDir
from music.midi_io import Song
from music.notes import Note, Part
from render.previews import preview_backend, preview_song, render_preview

logger = logging.getLogger(__name__)

PREVIEWS_PER_SECTION: Final = 10
PREVIEW_CHANNELS: Final = 1
#: review.yml's ``previews`` header in a phase whose previews are written on demand.
ON_DEMAND: Final = (
    "approved candidates only; the others are written on demand: chromatic previews RUN "
    "PHASE, chromatic play, or the review page on first play"
)


def _unique_names(parts: Sequence[Part]) -> list[Part]:
    """Parts renamed where needed so no two share a name (approved MIDI tracks are named after
    their section label, so chords and drums of ``verse`` are both ``verse``)."""
    seen: set[str] = set()
    out = []
    for i, p in enumerate(parts):
        name = p.name
        if name in seen:
            name = f"{p.name}_{i}"
        seen.add(name)
        out.append(p if name == p.name else p.renamed(name))
    return out


def _one_part(song: Song) -> Part:
    """The candidate as one Part: its only part, or all its parts' notes on the first's program."""
    if len(song.parts) == 1:
        return song.parts[0]
    first = song.parts[0]
    notes: list[Note] = sorted(
        (n for p in song.parts for n in p.notes), key=lambda n: (n.start, n.pitch)
    )
    return Part(first.name, tuple(notes), program=first.program, is_drum=first.is_drum)


@dataclass
class PreviewWriter:
    """Writes one phase's previews and keeps count of how many and how long they took."""

    run: RunDir
    phase: str
    per_section: int = PREVIEWS_PER_SECTION
    #: None: the whole candidate; a number cuts previews to that many seconds.
    max_seconds: float | None = None
    backend: str | None = field(default_factory=preview_backend)
    #: True: name each preview's path but write none (they are written on demand later).
    deferred: bool = False
    count: int = 0
    seconds: float = 0.0
    _written: dict[str, int] = field(default_factory=dict)
    #: The parts underneath, synthesized once per section (cleared when the section changes).
    _cache: dict[Hashable, np.ndarray] = field(default_factory=dict, repr=False)
    _cache_section: str | None = None

    def write(
        self,
        *,
        candidate_id: str,
        candidate: Song,
        underneath: Sequence[Part] = (),
        section: str = "",
    ) -> str | None:
        """Render the candidate's preview (the first ``per_section`` of each section) and
        return its path relative to the run directory, or None past the limit. ``deferred``:
        the path alone, nothing rendered."""
        done = self._written.get(section, 0)
        if done >= self.per_section:
            return None
        if self.deferred:
            self._written[section] = done + 1
            return self.run.relative(self.run.preview(self.phase, candidate_id))
        t0 = time.perf_counter()
        if section != self._cache_section:
            self._cache.clear()
            self._cache_section = section
        parts = _unique_names([*underneath, _one_part(candidate)])
        song = preview_song(parts[-1], parts[:-1], candidate.bpm, candidate.meter)
        path = render_preview(
            song,
            self.run.preview(self.phase, candidate_id),
            max_seconds=self.max_seconds,
            channels=PREVIEW_CHANNELS,
            backend=self.backend,
            cache=self._cache,
        )
        self._written[section] = done + 1
        self.count += 1
        self.seconds += time.perf_counter() - t0
        return self.run.relative(path)

    def summary(self) -> dict[str, float | int]:
        """``{"count", "seconds"}`` for the phase state (rounded to ms)."""
        logger.info("%s: %d previews in %.2f s", self.phase, self.count, self.seconds)
        return {"count": self.count, "seconds": round(self.seconds, 3)}
