"""Scores from music21: the Bach chorales of its bundled corpus, and the OpenEWLD lead sheets
(MusicXML files read by path).

Chorales: four voices as four parts, key and mode from the score's own ``Key``, meter from its
time signature; a pickup is moved so bar lines fall on the meter's grid. Chorales state no
tempo, so the text says nothing about it.

Lead sheets: the melody plus its chord symbols realised as chords and a bass. The key signature
gives two candidates (the major key and its relative minor); the one whose Krumhansl profile fits
the notes better is the key. A metronome mark, when the file has one, is the tempo.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np

from music.keys import Key
from music.meter import Meter
from music.notes import Note, Part
from training.scorer.sources_common import (
    COMPING,
    UNKNOWN_BPM,
    ChordEvent,
    Clip,
    ClipInfo,
    realise_chords,
    split_of,
    windows,
)

logger = logging.getLogger(__name__)

MAX_CLIPS_PER_SONG: Final = 4
_VOICE_NAMES: Final = ("soprano", "alto", "tenor", "bass")
_KRUMHANSL: Final = {
    "major": np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
    "minor": np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]),
}


def _meter_of(score: Any) -> Meter:
    from music21 import meter

    sigs = list(score.flatten().getElementsByClass(meter.TimeSignature))
    if not sigs:
        return Meter(4, 4)
    try:
        return Meter(int(sigs[0].numerator), int(sigs[0].denominator))
    except ValueError:
        return Meter(4, 4)


def _pickup_shift(score: Any) -> float:
    """Quarter notes to add so the first full bar starts on a bar line."""
    from music21 import stream

    parts = list(score.parts)
    if not parts:
        return 0.0
    measures = list(parts[0].getElementsByClass(stream.Measure))
    return float(measures[0].paddingLeft) if measures else 0.0


def _notes(part: Any, shift: float) -> tuple[Note, ...]:
    out = []
    for n in part.flatten().notes:
        ql = float(n.quarterLength)
        if ql <= 0 or type(n).__name__ in ("ChordSymbol", "NoChord"):
            continue
        start = float(n.offset) + shift
        velocity = 80
        for p in getattr(n, "pitches", ()):
            if 0 <= int(p.midi) <= 127:
                out.append(Note(start, start + ql, int(p.midi), velocity))
    return tuple(out)


# --- Bach chorales -------------------------------------------------------------------------


def chorale_names() -> list[str]:
    """The corpus paths of music21's bundled Bach chorales (``"bach/bwv269"``), sorted."""
    from music21 import corpus

    return sorted(str(n) for n in corpus.chorales.Iterator(returnType="filename"))


def chorale_clips(*, rng: np.random.Generator, max_songs: int | None = None) -> Iterator[Clip]:
    """Clips of the chorales (four voices, key from the score), in a seeded order."""
    from music21 import corpus, key

    names = chorale_names()
    order = rng.permutation(len(names))
    used = 0
    for index in order:
        if max_songs is not None and used >= max_songs:
            return
        name = names[int(index)]
        try:
            score = corpus.parse(name).stripTies()
        except Exception as exc:  # music21 raises many unrelated types for a bad file
            logger.warning("bach: skipped %s (%s)", name, exc)
            continue
        keys = list(score.flatten().getElementsByClass(key.Key))
        if not keys:
            continue
        tonic = int(keys[0].tonic.pitchClass)
        mode = "minor" if str(keys[0].mode) == "minor" else "major"
        meter = _meter_of(score)
        shift = _pickup_shift(score)
        parts = []
        for i, p in enumerate(score.parts):
            notes = _notes(p, shift)
            if notes:
                name_i = _VOICE_NAMES[i] if i < len(_VOICE_NAMES) else f"voice{i + 1}"
                parts.append(Part(name_i, notes, program=52))
        if len(parts) < 2:
            continue
        used += 1
        song_id = f"bach:{name.split('/')[-1]}"
        info = ClipInfo(
            source="bach",
            song_id=song_id,
            key=Key(tonic, mode),
            tempo_known=False,
            style=(
                "baroque chorale",
                "four-part hymn",
                "Bach chorale",
                "Lutheran chorale harmonisation",
                "sacred choral music",
            ),
            ensemble=("four voices", "SATB choir", "four-part vocal harmony"),
            era="18th-century",
        )
        for clip_parts, _ in windows(parts, meter, max_windows=MAX_CLIPS_PER_SONG):
            yield Clip(clip_parts, UNKNOWN_BPM, meter, info, split_of(song_id))


# --- OpenEWLD lead sheets ------------------------------------------------------------------


def key_from_signature(sharps: int, pc_hist: np.ndarray) -> Key:
    """The major key of ``sharps`` or its relative minor, whichever fits ``pc_hist`` better."""
    major_tonic = (7 * sharps) % 12
    minor_tonic = (major_tonic + 9) % 12
    if not np.any(pc_hist > 0):
        return Key(major_tonic, "major")
    r_major = float(np.corrcoef(pc_hist, np.roll(_KRUMHANSL["major"], major_tonic))[0, 1])
    r_minor = float(np.corrcoef(pc_hist, np.roll(_KRUMHANSL["minor"], minor_tonic))[0, 1])
    return Key(minor_tonic, "minor") if r_minor > r_major else Key(major_tonic, "major")


def _histogram(parts: list[Part]) -> np.ndarray:
    hist = np.zeros(12)
    for p in parts:
        for n in p.notes:
            hist[n.pitch % 12] += n.duration
    return hist


def chord_symbol_events(flat: Any, end: float, shift: float) -> tuple[ChordEvent, ...]:
    """Chord symbols of a flattened music21 stream as chord events, each lasting until the next
    symbol (the last until ``end``), moved by ``shift`` quarter notes. Chord tones are taken as
    pitch classes above the root, so a slash bass below the root keeps every tone."""
    from music21 import harmony

    symbols = [
        cs
        for cs in flat.getElementsByClass(harmony.ChordSymbol)
        if type(cs).__name__ != "NoChord" and cs.root() is not None and cs.pitches
    ]
    events: list[ChordEvent] = []
    for i, cs in enumerate(symbols):
        start = float(cs.offset) + shift
        stop = float(symbols[i + 1].offset) + shift if i + 1 < len(symbols) else end
        if stop - start <= 1e-6:
            continue  # stacked symbols at one position: the last one sounds
        root = cs.root()
        root_pc = int(root.pitchClass)
        intervals = tuple(sorted({(int(p.pitchClass) - root_pc) % 12 for p in cs.pitches}))
        bass = cs.bass()
        bass_iv = (int(bass.pitchClass) - root_pc) % 12 if bass is not None else 0
        events.append(ChordEvent(start, stop - start, root_pc, intervals or (0,), bass_iv))
    return tuple(events)


def leadsheet_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.mxl") if p.is_file())


def leadsheet_clips(
    root: Path, *, rng: np.random.Generator, max_songs: int | None = None
) -> Iterator[Clip]:
    """Clips of the OpenEWLD lead sheets under ``root`` (melody + realised chords)."""
    from music21 import converter, key, tempo

    paths = leadsheet_paths(root)
    used = 0
    for index in rng.permutation(len(paths)):
        if max_songs is not None and used >= max_songs:
            return
        path = paths[int(index)]
        try:
            score: Any = converter.parse(str(path)).stripTies()
        except Exception as exc:  # music21 raises many unrelated types for a bad file
            logger.warning("openewld: skipped %s (%s)", path, exc)
            continue
        flat = score.flatten()
        shift = _pickup_shift(score)
        melody = Part("melody", _notes(score.parts[0] if score.parts else score, shift), program=73)
        if not melody.notes:
            continue
        meter = _meter_of(score)
        end = max(melody.end, math.ceil(melody.end / meter.bar_qn) * meter.bar_qn)
        chords = chord_symbol_events(flat, end, shift)
        if not chords:
            continue
        comping = str(rng.choice(COMPING))
        chord_part, bass_part = realise_chords(
            chords,
            meter,
            comping=comping,
            bass_every_beat=bool(rng.random() < 0.5),
            centre=float(rng.uniform(54.0, 66.0)),
        )
        sigs = list(flat.getElementsByClass(key.KeySignature))
        sharps = int(sigs[0].sharps) if sigs else 0
        the_key = key_from_signature(sharps, _histogram([melody, chord_part]))
        marks = list(flat.getElementsByClass(tempo.MetronomeMark))
        qpm = marks[0].getQuarterBPM() if marks else None
        bpm = float(qpm) if qpm and 30 <= float(qpm) <= 260 else None
        used += 1
        song_id = f"openewld:{path.parent.parent.name}/{path.parent.name}"
        info = ClipInfo(
            source="openewld",
            song_id=song_id,
            key=the_key,
            tempo_known=bpm is not None,
            style=(
                "jazz-pop lead sheet",
                "popular standard",
                "Tin Pan Alley song",
                "early twentieth-century popular song",
                "American songbook tune",
            ),
            ensemble=(
                "melody with chords",
                "a tune over piano chords and bass",
                "lead melody with chord accompaniment",
            ),
            chords=chords,
        )
        for clip_parts, clip_chords in windows(
            (melody, chord_part, bass_part), meter, max_windows=MAX_CLIPS_PER_SONG, chords=chords
        ):
            clip_info = dataclasses.replace(info, chords=clip_chords)
            yield Clip(clip_parts, bpm or UNKNOWN_BPM, meter, clip_info, split_of(song_id))
