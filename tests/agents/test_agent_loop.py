"""The agent end to end with the real LangGraph graph and SQLite checkpointer: stop at the
chords gate, approve, resume in a new process, promote and stop at the drums gate;
auto-approve through all four phases; kill and resume."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import mido
import pytest

from agents.errors import ReviewError, RunStateError
from agents.review import read_decisions, set_decision
from agents.run_graph import run_status
from agents.runner import resume_run, start_run

CLI = [sys.executable, "-m", "cli"]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True)


PHASES = ("chords", "drums", "bass", "melody")


def _approved_bytes(run_dir: Path, phases: tuple[str, ...] = ("chords",)) -> dict[str, bytes]:
    return {
        f"{phase}/{p.name}": p.read_bytes()
        for phase in phases
        for p in sorted((run_dir / phase / "approved").glob("*.mid"))
    }


def test_gate_stops_then_resume_in_a_new_process_promotes(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal()
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path / "runs")
    assert outcome.status == "awaiting_review" and outcome.phase == "chords"
    run_dir = outcome.run_dir
    assert run_dir == tmp_path / "runs" / "test-song"
    review = run_dir / "chords" / "review.yml"
    assert outcome.review == review
    ids = [f"chord_{i:03d}" for i in range(1, 5)]
    decisions = read_decisions(review, known_ids=ids)
    assert [d.status for d in decisions] == ["pending"] * 4
    assert not (run_dir / "chords" / "approved").exists()

    # Resuming with nothing approved is refused with a clear error; nothing moves.
    with pytest.raises(ReviewError, match="no candidate approved"):
        resume_run(run_dir=run_dir)

    done = _cli("approve", str(run_dir), "chords", "chord_002", "--label", "verse", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    resumed = _cli("resume", str(run_dir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    # The chords are promoted and the next phase, drums, waits at its gate.
    assert "drums" in resumed.stdout and "ready for review" in resumed.stdout
    assert (run_dir / "drums" / "review.yml").is_file()
    assert not (run_dir / "drums" / "approved").exists()

    verse = run_dir / "chords" / "approved" / "verse.mid"
    names = [t.name for t in mido.MidiFile(verse).tracks]
    assert "verse" in names
    candidate = mido.MidiFile(run_dir / "chords" / "candidates" / "chord_002.mid")
    promoted = mido.MidiFile(verse)
    notes = lambda m: [(x.note, x.time) for t in m.tracks for x in t if x.type == "note_on"]  # noqa: E731
    assert notes(promoted) == notes(candidate)
    status, values = run_status(run_dir)
    assert (status.status, status.phase) == ("awaiting_review", "drums")
    assert values["phases"]["chords"]["approvals"] == {"verse": "chord_002"}
    # Only the approved section gets drums: the chorus had no chords approved.
    assert values["phases"]["drums"]["sections"].keys() == {"verse"}


def test_interrupted_run_resumed_in_new_process_equals_uninterrupted(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal()
    straight = start_run(proposal_path=proposal, out_dir=tmp_path / "a", auto_approve=True)
    assert straight.status == "done"
    expected = _approved_bytes(straight.run_dir)
    assert set(expected) == {"chords/verse.mid", "chords/chorus.mid"}

    # Same proposal, stopped at the gate by a separate process that then exits.
    first = _cli("run", str(proposal), "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    run_dir = tmp_path / "b" / "test-song"
    # Approve what auto-approve chose: the top two, in section order.
    ids = [f"chord_{i:03d}" for i in range(1, 5)]
    review = run_dir / "chords" / "review.yml"
    set_decision(
        review,
        candidate_id="chord_001",
        status="approved",
        label="verse",
        notes=None,
        known_ids=ids,
    )
    set_decision(
        review,
        candidate_id="chord_002",
        status="approved",
        label="chorus",
        notes=None,
        known_ids=ids,
    )
    second = _cli("resume", str(run_dir), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert _approved_bytes(run_dir) == expected
    # Same chords approved, same seed: the drums candidates built on them are the same too.
    for phase in ("chords", "drums"):
        cand_a = sorted((straight.run_dir / phase / "candidates").glob("*.mid"))
        assert cand_a
        for path in cand_a:
            assert (run_dir / phase / "candidates" / path.name).read_bytes() == path.read_bytes()


def _has_checkpoint(db: Path) -> bool:
    """Whether the run's checkpoint database holds a node's checkpoint yet: the graph's input
    is saved first, then one per step (read-only, so the run's own writes are never
    blocked)."""
    if not db.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            return int(con.execute("SELECT count(*) FROM checkpoints").fetchone()[0]) >= 2
    except sqlite3.Error:  # not created yet, or locked by the writer for a moment
        return False


def test_killed_mid_phase_resumes_to_the_same_result(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal(evolution={"population_size": 16, "generations": 4, "top_n": 2})
    reference = start_run(proposal_path=proposal, out_dir=tmp_path / "ref", auto_approve=True)
    expected = _approved_bytes(reference.run_dir, PHASES)
    assert len(expected) == 8  # verse and chorus in each of the four phases

    out = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [*CLI, "run", str(proposal), "--out", str(out), "--auto-approve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Killed once the run has its first checkpoint (the plan node's: killed before it, there is
    # nothing to resume and `resume` says to start again), 0.3 s into the chords phase.
    while not _has_checkpoint(out / "test-song" / "checkpoints.sqlite") and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    resumed = _cli("resume", str(out / "test-song"), "--auto-approve", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert _approved_bytes(out / "test-song", PHASES) == expected


def test_auto_approve_labels_the_top_candidates_by_section(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal(
        sections=[
            {"name": "intro", "bars": 4},
            {"name": "verse", "bars": 8},
            {"name": "chorus", "bars": 8},
            {"name": "verse", "bars": 8},
        ],
        evolution={"population_size": 12, "generations": 3, "top_n": 3},
    )
    outcome = start_run(proposal_path=proposal, out_dir=tmp_path, auto_approve=True)
    assert outcome.status == "done"
    ids = [f"chord_{i:03d}" for i in range(1, 4)]
    decisions = read_decisions(outcome.run_dir / "chords" / "review.yml", known_ids=ids)
    approved = [(d.candidate_id, d.label) for d in decisions if d.status == "approved"]
    assert approved == [("chord_001", "intro"), ("chord_002", "verse"), ("chord_003", "chorus")]
    for phase in PHASES:
        assert set(_approved_bytes(outcome.run_dir, (phase,))) == {
            f"{phase}/{label}.mid" for label in ("intro", "verse", "chorus")
        }


def test_run_refuses_to_overwrite_an_existing_run(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    proposal = make_proposal()
    start_run(proposal_path=proposal, out_dir=tmp_path)
    with pytest.raises(RunStateError, match="already exists"):
        start_run(proposal_path=proposal, out_dir=tmp_path)


def test_cli_bad_proposal_exits_2_naming_file_field_and_value(
    make_proposal: Callable[..., Path], tmp_path: Path
) -> None:
    bad = make_proposal(name="bad", key="H minor")
    result = _cli("run", str(bad), "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.yml" in result.stderr and "key" in result.stderr and "H minor" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_cli_resume_of_a_missing_run_exits_2(tmp_path: Path) -> None:
    result = _cli("resume", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "not a run directory" in result.stderr
