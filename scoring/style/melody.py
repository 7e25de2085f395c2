"""Style fit of a melody: its :mod:`scoring.metrics.melody` metrics (the mean over windows of
8 bars, as the corpus is cut) against the melody profile (OpenEWLD lead sheets), grouped into
the components the melody theory total shows:

- ``style_motion``: steps, leaps, repeats and the mean interval.
- ``style_pitch``: range, pitch-class entropy, scale consistency.
- ``style_rhythm``: notes per quarter note, empty beats, note-value variety, off-beat onsets.
- ``style_harmony``: chord tones, overall and on the felt beats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from music.meter import Meter
from music.notes import Note
from scoring.metrics.melody import MELODY_METRICS, melody_metrics
from scoring.style.fit import group_fits, metric_fits
from scoring.style.profile import StyleProfile
from scoring.style.windows import windowed_values
from scoring.timeline import ChordSpanLike

MELODY_GROUPS: Final = (
    ("style_motion", ("stepwise_share", "leap_share", "repeat_share", "mean_interval")),
    ("style_pitch", ("pitch_range", "pitch_class_entropy", "scale_consistency")),
    ("style_rhythm", ("notes_per_qn", "empty_beat_rate", "duration_entropy", "offbeat_share")),
    ("style_harmony", ("chord_tone_ratio", "beat_chord_tones")),
)


def melody_values(
    notes: Sequence[Note], chords: Sequence[ChordSpanLike], *, meter: Meter, bars: int
) -> dict[str, float]:
    """The melody metrics of ``bars`` bars (the mean over 8-bar windows)."""
    return windowed_values(melody_metrics, MELODY_METRICS, notes, chords, meter=meter, bars=bars)


def melody_style(
    notes: Sequence[Note],
    chords: Sequence[ChordSpanLike],
    *,
    meter: Meter,
    bars: int,
    profile: StyleProfile,
) -> dict[str, float]:
    """The named style components of a melody (:data:`MELODY_GROUPS`), each in (0, 1]."""
    values = melody_values(notes, chords, meter=meter, bars=bars)
    return group_fits(metric_fits(values, profile), MELODY_GROUPS)
