"""Style profiles: per metric, the percentiles real music of one style shows, read from the
shipped ``scoring/data/style_<part>.json`` files (built by ``chromatic train style``).

A file holds one part's profiles, keyed ``"<style>|<meter>|<tempo>"`` (``any`` where pooled):
``rock|4/4|mid`` is Groove's rock beats in 4/4 between :data:`TEMPO_BANDS`' bounds, ``any|any|any``
every window of the corpus. Each profile gives, for each metric, the values at
:data:`QUANTILES` and how many windows and songs they come from.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

from music.errors import InputError

FORMAT_VERSION: Final = 1
PARTS: Final = ("chords", "drums", "bass", "melody")
#: The percentiles a band holds, in order.
QUANTILES: Final = (5, 10, 25, 50, 75, 90, 95)
#: Tempo bands (bpm): below the first bound ``slow``, from it up to the second ``mid``, then
#: ``fast``.
TEMPO_BANDS: Final = (90.0, 130.0)
ANY: Final = "any"
ARTIFACT_PACKAGE: Final = "scoring.data"


def artifact_name(part: str) -> str:
    """``"drums"`` -> ``"style_drums.json"``."""
    if part not in PARTS:
        raise ValueError(f"part: {part!r} -- one of {', '.join(PARTS)}")
    return f"style_{part}.json"


def tempo_band(bpm: float) -> str:
    """``slow``, ``mid`` or ``fast`` by :data:`TEMPO_BANDS`."""
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"bpm: {bpm!r} -- a positive, finite tempo")
    low, high = TEMPO_BANDS
    return "slow" if bpm < low else ("mid" if bpm < high else "fast")


def profile_key(style: str, meter: str, tempo: str) -> str:
    return f"{style}|{meter}|{tempo}"


@dataclass(frozen=True, slots=True)
class Band:
    """One metric's values at :data:`QUANTILES` (non-decreasing)."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        v = self.values
        if len(v) != len(QUANTILES) or not all(math.isfinite(x) for x in v):
            raise ValueError(f"Band.values: {v!r} -- {len(QUANTILES)} finite numbers")
        if any(b < a for a, b in itertools.pairwise(v)):
            raise ValueError(f"Band.values: {v!r} -- must not decrease")

    def at(self, q: int) -> float:
        """The value at percentile ``q`` (one of :data:`QUANTILES`)."""
        return self.values[QUANTILES.index(q)]

    def inside(self, value: float, low: int = 5, high: int = 95) -> bool:
        """Whether ``value`` lies in the closed range from percentile ``low`` to ``high``."""
        return self.at(low) - 1e-9 <= value <= self.at(high) + 1e-9


@dataclass(frozen=True, slots=True)
class StyleProfile:
    """The bands of one part for one style, meter and tempo band (``any`` where pooled)."""

    part: str
    key: str
    windows: int
    songs: int
    bands: tuple[tuple[str, Band], ...]

    def band(self, metric: str) -> Band | None:
        return dict(self.bands).get(metric)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.bands)


@dataclass(frozen=True, slots=True)
class ProfileSet:
    """Every profile of one part, from one file."""

    part: str
    origin: str
    profiles: Mapping[str, StyleProfile]
    styles: tuple[str, ...]
    built_from: Mapping[str, Any]

    def get(self, key: str) -> StyleProfile | None:
        return self.profiles.get(key)


def _bad(origin: str, field: str, value: object, allowed: str) -> InputError:
    return InputError(file=origin, field=field, value=value, allowed=allowed)


def parse_profiles(payload: object, *, origin: str) -> ProfileSet:
    """A :class:`ProfileSet` from a decoded style file. Raises InputError naming the field."""
    if not isinstance(payload, dict):
        raise _bad(origin, "file", type(payload).__name__, "a JSON object")
    if payload.get("format_version") != FORMAT_VERSION:
        raise _bad(
            origin, "format_version", payload.get("format_version"), f"{FORMAT_VERSION} (rebuild)"
        )
    part = payload.get("part")
    if part not in PARTS:
        raise _bad(origin, "part", part, f"one of {', '.join(PARTS)}")
    if list(payload.get("quantiles", ())) != list(QUANTILES):
        raise _bad(origin, "quantiles", payload.get("quantiles"), f"{list(QUANTILES)}")
    raw = payload.get("profiles")
    if not isinstance(raw, dict) or not raw:
        raise _bad(origin, "profiles", raw, "an object of profiles keyed 'style|meter|tempo'")
    profiles: dict[str, StyleProfile] = {}
    for key, entry in raw.items():
        field = f"profiles.{key}"
        if not isinstance(key, str) or key.count("|") != 2 or not isinstance(entry, dict):
            raise _bad(origin, field, entry, "'style|meter|tempo': {windows, songs, bands}")
        bands_raw = entry.get("bands")
        if not isinstance(bands_raw, dict):
            raise _bad(origin, f"{field}.bands", bands_raw, "an object metric -> 7 numbers")
        bands = []
        for metric, values in bands_raw.items():
            try:
                bands.append((str(metric), Band(tuple(float(v) for v in values))))
            except (TypeError, ValueError) as exc:
                raise _bad(origin, f"{field}.bands.{metric}", values, str(exc)) from None
        windows, songs = entry.get("windows"), entry.get("songs")
        if not isinstance(windows, int) or not isinstance(songs, int) or windows < 1:
            raise _bad(origin, f"{field}.windows", windows, "a count >= 1 (and songs a count)")
        profiles[key] = StyleProfile(
            part=str(part), key=key, windows=windows, songs=songs, bands=tuple(bands)
        )
    pooled = profile_key(ANY, ANY, ANY)
    if pooled not in profiles:
        raise _bad(origin, "profiles", sorted(profiles)[:5], f"must include the pooled {pooled!r}")
    styles = tuple(sorted({k.split("|")[0] for k in profiles} - {ANY}))
    built = payload.get("built_from")
    return ProfileSet(
        part=str(part),
        origin=origin,
        profiles=profiles,
        styles=styles,
        built_from=built if isinstance(built, dict) else {},
    )


def read_profiles(path: Path) -> ProfileSet:
    """Read a style file. Raises InputError naming the file and what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _bad(str(path), "file", str(exc), "a readable style-profile JSON file") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(str(path), "file", str(exc), "valid JSON (rebuild the file)") from None
    return parse_profiles(payload, origin=str(path))


@functools.cache
def shipped_profiles(part: str) -> ProfileSet:
    """The profiles shipped in ``scoring/data`` for ``part`` (read once per process)."""
    name = artifact_name(part)
    return read_profiles(Path(str(resources.files(ARTIFACT_PACKAGE).joinpath(name))))
