"""The gate commands as a person runs them (``python -m cli`` in a new process): errors
keep the candidate id, status shows approvals waiting for resume, a mistyped phase lists the
phases, labels match sections in any case, and a second run names --replace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from agents.errors import RunStateError
from agents.review import load_review_document, read_decisions
from agents.rundir import RunDir
from agents.runner import start_run

ROOT = Path(__file__).resolve().parents[2]
PROPOSAL = {
    "title": "Gate Song",
    "concept": "A lamp left burning in an empty house, waiting for someone to return.",
    "color": "Blue",
    "key": "A minor",
    "bpm": 90,
    "time_signature": "4/4",
    "mood": ["melancholic"],
    "genres": ["folk rock"],
    "sections": [{"name": "verse", "bars": 4}, {"name": "chorus", "bars": 4}],
    "evolution": {"population_size": 8, "generations": 2, "top_n": 3},
    "seed": 4,
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": path, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def gate_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A run stopped at the chords gate (copied by each test before it changes anything),
    and its proposal file."""
    folder = tmp_path_factory.mktemp("gate")
    proposal = folder / "gate.yml"
    with proposal.open("w") as fh:
        YAML(typ="safe").dump(PROPOSAL, fh)
    outcome = start_run(proposal_path=proposal, out_dir=folder / "runs")
    assert (outcome.status, outcome.phase) == ("awaiting_review", "chords")
    return outcome.run_dir, proposal


@pytest.fixture
def run(gate_run: tuple[Path, Path], tmp_path: Path) -> RunDir:
    return RunDir(Path(shutil.copytree(gate_run[0], tmp_path / "gate-song")))


def _edit_review(run: RunDir, candidate: str, **fields: object) -> None:
    path = run.review("chords")
    doc = load_review_document(path)
    entry = next(c for c in doc["candidates"] if c["id"] == candidate)
    entry.update(fields)
    yaml = YAML(typ="rt")
    with path.open("w") as fh:
        yaml.dump(doc, fh)


def test_a_review_error_printed_by_the_cli_keeps_the_candidate_id(run: RunDir) -> None:
    _edit_review(run, "chord_002", status="maybe")
    for args in (("review", str(run.root)), ("approve", str(run.root), "chords", "chord_001")):
        done = _cli(*args, "--label", "verse") if args[0] == "approve" else _cli(*args)
        assert done.returncode == 2, done.stderr
        assert "candidates[chord_002].status: 'maybe'" in done.stderr
        assert "pending | approved | rejected" in done.stderr
        assert str(run.review("chords")) in done.stderr
        assert "Traceback" not in done.stderr


def test_status_after_approve_shows_the_approval_pending_resume(run: RunDir) -> None:
    before = _cli("status", str(run.root))
    assert before.returncode == 0, before.stderr
    assert "pending resume" not in before.stdout
    approved = _cli("approve", str(run.root), "chords", "chord_002", "--label", "verse")
    assert approved.returncode == 0, approved.stderr
    after = _cli("status", str(run.root))
    assert after.returncode == 0, after.stderr
    assert "verse=chord_002 (pending resume)" in after.stdout
    assert "chords candidates are ready for review" in after.stdout


def test_status_with_a_broken_review_still_shows_the_run_and_the_error(run: RunDir) -> None:
    _edit_review(run, "chord_003", status="approved", label=None)
    done = _cli("status", str(run.root))
    assert done.returncode == 0, done.stderr
    assert "review.yml has an error" in done.stdout
    assert "candidates[chord_003].label" in done.stdout


def test_a_mistyped_phase_lists_the_phases(run: RunDir) -> None:
    for args in (("review", str(run.root), "chrods"), ("approve", str(run.root), "Drum", "x")):
        done = _cli(*args)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert f"phase: {args[2]!r} -- one of chords, drums, bass, melody" in lines[0]
    assert "did you mean chords?" in _cli("review", str(run.root), "chrods").stderr


def test_a_label_in_capitals_matches_the_section(run: RunDir) -> None:
    done = _cli("approve", str(run.root), "chords", "chord_001", "--label", "  Verse")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "chord_001: approved as verse"
    ids = ["chord_001", "chord_002", "chord_003"]
    # The same section by another spelling is the same label: refused as a duplicate.
    _edit_review(run, "chord_002", status="approved", label="VERSE")
    again = _cli("review", str(run.root))
    assert again.returncode == 2
    assert "candidates[chord_002].label: 'verse'" in again.stderr
    _edit_review(run, "chord_002", status="approved", label="Chorus")
    decisions = read_decisions(run.review("chords"), known_ids=ids)
    assert [(d.candidate_id, d.label) for d in decisions if d.status == "approved"] == [
        ("chord_001", "verse"),
        ("chord_002", "chorus"),
    ]


def test_a_second_run_of_the_song_names_replace(gate_run: tuple[Path, Path]) -> None:
    run_dir, proposal = gate_run
    with pytest.raises(RunStateError) as refused:
        start_run(proposal_path=proposal, out_dir=run_dir.parent)
    assert f"chromatic run {proposal} --replace" in str(refused.value)
    assert f"chromatic resume {run_dir}" in str(refused.value)
