"""The drum classes a kit sorts its hits into, and how General MIDI drum notes map onto them.

Classes: ``kick``, ``snare``, ``closed_hat``, ``open_hat``, ``tom``, ``cymbal`` (crash, ride,
splash, china), ``clap`` and ``perc`` (other percussion: cowbell, tambourine, shaker, wood,
bells, hand drums, anything else). A note whose class has no hit in the kit borrows from the
nearest class that has (:data:`FALLBACKS`).
"""

from __future__ import annotations

from typing import Final, Literal

DrumClass = Literal["kick", "snare", "closed_hat", "open_hat", "tom", "cymbal", "clap", "perc"]
CLASSES: Final[tuple[DrumClass, ...]] = (
    "kick",
    "snare",
    "closed_hat",
    "open_hat",
    "tom",
    "cymbal",
    "clap",
    "perc",
)

_KICKS = (35, 36)
_SNARES = (38, 40)
_CLOSED = (42, 44)
_TOMS = (41, 43, 45, 47, 48, 50)
_CYMBALS = (49, 51, 52, 53, 55, 57, 59)

#: General MIDI drum note (35..81) -> its class; every other note of the range is ``perc``.
GM_CLASS: Final[dict[int, DrumClass]] = {
    **{n: "perc" for n in range(27, 88)},
    **{n: "kick" for n in _KICKS},
    **{n: "snare" for n in _SNARES},
    **{n: "closed_hat" for n in _CLOSED},
    46: "open_hat",
    **{n: "tom" for n in _TOMS},
    **{n: "cymbal" for n in _CYMBALS},
    39: "clap",
}

#: Classes to borrow from, nearest first, when the kit has no hit of a note's class.
FALLBACKS: Final[dict[DrumClass, tuple[DrumClass, ...]]] = {
    "kick": ("tom",),
    "snare": ("clap", "tom"),
    "closed_hat": ("perc", "open_hat"),
    "open_hat": ("closed_hat", "cymbal"),
    "tom": ("snare", "kick"),
    "cymbal": ("open_hat", "closed_hat"),
    "clap": ("snare",),
    "perc": ("closed_hat", "snare"),
}


def class_of_note(pitch: int) -> DrumClass | None:
    """The class of General MIDI drum note ``pitch``, or None outside the drum map (27..87)."""
    return GM_CLASS.get(int(pitch))


def check_class(name: str) -> DrumClass:
    """``name`` when it is one of :data:`CLASSES`; ValueError listing them otherwise."""
    for c in CLASSES:
        if name == c:
            return c
    raise ValueError(f"drum class: {name!r} -- one of {', '.join(CLASSES)}")


Role = Literal["core", "accent", "motion", "fill", "texture"]
#: The seed's roles: Core keeps time, Accent marks, Motion drives, Fill connects, Texture
#: colours (the same as the drum generator's, generators/drums/grid.py; a test keeps them equal).
ROLES: Final[tuple[Role, ...]] = ("core", "accent", "motion", "fill", "texture")

#: The role each General MIDI drum voice plays (as the drum generator gives them); other notes
#: are texture.
NOTE_ROLES: Final[dict[int, Role]] = {
    36: "core",
    38: "core",
    49: "accent",
    46: "accent",
    39: "accent",
    42: "motion",
    44: "motion",
    51: "motion",
    82: "motion",
    45: "fill",
    47: "fill",
    50: "fill",
    37: "texture",
    56: "texture",
    54: "texture",
}
