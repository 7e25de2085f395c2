"""Drum feels learned from the Groove MIDI Dataset's style labels (built by
:mod:`training.drums.feel` into ``generators/data/drum_feel.json``): for a style, how often each
drum class plays at each position of each beat of a 4/4 bar, how loud, and where the positions
really fall (swing and micro-timing).

A bar of any meter is read through the 4/4 table beat by beat: its counted pulses
(:attr:`Grid.pulse_steps`) take the roles of 4/4's beats -- the first kick pulse is beat 1,
other kick pulses beat 3, the last snare pulse beat 4 and other snare pulses beat 2 (pulses
as :func:`music.meter.kick_snare_pulses` splits them) -- and each step takes the nearest
position of :data:`LATTICE` inside its beat (16ths and triplets alike; a 6/8 beat's eighths are
its triplets). Timing means apply in beats of two halves (quarters, two-eighth groups); a
three-eighth beat gets the spread only. Given the song's tempo, the spread is the learned one in
milliseconds (Groove's drummers spread about as many milliseconds at 70 bpm as at 140, not
twice as many); without it, the learned one in beats.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from generators.drums.grid import CLOSED_HH, KICK, OPEN_HH, PEDAL_HH, RIDE, SNARE, Grid
from music.meter import kick_snare_pulses

FORMAT_VERSION: Final = 2
#: Positions inside a beat, in twelfths: beat, e, first triplet, &, let (last triplet), a.
LATTICE: Final = (0, 3, 4, 6, 8, 9)
#: Drum classes of the table and the genome voice each is played on.
CLASSES: Final = ("kick", "snare", "closed_hh", "open_hh", "ride")
CLASS_VOICES: Final[dict[str, int]] = {
    "kick": KICK,
    "snare": SNARE,
    "closed_hh": CLOSED_HH,
    "open_hh": OPEN_HH,
    "ride": RIDE,
}
#: Genome voices read as a class of the table (the hi-hat's foot as the closed hi-hat).
VOICE_CLASSES: Final[dict[int, str]] = {
    **{v: c for c, v in CLASS_VOICES.items()},
    PEDAL_HH: "closed_hh",
}
#: Least share of a style's bars that play a class at a place for its learned velocity to count.
KNOWN_CELL: Final = 0.05
ARTIFACT_PACKAGE: Final = "generators.data"
ARTIFACT_NAME: Final = "drum_feel.json"
#: A learned onset probability at or above this is played in every bar of the style.
ANCHOR: Final = 0.5
#: Largest micro-offset a learned feel gives, in steps.
MAX_FEEL_OFFSET: Final = 0.45
#: A one-bar drum template: (step inside the bar, voice, base velocity).
Template = list[tuple[int, int, int]]
_LET: Final = LATTICE.index(8)
_AND: Final = LATTICE.index(6)


def beat_roles(n: int) -> tuple[int, ...]:
    """The 4/4 beat (0..3) each of ``n`` pulses plays the role of."""
    kicks, snares = kick_snare_pulses(n)
    roles = [0] * n
    for k, i in enumerate(kicks):
        roles[i] = 0 if k == 0 else 2
    for k, i in enumerate(snares):
        roles[i] = 3 if k == len(snares) - 1 else 1
    return tuple(roles)


@dataclass(frozen=True, slots=True)
class StepPlace:
    """Where a step of a bar sits for the feel table: its pulse, 4/4 beat role, lattice index,
    fraction of its beat (swing included) and the beat's length in quarter notes."""

    pulse: int
    role: int
    pos: int
    frac: float
    beat_qn: float

    @property
    def binary(self) -> bool:
        """A beat of two halves (a quarter or a two-eighth group), where swing means apply."""
        return self.beat_qn <= 1.0 + 1e-9


@functools.cache
def step_places(grid: Grid) -> tuple[StepPlace, ...]:
    """One :class:`StepPlace` per step of a bar of ``grid``."""
    pulses = grid.pulse_steps
    roles = beat_roles(len(pulses))
    bar_qn = grid.meter.bar_qn
    out = []
    for s in range(grid.steps_per_bar):
        i = max(k for k, p in enumerate(pulses) if p <= s)
        start = grid.step_in_bar_qn(pulses[i])
        end = grid.step_in_bar_qn(pulses[i + 1]) if i + 1 < len(pulses) else bar_qn
        frac = (grid.step_in_bar_qn(s) - start) / (end - start)
        pos = min(range(len(LATTICE)), key=lambda k: abs(LATTICE[k] - frac * 12.0))
        out.append(StepPlace(pulse=i, role=roles[i], pos=pos, frac=frac, beat_qn=end - start))
    return tuple(out)


def step_at(grid: Grid, pulse: int, pos: int) -> int | None:
    """The step of ``grid`` at lattice index ``pos`` of pulse ``pulse``; None where the grid
    has no step there."""
    for s, place in enumerate(step_places(grid)):
        if place.pulse == pulse and place.pos == pos:
            return s
    return None


def offbeat_step(grid: Grid, pulse: int) -> int | None:
    """The off-beat 8th of a pulse: its ``&`` on a straight grid, its ``let`` on a triplet
    grid or in a three-eighth beat (its last eighth)."""
    places = [p for p in step_places(grid) if p.pulse == pulse]
    ternary = bool(places) and places[0].beat_qn > 1.0 + 1e-9
    pos = _LET if grid.feel == "triplet" or ternary else _AND
    return step_at(grid, pulse, pos)


@dataclass(frozen=True, slots=True)
class Feel:
    """One style's learned table (see the module docstring). ``probability`` and
    ``velocity`` map a class to ``[4 beats, len(LATTICE)]``; ``timing`` is the mean distance of
    each lattice position from its place, in beats, and ``timing_sd`` / ``timing_sd_ms`` the
    spread around it in beats and in milliseconds; ``swing_ratio`` the median position of the
    off-beat 8ths of the hats and ride inside their beat."""

    style: str
    probability: dict[str, NDArray[np.float64]]
    velocity: dict[str, NDArray[np.float64]]
    timing: tuple[float, ...]
    timing_sd: float
    timing_sd_ms: float
    swing_ratio: float
    shares: dict[str, float]
    groove_styles: tuple[str, ...]
    bars: int

    def p(self, cls: str, place: StepPlace) -> float:
        return float(self.probability[cls][place.role, place.pos])

    def vel(self, cls: str, place: StepPlace, default: int = 80) -> int:
        v = float(self.velocity[cls][place.role, place.pos])
        return round(v) if v > 0 else default

    def played_vel(self, voice: int, place: StepPlace, default: int) -> int:
        """The learned velocity of ``voice``'s class at ``place`` where the style plays it in at
        least :data:`KNOWN_CELL` of its bars (fewer bars say little); else ``default``."""
        cls = VOICE_CLASSES.get(voice)
        if cls is None or self.p(cls, place) < KNOWN_CELL:
            return default
        return self.vel(cls, place, default)

    def offset(
        self,
        grid: Grid,
        step_in_bar: int,
        rng: np.random.Generator,
        *,
        swung: bool,
        bpm: float | None = None,
    ) -> float:
        """A micro-offset (steps) for a hit on ``step_in_bar``: to the learned place of its
        lattice position (with ``swung``, the off-beat 8th to :attr:`swing_ratio`) plus the
        learned spread (in milliseconds at ``bpm``, quarter notes a minute, when given)."""
        place = step_places(grid)[step_in_bar]
        target = place.frac
        if place.binary:
            target = LATTICE[place.pos] / 12.0 + self.timing[place.pos]
            if swung and place.pos in (_AND, _LET):
                target = self.swing_ratio
        shift_qn = (target - place.frac) * place.beat_qn
        if bpm is None:
            spread_qn = self.timing_sd * place.beat_qn
        else:
            spread_qn = self.timing_sd_ms / 1000.0 * bpm / 60.0
        off = (shift_qn + float(rng.normal(0.0, spread_qn))) / grid.step_qn
        return min(MAX_FEEL_OFFSET, max(-MAX_FEEL_OFFSET, off))


def _feel(style: str, entry: dict[str, Any]) -> Feel:
    shape = (4, len(LATTICE))

    def table(name: str) -> dict[str, NDArray[np.float64]]:
        out = {}
        for cls in CLASSES:
            values = np.asarray(entry[name][cls], dtype=np.float64)
            if values.shape != shape:
                raise ValueError(
                    f"{ARTIFACT_NAME}: styles.{style}.{name}.{cls} has shape {values.shape} -- "
                    f"{shape} (4 beats x {len(LATTICE)} positions)"
                )
            out[cls] = values
        return out

    return Feel(
        style=style,
        probability=table("probability"),
        velocity=table("velocity"),
        timing=tuple(float(x) for x in entry["timing"]),
        timing_sd=float(entry["timing_sd"]),
        timing_sd_ms=float(entry["timing_sd_ms"]),
        swing_ratio=float(entry["swing_ratio"]),
        shares={k: float(v) for k, v in entry["shares"].items()},
        groove_styles=tuple(entry["groove_styles"]),
        bars=int(entry["bars"]),
    )


def parse_feels(data: dict[str, Any]) -> dict[str, Feel]:
    """The feels of a ``drum_feel.json`` document; ValueError naming the field when it is not
    one this program reads."""
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{ARTIFACT_NAME}: format_version {version!r} -- {FORMAT_VERSION}; rebuild it with "
            "`chromatic train drum-feel`"
        )
    if tuple(data.get("lattice_twelfths", ())) != LATTICE or tuple(data.get("classes", ())) != (
        CLASSES
    ):
        raise ValueError(
            f"{ARTIFACT_NAME}: lattice_twelfths/classes -- {list(LATTICE)} and {list(CLASSES)}"
        )
    try:
        return {style: _feel(style, entry) for style, entry in data["styles"].items()}
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"{ARTIFACT_NAME}: styles -- a missing or malformed field ({exc})"
        ) from None


@functools.cache
def shipped_feels() -> dict[str, Feel]:
    """The feels shipped with the package (read once)."""
    text = resources.files(ARTIFACT_PACKAGE).joinpath(ARTIFACT_NAME).read_text(encoding="utf-8")
    return parse_feels(json.loads(text))


def feel_of(style: str) -> Feel | None:
    """The learned feel of a generator style; None for a style Groove has no label for."""
    return shipped_feels().get(style)
