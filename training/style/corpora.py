"""The corpora the style profiles are read from, where each lives under the data folder, and
their metric rows, read once and cached (a corpus whose files change is read again)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from training.style.billboard import billboard_rows
from training.style.chorales import chorales_rows
from training.style.groove import groove_files, groove_rows
from training.style.lead_sheets import nottingham_rows, openewld_rows
from training.style.rows import MetricRow, fingerprint, load_rows, save_rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Corpus:
    """A corpus: its folder under the data folder (None: music21's bundled corpus), the files
    that make it (for the cache's fingerprint) and its reader."""

    name: str
    folder: str | None
    files: Callable[[Path], list[Path]]
    read: Callable[[Path, int | None], list[MetricRow]]


def _music21_bach() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath()) / "bach"


CORPORA: Final[dict[str, Corpus]] = {
    "groove": Corpus(
        "groove",
        "groove-midi",
        groove_files,
        lambda folder, limit: groove_rows(folder),
    ),
    "openewld": Corpus(
        "openewld",
        "openewld/dataset",
        lambda folder: sorted(folder.rglob("*.mxl")),
        lambda folder, limit: openewld_rows(folder, limit=limit),
    ),
    "nottingham": Corpus(
        "nottingham",
        "nottingham/MIDI",
        lambda folder: sorted(folder.glob("*.mid")),
        lambda folder, limit: nottingham_rows(folder, limit=limit),
    ),
    "chorales": Corpus(
        "chorales",
        None,
        lambda folder: sorted(folder.glob("*.mxl")),
        lambda folder, limit: chorales_rows(limit=limit),
    ),
    "billboard": Corpus(
        "billboard",
        "billboard/salami_chords",
        lambda folder: sorted(folder.rglob("salami_chords.txt")),
        lambda folder, limit: billboard_rows(folder),
    ),
}
#: The corpora each part is measured against: the shipped one first, then evaluation-only ones.
PART_CORPORA: Final[dict[str, tuple[str, ...]]] = {
    "drums": ("groove",),
    "melody": ("openewld", "nottingham"),
    "chords": ("billboard",),
    "bass": ("chorales",),
}


class MissingCorpusError(FileNotFoundError):
    """A corpus folder is not where the data folder should hold it."""


def corpus_rows(
    name: str, data_dir: Path, *, cache_dir: Path | None, limit: int | None = None
) -> list[MetricRow]:
    """The rows of corpus ``name`` under ``data_dir``, from the cache in ``cache_dir`` when it
    was made from the same files (and no ``limit`` is set). Raises MissingCorpusError naming
    the folder when it is missing or empty."""
    corpus = CORPORA[name]
    folder = _music21_bach() if corpus.folder is None else Path(data_dir) / corpus.folder
    files = corpus.files(folder) if folder.is_dir() else []
    if not files:
        raise MissingCorpusError(
            f"{folder}: no {name} files -- the data folder holding {corpus.folder}/ "
            "(pass --data DIR)"
            if corpus.folder is not None
            else f"{folder}: no {name} files -- music21's bundled corpus (reinstall music21)"
        )
    stamp = fingerprint(files)
    cache = None if cache_dir is None or limit is not None else Path(cache_dir) / f"{name}.json"
    if cache is not None:
        cached = load_rows(cache, stamp=stamp)
        if cached is not None:
            logger.info("%s: %d rows from %s", name, len(cached), cache)
            return cached
    rows = corpus.read(folder, limit)
    if cache is not None:
        save_rows(cache, rows, stamp=stamp)
    return rows
