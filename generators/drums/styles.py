"""Skeleton generators for drum styles (rock, funk, half-time, shuffle, breakbeat, sparse here;
swing, brushes, bossa, reggae, hip-hop and four-on-the-floor in :mod:`generators.drums.genres`),
each built on the meter's counted pulses so it works in 3/4, 4/4, 5/4, 6/8, 7/8, 12/8 and the
rest, and :func:`choose_styles`, which picks styles from a proposal's genre, mood and instrument
words and tempo.

Pulses (:attr:`Grid.pulse_steps`): every quarter in /4 meters, every felt beat in /8 meters. The
kick takes the even pulses and the snare the odd ones (backbeat); an odd number of pulses ends
on a snare (3/4: kick-snare-snare; 7/8 as 2+2+3: kick on 1, snare on 3 and 5).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from generators.drums.feel import Template, feel_of, step_places
from generators.drums.genome import DrumGenome, Hit
from generators.drums.genres import BUILDERS, GENRE_STYLES, SWUNG
from generators.drums.grid import (
    CLOSED_HH,
    CRASH,
    KICK,
    OPEN_HH,
    RIDE,
    RIM,
    SHAKER,
    SNARE,
    Grid,
)
from music.meter import Meter, kick_snare_pulses

STYLES: Final[tuple[str, ...]] = (
    "rock",
    "funk",
    "half-time",
    "shuffle",
    "breakbeat",
    "sparse",
    *GENRE_STYLES,
)
#: Drum style -> the Groove MIDI style its patterns are held to by the style fit (None: no
#: corpus profile -- Groove has no ambient playing). Shuffle, whose Groove beats are spread over
#: funk, blues and rock, is held to the profile the song's words name. Groove has no brush
#: playing: both brush styles are held to its jazz beats (soft, a feathered kick).
GROOVE_PROFILES: Final[dict[str, str | None]] = {
    "rock": "rock",
    "funk": "funk",
    "half-time": "rock",
    "breakbeat": "hiphop",
    "sparse": None,
    "swing": "jazz",
    "brushes": "jazz",
    "brushes-straight": "jazz",
    "bossa": "latin",
    "reggae": "reggae",
    "hip-hop": "hiphop",
    "four-on-the-floor": "dance",
}
#: Styles that rarely open with a crash.
_QUIET: Final = frozenset({"sparse", "brushes", "brushes-straight"})

# Humanising micro-timing, in steps: a little early on average with a spread of ~0.12 step
# (real drummers sit ~20 ms off the 16th grid, slightly early: Groove MIDI validation beats
# have a median offset of -0.09 step and a spread of 0.16).
_MICRO_MEAN: Final = -0.04
_MICRO_SD: Final = 0.12
_MICRO_MAX: Final = 0.35
#: The tempo at which the step figures above hold: Groove's median (its 4/4 beats in train).
#: At another tempo the offsets keep their milliseconds, as drummers' do: Groove's robust
#: spread is 30, 26 and 22 ms below 90, at 90-130 and above 130 bpm, far from the twice as many
#: milliseconds at half the tempo that a spread in steps would give.
_MICRO_BPM: Final = 105.0
_VELOCITY_SD: Final = 9.0
#: Chance that a bar after the first plays another template of its style.
_BAR_VARIATION: Final = 0.35


@functools.cache
def grid_for(style: str, meter: Meter) -> Grid:
    """The grid a style plays on: shuffle is triplet in /4 meters, swung in /8 meters and
    straight in /16 meters (one step per 16th: no pair to swing); swing and brushes are
    triplet in /4 meters (their learned micro-timing sets the swing ratio); everything else
    (straight brushes included) is straight 16ths. Made once per style and meter (a grid is a
    value; every skeleton asks for one)."""
    check_style(style)
    if style == "shuffle" and meter.denominator <= 8:
        return Grid.for_meter(meter, "triplet" if meter.denominator <= 4 else "swing")
    if style in SWUNG and meter.denominator <= 4:
        return Grid.for_meter(meter, "triplet")
    return Grid.for_meter(meter, "straight")


def check_style(style: str) -> str:
    if style not in STYLES:
        raise ValueError(f"drum style: {style!r} -- one of {', '.join(STYLES)}")
    return style


def _offbeats(grid: Grid, *, sixteenths: bool) -> list[int]:
    """Steps that are not pulses: off-beat 8ths, or every non-pulse 16th."""
    pulses = set(grid.pulse_steps)
    stride = 1 if sixteenths else grid.eighth_steps
    return [s for s in range(0, grid.steps_per_bar, stride) if s not in pulses]


def _pick(rng: np.random.Generator, options: Sequence[int], k: int) -> list[int]:
    if not options or k <= 0:
        return []
    idx = rng.choice(len(options), size=min(k, len(options)), replace=False)
    return sorted(int(options[i]) for i in idx)


def _hats(grid: Grid, voice: int, stride: int, on: int = 96, off: int = 58) -> Template:
    pulses = set(grid.pulse_steps)
    return [(s, voice, on if s in pulses else off) for s in range(0, grid.steps_per_bar, stride)]


def _rock(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    kicks, snares = kick_snare_pulses(len(pulses))
    t: Template = [(pulses[i], KICK, 100) for i in kicks]
    t += [(pulses[i], SNARE, 105) for i in snares]
    snare_steps = {pulses[i] for i in snares}
    extra = [s for s in _offbeats(grid, sixteenths=False) if s not in snare_steps]
    t += [(s, KICK, 88) for s in _pick(rng, extra, int(rng.integers(0, 2)))]
    motion = RIDE if rng.random() < 0.25 else CLOSED_HH
    t += _hats(grid, motion, grid.eighth_steps)
    if rng.random() < 0.3:
        last_off = _offbeats(grid, sixteenths=False)[-1:]
        t = [(s, OPEN_HH if s in last_off and v == motion else v, vel) for s, v, vel in t]
    return t


def _funk(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    _, snares = kick_snare_pulses(len(pulses))
    snare_steps = {pulses[i] for i in snares}
    t: Template = [(0, KICK, 105)]
    t += [(s, SNARE, 108) for s in sorted(snare_steps)]
    sixteenths = [s for s in _offbeats(grid, sixteenths=True) if s not in snare_steps]
    t += [(s, KICK, 92) for s in _pick(rng, sixteenths, 2 + int(rng.integers(0, 2)))]
    kick_steps = {s for s, v, _ in t if v == KICK}
    ghosts = [s for s in sixteenths if s not in kick_steps and s % grid.eighth_steps]
    t += [(s, SNARE, 38) for s in _pick(rng, ghosts, 2 + int(rng.integers(0, 3)))]
    if rng.random() < 0.5:
        t += _hats(grid, CLOSED_HH, 1, on=92, off=58)
    else:
        t += _hats(grid, CLOSED_HH, grid.eighth_steps, on=95, off=78)
        opens = _pick(rng, _offbeats(grid, sixteenths=False), 1)
        t = [(s, OPEN_HH if s in opens and v == CLOSED_HH else v, vel) for s, v, vel in t]
    return t


def _half_time(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    middle = [s for s in grid.strong_steps if s > 0]
    snare = middle[0] if middle else pulses[len(pulses) // 2] if len(pulses) > 1 else 0
    t: Template = [(0, KICK, 105), (snare, SNARE, 112)]
    late = [s for s in _offbeats(grid, sixteenths=False) if s > snare]
    early = [s for s in _offbeats(grid, sixteenths=True) if 0 < s < snare]
    t += [(s, KICK, 90) for s in _pick(rng, late, 1) + _pick(rng, early, int(rng.integers(0, 2)))]
    stride = grid.eighth_steps if rng.random() < 0.7 else 1
    t += _hats(grid, CLOSED_HH if rng.random() < 0.7 else RIDE, stride)
    return t


def _shuffle(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    kicks, snares = kick_snare_pulses(len(pulses))
    t: Template = [(pulses[i], KICK, 100) for i in kicks]
    t += [(pulses[i], SNARE, 102) for i in snares]
    motion = RIDE if rng.random() < 0.5 else CLOSED_HH
    if grid.feel == "triplet":
        spu = grid.steps_per_unit
        t += [
            (s, motion, 92 if s % spu == 0 else 70)
            for s in range(grid.steps_per_bar)
            if s % spu in (0, 2)
        ]
        lets = [s for s in range(grid.steps_per_bar) if s % spu == 2]
    else:
        t += _hats(grid, motion, grid.eighth_steps, on=92, off=70)
        lets = [s for s in range(grid.steps_per_bar) if s % grid.eighth_steps == 1]
    t += [(s, SNARE, 34) for s in _pick(rng, lets, int(rng.integers(1, 4)))]
    return t


def _breakbeat(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    _, snares = kick_snare_pulses(len(pulses))
    snare_steps = sorted(pulses[i] for i in snares)
    t: Template = [(0, KICK, 110)]
    if rng.random() < 0.7 and grid.eighth_steps < grid.steps_per_bar:  # not in a one-8th bar
        t.append((grid.eighth_steps, KICK, 96))
    t += [(s, SNARE, 110) for s in snare_steps]
    late = [s for s in _offbeats(grid, sixteenths=True) if s > grid.steps_per_bar // 2]
    late = [s for s in late if s not in snare_steps]
    t += [(s, KICK, 95) for s in _pick(rng, late, 1 + int(rng.integers(0, 2)))]
    taken = {s for s, _, _ in t}
    displaced = [s for s in _offbeats(grid, sixteenths=True) if s not in taken and s > 0]
    t += [(s, SNARE, 88) for s in _pick(rng, displaced, int(rng.integers(0, 2)))]
    t += [(s, SNARE, 40) for s in _pick(rng, displaced, int(rng.integers(1, 3)))]
    t += _hats(grid, CLOSED_HH, grid.eighth_steps if rng.random() < 0.6 else 1, 96, 70)
    offbeats = _offbeats(grid, sixteenths=False)  # none where every eighth is a pulse (7/16)
    if offbeats and rng.random() < 0.5:
        t = [(s, OPEN_HH if s == offbeats[-1] and v == CLOSED_HH else v, vel) for s, v, vel in t]
    return t


def _sparse(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    t: Template = [(0, KICK, 82)]
    middle = [s for s in grid.strong_steps if s > 0]
    if middle and rng.random() < 0.5:
        t.append((middle[0], KICK, 70))
    _, snares = kick_snare_pulses(len(pulses))
    if snares and rng.random() < 0.7:
        t.append((pulses[snares[-1]], RIM, 55))
    if rng.random() < 0.6:
        voice = SHAKER if rng.random() < 0.5 else RIDE
        t += [(s, voice, 48) for s in pulses]
    return t


_BUILDERS: Final[dict[str, Callable[[Grid, np.random.Generator], Template]]] = {
    "rock": _rock,
    "funk": _funk,
    "half-time": _half_time,
    "shuffle": _shuffle,
    "breakbeat": _breakbeat,
    "sparse": _sparse,
    **BUILDERS,
}


def humanize(
    velocity: int,
    rng: np.random.Generator,
    spread: float = _VELOCITY_SD,
    *,
    grid: Grid | None = None,
    bpm: float | None = None,
) -> tuple[int, float]:
    """A velocity with some spread (1..127) and a micro-offset in steps of ``grid`` (within
    ±0.35): 16th steps at Groove's median tempo; the same milliseconds at ``bpm``."""
    # ``rng.normal(loc, sd)`` is ``loc + sd * z`` of one standard normal draw ``z``: the same
    # draws and floats, without its argument handling (tens of thousands of hits a phase).
    vel = min(127, max(1, round(velocity + (0.0 + spread * rng.standard_normal()))))
    scale = 1.0
    if grid is not None and bpm is not None:
        # Offsets of 16ths at _MICRO_BPM, as steps of this grid at this tempo.
        scale = (0.25 / grid.step_qn) * (bpm / _MICRO_BPM)
    draw = _MICRO_MEAN * scale + (_MICRO_SD * scale) * rng.standard_normal()
    return vel, min(_MICRO_MAX, max(-_MICRO_MAX, draw))


def template_hits(
    template: Template,
    grid: Grid,
    bar: int,
    rng: np.random.Generator,
    style: str = "",
    *,
    bpm: float | None = None,
) -> list[Hit]:
    """Place a one-bar template in bar ``bar`` with humanised velocities and micro-timing, in
    milliseconds at ``bpm``. A genre style takes its micro-timing from its learned feel; a
    skeleton style with one (rock, funk, ...) its velocities, where Groove's drummers play that
    class at that place often enough to say how loud."""
    feel = feel_of(style)
    places = step_places(grid) if feel is not None else ()
    genre = style in GENRE_STYLES
    swung = style in SWUNG
    first = bar * grid.steps_per_bar
    out = []
    for s, voice, vel in template:
        if feel is not None and not genre:
            vel = feel.played_vel(voice, places[s], vel)
        v, off = humanize(vel, rng, grid=grid, bpm=bpm)
        if feel is not None and genre:
            off = feel.offset(grid, s, rng, swung=swung, bpm=bpm)
        out.append(Hit(first + s, voice, v, off))
    return out


def style_bar(style: str, grid: Grid, rng: np.random.Generator) -> Template:
    """One bar of ``style`` on ``grid`` as a template of (step, voice, velocity)."""
    return _BUILDERS[check_style(style)](grid, rng)


def skeleton(
    style: str, meter: Meter, bars: int, rng: np.random.Generator, *, bpm: float | None = None
) -> DrumGenome:
    """``bars`` bars of ``style`` in ``meter``: one template bar repeated, humanised (timing in
    milliseconds at ``bpm`` when given), with a variation (another template bar of the style)
    in about one bar of three, a crash on the first downbeat (except sparse and the brush
    styles, where it is rare)."""
    grid = grid_for(style, meter)
    main = style_bar(style, grid, rng)
    hits: list[Hit] = []
    for bar in range(bars):
        vary = bar > 0 and rng.random() < _BAR_VARIATION
        template = style_bar(style, grid, rng) if vary else main
        hits.extend(template_hits(template, grid, bar, rng, style, bpm=bpm))
    if style not in _QUIET or rng.random() < 0.3:
        vel, _ = humanize(100 if style not in _QUIET else 60, rng)
        hits.append(Hit(step=0, voice=CRASH, velocity=vel))
    return DrumGenome(grid=grid, bars=bars, hits=(), style=style).with_hits(hits)


# ---------------------------------------------------------------------- choosing styles
_STYLE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "rock": (
        "rock", "punk", "post-punk", "grunge", "indie", "pop", "garage", "metal", "new wave",
        "driving", "angry", "aggressive", "energetic", "fierce", "furious", "defiant",
    ),
    "funk": ("funk", "soul", "r&b", "rnb", "motown", "groovy", "gospel"),
    "half-time": (
        "post-rock", "doom", "sludge", "shoegaze", "epic", "heavy", "dark", "cinematic",
        "melancholic", "dirge",
    ),
    "shuffle": (
        "blues", "shuffle", "country", "americana", "folk", "rockabilly", "boogie", "nostalgic",
        "retro", "whimsical",
    ),
    "breakbeat": (
        "breakbeat", "break", "jungle", "drum and bass", "big beat", "chaotic", "intense",
        "experimental",
    ),
    "sparse": (
        "ambient", "kosmische", "modern classical", "drone", "minimal", "sparse", "dreamy",
        "ethereal", "ominous", "eerie", "calm", "mysterious", "cosmic", "hypnotic", "noise",
        "creepy", "meditative", "tender", "sleepy", "gentle", "soft", "quiet", "intimate",
        "lullaby", "peaceful", "serene",
    ),
    "swing": ("jazz", "swing", "bebop", "big band", "cool jazz", "lounge", "smoky", "jazzy"),
    "brushes": ("brush", "brushes", "brushed", "brush kit", "brushed drums"),
    "bossa": ("bossa", "bossa nova", "samba", "latin", "brazilian", "tropicalia"),
    "reggae": ("reggae", "dub", "ska", "dancehall", "rocksteady"),
    "hip-hop": (
        "hip hop", "hip-hop", "hiphop", "rap", "trap", "boom bap", "lo-fi", "lofi", "trip hop",
        "downtempo",
    ),
    "four-on-the-floor": (
        "electronic", "electro", "house", "techno", "disco", "dance", "edm", "trance", "club",
        "synthwave", "synth-pop", "synthpop", "electropop",
    ),
}  # fmt: skip


#: A style scoring this much is named by a genre word (or several mood words).
_NAMED: Final = 1.9
#: The style a lone style is paired with (others get rock, then half-time).
_COMPANIONS: Final[dict[str, str]] = {
    "swing": "shuffle",
    "brushes": "swing",
    "brushes-straight": "rock",
    "hip-hop": "breakbeat",
    "breakbeat": "hip-hop",
    "four-on-the-floor": "breakbeat",
    "reggae": "half-time",
}


def _word_score(word: str, keys: Sequence[str]) -> float:
    """1 when a key is the word or a whole word of it, 0.5 when a long key is inside it."""
    w = word.lower().strip()
    if any(k == w or (" " not in k and k in w.replace("-", " ").split()) for k in keys):
        return 1.0
    return 0.5 if any(k in w for k in keys if len(k) > 4) else 0.0


def choose_styles(
    genres: Sequence[str],
    mood: Sequence[str],
    bpm: float,
    instruments: Sequence[str] = (),
) -> list[str]:
    """Styles for a song, best first (1 to 4 of :data:`STYLES`).

    Genre words count twice as much as mood words (an earlier word wins a tie); an instrument
    that names brushes puts a brush style first: swung brushes where a word names swing (jazz,
    swing, lounge, ...), straight ones otherwise (folk, country and pop brushes, a plain waltz).
    A slow tempo (< 75 bpm) favours sparse and half-time, a fast one (> 150 bpm) half-time
    feels. Where a genre word names a style, the
    song gets that style and those scoring at least half as much; otherwise every style a word
    names, a lone one paired with a kindred style (swing with shuffle, hip-hop with breakbeat,
    ...) or rock, and with no matching word rock and half-time."""
    scores = dict.fromkeys(STYLES, 0.0)
    for weight, words in ((2.0, genres), (1.0, mood)):
        for i, word in enumerate(words):
            for style, keys in _STYLE_WORDS.items():
                # An earlier word wins a tie (the proposal's first genre leads).
                scores[style] += (weight - 0.01 * min(i, 10)) * _word_score(word, keys)
    if any(_word_score(word, _STYLE_WORDS["brushes"]) for word in instruments):
        scores["brushes" if scores["swing"] > 0 else "brushes-straight"] += 5.0
    if bpm < 75:
        scores["sparse"] += 0.75
        scores["half-time"] += 0.5
    elif bpm > 150:
        scores["half-time"] += 0.75
    ranked = sorted(STYLES, key=lambda s: (-scores[s], STYLES.index(s)))
    top = scores[ranked[0]]
    if top >= _NAMED:  # a genre names a style: it and those close to it, nothing else
        return [s for s in ranked if scores[s] >= 0.5 * top][:4]
    chosen = [s for s in ranked if scores[s] > 0][:4]
    companion = _COMPANIONS.get(chosen[0]) if chosen else None
    for fallback in (companion or "rock", "rock", "half-time", "funk"):
        if len(chosen) >= 2:
            break
        if fallback not in chosen:
            chosen.append(fallback)
    return chosen
