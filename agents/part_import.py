"""A part a person wrote, read from a MIDI file as a section's approved part
(``chromatic import RUN PHASE SECTION FILE.mid``; :mod:`agents.steer` records it in the run).

The file is checked before anything is written, each problem one MidiFileError naming the
file, the field, the bad value and what is allowed:

- readable, with notes (for drums: notes on the drum channel when it has any);
- its time signature is the song's (the file's tempo is not: notes are read in beats, and the
  part plays at the song's tempo);
- no note starts after the section's bars (a part may rest at its end; notes ringing past it
  are cut). Chords may also be one chord phrase long: the progression loops like an evolved one;
- every pitch is in the range of the instrument the song gives the part (drums: a GM drum note
  of a drum class the genome knows).

What the later phases and the render get (``<phase>/approved/<section>.json`` and ``.mid``):

- chords: the chord genome heard bar by bar (:mod:`generators.chords.recognise`) for the later
  phases, and the person's own voicing as the approved MIDI the render plays;
- drums: a drum genome of the hits (:mod:`generators.drums.from_notes`), which the bass locks
  to and ``chromatic edit`` edits, written back as the approved MIDI;
- bass and melody: the notes as they are (``notes``; no genome), which the melody phase hears
  under it and the render plays.

The key music21 hears in the file is reported beside the song's key (not enforced: a modal or
chromatic part may read as another key).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.candidate_check import check_meter
from agents.phases.instruments import orchestration_of, with_program
from agents.proposal import Proposal
from generators.chords.genome import describe as describe_chords
from generators.chords.genome import to_data as chords_to_data
from generators.chords.recognise import recognise_chords
from generators.drums.from_notes import DRUM_CLASSES, drum_classes_text, genome_from_notes
from generators.drums.genome import describe as describe_drums
from generators.drums.genome import to_data as drums_to_data
from generators.drums.to_midi import drums_part
from music.errors import MidiFileError
from music.keys import PITCH_CLASS_NAMES_USUAL, Key, pitch_name
from music.midi_io import read_midi
from music.notes import Note, Part, clip_notes

#: The parts a file may be imported as.
IMPORTABLE = ("chords", "drums", "bass", "melody")


@dataclass(frozen=True, slots=True)
class ImportedPart:
    """A checked part: the approved MIDI's ``part`` (named after the section), the approved
    JSON ``data``, the bars it covers, and what a person reads about it."""

    phase: str
    section: str
    bars: int
    part: Part
    data: dict[str, Any]
    heard_key: str | None
    song_key: str
    summary: dict[str, Any]


def _pitch_name(pitch: int) -> str:
    return pitch_name(pitch, PITCH_CLASS_NAMES_USUAL)


def _notes_of(path: Path, phase: str, proposal: Proposal) -> tuple[Note, ...]:
    song = check_meter(path, read_midi(path), proposal.meter)
    parts = song.parts
    if phase == "drums" and any(p.is_drum for p in parts):
        parts = tuple(p for p in parts if p.is_drum)
    notes = tuple(sorted((n for p in parts for n in p.notes), key=lambda n: (n.start, n.pitch)))
    if not notes:
        raise MidiFileError(file=path, field="notes", value=0, allowed="a part with notes")
    return notes


def _length(
    path: Path,
    notes: Sequence[Note],
    *,
    phase: str,
    bars: int,
    phrase_bars: int,
    proposal: Proposal,
) -> int:
    """The bars the part covers: the section's (chords: also one phrase, when the section is
    whole phrases). Raises MidiFileError when a note starts after them."""
    meter = proposal.meter
    used = math.floor(max(n.start for n in notes) / meter.bar_qn + 1e-9) + 1
    if phase == "chords" and used <= phrase_bars < bars and bars % phrase_bars == 0:
        return phrase_bars
    if used > bars:
        also = (
            f", or one {phrase_bars}-bar chord phrase that loops"
            if phase == "chords" and bars % phrase_bars == 0 and phrase_bars < bars
            else ""
        )
        raise MidiFileError(
            file=path,
            field="length",
            value=f"{used} bars (a note starts at beat {max(n.start for n in notes):g})",
            allowed=f"the section's {bars} bars of {meter}{also}: no note starting after its "
            "end (a part may rest at its end; notes ringing past it are cut)",
        )
    return bars


def _check_range(path: Path, notes: Sequence[Note], *, phase: str, proposal: Proposal) -> None:
    meter = proposal.meter
    if phase == "drums":
        for n in notes:
            if n.pitch not in DRUM_CLASSES:
                raise MidiFileError(
                    file=path,
                    field=f"drum note (bar {int(n.start // meter.bar_qn) + 1})",
                    value=n.pitch,
                    allowed=f"a GM drum note of {drum_classes_text()}",
                )
        return
    inst = getattr(orchestration_of(proposal), phase)
    for n in notes:
        if not inst.low <= n.pitch <= inst.high:
            raise MidiFileError(
                file=path,
                field=f"pitch (bar {int(n.start // meter.bar_qn) + 1}, beat "
                f"{n.start % meter.bar_qn + 1:g})",
                value=f"{_pitch_name(n.pitch)} ({n.pitch})",
                allowed=f"the {phase} instrument's range, {inst.name}: "
                f"{_pitch_name(inst.low)}-{_pitch_name(inst.high)} ({inst.low}..{inst.high})",
            )


def heard_key(path: Path) -> str | None:
    """The key music21 hears in the file (e.g. ``"E minor"``), or None where it hears none."""
    from scoring.music21_keys import music21_key

    try:
        tonic, mode = music21_key(path)
    except (ValueError, OSError, IndexError, AttributeError):  # music21 found no notes or key
        return None
    return Key(tonic=tonic, mode=mode).name


def read_part(
    path: Path,
    *,
    phase: str,
    section: str,
    proposal: Proposal,
    bars: int,
    phrase_bars: int,
    origin: Mapping[str, Any] | None = None,
) -> ImportedPart:
    """The part in the MIDI file at ``path`` as ``phase``'s approved part for ``section``
    (``bars`` long in the song's form, whose chord phrase is ``phrase_bars``), checked as the
    module docstring says; ``origin`` is recorded with it (default: the file's name; a
    transcribed recording: the recording and the model, :mod:`agents.audio_import`). Raises
    MidiFileError naming the file, field, value and what is allowed."""
    path = Path(path)
    notes = _notes_of(path, phase, proposal)
    length = _length(
        path, notes, phase=phase, bars=bars, phrase_bars=phrase_bars, proposal=proposal
    )
    _check_range(path, notes, phase=phase, proposal=proposal)
    meter, key = proposal.meter, proposal.key
    notes = clip_notes(notes, length * meter.bar_qn)
    orch = orchestration_of(proposal)
    source: dict[str, Any] = {"imported": {"file": path.name, **(origin or {}), "bars": length}}
    data: dict[str, Any]
    if phase == "drums":
        genome = genome_from_notes(notes, meter, length)
        part = with_program(drums_part(genome, meter, name=section), orch.drum_program)
        data = {"section": section, **source, "genome": drums_to_data(genome)}
        summary: dict[str, Any] = describe_drums(genome)
    else:
        part = Part(name=section, notes=notes, program=orch.program(phase))
        if phase == "chords":
            chords = recognise_chords(notes, key, meter, length)
            data = {
                "section": section,
                **source,
                "key": key.name,
                "meter": str(meter),
                "genome": chords_to_data(chords),
            }
            summary = describe_chords(chords, key)
        else:
            data = {
                "section": section,
                **source,
                "notes": [[n.start, n.end, n.pitch, n.velocity] for n in notes],
            }
            low, high = min(n.pitch for n in notes), max(n.pitch for n in notes)
            summary = {"notes": len(notes), "range": f"{_pitch_name(low)}-{_pitch_name(high)}"}
    return ImportedPart(
        phase=phase,
        section=section,
        bars=length,
        part=part,
        data=data,
        heard_key=None if phase == "drums" else heard_key(path),
        song_key=key.name,
        summary=summary,
    )
