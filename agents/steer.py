"""A person steering one section of a run: ``chromatic regenerate`` and ``chromatic import``.

Both work on a part a gate already approved (the phase's gate has been passed), hold the run's
lock, and record a :class:`~agents.steer_state.Steer` in the run's checkpoint by updating the
agent's state as if the node before the work to do had just run (LangGraph
``update_state(..., as_node=...)``), so the run goes on from there on ``chromatic resume`` --
also after a kill, from the checkpoint:

- :func:`request_regenerate` sends the run back to ``generate_<phase>``, which re-evolves the
  section (or only the given bars of it) over the approved parts beneath, and stops at the
  phase's gate for the person to approve again;
- :func:`import_part` writes the person's part as the section's approved part
  (:mod:`agents.part_import` checks it first; staged, recorded, then copied: see
  :mod:`agents.steer_state`) and sends the run on to the next phase. A recording is
  transcribed to MIDI in the run folder first (:mod:`agents.audio_import`) and then takes the
  same path.

Either way every later phase that had approved a part is stale for the section (its part was
built on the old one): it re-evolves the section alone and stops at its gate again, and the
render assembles the song with the new parts (:mod:`agents.steer_state`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.audio_import import Transcription, transcribe_recording
from agents.errors import RunStateError
from agents.fileio import storage_errors
from agents.form import SongForm, form_of_plan
from agents.part_import import ImportedPart, read_part
from agents.phases.approved import approved_sections, section_bars
from agents.phases.kept import KeptBars
from agents.proposal import Proposal, load_proposal
from agents.run_graph import THREAD, open_graph
from agents.rundir import PHASES, RunDir, check_phase, check_safe_name
from agents.runlock import run_lock
from agents.steer_state import Steer, apply_import, staged_files
from music.errors import InputError, MidiFileError
from music.files import write_text_atomic
from music.midi_io import Song, write_midi
from render.audio_io import READ_ALLOWED, is_readable_audio


@dataclass(frozen=True, slots=True)
class SteerResult:
    """What was recorded; ``imported``: the part read (import only); ``transcription``: how a
    recording became that part (an imported recording only)."""

    steer: Steer
    imported: ImportedPart | None = None
    transcription: Transcription | None = None


def parse_bars(text: str | None) -> tuple[int, int] | None:
    """``"5-8"`` -> (5, 8); ``"3"`` -> (3, 3); None -> None. Raises InputError."""
    if text is None:
        return None
    first, sep, last = str(text).strip().partition("-")
    try:
        lo, hi = int(first), int(last if sep else first)
    except ValueError:
        raise InputError(
            file=None, field="--bars", value=text, allowed="a bar range such as 5-8 (or one bar)"
        ) from None
    if not 1 <= lo <= hi:
        raise InputError(
            file=None, field="--bars", value=text, allowed="FIRST-LAST with 1 <= FIRST <= LAST"
        )
    return lo, hi


def _check_section(
    run: RunDir, values: Mapping[str, Any], phase: str, section: str, form: SongForm
) -> None:
    """The phase's gate was passed and ``section`` may carry a part of it."""
    try:
        check_safe_name(section, what="SECTION")
    except ValueError as exc:
        raise InputError(file=None, field="SECTION", value=section, allowed=str(exc)) from None
    if "approved" not in values.get("phases", {}).get(phase, {}):
        raise RunStateError(
            f"{run.root}: the run has not passed its {phase} gate yet -- approve {phase} "
            f"candidates in {run.review(phase)} and `chromatic resume {run.root}` first"
        )
    labels = form.labels if phase == "chords" else approved_sections(run, form)
    if section not in labels:
        what = "a section of the song" if phase == "chords" else "a section with approved chords"
        raise InputError(
            file=None, field="SECTION", value=section, allowed=f"{what}: {', '.join(labels)}"
        )


@contextmanager
def _steering(
    run_dir: Path, phase: str, section: str, *, command: str
) -> Iterator[tuple[RunDir, Any, Mapping[str, Any], SongForm, Proposal]]:
    """The run (locked), its graph, state values, form and proposal, once ``section`` of
    ``phase`` is checked to be steerable."""
    check_phase(phase)
    run = RunDir(Path(run_dir)).require_existing()
    with storage_errors(run.root), run_lock(run.root, command=command):
        proposal = load_proposal(run.proposal)
        with open_graph(run) as graph:
            values = graph.get_state(THREAD).values
            form = form_of_plan(values["plan"], meter=proposal.meter, bpm=proposal.bpm)
            _check_section(run, values, phase, section, form)
            yield run, graph, values, form, proposal


def _stale(values: Mapping[str, Any], phase: str) -> tuple[str, ...]:
    """The phases after ``phase`` whose gate was passed: their parts were built on it."""
    later = PHASES[PHASES.index(phase) + 1 :]
    return tuple(p for p in later if "approved" in values.get("phases", {}).get(p, {}))


def _approved_bars(run: RunDir, phase: str, section: str) -> int:
    """Bars of the section's approved genome; RunStateError for a part imported as notes."""
    path = run.approved_data(phase, section)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        genome = data["genome"]
    except (OSError, ValueError, KeyError, TypeError):
        raise RunStateError(
            f"{path}: no approved {phase} genome for {section!r} (a part imported as notes) -- "
            "regenerate the whole section (without --bars)"
        ) from None
    if phase == "drums":
        return int(genome["bars"])
    return len(genome["bars"]) if isinstance(genome, dict) else len(genome)


def request_regenerate(
    run_dir: Path, phase: str, section: str, bars: tuple[int, int] | None = None
) -> SteerResult:
    """Record that ``section`` of ``phase`` is to be re-evolved (only ``bars``, 1-based and
    inclusive, when given; the others keep the approved notes) and send the run back to that
    phase; ``chromatic resume`` (or :func:`agents.runner.resume_run`) then evolves it and stops
    at the phase's gate. Raises InputError or RunStateError before anything is recorded."""
    with _steering(run_dir, phase, section, command="regenerate") as (run, graph, values, _, _):
        if not run.approved_data(phase, section).is_file():
            raise InputError(
                file=None,
                field="SECTION",
                value=section,
                allowed=f"a section with an approved {phase} part: "
                + ", ".join(sorted(p.stem for p in run.approved(phase).glob("*.json"))),
            )
        kept = None
        if bars is not None:
            length = _approved_bars(run, phase, section)
            if bars[1] > length:
                raise InputError(
                    file=None,
                    field="--bars",
                    value=f"{bars[0]}-{bars[1]}",
                    allowed=f"bars within the approved {phase} part of {section} (1-{length})",
                )
            kept = KeptBars(section=section, first=bars[0], last=bars[1])
        steer = Steer(
            kind="regenerate",
            phase=phase,
            section=section,
            kept=kept,
            stale=_stale(values, phase),
        )
        before = "plan" if phase == PHASES[0] else f"promote_{PHASES[PHASES.index(phase) - 1]}"
        graph.update_state(THREAD, {"steer": steer.to_state(), "done": False}, as_node=before)
    return SteerResult(steer=steer)


def _transcribed_path(run: RunDir, phase: str, section: str) -> Path:
    """Where a recording imported for ``section`` is written as MIDI: beside the staged import."""
    staged_midi = staged_files(run, phase, section)[1][0]
    return staged_midi.with_name(f"{section}.transcribed.mid")


def _read_import(
    run: RunDir,
    file: Path,
    *,
    phase: str,
    section: str,
    proposal: Proposal,
    form: SongForm,
    offset: float | None,
    models: Path | None,
) -> tuple[ImportedPart, Transcription | None]:
    """The part in ``file``: a MIDI file read as it is, or a recording transcribed to MIDI in
    the run folder first and then read the same way (errors name the recording)."""
    transcription = None
    midi = file
    if is_readable_audio(file):
        transcription = transcribe_recording(
            file,
            phase=phase,
            proposal=proposal,
            out=_transcribed_path(run, phase, section),
            offset=offset or 0.0,
            models=models,
        )
        midi = transcription.midi
    elif offset is not None:
        raise InputError(
            file=file,
            field="--offset",
            value=offset,
            allowed=f"only with a recording ({READ_ALLOWED}): a MIDI file's notes are in beats",
        )
    try:
        imported = read_part(
            midi,
            phase=phase,
            section=section,
            proposal=proposal,
            bars=section_bars(form, section),
            phrase_bars=form.phrase_bars,
            origin=None if transcription is None else transcription.origin(),
        )
    except MidiFileError as exc:
        if transcription is None:
            raise
        raise MidiFileError(
            file=f"{file} (transcribed to {midi})",
            field=exc.field,
            value=exc.value,
            allowed=exc.allowed,
        ) from None
    return imported, transcription


def import_part(
    run_dir: Path,
    phase: str,
    section: str,
    file: Path,
    *,
    offset: float | None = None,
    models: Path | None = None,
) -> SteerResult:
    """Take the part in ``file`` as ``section``'s approved ``phase`` part and send the run on
    to the phases after it; ``chromatic resume`` then rebuilds the stale ones for the section
    and renders. ``file`` is a MIDI file, or a recording (an ending of
    :data:`render.audio_io.READ_SUFFIXES`) that is first transcribed to
    ``<phase>/imported/<section>.transcribed.mid`` by the phase's model from ``models``
    (default: the installed ones), its first downbeat ``offset`` seconds in
    (:mod:`agents.audio_import`). Either way the MIDI is checked (:mod:`agents.part_import`)
    and written as ``<phase>/approved/<section>.json`` and ``.mid``. Raises MidiFileError,
    InputError, NoModelError or RunStateError before anything is approved."""
    with _steering(run_dir, phase, section, command="import") as steering:
        run, graph, values, form, proposal = steering
        imported, transcription = _read_import(
            run,
            Path(file),
            phase=phase,
            section=section,
            proposal=proposal,
            form=form,
            offset=offset,
            models=models,
        )
        (data, _), (midi_file, _) = staged_files(run, phase, section)
        song = Song(parts=(imported.part,), bpm=proposal.bpm, meter=proposal.meter)
        write_midi(song, midi_file)
        write_text_atomic(data, json.dumps(imported.data) + "\n")
        approved = dict(values["phases"][phase]["approved"])
        approved[section] = run.relative(run.approved_midi(phase, section))
        steer = Steer(
            kind="import", phase=phase, section=section, stale=_stale(values, phase), staged=True
        )
        graph.update_state(
            THREAD,
            {
                "phases": {phase: {"approved": approved}},
                "steer": steer.to_state(),
                "done": False,
            },
            as_node=f"promote_{phase}",
        )
        apply_import(run, steer)  # again by the next node, should this process die first
    return SteerResult(steer=steer, imported=imported, transcription=transcription)
