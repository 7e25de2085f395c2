"""More real sources for the transcription corpus, read in place by the project's readers:

* McGill Billboard chord charts (CC0; :func:`training.chords.billboard.read_slots`): each
  song's chords with their bar timing, root position from C3 up, as harmony.
* When in Rome's Roman-numeral analyses of the Bach chorales (CC BY-SA 4.0; music21's
  RomanText reader, as :mod:`training.chords.bach`): each numeral's chord at its offset and
  length, as harmony.
* OpenEWLD lead sheets (public domain; :func:`training.melody_eval.read_openewld`): the
  melody, from the first full bar, as the ``synth_lead`` line.

All come as :class:`~training.transcribe.sources.Tune` (a harmony source has no melody, a
melody source no chords); :func:`combine` puts one's chords under another's melody, moved
into the harmony's key (:func:`match_key`; the key the source states, else an estimate).
Splits follow the style corpora's (:func:`training.style.rows.split_of` on the same song
keys): their held-out songs are this corpus's test split (a chorale keyed by the music21 score its
``remote.json`` names, as the style corpora read it), their tune songs its validation split,
so no song the project holds out is trained on; Billboard's duplicate entries share a split by
title and artist.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Final

import numpy as np

from music.errors import InputError
from music.keys import MODE_INTERVALS, Key
from music.notes import Note
from scoring.key_estimate import estimate_keys, histogram
from training.billboard import find_songs, read_text
from training.chords.bach import find_chorales
from training.chords.billboard import infer_minor, read_slots
from training.melody_eval import read_openewld
from training.style.rows import split_of as style_split_of
from training.transcribe.sources import SPLITS, Chord, Tune

logger = logging.getLogger(__name__)

#: The style corpora's splits as this corpus's.
FROM_STYLE_SPLIT: Final = {"build": "train", "tune": "validation", "heldout": "test"}
#: Lowest note of a chart's chord (its root, C3..B3).
CHORD_FLOOR: Final = 48
#: The range a melody moved into another key should stay in (C3..C6, a lead's).
LEAD_RANGE: Final = (48, 84)


def corpus_split(key: str) -> str:
    """``train``, ``validation`` or ``test`` for a song key of the style corpora
    (``billboard/<title>/<artist>``, ``chorales/<name>``, ``openewld/<file stem>``)."""
    return FROM_STYLE_SPLIT[style_split_of(key)]


def _check(split: str, files: list[Path], folder: Path, field: str, allowed: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split: {split!r} -- one of {', '.join(SPLITS)}")
    if not files:
        raise InputError(file=folder, field=field, value=str(folder), allowed=allowed)


@functools.cache
def _billboard_splits(folder: Path) -> dict[Path, str]:
    out = {}
    for path in find_songs(folder):
        try:
            header, _ = read_slots(read_text(path), where=path.parent.name)
        except ValueError as exc:
            logger.warning("skipping %s: %s", path, exc)
            continue
        key = header.dedupe_key or (path.parent.name, "")
        out[path] = corpus_split("billboard/" + "/".join(key))
    return out


def billboard_files(folder: Path, split: str) -> list[Path]:
    """``salami_chords.txt`` files of ``split`` under ``folder``."""
    splits = _billboard_splits(folder)
    _check(split, list(splits), folder, "billboard", "a folder of salami_chords.txt files")
    return [path for path, where in splits.items() if where == split]


def read_billboard(path: Path) -> Tune | None:
    """A chart's chords, each for its share of its bar, in quarter notes (a no-chord mark is
    a gap; ``.`` holds the chord before). None when it has no chords."""
    _, slots = read_slots(read_text(path), where=path.parent.name)
    tonic = next((s.tonic for s in slots if s.tonic is not None and s.chord is not None), None)
    key = None if tonic is None else Key(tonic, "minor" if infer_minor(slots, tonic) else "major")
    chords: list[Chord] = []
    t = 0.0
    for slot in slots:
        c = slot.chord
        if c is not None and c.root < 0:  # "." at a bar's start: the chord before goes on
            if chords and abs(chords[-1].end - t) < 1e-6:
                chords[-1] = Chord(chords[-1].start, t + slot.beats, chords[-1].pitches)
        elif c is not None and slot.beats > 0:
            pitches = tuple(CHORD_FLOOR + c.root + iv for iv in c.intervals if iv < 24)
            chords.append(Chord(t, t + slot.beats, pitches))
        t += slot.beats
    return Tune(f"billboard_{path.parent.name}", (), tuple(chords), 4, key) if chords else None


def chorale_key(path: Path) -> str:
    """The style corpora's key of a chorale analysis: ``chorales/`` and the music21 score its
    ``remote.json`` names (``chorales/bach/bwv269``), else its folder's name."""
    try:
        remote = json.loads((path.parent / "remote.json").read_text(encoding="utf-8"))
        return "chorales/" + str(remote["remote_score_music21"]).removesuffix(".mxl")
    except (OSError, ValueError, KeyError, TypeError):
        return f"chorales/{path.parent.name}"


def chorale_files(folder: Path, split: str) -> list[Path]:
    """When in Rome ``analysis.txt`` files of ``split`` under ``folder``."""
    files = find_chorales(folder)
    _check(split, files, folder, "bach", "a folder of When in Rome analysis.txt files")
    return [path for path in files if corpus_split(chorale_key(path)) == split]


def read_chorale_chords(path: Path) -> Tune | None:
    """A chorale analysis's chords: each Roman numeral's pitch classes in root position from
    C3 up, at its offset for its length (quarter notes). None when unreadable or empty."""
    from music21 import converter, roman
    from music21 import meter as m21meter

    try:
        score = converter.parse(path.read_text(encoding="utf-8"), format="romanText")
    except Exception as exc:  # music21 raises many types; skip the file, say which
        logger.warning("skipping %s: %s", path, exc)
        return None
    chords = []
    key = None
    for rn in score.recurse().getElementsByClass(roman.RomanNumeral):
        length = float(rn.quarterLength)
        root = rn.root()
        if length <= 0 or root is None:
            continue
        root_pc = int(root.pitchClass)
        if key is None and rn.key is not None:
            key = Key(int(rn.key.tonic.pitchClass), "minor" if rn.key.mode == "minor" else "major")
        above = sorted({(int(p.pitchClass) - root_pc) % 12 for p in rn.pitches})
        start = float(rn.getOffsetInHierarchy(score))
        pitches = tuple(CHORD_FLOOR + root_pc + iv for iv in above)
        chords.append(Chord(start, start + length, pitches))
    ts = score.recurse().getElementsByClass(m21meter.TimeSignature).first()
    beats = 4 if ts is None else max(1, round(ts.numerator * 4 / ts.denominator))
    chords.sort(key=lambda c: c.start)
    return Tune(f"bach_{path.parent.name}", (), tuple(chords), beats, key) if chords else None


def openewld_files(folder: Path, split: str) -> list[Path]:
    """OpenEWLD lead sheets (``**/*.mxl``) of ``split`` under ``folder``."""
    files = sorted(folder.rglob("*.mxl"))
    _check(split, files, folder, "openewld", "a folder of OpenEWLD .mxl lead sheets")
    return [path for path in files if corpus_split(f"openewld/{path.stem}") == split]


def read_openewld_melody(path: Path) -> Tune | None:
    """A lead sheet's melody from its first full bar, its segments end to end (quarter
    notes). None when it has no segment."""
    samples = read_openewld(path)
    if not samples:
        return None
    notes: list[Note] = []
    offset = 0.0
    for sample in samples:
        notes.extend(
            Note(n.start + offset, n.end + offset, n.pitch, n.velocity) for n in sample.notes
        )
        offset += sample.bars * sample.meter.bar_qn
    beats = max(1, round(samples[0].meter.bar_qn))
    return Tune(f"openewld_{path.stem}", tuple(notes), (), beats)


def tune_key(tune: Tune) -> tuple[int, str]:
    """``(tonic, "major" | "minor")`` of ``tune``: the key its source states (a mode without a
    major third counts as minor), else the estimate (:mod:`scoring.key_estimate`) of its
    melody and chord tones weighted by duration."""
    if tune.key is not None:
        return tune.key.tonic, "major" if 4 in MODE_INTERVALS[tune.key.mode] else "minor"
    sounding = [(n.pitch, n.end - n.start) for n in tune.melody]
    sounding += [(p, c.end - c.start) for c in tune.chords for p in c.pitches]
    found = estimate_keys(histogram(sounding)[None])[0]
    return found.tonic, found.family


#: Scale degrees (semitones above the tonic) a melody's mode change moves, and by how much:
#: major to natural minor lowers the third, sixth and seventh; minor to major raises them.
_MUTATION: Final = {
    ("major", "minor"): {4: -1, 9: -1, 11: -1},
    ("minor", "major"): {3: 1, 8: 1, 10: 1},
}


def match_key(
    notes: tuple[Note, ...], key: tuple[int, str], target: tuple[int, str]
) -> tuple[Note, ...]:
    """``notes`` (in ``key``) moved into ``target``: every note by one interval, the octave
    that keeps most notes in :data:`LEAD_RANGE` (then the smaller move), and, when the modes
    differ, the third, sixth and seventh degrees moved a semitone to the target's mode.
    Unchanged when the keys are the same."""
    up = (target[0] - key[0]) % 12

    def outside(shift: int) -> int:
        return sum(not LEAD_RANGE[0] <= n.pitch + shift <= LEAD_RANGE[1] for n in notes)

    shift = min((up, up - 12), key=lambda s: (outside(s), abs(s)))
    mutation = _MUTATION.get((key[1], target[1]), {})
    return tuple(
        Note(
            n.start,
            n.end,
            n.pitch + shift + mutation.get((n.pitch + shift - target[0]) % 12, 0),
            n.velocity,
        )
        for n in notes
    )


def combine(harmony: Tune, melody: Tune, rng: np.random.Generator) -> Tune:
    """``harmony``'s chords from a random bar under ``melody``'s notes from a random bar,
    both moved to 0 and cut where the shorter ends; the melody moved into the harmony's key
    (:func:`match_key` of each :func:`tune_key`)."""

    def start_bar(end: float, bar: int) -> float:
        return float(int(rng.integers(0, max(1, int(end // bar) // 2 + 1))) * bar)

    h0 = start_bar(harmony.chords[-1].end, harmony.beats_per_bar)
    m_end = max((n.end for n in melody.melody), default=0.0)
    m0 = start_bar(m_end, melody.beats_per_bar)
    length = min(harmony.chords[-1].end - h0, m_end - m0)
    chords = tuple(
        Chord(c.start - h0, min(c.end - h0, length), c.pitches)
        for c in harmony.chords
        if c.start >= h0 and c.start - h0 < length
    )
    notes = tuple(
        Note(n.start - m0, min(n.end - m0, length), n.pitch, n.velocity)
        for n in melody.melody
        if n.start >= m0 and n.start - m0 < length
    )
    name = f"{harmony.name}+{melody.name}"
    if not chords:  # a melody shorter than the harmony's first chord: keep the harmony whole
        return Tune(name, (), harmony.chords, harmony.beats_per_bar, harmony.key)
    notes = match_key(notes, tune_key(melody), tune_key(harmony))
    return Tune(name, notes, chords, harmony.beats_per_bar, harmony.key)
