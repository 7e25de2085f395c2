"""A catalogue of recordings a person labelled with valence and arousal.

Layout: a folder holding ``labels.csv`` and the audio files it names (paths relative to the folder;
WAV, FLAC, OGG, MP3 or AIFF: :data:`render.audio_io.READ_SUFFIXES`). ``labels.csv`` has the header
``file,valence,arousal`` and one row per recording; valence and arousal are numbers in -1..1
(valence: unpleasant -1 to pleasant +1; arousal: calm -1 to energetic +1, Russell's circumplex
axes). At least :data:`MIN_ROWS` rows, each file once. Every problem is one InputError naming the
file, the row's line, the field, the bad value and what is allowed.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.errors import InputError
from render.audio_io import READ_ALLOWED, decode_audio, is_readable_audio
from render.errors import RenderError
from scoring.emotion.features import window_features
from training.emotion.corpus import pad

LABELS: Final = "labels.csv"
HEADER: Final = ("file", "valence", "arousal")
MIN_ROWS: Final = 5


@dataclass(frozen=True, slots=True)
class Entry:
    path: Path
    valence: float
    arousal: float


def _number(path: Path, line: int, field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise InputError(
            file=path, field=f"line {line}: {field}", value=text, allowed="a number in -1..1"
        )
    return value


def read_catalogue(folder: Path) -> list[Entry]:
    """The checked rows of ``folder/labels.csv``."""
    path = Path(folder) / LABELS
    if not path.is_file():
        raise InputError(
            file=path,
            field="file",
            value=str(path),
            allowed=f"a {LABELS} with the header {','.join(HEADER)} in the catalogue folder",
        )
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows or tuple(c.strip() for c in rows[0]) != HEADER:
        raise InputError(
            file=path,
            field="header",
            value=",".join(rows[0]) if rows else "",
            allowed=",".join(HEADER),
        )
    entries: list[Entry] = []
    seen: set[str] = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(HEADER):
            raise InputError(
                file=path, field=f"line {line}", value=",".join(row), allowed="file,valence,arousal"
            )
        name = row[0].strip()
        audio = (path.parent / name).resolve()
        if Path(name).is_absolute() or path.parent.resolve() not in audio.parents:
            raise InputError(
                file=path, field=f"line {line}: file", value=name,
                allowed="a path inside the catalogue folder",
            )  # fmt: skip
        if not is_readable_audio(audio) or not audio.is_file():
            raise InputError(
                file=path, field=f"line {line}: file", value=name,
                allowed=f"an existing audio file ({READ_ALLOWED}) in the folder",
            )  # fmt: skip
        if name in seen:
            raise InputError(
                file=path, field=f"line {line}: file", value=name, allowed="each file once"
            )
        seen.add(name)
        valence = _number(path, line, "valence", row[1].strip())
        arousal = _number(path, line, "arousal", row[2].strip())
        entries.append(Entry(audio, valence, arousal))
    if len(entries) < MIN_ROWS:
        raise InputError(
            file=path, field="rows", value=len(entries),
            allowed=f"at least {MIN_ROWS} labelled recordings",
        )  # fmt: skip
    return entries


def catalogue_features(
    entries: list[Entry],
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Window features ``[recordings, windows, 128]`` and labels ``[recordings, 2]``."""
    feats = []
    for e in entries:
        try:
            audio, sr = decode_audio(e.path)
        except RenderError as exc:
            raise InputError(
                file=e.path, field="audio", value=str(exc), allowed="a readable audio file"
            ) from None
        feats.append(window_features(audio.T, sr))
    labels = np.asarray([(e.valence, e.arousal) for e in entries], dtype=np.float32)
    return pad(feats), labels
