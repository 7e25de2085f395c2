"""The rows of the scorer's audio corpus: one rendered variant of one clip each, the per-clip
cache files a build keeps, and the corpus file training reads
(:mod:`training.scorer.audio_corpus` makes them)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from music.files import atomic_path
from scoring.audio_features import N_AUDIO
from scoring.midi_features import MidiFeatures
from training.scorer.sources_common import SPLITS

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AudioRow:
    """One rendered variant of one clip."""

    roll: NDArray[np.uint8]
    symbolic: NDArray[np.float32]
    audio: NDArray[np.float32]
    text: str
    song_id: str
    source: str
    split: str
    programs: str  # "part=program/..." as rendered


_ROW_FIELDS: Final = tuple(f.name for f in dataclasses.fields(AudioRow))


def write_rows(path: Path, rows: list[AudioRow]) -> None:
    arrays: dict[str, Any] = {n: np.array([getattr(r, n) for r in rows]) for n in _ROW_FIELDS}
    arrays["rows"] = np.array(len(rows))
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        np.savez(fh, **arrays)


def read_rows(path: Path) -> list[AudioRow] | None:
    """The rows cached in ``path``; None when there is no readable cache file."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            n = int(data["rows"])
            columns = {name: data[name] for name in _ROW_FIELDS} if n else {}
    except (OSError, ValueError, KeyError):
        logger.warning("%s: unreadable cache file -- rendering the clip again", path)
        return None
    return [
        AudioRow(
            roll=columns["roll"][i],
            symbolic=columns["symbolic"][i],
            audio=columns["audio"][i],
            **{k: str(columns[k][i]) for k in ("text", "song_id", "source", "split", "programs")},
        )
        for i in range(n)
    ]


@dataclass(frozen=True, slots=True)
class AudioCorpus:
    """A loaded audio corpus (arrays as saved, see the module docstring)."""

    rolls: NDArray[np.uint8]
    symbolic: NDArray[np.float16]
    audio: NDArray[np.float32]
    text_emb: NDArray[np.float16]
    texts: NDArray[np.str_]
    song_ids: NDArray[np.str_]
    sources: NDArray[np.str_]
    splits: NDArray[np.str_]
    programs: NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.rolls.shape[0])

    def indices(self, split: str) -> NDArray[np.int64]:
        """Row numbers of one split (as :meth:`training.scorer.corpus.Corpus.indices`)."""
        if split not in SPLITS:
            raise ValueError(f"split: {split!r} -- one of {', '.join(SPLITS)}")
        return np.flatnonzero(np.asarray(self.splits) == split).astype(np.int64)

    def features(self, rows: NDArray[np.int64], *, audio: bool) -> list[MidiFeatures]:
        """What the scorer reads of ``rows`` (rolls scaled to [0, 1]), with their audio
        features or, ``audio=False``, as a candidate with no preview."""
        return [
            MidiFeatures(
                roll=self.rolls[i].astype(np.float32) / 127.0,
                symbolic=self.symbolic[i].astype(np.float32),
                audio=self.audio[i] if audio else None,
            )
            for i in rows
        ]


def save_audio_corpus(corpus: AudioCorpus, path: Path) -> None:
    """Write ``corpus`` (compressed, atomically) as :func:`load_audio_corpus` reads it."""
    arrays = {f.name: getattr(corpus, f.name) for f in dataclasses.fields(AudioCorpus)}
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        np.savez_compressed(fh, **arrays)


def load_audio_corpus(path: Path) -> AudioCorpus:
    """Read what :func:`build_audio_corpus` wrote. Raises ValueError naming the file when it
    is missing or not an audio corpus of this version."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"audio corpus: {str(path)!r} -- no such file; build it with "
            "python -m training.scorer.audio_corpus"
        )
    names = [f.name for f in dataclasses.fields(AudioCorpus)]
    with np.load(path, allow_pickle=False) as data:
        missing = [n for n in names if n not in data.files]
        if missing:
            raise ValueError(f"audio corpus {path}: arrays {missing} missing -- rebuild it")
        arrays = {n: data[n] for n in names}
    n = len(arrays["rolls"])
    if arrays["audio"].shape != (n, N_AUDIO) or any(len(a) != n for a in arrays.values()):
        raise ValueError(f"audio corpus {path}: inconsistent array shapes -- rebuild it")
    return AudioCorpus(**arrays)
