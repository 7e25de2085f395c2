"""Song proposals (DESIGN §4): pydantic models at the edge, both file formats, one error.

Accepted and normalised to one :class:`Proposal`: this project's format (``color``, ``bpm``,
``time_signature: "7/8"``, ``sections``, ``evolution``, ``weights``, ``seed``, ...) and the
original system's song proposal (``rainbow_color`` as a name or ``{color_name, hex}``, ``tempo``
as ``110`` or ``"110 bpm"``, ``time_signature: {numerator, denominator}``, comma-separated
``mood``/``genres``, messy keys like ``"B ♭ major"``). Unknown top-level fields are ignored;
unknown fields inside ``evolution``, ``weights`` and ``sections`` are typos and errors. Every
problem becomes one :class:`~music.errors.ProposalError` naming the file, the field, the bad
value and what is allowed. Field reference: ``proposals/README.md``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from agents.fileio import write_yaml_atomic
from evolution.engine import EvolutionConfig
from evolution.executors import PROPOSAL_FIELDS, ExecutorSettings, SettingError
from music.errors import InputError, ProposalError
from music.keys import Key, parse_key
from music.meter import ALLOWED_DENOMINATORS, Meter
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

_ENGINE: Final = EvolutionConfig()  # the engine owns the evolution defaults
_WEIGHTS: Final = Weights()  # the composite owns the scoring-weight defaults

KEY_HELP: Final = (
    "a tonic A-G with optional #/b and a mode (major, minor, m, dorian, phrygian, lydian, "
    "mixolydian, locrian), e.g. 'A minor', 'Bb major', 'F#m'"
)
COLOR_HELP: Final = (
    f"one of {', '.join(COLOR_NAMES)} (any case), or a mapping with color_name set to one of them"
)
METER_HELP: Final = (
    "'N/D' such as '4/4', '3/4', '7/8', or {numerator: N, denominator: D}, with N 1..32 and D "
    f"one of {', '.join(map(str, ALLOWED_DENOMINATORS))}"
)
BPM_HELP: Final = (
    f"a number {BPM_RANGE[0]:g}..{BPM_RANGE[1]:g} (quarter notes per minute), e.g. 120 or '120 bpm'"
)
LIST_HELP: Final = "a list of words or phrases, or one comma-separated string"
_UNIT_HELP: Final = "a number in [0, 1]"

FIELD_HELP: Final[Mapping[str, str]] = {
    "title": "a non-empty string",
    "concept": f"a paragraph of text, at least {MIN_CONCEPT_WORDS} words, describing the song",
    "color": COLOR_HELP,
    "rainbow_color": COLOR_HELP,
    "key": KEY_HELP,
    "bpm": BPM_HELP,
    "tempo": BPM_HELP,
    "time_signature": METER_HELP,
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
    "evolution.mutation_rate": _UNIT_HELP,
    "evolution.crossover_rate": _UNIT_HELP,
    "evolution.executor": "local or ray",
    "evolution.actors": "an integer >= 1",
    "evolution.cpus_per_actor": "a number > 0",
    "evolution.gpus_per_actor": "a number >= 0",
    "evolution.batch_size": "an integer >= 1",
    "weights": "a mapping {theory, chromatic}, each in [0, 1], adding up to 1",
    "weights.theory": _UNIT_HELP,
    "weights.chromatic": _UNIT_HELP,
    "seed": f"an integer 0..{SEED_MAX}",
}

_REQUIRED: Final = ("title", "concept", "color", "key", "bpm")
_ALIASES: Final = {"color": "rainbow_color", "bpm": "tempo"}  # this project's name -> original's
_TEMPO_RE: Final = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:bpm)?\s*$", re.IGNORECASE)


class _Shown:
    """A value as it appears in an error message (``<missing>``, or a shortened long value)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


MISSING: Final = _Shown("<missing>")


def _invalid(value: object, allowed: str, field: str = "") -> PydanticCustomError:
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
        raise _invalid(value, help_text)
    text = _clean(str(value), one_line=one_line)
    if not text:
        raise _invalid(value, help_text)
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
        raise _invalid(value, FIELD_HELP["concept"]) from None
    return text


def _to_section_name(value: object) -> str:
    return _to_text(value, one_line=True, help_text=FIELD_HELP["sections.name"]).lower()


def _to_lyrics(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not _clean(value, one_line=False)):
        return None
    return _to_text(value, one_line=False, help_text=FIELD_HELP["lyrics"])


def _to_color(value: object) -> str:
    try:
        return parse_color(value)
    except ValueError as exc:
        raise _invalid(value, _allowed_part(exc, COLOR_HELP)) from None


def _to_key(value: object) -> Key:
    if isinstance(value, Key):
        return value
    if not isinstance(value, str):
        raise _invalid(value, KEY_HELP)
    try:
        return parse_key(value)
    except ValueError as exc:
        raise _invalid(value, _allowed_part(exc, KEY_HELP)) from None


def _to_meter(value: object) -> Meter:
    if isinstance(value, Meter):
        return value
    try:
        if isinstance(value, str):
            return Meter.parse(value)
        if isinstance(value, Mapping) and set(value) == {"numerator", "denominator"}:
            num, den = value["numerator"], value["denominator"]
            if all(isinstance(v, int) and not isinstance(v, bool) for v in (num, den)):
                return Meter(num, den)
    except ValueError:
        pass
    raise _invalid(value, METER_HELP)


def _to_bpm(value: object) -> float:
    bpm = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        bpm = float(value)
    elif isinstance(value, str) and (m := _TEMPO_RE.match(value)):
        bpm = float(m.group(1))
    if not BPM_RANGE[0] <= bpm <= BPM_RANGE[1]:  # also rejects NaN
        raise _invalid(value, BPM_HELP)
    return bpm


def _to_str_list(value: object) -> list[str]:
    if value is None:
        return []
    items: list[object]
    if isinstance(value, str):
        items = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise _invalid(value, LIST_HELP)
    out: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise _invalid(value, LIST_HELP)
        text = _clean(str(item), one_line=True)
        if text:
            out.append(text)
    return out


def _validated(func: Callable[[object], Any], schema_input: object) -> PlainValidator:
    return PlainValidator(func, json_schema_input_type=schema_input)


Title = Annotated[str, _validated(_to_title, str)]
Concept = Annotated[str, _validated(_to_concept, str)]
ColorName = Annotated[str, _validated(_to_color, str)]
KeyField = Annotated[
    Key, _validated(_to_key, str), PlainSerializer(lambda k: k.name, return_type=str)
]
MeterField = Annotated[Meter, _validated(_to_meter, str), PlainSerializer(str, return_type=str)]
Bpm = Annotated[float, _validated(_to_bpm, float)]
Words = Annotated[list[str], _validated(_to_str_list, list[str])]
Lyrics = Annotated[str | None, _validated(_to_lyrics, str | None)]
UnitFloat = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]


def _count(lo: int, hi: int | None = None) -> Any:
    return Field(strict=True, ge=lo, le=hi)


# ---- models ---------------------------------------------------------------------------------


class SectionSpec(BaseModel):
    """One section of the form: a lower-case name (``verse``, ``chorus``, ...) and its bars."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, _validated(_to_section_name, str)]
    bars: Annotated[int, _count(*SECTION_BARS_RANGE)]


class EvolutionSettings(BaseModel):
    """Per-phase evolution settings; defaults are the engine's (``EvolutionConfig``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    population_size: Annotated[int, _count(*POPULATION_RANGE)] = _ENGINE.population_size
    generations: Annotated[int, _count(*GENERATIONS_RANGE)] = _ENGINE.generations
    top_n: Annotated[int, _count(1)] = _ENGINE.top_n
    elite: Annotated[int, _count(0)] = _ENGINE.elite
    mutation_rate: UnitFloat = _ENGINE.mutation_rate
    crossover_rate: UnitFloat = _ENGINE.crossover_rate
    # How candidates are scored (evolution.executors.PROPOSAL_FIELDS); None = not set here, so
    # the CLI's option or the default (in-process) applies.
    executor: Literal["local", "ray"] | None = None
    actors: int | None = None
    cpus_per_actor: float | None = None
    gpus_per_actor: float | None = None
    batch_size: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _scoring_settings_valid(cls, data: Any) -> Any:
        """Each scoring setting checked by the executor settings themselves (one message)."""
        if not isinstance(data, Mapping):
            return data
        for name in PROPOSAL_FIELDS:
            value = data.get(name)
            if value is None:
                continue
            try:
                ExecutorSettings().with_values({name: value})
            except SettingError as exc:
                raise _invalid(exc.value, exc.allowed, name) from None
        return data

    def scoring_values(self) -> dict[str, object]:
        """The scoring settings this block sets (for ``ExecutorSettings.with_values``)."""
        values = {name: getattr(self, name) for name in PROPOSAL_FIELDS}
        return {name: value for name, value in values.items() if value is not None}

    @model_validator(mode="before")
    @classmethod
    def _default_top_n_fits(cls, data: Any) -> Any:
        """A small population with no explicit top_n keeps all of its members."""
        pop = data.get("population_size") if isinstance(data, Mapping) else None
        if isinstance(pop, int) and "top_n" not in data and 1 <= pop < _ENGINE.top_n:
            return {**data, "top_n": pop}
        return data

    @model_validator(mode="after")
    def _fits_population(self) -> EvolutionSettings:
        pop = self.population_size
        if self.top_n > pop:
            raise _invalid(self.top_n, f"an integer 1..population_size ({pop})", "top_n")
        if self.elite >= pop:
            raise _invalid(self.elite, f"an integer 0..population_size-1 ({pop - 1})", "elite")
        return self


class ScoringWeights(BaseModel):
    """``composite = theory * theory_total + chromatic * chromatic_match``; they add up to 1.
    When only one is given the other is its complement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    theory: UnitFloat = _WEIGHTS.theory
    chromatic: UnitFloat = _WEIGHTS.chromatic

    @model_validator(mode="before")
    @classmethod
    def _complement(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and len(data) == 1:
            ((name, value),) = data.items()
            other = {"theory": "chromatic", "chromatic": "theory"}.get(str(name))
            ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
            if other is not None and ok:
                return {name: value, other: 1.0 - value}
        return data

    @model_validator(mode="after")
    def _sum_to_one(self) -> ScoringWeights:
        total = self.theory + self.chromatic
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            value = {"theory": self.theory, "chromatic": self.chromatic}
            raise _invalid(value, f"theory + chromatic adding up to 1 (they add up to {total:g})")
        return self


class Proposal(BaseModel):
    """A normalised song proposal. Build it with :func:`load_proposal` or
    :func:`proposal_from_dict`; ``bpm`` is in quarter notes per minute."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True)

    title: Title
    concept: Concept
    color: ColorName = Field(validation_alias=AliasChoices("color", "rainbow_color"))
    key: KeyField
    bpm: Bpm = Field(validation_alias=AliasChoices("bpm", "tempo"))
    meter: MeterField = Field(
        default=Meter(4, 4),
        validation_alias=AliasChoices("time_signature", "meter"),
        serialization_alias="time_signature",
    )
    mood: Words = Field(default_factory=list)
    genres: Words = Field(default_factory=list)
    sounds_like: Words = Field(default_factory=list)
    lyrics: Lyrics = None
    sections: list[SectionSpec] = Field(default_factory=list)
    instruments: Words = Field(default_factory=list)
    evolution: EvolutionSettings = Field(default_factory=EvolutionSettings)
    weights: ScoringWeights = Field(default_factory=ScoringWeights)
    seed: Annotated[int, _count(0, SEED_MAX)] = 0

    @model_validator(mode="before")
    @classmethod
    def _merge_formats(cls, data: Any) -> Any:
        """Drop empty optional fields; check that a field given under both names agrees."""
        if not isinstance(data, Mapping):
            return data
        out = {str(k): v for k, v in data.items()}
        for name, alias in _ALIASES.items():
            if out.get(name) is None and out.get(alias) is not None:
                out.pop(name, None)
        required = {*_REQUIRED, *_ALIASES.values()}
        out = {k: v for k, v in out.items() if v is not None or k in required}
        for name, alias in _ALIASES.items():
            if name in out and alias in out:
                convert: Callable[[object], object] = _to_color if name == "color" else _to_bpm
                parsed = []
                for field in (name, alias):
                    try:
                        parsed.append(convert(out[field]))
                    except PydanticCustomError:
                        raise _invalid(out[field], FIELD_HELP[field], field) from None
                if parsed[0] != parsed[1]:
                    allowed = f"the same as {name} ({out[name]!r}), or leave one of them out"
                    raise _invalid(out[alias], allowed, alias)
        return out

    @property
    def slug(self) -> str:
        """A safe folder name from the title (see :func:`slugify`)."""
        return slugify(self.title)


def slugify(title: str, max_len: int = SLUG_MAX_LEN) -> str:
    """Lower-case ASCII ``[a-z0-9-]`` with single dashes, at most ``max_len`` characters, never
    empty (``"song"``), so no title can name a path outside the run directory."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "song"


# ---- errors ---------------------------------------------------------------------------------


def _dotted(loc: list[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _shown(value: object) -> object:
    text = repr(value)
    return value if len(text) <= 200 else _Shown(text[:197] + "...")


def _to_proposal_error(exc: ValidationError, file: Path | str | None) -> ProposalError:
    """Pydantic's first error as one ProposalError: field, bad value, what is allowed."""
    errors = exc.errors()
    # A misspelt field explains the "missing" error it causes, so it is reported first.
    err: ErrorDetails = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    ctx = err.get("ctx") or {}
    loc: list[str | int] = [*err["loc"]]
    if ctx.get("field"):
        loc.append(str(ctx["field"]))
    field = _dotted(loc) or "proposal"
    help_text = FIELD_HELP.get(".".join(p for p in loc if isinstance(p, str)))
    if err["type"] == "proposal_value":
        return ProposalError(
            file=file, field=field, value=_shown(ctx["value"]), allowed=ctx["allowed"]
        )
    if err["type"] == "missing":
        allowed = f"required: {help_text or 'a value'}"
        name = str(loc[-1]) if loc else ""
        if name in _ALIASES:
            allowed += f" (given as {name} or {_ALIASES[name]})"
        return ProposalError(file=file, field=field, value=MISSING, allowed=allowed)
    if err["type"] == "extra_forbidden":
        parent = ".".join(p for p in loc[:-1] if isinstance(p, str))
        fields = sorted(k.split(".", 1)[1] for k in FIELD_HELP if k.startswith(parent + "."))
        allowed = f"not a field of {parent}; allowed: {', '.join(fields)}"
        return ProposalError(file=file, field=field, value=_shown(err["input"]), allowed=allowed)
    allowed = help_text or err["msg"]
    return ProposalError(file=file, field=field, value=_shown(err["input"]), allowed=allowed)


# ---- dict and file I/O ----------------------------------------------------------------------


def proposal_from_dict(data: Mapping[str, Any], *, file: Path | str | None = None) -> Proposal:
    """Validate a mapping in either format. Raises ProposalError (naming ``file`` if given)."""
    if not isinstance(data, Mapping):
        allowed = "a mapping of fields (title, concept, color, key, bpm, ...)"
        raise ProposalError(file=file, field="proposal", value=_shown(data), allowed=allowed)
    try:
        return Proposal.model_validate(data)
    except ValidationError as exc:
        raise _to_proposal_error(exc, file) from None


def proposal_to_dict(proposal: Proposal) -> dict[str, Any]:
    """The normalised proposal as plain JSON/YAML-safe data in this project's format
    (``key: 'F# minor'``, ``time_signature: '7/8'``, canonical color name)."""
    data: dict[str, Any] = proposal.model_dump(mode="json", by_alias=True)
    data["evolution"] = {k: v for k, v in data["evolution"].items() if v is not None}
    if float(proposal.bpm).is_integer():
        data["bpm"] = int(proposal.bpm)
    return data


def dump_proposal(proposal: Proposal, path: Path) -> Path:
    """Write the normalised proposal as YAML, atomically (temp file + rename); multi-line
    text (concept, lyrics) as literal blocks unless it holds characters a block cannot escape."""

    def block(v: Any) -> Any:
        lines = v.split("\n") if isinstance(v, str) else []
        return LiteralScalarString(v) if len(lines) > 1 and all(map(str.isprintable, lines)) else v

    data = {k: block(v) for k, v in proposal_to_dict(proposal).items()}
    return write_yaml_atomic(Path(path), data)


def load_proposal(path: Path) -> Proposal:
    """Read and validate a proposal YAML file (either format).

    Raises exactly one ProposalError for any problem: a missing or unreadable file, empty or
    invalid YAML (with the line), a top level that is not a mapping, or a bad field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        value = f"byte {exc.start}: {exc.object[exc.start : exc.start + 4]!r}"
        raise ProposalError(file=path, field="file", value=value, allowed="UTF-8 text") from None
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        allowed = "an existing YAML file" if missing else f"a readable YAML file ({exc.strerror})"
        raise ProposalError(file=path, field="file", value=str(path), allowed=allowed) from None
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = exc.problem_mark if isinstance(exc, MarkedYAMLError) else None
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        allowed = "valid YAML (check indentation, quotes and ':' after each field name)"
        raise ProposalError(
            file=path, field="yaml", value=f"{where}{problem}", allowed=allowed
        ) from None
    if data is None:
        allowed = "a YAML mapping with at least title, concept, color, key and bpm"
        raise ProposalError(file=path, field="file", value=_Shown("<empty>"), allowed=allowed)
    return proposal_from_dict(data, file=path)
