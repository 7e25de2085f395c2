"""Song proposals (DESIGN §4): pydantic models at the edge, both file formats, one error.

Accepted and normalised to one :class:`Proposal`: this project's format (``color``, ``bpm``,
``time_signature: "7/8"``, ``sections``, ``evolution``, ``weights``, ``seed``, ...) and the
original system's ``SongProposalIteration`` (``bpm``; ``tempo`` -- or ``time_sig`` -- is the
*meter*, ``"6/4"`` or ``{numerator, denominator}``; ``key`` as text or ``{note: {pitch_name,
accidental}, mode: {name}}``; ``rainbow_color`` as a name, a one-letter mnemonic or a mapping;
``iteration_id``, ``is_final``, ``singer``, ...). A bare number in ``tempo`` with no ``bpm`` is
read as the bpm (older files). A file may hold a whole ``SongProposal``, ``iterations: [...]``:
:func:`read_proposal_file` reads it and :meth:`ProposalFile.select` picks one iteration.

Unknown top-level fields are ignored; unknown fields inside ``evolution``, ``weights`` and
``sections`` are typos and errors. Every problem becomes one :class:`~agents.errors.ProposalError`
naming the file, the field, the bad value and what is allowed. The file is read bounded (size,
alias expansion, nesting: :mod:`agents.yaml_limits`). Field reference: ``proposals/README.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from agents.errors import ProposalError
from agents.fileio import write_yaml_atomic
from agents.proposal_fields import (
    ENGINE,
    FIELD_HELP,
    GENERATIONS_RANGE,
    POPULATION_RANGE,
    SECTION_BARS_RANGE,
    SEED_MAX,
    SLUG_MAX_LEN,
    TEMPO_HELP,
    WEIGHT_SUM_TOLERANCE,
    WEIGHTS,
    Bpm,
    ColorName,
    Concept,
    KeyField,
    KitChoice,
    KitField,
    Lyrics,
    MeterField,
    Name,
    RenderChoice,
    RenderField,
    SectionName,
    Shown,
    Title,
    UnitFloat,
    Words,
    count,
    dotted,
    invalid,
    is_meter_like,
    shown,
    to_bpm,
    to_color,
    to_meter,
    to_proposal_error,
)
from agents.yaml_limits import YamlLimitError, check_yaml_structure, read_text_limited
from evolution.executor_settings import PROPOSAL_FIELDS, ExecutorSettings, SettingError
from music.meter import Meter
from render.ddsp import SHIPPED

PROPOSAL_MAX_BYTES: Final = 2**20  # 1 MiB: real proposals are a few KiB
PROPOSAL_MAX_NODES: Final = 100_000  # values after alias expansion

_REQUIRED: Final = ("title", "concept", "color", "key", "bpm")
# Each field and the names it may be given under, first the one errors and defaults use.
_COLOR_NAMES: Final = ("color", "rainbow_color")
_METER_NAMES: Final = ("time_signature", "meter", "time_sig")


# ---- models ---------------------------------------------------------------------------------


class SectionSpec(BaseModel):
    """One section of the form: a lower-case name (``verse``, ``chorus``, ...) and its bars."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: SectionName
    bars: Annotated[int, count(*SECTION_BARS_RANGE)]


class EvolutionSettings(BaseModel):
    """Per-phase evolution settings; defaults are the engine's (``EvolutionConfig``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    population_size: Annotated[int, count(*POPULATION_RANGE)] = ENGINE.population_size
    generations: Annotated[int, count(*GENERATIONS_RANGE)] = ENGINE.generations
    top_n: Annotated[int, count(1)] = ENGINE.top_n
    elite: Annotated[int, count(0)] = ENGINE.elite
    mutation_rate: UnitFloat = ENGINE.mutation_rate
    crossover_rate: UnitFloat = ENGINE.crossover_rate
    # How candidates are scored (evolution.executor_settings.PROPOSAL_FIELDS); None = not set
    # here, so the CLI's option or the default (in-process) applies.
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
                raise invalid(exc.value, exc.allowed, name) from None
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
        if isinstance(pop, int) and "top_n" not in data and 1 <= pop < ENGINE.top_n:
            return {**data, "top_n": pop}
        return data

    @model_validator(mode="after")
    def _fits_population(self) -> EvolutionSettings:
        pop = self.population_size
        if self.top_n > pop:
            raise invalid(self.top_n, f"an integer 1..population_size ({pop})", "top_n")
        if self.elite >= pop:
            raise invalid(self.elite, f"an integer 0..population_size-1 ({pop - 1})", "elite")
        return self


class ScoringWeights(BaseModel):
    """``composite = theory * theory_total + chromatic * chromatic_match``; they add up to 1.
    When only one is given the other is its complement. ``emotion`` (0..1) is the share of
    the composite the emotion match takes where the proposal has mood words; theory and
    chromatic share the rest in their ratio (0 turns the emotion score off)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    theory: UnitFloat = WEIGHTS.theory
    chromatic: UnitFloat = WEIGHTS.chromatic
    emotion: UnitFloat = WEIGHTS.emotion

    @model_validator(mode="before")
    @classmethod
    def _complement(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        pair = [name for name in ("theory", "chromatic") if name in data]
        if len(pair) == 1:
            (name,) = pair
            value = data[name]
            other = "chromatic" if name == "theory" else "theory"
            ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
            if ok:
                return {**data, other: 1.0 - value}
        return data

    @model_validator(mode="after")
    def _sum_to_one(self) -> ScoringWeights:
        total = self.theory + self.chromatic
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            value = {"theory": self.theory, "chromatic": self.chromatic}
            raise invalid(value, f"theory + chromatic adding up to 1 (they add up to {total:g})")
        return self


class Proposal(BaseModel):
    """A normalised song proposal. Build it with :func:`load_proposal` or
    :func:`proposal_from_dict`; ``bpm`` is in quarter notes per minute."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True)

    title: Title
    concept: Concept
    color: ColorName
    key: KeyField
    bpm: Bpm
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
    seed: Annotated[int, count(0, SEED_MAX)] = 0
    singer: Name = None
    iteration_id: Name = None
    kit: KitField = None
    render: RenderField = None

    @model_validator(mode="before")
    @classmethod
    def _merge_formats(cls, data: Any) -> Any:
        """Drop empty optional fields; gather each field given under several names (``tempo``
        goes with the meter when it is one, else with the bpm) and check they agree."""
        if not isinstance(data, Mapping):
            return data
        given = {str(k): v for k, v in data.items()}
        out = {k: v for k, v in given.items() if v is not None or k in _REQUIRED}
        tempo = out.get("tempo")
        tempo_is_meter = tempo is None or is_meter_like(tempo)
        bpm_names = ("bpm",) if tempo_is_meter else ("bpm", "tempo")
        meter_names = (*_METER_NAMES, "tempo") if tempo_is_meter else _METER_NAMES
        for names, convert in (
            (_COLOR_NAMES, to_color),
            (bpm_names, to_bpm),
            (meter_names, to_meter),
        ):
            out = _gather(out, names, convert)
        return out

    @property
    def slug(self) -> str:
        """A safe folder name from the title (see :func:`slugify`)."""
        return slugify(self.title)


def _gather(
    data: dict[str, Any], names: Sequence[str], convert: Callable[[object], object]
) -> dict[str, Any]:
    """``data`` with the field given under any of ``names`` stored under ``names[0]`` (the
    others removed); each given value is checked under the name it was written with, and two
    that differ are refused."""
    present = [n for n in names if data.get(n) is not None]
    if not present:
        return data
    parsed = []
    for name in present:
        try:
            parsed.append(convert(data[name]))
        except PydanticCustomError as exc:
            ctx = exc.context or {}
            allowed = str(ctx.get("allowed", FIELD_HELP[name]))
            if name == "tempo" and convert is to_bpm:  # neither a meter nor a number
                allowed = TEMPO_HELP
            raise invalid(data[name], allowed, name) from None
    first = present[0]
    for name, value in zip(present[1:], parsed[1:], strict=True):
        if value != parsed[0]:
            allowed = f"the same as {first} ({data[first]!r}), or leave one of them out"
            raise invalid(data[name], allowed, name)
    out = {k: v for k, v in data.items() if k not in names}
    out[names[0]] = data[first]
    return out


def slugify(title: str, max_len: int = SLUG_MAX_LEN) -> str:
    """Lower-case ASCII ``[a-z0-9-]`` with single dashes, at most ``max_len`` characters, never
    empty (``"song"``), so no title can name a path outside the run directory."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    return slug or "song"


# ---- dict and file I/O ----------------------------------------------------------------------


def proposal_from_dict(
    data: Mapping[str, Any], *, file: Path | str | None = None, where: Sequence[str | int] = ()
) -> Proposal:
    """Validate a mapping in either format. Raises ProposalError (naming ``file`` if given,
    and fields under ``where``, e.g. ``("iterations", 2)``)."""
    if not isinstance(data, Mapping):
        allowed = "a mapping of fields (title, concept, color, key, bpm, ...)"
        field = dotted(list(where)) or "proposal"
        raise ProposalError(file=file, field=field, value=shown(data), allowed=allowed)
    try:
        return Proposal.model_validate(data)
    except ValidationError as exc:
        raise to_proposal_error(exc, file, where) from None


def proposal_to_dict(proposal: Proposal) -> dict[str, Any]:
    """The normalised proposal as plain JSON/YAML-safe data in this project's format
    (``key: 'F# minor'``, ``time_signature: '7/8'``, canonical color name)."""
    data: dict[str, Any] = proposal.model_dump(mode="json", by_alias=True)
    data["evolution"] = {k: v for k, v in data["evolution"].items() if v is not None}
    for optional in ("kit", "render"):
        if data.get(optional) is None:
            data.pop(optional, None)
    if float(proposal.bpm).is_integer():
        data["bpm"] = int(proposal.bpm)
    return data


def dump_proposal(
    proposal: Proposal, path: Path, *, shown: Mapping[str, Any] | None = None
) -> Path:
    """Write the normalised proposal as YAML, atomically (temp file + rename); multi-line
    text (concept, lyrics) as literal blocks unless it holds characters a block cannot escape.
    ``shown``: derived fields written after the proposal's own for a person to read (the run's
    copy shows ``mood_target``); reading the file back ignores them."""

    def block(v: Any) -> Any:
        lines = v.split("\n") if isinstance(v, str) else []
        return LiteralScalarString(v) if len(lines) > 1 and all(map(str.isprintable, lines)) else v

    data = {k: block(v) for k, v in proposal_to_dict(proposal).items()}
    data.update(shown or {})
    return write_yaml_atomic(Path(path), data)


def _yaml_error(path: Path, exc: YAMLError) -> ProposalError:
    mark = exc.problem_mark if isinstance(exc, MarkedYAMLError) else None
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    allowed = "valid YAML (check indentation, quotes and ':' after each field name)"
    return ProposalError(file=path, field="yaml", value=f"{where}{problem}", allowed=allowed)


def _read_yaml(path: Path) -> Any:
    """The file's YAML data, read bounded (:mod:`agents.yaml_limits`): one ProposalError for a
    missing, unreadable, oversized, non-UTF-8, invalid, exploding or empty file."""
    try:
        text = read_text_limited(path, max_bytes=PROPOSAL_MAX_BYTES)
        check_yaml_structure(text, max_nodes=PROPOSAL_MAX_NODES)
        data = YAML(typ="safe", pure=True).load(text)
    except YamlLimitError as exc:
        raise ProposalError(
            file=path, field=exc.field, value=exc.shown, allowed=exc.allowed
        ) from None
    except YAMLError as exc:
        raise _yaml_error(path, exc) from None
    except UnicodeDecodeError as exc:
        value = f"byte {exc.start}: {exc.object[exc.start : exc.start + 4]!r}"
        raise ProposalError(file=path, field="file", value=value, allowed="UTF-8 text") from None
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        allowed = "an existing YAML file" if missing else f"a readable YAML file ({exc.strerror})"
        raise ProposalError(file=path, field="file", value=str(path), allowed=allowed) from None
    if data is None:
        allowed = "a YAML mapping with at least title, concept, color, key and bpm"
        raise ProposalError(file=path, field="file", value=Shown("<empty>"), allowed=allowed)
    return data


@dataclass(frozen=True, slots=True)
class ProposalFile:
    """The iterations of one proposal file, not yet validated: a plain proposal is one, a
    ``SongProposal`` (``iterations: [...]``) holds several. Fields beside ``iterations`` apply
    to every iteration that does not set them (e.g. an ``evolution`` block for all).

    Attributes:
        path: the file.
        iterations: each iteration's fields.
        nested: True when the file holds ``iterations`` (errors then name
            ``iterations[i].field``).
    """

    path: Path
    iterations: tuple[Mapping[str, Any], ...]
    nested: bool = False

    @property
    def ids(self) -> tuple[str, ...]:
        """Each iteration's ``iteration_id``, or its number (``"2"``) when it has none."""
        return tuple(
            str(it["iteration_id"]) if it.get("iteration_id") is not None else str(i + 1)
            for i, it in enumerate(self.iterations)
        )

    def select(self, iteration: str | None = None) -> int:
        """The index of iteration ``iteration`` (an id, or a number 1..n); without one, the
        last with ``is_final: true``, else the last. Raises ProposalError listing the ids."""
        if iteration is None:
            finals = [i for i, it in enumerate(self.iterations) if it.get("is_final") is True]
            return finals[-1] if finals else len(self.iterations) - 1
        ids = self.ids
        if iteration in ids:
            return ids.index(iteration)
        if iteration.isdigit() and 1 <= int(iteration) <= len(ids):
            return int(iteration) - 1
        allowed = f"an iteration of this file: {', '.join(ids)} (or a number 1..{len(ids)})"
        raise ProposalError(file=self.path, field="--iteration", value=iteration, allowed=allowed)

    def proposal(self, index: int) -> Proposal:
        """Iteration ``index`` validated. Raises ProposalError naming the file and field."""
        where: tuple[str | int, ...] = ("iterations", index) if self.nested else ()
        proposal = proposal_from_dict(self.iterations[index], file=self.path, where=where)
        kit = proposal.kit
        if kit is not None and not Path(kit.path).is_absolute():
            # A kit folder is named relative to the proposal file; the run keeps it absolute.
            full = str((self.path.parent / kit.path).resolve())
            proposal = proposal.model_copy(update={"kit": KitChoice(full, kit.pick)})
        timbre = proposal.render.melody_timbre if proposal.render else None
        if timbre is not None and timbre.lower() not in SHIPPED and not Path(timbre).is_absolute():
            # So is a timbre file (a shipped timbre's name stays a name).
            full = str((self.path.parent / Path(timbre).expanduser()).resolve())
            proposal = proposal.model_copy(update={"render": RenderChoice(full)})
        return proposal

    def run_name(self, index: int, proposal: Proposal) -> str:
        """The run folder's name: the title's slug, or for an iteration of a file with several,
        the slug of title and iteration id (the id alone when it starts with the title)."""
        if len(self.iterations) == 1:
            return proposal.slug
        ident = slugify(self.ids[index])
        if ident == proposal.slug or ident.startswith(proposal.slug + "-"):
            return ident
        return slugify(f"{proposal.title} {self.ids[index]}")


def _check_iteration(path: Path, index: int, entry: object) -> None:
    if not isinstance(entry, Mapping):
        allowed = "a mapping of fields (iteration_id, bpm, tempo, key, rainbow_color, ...)"
        raise ProposalError(
            file=path, field=f"iterations[{index}]", value=shown(entry), allowed=allowed
        )
    final = entry.get("is_final")
    if final is not None and not isinstance(final, bool):
        raise ProposalError(
            file=path,
            field=f"iterations[{index}].is_final",
            value=shown(final),
            allowed="true or false",
        )


def read_proposal_file(path: Path) -> ProposalFile:
    """Read a proposal file (either format, one proposal or a ``SongProposal`` of
    ``iterations``). Raises one ProposalError for a bad file, a bad ``iterations`` list, a
    non-boolean ``is_final`` or two iterations sharing an ``iteration_id``; the fields of each
    iteration are validated by :meth:`ProposalFile.proposal`."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        proposal_from_dict(data, file=path)  # raises: the top level must be a mapping
    if "iterations" not in data:
        _check_iteration(path, 0, data)
        return ProposalFile(path=path, iterations=(data,))
    entries = data["iterations"]
    if not isinstance(entries, list) or not entries:
        allowed = "a non-empty list of song proposal iterations (mappings)"
        raise ProposalError(file=path, field="iterations", value=shown(entries), allowed=allowed)
    shared = {str(k): v for k, v in data.items() if k != "iterations"}
    for i, entry in enumerate(entries):
        _check_iteration(path, i, entry)
    found = ProposalFile(
        path=path,
        iterations=tuple({**shared, **{str(k): v for k, v in e.items()}} for e in entries),
        nested=True,
    )
    first_of: dict[str, int] = {}
    for i, ident in enumerate(found.ids):
        if ident in first_of:
            raise ProposalError(
                file=path,
                field=f"iterations[{i}].iteration_id",
                value=ident,
                allowed=f"an id no other iteration has (iterations[{first_of[ident]}] has it)",
            )
        first_of[ident] = i
    return found


def load_proposal(path: Path, *, iteration: str | None = None) -> Proposal:
    """Read and validate a proposal YAML file (either format); from a file of several
    iterations, iteration ``iteration`` (see :meth:`ProposalFile.select`).

    Raises exactly one ProposalError for any problem: a missing, unreadable or oversized file,
    empty, invalid or alias-exploding YAML (with the line), a top level that is not a mapping,
    an unknown iteration, or a bad field.
    """
    found = read_proposal_file(path)
    return found.proposal(found.select(iteration))
