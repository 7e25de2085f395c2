"""A person's verdicts at a gate (``chromatic approve`` / ``reject``) as library calls: under
the run folder's lock, against the candidates the run itself knows (its checkpoint), and with
an approved candidate's MIDI file checked first (it may have been edited or swapped)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agents.candidate_check import candidate_bars, check_candidate_midi
from agents.errors import ReviewError, RunStateError
from agents.fileio import storage_errors
from agents.proposal import load_proposal
from agents.review import Decision, load_review_document, set_decision
from agents.run_state import read_status
from agents.rundir import RunDir, check_phase
from agents.runlock import run_lock

#: The command that sets each status (named in the lock file and in "in use" errors).
COMMANDS = {"approved": "approve", "rejected": "reject", "pending": "approve"}


def phase_info(run_dir: Path, phase: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The song's form (saved as ``plan``) and the phase's state (candidate ids in rank order,
    sections), from the checkpoint. Raises RunStateError for a phase that has no candidates yet."""
    check_phase(phase)
    _, values = read_status(run_dir)
    info = values.get("phases", {}).get(phase)
    if info is None or "candidates" not in info:
        raise RunStateError(f"{run_dir}: phase {phase!r} has no candidates yet")
    return values["plan"], info


def check_approved_midi(
    run: RunDir, phase: str, candidate_id: str, *, form: Mapping[str, Any], info: Mapping[str, Any]
) -> None:
    """The candidate's MIDI file fits its section (meter, tempo, length, note count)."""
    proposal = load_proposal(run.proposal)
    check_candidate_midi(
        run.candidate_midi(phase, candidate_id),
        meter=proposal.meter,
        bpm=proposal.bpm,
        bars=candidate_bars(form, info, candidate_id),
    )


def record_decision(
    *,
    run_dir: Path,
    phase: str,
    candidate_id: str,
    status: str,
    label: str | None,
    notes: str | None,
) -> Decision:
    """Approve or reject one candidate in the phase's review.yml (validated as a whole, written
    atomically). An approval without ``label`` takes the candidate's section (sectioned
    phases). Raises ReviewError, MidiFileError, RunStateError or RunInUseError."""
    run = RunDir(run_dir).require_existing()
    with storage_errors(run.root), run_lock(run.root, command=COMMANDS[status]):
        form, info = phase_info(run.root, phase)
        ids = list(info["candidates"])
        path = run.review(phase)
        if status == "approved":
            if label is None:
                doc = load_review_document(path)
                entry: dict[str, Any] = next(
                    (c for c in doc["candidates"] if c.get("id") == candidate_id), {}
                )
                label = entry.get("section")
                if label is None:
                    raise ReviewError(
                        file=path,
                        field="--label",
                        value=None,
                        allowed="a section label for the approved candidate, e.g. --label verse",
                    )
            if candidate_id in ids:
                check_approved_midi(run, phase, candidate_id, form=form, info=info)
        return set_decision(
            path,
            candidate_id=candidate_id,
            status=status,
            label=label,
            notes=notes,
            known_ids=ids,
        )
