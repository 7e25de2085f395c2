"""review.yml: written atomically, edited safely, hand edits validated with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.errors import ReviewError
from agents.fileio import write_yaml_atomic, yaml_round_trip
from agents.review import (
    approved_labels,
    build_review,
    edit_decision,
    load_review_document,
    read_decisions,
    set_decision,
    validate_decisions,
    write_review,
)
from music.errors import StorageError

IDS = ["chord_001", "chord_002", "chord_003"]


@pytest.fixture
def review(tmp_path: Path) -> Path:
    header = {"phase": "chords", "proposal": "Test", "key": "A minor", "seed": 1}
    cands = [
        {
            "id": cid,
            "midi_file": f"candidates/{cid}.mid",
            "rank": i + 1,
            "scores": {
                "composite": 0.5,
                "theory": {"voice_leading": 0.6, "total": 0.55},
                "chromatic": {
                    "temporal": {"past": 0.2, "present": 0.7, "future": 0.1},
                    "confidence": 0.4,
                    "match": 0.48,
                },
            },
        }
        for i, cid in enumerate(IDS)
    ]
    return write_review(tmp_path / "review.yml", build_review(header=header, candidates=cands))


def _edit(path: Path, index: int, **fields: object) -> None:
    yaml = yaml_round_trip()
    doc = yaml.load(path.read_text())
    doc["candidates"][index].update(fields)
    with path.open("w") as fh:
        yaml.dump(doc, fh)


def test_written_review_has_header_and_pending_human_fields(review: Path) -> None:
    doc = yaml_round_trip().load(review.read_text())
    assert doc["key"] == "A minor"
    assert [c["status"] for c in doc["candidates"]] == ["pending"] * 3
    assert all(c["label"] is None and c["notes"] == "" for c in doc["candidates"])
    assert [p.name for p in review.parent.iterdir()] == [review.name]


def test_set_decision_keeps_comments_and_validates(review: Path) -> None:
    review.write_text("# my listening notes\n" + review.read_text())
    set_decision(
        review,
        candidate_id="chord_002",
        status="approved",
        label="verse",
        notes="warm",
        known_ids=IDS,
    )
    assert review.read_text().startswith("# my listening notes")
    decisions = read_decisions(review, known_ids=IDS)
    assert approved_labels(decisions) == {"verse": "chord_002"}
    assert decisions[1].notes == "warm"


def test_edits_written_once_equal_one_write_per_edit(review: Path, tmp_path: Path) -> None:
    """Auto-approval edits review.yml in memory and writes it once: the same file, comments
    kept, as a read and a write per approval gives."""
    review.write_text("# my listening notes\n" + review.read_text())
    one_by_one = tmp_path / "one_by_one.yml"
    one_by_one.write_bytes(review.read_bytes())
    picks = [("chord_001", "verse"), ("chord_003", "chorus")]
    for cid, label in picks:
        set_decision(
            one_by_one, candidate_id=cid, status="approved", label=label, notes=None, known_ids=IDS
        )
    doc = load_review_document(review)
    validate_decisions(review, doc, known_ids=IDS)
    for cid, label in picks:
        decisions = edit_decision(
            review, doc, candidate_id=cid, status="approved", label=label, notes=None, known_ids=IDS
        )
    assert approved_labels(decisions) == {"verse": "chord_001", "chorus": "chord_003"}
    assert review.read_text().count("approved") == 0  # nothing written yet
    write_yaml_atomic(review, doc)
    assert review.read_bytes() == one_by_one.read_bytes()
    assert review.read_text().startswith("# my listening notes")


def test_an_edit_that_breaks_the_file_is_refused_in_memory(review: Path) -> None:
    doc = load_review_document(review)
    edit_decision(
        review,
        doc,
        candidate_id="chord_001",
        status="approved",
        label="verse",
        notes=None,
        known_ids=IDS,
    )
    with pytest.raises(ReviewError):
        edit_decision(
            review,
            doc,
            candidate_id="chord_009",
            status="approved",
            label="verse",
            notes=None,
            known_ids=IDS,
        )


@pytest.mark.parametrize(
    ("edit", "field", "value"),
    [
        ({"id": "chord_099"}, "candidates[0].id", "chord_099"),
        ({"status": "aproved"}, "candidates[chord_001].status", "aproved"),
        ({"status": "approved"}, "candidates[chord_001].label", "None"),
        ({"status": "approved", "label": "../../x"}, "candidates[chord_001].label", "../../x"),
    ],
)
def test_hand_edit_errors_name_candidate_field_and_value(
    review: Path, edit: dict[str, object], field: str, value: str
) -> None:
    _edit(review, 0, **edit)
    with pytest.raises(ReviewError) as info:
        read_decisions(review, known_ids=IDS)
    msg = str(info.value)
    assert str(review) in msg and field in msg and value in msg


def test_two_approved_with_one_label_is_refused(review: Path) -> None:
    set_decision(
        review,
        candidate_id="chord_001",
        status="approved",
        label="verse",
        notes=None,
        known_ids=IDS,
    )
    before = review.read_bytes()
    with pytest.raises(ReviewError, match=r"chord_001 is approved as 'verse'"):
        set_decision(
            review,
            candidate_id="chord_003",
            status="approved",
            label="verse",
            notes=None,
            known_ids=IDS,
        )
    assert review.read_bytes() == before  # nothing already approved is lost


def test_yaml_syntax_error_names_the_line(review: Path) -> None:
    review.write_text(review.read_text() + "  - id: [unclosed\n")
    with pytest.raises(ReviewError, match=r"line \d+"):
        read_decisions(review, known_ids=IDS)


def test_failed_write_leaves_the_previous_file(
    review: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = review.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("music.files.os.replace", boom)
    with pytest.raises(StorageError, match=r"review\.yml: cannot write \(disk full\)"):
        set_decision(
            review,
            candidate_id="chord_001",
            status="rejected",
            label=None,
            notes=None,
            known_ids=IDS,
        )
    assert review.read_bytes() == before
    assert [p.name for p in review.parent.iterdir()] == [review.name]


def _load(path: Path) -> Any:
    return yaml_round_trip().load(path.read_text())


def _dump(path: Path, doc: Any) -> None:
    with path.open("w") as fh:
        yaml_round_trip().dump(doc, fh)


def test_truncated_review_names_the_lost_candidates(review: Path) -> None:
    doc = _load(review)
    del doc["candidates"][1:]
    _dump(review, doc)
    with pytest.raises(ReviewError) as info:
        read_decisions(review, known_ids=IDS)
    msg = str(info.value)
    assert str(review) in msg and "missing chord_002, chord_003" in msg


def test_cut_mid_entry_review_is_refused(review: Path) -> None:
    text = review.read_text()
    review.write_text(text[: text.index("chord_002") + len("chord_002")])
    with pytest.raises(ReviewError, match="missing chord_003"):
        read_decisions(review, known_ids=IDS)


def test_renamed_or_invented_ids_are_refused(review: Path) -> None:
    _edit(review, 2, id="chord_009")
    with pytest.raises(ReviewError) as info:
        read_decisions(review, known_ids=IDS)
    assert "candidates[2].id: 'chord_009' -- one of the generated ids" in str(info.value)
    _edit(review, 2, id="chord_001")
    with pytest.raises(ReviewError, match=r"candidates\[chord_001\]\.id: 'chord_001' -- each id"):
        read_decisions(review, known_ids=IDS)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("scores", "composite"), "banana", "candidates[chord_001].scores.composite"),
        (("scores", "composite"), None, "candidates[chord_001].scores.composite"),
        (("scores", "composite"), 3.5, "candidates[chord_001].scores.composite"),
        (("scores", "theory", "total"), "x", "candidates[chord_001].scores.theory.total"),
        (("scores", "chromatic", "match"), None, "candidates[chord_001].scores.chromatic.match"),
        (
            ("scores", "chromatic", "temporal", "past"),
            -1,
            "candidates[chord_001].scores.chromatic.temporal.past",
        ),
        (("rank",), "first", "candidates[chord_001].rank"),
        (("rank",), 0, "candidates[chord_001].rank"),
        (("scores",), None, "candidates[chord_001].scores"),
    ],
)
def test_broken_shown_values_name_candidate_and_field(
    review: Path, path: tuple[str, ...], value: object, field: str
) -> None:
    doc = _load(review)
    target = doc["candidates"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    _dump(review, doc)
    with pytest.raises(ReviewError) as info:
        read_decisions(review, known_ids=IDS)
    assert f"{field}: {value!r}" in str(info.value)


def test_chromatic_null_is_allowed(review: Path) -> None:
    doc = _load(review)
    for entry in doc["candidates"]:
        entry["scores"]["chromatic"] = None
    _dump(review, doc)
    assert len(read_decisions(review, known_ids=IDS)) == 3
