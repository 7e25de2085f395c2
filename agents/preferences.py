"""What a run's gates taught: every candidate a person was shown, with the verdict it got, as
:class:`scoring.preferences.ReviewedCandidate` values for ``chromatic train scorer
--from-reviews``.

A verdict is the candidate's last record in the run's decision log (``decisions.jsonl``, written
by ``chromatic approve`` / ``reject`` and the review page); a candidate the log does not name
takes its status in review.yml (an edit by hand), and ``pending`` otherwise. A candidate whose
MIDI changed after its verdict (its hash differs from the one recorded) is left out, with a
warning: the verdict was about other music.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agents.decision_log import DecisionRecord, file_sha256, latest_verdicts, read_records
from agents.proposal import load_proposal
from agents.review import load_review_document
from agents.rundir import PHASES, RunDir, check_safe_name
from music.errors import InputError
from scoring.preferences import VERDICTS, ReviewedCandidate

logger = logging.getLogger(__name__)


def _verdict(path: Path, entry: Mapping[str, Any], record: DecisionRecord | None) -> str:
    status = record.status if record is not None else entry.get("status") or "pending"
    if status not in VERDICTS:
        raise InputError(
            file=path,
            field=f"candidates[{entry.get('id')}].status",
            value=status,
            allowed=" | ".join(VERDICTS),
        )
    return str(status)


def _underneath(run: RunDir, phase: str, section: str | None) -> tuple[Path, ...]:
    """The approved parts of the phases before ``phase`` for ``section`` (what the candidate
    was heard over); nothing for chords or an unsectioned phase."""
    if section is None:
        return ()
    before = PHASES[: PHASES.index(phase)]
    found = (run.approved_midi(p, check_safe_name(section, what="section")) for p in before)
    return tuple(p for p in found if p.is_file())


def reviewed_candidates(run_dir: Path) -> list[ReviewedCandidate]:
    """Every candidate of every phase review the run has, with its verdict. Raises
    ProposalError for a missing proposal, ReviewError for an unreadable review.yml, and
    InputError for a run with no review at all or a candidate whose MIDI is missing."""
    run = RunDir(Path(run_dir))
    proposal = load_proposal(run.proposal)
    records = latest_verdicts(read_records(run.decision_log))
    out: list[ReviewedCandidate] = []
    reviews = [p for p in PHASES if run.review(p).is_file()]
    if not reviews:
        raise InputError(
            file=run.root,
            field="review.yml",
            value="none",
            allowed="a run folder with at least one phase review (chords/review.yml, ...)",
        )
    for phase in reviews:
        path = run.review(phase)
        for entry in load_review_document(path)["candidates"]:
            if not isinstance(entry, Mapping):
                continue
            cid = str(entry.get("id"))
            record = records.get((phase, cid))
            midi = run.candidate_midi(phase, cid)
            if not midi.is_file():
                raise InputError(
                    file=path,
                    field=f"candidates[{cid}].midi_file",
                    value=str(midi),
                    allowed="the candidate's MIDI file in the run folder",
                )
            if record is not None and record.midi_sha256 not in (None, file_sha256(midi)):
                logger.warning("%s: changed since it was %s; left out", midi, record.status)
                continue
            section = entry.get("section")
            section = str(section) if section is not None else None
            rank = entry.get("rank")
            out.append(
                ReviewedCandidate(
                    key=f"{run.root}/{phase}/{cid}",
                    group=f"{run.root}/{phase}/{section or 'all'}",
                    rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
                    verdict=_verdict(path, entry, record),
                    midi=midi,
                    underneath=_underneath(run, phase, section),
                    concept=proposal.concept,
                    color=proposal.color,
                    bpm=proposal.bpm,
                    meter=proposal.meter,
                )
            )
    return out


__all__ = ["reviewed_candidates"]
