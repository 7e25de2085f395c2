"""Model posteriors to notes.

Pitched stems (Onsets and Frames' decoding): a note starts at a peak of the onset probability
above ``onset_threshold`` and lasts while the frame probability stays above
``frame_threshold`` (at least ``min_frames``); a new onset of the same pitch ends the note
before it. With ``frame_starts`` a note also starts where a pitch's frame probability rises over
``frame_threshold`` with no onset peak of it within :data:`MIN_GAP_FRAMES` (a model's frame head
often hears a note its onset head is unsure of; whether a model decodes so is picked on its
validation songs). Drums: every onset peak of a class above the threshold is one hit of that class's
GM drum note, :data:`HIT_SECONDS` long.

Times are seconds; frame ``t`` is at ``t / fps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter
from music.midi_io import Song
from music.notes import Note, Part

HIT_SECONDS: Final = 0.1
#: Onset peaks of one pitch closer than this many frames are one onset.
MIN_GAP_FRAMES: Final = 3
#: The tempo transcribed MIDI is written at: 120 bpm, so one second is two quarter notes.
MIDI_BPM: Final = 120.0


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """A transcribed note: start and end in seconds, MIDI pitch, velocity 1..127."""

    start: float
    end: float
    pitch: int
    velocity: int = 90

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"NoteEvent: {self.start!r}..{self.end!r} -- 0 <= start < end")


def onset_peaks(prob: NDArray[np.float32], threshold: float) -> NDArray[np.int64]:
    """Frames where ``prob`` (``[T]``) is a local maximum at or above ``threshold``, peaks
    closer than :data:`MIN_GAP_FRAMES` merged into the first."""
    p = np.asarray(prob, dtype=np.float32)
    if p.size == 0:
        return np.zeros(0, dtype=np.int64)
    left = np.concatenate(([-np.inf], p[:-1]))
    right = np.concatenate((p[1:], [-np.inf]))
    cand = np.flatnonzero((p >= threshold) & (p >= left) & (p > right))
    kept: list[int] = []
    for t in cand:
        if not kept or t - kept[-1] >= MIN_GAP_FRAMES:
            kept.append(int(t))
    return np.asarray(kept, dtype=np.int64)


def frame_rises(
    prob: NDArray[np.float32], threshold: float, onsets: NDArray[np.int64], min_frames: int
) -> NDArray[np.int64]:
    """``onsets`` with the frames where ``prob`` (``[T]``) rises to ``threshold`` or over and
    stays there more than ``min_frames`` frames, away from every onset by at least
    :data:`MIN_GAP_FRAMES`; sorted."""
    active = np.asarray(prob) >= threshold
    rises = np.flatnonzero(active & ~np.concatenate(([False], active[:-1])))
    falls = np.flatnonzero(active & ~np.concatenate((active[1:], [False]))) + 1
    kept = [
        int(t)
        for t, stop in zip(rises, falls, strict=True)
        if stop - t > min_frames and not np.any(np.abs(onsets - t) < MIN_GAP_FRAMES)
    ]
    return np.sort(np.concatenate((onsets, np.asarray(kept, dtype=np.int64))))


def _velocity(peak: float) -> int:
    return int(np.clip(round(40 + 87 * peak), 1, 127))


def pitched_notes(
    onset: NDArray[np.float32],
    frame: NDArray[np.float32],
    *,
    low: int,
    fps: float,
    onset_threshold: float = 0.5,
    frame_threshold: float = 0.5,
    min_frames: int = 2,
    frame_starts: bool = False,
) -> list[NoteEvent]:
    """Notes from ``onset`` and ``frame`` probabilities ``[T, P]``; column ``p`` is MIDI pitch
    ``low + p``. Sorted by start, then pitch."""
    if onset.shape != frame.shape or onset.ndim != 2:
        raise ValueError(f"onset/frame: shapes {onset.shape} and {frame.shape} -- equal [T, P]")
    t_len = onset.shape[0]
    out: list[NoteEvent] = []
    for p in range(onset.shape[1]):
        starts = onset_peaks(onset[:, p], onset_threshold)
        if frame_starts:
            starts = frame_rises(frame[:, p], frame_threshold, starts, min_frames)
        for i, s in enumerate(starts):
            stop = int(starts[i + 1]) if i + 1 < len(starts) else t_len
            below = np.flatnonzero(frame[s + 1 : stop, p] < frame_threshold)
            end = s + 1 + int(below[0]) if below.size else stop
            end = max(end, s + min_frames)
            out.append(NoteEvent(s / fps, end / fps, low + p, _velocity(float(onset[s, p]))))
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def drum_hits(
    onset: NDArray[np.float32], *, notes: Sequence[int], fps: float, threshold: float = 0.5
) -> list[NoteEvent]:
    """Hits from ``onset`` probabilities ``[T, C]``; class ``c`` plays GM drum note
    ``notes[c]``."""
    if onset.ndim != 2 or onset.shape[1] != len(notes):
        raise ValueError(f"onset: shape {onset.shape} -- [T, {len(notes)}] (one column a class)")
    out = [
        NoteEvent(t / fps, t / fps + HIT_SECONDS, notes[c], _velocity(float(onset[t, c])))
        for c in range(onset.shape[1])
        for t in onset_peaks(onset[:, c], threshold)
    ]
    out.sort(key=lambda n: (n.start, n.pitch))
    return out


def to_part(
    events: Sequence[NoteEvent], *, name: str, program: int = 0, is_drum: bool = False
) -> Part:
    """``events`` as a :class:`Part` at :data:`MIDI_BPM` (seconds * 2 quarter notes)."""
    qn = MIDI_BPM / 60.0
    notes = tuple(Note(e.start * qn, e.end * qn, e.pitch, e.velocity) for e in events)
    return Part(name=name, notes=notes, program=program, is_drum=is_drum)


def to_song(parts: Sequence[Part]) -> Song:
    """Transcribed parts as a song at :data:`MIDI_BPM` in 4/4."""
    return Song(parts=tuple(parts), bpm=MIDI_BPM, meter=Meter(4, 4))
