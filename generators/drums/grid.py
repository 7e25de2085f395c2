"""The drum grid: steps inside a bar of any meter, their metrical strength, swing, and the
General MIDI drum voices grouped into the roles of seed 001 (Core, Accent, Motion, Fill,
Texture).

A step is one subdivision of the meter's denominator unit: straight 16ths are 4 steps per quarter
(``/4`` meters) or 2 per eighth (``/8`` meters); triplets are 3 steps per quarter. 7/8 is felt as
its :attr:`music.meter.Meter.groups` (2+2+3 eighths): three felt beats of 4, 4 and 6 steps.
Swing delays the second step of each pair of steps; step times are in quarter notes (qn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from music.gm import (
    CLAP,
    CLOSED_HH,
    COWBELL,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    MID_TOM,
    OPEN_HH,
    PEDAL_HH,
    RIDE,
    RIM,
    SHAKER,
    SNARE,
    TAMBOURINE,
)
from music.meter import Meter

Role = Literal["core", "accent", "motion", "fill", "texture"]
ROLES: Final[tuple[Role, ...]] = ("core", "accent", "motion", "fill", "texture")

#: The role each voice plays (seed 001): Core keeps time, Accent marks, Motion drives,
#: Fill connects sections, Texture colours.
VOICE_ROLES: Final[dict[int, Role]] = {
    KICK: "core",
    SNARE: "core",
    CRASH: "accent",
    OPEN_HH: "accent",
    CLAP: "accent",
    CLOSED_HH: "motion",
    PEDAL_HH: "motion",
    RIDE: "motion",
    SHAKER: "motion",
    LOW_TOM: "fill",
    MID_TOM: "fill",
    HIGH_TOM: "fill",
    RIM: "texture",
    COWBELL: "texture",
    TAMBOURINE: "texture",
}

VOICE_NAMES: Final[dict[int, str]] = {
    KICK: "kick",
    RIM: "rim",
    SNARE: "snare",
    CLAP: "clap",
    CLOSED_HH: "closed hat",
    PEDAL_HH: "pedal hat",
    LOW_TOM: "low tom",
    OPEN_HH: "open hat",
    MID_TOM: "mid tom",
    CRASH: "crash",
    HIGH_TOM: "high tom",
    RIDE: "ride",
    TAMBOURINE: "tambourine",
    COWBELL: "cowbell",
    SHAKER: "shaker",
}

#: Voices in a fixed display and ordering sequence (kick first).
VOICES: Final[tuple[int, ...]] = tuple(VOICE_NAMES)

Feel = Literal["straight", "swing", "triplet"]
FEELS: Final[tuple[Feel, ...]] = ("straight", "swing", "triplet")
#: Swing ratio of the ``swing`` feel: the first of each step pair lasts 62% of the pair.
DEFAULT_SWING: Final = 0.62
MAX_SWING: Final = 0.75


def role_of(voice: int) -> Role:
    """The role of a GM drum note; raises ValueError for a voice this program does not use."""
    try:
        return VOICE_ROLES[voice]
    except KeyError:
        raise ValueError(
            f"drum voice: {voice!r} -- one of the GM drum notes "
            f"{', '.join(f'{v} ({n})' for v, n in VOICE_NAMES.items())}"
        ) from None


def voices_of(role: str) -> tuple[int, ...]:
    """Voices with ``role``; raises ValueError for an unknown role."""
    if role not in ROLES:
        raise ValueError(f"drum role: {role!r} -- one of {', '.join(ROLES)}")
    return tuple(v for v in VOICES if VOICE_ROLES[v] == role)


@dataclass(frozen=True, slots=True)
class Grid:
    """Steps of one bar of ``meter``.

    Attributes:
        meter: the time signature and its felt-beat groups.
        steps_per_unit: steps per denominator unit (4 = 16ths in /4, 2 = 16ths in /8,
            3 = triplet eighths in /4).
        swing: the first step of each step pair lasts this fraction of the pair (0.5 straight,
            up to 0.75); applies only when ``steps_per_unit`` is even.
    """

    meter: Meter
    steps_per_unit: int
    swing: float = 0.5
    # Derived once in __post_init__ (the grid is read in every score and operator call).
    _steps_per_bar: int = field(init=False, repr=False, compare=False)
    _beats: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _pulses: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _strong: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _levels: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _times: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.steps_per_unit, int) or not 1 <= self.steps_per_unit <= 16:
            raise ValueError(
                f"Grid.steps_per_unit: {self.steps_per_unit!r} -- an integer 1..16 steps per "
                f"1/{self.meter.denominator} note"
            )
        if not 0.5 <= self.swing <= MAX_SWING:
            raise ValueError(f"Grid.swing: {self.swing!r} -- a ratio in [0.5, {MAX_SWING}]")
        if self.swing != 0.5 and self.steps_per_unit % 2:
            raise ValueError(
                f"Grid.swing: {self.swing!r} -- swing needs an even steps_per_unit, got "
                f"{self.steps_per_unit} (a triplet grid already swings)"
            )
        spu = self.steps_per_unit
        spb = self.meter.numerator * spu
        beats: list[int] = []
        pos = 0
        for g in self.meter.groups:
            beats.append(pos * spu)
            pos += g
        step_qn = self.meter.unit_qn / spu
        strong = tuple(s for s in beats if self.meter.is_strong(s * step_qn))
        pulses = tuple(range(0, spb, spu)) if self.meter.denominator <= 4 else tuple(beats)
        levels = []
        times = []
        for s in range(spb):
            if s == 0:
                level = 0
            elif s in strong:
                level = 1
            elif s in beats:
                level = 2
            elif s % spu == 0:
                level = 3
            elif spu % 2 == 0 and s % (spu // 2) == 0:
                level = 4
            else:
                level = 5
            levels.append(level)
            unit, sub = divmod(s, spu)
            frac = (sub - 1 + 2 * self.swing) / spu if self.swing != 0.5 and sub % 2 else sub / spu
            times.append((unit + frac) * self.meter.unit_qn)
        for name, value in (
            ("_steps_per_bar", spb),
            ("_beats", tuple(beats)),
            ("_pulses", pulses),
            ("_strong", strong),
            ("_levels", tuple(levels)),
            ("_times", tuple(times)),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def for_meter(cls, meter: Meter, feel: str = "straight", *, swing: float | None = None) -> Grid:
        """The grid of ``meter`` in a feel: ``straight`` 16ths, ``swing`` (16ths with the second
        of each pair delayed, ratio ``swing`` or :data:`DEFAULT_SWING`), or ``triplet`` (three
        steps per quarter; only /1, /2 and /4 meters, as compound /8 meters are ternary)."""
        sixteenths = max(1, 16 // meter.denominator)
        if feel == "straight":
            return cls(meter, sixteenths)
        if feel == "swing":
            if sixteenths % 2:
                raise ValueError(f"feel: 'swing' -- a 1/{meter.denominator} meter has no pairs")
            return cls(meter, sixteenths, DEFAULT_SWING if swing is None else swing)
        if feel == "triplet":
            if meter.denominator > 4:
                raise ValueError(
                    f"feel: 'triplet' in {meter} -- triplets need a /1, /2 or /4 meter; "
                    "/8 meters are ternary already, use 'straight' or 'swing'"
                )
            return cls(meter, 3 * (4 // meter.denominator))
        raise ValueError(f"feel: {feel!r} -- one of {', '.join(FEELS)}")

    # ------------------------------------------------------------------ sizes
    @property
    def steps_per_bar(self) -> int:
        return self._steps_per_bar

    @property
    def step_qn(self) -> float:
        """Length of one unswung step in quarter notes."""
        return self.meter.unit_qn / self.steps_per_unit

    @property
    def steps_per_qn(self) -> float:
        return 1.0 / self.step_qn

    @property
    def feel(self) -> Feel:
        if self.steps_per_unit % 3 == 0 and self.meter.denominator <= 4:
            return "triplet"
        return "swing" if self.swing != 0.5 else "straight"

    @property
    def beat_steps(self) -> tuple[int, ...]:
        """First step of each felt beat (one per meter group): 7/8 -> (0, 4, 8)."""
        return self._beats

    @property
    def pulse_steps(self) -> tuple[int, ...]:
        """The counted pulses: every quarter in /4 (and /2, /1) meters, every felt beat (group)
        in /8 meters. 5/4 -> five pulses; 6/8 -> two; 7/8 -> three."""
        return self._pulses

    @property
    def strong_steps(self) -> tuple[int, ...]:
        """Steps the meter counts as strong (:meth:`music.meter.Meter.is_strong`)."""
        return self._strong

    @property
    def eighth_steps(self) -> int:
        """Steps per eighth note (1 on a triplet or eighth grid)."""
        return max(1, round(0.5 / self.step_qn)) if self.feel != "triplet" else 1

    def level(self, step: int) -> int:
        """Metrical level of a step inside the bar: 0 downbeat, 1 other strong beat, 2 felt
        beat, 3 denominator unit, 4 half unit (e.g. the '&' of a beat in /4), 5 anything finer."""
        return self._levels[step % self._steps_per_bar]

    def weight(self, step: int) -> float:
        """Metrical weight in [0, 1]: 1 on the downbeat, falling by level to 0 (finest)."""
        return (5 - self.level(step)) / 5.0

    # ------------------------------------------------------------------ times
    @property
    def step_times_qn(self) -> tuple[float, ...]:
        """Onset of each step of a bar in quarter notes, with swing applied."""
        return self._times

    def step_in_bar_qn(self, step_in_bar: int) -> float:
        """Onset of a step inside the bar in quarter notes, with swing applied."""
        if not 0 <= step_in_bar < self._steps_per_bar:
            raise ValueError(
                f"step: {step_in_bar!r} -- 0..{self._steps_per_bar - 1} in a bar of this grid"
            )
        return self._times[step_in_bar]

    def step_qn_at(self, step: int, offset: float = 0.0) -> float:
        """Onset of an absolute step (bars counted from 0) plus a micro-offset given in
        fractions of a step, in quarter notes."""
        bar, s = divmod(step, self.steps_per_bar)
        return bar * self.meter.bar_qn + self.step_in_bar_qn(s) + offset * self.step_qn

    def nearest_step(self, qn: float) -> tuple[int, float]:
        """The absolute step nearest to a time (quarter notes) and the remainder in fractions of
        a step, so ``step_qn_at(*nearest_step(t)) == t`` (up to rounding)."""
        bar = int(qn // self.meter.bar_qn)
        best = (0, float("inf"))
        for cand_bar in (bar - 1, bar, bar + 1):
            if cand_bar < 0:
                continue
            for s in range(self.steps_per_bar):
                t = cand_bar * self.meter.bar_qn + self.step_in_bar_qn(s)
                if abs(t - qn) < abs(best[1]):
                    best = (cand_bar * self.steps_per_bar + s, qn - t)
        return best[0], best[1] / self.step_qn

    def count_label(self, step: int) -> str:
        """How a musician counts a step: '1', '2&', '3e', '4a' in 4/4; '1', '1-trip', '1-let'
        on a triplet grid; eighths '1'..'7' (with '&' for 16ths) in /8 meters."""
        s = step % self.steps_per_bar
        unit, sub = divmod(s, self.steps_per_unit)
        n = unit + 1
        if sub == 0:
            return str(n)
        names = {4: ("", "e", "&", "a"), 3: ("", "-trip", "-let"), 2: ("", "&")}
        if self.steps_per_unit in names:
            return f"{n}{names[self.steps_per_unit][sub]}"
        return f"{n}.{sub + 1}"
