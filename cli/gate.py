"""Commands at the human gate: ``chromatic status``, ``review``, ``approve`` and ``reject``.

They read where the run stands from its checkpoint without building the agent graph
(agents/run_state.py), and import nothing heavy, so they answer at once. Everything shown
that comes from review.yml is printed as it is (an id such as ``[chord_002]`` stays).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import CandidateArg, PhaseArg, RunDirArg, fail, out, plain, report, setup


def status(run_dir: RunDirArg) -> None:
    """Show where a run stands: phases, approvals (those made in review.yml and not yet
    taken by `chromatic resume` are marked pending), and what to do next."""
    setup()
    from rich.table import Table

    from agents.run_state import read_status
    from music.errors import ChromaticError

    try:
        outcome, values = read_status(run_dir)
    except ChromaticError as exc:
        raise fail(exc) from None
    table = Table(title=plain(run_dir))
    for column in ("phase", "status", "approved"):
        table.add_column(column)
    problems: list[str] = []
    for phase, info in values.get("phases", {}).items():
        at_gate = outcome.status == "awaiting_review" and outcome.phase == phase
        gated = {} if at_gate else dict(info.get("approvals", {}))
        approvals = [f"{k}={v}" for k, v in gated.items()]
        if at_gate:
            try:
                pending = pending_approvals(run_dir, phase, list(info.get("candidates", [])))
            except (ChromaticError, ValueError) as exc:
                problems.append(str(exc))
                approvals = ["review.yml has an error (below)"]
            else:
                approvals = [f"{k}={v} (pending resume)" for k, v in pending.items()]
        # Sections approved at an earlier gate, or imported (chromatic regenerate / import).
        approvals += [
            earlier_approval(run_dir, phase, label)
            for label in info.get("approved", {})
            if label not in gated and not (at_gate and label in info.get("sections", {}))
        ]
        status_ = str(info.get("status", ""))
        table.add_row(plain(phase), plain(status_), plain(", ".join(approvals) or "-"))
    out.print(table)
    for problem in problems:
        out.print(f"[yellow]review.yml:[/] {plain(problem)}")
    report(outcome)


def earlier_approval(run_dir: Path, phase: str, label: str) -> str:
    """How ``status`` shows a section approved before the last gate: ``verse=imported`` for a
    part a person imported, else ``verse (earlier gate)``."""
    import json

    from agents.rundir import RunDir

    try:
        data = json.loads(RunDir(run_dir).approved_data(phase, label).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return (
        f"{label}=imported"
        if isinstance(data, dict) and "imported" in data
        else f"{label} (earlier gate)"
    )


def pending_approvals(run_dir: Path, phase: str, ids: list[str]) -> dict[str, str]:
    """``{label: candidate_id}`` approved in the phase's review.yml, which the run takes on
    resume. Raises ReviewError for a review.yml that would not be accepted."""
    from agents.review import approved_labels, read_decisions
    from agents.rundir import RunDir

    return approved_labels(read_decisions(RunDir(run_dir).review(phase), known_ids=ids))


def _review_ids(run_dir: Path, phase: str) -> list[str]:
    """The candidate ids the run generated for ``phase`` (InputError for a phase that does
    not exist, RunStateError for one not reached yet)."""
    from agents.errors import RunStateError
    from agents.run_state import read_status
    from agents.rundir import check_phase

    check_phase(phase)
    _, values = read_status(run_dir)
    info = values.get("phases", {}).get(phase)
    if info is None:
        raise RunStateError(f"{run_dir}: phase {phase!r} has no candidates yet")
    return list(info["candidates"])


def _score(value: object) -> str:
    """A score as shown in the table: 3 decimals, or the value as it is when not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.3f}"
    return plain(value)


_WEB = "Review page (--web)"


def review(
    run_dir: RunDirArg,
    phase: PhaseArg = "chords",
    web: Annotated[
        bool,
        typer.Option(
            "--web",
            help="Serve a page to listen, compare and approve in a browser (the run's current "
            "gate; PHASE is not used) and print its URL with a session token.",
            rich_help_panel=_WEB,
        ),
    ] = False,
    port: Annotated[
        int,
        typer.Option("--port", help="Port of the page (0: any free one).", rich_help_panel=_WEB),
    ] = 8765,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to serve on; the default serves this machine only.",
            rich_help_panel=_WEB,
        ),
    ] = "127.0.0.1",
    scorer: Annotated[
        str | None,
        typer.Option(
            "--scorer",
            envvar="CHROMATIC_SCORER",
            help="The scorer model the page's continue resumes with, as `chromatic resume "
            "--scorer` (default: $CHROMATIC_SCORER, else the shipped model).",
            rich_help_panel=_WEB,
        ),
    ] = None,
) -> None:
    """Show a phase's candidates: rank, progression, composite, theory, chromatic match; with
    --web, serve a page to hear, see and approve them (its continue button resumes the run)."""
    setup()
    if web:
        from cli.web import serve_review

        serve_review(run_dir, host=host, port=port, scorer=scorer)
        return
    from rich.table import Table

    from agents.review import load_review_document, ranking_notes, validate_decisions
    from agents.rundir import RunDir
    from music.errors import ChromaticError

    try:
        run = RunDir(run_dir).require_existing()
        ids = _review_ids(run_dir, phase)
        path = run.review(phase)
        doc = load_review_document(path)
        validate_decisions(path, doc, known_ids=ids)
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    table = Table(title=plain(f"{phase}: {path}"))
    for col in ("rank", "id", "progression", "composite", "theory", "chromatic", "status", "label"):
        table.add_column(col)
    for c in doc["candidates"]:
        scores = c.get("scores") or {}
        chroma = scores.get("chromatic")
        description = c.get("description") or {}
        table.add_row(
            plain(c.get("rank")),
            plain(c.get("id")),
            plain(description.get("progression", "") if isinstance(description, dict) else ""),
            _score(scores.get("composite", 0)),
            _score((scores.get("theory") or {}).get("total", 0)),
            _score(chroma.get("match")) if isinstance(chroma, dict) else "absent",
            plain(c.get("status")),
            plain(c.get("label") or ""),
        )
    out.print(table)
    for section, note in ranking_notes(doc):
        out.print(plain(f"ranks of {section}: {note}"))


def _decide(
    run_dir: Path, phase: str, candidate: str, status_: str, label: str | None, notes: str | None
) -> None:
    from agents.decisions import record_decision
    from music.errors import ChromaticError

    try:
        decision = record_decision(
            run_dir=run_dir,
            phase=phase,
            candidate_id=candidate,
            status=status_,
            label=label,
            notes=notes,
        )
    except (ChromaticError, ValueError) as exc:
        raise fail(exc) from None
    out.print(
        plain(
            f"{decision.candidate_id}: {decision.status}"
            + (f" as {decision.label}" if decision.label else "")
        )
    )


def approve(
    run_dir: RunDirArg,
    phase: PhaseArg,
    candidate: CandidateArg,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="Section label: verse, chorus, ... in any case (default: the candidate's "
            "section in per-section phases; required for chords).",
        ),
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="A note to keep.")] = None,
) -> None:
    """Approve a candidate for a section label (edits review.yml safely)."""
    setup()
    _decide(run_dir, phase, candidate, "approved", label, notes)


def reject(
    run_dir: RunDirArg,
    phase: PhaseArg,
    candidate: CandidateArg,
    notes: Annotated[str | None, typer.Option("--notes", help="Why (kept in review.yml).")] = None,
) -> None:
    """Reject a candidate (edits review.yml safely)."""
    setup()
    _decide(run_dir, phase, candidate, "rejected", None, notes)


def register(app: typer.Typer) -> None:
    """Add the gate commands to ``app``."""
    for command in (status, review, approve, reject):
        app.command()(command)
