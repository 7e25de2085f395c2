"""The run's decision log: every approve / reject is kept with what the person saw (scores,
rank, section), in order; a refused decision leaves no record; a line a crash cut short does
not hide the records around it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from agents.decision_log import DecisionRecord, append_record, make_record, read_records
from agents.decisions import record_decision
from agents.errors import ReviewError
from agents.preferences import reviewed_candidates
from agents.review import load_review_document
from agents.rundir import RunDir
from tests.agents.run_fixtures import copy_run, make_gated_run


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_gated_run(tmp_path_factory.mktemp("decision-log"))


@pytest.fixture
def run(gated: Path, tmp_path: Path) -> RunDir:
    return RunDir(copy_run(gated, tmp_path))


def test_a_record_survives_a_json_round_trip() -> None:
    record = DecisionRecord(
        time="2026-01-02T03:04:05Z",
        source="web",
        phase="drums",
        candidate_id="verse_002",
        status="approved",
        label="verse",
        notes="tight hats",
        section="verse",
        rank=2,
        scores={"composite": 0.8, "theory": {"total": 0.7}, "chromatic": None},
    )
    assert DecisionRecord.from_json(record.to_json()) == record
    with pytest.raises(ValueError, match="source: 'email'"):
        DecisionRecord.from_json(record.to_json().replace('"web"', '"email"'))


def test_each_decision_is_logged_with_the_scores_the_person_saw(run: RunDir) -> None:
    doc = load_review_document(run.review("chords"))
    shown = {c["id"]: c for c in doc["candidates"]}
    verdicts = [
        ("chord_002", "approved", "Verse", "warm", "cli"),
        ("chord_001", "rejected", None, "too busy", "web"),
        ("chord_002", "rejected", None, None, "cli"),
    ]
    for cid, status, label, notes, source in verdicts:
        record_decision(
            run_dir=run.root,
            phase="chords",
            candidate_id=cid,
            status=status,
            label=label,
            notes=notes,
            source=source,
        )
    records = read_records(run.decision_log)
    assert [(r.candidate_id, r.status, r.source) for r in records] == [
        ("chord_002", "approved", "cli"),
        ("chord_001", "rejected", "web"),
        ("chord_002", "rejected", "cli"),
    ]
    first = records[0]
    assert (first.phase, first.label, first.notes, first.section) == (
        "chords",
        "verse",
        "warm",
        None,
    )
    assert first.rank == shown["chord_002"]["rank"]
    assert first.scores["composite"] == shown["chord_002"]["scores"]["composite"]
    assert first.scores["theory"] == dict(shown["chord_002"]["scores"]["theory"])
    assert first.scores["chromatic"]["match"] == shown["chord_002"]["scores"]["chromatic"]["match"]
    # A later verdict keeps the label and notes the file holds (as review.yml does).
    assert (records[2].label, records[2].notes) == ("verse", "warm")


def test_a_refused_decision_leaves_no_record(run: RunDir) -> None:
    record_decision(
        run_dir=run.root,
        phase="chords",
        candidate_id="chord_001",
        status="approved",
        label="verse",
        notes=None,
    )
    with pytest.raises(ReviewError, match="two approved candidates may not share a label"):
        record_decision(
            run_dir=run.root,
            phase="chords",
            candidate_id="chord_002",
            status="approved",
            label="verse",
            notes=None,
        )
    assert [r.candidate_id for r in read_records(run.decision_log)] == ["chord_001"]


def test_a_line_cut_short_by_a_crash_hides_no_other_record(tmp_path: Path) -> None:
    log = tmp_path / "decisions.jsonl"
    entry = {"id": "chord_003", "rank": 3, "scores": {"composite": 0.5}}
    first = make_record(
        source="cli", phase="chords", entry=entry, status="approved", label="verse", notes=""
    )
    append_record(log, first)
    whole = first.to_json()
    with log.open("a", encoding="utf-8") as fh:
        fh.write(whole[: len(whole) // 2])  # a write a crash cut short, no newline
    second = make_record(
        source="web", phase="chords", entry=entry, status="rejected", label="verse", notes="no"
    )
    append_record(log, second)
    assert read_records(log) == [first, second]
    assert len(log.read_text(encoding="utf-8").splitlines()) == 3


def test_a_record_points_to_the_candidates_midi_and_feeds_the_preferences(run: RunDir) -> None:
    """The record keeps the candidate's MIDI (path and hash); the run's reviewed candidates
    carry the verdict; a MIDI changed after its verdict is left out of what the scorer
    learns."""
    for cid, status, label in (("chord_002", "approved", "verse"), ("chord_003", "rejected", None)):
        record_decision(
            run_dir=run.root,
            phase="chords",
            candidate_id=cid,
            status=status,
            label=label,
            notes=None,
        )
    first = read_records(run.decision_log)[0]
    midi = run.candidate_midi("chords", "chord_002")
    assert first.midi_file == run.relative(midi)
    assert first.midi_sha256 == hashlib.sha256(midi.read_bytes()).hexdigest()
    verdicts = {c.key.rsplit("/", 1)[1]: c.verdict for c in reviewed_candidates(run.root)}
    assert verdicts == {"chord_001": "pending", "chord_002": "approved", "chord_003": "rejected"}
    midi.write_bytes(run.candidate_midi("chords", "chord_001").read_bytes())
    assert "chord_002" not in {c.key.rsplit("/", 1)[1] for c in reviewed_candidates(run.root)}


def test_records_from_before_the_midi_pointer_still_read() -> None:
    old = (
        '{"time": "2026-01-02T03:04:05Z", "source": "cli", "phase": "chords", '
        '"candidate_id": "chord_001", "status": "approved", "label": "verse", "notes": ""}'
    )
    record = DecisionRecord.from_json(old)
    assert (record.midi_file, record.midi_sha256) == (None, None)
