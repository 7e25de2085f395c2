"""Style fit of a chord progression: its :mod:`scoring.metrics.chords` metrics against the
harmony profile of the song's style (Billboard songs for pop, the Bach chorales for chorale
words), grouped into the components the chord theory total shows:

- ``style_rhythm``: chord changes per bar, how even their lengths are, chords per phrase.
- ``style_cadence``: how phrases end (V-I, on V, on the tonic).
- ``style_function``: function-transition entropy, time on the tonic, chords outside the key.

The corpus profiles are per song (every phrase of it); a candidate progression is one phrase
that loops, so it is read as :data:`LOOPS` passes of itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

from music.keys import Key
from scoring.metrics.chords import HarmonyEvent, chord_metrics
from scoring.style.fit import group_fits, metric_fits
from scoring.style.profile import StyleProfile

#: Passes of a looping progression read as one piece.
LOOPS: Final = 2
CHORD_GROUPS: Final = (
    ("style_rhythm", ("chords_per_bar", "rhythm_cv", "distinct_per_phrase")),
    ("style_cadence", ("authentic_share", "half_share", "tonic_end_share")),
    ("style_function", ("function_entropy", "tonic_share", "non_diatonic_share")),
)


class TokenChord(Protocol):
    """A chord as the chord scores see it: token ``"{offset}:{triad}"`` and its length (qn)."""

    @property
    def token(self) -> str: ...
    @property
    def beats(self) -> float: ...


def relative_scale(key: Key) -> tuple[int, ...]:
    """The key's scale as distances above its tonic."""
    return tuple((pc - key.tonic) % 12 for pc in key.scale_pcs())


def progression_events(
    chords: Sequence[TokenChord], *, loops: int = LOOPS
) -> tuple[list[HarmonyEvent], list[float]]:
    """The chords (roots as distances above the tonic) played ``loops`` times, and the start
    of each pass (qn)."""
    events: list[HarmonyEvent] = []
    starts: list[float] = []
    t = 0.0
    for _ in range(loops):
        starts.append(t)
        for c in chords:
            offset, triad = c.token.split(":")
            events.append(HarmonyEvent(t, t + c.beats, int(offset), triad))
            t += c.beats
    return events, starts


def progression_values(
    chords: Sequence[TokenChord], *, key: Key, bar_qn: float
) -> dict[str, float]:
    """The chord metrics of a looping progression in ``key``."""
    events, starts = progression_events(chords)
    return chord_metrics(
        events,
        tonic=0,
        minor=key.is_minor,
        scale=relative_scale(key),
        bar_qn=bar_qn,
        phrase_starts=starts,
    )


def chord_style(
    chords: Sequence[TokenChord], *, key: Key, bar_qn: float, profile: StyleProfile
) -> dict[str, float]:
    """The named style components of a progression (:data:`CHORD_GROUPS`), each in (0, 1]."""
    values = progression_values(chords, key=key, bar_qn=bar_qn)
    return group_fits(metric_fits(values, profile), CHORD_GROUPS)
