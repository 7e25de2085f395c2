"""The stem taxonomy of transcription: which General MIDI programs make each stem, the musical
role of each stem, and the resolver that maps a stem or instrument name to a model.

Stems by GM program (0-based): bass 32-39; piano 0-7 (and the organs 16-23 unless
``organs_as_keys=False``, then they are ``other``); guitar 24-31; strings_ensemble 40-51;
synth_lead 80-87; synth_pad_fx 88-103; every other program is ``other``. Channel-10 parts
split into ``drums`` (kick, snare, toms: the core kit) and ``high_percs`` (hi-hats, cymbals).
``vocals`` is a slot with no programs and no model yet: a future model drops in by name.

Roles: ``melodic`` (synth_lead, bass), ``harmonic`` (piano, guitar, strings_ensemble,
synth_pad_fx, other), ``percussive`` (drums, high_percs), ``vocal`` (vocals). Training weighs its
losses by role (:data:`ROLE_LOSS_WEIGHTS`).

Routing (:func:`resolve_model`): the exact stem's model, else a model of a stem with the same
role (in taxonomy order), else the ``other`` model; vocals report that no model exists yet.
Brass, reeds and pipes (GM 56-79, and the words in :data:`WIND_WORDS`) have no stem of their
own (they are ``other``) but play one line at a time, so they route as ``melodic``: a trumpet
goes to the ``synth_lead`` model, as a melody import's part does, not to a harmonic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final

from music.errors import ChromaticError, InputError
from music.gm import instrument_name


class Role(StrEnum):
    MELODIC = "melodic"
    HARMONIC = "harmonic"
    PERCUSSIVE = "percussive"
    VOCAL = "vocal"


@dataclass(frozen=True, slots=True)
class Stem:
    """One stem type: its name, role, GM programs (empty for drums and vocals), whether it is
    played on the drum channel, and the MIDI pitches its model reads out (inclusive)."""

    name: str
    role: Role
    programs: tuple[int, ...]
    is_drum: bool = False
    low: int = 21
    high: int = 108

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high <= 127:
            raise ValueError(f"Stem.low/high: {self.low}..{self.high} -- 0 <= low <= high <= 127")

    @property
    def n_pitches(self) -> int:
        return self.high - self.low + 1


ORGANS: Final = tuple(range(16, 24))
#: GM brass (56-63), reeds (64-71) and pipes (72-79): ``other`` by program, melodic by role.
WIND_PROGRAMS: Final = tuple(range(56, 80))
#: Words for brass and winds beside their GM names (``trumpet``, ``alto sax``, ``flute``...).
WIND_WORDS: Final = (
    "brass",
    "winds",
    "wind",
    "woodwinds",
    "horn",
    "horns",
    "sax",
    "saxophone",
)

STEMS: Final[tuple[Stem, ...]] = (
    Stem("bass", Role.MELODIC, tuple(range(32, 40)), low=28, high=67),
    Stem("piano", Role.HARMONIC, (*range(0, 8), *ORGANS)),
    Stem("guitar", Role.HARMONIC, tuple(range(24, 32)), low=40, high=88),
    Stem("strings_ensemble", Role.HARMONIC, tuple(range(40, 52)), low=28, high=103),
    Stem("synth_lead", Role.MELODIC, tuple(range(80, 88)), low=36, high=96),
    Stem("synth_pad_fx", Role.HARMONIC, tuple(range(88, 104))),
    Stem("drums", Role.PERCUSSIVE, (), is_drum=True),
    Stem("high_percs", Role.PERCUSSIVE, (), is_drum=True),
    Stem("other", Role.HARMONIC, ()),
    Stem("vocals", Role.VOCAL, ()),
)
BY_NAME: Final[dict[str, Stem]] = {s.name: s for s in STEMS}
#: Stems a model can be trained for (vocals has no data yet).
TRAINABLE: Final = tuple(s.name for s in STEMS if s.role is not Role.VOCAL)

#: Drum classes of the drum model, each with the GM drum note it writes and the stem it
#: belongs to. The kit's core (kick, snare, toms) is ``drums``; hats and cymbals ``high_percs``.
DRUM_CLASSES: Final[tuple[tuple[str, int, str], ...]] = (
    ("kick", 36, "drums"),
    ("snare", 38, "drums"),
    ("toms", 45, "drums"),
    ("hihat", 42, "high_percs"),
    ("cymbal", 49, "high_percs"),
)

#: (onset, frame) loss weights per role: melodic lines lean on onsets, harmonic parts on the
#: sustained frames, percussion has onsets only.
ROLE_LOSS_WEIGHTS: Final[dict[Role, tuple[float, float]]] = {
    Role.MELODIC: (1.5, 1.0),
    Role.HARMONIC: (1.0, 1.5),
    Role.PERCUSSIVE: (1.0, 0.0),
    Role.VOCAL: (1.0, 1.0),
}

#: Words a person may give for a stem, beside the stem names and GM instrument names.
ALIASES: Final[dict[str, str]] = {
    "keys": "piano",
    "organ": "piano",
    "lead": "synth_lead",
    "melody": "synth_lead",
    "pad": "synth_pad_fx",
    "strings": "strings_ensemble",
    "kit": "drums",
    "drum kit": "drums",
    "hats": "high_percs",
    "cymbals": "high_percs",
    "vocal": "vocals",
    "voice": "vocals",
    "vox": "vocals",
    "singer": "vocals",
    **dict.fromkeys(WIND_WORDS, "other"),
}


@cache
def _gm_names() -> dict[str, int]:
    """Lower-case General MIDI instrument name -> program (read once, on first use)."""
    return {_normalise(instrument_name(p)): p for p in range(128)}


class NoModelError(ChromaticError):
    """No transcription model serves the requested stem (vocals, or nothing installed)."""


def stem_for_program(program: int, *, is_drum: bool = False, organs_as_keys: bool = True) -> Stem:
    """The stem a GM ``program`` (0..127) belongs to; drum-channel parts are ``drums`` (split
    by class with :func:`drum_stem_for_note`)."""
    if not 0 <= program <= 127:
        raise ValueError(f"program: {program!r} -- a GM program 0..127")
    if is_drum:
        return BY_NAME["drums"]
    if program in ORGANS and not organs_as_keys:
        return BY_NAME["other"]
    for stem in STEMS:
        if program in stem.programs:
            return stem
    return BY_NAME["other"]


def drum_stem_for_note(note: int) -> Stem:
    """``drums`` or ``high_percs`` for a GM drum note (hi-hats 42, 44, 46 and cymbals 49, 51,
    52, 53, 55, 57, 59 are ``high_percs``)."""
    high = {42, 44, 46, 49, 51, 52, 53, 55, 57, 59}
    return BY_NAME["high_percs" if note in high else "drums"]


#: GM drum notes -> index in :data:`DRUM_CLASSES` (notes not listed are not transcribed).
_DRUM_NOTE_CLASS: Final[dict[int, int]] = {
    35: 0, 36: 0,
    37: 1, 38: 1, 39: 1, 40: 1,
    41: 2, 43: 2, 45: 2, 47: 2, 48: 2, 50: 2,
    42: 3, 44: 3, 46: 3,
    49: 4, 51: 4, 52: 4, 53: 4, 55: 4, 57: 4, 59: 4,
}  # fmt: skip


def drum_class_of(note: int) -> int | None:
    """The :data:`DRUM_CLASSES` index of a GM drum note (None: a note not transcribed)."""
    return _DRUM_NOTE_CLASS.get(note)


def _normalise(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())


def find_stem(name: str, *, organs_as_keys: bool = True) -> Stem:
    """The stem a stem name, alias or General MIDI instrument name means (any case):
    ``"bass"``, ``"keys"``, ``"Fretless Bass"``, ``"violin"`` (strings_ensemble).

    Raises InputError naming the value and the stems allowed."""
    key = _normalise(name)
    for stem in STEMS:
        if key == _normalise(stem.name):
            return stem
    if key in ALIASES:
        return BY_NAME[ALIASES[key]]
    program = _gm_names().get(key)
    if program is not None:
        return stem_for_program(program, organs_as_keys=organs_as_keys)
    raise InputError(
        file=None,
        field="stem",
        value=name,
        allowed=(
            f"one of {', '.join(s.name for s in STEMS)}, an alias ({', '.join(ALIASES)}) "
            "or a General MIDI instrument name such as 'fretless bass'"
        ),
    )


def is_wind(name: str) -> bool:
    """Whether ``name`` is a brass or wind instrument (:data:`WIND_PROGRAMS`,
    :data:`WIND_WORDS`)."""
    key = _normalise(name)
    return key in WIND_WORDS or _gm_names().get(key) in WIND_PROGRAMS


def routing_role(name: str) -> Role:
    """The role a stem or instrument ``name`` is routed by: its stem's, but ``melodic`` for
    brass and winds, whose stem is ``other``."""
    return Role.MELODIC if is_wind(name) else find_stem(name).role


@dataclass(frozen=True, slots=True)
class Route:
    """Which model serves a request: the stem asked for, the stem whose model runs, the model
    file, how it was chosen (``exact``, ``role`` or ``other``) and the role it was routed
    by."""

    requested: Stem
    served_by: str
    model: Path
    via: str
    role: Role

    def describe(self, name: str) -> str:
        """One line for a person: which model hears ``name`` and which fallback led there."""
        asked = f"{name!r} ({self.requested.name}, {self.role})"
        if self.via == "exact":
            return f"{asked}: the {self.served_by} model"
        how = "a model of the same role" if self.via == "role" else "the other model"
        own = "no model of its own" if self.requested.name == "other" else "no model installed"
        return f"{asked}: {own} -- the {self.served_by} model stands in ({how})"


def resolve_model(name: str, models: Mapping[str, Path]) -> Route:
    """Route a stem or instrument ``name`` to one of ``models`` (stem name -> model file):
    exact stem, else a stem with the same role (:func:`routing_role`; taxonomy order, the
    lead first for a wind), else ``other``.

    Raises InputError for an unknown name and NoModelError for vocals (no model yet) or when
    nothing in ``models`` fits, naming what is installed."""
    stem = find_stem(name)
    role = routing_role(name)
    # A wind plays a lead line: the lead model before the bass model of the same role.
    order = sorted(STEMS, key=lambda s: s.name != "synth_lead") if is_wind(name) else STEMS
    if stem.role is Role.VOCAL and stem.name not in models:
        raise NoModelError(
            f"stem {name!r}: vocals has no model yet -- a vocals model placed in the models "
            "folder as vocals.onnx is used without code changes"
        )
    if stem.name in models:
        return Route(stem, stem.name, models[stem.name], "exact", role)
    for other in order:
        if other.role is role and other.name in models and other.name != "other":
            return Route(stem, other.name, models[other.name], "role", role)
    if "other" in models:
        return Route(stem, "other", models["other"], "other", role)
    raise NoModelError(
        f"stem {name!r}: no model for {stem.name} (role {role}) and no 'other' model -- "
        f"installed: {', '.join(sorted(models)) or 'none'}; train one with "
        f"'chromatic train transcribe --stems {stem.name}'"
    )
