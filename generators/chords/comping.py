"""Comping: the rhythm the chord instrument plays its chords in, chosen by genre (short hits
on off-beats for jazz, sixteenth stabs for funk, strums for folk, an eighth-note drive for
rock, held chords for ambient and pads). A pattern names the hits of one bar, following the
meter's felt beats, so it fits 4/4, 3/4, 6/8, 5/4 and 7/8 alike; every chord is struck at its
start (the change is heard) and then on the pattern's hits inside it. Pure functions: the
chords part and the key verdict compute the same hits, so the verdict hears what is written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from music.meter import Meter

STYLES: Final = ("sustained", "jazz", "funk", "strum", "drive")

#: Genre words that choose each comping style (the first genre that matches one wins; within
#: a genre the first style listed, so "post-rock" holds chords rather than driving).
STYLE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "sustained": ("ambient", "drone", "post-rock", "classical", "minimal", "pad", "cinematic"),
    "jazz": ("jazz", "swing", "bebop", "bossa", "lounge", "blues", "ragtime"),
    "funk": ("funk", "soul", "r&b", "hip hop", "hip-hop", "disco", "reggae", "groove", "latin"),
    "strum": ("folk", "americana", "country", "bluegrass", "acoustic", "singer-songwriter"),
    "drive": (
        "rock",
        "punk",
        "grunge",
        "indie",
        "pop",
        "metal",
        "post-punk",
        "new wave",
        "electronic",
        "synth",
        "house",
        "techno",
        "trance",
        "edm",
        "dance",
    ),
}

#: Where a swung off-beat eighth falls in a quarter-note beat (straight is 0.5).
SWING: Final = 0.6

_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Comping:
    """A comping style in a meter (hashable: the voicing caches key on it)."""

    style: str
    meter: Meter

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"comping style: {self.style!r} -- one of {', '.join(STYLES)}")

    @property
    def sustained(self) -> bool:
        return self.style == "sustained"


def comp_style(genres: Sequence[str], *, sustain: bool = False) -> str:
    """The comping style for these genre words: the style of the first genre that names one
    (in :data:`STYLE_WORDS` order within a genre), ``"sustained"`` when none does or when the
    instrument sustains (a pad)."""
    if sustain:
        return "sustained"
    for genre in genres:
        word = genre.lower()
        for style, words in STYLE_WORDS.items():
            if any(w in word for w in words):
                return style
    return "sustained"


def bar_hits(style: str, meter: Meter) -> tuple[tuple[float, float], ...]:
    """``(onset, length)`` of each hit of one bar of ``style`` in ``meter`` (qn from the bar
    line, sorted); ``"sustained"`` is one hit held for the bar."""
    return _bar_hits(style, meter)


@lru_cache(maxsize=256)
def _bar_hits(style: str, meter: Meter) -> tuple[tuple[float, float], ...]:
    beats = meter.felt_beats()
    bar = meter.bar_qn
    hits: dict[float, float] = {}
    if style == "sustained":
        hits[0.0] = bar
    elif style == "jazz":
        # A short hit on the downbeat, then on the swung off-beat eighth of every second felt
        # beat (the Charleston's "and of two" and "and of four" in 4/4), late as the swing
        # drums play it (Groove's jazz: 0.59 of the beat).
        hits[0.0] = 0.75
        for i, (s, _) in enumerate(beats):
            if i % 2 == 1:
                hits[s + SWING] = 1.0 - SWING
    elif style == "funk":
        # Sixteenth stabs: the downbeat, then the "a" of even beats and the "e" of odd ones.
        hits[0.0] = 0.25
        for i, (s, length) in enumerate(beats):
            off = s + (0.75 if i % 2 == 0 else 0.25)
            if off < s + length - _EPS:
                hits[off] = 0.25
    elif style == "strum":
        # Down on every beat (each quarter in x/4, each felt beat in x/8), an up-strum on the
        # "and" of all but the first (the second eighth of a dotted beat); each rings on to the
        # next strum.
        quarters = tuple((float(q), 1.0) for q in range(round(bar)))
        strummed = quarters if meter.denominator <= 4 and bar == round(bar) else beats
        for i, (s, length) in enumerate(strummed):
            hits[s] = bar
            up = s + (1.0 if length > 1.0 + _EPS else 0.5)
            if i > 0 and up < s + length - _EPS:
                hits[up] = bar
    else:  # drive: straight eighths
        t = 0.0
        while t < bar - _EPS:
            hits[round(t, 6)] = 0.5
            t += 0.5
    ordered = sorted((o, d) for o, d in hits.items() if o < bar - _EPS)
    stops = [o for o, _ in ordered[1:]] + [bar]
    return tuple((o, min(d, stop - o)) for (o, d), stop in zip(ordered, stops, strict=True))


def chord_hits(comping: Comping, start: float, length: float) -> tuple[tuple[float, float], ...]:
    """``(onset, length)`` of the strikes of a chord sounding from ``start`` for ``length``
    (qn from the progression's first bar line): one at ``start``, then the pattern's hits
    inside the chord, each cut at the next strike and at the chord's end."""
    return _chord_hits(comping, round(start, 6), round(length, 6))


@lru_cache(maxsize=8192)
def _chord_hits(comping: Comping, start: float, length: float) -> tuple[tuple[float, float], ...]:
    end = start + length
    if comping.sustained:
        return ((start, length),)
    bar = comping.meter.bar_qn
    pattern = _bar_hits(comping.style, comping.meter)
    onsets: dict[float, float] = {}
    first_bar = int((start + _EPS) // bar)
    b = first_bar
    while b * bar < end - _EPS:
        for o, d in pattern:
            at = b * bar + o
            if start - _EPS <= at < end - _EPS:
                onsets[round(at, 6)] = d
        b += 1
    if not any(abs(o - start) < _EPS for o in onsets):
        # The change falls between hits: strike it and hold it to the next hit.
        onsets[start] = length
    ordered = sorted(onsets.items())
    out: list[tuple[float, float]] = []
    for i, (o, d) in enumerate(ordered):
        stop = ordered[i + 1][0] if i + 1 < len(ordered) else end
        out.append((o, min(d, stop - o, end - o)))
    return tuple(out)


def sounding(comping: Comping | None, start: float, length: float) -> float:
    """How long (qn) a chord from ``start`` for ``length`` sounds when comped: what the key
    verdict weighs each of its pitches by."""
    if comping is None:
        return length
    return sum(d for _, d in chord_hits(comping, start, length))
