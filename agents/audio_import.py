"""A recorded part transcribed for ``chromatic import RUN PHASE SECTION FILE.wav``: the
recording becomes a MIDI file in the run folder, which :mod:`agents.part_import` then checks
and reads exactly as it would a MIDI file the person wrote (:func:`agents.steer.import_part`).

Which model hears it (:func:`route_for_phase`): the model of the stem the song's instrument
for the phase belongs to (:func:`~render.transcription.taxonomy.stem_for_program`) when one is
installed; else the phase's own stem through the resolver, which falls back to a model of the
same role and then to ``other`` (:func:`~render.transcription.taxonomy.resolve_model`):
chords -> piano, drums -> drums, bass -> bass, melody -> synth_lead. So a melody played on a
flute goes to the melodic lead model rather than to a harmonic one, and the models trained
later (piano, guitar, ...) are used as soon as they are installed.

Timing: the recording is taken to be played at the song's tempo with the section's first
downbeat ``offset`` seconds into it (default 0: the recording starts on beat 1; a count-in or
lead-in silence is skipped with ``--offset``). A note at ``t`` seconds starts at
``(t - offset) * bpm / 60`` quarter notes; notes before the offset are dropped. The notes are
written as heard (not quantised), like an imported MIDI part; a drum part's hits are put on
the drum grid by the drum import.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from agents.phases.instruments import orchestration_of
from agents.proposal import Proposal
from music.errors import InputError
from music.midi_io import Song, write_midi
from music.notes import Note, Part
from music.orchestration import Instrument, Orchestration
from render.transcription.decode import NoteEvent
from render.transcription.recording import read_recording, refuse_silence
from render.transcription.taxonomy import Route, resolve_model, stem_for_program
from render.transcription.transcriber import MODELS_DIR, StemTranscriber, installed_models

logger = logging.getLogger(__name__)

#: The stem each phase's part is routed to when its instrument's own stem has no model.
PHASE_STEMS: Final[Mapping[str, str]] = {
    "chords": "piano",
    "drums": "drums",
    "bass": "bass",
    "melody": "synth_lead",
}


@dataclass(frozen=True, slots=True)
class Transcription:
    """A recording transcribed for a phase: the MIDI written, the model route, the notes
    placed on the song's time line, the offset (seconds) of its first downbeat, and the
    song's instrument for the part with the stem it belongs to."""

    audio: Path
    midi: Path
    route: Route
    notes: int
    offset: float
    instrument: str
    stem: str

    def origin(self) -> dict[str, Any]:
        """What the approved part's JSON records about where its notes came from."""
        return {
            "file": self.audio.name,
            "transcribed": self.midi.name,
            "instrument": self.instrument,
            "model": self.route.served_by,
            "route": self.route.via,
            "offset_s": self.offset,
        }

    def describe(self) -> str:
        """One line for a person: the model that heard it and what it heard."""
        served = self.route.served_by
        via = "" if served == self.stem else f", standing in for {self.stem} ({self.instrument})"
        return f"{self.notes} notes heard by the {served} model{via}"


def part_stem(phase: str, orch: Orchestration) -> tuple[str, str]:
    """(instrument, stem) of ``phase``'s part: the song's instrument for it and its stem."""
    if phase == "drums":
        return orch.drums.name, "drums"
    inst: Instrument = getattr(orch, phase)
    return inst.name, stem_for_program(inst.program).name


def route_for_phase(phase: str, orch: Orchestration, models: Mapping[str, Path]) -> Route:
    """The model for a recording of ``phase``'s part (see the module docstring)."""
    _, own = part_stem(phase, orch)
    if own in models:
        return resolve_model(own, models)
    return resolve_model(PHASE_STEMS[phase], models)


def place_notes(events: list[NoteEvent], *, bpm: float, offset: float) -> tuple[Note, ...]:
    """Transcribed ``events`` (seconds) as notes on the song's time line (quarter notes) with
    the first downbeat at ``offset`` seconds; events before it are dropped."""
    qn = bpm / 60.0
    return tuple(
        Note((e.start - offset) * qn, (e.end - offset) * qn, e.pitch, e.velocity)
        for e in events
        if e.start >= offset
    )


def transcribe_recording(
    audio: Path,
    *,
    phase: str,
    proposal: Proposal,
    out: Path,
    offset: float = 0.0,
    models: Path | None = None,
) -> Transcription:
    """Transcribe the recording at ``audio`` as ``phase``'s part and write it to ``out`` (a MIDI
    file at the song's tempo and meter, written atomically). Raises InputError naming the
    recording when it cannot be read, is silent, is shorter than ``offset`` or holds no note
    the model hears; NoModelError when no model serves the phase."""
    audio = Path(audio)
    if offset < 0:
        raise InputError(
            file=None, field="--offset", value=offset, allowed="seconds >= 0 into the recording"
        )
    data, sr = read_recording(audio, field="FILE")
    refuse_silence(data, audio, field="FILE")
    seconds = data.shape[0] / sr
    if offset >= seconds:
        raise InputError(
            file=audio,
            field="--offset",
            value=offset,
            allowed=f"a time inside the recording ({seconds:.2f} s long)",
        )
    orch = orchestration_of(proposal)
    route = route_for_phase(phase, orch, installed_models(models or MODELS_DIR))
    logger.info("%s: %s part -> %s model (%s)", audio.name, phase, route.served_by, route.via)
    events = StemTranscriber.load(route.model).transcribe(data, sr)
    notes = place_notes(events, bpm=proposal.bpm, offset=offset)
    if not notes:
        after = f" after {offset:g} s" if offset else ""
        raise InputError(
            file=audio,
            field="notes",
            value=f"none heard{after} by the {route.served_by} model",
            allowed=f"a recording of the {phase} part with notes the model can hear "
            "(one instrument, close and dry; check --offset)",
        )
    part = Part(name=phase, notes=notes, program=orch.program(phase), is_drum=phase == "drums")
    write_midi(Song(parts=(part,), bpm=proposal.bpm, meter=proposal.meter), out)
    instrument, stem = part_stem(phase, orch)
    return Transcription(
        audio=audio,
        midi=out,
        route=route,
        notes=len(notes),
        offset=offset,
        instrument=instrument,
        stem=stem,
    )
