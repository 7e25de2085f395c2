"""Per-stem index files of a rendered (Slakh-like) corpus, as the seed's indexer writes them:
``<root>/dataset_<S>.json`` lists every stem ``S`` of every song, and
``<root>/filtered_dataset_<S>.json`` keeps those with sound (RMS above :data:`SILENCE_DB`) and
at least one note in their MIDI.

An entry: ``song``, ``split``, ``stem``, ``audio`` and ``midi`` (relative to the root),
``program``, ``metadata: {is_drum, role}``; the filtered ones add ``rms_db`` and ``notes``.
A drum stem without a label is put in ``drums`` or ``high_percs`` by
:func:`percussion_stem` (a spectral-centroid heuristic).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from music.errors import InputError, MidiFileError
from music.midi_io import read_midi
from render.audio_io import read_audio, write_json
from render.transcription.features import to_model_rate
from render.transcription.taxonomy import BY_NAME, stem_for_program

logger = logging.getLogger(__name__)

SILENCE_DB: Final = -60.0
#: Median spectral centroid (Hz) above which an unlabelled drum stem is hats and cymbals.
HIGH_PERCS_CENTROID_HZ: Final = 3000.0


def rms_db(audio: NDArray[np.float32]) -> float:
    """RMS level of ``audio`` in dB full scale (-inf for digital silence)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
    return 20.0 * float(np.log10(rms)) if rms > 0 else float("-inf")


def percussion_stem(audio: NDArray[np.float32], sample_rate: int) -> str:
    """``high_percs`` when the median spectral centroid of the loud frames is above
    :data:`HIGH_PERCS_CENTROID_HZ` (hats and cymbals are bright and noisy), else ``drums``."""
    x = to_model_rate(audio, sample_rate)
    n_fft, hop = 1024, 512
    if x.size < n_fft:
        return "drums"
    idx = np.arange(n_fft)[None, :] + hop * np.arange(1 + (x.size - n_fft) // hop)[:, None]
    mag = np.abs(np.fft.rfft(x[idx] * np.hanning(n_fft), axis=1))
    energy = mag.sum(axis=1)
    loud = energy > 0.1 * energy.max() if energy.max() > 0 else energy > 0
    if not loud.any():
        return "drums"
    freqs = np.fft.rfftfreq(n_fft, 1.0 / 16000)
    centroid = (mag[loud] @ freqs) / energy[loud]
    return "high_percs" if float(np.median(centroid)) > HIGH_PERCS_CENTROID_HZ else "drums"


def _songs(root: Path) -> list[Path]:
    found = sorted(root.glob("*/*/metadata.json"))
    if not found:
        raise InputError(
            file=root,
            field="dataset root",
            value=str(root),
            allowed="a corpus folder of <split>/<song>/metadata.json (chromatic train "
            "transcribe renders one)",
        )
    return found


def _label(song: Path, stem: dict[str, Any]) -> str:
    label = stem.get("stem")
    if label:
        return str(label)
    if stem.get("is_drum"):
        audio, sr = read_audio(song / stem["audio"])
        return percussion_stem(audio, sr)
    return stem_for_program(int(stem["program"])).name


def build_index(root: Path, stem: str) -> list[dict[str, Any]]:
    """Every stem ``stem`` of every song under ``root``."""
    if stem not in BY_NAME:
        raise ValueError(f"stem: {stem!r} -- one of {', '.join(BY_NAME)}")
    out = []
    for meta_path in _songs(root):
        song = meta_path.parent
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        for entry in meta["stems"].values():
            if _label(song, entry) != stem:
                continue
            out.append(
                {
                    "song": meta["song"],
                    "split": meta["split"],
                    "stem": stem,
                    "audio": str((song / entry["audio"]).relative_to(root)),
                    "midi": str((song / entry["midi"]).relative_to(root)),
                    "program": int(entry["program"]),
                    "metadata": {
                        "is_drum": bool(entry["is_drum"]),
                        "role": str(BY_NAME[stem].role),
                    },
                }
            )
    return out


def _note_count(path: Path) -> int:
    """Notes in a MIDI file; 0 for one with none (which ``read_midi`` refuses)."""
    try:
        return sum(len(p.notes) for p in read_midi(path).parts)
    except MidiFileError as exc:
        if exc.field != "notes":
            raise
        return 0


def filter_index(root: Path, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` that sound (RMS >= :data:`SILENCE_DB`) and have notes, with ``rms_db`` and
    ``notes`` added."""
    kept = []
    for entry in entries:
        audio, _ = read_audio(root / entry["audio"])
        level = rms_db(audio)
        notes = _note_count(root / entry["midi"])
        if level < SILENCE_DB or notes == 0:
            logger.debug("%s: dropped (%.1f dB, %d notes)", entry["audio"], level, notes)
            continue
        kept.append({**entry, "rms_db": round(level, 2), "notes": notes})
    return kept


def index_path(root: Path, stem: str, *, filtered: bool = True) -> Path:
    return root / f"{'filtered_' if filtered else ''}dataset_{stem}.json"


def write_indices(root: Path, stems: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Write ``dataset_S.json`` and ``filtered_dataset_S.json`` for each stem; returns the
    entries before and after filtering per stem."""
    counts = {}
    for stem in stems:
        entries = build_index(root, stem)
        kept = filter_index(root, entries)
        write_json(index_path(root, stem, filtered=False), entries)
        write_json(index_path(root, stem), kept)
        counts[stem] = (len(entries), len(kept))
        logger.info("%s: %d stems, %d kept", stem, len(entries), len(kept))
    return counts


def read_index(root: Path, stem: str, split: str) -> list[dict[str, Any]]:
    """The filtered entries of ``stem`` in ``split``. Raises InputError when the index file
    is missing."""
    path = index_path(root, stem)
    if not path.is_file():
        raise InputError(
            file=path,
            field="index",
            value=str(path),
            allowed="a filtered index written by the corpus indexer (render the corpus first)",
        )
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [e for e in data if e["split"] == split]
