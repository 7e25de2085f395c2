"""The run's record of a person's verdicts at its gates: ``<run>/decisions.jsonl``, one JSON
object a line, appended by every ``chromatic approve`` / ``reject`` and by the review page,
for the scorer to learn the person's taste from (preference pairs: approved over rejected, and
over lower-ranked candidates left pending).

Each record holds what the person saw when deciding: the phase, candidate, its section, rank
and scores as review.yml showed them, a pointer to the candidate's MIDI (its path in the run and
the SHA-256 of its bytes then, so a file edited later is noticed), and the verdict (status,
label, notes), with the time (UTC) and where it was made (``cli`` or ``web``). A later verdict
on the same candidate is a new line; the last one counts. ``chromatic train scorer
--from-reviews`` reads it (:func:`latest_verdicts`).

Lines are appended with one ``write`` under the run lock (the caller holds it) and synced; a
line a crash cut short is skipped when the file is read, so every whole record stays readable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

logger = logging.getLogger(__name__)

SOURCES: Final = ("cli", "web")


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One verdict as it was made. ``scores``: the candidate's ``scores`` mapping from
    review.yml (composite, theory, chromatic); ``time``: ISO 8601 UTC; ``midi_file``: the
    candidate's MIDI, relative to the run folder; ``midi_sha256``: its bytes' hash when the
    verdict was given (None when the file was missing). Records written before these two
    fields existed read back with None."""

    time: str
    source: str
    phase: str
    candidate_id: str
    status: str
    label: str | None
    notes: str
    section: str | None = None
    rank: int | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    midi_file: str | None = None
    midi_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source: {self.source!r} -- one of {', '.join(SOURCES)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> DecisionRecord:
        """Raises ValueError for a line that is not a whole record."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError(f"record: {type(data).__name__} -- a JSON object")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from None


def _plain(value: Any) -> Any:
    """``value`` (review.yml's round-trip types) as plain JSON values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def make_record(
    *,
    source: str,
    phase: str,
    entry: Mapping[str, Any],
    status: str,
    label: str | None,
    notes: str,
    run_root: Path | None = None,
    now: datetime | None = None,
) -> DecisionRecord:
    """The record of a verdict on the candidate whose review.yml ``entry`` is given; with
    ``run_root``, the hash of its ``midi_file`` (relative to the run) is kept too."""
    rank = entry.get("rank")
    section = entry.get("section")
    midi = entry.get("midi_file")
    midi_file = str(midi) if midi is not None else None
    return DecisionRecord(
        time=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        source=source,
        phase=phase,
        candidate_id=str(entry.get("id")),
        status=status,
        label=label,
        notes=notes,
        section=str(section) if section is not None else None,
        rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
        scores=_plain(entry.get("scores") or {}),
        midi_file=midi_file,
        midi_sha256=(
            file_sha256(run_root / midi_file)
            if run_root is not None and midi_file is not None
            else None
        ),
    )


def file_sha256(path: Path) -> str | None:
    """The SHA-256 (hex) of the file's bytes, None when there is no such file."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def append_record(path: Path, record: DecisionRecord) -> None:
    """Append ``record`` as one line (one ``write`` of the whole line, then fsync); after a
    line a crash cut short, on a line of its own."""
    data = (record.to_json() + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(path: Path) -> list[DecisionRecord]:
    """Every whole record in the file, oldest first ([] when there is none); a line that is
    not one (a write a crash cut short) is skipped and logged."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(DecisionRecord.from_json(line))
        except ValueError as exc:
            logger.warning("%s: line %d skipped (%s)", path, number, exc)
    return records


def latest_verdicts(records: Sequence[DecisionRecord]) -> dict[tuple[str, str], DecisionRecord]:
    """The verdict that counts for each ``(phase, candidate_id)``: its last record."""
    return {(r.phase, r.candidate_id): r for r in records}
