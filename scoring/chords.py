"""Music-theory scores for a chord progression, each in [0, 1].

Inputs are plain sounded chords (pitch classes, the voicing, length) plus the progression's
likelihood under the learned transition model, so this module depends on nothing but ``music``.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from music.keys import Key
from scoring.composite import TheoryScores

#: Default weights of the chord theory components.
CHORD_WEIGHTS: dict[str, float] = {
    "likelihood": 0.3,
    "voice_leading": 0.2,
    "cadence": 0.2,
    "key_fit": 0.15,
    "variety": 0.15,
}
#: Weights with the style fit (:mod:`scoring.style.chords`) in place of cadence and variety.
CHORD_STYLE_WEIGHTS: dict[str, float] = {
    "likelihood": 0.25,
    "voice_leading": 0.2,
    "key_fit": 0.15,
    "style_rhythm": 0.15,
    "style_cadence": 0.1,
    "style_function": 0.15,
}


@dataclass(frozen=True, slots=True)
class SoundedChord:
    """One chord as heard: its model token ``"{offset}:{triad}"``, pitch classes, the voicing
    (bass first, then upper voices low to high, MIDI numbers) and its length in quarter notes."""

    token: str
    pitch_classes: tuple[int, ...]
    voicing: tuple[int, ...]
    beats: float


def _merged(chords: Sequence[SoundedChord]) -> list[SoundedChord]:
    out: list[SoundedChord] = []
    for c in chords:
        if not out or out[-1].token != c.token:
            out.append(c)
    return out


def _paired_motion(prev: tuple[int, ...], nxt: tuple[int, ...]) -> list[int]:
    if len(prev) == len(nxt):
        return [b - a for a, b in zip(prev, nxt, strict=True)]
    return [min((q - p for p in prev), key=abs) for q in nxt]


def _parallel_perfects(prev: tuple[int, ...], nxt: tuple[int, ...]) -> int:
    """Pairs of voices moving in the same direction from a fifth/octave into the same interval."""
    if len(prev) != len(nxt):
        return 0
    count = 0
    for i in range(len(prev)):
        for j in range(i + 1, len(prev)):
            a0, a1, b0, b1 = prev[i], nxt[i], prev[j], nxt[j]
            if a0 == a1 or b0 == b1 or (a1 - a0 > 0) != (b1 - b0 > 0):
                continue
            i0, i1 = (b0 - a0) % 12, (b1 - a1) % 12
            if i0 == i1 and i0 in (0, 7):
                count += 1
    return count


def voice_leading(chords: Sequence[SoundedChord]) -> float:
    """Smooth upper voices (about a step per voice or less scores near 1), common tones kept,
    no parallel fifths or octaves. A progression without changes scores 1."""
    seq = _merged(chords)
    if len(seq) < 2:
        return 1.0
    scores = []
    for prev, nxt in itertools.pairwise(seq):
        pu, nu = prev.voicing[1:], nxt.voicing[1:]
        moves = [abs(m) for m in _paired_motion(pu, nu)]
        mean_move = sum(moves) / len(moves)
        smooth = min(1.0, max(0.0, 1.0 - (mean_move - 1.5) / 5.0))
        common = len(set(prev.pitch_classes) & set(nxt.pitch_classes)) / len(nxt.pitch_classes)
        parallels = _parallel_perfects(prev.voicing, nxt.voicing)
        pair = 0.8 * smooth + 0.2 * min(1.0, common * 1.5) - 0.25 * parallels
        scores.append(min(1.0, max(0.0, pair)))
    return sum(scores) / len(scores)


def variety(chords: Sequence[SoundedChord], *, bars: int) -> float:
    """Enough different chords to move, not so many that nothing returns: a peak at about four
    distinct chords per four bars, rising slowly with length."""
    distinct = len({c.token for c in chords})
    if distinct <= 1:
        return 0.05
    target = min(6.0, 4.0 + max(0, bars - 4) / 4.0)
    return math.exp(-((distinct - target) ** 2) / (2 * 1.5**2))


def _tonic_tokens(key: Key) -> set[str]:
    return {"0:min", "0:maj"} if key.is_minor else {"0:maj"}


def cadence(chords: Sequence[SoundedChord], *, key: Key) -> float:
    """How the progression closes (and loops back): V-I 1.0, vii°-I 0.9, IV-I 0.85, bVII-I 0.8,
    a half cadence on V 0.75 (0.9 when the loop returns to the tonic), V-vi 0.7, any other
    close on the tonic 0.6, an open ending 0.2."""
    seq = [c.token for c in _merged(chords)]
    if not seq:
        return 0.0
    tonic = _tonic_tokens(key)
    last = seq[-1]
    prev = seq[-2] if len(seq) > 1 else None
    first = seq[0]
    if last in tonic:
        return {"7:maj": 1.0, "11:dim": 0.9, "5:maj": 0.85, "5:min": 0.85, "10:maj": 0.8}.get(
            prev or "", 0.6
        )
    if last == "7:maj":
        return 0.9 if first in tonic else 0.75
    submediant = "8:maj" if key.is_minor else "9:min"
    if last == submediant and prev == "7:maj":
        return 0.7
    if first in tonic and last in ("5:maj", "5:min", "10:maj", "11:dim"):
        return 0.55
    return 0.2


# Published key profiles, tonic first: Krumhansl-Kessler probe-tone ratings (Krumhansl 1990)
# and Aarden-Essen pitch-class frequencies from the Essen folksong collection (Aarden 2003).
# The Aarden-Essen profile weights the dominant above the tonic, so a progression that leans on
# IV can read as the subdominant's key under it; requiring both keeps the key unambiguous.
_PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "krumhansl-kessler": (
        (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
        (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
    ),
    "aarden-essen": (
        (
            17.7661,
            0.145624,
            14.9265,
            0.160186,
            19.8049,
            11.3587,
            0.291248,
            22.062,
            0.145624,
            8.15494,
            0.232998,
            4.95122,
        ),
        (
            18.2648,
            0.737619,
            14.0499,
            16.8599,
            0.702494,
            14.4362,
            0.702494,
            18.6161,
            4.56621,
            1.93186,
            7.37619,
            1.75623,
        ),
    ),
}


def _centred(values: Sequence[float]) -> tuple[tuple[float, ...], float]:
    """``values`` less their mean, and the sum of the squared deviations (Pearson's terms)."""
    mean = sum(values) / len(values)
    return tuple(x - mean for x in values), sum((x - mean) ** 2 for x in values)


#: The 24 keys ``(tonic, family)`` in the order of each profile set's rows.
_KEYS: tuple[tuple[int, str], ...] = tuple(
    (tonic, family) for family in ("major", "minor") for tonic in range(12)
)
_ROTATED = [
    _centred([profile[(pc - tonic) % 12] for pc in range(12)])
    for major, minor in _PROFILES.values()
    for profile in (major, minor)
    for tonic in range(12)
]
#: The profile side of Pearson's r, computed once rather than for every progression: every
#: profile set's 24 centred rotated profiles, one set after the other ``[48, 12]``, and their
#: sums of squares ``[48]``.
_PROFILE_ROWS = np.array([centred for centred, _ in _ROTATED])
_PROFILE_SQUARES = np.array([squares for _, squares in _ROTATED])


def key_clarity(chords: Sequence[SoundedChord], *, key: Key) -> float:
    """How clearly the sounding pitches point at ``key`` rather than any of the other 23 keys.

    For each published profile (Krumhansl-Kessler, Aarden-Essen) the duration-weighted
    pitch-class histogram of the voiced notes is correlated with all 24 rotated profiles; the
    margin of the wanted key over the best other key maps to 1 at +0.1 or more, 0.5 on a tie,
    0 at -0.1. The smaller of the two profiles' values is returned."""
    hist = [0.0] * 12
    for c in chords:
        for pitch in c.voicing:
            hist[pitch % 12] += c.beats
    if not any(hist):
        return 0.0
    return _clarity(tuple(hist), key.tonic, key.family)


@functools.lru_cache(maxsize=16384)
def _clarity(hist: tuple[float, ...], tonic: int, family: str) -> float:
    """:func:`key_clarity` of a histogram (remembered: a population repeats its histograms).
    Pearson's r with all 48 profiles at once, each the same value as the per-pair sum: the
    products of each profile added one by one (an accumulation is sequential), over
    ``sqrt(squares * profile squares)``; 0 for a flat histogram."""
    centred, squares = _centred(hist)
    if squares:
        sums = np.add.accumulate(_PROFILE_ROWS * np.array(centred), axis=1)[:, -1]
        rs = (sums / np.sqrt(squares * _PROFILE_SQUARES)).tolist()
    else:
        rs = [0.0] * len(_PROFILE_SQUARES)
    wanted = _KEYS.index((tonic, family))
    clarity = 1.0
    for first in range(0, len(rs), len(_KEYS)):
        keys = rs[first : first + len(_KEYS)]
        best_other = max(-1.0, *keys[:wanted], *keys[wanted + 1 :])
        clarity = min(clarity, max(0.0, min(1.0, 0.5 + 5.0 * (keys[wanted] - best_other))))
    return clarity


def key_fit(chords: Sequence[SoundedChord], *, key: Key) -> float:
    """Half the share of sounding chord tones (weighted by length) inside the key's scale
    (minor keys also admit the raised leading tone) times a tonic factor (1 when the progression
    starts or ends on the tonic chord, 0.85 when the tonic only appears inside, 0.7 when never),
    and half :func:`key_clarity`."""
    if not chords:
        return 0.0
    scale = set(key.scale_pcs())
    if key.is_minor:
        scale.add((key.tonic + 11) % 12)
    inside = total = 0.0
    for c in chords:
        for pc in c.pitch_classes:
            total += c.beats
            if pc in scale:
                inside += c.beats
    fit = inside / total if total else 0.0
    tonic = _tonic_tokens(key)
    tokens = [c.token for c in chords]
    if tokens[0] in tonic or tokens[-1] in tonic:
        factor = 1.0
    elif any(t in tonic for t in tokens):
        factor = 0.85
    else:
        factor = 0.7
    return 0.5 * fit * factor + 0.5 * key_clarity(chords, key=key)


def score_progression(
    chords: Sequence[SoundedChord],
    *,
    key: Key,
    bars: int,
    likelihood: float,
    weights: dict[str, float] | None = None,
    style: Mapping[str, float] | None = None,
) -> TheoryScores:
    """All chord theory components and their weighted total. ``likelihood`` is the
    progression's normalised likelihood under the transition model, in [0, 1]. With ``style``
    (the style-fit components of :func:`scoring.style.chords.chord_style`) those replace
    ``cadence`` and ``variety`` and :data:`CHORD_STYLE_WEIGHTS` apply."""
    if not chords:
        raise ValueError("chords: [] -- a progression needs at least one chord")
    if not 0.0 <= likelihood <= 1.0:
        raise ValueError(f"likelihood: {likelihood!r} -- a normalised likelihood in [0, 1]")
    scores = {"likelihood": likelihood, "voice_leading": voice_leading(chords)}
    if style is None:
        scores["cadence"] = cadence(chords, key=key)
    scores["key_fit"] = key_fit(chords, key=key)
    if style is None:
        scores["variety"] = variety(chords, bars=bars)
        return TheoryScores.weighted(scores, weights or CHORD_WEIGHTS)
    return TheoryScores.weighted({**scores, **style}, weights or CHORD_STYLE_WEIGHTS)
