"""Where a run stands, read from its checkpoint database without building the agent graph.

``status``, ``review`` and ``approve`` only need the last checkpoint's state values and whether
the run waits at a gate. Building the graph for that imports LangGraph, the phases, evolution
and the audio stack (about two seconds); this module reads the same facts with ``sqlite3`` and
a msgpack decoder that takes plain values only (nothing in the file can name a type to build).

The agent's state holds only small JSON-like values (agents/graph.py), so a run's checkpoint
decodes here. Anything else -- a value of another type, a gate already answered, several
nodes due at once -- is left to the graph (:func:`agents.run_graph.run_status`), which reads
every case: :func:`read_status` falls back to it, so the answer is always the graph's.
tests/agents/test_run_state.py checks that both agree on real runs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import ormsgpack

from agents.errors import RunStateError
from agents.run_outcome import THREAD_ID, RunOutcome
from agents.rundir import RunDir

_BRANCH: Final = "branch:to:"  # LangGraph's trigger channel of each node due next
_INTERRUPT: Final = "__interrupt__"  # the pending write of a gate that stopped
_GATE: Final = "gate_"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The last checkpoint of a run: its state values, the nodes due next, and the channels
    of its pending writes."""

    values: dict[str, Any]
    next: tuple[str, ...]
    writes: tuple[str, ...]


class _NotPlain(Exception):
    """The checkpoint holds a value this reader does not decode (the graph reads it)."""


def _refuse_ext(code: int, data: bytes) -> Any:
    raise _NotPlain(f"msgpack extension type {code}")


def _decode(kind: str, blob: bytes) -> Any:
    if kind != "msgpack":
        raise _NotPlain(f"serialisation {kind!r}")
    try:
        return ormsgpack.unpackb(blob, ext_hook=_refuse_ext, option=ormsgpack.OPT_NON_STR_KEYS)
    except ormsgpack.MsgpackDecodeError as exc:
        raise _NotPlain(str(exc)) from None


def read_snapshot(run: RunDir) -> Snapshot | None:
    """The run's last checkpoint, or None when there is none yet. Raises :class:`_NotPlain`
    for a checkpoint this reader leaves to the graph, RunStateError for a file that is not a
    checkpoint database."""
    uri = f"{run.checkpoints.resolve().as_uri()}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True) as conn:
            row = conn.execute(
                "SELECT checkpoint_id, type, checkpoint FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1",
                (THREAD_ID,),
            ).fetchone()
            if row is None:
                return None
            writes = conn.execute(
                "SELECT channel FROM writes WHERE thread_id = ? AND checkpoint_ns = '' "
                "AND checkpoint_id = ? ORDER BY task_id, idx",
                (THREAD_ID, row[0]),
            ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None  # created, never written: the run has not started
        raise _checkpoint_error(run, exc) from None
    except sqlite3.DatabaseError as exc:
        raise _checkpoint_error(run, exc) from None
    checkpoint = _decode(row[1], row[2])
    values = checkpoint.get("channel_values") if isinstance(checkpoint, dict) else None
    if not isinstance(values, dict):
        raise _NotPlain("no channel values")
    due = tuple(sorted(k[len(_BRANCH) :] for k in values if str(k).startswith(_BRANCH)))
    state = {k: v for k, v in values.items() if not str(k).startswith(_BRANCH)}
    return Snapshot(values=state, next=due, writes=tuple(str(w[0]) for w in writes))


def _checkpoint_error(run: RunDir, exc: sqlite3.Error) -> RunStateError:
    return RunStateError(
        f"{run.checkpoints}: not a readable checkpoint database ({exc}) -- restore it from a "
        "backup, or start the run again"
    )


def outcome_of(run: RunDir, snapshot: Snapshot | None) -> RunOutcome | None:
    """Where the run stands by ``snapshot``, or None when only the graph can tell."""
    if snapshot is None:
        return RunOutcome(run_dir=run.root, status="not started")
    if snapshot.writes == (_INTERRUPT,) and len(snapshot.next) == 1:
        node = snapshot.next[0]
        phase = node.removeprefix(_GATE)
        if node.startswith(_GATE) and phase in snapshot.values.get("phases", {}):
            return RunOutcome(
                run_dir=run.root, status="awaiting_review", phase=phase, review=run.review(phase)
            )
        return None
    if snapshot.writes:
        return None  # a gate answered, or work written but not yet checkpointed
    if snapshot.values.get("done"):
        return RunOutcome(run_dir=run.root, status="done")
    if len(snapshot.next) == 1:
        return RunOutcome(run_dir=run.root, status="interrupted", phase=snapshot.next[0])
    return None


def read_status(run_dir: Path) -> tuple[RunOutcome, dict[str, Any]]:
    """Where the run stands and its state values (phases, plan), as
    :func:`agents.run_graph.run_status` gives them, read without the graph where it can be."""
    run = RunDir(run_dir).require_existing()
    try:
        snapshot = read_snapshot(run)
        outcome = outcome_of(run, snapshot)
    except _NotPlain:
        outcome = None
    if outcome is not None:
        return outcome, dict(snapshot.values) if snapshot is not None else {}
    from agents.run_graph import run_status

    return run_status(run_dir)
