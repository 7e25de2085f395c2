"""music21's key analysis, the independent reference the key constraint is checked against:
``Stream.analyze('key')`` (Pearson's r of the duration-weighted pitch-class histogram with the
Aarden-Essen profile) of a MIDI file or a score, and a chorale's own key from its notation.
Used by evaluation (tests, ``bench.key_grid``, ``bench.key_estimate``), never while evolving."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from music21 import converter, stream
from numpy.typing import NDArray

from music.keys import Key
from scoring.key_constraint import HeardChord, chord_emphasis, judge_heard


def parse(midi: Path) -> stream.Score:
    """A MIDI file as music21 reads it."""
    parsed = converter.parse(str(midi))
    if not isinstance(parsed, stream.Score):
        raise ValueError(f"{midi}: music21 read a {type(parsed).__name__} -- a MIDI score")
    return parsed


def heard_key(score: stream.Stream) -> tuple[int, str]:
    """The key music21 hears: ``(tonic pitch class, "major"|"minor")``."""
    found = score.analyze("key")
    return int(found.tonic.pitchClass), str(found.mode)


def music21_key(midi: Path) -> tuple[int, str]:
    """The key music21 hears in a MIDI file."""
    return heard_key(parse(midi))


def histogram(score: stream.Stream) -> NDArray[np.float64]:
    """``[12]`` pitch classes weighted by quarter-note length, as music21's key analysis
    weighs them (every pitch of a chord counts the chord's length)."""
    hist = np.zeros(12, dtype=np.float64)
    for n in score.flatten().notes:
        for p in n.pitches:
            hist[p.pitchClass] += float(n.quarterLength)
    return hist


def notated_key(score: stream.Score) -> tuple[int, str] | None:
    """A chorale's own key: its key signature's major or relative minor, whichever the last
    note of the lowest part names; None when neither does (or nothing is notated)."""
    signatures = score.flatten().getElementsByClass("KeySignature")
    bass = list(score.parts[-1].flatten().notes) if score.parts else []
    if not signatures or not bass:
        return None
    last = bass[-1].pitches[0].pitchClass
    for mode in ("major", "minor"):
        tonic = int(signatures[0].asKey(mode).tonic.pitchClass)
        if tonic == last:
            return tonic, mode
    return None


def judge_progression(
    midi: Path, chords: Sequence[HeardChord], key: Key
) -> tuple[bool, str, tuple[int, str]]:
    """Whether music21 hears a chord progression's MIDI file in ``key``, judged by the key
    constraint's rules for modes (:func:`scoring.key_constraint.judge_heard`; ``chords``: the
    progression as voiced, for its tonic emphasis): ``(in_key, reading, music21's key)``."""
    score = parse(midi)
    heard = heard_key(score)
    in_key, reading = judge_heard(
        [heard], key, emphasis=chord_emphasis(chords, key), hist=histogram(score)
    )
    return in_key, reading, heard
