"""The graph-free reader of where a run stands (agents/run_state.py) gives the graph's answer
on real runs: at a gate, after an approval, after a failed render, and when done; a
checkpoint it does not decode falls back to the graph; a broken database is one clear error."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from langgraph.checkpoint.base.id import uuid6
from langgraph.checkpoint.sqlite import SqliteSaver

from agents.errors import RunStateError
from agents.review import set_decision
from agents.run_graph import THREAD, run_status
from agents.run_state import read_snapshot, read_status
from agents.rundir import RunDir
from agents.runner import resume_run, start_run
from render.errors import RenderError


def _same(run_dir: Path) -> tuple[str, str | None]:
    light = read_status(run_dir)
    graph = run_status(run_dir)
    assert light == graph
    return light[0].status, light[0].phase


def test_light_status_equals_the_graphs_through_a_whole_run(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal(
        sections=[{"name": "verse", "bars": 4}],
        evolution={"population_size": 8, "generations": 2, "top_n": 2},
    )
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path / "runs")
    run = RunDir(outcome.run_dir)
    assert read_snapshot(run) is not None
    assert _same(run.root) == ("awaiting_review", "chords")

    set_decision(
        run.review("chords"),
        candidate_id="chord_001",
        status="approved",
        label="verse",
        notes=None,
        known_ids=["chord_001", "chord_002"],
    )
    assert _same(run.root) == ("awaiting_review", "chords")

    # The render fails (stems/ is a file): the run stops inside the render node.
    run.stems.write_text("not a folder")
    with pytest.raises(RenderError):
        resume_run(run_dir=run.root, auto_approve=True)
    assert _same(run.root)[0] == "interrupted"

    run.stems.unlink()
    assert resume_run(run_dir=run.root, auto_approve=True).status == "done"
    assert _same(run.root) == ("done", None)
    _, values = read_status(run.root)
    assert set(values["phases"]) == {"chords", "drums", "bass", "melody"}
    assert values["phases"]["chords"]["approvals"] == {"verse": "chord_001"}


def test_a_checkpoint_with_other_types_is_read_by_the_graph(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    outcome = start_run(
        proposal_path=make_proposal(evolution={"population_size": 8, "generations": 1, "top_n": 2}),
        out_dir=tmp_path / "runs",
    )
    run = RunDir(outcome.run_dir)
    conn = sqlite3.connect(run.checkpoints)
    saver = SqliteSaver(conn)
    latest = saver.get_tuple({"configurable": dict(THREAD["configurable"])})
    assert latest is not None
    checkpoint = latest.checkpoint
    # A set is stored as a msgpack extension type: the plain reader leaves it to the graph.
    checkpoint["channel_values"]["plan"] = {**checkpoint["channel_values"]["plan"], "x": {1, 2}}
    checkpoint["id"] = str(uuid6(clock_seq=latest.metadata["step"] + 1))  # the newest
    saver.put(latest.config, checkpoint, latest.metadata, {})
    conn.close()
    light, values = read_status(run.root)
    assert (light, values) == run_status(run.root)
    assert values["plan"]["x"] == {1, 2}


def test_a_broken_checkpoint_database_is_one_error_naming_the_file(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "song")
    run.root.mkdir()
    run.proposal.write_text("title: x\n")
    run.checkpoints.write_bytes(b"this is not a database" * 100)
    with pytest.raises(RunStateError, match=r"checkpoints\.sqlite: not a readable checkpoint"):
        read_status(run.root)


def test_an_empty_checkpoint_database_is_a_run_not_started(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "song")
    run.root.mkdir()
    run.proposal.write_text("title: x\n")
    sqlite3.connect(run.checkpoints).close()
    outcome, values = read_status(run.root)
    assert (outcome.status, values) == ("not started", {})
