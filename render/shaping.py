"""How the assembly plays each section of the form, beyond looping its approved phrase: a
repeat is varied (:mod:`render.variation`), chords that loop a phrase inside a section re-voice
its later passes, intro and outro are thinned and the energy curve is heard
(:mod:`render.energy`), and the song ends on the tonic (:mod:`render.cadence`).

Deterministic: a repeat's variation draws from a generator seeded by the song's seed, the
section's index and the part's index, so the same seed gives the same song.mid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from music.keys import Key
from music.notes import Note
from render.cadence import final_cadence
from render.energy import SectionShape, energy_curve, section_role, shape_section
from render.section_frame import SectionFrame, onset_key
from render.variation import vary_phrase_loops, vary_repeat

Lyrics = list[tuple[float, str]]


@dataclass(frozen=True, slots=True)
class PlayedSection:
    """One section as a part plays it: which section, its label, and whether the label was
    borrowed from another section (see :mod:`render.assemble`)."""

    index: int
    name: str
    length_qn: float
    label: str
    borrowed: bool


@dataclass
class SongShaper:
    """Shapes each part's section-local notes in playing order; call :meth:`play` part by part
    (chords first, as the arrangement orders them), section by section."""

    names: tuple[str, ...]
    key: Key
    seed: int
    bar_qn: float
    phrase_qn: float
    _energy: tuple[float, ...] = field(init=False)
    #: (part, label) -> its notes as played in body sections so far (what a repeat varies from)
    _played: dict[tuple[str, str], list[list[Note]]] = field(default_factory=dict, init=False)
    _chords: dict[int, list[Note]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._energy = energy_curve(self.names)

    @property
    def energy(self) -> tuple[float, ...]:
        return self._energy

    def play(
        self,
        *,
        part: str,
        part_index: int,
        is_drum: bool,
        section: PlayedSection,
        loop_qn: float,
        notes: list[Note],
        lyrics: Lyrics,
        reference_velocity: float,
    ) -> tuple[list[Note], Lyrics]:
        """``part``'s notes and lyric events in ``section`` (section-local) as the song plays
        them (module docstring); ``reference_velocity``: the part's mean velocity over all its
        approved phrases (what the energy curve scales)."""
        frame = SectionFrame(section.length_qn, self.bar_qn, self.phrase_qn, self.key)
        role = section_role(section.name)
        last = section.index == len(self.names) - 1
        out = list(notes)
        if part == "chords" and not is_drum:
            out = vary_phrase_loops(out, frame=frame, loop_qn=loop_qn)
        shape = SectionShape(role, self._energy[section.index], section.borrowed)
        out = shape_section(
            out,
            part=part,
            is_drum=is_drum,
            shape=shape,
            length_qn=section.length_qn,
            reference_velocity=reference_velocity,
        )
        if role == "body":
            earlier = self._played.setdefault((part, section.label), [])
            if earlier:
                rng = np.random.default_rng([self.seed, section.index, part_index])
                out = vary_repeat(
                    out,
                    part=part,
                    is_drum=is_drum,
                    frame=frame,
                    rng=rng,
                    earlier=list(earlier),
                    chords=self._chords.get(section.index, ()),
                    lyric_onsets=frozenset(onset_key(t) for t, _ in lyrics),
                )
            earlier.append(out)
        if last:
            out = final_cadence(
                out,
                part=part,
                is_drum=is_drum,
                key=self.key,
                length_qn=section.length_qn,
                bar_qn=self.bar_qn,
            )
        if part == "chords":
            self._chords[section.index] = out
        onsets = {onset_key(n.start) for n in out}
        return out, [(t, text) for t, text in lyrics if onset_key(t) in onsets]
