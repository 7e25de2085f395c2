"""Previews written after their phase: where nobody listens at the gate (an auto-approved
run), a phase writes none while it generates (its review.yml header says so:
:data:`agents.phases.preview_writer.ON_DEMAND`), its
gate writes the approved candidates' previews, and the rest are written here when asked for
(``chromatic previews RUN [PHASE]``, ``chromatic play``, the review page on first play).

A preview written here is the candidate's MIDI file over the parts approved before its phase
for its section (chords: nothing; drums: the chords; bass: chords and drums; melody: chords,
drums and bass), as the phase's own previews are. The candidate is read back from its MIDI
file, except a drum candidate, rebuilt from its genome JSON (the MIDI file rounds the
drummer's micro-timing to ticks), so a preview written here has the bytes the phase would
have written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from agents.errors import ReviewError
from agents.form import make_form
from agents.phases.approved import (
    approved_bass,
    approved_drums,
    as_played,
    drums_under,
    section_bars,
    section_chords,
)
from agents.phases.common import dynamic_of
from agents.phases.instruments import orchestration_of, with_program
from agents.phases.preview_writer import PreviewWriter
from agents.proposal import Proposal, load_proposal
from agents.review import load_review_document
from agents.rundir import RunDir
from generators.drums import genome as drum_genome
from generators.drums.to_midi import drums_part
from music.dynamics import at_level
from music.midi_io import Song, read_midi
from music.notes import Part


def parts_underneath(run: RunDir, proposal: Proposal, phase: str, label: str) -> tuple[Part, ...]:
    """The parts approved before ``phase`` for section ``label``, as its previews play them."""
    if phase == "chords":
        return ()
    form = make_form(
        sections=[(s.name, s.bars) for s in proposal.sections],
        meter=proposal.meter,
        bpm=proposal.bpm,
    )
    bars = section_bars(form, label)
    chords = section_chords(run=run, proposal=proposal, label=label, bars=bars, heard_by=phase)
    approved: dict[str, Sequence[Part]] = {"chords": (chords.part,)}
    if phase != "drums":
        approved["drums"] = drums_under(approved_drums(run, label))
    if phase == "melody":
        bass = approved_bass(run, proposal, chords)
        approved["bass"] = () if bass is None else (bass,)
    return as_played(run, proposal, label, approved)


def _candidate(run: RunDir, proposal: Proposal, phase: str, cid: str) -> Song:
    """The candidate as its phase made it (see the module docstring)."""
    if phase == "drums":
        data = json.loads(run.candidate_data(phase, cid).read_text())
        if isinstance(data, dict) and "genome" in data:
            genome = drum_genome.from_data(data["genome"])
            part = at_level(drums_part(genome, proposal.meter), dynamic_of(proposal))
            program = orchestration_of(proposal).drum_program
            return Song(
                parts=(with_program(part, program),), bpm=proposal.bpm, meter=proposal.meter
            )
    return read_midi(run.candidate_midi(phase, cid))


def _entries(run: RunDir, phase: str, review: Any = None) -> list[Any]:
    doc = load_review_document(run.review(phase)) if review is None else review
    return [c for c in doc["candidates"] if hasattr(c, "get")]


def write_missing_previews(
    run: RunDir, phase: str, ids: Iterable[str] | None = None, *, review: Any = None
) -> list[str]:
    """Write the previews review.yml names for ``phase`` (of ``ids`` only, when given) that
    are not on disk; return the ids written. An id review.yml does not list raises
    ReviewError; one whose entry names no preview (past a section's limit) gets none.
    ``review``: the phase's review.yml as :func:`agents.review.load_review_document` read it
    (and as it now is on disk), when the caller holds it; read here when not given."""
    entries = {str(e.get("id")): e for e in _entries(run, phase, review)}
    wanted = list(entries) if ids is None else list(ids)
    for cid in wanted:
        if cid not in entries:
            raise ReviewError(
                file=run.review(phase),
                field="id",
                value=cid,
                allowed=f"one of {', '.join(entries)}",
            )
    missing = [
        cid
        for cid in wanted
        if isinstance(entries[cid].get("preview"), str) and not run.preview(phase, cid).is_file()
    ]
    if not missing:
        return []
    proposal = load_proposal(run.proposal)
    writer = PreviewWriter(run=run, phase=phase, per_section=len(missing))
    under: dict[str, tuple[Part, ...]] = {}
    # One section after another, so the writer synthesizes each section's backing once.
    for cid in sorted(missing, key=lambda i: (str(entries[i].get("section") or ""), i)):
        section = str(entries[cid].get("section") or "")
        if section not in under:
            under[section] = parts_underneath(run, proposal, phase, section) if section else ()
        writer.write(
            candidate_id=cid,
            candidate=_candidate(run, proposal, phase, cid),
            underneath=under[section],
            section=section,
        )
    writer.summary()
    return missing
