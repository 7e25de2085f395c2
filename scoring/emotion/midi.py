"""Valence/arousal measured on MIDI: the weak labels the emotion model trains on, and the
estimate the agent scores every candidate with during evolution (the rules are one, so the
model and the loop read a score the same way; rendering audio for every candidate of every
generation would cost about 50 ms per second of music).

No emotion-labelled corpus is reachable here, so the labels are computed from the score with the
cues the music-emotion literature finds most consistent (Gabrielsson & Lindström, "The role of
structure in the musical expression of emotions", 2010; Juslin & Laukka 2003; Eerola, Friberg
& Bresin, "Emotional expression in music: contribution, linearity, and additivity of primary
musical cues", Frontiers in Psychology 2013):

* valence: mode (major vs minor, by the Krumhansl-Schmuckler estimate of
  :mod:`scoring.key_estimate`, weighted by how clear the key is), harmony (share of beats whose
  sounding pitch classes hold a major triad vs a minor or diminished one) and register (higher
  mean pitch reads happier);
* arousal: tempo, note density (onsets per second) and loudness (mean MIDI velocity).

Known limits: these are rules, not listeners. Mode and tempo explain much of the variance in
listening studies of Western tonal music, but not all (timbre, articulation, lyrics, culture and
familiarity are absent); a fast minor reel and a slow major hymn get the labels the rules give;
velocity stands in for loudness before the SoundFont's own level; the weights below are chosen
by hand within the ranges those studies report, not fitted to ratings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from music.dynamics import at_level
from music.notes import Note, Part
from scoring.composite import EmotionScore
from scoring.key_estimate import estimate_key, histogram


@dataclass(frozen=True, slots=True)
class WeakLabel:
    valence: float
    arousal: float
    mode: float
    harmony: float
    tempo_bpm: float
    density: float
    velocity: float


def _triads(notes: Sequence[Note], length_qn: float) -> tuple[int, int]:
    """Beats holding a major triad, and beats holding a minor or diminished one."""
    major = minor = 0
    for beat in range(math.ceil(length_qn)):
        pcs = {n.pitch % 12 for n in notes if n.start < beat + 1 and n.end > beat}
        has_major = any({r, (r + 4) % 12, (r + 7) % 12} <= pcs for r in range(12))
        has_minor = any(
            {r, (r + 3) % 12, (r + 7) % 12} <= pcs or {r, (r + 3) % 12, (r + 6) % 12} <= pcs
            for r in range(12)
        )
        major += has_major and not has_minor
        minor += has_minor and not has_major
    return major, minor


def weak_label(
    notes: Sequence[Note],
    *,
    bpm: float,
    length_qn: float,
    percussion: Sequence[Note] = (),
) -> WeakLabel:
    """The label of the notes of a clip ``length_qn`` quarter notes long played at ``bpm``.
    ``percussion`` (unpitched hits) adds to the arousal cues only: its onsets to the density
    and its velocities to the loudness, never its drum-map numbers to mode or register."""
    if not notes:
        raise ValueError("notes: empty -- a clip with notes")
    key = estimate_key(list(histogram((n.pitch, n.end - n.start) for n in notes)))
    clarity = min(1.0, 0.5 + 5.0 * key.margin)
    mode = (1.0 if key.family == "major" else -1.0) * clarity
    major, minor = _triads(notes, length_qn)
    harmony = (major - minor) / max(1, major + minor)
    register = float(np.clip((np.mean([n.pitch for n in notes]) - 64.0) / 18.0, -1.0, 1.0))
    seconds = length_qn * 60.0 / bpm
    struck = [*notes, *percussion]
    density = len({round(n.start, 3) for n in struck}) / seconds
    velocity = float(np.mean([n.velocity for n in struck]))
    valence = 0.55 * mode + 0.3 * harmony + 0.15 * register
    arousal = (
        0.4 * math.tanh(1.6 * math.log2(bpm / 110.0))
        + 0.35 * math.tanh((density - 4.5) / 2.5)
        + 0.25 * float(np.clip((velocity - 80.0) / 35.0, -1.0, 1.0))
    )
    return WeakLabel(
        valence=float(np.clip(valence, -1.0, 1.0)),
        arousal=float(np.clip(arousal, -1.0, 1.0)),
        mode=mode,
        harmony=harmony,
        tempo_bpm=bpm,
        density=density,
        velocity=velocity,
    )


def texture_label(parts: Sequence[Part], *, bpm: float) -> WeakLabel | None:
    """The estimate of parts heard together (a candidate over the parts approved under it):
    pitched parts give mode, harmony and register; every part gives density and loudness.
    None when no pitched note sounds (nothing to read a mode from)."""
    pitched = [n for p in parts if not p.is_drum for n in p.notes]
    if not pitched:
        return None
    drums = [n for p in parts if p.is_drum for n in p.notes]
    length = max(n.end for n in (*pitched, *drums))
    return weak_label(pitched, bpm=bpm, length_qn=max(1.0, length), percussion=drums)


@dataclass(frozen=True, slots=True)
class EmotionAim:
    """The song's mood target and tempo: what a candidate's MIDI estimate is held to.
    ``dynamic`` is the level the song is played at (:mod:`music.dynamics`): evolution scores
    parts as written, and the estimate hears them played at that level."""

    valence: float
    arousal: float
    bpm: float
    dynamic: float = 1.0

    def score(self, parts: Sequence[Part]) -> EmotionScore | None:
        """The estimate of ``parts`` (as written) heard together at the song's level, and its
        match to the target; None when no pitched note sounds."""
        label = texture_label([at_level(p, self.dynamic) for p in parts], bpm=self.bpm)
        if label is None:
            return None
        return EmotionScore.of(label.valence, label.arousal, (self.valence, self.arousal))
