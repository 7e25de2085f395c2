"""Bass styles: one-bar pattern makers that follow the meter's felt beats (4/4, 3/4, 6/8 as two
dotted quarters, 7/8 as 2+2+3, ...), and the choice of style from a proposal's genre and mood
words. Pure functions of their arguments and an explicit RNG."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final

import numpy as np

from generators.bass.genome import GRID_QN, BassBar, BassEvent, normalise_bar, on_grid
from generators.sampling import weighted_index
from music.meter import Meter

STYLES: Final = (
    "root",
    "root-fifth",
    "walking",
    "pedal",
    "arpeggiated",
    "octave",
    "syncopated",
)

#: Words in genres/mood that point at each style.
STYLE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "root": ("rock", "pop", "punk", "grunge", "indie", "sad", "melancholic", "post-punk"),
    "root-fifth": (
        "folk", "americana", "country", "waltz", "bluegrass", "polka", "march", "hymn",
        "gospel", "nostalgic", "retro",
    ),
    "walking": ("jazz", "swing", "blues", "bebop", "lounge", "bossa", "ragtime"),
    "pedal": (
        "ambient", "drone", "post-rock", "modern classical", "noise", "minimal", "ominous",
        "hypnotic", "dark", "meditative", "eerie", "patient",
    ),
    "arpeggiated": (
        "electronic", "kosmische", "synth", "new wave", "cosmic", "trance", "dreamy",
        "classical", "whimsical",
    ),
    "octave": ("disco", "dance", "house", "synthwave", "electro", "intense", "energetic"),
    "syncopated": (
        "funk", "soul", "r&b", "hip hop", "hip-hop", "reggae", "latin", "groove", "catchy",
        "ironic",
    ),
}  # fmt: skip

_EPS = 1e-6


#: What a word in the genres adds to its style's weight (a mood word adds 1): the genre
#: decides the idiom (jazz walks, ambient holds pedals, funk syncopates), the mood shades it.
GENRE_WEIGHT: Final = 4.0
#: The weight every style keeps, so a population still tries the others.
FLOOR: Final = 0.25


def style_weights(genres: Sequence[str], mood: Sequence[str]) -> dict[str, float]:
    """How likely each style is for a song with these genre and mood words: every style keeps
    a floor of :data:`FLOOR`, each matching genre word adds :data:`GENRE_WEIGHT` and each
    matching mood word 1; normalised to sum 1, in :data:`STYLES` order."""
    genre_words = " ".join(genres).lower()
    mood_words = " ".join(mood).lower()
    raw = {
        s: FLOOR
        + GENRE_WEIGHT * sum(w in genre_words for w in STYLE_WORDS[s])
        + sum(w in mood_words for w in STYLE_WORDS[s])
        for s in STYLES
    }
    total = sum(raw.values())
    return {s: raw[s] / total for s in STYLES}


def felt_beats(meter: Meter) -> tuple[tuple[float, float], ...]:
    """``(start, length)`` of each felt beat of a bar, in quarter notes."""
    return meter.felt_beats()


@functools.lru_cache(maxsize=4096)
def _base_velocity(pos: float, meter: Meter) -> int:
    """104 on the downbeat, 94 on another felt beat, 84 elsewhere (remembered per position
    and meter: every line of a phase asks about the same grid positions)."""
    if pos < _EPS:
        return 104
    if any(abs(pos - s) < _EPS for s, _ in felt_beats(meter)):
        return 94
    return 84


def _velocity(pos: float, meter: Meter, rng: np.random.Generator) -> int:
    return min(127, max(1, _base_velocity(pos, meter) + int(rng.integers(-5, 6))))


def _event(
    pos: float, degree: str, meter: Meter, rng: np.random.Generator, *, length: float
) -> BassEvent:
    return BassEvent(
        onset=pos,
        duration=max(GRID_QN, length),
        degree=degree,
        octave=0,
        velocity=_velocity(pos, meter, rng),
    )


def _subdivide(start: float, length: float, step: float) -> list[float]:
    out = []
    t = start
    while t < start + length - _EPS:
        out.append(round(t, 6))
        t += step
    return out


def _off_sixteenth(pos: float) -> bool:
    """True on a sixteenth that is not an eighth (the "e" or "a" of a beat)."""
    return abs(pos / 0.5 - round(pos / 0.5)) > _EPS


def _choose(rng: np.random.Generator, options: Sequence[str], p: Sequence[float]) -> str:
    probs = np.asarray(p, dtype=float)
    return options[weighted_index(rng, probs / probs.sum())]


def style_bar(
    style: str,
    meter: Meter,
    rng: np.random.Generator,
    *,
    changes: Sequence[float] = (),
    kicks: Sequence[float] = (),
) -> BassBar:
    """One bar of ``style`` in ``meter``. ``changes`` are chord-change positions inside the bar
    (qn from the bar line; the downbeat is implied) and get a root; ``kicks`` are the kick
    drum's onsets inside the bar, which the syncopated style plays along with."""
    if style not in STYLES:
        raise ValueError(f"bass style: {style!r} -- one of {', '.join(STYLES)}")
    bar = meter.bar_qn
    beats = felt_beats(meter)
    change_set = sorted({0.0, *(c for c in changes if 0 < c < bar and on_grid(c))})
    events: list[BassEvent] = []

    def since_change(pos: float) -> int:
        last = max(c for c in change_set if c <= pos + _EPS)
        return sum(1 for s, _ in beats if last - _EPS <= s < pos - _EPS)

    if style == "root":
        layout = _choose(rng, ("beats", "half", "whole"), (0.55, 0.3, 0.15))
        if layout == "beats":
            starts = [s for s, _ in beats]
        elif layout == "half" and len(beats) >= 2:
            starts = [0.0, beats[len(beats) // 2][0]]
        else:
            starts = [0.0]
        for s in sorted({*starts, *change_set}):
            events.append(_event(s, "root", meter, rng, length=bar))
    elif style == "root-fifth":
        step = 0.5 if rng.random() < 0.4 else 0.0
        for s, length in beats:
            degree = "root" if since_change(s) % 2 == 0 else "fifth"
            positions = _subdivide(s, length, step) if step else [s]
            for p in positions:
                events.append(_event(p, degree, meter, rng, length=step or length))
    elif style == "walking":
        positions = _subdivide(0.0, bar, 1.0) if meter.denominator <= 4 else [s for s, _ in beats]
        targets = [*change_set[1:], bar]  # where the next chord's root falls
        for i, p in enumerate(positions):
            nxt = positions[i + 1] if i + 1 < len(positions) else bar
            if any(abs(p - c) < _EPS for c in change_set):
                degree = "root"
            elif any(abs(nxt - c) < _EPS for c in targets):
                degree = "approach"  # a step or a semitone into the next root
            elif meter.is_strong(p):
                degree = _choose(rng, ("third", "fifth", "octave"), (0.45, 0.45, 0.1))
            else:
                degree = _choose(
                    rng, ("third", "fifth", "passing", "octave"), (0.35, 0.35, 0.2, 0.1)
                )
            events.append(_event(p, degree, meter, rng, length=bar))
    elif style == "pedal":
        starts = list(change_set)
        if len(beats) >= 2 and rng.random() < 0.4:
            starts.append(beats[len(beats) // 2][0])
        for s in sorted(set(starts)):
            events.append(_event(s, "root", meter, rng, length=bar).with_(velocity=84))
    elif style == "arpeggiated":
        shape = _choose(rng, ("up", "updown", "triad"), (0.4, 0.35, 0.25))
        cycle = {
            "up": ("root", "third", "fifth", "octave"),
            "updown": ("root", "third", "fifth", "octave", "fifth", "third"),
            "triad": ("root", "fifth", "octave"),
        }[shape]
        if meter.is_compound:
            cycle = ("root", "fifth", "octave")
        i = 0
        for p in _subdivide(0.0, bar, 0.5):
            if any(abs(p - c) < _EPS for c in change_set):
                i = 0
            events.append(_event(p, cycle[i % len(cycle)], meter, rng, length=0.5))
            i += 1
    elif style == "octave":
        i = 0
        for p in _subdivide(0.0, bar, 0.5):
            if any(abs(p - c) < _EPS for c in change_set):
                i = 0
            events.append(_event(p, "root" if i % 2 == 0 else "octave", meter, rng, length=0.5))
            i += 1
    else:  # syncopated
        onsets = {0.0, *change_set, *(k for k in kicks if 0 <= k < bar and on_grid(k))}
        for s, _ in beats[1:]:
            r = rng.random()
            if r < 0.35:
                onsets.add(s - GRID_QN)  # a sixteenth anticipation
            elif r < 0.7:
                onsets.add(min(s + 0.5, bar - GRID_QN))  # the "and"
        if not any(_off_sixteenth(p) for p in onsets):
            # Every funk bar has at least one sixteenth off the eighths: push one beat early.
            s = beats[int(rng.integers(1, len(beats)))][0] if len(beats) > 1 else bar
            onsets.add(s - GRID_QN)
        for p in sorted(onsets):
            degree = _choose(rng, ("root", "octave", "fifth"), (0.65, 0.2, 0.15))
            if any(abs(p - c) < _EPS for c in change_set):
                degree = "root"
            length = float(rng.choice([0.25, 0.5, 0.75]))
            events.append(_event(p, degree, meter, rng, length=length))
    return normalise_bar(events, meter)
