"""Start and resume runs: open the run directory's SQLite checkpointer, invoke the graph with a
context, and report where the run stopped (a gate awaiting review, or done)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agents.graph import AgentContext, build_graph
from agents.proposal import dump_proposal, load_proposal
from agents.review import approved_labels, read_decisions
from agents.rundir import RunDir
from evolution.engine import GenerationStats
from evolution.executor import Executor
from music.errors import ReviewError, RunStateError

THREAD = {"configurable": {"thread_id": "song"}}


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """Where a run stands: ``awaiting_review`` at ``phase`` (with its review.yml) or ``done``."""

    run_dir: Path
    status: str
    phase: str | None = None
    review: Path | None = None


@dataclass(frozen=True, slots=True)
class Hooks:
    """Callbacks for progress display and the executor to score with."""

    executor: Executor | None = None
    on_phase_start: Callable[[str, int], None] | None = None
    on_generation: Callable[[GenerationStats], None] | None = None


@contextmanager
def open_graph(run: RunDir) -> Iterator[Any]:
    conn = sqlite3.connect(str(run.checkpoints), check_same_thread=False)
    try:
        yield build_graph(SqliteSaver(conn))
    finally:
        conn.close()


def _context(run: RunDir, auto_approve: bool, hooks: Hooks) -> AgentContext:
    return AgentContext(
        run=run,
        auto_approve=auto_approve,
        executor=hooks.executor,
        on_phase_start=hooks.on_phase_start,
        on_generation=hooks.on_generation,
    )


def _outcome(graph: Any, run: RunDir) -> RunOutcome:
    snap = graph.get_state(THREAD)
    for task in snap.tasks:
        for intr in task.interrupts:
            value = intr.value
            return RunOutcome(
                run_dir=run.root,
                status="awaiting_review",
                phase=value["phase"],
                review=run.root / value["review"],
            )
    if snap.values.get("done"):
        return RunOutcome(run_dir=run.root, status="done")
    if snap.next:
        return RunOutcome(run_dir=run.root, status="interrupted", phase=str(snap.next[0]))
    return RunOutcome(run_dir=run.root, status="not started")


def start_run(
    *,
    proposal_path: Path,
    out_dir: Path,
    auto_approve: bool = False,
    hooks: Hooks | None = None,
    replace: bool = False,
) -> RunOutcome:
    """Validate the proposal, create ``out_dir/<slug>/`` and run until the first gate (or to
    the end with ``auto_approve``). ``replace`` first deletes an earlier run of the same song
    (only a folder that is a run directory)."""
    proposal = load_proposal(proposal_path)
    run = RunDir(out_dir / proposal.slug)
    if replace and run.checkpoints.exists() and run.proposal.exists():
        shutil.rmtree(run.root)
    if run.checkpoints.exists():
        raise RunStateError(
            f"{run.root}: a run already exists here -- continue it with `chromatic resume "
            f"{run.root}`, or pass another --out folder"
        )
    run.root.mkdir(parents=True, exist_ok=True)
    dump_proposal(proposal, run.proposal)
    with open_graph(run) as graph:
        graph.invoke(
            {"run_dir": str(run.root), "phases": {}},
            THREAD,
            context=_context(run, auto_approve, hooks or Hooks()),
        )
        return _outcome(graph, run)


def check_review_ready(run: RunDir, phase: str, candidate_ids: list[str]) -> dict[str, str]:
    """Validate the phase's review.yml before resuming: every edit must be valid and at least
    one candidate approved. Raises ReviewError; nothing is written."""
    path = run.review(phase)
    approvals = approved_labels(read_decisions(path, known_ids=candidate_ids))
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


def run_status(run_dir: Path) -> tuple[RunOutcome, dict[str, Any]]:
    """Where the run stands and its state values (phases, plan)."""
    run = RunDir(run_dir).require_existing()
    with open_graph(run) as graph:
        return _outcome(graph, run), dict(graph.get_state(THREAD).values)


def resume_run(
    *, run_dir: Path, auto_approve: bool = False, hooks: Hooks | None = None
) -> RunOutcome:
    """Continue from the last checkpoint: past a gate once its review.yml is valid and has an
    approval, or re-run the node a crash interrupted."""
    run = RunDir(run_dir).require_existing()
    load_proposal(run.proposal)  # a hand-edited proposal.yml is checked before anything runs
    ctx = _context(run, auto_approve, hooks or Hooks())
    with open_graph(run) as graph:
        outcome = _outcome(graph, run)
        if outcome.status == "done":
            return outcome
        if outcome.status == "not started":
            raise RunStateError(
                f"{run.root}: the run has no checkpoint to resume -- start it again"
            )
        if outcome.status == "awaiting_review":
            assert outcome.phase is not None
            values = graph.get_state(THREAD).values
            ids = list(values["phases"][outcome.phase]["candidates"])
            if not auto_approve:
                check_review_ready(run, outcome.phase, ids)
            graph.invoke(Command(resume=True), THREAD, context=ctx)
        else:
            graph.invoke(None, THREAD, context=ctx)
        return _outcome(graph, run)
