"""The fields of a song proposal: each value's converter (messy input in, one clean value out,
or a :class:`~pydantic_core.PydanticCustomError` saying what is allowed), its pydantic type, and
the help text every error quotes. The models are in :mod:`agents.proposal`."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import Field, PlainSerializer, PlainValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from agents.errors import ProposalError
from evolution.engine import EvolutionConfig
from music.errors import InputError
from music.keys import Key, parse_key
from music.meter import ALLOWED_DENOMINATORS, Meter
from render.ddsp import TIMBRE_HELP
from render.kit.play import PICKS
from scoring.colors import COLOR_NAMES, parse_color
from scoring.composite import Weights
from scoring.text_encoder import MIN_CONCEPT_WORDS, validate_concept

SLUG_MAX_LEN: Final = 60
BPM_RANGE: Final = (20.0, 300.0)
SECTION_BARS_RANGE: Final = (1, 64)
POPULATION_RANGE: Final = (8, 1024)
GENERATIONS_RANGE: Final = (1, 500)
SEED_MAX: Final = 2**32 - 1
WEIGHT_SUM_TOLERANCE: Final = 1e-6

ENGINE: Final = EvolutionConfig()  # the engine owns the evolution defaults
WEIGHTS: Final = Weights()  # the composite owns the scoring-weight defaults

KEY_HELP: Final = (
    "a tonic A-G with optional #/b and a mode (major, minor, m, harmonic minor, melodic minor, "
    "dorian, phrygian, lydian, mixolydian, locrian), e.g. 'A minor', 'Bb major', 'F#m', or "
    "{note: {pitch_name: F, accidental: sharp}, mode: {name: minor}}"
)
ACCIDENTALS: Final[Mapping[str, str]] = {
    "": "", "natural": "", "\u266e": "", "sharp": "#", "#": "#", "\u266f": "#", "flat": "b",
    "b": "b", "\u266d": "b", "double_sharp": "##", "##": "##", "double_flat": "bb", "bb": "bb",
}  # fmt: skip
ACCIDENTAL_HELP: Final = "sharp, flat, natural, double_sharp, double_flat (or #, b), or nothing"
COLOR_HELP: Final = (
    f"one of {', '.join(COLOR_NAMES)} (any case), a one-letter mnemonic (Z R O Y G B I V A), or "
    "a mapping with color_name and/or mnemonic_character_value set to one of them"
)
DENOMINATORS: Final = ", ".join(map(str, ALLOWED_DENOMINATORS))
METER_HELP: Final = (
    "'N/D' such as '4/4', '3/4', '7/8', or {numerator: N, denominator: D}, with N 1..32 and D "
    f"one of {DENOMINATORS}"
)
BPM_HELP: Final = (
    f"a number {BPM_RANGE[0]:g}..{BPM_RANGE[1]:g} (quarter notes per minute), e.g. 120 or '120 bpm'"
)
TEMPO_HELP: Final = (
    f"the meter (in the original format tempo is the time signature): {METER_HELP}; or, in older "
    f"files without bpm, the bpm as {BPM_HELP}"
)
LIST_HELP: Final = "a list of words or phrases, or one comma-separated string"
UNIT_HELP: Final = "a number in [0, 1]"
KIT_HELP: Final = (
    f"a kit folder made by `chromatic kit build` (relative to the proposal file), or "
    f"{{path: KIT_DIR, pick: {' | '.join(PICKS)}}}"
)

FIELD_HELP: Final[Mapping[str, str]] = {
    "title": "a non-empty string",
    "concept": f"a paragraph of text, at least {MIN_CONCEPT_WORDS} words, describing the song",
    "color": COLOR_HELP,
    "rainbow_color": COLOR_HELP,
    "key": KEY_HELP,
    "bpm": BPM_HELP,
    "tempo": TEMPO_HELP,
    "time_signature": METER_HELP,
    "time_sig": METER_HELP,
    "meter": METER_HELP,
    "singer": "a singer's name, or nothing",
    "iteration_id": "a name for this iteration (the original's iteration_id), or nothing",
    "mood": LIST_HELP,
    "genres": LIST_HELP,
    "sounds_like": LIST_HELP,
    "instruments": LIST_HELP,
    "lyrics": "a string, or nothing",
    "sections": "a list of {name: verse, bars: 8} mappings",
    "sections.name": "a non-empty section name such as 'verse' or 'chorus'",
    "sections.bars": f"an integer {SECTION_BARS_RANGE[0]}..{SECTION_BARS_RANGE[1]}",
    "evolution": "a mapping of population_size, generations, top_n, elite, mutation_rate, "
    "crossover_rate, and the scoring settings executor, actors, cpus_per_actor, "
    "gpus_per_actor, batch_size",
    "evolution.population_size": f"an integer {POPULATION_RANGE[0]}..{POPULATION_RANGE[1]}",
    "evolution.generations": f"an integer {GENERATIONS_RANGE[0]}..{GENERATIONS_RANGE[1]}",
    "evolution.top_n": "an integer 1..population_size",
    "evolution.elite": "an integer 0..population_size-1",
    "evolution.mutation_rate": UNIT_HELP,
    "evolution.crossover_rate": UNIT_HELP,
    "evolution.executor": "local or ray",
    "evolution.actors": "an integer >= 1",
    "evolution.cpus_per_actor": "a number > 0",
    "evolution.gpus_per_actor": "a number >= 0",
    "evolution.batch_size": "an integer >= 1",
    "weights": "a mapping {theory, chromatic}, each in [0, 1], adding up to 1",
    "weights.theory": UNIT_HELP,
    "weights.chromatic": UNIT_HELP,
    "seed": f"an integer 0..{SEED_MAX}",
    "kit": KIT_HELP,
}

_TEMPO_RE: Final = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:bpm)?\s*$", re.IGNORECASE)


class Shown:
    """A value as it appears in an error message (``<missing>``, or a shortened long value)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


MISSING: Final = Shown("<missing>")


def invalid(value: object, allowed: str, field: str = "") -> PydanticCustomError:
    """An error for pydantic to carry; ``field`` extends the error's location (model checks)."""
    ctx = {"value": value, "allowed": allowed, "field": field}
    return PydanticCustomError("proposal_value", "{allowed}", ctx)


def _allowed_part(exc: ValueError, default: str) -> str:
    _, sep, allowed = str(exc).partition(" -- ")
    return allowed if sep else default


# ---- field converters (each raises a PydanticCustomError naming what is allowed) ----------


def _clean(text: str, *, one_line: bool) -> str:
    """Every line break (CRLF, NEL, U+2028, ...) as ``\\n`` or, for one line, a space; other
    control characters (but tab) and lone surrogates dropped; ends stripped."""
    joined = "\n".join(text.splitlines())
    kept = (c for c in joined if c in "\t\n" or unicodedata.category(c) not in ("Cc", "Cs"))
    text = "".join(kept).strip()
    return " ".join(text.split()) if one_line else text


def _to_text(value: object, *, one_line: bool, help_text: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise invalid(value, help_text)
    text = _clean(str(value), one_line=one_line)
    if not text:
        raise invalid(value, help_text)
    return text


_to_title = partial(_to_text, one_line=True, help_text=FIELD_HELP["title"])


def _to_concept(value: object) -> str:
    """The concept's text (line breaks kept); it must pass the scorer's own check
    (:func:`~scoring.text_encoder.validate_concept`), so a run never starts on a concept the
    ChromaticScorer would refuse in its first generation."""
    text = _to_text(value, one_line=False, help_text=FIELD_HELP["concept"])
    try:
        validate_concept(text)
    except InputError:
        raise invalid(value, FIELD_HELP["concept"]) from None
    return text


def _to_section_name(value: object) -> str:
    return _to_text(value, one_line=True, help_text=FIELD_HELP["sections.name"]).lower()


def _to_lyrics(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not _clean(value, one_line=False)):
        return None
    return _to_text(value, one_line=False, help_text=FIELD_HELP["lyrics"])


def to_color(value: object) -> str:
    try:
        return parse_color(value)
    except ValueError as exc:
        raise invalid(value, _allowed_part(exc, COLOR_HELP)) from None


def _key_text(value: Mapping[Any, Any]) -> str:
    """The original's key mapping ``{note: {pitch_name: F, accidental: sharp}, mode: {name:
    minor}}`` as text (``"F# minor"``); ``note`` and ``mode`` may also be plain strings."""
    note, mode = value.get("note"), value.get("mode")
    if isinstance(note, Mapping):
        letter, accidental = note.get("pitch_name"), note.get("accidental")
        if not isinstance(letter, str) or not re.fullmatch(r"\s*[A-Ga-g]\s*", letter):
            raise invalid(letter, "a note letter A-G", "note.pitch_name")
        sign = ACCIDENTALS.get(str(accidental or "").strip().lower())
        if sign is None or not isinstance(accidental, str | None):
            raise invalid(accidental, ACCIDENTAL_HELP, "note.accidental")
        note = letter.strip() + sign
    if isinstance(mode, Mapping):
        mode = mode.get("name")
    if not isinstance(note, str) or not isinstance(mode, str | None):
        raise invalid(value, KEY_HELP)
    return f"{note} {(mode or '').replace('_', ' ')}"


def _to_key(value: object) -> Key:
    if isinstance(value, Key):
        return value
    text = _key_text(value) if isinstance(value, Mapping) else value
    if not isinstance(text, str):
        raise invalid(value, KEY_HELP)
    try:
        return parse_key(text)
    except ValueError as exc:
        raise invalid(value, _allowed_part(exc, KEY_HELP)) from None


def is_meter_like(value: object) -> bool:
    """True for what can only be meant as a meter (``"6/8"``, ``{numerator, denominator}``),
    not a bpm: the original format's ``tempo``."""
    return isinstance(value, Mapping) or (isinstance(value, str) and "/" in value)


def to_meter(value: object) -> Meter:
    if isinstance(value, Meter):
        return value
    num: object = None
    den: object = None
    if isinstance(value, str) and (m := re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)):
        num, den = int(m.group(1)), int(m.group(2))
    elif isinstance(value, Mapping) and set(value) == {"numerator", "denominator"}:
        num, den = value["numerator"], value["denominator"]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (num, den)):
        if den not in ALLOWED_DENOMINATORS:
            allowed = f"a meter whose denominator is one of {DENOMINATORS} (not {den})"
            raise invalid(value, allowed)
        try:
            return Meter(num, den)  # type: ignore[arg-type]
        except ValueError:
            pass
    raise invalid(value, METER_HELP)


def to_bpm(value: object) -> float:
    bpm = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        bpm = float(value)
    elif isinstance(value, str) and (m := _TEMPO_RE.match(value)):
        bpm = float(m.group(1))
    if not BPM_RANGE[0] <= bpm <= BPM_RANGE[1]:  # also rejects NaN
        raise invalid(value, BPM_HELP)
    return bpm


def to_name(value: object) -> str | None:
    """An optional one-line name (``singer``, ``iteration_id``); empty is none."""
    if value is None or (isinstance(value, str) and not _clean(value, one_line=True)):
        return None
    return _to_text(value, one_line=True, help_text="a name (text), or nothing")


def _to_str_list(value: object) -> list[str]:
    if value is None:
        return []
    items: list[object]
    if isinstance(value, str):
        items = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise invalid(value, LIST_HELP)
    out: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise invalid(value, LIST_HELP)
        text = _clean(str(item), one_line=True)
        if text:
            out.append(text)
    return out


@dataclass(frozen=True, slots=True)
class KitChoice:
    """The proposal's ``kit``: the kit folder and how its hits are picked (render.kit.play)."""

    path: str
    pick: str = PICKS[0]

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "pick": self.pick}


def _to_kit(value: object) -> KitChoice | None:
    """A kit folder as text, or ``{path, pick}``; the folder itself is checked when the run
    starts (agents.builder.render_kit), so a proposal can be read where the kit is not."""
    if value is None or isinstance(value, KitChoice):
        return value
    raw: Mapping[Any, Any] = (
        {"path": value} if isinstance(value, str) else (value if isinstance(value, Mapping) else {})
    )
    if not raw or set(raw) - {"path", "pick"}:
        raise invalid(value, KIT_HELP)
    path = raw.get("path")
    if not isinstance(path, str) or not path.strip():
        raise invalid(path, "a kit folder (text)", "path" if isinstance(value, Mapping) else "")
    pick = raw.get("pick", PICKS[0])
    if pick not in PICKS:
        raise invalid(pick, f"one of {', '.join(PICKS)}", "pick")
    return KitChoice(path=str(Path(path.strip()).expanduser()), pick=str(pick))


@dataclass(frozen=True, slots=True)
class RenderChoice:
    """The proposal's ``render`` block: ``melody_timbre``, a DDSP timbre the melody stem is
    played on (render.ddsp; ``trumpet`` or an .onnx path)."""

    melody_timbre: str

    def to_dict(self) -> dict[str, str]:
        return {"melody_timbre": self.melody_timbre}


def _to_render(value: object) -> RenderChoice | None:
    """``{melody_timbre: NAME_OR_PATH}``; the file itself is checked when the run starts
    (agents.builder.melody_timbre)."""
    if value is None or isinstance(value, RenderChoice):
        return value
    if not isinstance(value, Mapping) or set(value) != {"melody_timbre"}:
        raise invalid(value, "a mapping {melody_timbre: trumpet or an .onnx file}")
    timbre = value["melody_timbre"]
    if not isinstance(timbre, str) or not timbre.strip():
        raise invalid(timbre, TIMBRE_HELP, "melody_timbre")
    return RenderChoice(melody_timbre=timbre.strip())


def validated(func: Callable[[object], Any], schema_input: object) -> PlainValidator:
    return PlainValidator(func, json_schema_input_type=schema_input)


Title = Annotated[str, validated(_to_title, str)]
SectionName = Annotated[str, validated(_to_section_name, str)]
Concept = Annotated[str, validated(_to_concept, str)]
ColorName = Annotated[str, validated(to_color, str)]
KeyField = Annotated[
    Key, validated(_to_key, str), PlainSerializer(lambda k: k.name, return_type=str)
]
MeterField = Annotated[Meter, validated(to_meter, str), PlainSerializer(str, return_type=str)]
Bpm = Annotated[float, validated(to_bpm, float)]
Words = Annotated[list[str], validated(_to_str_list, list[str])]
Lyrics = Annotated[str | None, validated(_to_lyrics, str | None)]
Name = Annotated[str | None, validated(to_name, str | None)]
UnitFloat = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
RenderField = Annotated[
    RenderChoice | None,
    validated(_to_render, dict[str, str] | None),
    PlainSerializer(lambda r: r.to_dict() if r is not None else None),
]
KitField = Annotated[
    KitChoice | None,
    validated(_to_kit, str | None),
    PlainSerializer(lambda k: k.to_dict() if k is not None else None),
]


def count(lo: int, hi: int | None = None) -> Any:
    return Field(strict=True, ge=lo, le=hi)


_ALSO_GIVEN_AS: Final = {"color": "rainbow_color"}  # for "missing" errors


# ---- errors ---------------------------------------------------------------------------------


def dotted(loc: list[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def shown(value: object) -> object:
    text = repr(value)
    return value if len(text) <= 200 else Shown(text[:197] + "...")


def to_proposal_error(
    exc: ValidationError, file: Path | str | None, where: Sequence[str | int] = ()
) -> ProposalError:
    """Pydantic's first error as one ProposalError: field (under ``where``, e.g.
    ``iterations[2]``), bad value, what is allowed."""
    errors = exc.errors()
    # A misspelt field explains the "missing" error it causes, so it is reported first.
    err: ErrorDetails = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    ctx = err.get("ctx") or {}
    loc: list[str | int] = [*err["loc"]]
    if ctx.get("field"):
        loc.append(str(ctx["field"]))
    field = dotted([*where, *loc]) or "proposal"
    help_text = FIELD_HELP.get(".".join(p for p in loc if isinstance(p, str)))
    if err["type"] == "proposal_value":
        return ProposalError(
            file=file, field=field, value=shown(ctx["value"]), allowed=ctx["allowed"]
        )
    if err["type"] == "missing":
        allowed = f"required: {help_text or 'a value'}"
        name = str(loc[-1]) if loc else ""
        if name in _ALSO_GIVEN_AS:
            allowed += f" (given as {name} or {_ALSO_GIVEN_AS[name]})"
        return ProposalError(file=file, field=field, value=MISSING, allowed=allowed)
    if err["type"] == "extra_forbidden":
        parent = ".".join(p for p in loc[:-1] if isinstance(p, str))
        fields = sorted(k.split(".", 1)[1] for k in FIELD_HELP if k.startswith(parent + "."))
        allowed = f"not a field of {parent}; allowed: {', '.join(fields)}"
        return ProposalError(file=file, field=field, value=shown(err["input"]), allowed=allowed)
    allowed = help_text or err["msg"]
    return ProposalError(file=file, field=field, value=shown(err["input"]), allowed=allowed)
