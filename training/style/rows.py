"""Metric rows: one per window (or song) of a corpus, with where it came from, its split, style,
meter and tempo, and its per-part metric values; cached as JSON so a corpus is read once.

Splits are by song, so no song lends windows to two of them: ``build`` makes the shipped
profiles, ``tune`` is what the scores' shapes were chosen against, ``heldout`` is never looked
at while tuning and only reported on. Groove MIDI keeps its own split (``train`` sessions are
cut into build and tune, ``validation`` is held out; its ``test`` split is withheld from this
copy); the other corpora are split by a hash of the song's name (:func:`split_of`).
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from music.errors import InputError

SPLITS: Final = ("build", "tune", "heldout")
#: Percent of songs in the held-out and tune splits.
HELDOUT_PERCENT: Final = 15
TUNE_PERCENT: Final = 15
#: Bump when a metric's definition or a reader changes: older caches are then re-read.
ROWS_VERSION: Final = 1


def split_of(song: str) -> str:
    """``heldout``, ``tune`` or ``build`` for a song name, by a stable hash of it."""
    h = zlib.crc32(song.encode("utf-8")) % 100
    if h < HELDOUT_PERCENT:
        return "heldout"
    return "tune" if h < HELDOUT_PERCENT + TUNE_PERCENT else "build"


@dataclass(frozen=True, slots=True)
class MetricRow:
    """The metric values of one window (or song) of a corpus. ``bpm`` is None where the
    corpus has no tempo (lead sheets, chord charts)."""

    part: str
    corpus: str
    song: str
    split: str
    style: str
    meter: str
    bpm: float | None
    values: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "corpus": self.corpus,
            "song": self.song,
            "split": self.split,
            "style": self.style,
            "meter": self.meter,
            "bpm": self.bpm,
            "values": {k: (None if math.isnan(v) else v) for k, v in self.values.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricRow:
        return cls(
            part=str(d["part"]),
            corpus=str(d["corpus"]),
            song=str(d["song"]),
            split=str(d["split"]),
            style=str(d["style"]),
            meter=str(d["meter"]),
            bpm=None if d["bpm"] is None else float(d["bpm"]),
            values={k: (math.nan if v is None else float(v)) for k, v in d["values"].items()},
        )


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` through a temporary file renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def fingerprint(files: Sequence[Path]) -> str:
    """A cheap identity of a corpus's files: their names, sizes and modification times."""
    h = zlib.crc32(f"v{ROWS_VERSION}".encode())
    for f in sorted(files):
        st = f.stat()
        h = zlib.crc32(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode(), h)
    return f"{len(files)}-{h:08x}"


def save_rows(path: Path, rows: Sequence[MetricRow], *, stamp: str) -> Path:
    return write_json_atomic(path, {"stamp": stamp, "rows": [r.to_dict() for r in rows]})


def load_rows(path: Path, *, stamp: str) -> list[MetricRow] | None:
    """The cached rows at ``path`` when they were made from the same files (``stamp``), else
    None. A cache that cannot be read is an error naming the file."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("stamp") != stamp:
            return None
        return [MetricRow.from_dict(r) for r in data["rows"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            file=path, field="rows", value=str(exc), allowed="a style-row cache (delete it)"
        ) from None
