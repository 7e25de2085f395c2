"""A person's labelled catalogue: the dataset layout the supervised chromatic heads train on.

Layout (one folder; paths in ``catalogue.yml`` are relative to it)::

    my_catalogue/
        catalogue.yml
        midi/first_song.mid          # any layout below the folder is fine
        audio/first_song.wav         # WAV, FLAC, OGG, MP3 or AIFF (render.audio_io.READ_SUFFIXES)

``catalogue.yml``::

    name: My records                 # optional
    tracks:
      - id: first_song               # optional, unique; default "track<N>" (1-based)
        midi: midi/first_song.mid    # a MIDI file of the track ...
        audio: audio/first_song.wav  # ... and/or a recording (at least one of the two)
        stems:                       # optional: the recording's stems, by stem or instrument
          bass: audio/first_song_bass.wav
          drums: audio/first_song_drums.wav
        concept: A slow song about the house my grandmother sold.   # 3+ words
        lyrics: |                    # optional, the lyrics as text
          The porch light still burns ...
        color: Blue                  # one of the nine colors (any case), or {color_name: Blue}

A track with a recording and no MIDI is transcribed to MIDI for training (its stems each by
their model when it lists them, else the mix by every model; cached under
``my_catalogue/cache/transcribed/``, :mod:`training.scorer.transcribed`). A track may give
stems alone (no ``midi`` or ``audio``): they train the MIDI branch through their transcription.

At least :data:`MIN_TRACKS` tracks. Every problem is reported as one :class:`CatalogueError`
naming the file, the field (``tracks[3].color``), the bad value and what is allowed.

Train with ``chromatic train scorer --dataset my_catalogue`` (:func:`training.scorer.supervised.
train_catalogue`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from music.errors import InputError
from render.audio_io import READ_SUFFIXES
from render.transcription.taxonomy import STEMS, find_stem
from scoring.colors import COLOR_NAMES, parse_color
from scoring.text_encoder import validate_concept

CATALOGUE_FILE: Final = "catalogue.yml"
MIN_TRACKS: Final = 2
MIDI_SUFFIXES: Final = (".mid", ".midi")
_TRACK_FIELDS: Final = ("id", "midi", "audio", "stems", "concept", "lyrics", "color")


class CatalogueError(InputError):
    """A labelled catalogue (folder or ``catalogue.yml`` entry) that cannot be used."""


@dataclass(frozen=True, slots=True)
class Track:
    """One labelled track. Paths are absolute; at least one of ``midi``, ``audio`` and
    ``stems`` (taxonomy stem name -> recording of that stem) is set."""

    id: str
    color: str
    concept: str
    midi: Path | None = None
    audio: Path | None = None
    lyrics: str | None = None
    stems: tuple[tuple[str, Path], ...] = ()


@dataclass(frozen=True, slots=True)
class Catalogue:
    root: Path
    name: str
    tracks: tuple[Track, ...]

    def summary(self) -> dict[str, Any]:
        """Counts for the model's sidecar: tracks, per color, with each modality."""
        return {
            "name": self.name,
            "tracks": len(self.tracks),
            "colors": {
                c: sum(t.color == c for t in self.tracks)
                for c in COLOR_NAMES
                if any(t.color == c for t in self.tracks)
            },
            "with_midi": sum(t.midi is not None for t in self.tracks),
            "with_audio": sum(t.audio is not None for t in self.tracks),
            "with_stems": sum(bool(t.stems) for t in self.tracks),
            "with_lyrics": sum(t.lyrics is not None for t in self.tracks),
        }


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CatalogueError(
            file=path, field="file", value=str(path), allowed="UTF-8 text"
        ) from None
    except OSError as exc:
        raise CatalogueError(
            file=path,
            field="file",
            value=str(path),
            allowed=f"a readable YAML file ({exc.strerror})",
        ) from None
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, MarkedYAMLError) else None
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogueError(
            file=path,
            field="yaml",
            value=f"{where}{problem}",
            allowed="valid YAML (check indentation, quotes and ':' after each field name)",
        ) from None


def _media_path(
    root: Path, file: Path, field: str, value: object, suffixes: tuple[str, ...], kind: str
) -> Path:
    a_kind = f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(
            file=file,
            field=field,
            value=value,
            allowed=f"a path to {a_kind} file, relative to {root}",
        )
    path = (root / value.strip()).resolve()
    if path.suffix.lower() not in suffixes:
        raise CatalogueError(
            file=file,
            field=field,
            value=value,
            allowed=f"{a_kind} file ending in {', '.join(suffixes)}",
        )
    if not path.is_file():
        raise CatalogueError(
            file=file,
            field=field,
            value=value,
            allowed=f"an existing {kind} file (looked for {path})",
        )
    return path


def _stems(root: Path, file: Path, field: str, value: object) -> tuple[tuple[str, Path], ...]:
    """``stems:`` (stem or instrument name -> audio path) as (taxonomy stem, path) pairs, in
    the taxonomy's order."""
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not value:
        raise CatalogueError(
            file=file,
            field=field,
            value=value,
            allowed="a mapping of stem names (bass, drums, piano, ...) to audio paths",
        )
    out: dict[str, Path] = {}
    for name, path in value.items():
        try:
            stem = find_stem(str(name)).name
        except InputError as exc:
            raise CatalogueError(
                file=file, field=f"{field}.{name}", value=name, allowed=exc.allowed
            ) from None
        if stem in out:
            raise CatalogueError(
                file=file,
                field=f"{field}.{name}",
                value=name,
                allowed=f"one path per stem ({stem})",
            )
        out[stem] = _media_path(root, file, f"{field}.{name}", path, READ_SUFFIXES, "audio")
    order = [s.name for s in STEMS]
    return tuple(sorted(out.items(), key=lambda item: order.index(item[0])))


def _track(root: Path, file: Path, index: int, entry: object) -> Track:
    where = f"tracks[{index}]"
    if not isinstance(entry, Mapping):
        raise CatalogueError(
            file=file,
            field=where,
            value=entry,
            allowed="a mapping with midi and/or audio, concept and color",
        )
    unknown = sorted(str(k) for k in entry if k not in _TRACK_FIELDS)
    if unknown:
        raise CatalogueError(
            file=file,
            field=f"{where}.{unknown[0]}",
            value=entry[unknown[0]],
            allowed=f"only the fields {', '.join(_TRACK_FIELDS)}",
        )
    track_id = entry.get("id", f"track{index + 1}")
    if not isinstance(track_id, str | int) or not str(track_id).strip():
        raise CatalogueError(
            file=file, field=f"{where}.id", value=track_id, allowed="a non-empty name"
        )
    if all(entry.get(k) is None for k in ("midi", "audio", "stems")):
        raise CatalogueError(
            file=file,
            field=f"{where}.midi",
            value=None,
            allowed="a MIDI path, an audio path and/or stems (at least one)",
        )
    midi = (
        None
        if entry.get("midi") is None
        else _media_path(root, file, f"{where}.midi", entry["midi"], MIDI_SUFFIXES, "MIDI")
    )
    audio = (
        None
        if entry.get("audio") is None
        else _media_path(root, file, f"{where}.audio", entry["audio"], READ_SUFFIXES, "audio")
    )
    stems = _stems(root, file, f"{where}.stems", entry.get("stems"))
    if "color" not in entry:
        raise CatalogueError(
            file=file,
            field=f"{where}.color",
            value=None,
            allowed=f"one of {', '.join(COLOR_NAMES)}",
        )
    try:
        color = parse_color(entry["color"])
    except ValueError:
        raise CatalogueError(
            file=file,
            field=f"{where}.color",
            value=entry["color"],
            allowed=f"one of {', '.join(COLOR_NAMES)} (any case)",
        ) from None
    try:
        concept = validate_concept(entry.get("concept"), file=file)  # type: ignore[arg-type]
    except InputError as exc:
        raise CatalogueError(
            file=file, field=f"{where}.concept", value=exc.value, allowed=exc.allowed
        ) from None
    lyrics = entry.get("lyrics")
    if lyrics is not None and (not isinstance(lyrics, str) or not lyrics.strip()):
        raise CatalogueError(
            file=file,
            field=f"{where}.lyrics",
            value=lyrics,
            allowed="the lyrics as text (leave the field out when none)",
        )
    return Track(
        id=str(track_id).strip(),
        color=color,
        concept=concept,
        midi=midi,
        audio=audio,
        lyrics=lyrics.strip() if isinstance(lyrics, str) else None,
        stems=stems,
    )


def load_catalogue(root: Path) -> Catalogue:
    """Read and validate ``root/catalogue.yml`` (see the module docstring for the layout).

    Raises CatalogueError for a missing folder or file, bad YAML, or any bad entry; media
    files are checked to exist here and parsed when training reads them."""
    root = Path(root).resolve()
    file = root / CATALOGUE_FILE
    if not root.is_dir():
        raise CatalogueError(
            file=None,
            field="dataset",
            value=str(root),
            allowed=f"a folder holding {CATALOGUE_FILE}",
        )
    if not file.is_file():
        raise CatalogueError(
            file=file,
            field="file",
            value=str(file),
            allowed=f"a {CATALOGUE_FILE} listing the tracks (see the docs)",
        )
    data = _read_yaml(file)
    if not isinstance(data, Mapping) or not isinstance(data.get("tracks"), list):
        raise CatalogueError(
            file=file, field="tracks", value=data, allowed="a mapping with a 'tracks:' list"
        )
    extra = sorted(str(k) for k in data if k not in ("name", "tracks"))
    if extra:
        raise CatalogueError(
            file=file,
            field=extra[0],
            value=data[extra[0]],
            allowed="only the top-level fields name and tracks",
        )
    tracks = tuple(_track(root, file, i, e) for i, e in enumerate(data["tracks"]))
    if len(tracks) < MIN_TRACKS:
        raise CatalogueError(
            file=file,
            field="tracks",
            value=f"{len(tracks)} tracks",
            allowed=f"at least {MIN_TRACKS} labelled tracks",
        )
    seen: dict[str, int] = {}
    for i, t in enumerate(tracks):
        if t.id in seen:
            raise CatalogueError(
                file=file,
                field=f"tracks[{i}].id",
                value=t.id,
                allowed=f"a unique id (tracks[{seen[t.id]}] has it too)",
            )
        seen[t.id] = i
    name = data.get("name", root.name)
    return Catalogue(root=root, name=str(name), tracks=tracks)


def window_offsets(
    end_qn: float, *, window_qn: float, bar_qn: float, max_windows: int
) -> list[float]:
    """Start times (quarter notes, on bar lines) of up to ``max_windows`` windows spread evenly
    over music ending at ``end_qn``; one window at 0 for music shorter than two windows."""
    if end_qn <= window_qn * 1.5 or max_windows <= 1:
        return [0.0]
    last = end_qn - window_qn
    n = min(max_windows, int(last // window_qn) + 1)
    starts = {math.floor(last * k / max(1, n - 1) / bar_qn) * bar_qn for k in range(n)}
    return sorted(starts)


__all__ = [
    "CATALOGUE_FILE",
    "MIDI_SUFFIXES",
    "MIN_TRACKS",
    "Catalogue",
    "CatalogueError",
    "Track",
    "load_catalogue",
    "window_offsets",
]
