"""Fit of a metric value to a style's band: 1 at the median, 0.9 at the 25th/75th percentile,
0.75 at the 10th/90th and 0.5 at the 5th/95th (linear between them, so about 0.4% per
percentile inside the typical range, 1% from there to the 10th/90th, 5% beyond), then decaying
towards 0 outside the 5-95 range. Never highest at an extreme: a value beyond the band always
scores less than one inside it. No plateau: two candidates whose values sit at different places
of the typical range score differently, so a population whose every value is typical can still
be ranked (a flat top scored them all 1.0; issue 12).

Bands of real music can be degenerate (most Billboard songs never leave the key, so the 5th to
75th percentiles of ``non_diatonic_share`` are all 0): every step of the curve is at least the
metric's *resolution* wide (:data:`RESOLUTION`, the smallest difference a musician would call a
difference), so one borrowed chord costs a little, not everything.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Final

from scoring.style.profile import Band, StyleProfile

#: The smallest meaningful difference of each metric (in its own unit); 0.05 where not listed.
RESOLUTION: Final[dict[str, float]] = {
    "notes_per_qn": 0.1,
    "hits_per_qn": 0.2,
    "mean_interval": 0.25,
    "pitch_range": 1.0,
    "pitch_class_entropy": 0.1,
    "duration_entropy": 0.1,
    "function_entropy": 0.1,
    "chords_per_bar": 0.1,
    "distinct_per_phrase": 0.5,
    "rhythm_cv": 0.05,
    "root_motion": 0.25,
    "velocity_mean": 3.0,
    "velocity_std": 2.0,
    "timing_ms": 2.0,
    "polyphony": 0.05,
}
DEFAULT_RESOLUTION: Final = 0.05
#: Fit at the knots (5th, 10th, 25th, 50th, 75th, 90th, 95th percentile).
_KNOT_FIT: Final = (0.5, 0.75, 0.9, 1.0, 0.9, 0.75, 0.5)


@functools.lru_cache(maxsize=4096)
def _knots(values: tuple[float, ...], resolution: float) -> tuple[float, ...]:
    """A band's 5/10/25/50/75/90/95th percentiles pushed apart to at least ``resolution`` per
    step, outwards from the middle of the 25-75 range (remembered per band); the median stays
    where it is (it lies inside the widened 25-75 range)."""
    p5, p10, p25, p50, p75, p90, p95 = values
    lo25, hi75 = p25, p75
    if p75 - p25 < resolution:
        mid = 0.5 * (p25 + p75)
        lo25, hi75 = min(p25, mid - 0.5 * resolution), max(p75, mid + 0.5 * resolution)
    lo10 = min(p10, lo25 - resolution)
    lo5 = min(p5, lo10 - resolution)
    hi90 = max(p90, hi75 + resolution)
    hi95 = max(p95, hi90 + resolution)
    return (lo5, lo10, lo25, p50, hi75, hi90, hi95)


def band_fit(value: float, band: Band, *, resolution: float = DEFAULT_RESOLUTION) -> float:
    """How typical ``value`` is for ``band``, in (0, 1]; see the module docstring. Beyond the
    5th/95th percentile the fit halves every ``(p25 - p5) / 2`` (``(p95 - p75) / 2``)."""
    if math.isnan(value):
        raise ValueError("value: nan -- a defined metric value (leave undefined metrics out)")
    k = _knots(band.values, resolution)
    if value < k[0]:
        scale = 0.5 * (k[2] - k[0]) / math.log(2.0)
        return 0.5 * math.exp(-(k[0] - value) / scale)
    if value > k[6]:
        scale = 0.5 * (k[6] - k[4]) / math.log(2.0)
        return 0.5 * math.exp(-(value - k[6]) / scale)
    # Knots can coincide (a median equal to the 25th percentile): a value on several takes
    # the best fit among them.
    best = 0.0
    for i in range(6):
        a, b = k[i], k[i + 1]
        if a <= value <= b:
            t = (value - a) / (b - a) if b > a else 1.0
            best = max(best, _KNOT_FIT[i] + t * (_KNOT_FIT[i + 1] - _KNOT_FIT[i]))
    return best


def metric_fits(values: Mapping[str, float], profile: StyleProfile) -> dict[str, float]:
    """The fit of every defined value that ``profile`` has a band for."""
    out = {}
    for name, band in profile.bands:
        v = values.get(name)
        if v is None or math.isnan(v):
            continue
        out[name] = band_fit(v, band, resolution=RESOLUTION.get(name, DEFAULT_RESOLUTION))
    return out


def group_fits(
    fits: Mapping[str, float], groups: Sequence[tuple[str, tuple[str, ...]]]
) -> dict[str, float]:
    """Named components, each the mean fit of its metrics; a group with no fitted metric is
    left out."""
    out = {}
    for name, members in groups:
        got = [fits[m] for m in members if m in fits]
        if got:
            out[name] = sum(got) / len(got)
    return out


def style_components(
    values: Mapping[str, float],
    profile: StyleProfile,
    groups: Sequence[tuple[str, tuple[str, ...]]],
) -> dict[str, float]:
    """The named components of already-measured ``values`` against ``profile``."""
    return group_fits(metric_fits(values, profile), groups)
