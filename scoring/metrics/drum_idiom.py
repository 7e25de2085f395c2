"""What a drum part's style sounds like, measured on its notes as played (onset times in quarter
notes from the first bar line, GM drum notes, velocities):

- :func:`offbeat_position`: where the off-beat 8ths of the hats and ride (or other voices) fall
  inside their beat (0.5 straight, 0.667 a triplet swing; Groove MIDI's jazz beats: 0.59).
- :func:`voice_share`: the share of the onsets on some drum notes (the ride's share).
- :func:`pulse_coverage`: the share of the counted pulses a voice strikes (four on the floor:
  the kick on every pulse).
- :func:`backbeat`: where the loud snare hits fall -- the share on the backbeat pulses and the
  share on the bar's middle pulse (half-time).
- :func:`hits_per_qn`: onsets per quarter note.

The counted pulses are every quarter in /4 meters and every felt beat in /8 meters (6/8: two;
7/8 as 2+2+3: three), as the drum styles count them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.meter import Meter, kick_snare_pulses
from scoring.metrics.drums import HATS, KICKS, SNARES

RIDES: Final = (51, 53, 59)
#: A hit counts on a pulse within this distance of it (quarter notes).
ON_PULSE_QN: Final = 0.125
#: Where an off-beat 8th may fall inside its quarter (straight 0.5 to triplet 0.667).
OFFBEAT_WINDOW: Final = (0.42, 0.71)
#: A snare hit at least this loud is a backbeat, not a ghost note.
LOUD: Final = 70


def pulses_qn(meter: Meter) -> NDArray[np.float64]:
    """The counted pulses' onsets inside a bar (qn)."""
    if meter.denominator <= 4:
        return np.arange(meter.numerator, dtype=np.float64) * meter.unit_qn
    return np.array(meter.beat_offsets_qn(), dtype=np.float64)


def _select(pitch: NDArray[np.int64], voices: Collection[int]) -> NDArray[np.bool_]:
    return np.isin(pitch, np.array(sorted(voices), dtype=np.int64))


def offbeat_position(
    onset_qn: NDArray[np.float64],
    pitch: NDArray[np.int64],
    meter: Meter,
    voices: Collection[int] = (*RIDES, *HATS),
) -> float:
    """Median position inside its quarter (0..1) of the onsets of ``voices`` (the ride and
    hi-hats) that lie between 0.42 and 0.71 of a quarter (off-beat 8ths from straight to a
    hard triplet swing, not the 16th after them); NaN when there are none or the meter is not
    in quarters (/8 meters have no quarter off-beats to swing)."""
    if meter.denominator > 4:
        return float("nan")
    frac = np.mod(onset_qn[_select(pitch, voices)], 1.0)
    off = frac[(frac >= OFFBEAT_WINDOW[0]) & (frac < OFFBEAT_WINDOW[1])]
    return float(np.median(off)) if len(off) else float("nan")


def voice_share(pitch: NDArray[np.int64], voices: Collection[int]) -> float:
    """Share of the onsets on ``voices`` (0 for no onsets)."""
    return float(_select(pitch, voices).mean()) if len(pitch) else 0.0


def _pulse_hits(
    onset_qn: NDArray[np.float64], meter: Meter, bars: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """For each onset, the index of the nearest pulse of its bar and whether it is on it."""
    pulses = pulses_qn(meter)
    bar, pos = np.divmod(onset_qn + ON_PULSE_QN, meter.bar_qn)
    pos = pos - ON_PULSE_QN
    dist = np.abs(pos[:, None] - pulses[None, :])
    nearest = np.argmin(dist, axis=1)
    on = (dist[np.arange(len(pos)), nearest] <= ON_PULSE_QN) & (bar >= 0) & (bar < bars)
    return bar.astype(np.int64) * len(pulses) + nearest, on


def pulse_coverage(
    onset_qn: NDArray[np.float64],
    pitch: NDArray[np.int64],
    meter: Meter,
    bars: int,
    voices: Collection[int] = KICKS,
) -> float:
    """Share of the ``bars`` bars' counted pulses that ``voices`` strike."""
    pick = _select(pitch, voices)
    index, on = _pulse_hits(onset_qn[pick], meter, bars)
    total = bars * len(pulses_qn(meter))
    return len(set(index[on].tolist())) / total if total else 0.0


def backbeat(
    onset_qn: NDArray[np.float64],
    pitch: NDArray[np.int64],
    velocity: NDArray[np.int64],
    meter: Meter,
    bars: int,
    voices: Collection[int] = SNARES,
    loud: int = LOUD,
) -> dict[str, float]:
    """Of the loud snare hits (or of other ``voices``; velocity >= ``loud``): the share on the
    backbeat pulses (``on_backbeat``; the snare's pulses of
    :func:`music.meter.kick_snare_pulses`) and the share on the bar's middle pulse
    (``on_middle``; a half-time feel puts them all there). NaN where there is no such hit."""
    pick = _select(pitch, voices) & (velocity >= loud)
    if not pick.any():
        return {"on_backbeat": float("nan"), "on_middle": float("nan")}
    n = len(pulses_qn(meter))
    index, on = _pulse_hits(onset_qn[pick], meter, bars)
    pulse = index % n
    back = np.isin(pulse, np.array(kick_snare_pulses(n)[1], dtype=np.int64)) & on
    middle = (pulse == n // 2) & on
    return {"on_backbeat": float(back.mean()), "on_middle": float(middle.mean())}


def hits_per_qn(onset_qn: NDArray[np.float64], meter: Meter, bars: int) -> float:
    """Onsets per quarter note over ``bars`` bars."""
    return len(onset_qn) / (bars * meter.bar_qn)
