"""What the drums, bass and melody phases build on: the sections that have approved chords, how
long each section is and what surrounds it in the song, and the approved parts of a section
(chords, drums, bass) read back from the run directory as genomes, time lines and parts.

Every part here is one section long and starts at 0 (quarter notes), like the candidates of
the sectioned phases. Reading goes through the files promotion wrote
(``<phase>/approved/<label>.json`` and ``.mid``), so a phase sees exactly what was approved,
also after a resume in a new process.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from agents.errors import RunStateError
from agents.form import SongForm
from agents.phases.common import dynamic_of
from agents.phases.instruments import (
    bass_register,
    chord_register,
    comping_of,
    orchestration_of,
)
from agents.proposal import Proposal
from agents.rundir import RunDir
from generators.bass import genome as bass_genome
from generators.bass.to_midi import bass_part
from generators.chords import genome as chord_genome
from generators.chords.genome import ChordGenome
from generators.chords.voicing import chords_part
from generators.drums import genome as drum_genome
from generators.drums.genome import DrumGenome
from generators.drums.grid import KICK
from generators.drums.to_midi import drums_part
from generators.harmony import Harmony, chord_timeline
from music.dynamics import at_level
from music.notes import Note, Part, clip_notes

G = TypeVar("G")
#: The phase every later one builds on (agents.phases.chords.PHASE; named here, since the
#: chords phase reads approved progressions through this module too).
CHORDS: Final = "chords"


def approved_sections(run: RunDir, form: SongForm) -> list[str]:
    """Labels with approved chords: the form's labels in playing order, then any other label a
    person approved (alphabetically). Raises RunStateError when none is approved."""
    folder = run.approved(CHORDS)
    found = {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
    labels = [lab for lab in form.labels if lab in found]
    labels += sorted(found - set(labels))
    if not labels:
        raise RunStateError(
            f"{folder}: no approved chords -- approve chord candidates in "
            f"{run.review(CHORDS)} and resume"
        )
    return labels


def steered_sections(run: RunDir, form: SongForm, only: Sequence[str] | None) -> list[str]:
    """The sections a phase evolves: every one with approved chords, or only those of
    ``only`` (a section regenerated, or rebuilt on a part regenerated or imported beneath it).
    Raises RunStateError when one of ``only`` has no approved chords."""
    labels = approved_sections(run, form)
    if only is None:
        return labels
    missing = [s for s in only if s not in labels]
    if missing:
        raise RunStateError(
            f"{run.approved(CHORDS)}: no approved chords for {missing[0]!r} -- sections with "
            f"approved chords: {', '.join(labels)}"
        )
    return [s for s in labels if s in only]


def section_bars(form: SongForm, label: str) -> int:
    """Bars of a section: the longest occurrence of ``label`` in the form (a label the form
    does not name, which a person gave at a gate, plays one chord phrase)."""
    bars = [s.bars for s in form.sections if s.name == label]
    return max(bars) if bars else form.phrase_bars


def leads_into_another(form: SongForm, label: str) -> bool:
    """True when some occurrence of ``label`` is followed by a different section (its last bar
    wants a transition fill)."""
    names = [s.name for s in form.sections]
    return any(a == label and b != label for a, b in itertools.pairwise(names))


def follows_another(form: SongForm, label: str) -> bool:
    """True when some occurrence of ``label`` comes right after a different section (its
    first downbeat wants a crash)."""
    names = [s.name for s in form.sections]
    return any(b == label and a != label for a, b in itertools.pairwise(names))


def previous_label(form: SongForm, label: str, done: list[str]) -> str | None:
    """The section played just before the first ``label`` of the form, if it is in ``done``
    (sections already evolved in this phase); else None."""
    names = [s.name for s in form.sections]
    if label not in names:
        return None
    i = names.index(label)
    return names[i - 1] if i > 0 and names[i - 1] in done else None


@dataclass(frozen=True, slots=True)
class SectionChords:
    """The approved progression of a section, looped to the section's bars, as a time line
    (what the bass and melody compute pitches from) and as the chords part heard under
    candidates."""

    label: str
    bars: int
    genome: ChordGenome
    harmony: Harmony
    part: Part


def section_chords(
    *, run: RunDir, proposal: Proposal, label: str, bars: int, heard_by: str
) -> SectionChords:
    """The approved chords of section ``label`` over ``bars`` bars as phase ``heard_by`` hears
    them (in its evaluation and its previews): the part played in the genre's comping rhythm,
    except under the drums, which hear it held, the harmony as a bed (a comping rhythm the
    critic hears on the straight grid would pull the drums' swing straight)."""
    comped = heard_by != "drums"
    genome = approved_genome(run, CHORDS, label, chord_genome.from_data)
    if genome is None:
        path = run.approved_data(CHORDS, label)
        raise RunStateError(f"{path}: no approved chords for {label!r} -- approve chords for it")
    harmony = chord_timeline(genome, proposal.key, proposal.meter, bars=bars)
    repeats = math.ceil(bars / len(genome))
    orch = orchestration_of(proposal)
    full = chords_part(
        genome,
        proposal.key,
        program=orch.chords.program,
        repeats=repeats,
        register=chord_register(orch),
        comping=comping_of(proposal, orch) if comped else None,
    )
    return SectionChords(
        label=label,
        bars=bars,
        genome=genome,
        harmony=harmony,
        part=clip_part(full, bars * proposal.meter.bar_qn),
    )


def clip_part(part: Part, end_qn: float) -> Part:
    """``part`` without what sounds at or after ``end_qn`` (notes crossing it are cut)."""
    notes = clip_notes(part.notes, end_qn)
    return Part(name=part.name, notes=notes, program=part.program, is_drum=part.is_drum)


def approved_genome(
    run: RunDir, phase: str, label: str, from_data: Callable[[Mapping[str, Any]], G]
) -> G | None:
    """The genome promotion saved for section ``label`` in ``<phase>/approved/<label>.json``,
    read by the part's ``from_data``; None when nothing was approved for it. Raises
    RunStateError naming the file when it cannot be read."""
    data = _approved_data(run, phase, label)
    if data is None or ("genome" not in data and "notes" in data):
        return None  # nothing approved, or a part a person imported as notes
    try:
        return from_data(data["genome"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RunStateError(
            f"{run.approved_data(phase, label)}: approved {phase} for {label!r} are "
            f"unreadable ({exc})"
        ) from exc


def _approved_data(run: RunDir, phase: str, label: str) -> dict[str, Any] | None:
    path = run.approved_data(phase, label)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunStateError(
            f"{path}: approved {phase} for {label!r} are unreadable ({exc})"
        ) from exc
    if not isinstance(data, dict):
        raise RunStateError(f"{path}: approved {phase} for {label!r} -- a JSON object")
    return data


def is_imported(run: RunDir, phase: str, label: str) -> bool:
    """Whether the part approved for ``label`` is one a person imported (``chromatic
    import``), not one evolution made."""
    data = _approved_data(run, phase, label)
    return data is not None and "imported" in data


def imported_notes(run: RunDir, phase: str, label: str) -> tuple[Note, ...] | None:
    """The notes of a part a person imported for ``label`` (``chromatic import``: saved as
    ``notes``, ``[start_qn, end_qn, pitch, velocity]`` each, without a genome), or None."""
    data = _approved_data(run, phase, label)
    if data is None or "genome" in data or "notes" not in data:
        return None
    try:
        return tuple(
            Note(start=float(s), end=float(e), pitch=int(p), velocity=int(v))
            for s, e, p, v in data["notes"]
        )
    except (ValueError, TypeError) as exc:
        raise RunStateError(
            f"{run.approved_data(phase, label)}: imported {phase} notes for {label!r} are "
            f"unreadable ({exc})"
        ) from exc


def approved_drums(run: RunDir, label: str) -> DrumGenome | None:
    """The approved drum pattern of a section, or None when no drums were approved for it."""
    return approved_genome(run, "drums", label, drum_genome.from_data)


def played_level(run: RunDir, proposal: Proposal, phase: str, label: str) -> float:
    """The dynamic level the part approved for ``label`` in ``phase`` is played at: the
    song's (:func:`agents.phases.common.dynamic_of`), except for a part a person imported,
    which keeps the velocities they played."""
    return 1.0 if is_imported(run, phase, label) else dynamic_of(proposal)


def as_played(
    run: RunDir, proposal: Proposal, label: str, parts: Mapping[str, Sequence[Part]]
) -> tuple[Part, ...]:
    """The parts approved for ``label`` (by phase, as written: what evolution scores) as the
    song plays them, each at :func:`played_level`: what a preview plays under a candidate."""
    return tuple(
        at_level(part, played_level(run, proposal, phase, label))
        for phase, group in parts.items()
        for part in group
    )


def drums_under(genome: DrumGenome | None) -> tuple[Part, ...]:
    """The approved drums as a part (none when nothing was approved)."""
    return () if genome is None else (drums_part(genome, genome.grid.meter),)


def kick_grid_onsets(genome: DrumGenome | None) -> tuple[float, ...]:
    """The approved kick's onsets in qn from the section start, on the (swung) grid without the
    drummer's micro-timing: what a bass player locks to. Empty without approved drums."""
    if genome is None:
        return ()
    grid = genome.grid
    return tuple(sorted({round(grid.step_qn_at(h.step, 0.0), 6) for h in genome.voice_hits(KICK)}))


def approved_bass(run: RunDir, proposal: Proposal, chords: SectionChords) -> Part | None:
    """The approved bass line of ``chords``' section over its approved progression (or the
    notes a person imported for it), or None when no bass was approved for it."""
    orch = orchestration_of(proposal)
    notes = imported_notes(run, "bass", chords.label)
    if notes is not None:
        return Part(name="bass", notes=notes, program=orch.bass.program)
    genome = approved_genome(run, "bass", chords.label, bass_genome.from_data)
    if genome is None:
        return None
    return bass_part(
        genome,
        chords.genome,
        proposal.key,
        proposal.meter,
        bars=chords.bars,
        program=orch.bass.program,
        register=bass_register(orch),
    )
