"""How loud a song is played: one dynamic level for all its parts, set by its mood.

A tender, sleepy song is played softly and a driving, angry one loudly; the notes are the same
and each part keeps its own accents (a ghost note stays quieter than a backbeat), only the
level moves. The level is a factor on every MIDI velocity, ``2 ** (RANGE * arousal)`` for the
mood target's arousal (-1..1, :mod:`scoring.emotion.mood`): 0.71 (p where a part writes
mf) at the calmest, 1.41 (ff) at the most aroused, 1.0 without mood words. Loudness is the cue
listeners read arousal from most directly after tempo (Gabrielsson & Lindström 2010; Eerola,
Friberg & Bresin 2013), and the only one a part's generator does not already choose.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from music.notes import Part

#: log2 of the velocity factor at arousal 1: 2 ** 0.5 = 1.41, and 0.71 at arousal -1.
RANGE: Final = 0.5


def mood_dynamic(arousal: float) -> float:
    """The velocity factor of a song whose mood target has ``arousal`` (clipped to -1..1)."""
    return float(2.0 ** (RANGE * max(-1.0, min(1.0, arousal))))


def played(velocity: int, dynamic: float) -> int:
    """``velocity`` at the song's ``dynamic`` level, kept to MIDI's 1..127 (unchanged at 1.0)."""
    if dynamic == 1.0:
        return velocity
    return min(127, max(1, round(velocity * dynamic)))


def at_level(part: Part, dynamic: float) -> Part:
    """``part`` with every velocity :func:`played` at ``dynamic`` (itself at 1.0)."""
    if dynamic == 1.0:
        return part
    notes = tuple(replace(n, velocity=played(n.velocity, dynamic)) for n in part.notes)
    return replace(part, notes=notes)
