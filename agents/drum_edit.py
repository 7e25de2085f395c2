"""Editing an approved drum part (seed 001, step 6): ``chromatic edit RUN drums SECTION OP``.

The section's approved pattern (``drums/approved/<section>.json``, its genome, and
``<section>.mid``) is read, one operation of :mod:`generators.drums.editor` is applied, and
both files are written again atomically; the render (``chromatic render RUN``) and any later
phase then use the edited part. Before the first edit of a section its approved files are
copied to ``drums/edits/<section>/original.json`` and ``original.mid``, and every edit is
appended to ``drums/edits/<section>/log.json``; ``restore`` puts the original back.

Operations (:data:`OPS`): ``velocity`` (scale velocities by ``factor``), ``mute`` (drop roles
or voices), ``shift`` (move hits by ``steps`` and/or a ``fraction`` of a step), ``snap``
(quantise: pull micro-timing onto the grid by ``strength``), ``swing`` (the grid's swing
ratio, 0.5 straight), ``layers`` (progressive layers: the section's first third plays the core
only, its second core and accent, its last the whole pattern), ``show`` (print the pattern)
and ``restore``. ``velocity``, ``mute`` and ``shift`` take ``roles`` (core, accent, motion,
fill, texture) and ``voices`` (GM notes, or names such as ``kick``, ``closed hat``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from agents.errors import RunStateError
from agents.fileio import storage_errors
from agents.phases.approved import played_level
from agents.proposal import load_proposal
from agents.rundir import RunDir, check_safe_name
from agents.runlock import run_lock
from generators.drums.editor import (
    mute,
    progressive_layers,
    scale_velocity,
    set_swing,
    shift_timing,
    snap_to_grid,
)
from generators.drums.genome import DrumGenome
from generators.drums.genome import from_data as genome_from_dict
from generators.drums.genome import to_data as genome_to_dict
from generators.drums.grid import ROLES, VOICE_NAMES
from generators.drums.to_midi import drums_part
from music.dynamics import at_level
from music.errors import InputError
from music.files import write_bytes_atomic, write_text_atomic
from music.midi_io import Song, write_midi

PHASE: Final = "drums"
OPS: Final = ("velocity", "mute", "shift", "snap", "swing", "layers", "show", "restore")
#: The parameters each operation takes (all others are refused).
OP_PARAMS: Final[Mapping[str, frozenset[str]]] = {
    "velocity": frozenset({"factor", "roles", "voices"}),
    "mute": frozenset({"roles", "voices"}),
    "shift": frozenset({"steps", "fraction", "roles", "voices", "wrap"}),
    "snap": frozenset({"strength"}),
    "swing": frozenset({"swing"}),
    "layers": frozenset(),
    "show": frozenset(),
    "restore": frozenset(),
}
_VOICE_BY_NAME: Final = {name.replace(" ", "_"): v for v, name in VOICE_NAMES.items()}


@dataclass(frozen=True, slots=True)
class EditParams:
    """An edit's parameters (None: not given)."""

    factor: float | None = None
    roles: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()
    steps: int | None = None
    fraction: float | None = None
    wrap: bool | None = None
    strength: float | None = None
    swing: float | None = None

    def given(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("factor", "steps", "fraction", "wrap", "strength", "swing"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.roles:
            out["roles"] = list(self.roles)
        if self.voices:
            out["voices"] = list(self.voices)
        return out


@dataclass(frozen=True, slots=True)
class EditResult:
    """The pattern after the edit (``genome``), its display grid, and what was written."""

    section: str
    op: str
    genome: DrumGenome
    grid: Mapping[str, str]
    written: tuple[Path, ...] = field(default=())


def _bad(field_name: str, value: object, allowed: str) -> InputError:
    return InputError(file=None, field=field_name, value=value, allowed=allowed)


def _voices(names: Sequence[str]) -> list[int]:
    out = []
    for raw in names:
        key = str(raw).strip().lower().replace(" ", "_")
        if key.isdigit() and int(key) in VOICE_NAMES:
            out.append(int(key))
        elif key in _VOICE_BY_NAME:
            out.append(_VOICE_BY_NAME[key])
        else:
            allowed = ", ".join(sorted(_VOICE_BY_NAME)) + " (or their GM note numbers)"
            raise _bad("--voice", raw, allowed)
    return out


def _roles(names: Sequence[str]) -> list[str]:
    for r in names:
        if r not in ROLES:
            raise _bad("--role", r, f"one of {', '.join(ROLES)}")
    return list(names)


def _finite(name: str, value: float | None, lo: float, hi: float, what: str) -> float:
    if value is None or not (math.isfinite(value) and lo <= value <= hi):
        raise _bad(name, value, what)
    return float(value)


def layered(genome: DrumGenome) -> DrumGenome:
    """Progressive layers over the section: its first third of bars core only, the second
    core and accent, the rest the whole pattern (a one- or two-bar section builds up as far
    as its bars go)."""
    core, core_accent, full = progressive_layers(genome)
    bars = genome.bars
    first = max(1, round(bars / 3)) if bars >= 2 else 0
    second = max(first + 1, round(2 * bars / 3)) if bars >= 3 else first
    spb = genome.grid.steps_per_bar
    hits = [h for h in core.hits if h.step < first * spb]
    hits += [h for h in core_accent.hits if first * spb <= h.step < second * spb]
    hits += [h for h in full.hits if h.step >= second * spb]
    return genome.with_hits(hits)


def apply_op(genome: DrumGenome, op: str, params: EditParams) -> DrumGenome:
    """``op`` (one of :data:`OPS` that changes the pattern) applied to ``genome``. Raises
    InputError naming the option and what it allows."""
    extra = sorted(set(params.given()) - OP_PARAMS.get(op, frozenset()))
    if extra:
        allowed = ", ".join(f"--{p}" for p in sorted(OP_PARAMS[op])) or "no options"
        raise _bad(f"{op} --{extra[0]}", params.given()[extra[0]], f"{op} takes {allowed}")
    roles, voices = _roles(params.roles), _voices(params.voices)
    sel: dict[str, Any] = {"roles": roles or None, "voices": voices or None}
    if op == "velocity":
        factor = _finite("--factor", params.factor, 0.0, 8.0, "a velocity factor 0..8, e.g. 0.8")
        return scale_velocity(genome, factor, **sel)
    if op == "mute":
        if not roles and not voices:
            raise _bad("mute", "nothing chosen", "--role ROLE and/or --voice VOICE to mute")
        return mute(genome, **sel)
    if op == "shift":
        if params.steps is None and params.fraction is None:
            raise _bad("shift", "no amount", "--steps N and/or --fraction F (of a step)")
        fraction = _finite("--fraction", params.fraction or 0.0, -1.0, 1.0, "a fraction -1..1")
        wrap = True if params.wrap is None else params.wrap
        return shift_timing(genome, steps=params.steps or 0, fraction=fraction, wrap=wrap, **sel)
    if op == "snap":
        strength = 1.0 if params.strength is None else params.strength
        strength = _finite("--strength", strength, 0.0, 1.0, "a quantise strength in [0, 1]")
        return snap_to_grid(genome, keep_micro=False, strength=strength).playback()
    if op == "swing":
        ratio = _finite("--swing", params.swing, 0.5, 0.75, "a swing ratio 0.5 (straight)..0.75")
        try:
            return set_swing(genome, ratio)
        except ValueError as exc:
            raise _bad("--swing", ratio, str(exc).partition(" -- ")[2] or str(exc)) from None
    if op == "layers":
        return layered(genome)
    raise _bad("op", op, f"one of {', '.join(OPS)}")


def _edits_dir(run: RunDir, section: str) -> Path:
    return run.phase(PHASE) / "edits" / section


def edit_drums(
    run_dir: Path, section: str, op: str, params: EditParams | None = None
) -> EditResult:
    """Apply ``op`` to the drums approved for ``section`` of the run in ``run_dir`` (module
    docstring), holding the run's lock. Raises InputError (bad op, section or parameter) or
    RunStateError (no approved drums) before anything is written."""
    params = params or EditParams()
    if op not in OPS:
        raise _bad("op", op, f"one of {', '.join(OPS)}")
    run = RunDir(Path(run_dir)).require_existing()
    with storage_errors(run.root), run_lock(run.root, command="edit"):
        data_path = run.approved_data(PHASE, section) if _safe(section) else None
        approved = sorted(p.stem for p in run.approved(PHASE).glob("*.json"))
        if data_path is None or not data_path.is_file():
            if not approved:
                raise RunStateError(
                    f"{run.root}: no approved drums yet -- approve drum candidates and "
                    f"`chromatic resume {run.root}` first"
                )
            raise _bad("SECTION", section, f"a section with approved drums: {', '.join(approved)}")
        backup = _edits_dir(run, section)
        if op == "restore":
            return _restore(run, section, backup)
        genome = _read_genome(data_path)
        if op == "show":
            return EditResult(section, op, genome, _grid(genome))
        edited = apply_op(genome, op, params)
        proposal = load_proposal(run.proposal)
        if not (backup / "original.json").is_file():
            write_bytes_atomic(backup / "original.json", data_path.read_bytes())
            write_bytes_atomic(
                backup / "original.mid", run.approved_midi(PHASE, section).read_bytes()
            )
        log_path = backup / "log.json"
        log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else []
        log.append({"op": op, "params": params.given()})
        written = _write(
            run, section, edited, proposal.bpm, played_level(run, proposal, PHASE, section)
        )
        write_text_atomic(log_path, json.dumps(log, indent=2) + "\n")
        return EditResult(section, op, edited, _grid(edited), written)


def _safe(section: str) -> bool:
    try:
        check_safe_name(section, what="section")
    except ValueError:
        return False
    return True


def _read(path: Path) -> dict[str, Any]:
    """The approved candidate's data: ``{"section": ..., "genome": {...}}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        genome_from_dict(data["genome"])
    except (OSError, json.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
        raise RunStateError(f"{path}: unreadable drum pattern ({exc})") from None
    return dict(data)


def _read_genome(path: Path) -> DrumGenome:
    return genome_from_dict(_read(path)["genome"])


def _grid(genome: DrumGenome) -> dict[str, str]:
    from generators.drums.editor import display_grid

    return display_grid(genome)


def _write(
    run: RunDir, section: str, genome: DrumGenome, bpm: float, dynamic: float
) -> tuple[Path, ...]:
    """The pattern as the section's approved MIDI (as promotion writes it: one drum track
    named after the section, played at ``dynamic``) and genome JSON, each written
    atomically."""
    meter = genome.grid.meter
    part = at_level(drums_part(genome, meter, name=section), dynamic)
    midi = write_midi(Song(parts=(part,), bpm=bpm, meter=meter), run.approved_midi(PHASE, section))
    data = {**_read(run.approved_data(PHASE, section)), "genome": genome_to_dict(genome)}
    written = write_text_atomic(run.approved_data(PHASE, section), json.dumps(data) + "\n")
    return midi, written


def _restore(run: RunDir, section: str, backup: Path) -> EditResult:
    original = backup / "original.json"
    if not original.is_file():
        raise _bad("restore", section, "a section edited before (nothing to restore)")
    write_bytes_atomic(run.approved_midi(PHASE, section), (backup / "original.mid").read_bytes())
    write_bytes_atomic(run.approved_data(PHASE, section), original.read_bytes())
    genome = _read_genome(run.approved_data(PHASE, section))
    log_path = backup / "log.json"
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else []
    log.append({"op": "restore", "params": {}})
    write_text_atomic(log_path, json.dumps(log, indent=2) + "\n")
    return EditResult(
        section,
        "restore",
        genome,
        _grid(genome),
        (run.approved_midi(PHASE, section), run.approved_data(PHASE, section)),
    )
