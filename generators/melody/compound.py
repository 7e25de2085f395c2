"""Compound tokens of the mood melody transformer: one token per note, several fields side by
side (the compound-word scheme of Hsiao et al., "Compound Word Transformer", AAAI 2021), after a
prefix of condition tokens.

A sequence is ``[valence, arousal, tempo, meter, mode, note, note, ...]``; every position holds
the six fields of :data:`FIELDS`, 0 meaning "none". A condition position sets ``kind`` alone
(``V0``..``V4``, ``A0``..``A4``, ``T0``..``T2``, a meter, ``MODE_major``/``MODE_minor``); a
note sets ``kind = NOTE`` and

- ``bar``: bars moved on from the previous note (the prefix counts as bar -1): 0, 1, 2 or 3+;
- ``pos``: onset in the bar, sixteenths (0 .. 23);
- ``step``: diatonic scale step of the key's mode from the reference tonic (the tonic pitch
  class in MIDI 58..69), :data:`STEP_MIN` .. :data:`STEP_MAX`: a sample lands in any key and
  mode, and only on its scale;
- ``dur``: duration in sixteenths (1 .. 24), within the bar;
- ``vel``: velocity bin (:data:`VELOCITY_EDGES`).

Valence and arousal (-1..1) are quantised in five bins each, tempo in three
(:func:`tempo_bin`). Pure conversions; the model lives in ``training/melody_mood``, sampling in
:mod:`generators.melody.mood_transformer`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Final

from music.keys import MODE_INTERVALS

FIELDS: Final = ("kind", "bar", "pos", "step", "dur", "vel")
VOCAB_VERSION: Final = 1
#: Meters with a condition token: those OpenEWLD's lead sheets hold enough bars of.
METERS: Final = ("4/4", "3/4", "2/2", "2/4", "6/8")
KINDS: Final = (
    "PAD",
    "NOTE",
    *(f"V{i}" for i in range(5)),
    *(f"A{i}" for i in range(5)),
    *(f"T{i}" for i in range(3)),
    *(f"METER_{m}" for m in METERS),
    "MODE_major",
    "MODE_minor",
)
KIND: Final = {name: i for i, name in enumerate(KINDS)}
NOTE: Final = KIND["NOTE"]
MAX_BAR_MOVE: Final = 3
POSITIONS: Final = 24
STEP_MIN: Final = -14
STEP_MAX: Final = 21
DURATIONS: Final = 24
#: Lower edges of the velocity bins (MIDI velocity).
VELOCITY_EDGES: Final = (1, 40, 55, 67, 79, 91, 103, 115)
#: Each field's vocabulary size, the "none" value 0 included.
SIZES: Final = (
    len(KINDS),
    MAX_BAR_MOVE + 2,
    POSITIONS + 1,
    STEP_MAX - STEP_MIN + 2,
    DURATIONS + 1,
    len(VELOCITY_EDGES) + 1,
)
#: Condition tokens before the first note.
PREFIX: Final = 5
_VALENCE_EDGES: Final = (-0.6, -0.2, 0.2, 0.6)
#: Arousal bins at about the quintiles of the training labels: lead-sheet melodies, even at
#: their varied tempi and dynamics, rarely reach the density of loud, fast music, so the top
#: bin is "as aroused as the corpus gets" (weak arousal above 0.05).
_AROUSAL_EDGES: Final = (-0.55, -0.35, -0.15, 0.05)
_TEMPO_EDGES: Final = (90.0, 130.0)
GRID_QN: Final = 0.25

Compound = tuple[int, int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class TokenNote:
    """A note as the tokens hold it: bar index, onset and duration (sixteenths), scale step
    from the reference tonic, velocity."""

    bar: int
    onset: int
    duration: int
    step: int
    velocity: int

    def __post_init__(self) -> None:
        if self.bar < 0 or not 0 <= self.onset < POSITIONS:
            raise ValueError(
                f"TokenNote bar, onset: {self.bar!r}, {self.onset!r} -- bar >= 0, onset "
                f"0..{POSITIONS - 1} sixteenths"
            )
        if not 1 <= self.duration <= DURATIONS or not STEP_MIN <= self.step <= STEP_MAX:
            raise ValueError(
                f"TokenNote duration, step: {self.duration!r}, {self.step!r} -- 1..{DURATIONS} "
                f"sixteenths, step {STEP_MIN}..{STEP_MAX}"
            )


@dataclass(frozen=True, slots=True)
class Condition:
    """What a sequence is conditioned on: valence and arousal (-1..1), tempo (bpm), meter
    (one of :data:`METERS`) and mode family (``"major"``/``"minor"``)."""

    valence: float
    arousal: float
    bpm: float
    meter: str
    mode: str

    def __post_init__(self) -> None:
        if self.meter not in METERS:
            raise ValueError(f"Condition.meter: {self.meter!r} -- one of {', '.join(METERS)}")
        if self.mode not in ("major", "minor"):
            raise ValueError(f"Condition.mode: {self.mode!r} -- major or minor")
        if not (-1.0 <= self.valence <= 1.0 and -1.0 <= self.arousal <= 1.0 and self.bpm > 0):
            raise ValueError(
                f"Condition valence, arousal, bpm: {self.valence!r}, {self.arousal!r}, "
                f"{self.bpm!r} -- valence and arousal in -1..1, a positive tempo"
            )

    def prefix(self) -> list[Compound]:
        """The five condition tokens."""
        names = (
            f"V{bisect_right(_VALENCE_EDGES, self.valence)}",
            f"A{bisect_right(_AROUSAL_EDGES, self.arousal)}",
            f"T{tempo_bin(self.bpm)}",
            f"METER_{self.meter}",
            f"MODE_{self.mode}",
        )
        return [(KIND[n], 0, 0, 0, 0, 0) for n in names]


def tempo_bin(bpm: float) -> int:
    """Tempo -> 0 (under 90 bpm), 1 (90..130) or 2 (130 and faster)."""
    return bisect_right(_TEMPO_EDGES, bpm)


def velocity_bin(velocity: int) -> int:
    """MIDI velocity -> bin 0..7."""
    return max(0, bisect_right(VELOCITY_EDGES, velocity) - 1)


def bin_velocity(index: int) -> int:
    """A velocity bin's middle value."""
    lo = VELOCITY_EDGES[index]
    hi = VELOCITY_EDGES[index + 1] if index + 1 < len(VELOCITY_EDGES) else 128
    return (lo + hi - 1) // 2


def reference_tonic(tonic: int) -> int:
    """The MIDI pitch step 0 stands for: the tonic pitch class in 58..69."""
    return 58 + (tonic - 58) % 12


def pitch_step(pitch: int, tonic: int, mode: str) -> int:
    """The scale step of MIDI ``pitch`` in ``mode`` on ``tonic`` (pitch class), from the
    reference tonic; a note off the scale takes the step below it (read as raised), clamped
    to :data:`STEP_MIN` .. :data:`STEP_MAX`."""
    octave, semis = divmod(pitch - reference_tonic(tonic), 12)
    intervals = MODE_INTERVALS[mode]
    degree = max(i for i, s in enumerate(intervals) if s <= semis)
    return max(STEP_MIN, min(STEP_MAX, 7 * octave + degree))


def encode_notes(notes: list[TokenNote]) -> list[Compound]:
    """Note tokens of ``notes`` (sorted by bar and onset; one note per onset)."""
    out: list[Compound] = []
    bar = -1
    last = (-1, -1)
    for n in notes:
        if (n.bar, n.onset) <= last:
            raise ValueError(
                f"notes: bar {n.bar} onset {n.onset} after bar {last[0]} onset {last[1]} -- "
                "sorted, one note per onset"
            )
        move = min(MAX_BAR_MOVE, n.bar - bar)
        out.append(
            (
                NOTE,
                move + 1,
                n.onset + 1,
                n.step - STEP_MIN + 1,
                n.duration,
                velocity_bin(n.velocity) + 1,
            )
        )
        bar = n.bar
        last = (n.bar, n.onset)
    return out


def decode_note(token: Compound, bar: int) -> TokenNote:
    """The note of one note token, given the previous note's bar (-1 before the first)."""
    kind, move, pos, step, dur, vel = token
    if kind != NOTE or min(move, pos, step, dur, vel) < 1:
        raise ValueError(f"token: {token!r} -- a note token with every field set")
    return TokenNote(
        bar=bar + move - 1,
        onset=pos - 1,
        duration=dur,
        step=step + STEP_MIN - 1,
        velocity=bin_velocity(vel - 1),
    )


def meter_name(numerator: int, denominator: int) -> str | None:
    """``"6/8"`` when the meter has a condition token, else None."""
    name = f"{numerator}/{denominator}"
    return name if name in METERS else None
