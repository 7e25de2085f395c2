"""An independent key estimate of sounding notes: a duration-weighted pitch-class histogram
correlated (Pearson's r) with published key profiles rotated to all 24 major and minor keys,
the Krumhansl-Schmuckler method.

The profiles, tonic first (C, C#, ..., B of C major and C minor):

- Krumhansl-Kessler: probe-tone ratings. C. L. Krumhansl and E. J. Kessler, "Tracing the
  dynamic changes in perceived tonal organization in a spatial representation of musical keys",
  *Psychological Review* 89(4), 334-368 (1982).
- Temperley: D. Temperley, "What's key for key? The Krumhansl-Schmuckler key-finding algorithm
  reconsidered", *Music Perception* 17(1), 65-100 (1999).
- Albrecht-Shanahan: J. Albrecht and D. Shanahan, "The use of large corpora to train a new type
  of key-finding algorithm", *Music Perception* 31(1), 59-67 (2013).
- Aarden-Essen: pitch-class frequencies of the Essen folksong collection. B. Aarden, *Dynamic
  melodic expectancy*, PhD dissertation, Ohio State University (2003). This is the profile
  music21's ``Stream.analyze('key')`` uses (with Pearson's r over the same histogram).

Each profile has its known bias (Krumhansl-Kessler leans to the dominant's key, Temperley's to
the relative major of a minor key, Aarden-Essen's to the subdominant's). The estimate is the key
with the highest *mean* correlation over :data:`ESTIMATE_PROFILES` (chosen on the Bach
chorales, see there); :class:`KeyEstimate` also says which key each of the four profiles alone
hears, and how far every key falls short of being heard best by each estimate profile.
Everything is numpy over a batch: ``[N, 12]`` histograms in, all ``N x 4 x 24`` correlations
at once, each row's the same floats whatever batch it is in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from music.keys import PITCH_CLASS_NAMES_SHARP

#: ``name -> (major, minor)`` profiles, tonic first (see the module docstring for sources).
PROFILES: Final[dict[str, tuple[tuple[float, ...], tuple[float, ...]]]] = {
    "krumhansl-kessler": (
        (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    ),
    "temperley": (
        (5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0),
        (5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0),
    ),
    "albrecht-shanahan": (
        (0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081),
        (0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052),
    ),
    "aarden-essen": (
        (17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587,
         0.291248, 22.062, 0.145624, 8.15494, 0.232998, 4.95122),
        (18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362,
         0.702494, 18.6161, 4.56621, 1.93186, 7.37619, 1.75623),
    ),
}  # fmt: skip
PROFILE_NAMES: Final = tuple(PROFILES)
#: The profile music21's ``analyze('key')`` uses.
MUSIC21_PROFILE: Final = "aarden-essen"
#: The profiles the estimate averages: the two corpus-derived ones. On music21's 371 Bach
#: chorales their mean agrees with music21 on 96% and with the chorales' own keys (signature
#: and final bass) on 94%, against 92% for music21 itself and 89% for the mean of all four
#: (Krumhansl-Kessler alone 79%, Temperley alone 79%); ``python -m bench.key_estimate``.
ESTIMATE_PROFILES: Final = ("albrecht-shanahan", "aarden-essen")
#: The two families a profile knows, in key-index order: index ``12 * family + tonic``.
FAMILIES: Final = ("major", "minor")


def key_index(tonic: int, family: str) -> int:
    """The column of ``tonic`` (0 = C) ``family`` (``"major"`` or ``"minor"``) in a
    correlation row: ``12 * family + tonic``."""
    if family not in FAMILIES:
        raise ValueError(f"key family: {family!r} -- one of {', '.join(FAMILIES)}")
    return 12 * FAMILIES.index(family) + tonic % 12


def key_of_index(index: int) -> tuple[int, str]:
    """Inverse of :func:`key_index`: ``(tonic, family)``."""
    return index % 12, FAMILIES[index // 12]


def _profile_matrix() -> NDArray[np.float64]:
    """``[12, P * 24]``: each profile rotated to the 24 keys, centred and scaled to unit norm,
    so a centred unit histogram times this matrix is Pearson's r with every key."""
    cols = []
    for major, minor in PROFILES.values():
        for profile in (major, minor):
            base = np.asarray(profile, dtype=np.float64)
            for tonic in range(12):
                col = np.roll(base, tonic)  # col[pc] = profile[(pc - tonic) % 12]
                col = col - col.mean()
                cols.append(col / np.linalg.norm(col))
    return np.stack(cols, axis=1)


_MATRIX: Final = _profile_matrix()
_ESTIMATE_ROWS: Final = [PROFILE_NAMES.index(name) for name in ESTIMATE_PROFILES]


def correlations(histograms: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson's r of each histogram with each profile in each key: ``[N, 12]`` weights (any
    non-negative unit, e.g. quarter notes) in, ``[N, P, 24]`` out (P = len(PROFILES), keys by
    :func:`key_index`). An empty or flat histogram correlates 0 with every key."""
    h = np.asarray(histograms, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] != 12:
        raise ValueError(f"histograms: shape {h.shape} -- [N, 12] pitch-class weights")
    centred = h - h.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    unit = np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 0)
    # Summed pitch class by pitch class rather than by a matrix product: BLAS blocks the rows
    # of a product by batch size (and by thread), so a row's r could change in its last bits
    # with the batch it is scored in -- and the Ray executor cuts batches unlike in-process.
    # This way each row's r is the same float whatever else is in the batch.
    r = unit[:, :1] * _MATRIX[0]
    for pc in range(1, 12):
        r += unit[:, pc : pc + 1] * _MATRIX[pc]
    return r.reshape(len(h), len(PROFILES), 24)


@dataclass(frozen=True, slots=True)
class KeyEstimate:
    """The key heard in some notes.

    Attributes:
        tonic: pitch class of the estimated tonic (0 = C).
        family: ``"major"`` or ``"minor"``.
        correlation: the mean r over :data:`ESTIMATE_PROFILES` of that key.
        margin: its mean r less the next best key's (0 for an empty histogram).
        by_profile: per profile (all of :data:`PROFILES`), the key it alone hears best.
        shortfall: per key (by :func:`key_index`), how far its r falls below the best key's
            under the estimate profile where it falls furthest: 0 exactly when every estimate
            profile hears that key best.
    """

    tonic: int
    family: str
    correlation: float
    margin: float
    by_profile: tuple[tuple[str, int, str], ...]
    shortfall: tuple[float, ...]

    @property
    def name(self) -> str:
        return f"{PITCH_CLASS_NAMES_SHARP[self.tonic]} {self.family}"

    @property
    def agreed(self) -> bool:
        """Every estimate profile hears the estimated key best."""
        return self.shortfall_of(self.tonic, self.family) == 0.0

    def shortfall_of(self, tonic: int, family: str) -> float:
        """How far ``tonic family`` falls short of being heard best by every estimate profile
        (0 when it is)."""
        return self.shortfall[key_index(tonic, family)]

    def heard_by(self, profile: str) -> tuple[int, str]:
        """The key one profile alone hears best."""
        for name, tonic, family in self.by_profile:
            if name == profile:
                return tonic, family
        raise ValueError(f"profile: {profile!r} -- one of {', '.join(PROFILE_NAMES)}")


def estimate_keys(histograms: NDArray[np.float64]) -> list[KeyEstimate]:
    """One :class:`KeyEstimate` per ``[12]`` row of ``histograms`` (``[N, 12]``)."""
    r = correlations(histograms)  # [N, P, 24]
    used = r[:, _ESTIMATE_ROWS]  # [N, E, 24]
    mean = used.mean(axis=1)  # [N, 24]
    shortfall = (used.max(axis=2, keepdims=True) - used).max(axis=1)  # [N, 24]
    order = np.argsort(-mean, axis=1, kind="stable")[:, :2]
    best = order[:, 0]
    rows = np.arange(len(mean))
    margins = (mean[rows, best] - mean[rows, order[:, 1]]).tolist()
    correlation = mean[rows, best].tolist()
    heard = r.argmax(axis=2).tolist()  # [N, P]
    out = []
    for i, (b, keys, short) in enumerate(
        zip(best.tolist(), heard, shortfall.tolist(), strict=True)
    ):
        out.append(
            KeyEstimate(
                tonic=b % 12,
                family=FAMILIES[b // 12],
                correlation=correlation[i],
                margin=margins[i],
                by_profile=tuple(
                    (name, k % 12, FAMILIES[k // 12])
                    for name, k in zip(PROFILE_NAMES, keys, strict=True)
                ),
                shortfall=tuple(short),
            )
        )
    return out


def estimate_key(histogram: Sequence[float]) -> KeyEstimate:
    """The key of one ``[12]`` histogram."""
    return estimate_keys(np.asarray([histogram], dtype=np.float64))[0]


def histogram(notes: Iterable[tuple[int, float]]) -> NDArray[np.float64]:
    """``[12]`` duration-weighted pitch-class histogram of ``(pitch, duration)`` pairs (MIDI
    numbers, any duration unit)."""
    out = np.zeros(12, dtype=np.float64)
    for pitch, duration in notes:
        out[pitch % 12] += duration
    return out
