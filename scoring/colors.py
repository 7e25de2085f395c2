"""The chromatic taxonomy (DESIGN §3): the one place colors, their modes and targets live.

Three axes with three modes each, in a fixed vector order::

    temporal     [past, present, future]
    spatial      [thing, place, person]
    ontological  [imagined, forgotten, known]

Each color names at most one mode per axis (Indigo names two ontological modes, Black and
White name none). Target distributions are derived by one rule in :func:`target_vector`:

* an axis with one mode: that mode 0.8, the other two 0.1;
* an axis with two modes (Indigo's ontological known + forgotten): each 0.4, the third 0.1;
* an axis with no mode: uniform, 1/3 each.

Every axis is then normalised to sum to 1. Only Indigo changes under normalisation
(0.4, 0.4, 0.1 sums to 0.9 and becomes 4/9, 4/9, 1/9); the arithmetic is exact (fractions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

#: Axis name -> its modes, in vector order.
AXES: Final[Mapping[str, tuple[str, str, str]]] = {
    "temporal": ("past", "present", "future"),
    "spatial": ("thing", "place", "person"),
    "ontological": ("imagined", "forgotten", "known"),
}

_ONE_MODE: Final = (Fraction(8, 10), Fraction(1, 10))  # (named mode, each other mode)
_TWO_MODES: Final = (Fraction(4, 10), Fraction(1, 10))


@dataclass(frozen=True, slots=True)
class ColorSpec:
    """One color of the taxonomy.

    Attributes:
        name: canonical name, e.g. ``"Indigo"``.
        temporal, spatial, ontological: the modes the color names on each axis (empty: none).
        moods, genres: catalogue examples from the original system.
        instrumental: True when the catalogue's songs of this color are instrumental.
    """

    name: str
    temporal: tuple[str, ...]
    spatial: tuple[str, ...]
    ontological: tuple[str, ...]
    moods: tuple[str, ...]
    genres: tuple[str, ...]
    instrumental: bool = False

    def __post_init__(self) -> None:
        for axis, modes in AXES.items():
            named = getattr(self, axis)
            unknown = [m for m in named if m not in modes]
            if unknown or len(named) > 2 or len(set(named)) != len(named):
                raise ValueError(
                    f"ColorSpec {self.name}.{axis}: {named!r} -- up to two distinct modes of "
                    f"{', '.join(modes)}"
                )

    def modes(self, axis: str) -> tuple[str, ...]:
        """The modes this color names on ``axis`` (``"temporal"``, ``"spatial"``, ...)."""
        if axis not in AXES:
            raise ValueError(f"axis: {axis!r} -- one of {', '.join(AXES)}")
        named: tuple[str, ...] = getattr(self, axis)
        return named


_SPECS: Final = (
    ColorSpec(
        "Red",
        ("past",),
        ("thing",),
        ("known",),
        ("dreamy", "retro", "hypnotic", "nostalgic", "sad"),
        ("electro rock", "experimental"),
    ),
    ColorSpec(
        "Orange",
        ("past",),
        ("thing",),
        ("imagined",),
        ("intense", "chaotic", "nostalgic", "surreal"),
        ("post-punk", "art rock"),
    ),
    ColorSpec(
        "Yellow",
        ("future",),
        ("place",),
        ("imagined",),
        ("dreamy", "mysterious", "whimsical", "cosmic"),
        ("electronic", "ambient", "kosmische"),
        instrumental=True,
    ),
    ColorSpec(
        "Green",
        ("future",),
        ("place",),
        ("forgotten",),
        ("dark", "eerie", "epic", "ominous"),
        ("ambient", "modern classical", "noise"),
        instrumental=True,
    ),
    ColorSpec(
        "Blue",
        ("present",),
        ("person",),
        ("forgotten",),
        ("melancholic", "nostalgic", "regretful", "wistful"),
        ("folk rock", "americana"),
    ),
    ColorSpec(
        "Indigo",
        (),
        (),
        ("known", "forgotten"),
        ("dreamy", "hypnotic", "sci-fi", "surreal"),
        ("post-rock", "electronic"),
    ),
    ColorSpec(
        "Violet",
        ("present",),
        ("person",),
        ("known",),
        ("melancholic", "creepy", "ironic", "catchy"),
        ("pop", "soul"),
    ),
    ColorSpec(
        "Black",
        (),
        (),
        (),
        ("dreamy", "dark", "ethereal", "eerie"),
        ("art rock", "experimental"),
    ),
    ColorSpec("White", (), (), (), ("synthesis of all",), ()),
)

#: Canonical name -> spec, in the taxonomy's order (Red .. White).
COLORS: Final[Mapping[str, ColorSpec]] = {spec.name: spec for spec in _SPECS}

#: Canonical color names, in order.
COLOR_NAMES: Final[tuple[str, ...]] = tuple(COLORS)

#: The original system's one-letter mnemonic of each color (``mnemonic_character_value``).
MNEMONICS: Final[Mapping[str, str]] = {
    "R": "Red",
    "O": "Orange",
    "Y": "Yellow",
    "G": "Green",
    "B": "Blue",
    "I": "Indigo",
    "V": "Violet",
    "Z": "Black",
    "A": "White",
}

_BY_LOWER: Final = {name.lower(): name for name in COLOR_NAMES}
_BY_LETTER: Final = {letter.lower(): name for letter, name in MNEMONICS.items()}

_ALLOWED: Final = (
    f"one of {', '.join(COLOR_NAMES)} (any case), a one-letter mnemonic "
    f"({', '.join(f'{k} {v}' for k, v in MNEMONICS.items())}), or a mapping with 'color_name' "
    "and/or 'mnemonic_character_value' set to one of them"
)


def _name_or_letter(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return _BY_LOWER.get(text) or _BY_LETTER.get(text)


@dataclass(frozen=True, slots=True)
class ColorTarget:
    """A color's target distributions, each a probability vector in :data:`AXES` order."""

    temporal: tuple[float, float, float]
    spatial: tuple[float, float, float]
    ontological: tuple[float, float, float]

    def axis(self, name: str) -> tuple[float, float, float]:
        """The distribution on one axis by name."""
        if name not in AXES:
            raise ValueError(f"axis: {name!r} -- one of {', '.join(AXES)}")
        values: tuple[float, float, float] = getattr(self, name)
        return values

    def as_dict(self) -> dict[str, dict[str, float]]:
        """``{"temporal": {"past": .., "present": .., "future": ..}, "spatial": {..}, ...}``."""
        return {
            axis: dict(zip(modes, self.axis(axis), strict=True)) for axis, modes in AXES.items()
        }

    def flat(self) -> tuple[float, ...]:
        """All nine values, temporal then spatial then ontological."""
        return (*self.temporal, *self.spatial, *self.ontological)


def parse_color(value: object) -> str:
    """Canonical color name from ``"indigo"``, ``"  VIOLET "``, a mnemonic letter (``"Z"`` is
    Black, see :data:`MNEMONICS`), or the original system's mapping ``{"color_name": "Blue",
    "mnemonic_character_value": "B", ...}`` (either key is enough; given both, they must name
    the same color; other keys such as ``hex_value`` or ``temporal_mode`` are ignored).

    Raises ValueError naming the bad value and the allowed names.
    """
    if not isinstance(value, Mapping):
        name = _name_or_letter(value)
        if name is None:
            raise ValueError(f"color: {value!r} -- {_ALLOWED}")
        return name
    named = {k: value[k] for k in ("color_name", "mnemonic_character_value") if k in value}
    found = {k: _name_or_letter(v) for k, v in named.items()}
    if not found or None in found.values():
        raise ValueError(f"color: {value!r} -- {_ALLOWED}")
    if len(set(found.values())) > 1:
        raise ValueError(
            f"color: {value!r} -- color_name and mnemonic_character_value naming the same "
            f"color (they name {found['color_name']} and {found['mnemonic_character_value']})"
        )
    (name,) = set(found.values())
    assert name is not None  # checked above
    return name


def color_spec(color: object) -> ColorSpec:
    """The :class:`ColorSpec` of a color given in any form :func:`parse_color` accepts."""
    return COLORS[parse_color(color)]


def _axis_distribution(named: tuple[str, ...], modes: tuple[str, str, str]) -> tuple[float, ...]:
    if not named:
        raw = [Fraction(1, 3)] * 3
    else:
        hit, miss = _ONE_MODE if len(named) == 1 else _TWO_MODES
        raw = [hit if mode in named else miss for mode in modes]
    total = sum(raw)
    return tuple(float(x / total) for x in raw)


def target_vector(color: object) -> ColorTarget:
    """The target distributions of a color (any form :func:`parse_color` accepts).

    >>> target_vector("red").temporal
    (0.8, 0.1, 0.1)
    """
    spec = color_spec(color)
    t, s, o = (_axis_distribution(spec.modes(axis), modes) for axis, modes in AXES.items())
    return ColorTarget(
        temporal=(t[0], t[1], t[2]),
        spatial=(s[0], s[1], s[2]),
        ontological=(o[0], o[1], o[2]),
    )


_MODE_PHRASES: Final[Mapping[str, str]] = {
    "past": "the past",
    "present": "the present",
    "future": "the future",
    "thing": "things and objects",
    "place": "places",
    "person": "a person",
    "imagined": "the imagined",
    "forgotten": "the forgotten",
    "known": "the known",
}

_NO_MODE_PHRASES: Final[Mapping[str, str]] = {
    "temporal": "no fixed time",
    "spatial": "no fixed subject",
    "ontological": "no fixed way of being",
}


def descriptor(color: object) -> str:
    """A sentence describing a color by its modes, moods and genres (text for zero-shot heads).

    >>> descriptor("Blue")  # doctest: +NORMALIZE_WHITESPACE
    'Blue music: set in the present, about a person, concerned with the forgotten. Moods:
    melancholic, nostalgic, regretful, wistful. Genres: folk rock, americana.'
    """
    spec = color_spec(color)
    if spec.name == "White":
        return (
            "White music: the synthesis of every color, of all times, subjects and ways of "
            "being at once. Moods: all of them. Genres: all of them."
        )

    def phrase(axis: str, lead: str) -> str:
        named = spec.modes(axis)
        if not named:
            return _NO_MODE_PHRASES[axis]
        return lead + " and ".join(_MODE_PHRASES[m] for m in named)

    parts = (
        phrase("temporal", "set in "),
        phrase("spatial", "about "),
        phrase("ontological", "concerned with "),
    )
    text = f"{spec.name} music: {', '.join(parts)}."
    text += f" Moods: {', '.join(spec.moods)}."
    if spec.genres:
        text += f" Genres: {', '.join(spec.genres)}."
    if spec.instrumental:
        text += " Mostly instrumental."
    return text


__all__ = [
    "AXES",
    "COLORS",
    "COLOR_NAMES",
    "ColorSpec",
    "ColorTarget",
    "color_spec",
    "descriptor",
    "parse_color",
    "target_vector",
]
