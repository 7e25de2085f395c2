"""Drum styles beyond rock, each one bar on any meter's pulses (see :mod:`generators.drums.feel`
for how a bar of 3/4, 5/4, 6/8 or 7/8 reads the 4/4 tables):

- ``swing``: the jazz ride (every pulse, and the last triplet of each backbeat pulse:
  "ding, ding-a ding"), the hi-hat's foot on the backbeat pulses; kick feathering and snare
  comping drawn from Groove MIDI's ``jazz`` beats, off-beat 8ths at their swing ratio.
- ``brushes``: Groove MIDI has no brush playing, so hand-set: soft snare taps on every pulse
  and its last triplet, accents on the backbeat, the hi-hat's foot, a feathered kick; timing
  from the ``jazz`` beats.
- ``brushes-straight``: the same hands on a straight grid (the tap on each pulse's ``&``), as
  brushes are played in folk, country and pop ballads and in a waltz that does not swing;
  timing from the ``jazz`` beats, the off-beat 8th left where it is.
- ``bossa``: the cross-stick figure (1, 2&, 4 in 4/4, repeating every three pulses) hand-set;
  kick, ride or hi-hat and timing learned from Groove's Brazilian ``latin`` beats (samba,
  baiao: the surdo's 1 and 2&).
- ``reggae``: the one-drop (kick and cross-stick on the bar's middle pulse, nothing on the
  downbeat) hand-set -- Groove's two ``reggae`` beats are steppers, a kick on every beat --
  with their hi-hats, velocities and timing.
- ``hip-hop``: learned from Groove's ``hiphop`` beats (kick on 1, snare on the backbeat,
  hi-hat 8ths and 16ths, open hats), the backbeat made sure of.
- ``four-on-the-floor``: the kick on every pulse (hand-set: Groove's ``dance/disco`` beats
  have it on 1 and 3 nearly always, on 2 and 4 in about half the bars), snare or clap, hats and
  open hats learned from them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np

from generators.drums.feel import (
    ANCHOR,
    CLASS_VOICES,
    LATTICE,
    Feel,
    Template,
    feel_of,
    offbeat_step,
    step_places,
)
from generators.drums.grid import CLOSED_HH, KICK, OPEN_HH, PEDAL_HH, RIDE, RIM, SNARE, Grid
from music.meter import kick_snare_pulses

GENRE_STYLES: Final = (
    "swing",
    "brushes",
    "brushes-straight",
    "bossa",
    "reggae",
    "hip-hop",
    "four-on-the-floor",
)
#: Styles whose time-keeper is part of the idiom (the jazz ride, the hi-hats of hip-hop, reggae
#: and four-on-the-floor, brushes on the snare): variation does not swap hats and ride.
KEPT_TIME: Final = frozenset(
    {"swing", "brushes", "brushes-straight", "reggae", "hip-hop", "four-on-the-floor"}
)
#: Onsets played in fewer of a style's bars than this are left out (a stray hit of a few bars).
RARE: Final = 0.12
#: Least share of a style's hits a voice needs to be offered as its time-keeper.
KEEPER_SHARE: Final = 0.1
#: Styles whose off-beat 8ths are placed at the learned swing ratio.
SWUNG: Final = frozenset({"swing", "brushes"})


def _feel(style: str) -> Feel:
    feel = feel_of(style)
    if feel is None:
        raise ValueError(f"drum feel: {style!r} -- not in the shipped drum_feel.json")
    return feel


def learned(
    feel: Feel,
    grid: Grid,
    rng: np.random.Generator,
    classes: Sequence[str],
    timekeepers: Sequence[str] = (),
    *,
    floor: float = RARE,
) -> Template:
    """Hits of ``classes`` drawn from the feel: a position played in at least
    :data:`~generators.drums.feel.ANCHOR` of the style's bars is played, any other with its
    probability, one played in fewer than ``floor`` of the bars not at all. With
    ``timekeepers``, one of them (by its share of the style's hits, among those with at least
    :data:`KEEPER_SHARE`) keeps time, its probabilities scaled so its most played position is
    always played."""
    scale = dict.fromkeys(classes, 1.0)
    if timekeepers:
        # A voice that keeps time in too few of the style's hits is not offered (a ride in
        # hip-hop); the one with the largest share always is.
        shares = {c: feel.shares.get(c, 0.0) for c in timekeepers}
        most = max(shares.values())
        timekeepers = [c for c in timekeepers if shares[c] >= min(most, KEEPER_SHARE)]
        weights = np.array([shares[c] + 1e-6 for c in timekeepers])
        keeper = timekeepers[int(rng.choice(len(timekeepers), p=weights / weights.sum()))]
        scale[keeper] = 1.0 / max(1e-6, float(feel.probability[keeper].max()))
    out: Template = []
    for s, place in enumerate(step_places(grid)):
        for cls, k in scale.items():
            p = min(1.0, feel.p(cls, place) * k)
            if p >= floor and (p >= ANCHOR or rng.random() < p):
                out.append((s, CLASS_VOICES[cls], feel.vel(cls, place)))
    opens = {s for s, v, _ in out if v == OPEN_HH}
    return [(s, v, vel) for s, v, vel in out if not (v == CLOSED_HH and s in opens)]


@functools.cache
def joined_positions(grid: Grid) -> tuple[tuple[int, ...], ...]:
    """Per step of a bar of ``grid``, the lattice positions it stands for: its own and each
    position its pulse lacks whose nearest present one it is, the later on a tie (on a triplet
    grid the ``&`` and the ``a`` join the last triplet, the ``e`` the first)."""
    places = step_places(grid)
    have: dict[int, set[int]] = {}
    for place in places:
        have.setdefault(place.pulse, set()).add(place.pos)

    def nearest(pulse: int, pos: int) -> int:
        return min(have[pulse], key=lambda h: (abs(LATTICE[h] - LATTICE[pos]), -h))

    return tuple(
        tuple(pos for pos in range(len(LATTICE)) if nearest(place.pulse, pos) == place.pos)
        for place in places
    )


def comping(feel: Feel, grid: Grid, rng: np.random.Generator, classes: Sequence[str]) -> Template:
    """Hits of ``classes`` drawn place by place with the probability the style plays them
    there, nothing anchored and no floor: a jazz drummer's kick and snare comp, each place in
    some bars and none in all (the anchored draw of :func:`learned` put the kick on every
    downbeat and dropped the many places played in a few bars each). A step plays for the
    lattice positions it stands for (:func:`joined_positions`)."""
    out: Template = []
    for s, (place, joined) in enumerate(
        zip(step_places(grid), joined_positions(grid), strict=True)
    ):
        for cls in classes:
            miss = np.prod([1.0 - feel.probability[cls][place.role, pos] for pos in joined])
            if rng.random() < 1.0 - miss:
                out.append((s, CLASS_VOICES[cls], feel.vel(cls, place)))
    return out


def _swing(grid: Grid, rng: np.random.Generator) -> Template:
    feel = _feel("swing")
    pulses = grid.pulse_steps
    places = step_places(grid)
    _, snares = kick_snare_pulses(len(pulses))
    t: Template = [(p, RIDE, feel.vel("ride", places[p])) for p in pulses]
    for i in snares:
        skip = offbeat_step(grid, i)
        if skip is not None:
            t.append((skip, RIDE, feel.vel("ride", places[skip]) - 8))
        t.append((pulses[i], PEDAL_HH, feel.vel("closed_hh", places[pulses[i]])))
    return t + comping(feel, grid, rng, ("kick", "snare"))


def _brushes(grid: Grid, rng: np.random.Generator) -> Template:
    pulses = grid.pulse_steps
    kicks, snares = kick_snare_pulses(len(pulses))
    t: Template = []
    for i, p in enumerate(pulses):
        t.append((p, SNARE, 60 if i in snares else 40))
        tap = offbeat_step(grid, i)
        if tap is not None:
            t.append((tap, SNARE, 32))
    t += [(pulses[i], PEDAL_HH, 55) for i in snares]
    t += [(pulses[i], KICK, 42) for i in kicks if i == 0 or rng.random() < 0.6]
    return t


def _bossa(grid: Grid, rng: np.random.Generator) -> Template:
    feel = _feel("bossa")
    t: Template = []
    for i, p in enumerate(grid.pulse_steps):
        step = p if i % 3 == 0 else offbeat_step(grid, i) if i % 3 == 1 else None
        if step is not None:
            t.append((step, RIM, 76))
    return t + learned(feel, grid, rng, ("kick",), ("closed_hh", "ride"), floor=0.3)


def _reggae(grid: Grid, rng: np.random.Generator) -> Template:
    feel = _feel("reggae")
    pulses = grid.pulse_steps
    places = step_places(grid)
    drop = pulses[len(pulses) // 2] if len(pulses) > 1 else 0
    t: Template = [(drop, KICK, feel.vel("kick", places[drop])), (drop, RIM, 84)]
    return t + learned(feel, grid, rng, ("open_hh",), ("closed_hh",))


def _hip_hop(grid: Grid, rng: np.random.Generator) -> Template:
    feel = _feel("hip-hop")
    pulses = grid.pulse_steps
    places = step_places(grid)
    t = learned(feel, grid, rng, ("kick", "snare", "open_hh"), ("closed_hh", "ride"))
    _, snares = kick_snare_pulses(len(pulses))
    have = {(s, v) for s, v, _ in t}
    must = [(0, KICK)] + [(pulses[i], SNARE) for i in snares]
    for s, v in must:
        if (s, v) not in have:
            cls = "kick" if v == KICK else "snare"
            t.append((s, v, feel.vel(cls, places[s])))
    return t


def _four_on_the_floor(grid: Grid, rng: np.random.Generator) -> Template:
    feel = _feel("four-on-the-floor")
    places = step_places(grid)
    t: Template = [(p, KICK, feel.vel("kick", places[p])) for p in grid.pulse_steps]
    return t + learned(feel, grid, rng, ("snare", "open_hh"), ("closed_hh", "ride"))


BUILDERS: Final[dict[str, Callable[[Grid, np.random.Generator], Template]]] = {
    "swing": _swing,
    "brushes": _brushes,
    "brushes-straight": _brushes,
    "bossa": _bossa,
    "reggae": _reggae,
    "hip-hop": _hip_hop,
    "four-on-the-floor": _four_on_the_floor,
}
