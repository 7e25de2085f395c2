"""Build the shipped style profiles from metric rows: per part, per style, meter and tempo band
(and every pooling of them), the metric values at :data:`scoring.style.profile.QUANTILES`, from
the ``build`` split only. A group needs :data:`MIN_WINDOWS` windows from :data:`MIN_SONGS` songs
to become a profile, a metric :data:`MIN_VALUES` defined values to get a band.

Which corpora ship (:data:`SHIPPED`): Groove MIDI (CC BY 4.0, credited in the README) for drums,
OpenEWLD (public domain) for melody, Billboard (CC0) for harmony, the Bach chorales of music21's
bundled corpus (public-domain scores) for bass. Nottingham (GPL-3.0) is read for evaluation only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from scoring.metrics.bass import BASS_METRICS
from scoring.metrics.chords import CHORD_METRICS
from scoring.metrics.drums import DRUM_METRICS
from scoring.metrics.melody import MELODY_METRICS
from scoring.style.profile import (
    ANY,
    FORMAT_VERSION,
    QUANTILES,
    Band,
    StyleProfile,
    profile_key,
    tempo_band,
)
from training.style.rows import MetricRow, write_json_atomic

METRICS: Final[dict[str, tuple[str, ...]]] = {
    "drums": DRUM_METRICS,
    "melody": MELODY_METRICS,
    "chords": CHORD_METRICS,
    "bass": BASS_METRICS,
}
#: The corpus each part's shipped profiles come from.
SHIPPED: Final[dict[str, tuple[str, ...]]] = {
    "drums": ("groove",),
    "melody": ("openewld",),
    "chords": ("billboard",),
    "bass": ("chorales",),
}
MIN_WINDOWS: Final = 40
MIN_SONGS: Final = 3
MIN_VALUES: Final = 20
#: Song-level parts (one row per song) need fewer rows for a profile.
MIN_SONG_ROWS: Final = 20


def group_keys(row: MetricRow) -> list[str]:
    """Every profile key a row counts towards: its style, meter and tempo band, and each of
    them pooled (``any``)."""
    tempos = [ANY] if row.bpm is None else [tempo_band(row.bpm), ANY]
    return [
        profile_key(style, meter, tempo)
        for style in dict.fromkeys((row.style, ANY))
        for meter in dict.fromkeys((row.meter, ANY))
        for tempo in tempos
    ]


def band_values(values: Sequence[float]) -> list[float] | None:
    """The values at :data:`QUANTILES` of the defined ``values`` (None when too few)."""
    v = np.array([x for x in values if not math.isnan(x)], dtype=np.float64)
    if v.size < MIN_VALUES:
        return None
    return [round(float(x), 6) for x in np.percentile(v, QUANTILES)]


def group_rows(rows: Sequence[MetricRow]) -> dict[str, list[MetricRow]]:
    groups: dict[str, list[MetricRow]] = defaultdict(list)
    for r in rows:
        for key in group_keys(r):
            groups[key].append(r)
    return groups


def profiles_of(
    rows: Sequence[MetricRow], metrics: Sequence[str], *, min_rows: int = MIN_WINDOWS
) -> dict[str, dict[str, Any]]:
    """Profile entries ``{key: {windows, songs, bands}}`` of the groups large enough."""
    out: dict[str, dict[str, Any]] = {}
    for key, members in sorted(group_rows(rows).items()):
        songs = len({(r.corpus, r.song) for r in members})
        if len(members) < min_rows or songs < MIN_SONGS:
            continue
        bands = {}
        for m in metrics:
            got = band_values([r.values.get(m, math.nan) for r in members])
            if got is not None:
                bands[m] = got
        if bands:
            out[key] = {"windows": len(members), "songs": songs, "bands": bands}
    return out


def as_profiles(part: str, entries: Mapping[str, Mapping[str, Any]]) -> dict[str, StyleProfile]:
    """Entries of :func:`profiles_of` as :class:`StyleProfile` values."""
    return {
        key: StyleProfile(
            part=part,
            key=key,
            windows=int(e["windows"]),
            songs=int(e["songs"]),
            bands=tuple((m, Band(tuple(v))) for m, v in e["bands"].items()),
        )
        for key, e in entries.items()
    }


def payload(
    part: str, rows: Sequence[MetricRow], *, unit: str, min_rows: int | None = None
) -> dict[str, Any]:
    """The JSON of one part's shipped profiles, from the ``build`` rows of its shipped
    corpora; a profile needs ``min_rows`` rows (default :data:`MIN_SONG_ROWS` for a
    song-level part, else :data:`MIN_WINDOWS`)."""
    used = [r for r in rows if r.split == "build" and r.corpus in SHIPPED[part]]
    if min_rows is None:
        min_rows = MIN_SONG_ROWS if unit == "song" else MIN_WINDOWS
    entries = profiles_of(used, METRICS[part], min_rows=min_rows)
    return {
        "format_version": FORMAT_VERSION,
        "part": part,
        "quantiles": list(QUANTILES),
        "unit": unit,
        "built_from": {
            "corpora": sorted({r.corpus for r in used}),
            "split": "build",
            "rows": len(used),
            "songs": len({(r.corpus, r.song) for r in used}),
            "rebuild": "chromatic train style --data DIR",
        },
        "profiles": entries,
    }


def write_payload(out_dir: Path, part: str, data: Mapping[str, Any]) -> Path:
    return write_json_atomic(Path(out_dir) / f"style_{part}.json", data)
