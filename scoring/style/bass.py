"""Style fit of a bass line: its :mod:`scoring.metrics.bass` metrics (the mean over windows of
8 bars) against the bass profile of the song's style, grouped into the
components the bass theory total shows:

- ``style_roots``: roots on the beats and at the chord changes, chord tones, root motion.
- ``style_motion``: steps, leaps, repeats, the mean interval and the range.
- ``style_rhythm``: notes per quarter note.

A profile holds only the metrics its corpus defines (a Billboard chord-root line has roots and
root motion, no rhythm of its own), and a group none of whose metrics it holds is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from music.meter import Meter
from music.notes import Note
from scoring.metrics.bass import BASS_METRICS, bass_metrics
from scoring.style.fit import group_fits, metric_fits
from scoring.style.profile import StyleProfile
from scoring.style.windows import windowed_values
from scoring.timeline import ChordSpanLike

BASS_GROUPS: Final = (
    ("style_roots", ("beat_root_share", "change_root_share", "chord_tone_ratio", "root_motion")),
    (
        "style_motion",
        ("stepwise_share", "leap_share", "repeat_share", "mean_interval", "pitch_range"),
    ),
    ("style_rhythm", ("notes_per_qn",)),
)


def bass_values(
    notes: Sequence[Note], chords: Sequence[ChordSpanLike], *, meter: Meter, bars: int
) -> dict[str, float]:
    """The bass metrics of ``bars`` bars (the mean over 8-bar windows)."""
    return windowed_values(bass_metrics, BASS_METRICS, notes, chords, meter=meter, bars=bars)


def bass_style(
    notes: Sequence[Note],
    chords: Sequence[ChordSpanLike],
    *,
    meter: Meter,
    bars: int,
    profile: StyleProfile,
) -> dict[str, float]:
    """The named style components of a bass line (:data:`BASS_GROUPS`), each in (0, 1]."""
    values = bass_values(notes, chords, meter=meter, bars=bars)
    return group_fits(metric_fits(values, profile), BASS_GROUPS)
