"""A person's verdicts at a gate (``chromatic approve`` / ``reject`` and the review page) as
library calls: under the run folder's lock, against the candidates the run itself knows (its
checkpoint), with an approved candidate's MIDI file checked first (it may have been edited or
swapped), and each verdict kept in the run's decision log (:mod:`agents.decision_log`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agents.candidate_check import candidate_bars, check_candidate_midi
from agents.decision_log import append_record, make_record
from agents.errors import ReviewError, RunStateError
from agents.fileio import storage_errors
from agents.proposal import load_proposal
from agents.review import (
    Decision,
    approved_labels,
    load_review_document,
    read_decisions,
    set_decision,
)
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
    source: str = "cli",
) -> Decision:
    """Approve or reject one candidate in the phase's review.yml (validated as a whole, written
    atomically) and add the verdict to the run's decision log (``source``: ``cli`` or ``web``).
    An approval without ``label`` takes the candidate's section (sectioned phases). Raises
    ReviewError, MidiFileError, RunStateError or RunInUseError."""
    run = RunDir(run_dir).require_existing()
    with storage_errors(run.root), run_lock(run.root, command=COMMANDS[status]):
        form, info = phase_info(run.root, phase)
        ids = list(info["candidates"])
        path = run.review(phase)
        doc = load_review_document(path)
        entries = [c for c in doc["candidates"] if isinstance(c, Mapping)]
        found = next((c for c in entries if c.get("id") == candidate_id), {})
        entry = dict(found)  # as the person saw it (set_decision edits the document)
        if status == "approved":
            if label is None:
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
        decision = set_decision(
            path,
            candidate_id=candidate_id,
            status=status,
            label=label,
            notes=notes,
            known_ids=ids,
            doc=doc,
        )
        record = make_record(
            source=source,
            phase=phase,
            entry=entry,
            status=decision.status,
            label=decision.label,
            notes=decision.notes,
            run_root=run.root,
        )
        append_record(run.decision_log, record)
        return decision


def check_review_ready(
    run: RunDir,
    phase: str,
    candidate_ids: list[str],
    decisions: Sequence[Decision] | None = None,
) -> dict[str, str]:
    """Validate the phase's review.yml before resuming: every edit must be valid and at least
    one candidate approved. Returns ``{label: candidate_id}``; raises ReviewError and writes
    nothing. ``decisions``: the file's, already validated (read here when not given)."""
    path = run.review(phase)
    if decisions is None:
        decisions = read_decisions(path, known_ids=candidate_ids)
    approvals = approved_labels(decisions)
    if not approvals:
        raise ReviewError(
            file=path,
            field="candidates[*].status",
            value="no candidate approved",
            allowed=(
                "approve at least one candidate with a label, e.g. `chromatic approve "
                f"{run.root} {phase} {candidate_ids[0] if candidate_ids else 'ID'} --label verse`"
            ),
        )
    return approvals
