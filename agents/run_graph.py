"""The agent graph on a run's checkpoint database: open it (read with the strict serializer),
and where the run stands as the graph sees it, which reads every case
(:mod:`agents.run_state` reads the common ones without building the graph)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from agents.checkpoints import StrictSerializer
from agents.graph import build_graph
from agents.run_outcome import THREAD_ID, RunOutcome
from agents.rundir import RunDir

#: The checkpoint thread of a run, as LangGraph's config.
THREAD = {"configurable": {"thread_id": THREAD_ID}}


@contextmanager
def open_graph(run: RunDir) -> Iterator[Any]:
    """The agent graph on the run's checkpoint database, read with the strict serializer
    (a stored object of a type this program never writes is refused, never rebuilt)."""
    conn = sqlite3.connect(str(run.checkpoints), check_same_thread=False)
    try:
        yield build_graph(SqliteSaver(conn, serde=StrictSerializer(run.checkpoints)))
    finally:
        conn.close()


def graph_outcome(graph: Any, run: RunDir) -> RunOutcome:
    """Where the run stands by the graph's last checkpoint."""
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


def run_status(run_dir: Path) -> tuple[RunOutcome, dict[str, Any]]:
    """Where the run stands and its state values (phases, the form under ``plan``)."""
    run = RunDir(run_dir).require_existing()
    with open_graph(run) as graph:
        return graph_outcome(graph, run), dict(graph.get_state(THREAD).values)
