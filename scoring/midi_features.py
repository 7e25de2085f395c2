"""The beat-aligned MIDI representation shared by scorer training and runtime.

A clip is seen as exactly :data:`ROLL_STEPS` steps of :data:`STEPS_PER_QN` per quarter note
(32 quarter notes), so tempo never changes the picture:

- ``roll`` ``[2, 128, ROLL_STEPS]``: channel 0 holds the sustained pitched notes
  (velocity/127 while a note sounds; drums excluded), channel 1 the onsets of every note,
  drums included at their General MIDI drum pitch (velocity/127 at the onset step).
- ``own`` ``[128, ROLL_STEPS]`` (optional): the part being scored, apart from the parts approved
  underneath it: where its pitched notes sound and its drum hits fall (the larger of its own
  two channels). Without it the whole roll is the candidate's own (:func:`own_channel`). Models
  with ``roll_channels = 3`` read it as a third channel (:func:`roll_views`), so a bass line is
  seen as itself over its backdrop, not as a small change to a picture of the chords.
- ``symbolic`` ``[N_SYMBOLIC]``: summary numbers, each scaled to roughly [0, 1]; their order is
  :data:`SYMBOLIC_NAMES`. Only entry 0 depends on the tempo.

Windowing: whole empty bars before the first note are dropped; music shorter than 32 quarter
notes is looped (at its length rounded up to whole bars, so the meter stays aligned) until it
fills the window; longer music is cut to its first 32 quarter notes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from music.errors import MidiFileError
from music.meter import Meter
from music.midi_io import read_midi
from music.notes import Part
from scoring.note_arrays import (
    ROLL_STEPS,
    STEPS_PER_QN,
    WINDOW_QN,
    Backdrop,
    NoteTable,
    Placed,
    Window,
    rolls,
    window_of,
    windowed,
)
from scoring.symbolic import (
    _MAJOR_SCALE,
    _MINOR_SCALE,
    N_SYMBOLIC,
    SYMBOLIC_NAMES,
    KeyEstimate,
    estimate_key,
    is_triplet_onset,
    symbolic_batch,
    syncopation,
)


@dataclass(frozen=True, slots=True)
class MidiFeatures:
    """One clip as the scorer sees it (see the module docstring)."""

    roll: NDArray[np.float32]  # [2, 128, ROLL_STEPS]
    symbolic: NDArray[np.float32]  # [N_SYMBOLIC]
    #: DSP features of the clip's rendered audio (scoring.audio_features), when it has some.
    audio: NDArray[np.float32] | None = None
    #: The part being scored, apart from what lies underneath (None: the whole roll).
    own: NDArray[np.float32] | None = None

    def __post_init__(self) -> None:
        if self.roll.shape != (2, 128, ROLL_STEPS):
            raise ValueError(
                f"MidiFeatures.roll: shape {self.roll.shape} -- (2, 128, {ROLL_STEPS})"
            )
        if self.own is not None and self.own.shape != (128, ROLL_STEPS):
            raise ValueError(f"MidiFeatures.own: shape {self.own.shape} -- (128, {ROLL_STEPS})")
        if self.symbolic.shape != (N_SYMBOLIC,):
            raise ValueError(
                f"MidiFeatures.symbolic: shape {self.symbolic.shape} -- ({N_SYMBOLIC},)"
            )


def _no_notes() -> MidiFileError:
    return MidiFileError(
        file=None, field="notes", value=0, allowed="at least one note in the first 32 quarter notes"
    )


def midi_features(parts: Sequence[Part], *, bpm: float, meter: Meter) -> MidiFeatures:
    """Roll and symbolic features of ``parts`` played at ``bpm`` (qn per minute) in ``meter``.

    Raises MidiFileError(field="notes") when there are no notes, ValueError for a bad bpm."""
    return features_over(parts, Backdrop.of(()), bpm=bpm, meter=meter)


def features_over(
    parts: Sequence[Part], backdrop: Backdrop, *, bpm: float, meter: Meter
) -> MidiFeatures:
    """The features of ``parts`` played over the parts of ``backdrop`` (as ``midi_features`` of
    ``[*parts, *backdrop's parts]``); the backdrop's windows and rolls are computed once.

    Raises MidiFileError(field="notes") when there are no notes, ValueError for a bad bpm."""
    roll, symbolic, own = table_views(NoteTable.of([parts]), backdrop, bpm=bpm, meter=meter)
    return MidiFeatures(roll=roll[0], symbolic=symbolic[0], own=None if backdrop.empty else own[0])


def features_batch(
    candidates: Sequence[Sequence[Part]], backdrop: Backdrop, *, bpm: float, meter: Meter
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Rolls ``[B, 2, 128, ROLL_STEPS]`` and symbolic features ``[B, N_SYMBOLIC]`` of every
    candidate's parts over the parts of ``backdrop``, each row exactly :func:`features_over`
    of that candidate, computed for the whole batch at once.

    Raises MidiFileError(field="notes") when a candidate has no notes over an empty backdrop,
    ValueError for a bad bpm."""
    return table_features(NoteTable.of(candidates), backdrop, bpm=bpm, meter=meter)


def table_features(
    table: NoteTable, backdrop: Backdrop, *, bpm: float, meter: Meter
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """:func:`features_batch` of candidates given as one :class:`NoteTable`."""
    roll, symbolic, _ = table_views(table, backdrop, bpm=bpm, meter=meter)
    return roll, symbolic


def table_views(
    table: NoteTable, backdrop: Backdrop, *, bpm: float, meter: Meter
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """:func:`table_features` and each candidate's own channel ``[B, 128, ROLL_STEPS]`` (its
    parts alone, before the backdrop is laid under them; see the module docstring)."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo (qn per minute)")
    first, last = table.bounds()
    first = np.minimum(first, backdrop.first_start)
    last = np.maximum(last, backdrop.last_end)
    if not np.all(np.isfinite(first)):
        raise _no_notes()
    known: dict[tuple[float, float], Window] = {}
    windows = []
    for span in zip(first.tolist(), last.tolist(), strict=True):
        window = known.get(span)
        if window is None:
            window = known[span] = window_of(*span, meter=meter)
        windows.append(window)
    own = windowed(table, windows)
    roll = rolls(own)
    own_roll = own_channel(roll)
    underneath: list[Placed | None] = [None] * len(windows)
    if not backdrop.empty:
        for window, members in _by_window(windows).items():
            placed = backdrop.placed(window)
            for c in members:
                np.maximum(roll[c], placed.roll, out=roll[c])
                underneath[c] = placed
    return roll, symbolic_batch(own, underneath, roll, bpm=bpm, meter=meter), own_roll


def own_channel(roll: NDArray[np.float32]) -> NDArray[np.float32]:
    """``[..., 128, T]`` from rolls ``[..., 2, 128, T]``: the larger of the sustained and the
    onset channel (pitched notes while they sound, drum hits where they fall)."""
    out: NDArray[np.float32] = np.maximum(roll[..., 0, :, :], roll[..., 1, :, :])
    return out


def roll_views(
    features: Sequence[MidiFeatures], channels: int, *, rows: int = 0
) -> NDArray[np.float32]:
    """The model's roll input ``[B, channels, 128, ROLL_STEPS]`` of clips: their two channels
    and, with ``channels = 3``, their own channel (:func:`own_channel` of the roll where a clip
    has none); padded to ``rows`` as :func:`stack`."""
    if channels not in (2, 3):
        raise ValueError(f"channels: {channels!r} -- 2 (roll) or 3 (roll and own part)")
    rolls, _ = stack(features, rows=rows)
    if channels == 2:
        return rolls
    n = len(features)
    own = np.empty((len(rolls), 128, ROLL_STEPS), dtype=np.float32)
    for i, f in enumerate(features):
        own[i] = own_channel(f.roll) if f.own is None else f.own
    own[n:] = own[n - 1]
    return np.concatenate([rolls, own[:, None]], axis=1)


def _by_window(windows: Sequence[Window]) -> dict[Window, list[int]]:
    """The candidates placed in each distinct window."""
    out: dict[Window, list[int]] = {}
    for c, window in enumerate(windows):
        out.setdefault(window, []).append(c)
    return out


def features_from_midi_file(path: Path) -> MidiFeatures:
    """Read a MIDI file (its tempo and meter) and compute its features.

    Raises MidiFileError naming the file for a missing, unparsable or note-less file."""
    song = read_midi(Path(path))
    try:
        return midi_features(song.parts, bpm=song.bpm, meter=song.meter)
    except MidiFileError as exc:
        raise MidiFileError(
            file=path, field=exc.field, value=exc.value, allowed=exc.allowed
        ) from exc


def stack(
    features: Sequence[MidiFeatures], *, rows: int = 0
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Batch clips: rolls ``[B, 2, 128, ROLL_STEPS]`` and symbolic ``[B, N_SYMBOLIC]``; with
    ``rows`` above ``len(features)``, ``B = rows`` and the clips are followed by copies of the
    last one."""
    if not features:
        raise ValueError("features: an empty sequence -- at least one clip to stack")
    n = len(features)
    total = max(rows, n)
    rolls = np.empty((total, 2, 128, ROLL_STEPS), dtype=np.float32)
    symbolic = np.empty((total, N_SYMBOLIC), dtype=np.float32)
    for i, f in enumerate(features):
        rolls[i] = f.roll
        symbolic[i] = f.symbolic
    rolls[n:] = rolls[n - 1]
    symbolic[n:] = symbolic[n - 1]
    return rolls, symbolic


__all__ = [
    "N_SYMBOLIC",
    "ROLL_STEPS",
    "STEPS_PER_QN",
    "SYMBOLIC_NAMES",
    "WINDOW_QN",
    "_MAJOR_SCALE",
    "_MINOR_SCALE",
    "KeyEstimate",
    "MidiFeatures",
    "estimate_key",
    "features_batch",
    "features_from_midi_file",
    "features_over",
    "is_triplet_onset",
    "midi_features",
    "own_channel",
    "roll_views",
    "stack",
    "syncopation",
    "table_features",
    "table_views",
]
