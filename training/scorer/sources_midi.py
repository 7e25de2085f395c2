"""MIDI-file sources: Nottingham folk tunes and Groove MIDI drum performances.

Nottingham (GPL-3.0: read by path for training only, never copied into the repo): two tracks,
melody and block chords. The files state no tempo (the MIDI default applies), so the text says
nothing about tempo. Key: among the key signatures in the file and their relative keys, the one
whose Krumhansl profile fits the notes best. Chord symbols are named from the block chords. The
tune type (jig, reel, hornpipe, waltz, ...) comes from the file's collection.

Groove MIDI (CC BY 4.0): ``info.csv`` gives style, bpm, meter, beat/fill and the split. Only
``beat`` performances are used (fills are one or two bars). Roland TD-11 notes are mapped to
General MIDI drums with the GMD paper's table. GMD's own split is kept: ``validation`` files go to
``val``; ``train`` files go to ``train``, except a deterministic 10% (by hash) held out as
``test`` (GMD's test split is withheld from this copy).
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import numpy as np

from music.errors import MidiFileError
from music.keys import Key, parse_key
from music.meter import Meter
from music.midi_io import open_midi, read_midi
from music.notes import Note, Part
from training.scorer.sources_common import (
    UNKNOWN_BPM,
    ChordEvent,
    Clip,
    ClipInfo,
    chord_events_from_part,
    song_hash,
    split_of,
    windows,
)

logger = logging.getLogger(__name__)

MAX_CLIPS_PER_SONG: Final = 4

#: Roland TD-11 note -> General MIDI drum note (Gillick et al. 2019, Table 1).
TD11_TO_GM: Final[dict[int, int]] = {
    36: 36, 38: 38, 40: 38, 37: 37, 48: 50, 50: 50, 45: 47, 47: 47, 43: 43, 58: 43,
    46: 46, 26: 46, 42: 42, 22: 42, 44: 44, 49: 49, 55: 49, 57: 57, 52: 57, 51: 51,
    59: 59, 53: 53,
}  # fmt: skip

_KRUMHANSL: Final = {
    "major": np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
    "minor": np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]),
}

#: Nottingham collection (file-name prefix) -> tune-type words.
NOTTINGHAM_STYLES: Final[dict[str, tuple[str, ...]]] = {
    "ashover": ("English folk dance tune", "country dance tune"),
    "hpps": ("hornpipe", "folk hornpipe"),
    "jigs": ("jig", "folk jig"),
    "morris": ("morris dance tune", "English morris tune"),
    "playford": ("Playford country dance", "English country dance"),
    "reels": ("reel", "fiddle reel"),
    "slip": ("slip jig", "folk slip jig"),
    "waltzes": ("folk waltz", "waltz"),
    "xmas": ("Christmas carol", "traditional Christmas tune"),
}
_FOLK: Final = ("folk tune", "traditional folk melody", "fiddle tune")

#: Groove style words that differ from the info.csv spelling.
_GROOVE_WORDS: Final[dict[str, str]] = {
    "neworleans": "New Orleans", "secondline": "second line", "afrocuban": "Afro-Cuban",
    "hiphop": "hip-hop", "purdieshuffle": "Purdie shuffle", "halftime": "half-time",
    "motown": "Motown", "brazilian": "Brazilian", "afrobeat": "Afrobeat", "bembe": "bembe",
    "middleeastern": "Middle Eastern", "mediumfast": "medium-fast",
    "sambareggae": "samba-reggae", "latin": "Latin",
}  # fmt: skip
#: Main styles that read better after their sub-style ("half-time rock", "swing jazz").
_NOUN_STYLES: Final = frozenset({"rock", "funk", "jazz", "pop", "soul", "blues", "punk", "dance"})


def _best_key(candidates: list[Key], hist: np.ndarray) -> Key:
    best, best_r = candidates[0], -2.0
    for k in candidates:
        r = float(np.corrcoef(hist, np.roll(_KRUMHANSL[k.family], k.tonic))[0, 1])
        if r > best_r:
            best, best_r = k, r
    return best


def nottingham_key(path: Path, parts: tuple[Part, ...]) -> Key:
    """The best-fitting key among the file's key signatures and their relatives."""
    candidates: list[Key] = []
    for track in open_midi(path).tracks:
        for msg in track:
            if msg.type == "key_signature":
                try:
                    k = parse_key(msg.key)
                except ValueError:
                    continue
                rel = (
                    Key((k.tonic + 3) % 12, "major")
                    if k.is_minor
                    else Key((k.tonic + 9) % 12, "minor")
                )
                candidates.extend((k, rel))
    hist = np.zeros(12)
    for p in parts:
        for n in p.notes:
            hist[n.pitch % 12] += n.duration
    if not candidates:
        candidates = [Key(t, m) for t in range(12) for m in ("major", "minor")]
    return _best_key(candidates, hist)


def nottingham_clips(
    root: Path, *, rng: np.random.Generator, max_songs: int | None = None
) -> Iterator[Clip]:
    """Clips of the Nottingham MIDI files under ``root`` (melody + chord tracks)."""
    paths = (
        sorted((root / "MIDI").glob("*.mid"))
        if (root / "MIDI").is_dir()
        else sorted(root.rglob("*.mid"))
    )
    used = 0
    for index in rng.permutation(len(paths)):
        if max_songs is not None and used >= max_songs:
            return
        path = paths[int(index)]
        try:
            song = read_midi(path)
        except MidiFileError as exc:
            logger.warning("nottingham: skipped %s (%s)", path, exc)
            continue
        pitched = [p for p in song.parts if not p.is_drum]
        if not pitched:
            continue
        # the melody is the higher track; the other holds the block chords
        pitched.sort(key=lambda p: -float(np.mean([n.pitch for n in p.notes])))
        melody = Part("melody", pitched[0].notes, program=73)
        parts = [melody]
        chords: tuple[ChordEvent, ...] = ()
        if len(pitched) > 1:
            parts.append(Part("chords", pitched[1].notes, program=0))
            chords = chord_events_from_part(pitched[1])
        collection = re.sub(r"\d+$", "", path.stem).lower()
        style = NOTTINGHAM_STYLES.get(collection, ()) + _FOLK
        used += 1
        song_id = f"nottingham:{path.stem}"
        info = ClipInfo(
            source="nottingham",
            song_id=song_id,
            key=nottingham_key(path, tuple(parts)),
            tempo_known=False,
            style=style,
            ensemble=(
                "melody with block chords",
                "a folk melody over chords",
                "tune and chordal accompaniment",
            ),
            chords=chords,
        )
        for clip_parts, clip_chords in windows(
            parts, song.meter, max_windows=MAX_CLIPS_PER_SONG, chords=chords
        ):
            clip_info = dataclasses.replace(info, chords=clip_chords)
            yield Clip(clip_parts, UNKNOWN_BPM, song.meter, clip_info, split_of(song_id))


def groove_style_words(style: str) -> tuple[str, ...]:
    """``"rock/halftime"`` -> ("half-time rock", "rock", "half-time");
    ``"neworleans/secondline"`` -> ("New Orleans second line", "New Orleans", "second line")."""
    pieces = [p for p in style.strip().lower().split("/") if p]
    words = [" ".join(_GROOVE_WORDS.get(w, w) for w in re.split(r"[-_]", p)) for p in pieces]
    if len(words) < 2:
        return tuple(words)
    main, sub = words[0], " ".join(words[1:])
    full = f"{sub} {main}" if pieces[0] in _NOUN_STYLES else f"{main} {sub}"
    return (full, main, sub)


def map_td11(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    """Drum parts with Roland TD-11 notes mapped to General MIDI (unknown notes kept)."""
    out = []
    for p in parts:
        notes = tuple(
            Note(n.start, n.end, TD11_TO_GM.get(n.pitch, n.pitch), n.velocity) for n in p.notes
        )
        out.append(Part("drums", notes, program=0, is_drum=True))
    return tuple(out)


def groove_split(song_id: str, gmd_split: str) -> str:
    """GMD ``validation`` -> val; ``train`` -> train, or test for a stable 10% by hash."""
    if gmd_split == "validation":
        return "val"
    return "test" if song_hash(song_id) >= 0.9 else "train"


def groove_clips(
    root: Path, *, rng: np.random.Generator, max_songs: int | None = None
) -> Iterator[Clip]:
    """Clips of the Groove MIDI ``beat`` performances listed in ``root/info.csv``."""
    info_csv = root / "info.csv"
    if not info_csv.is_file():
        raise FileNotFoundError(f"{info_csv}: Groove MIDI info.csv not found")
    with info_csv.open(newline="", encoding="utf-8") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["beat_type"] == "beat" and r["split"] in ("train", "validation")
        ]
    used = 0
    for index in rng.permutation(len(rows)):
        if max_songs is not None and used >= max_songs:
            return
        row = rows[int(index)]
        path = root / row["midi_filename"]
        try:
            song = read_midi(path)
            meter = Meter.parse(row["time_signature"].replace("-", "/"))
            bpm = float(row["bpm"])
        except (MidiFileError, ValueError) as exc:
            logger.warning("groove: skipped %s (%s)", path, exc)
            continue
        parts = map_td11(tuple(p for p in song.parts if p.notes))
        style = row["style"]
        used += 1
        song_id = f"groove:{row['id']}"
        info = ClipInfo(
            source="groove",
            song_id=song_id,
            key=None,
            tempo_known=True,
            style=groove_style_words(style),
            ensemble=("drums only", "a drum kit alone", "solo drum kit"),
            swing=any(w in style for w in ("swing", "shuffle")),
        )
        split = groove_split(song_id, row["split"])
        for clip_parts, _ in windows(parts, meter, max_windows=MAX_CLIPS_PER_SONG):
            yield Clip(clip_parts, bpm if bpm > 0 else UNKNOWN_BPM, meter, info, split)
