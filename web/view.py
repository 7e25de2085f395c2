"""What the review page shows, read fresh from the run on every request: where the run stands
(its checkpoint), the gate's review.yml as it is on disk (a hand edit shows on reload), the
same validation ``chromatic review`` and ``resume`` apply (their error text, word for word),
and the parts approved at earlier gates."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.candidate_check import candidate_bars
from agents.decisions import check_review_ready
from agents.proposal import load_proposal
from agents.review import load_review_document, ranking_notes, validate_decisions
from agents.run_state import read_status
from agents.rundir import PHASES, RunDir
from music.errors import ChromaticError
from music.meter import Meter, bars_to_seconds

#: Description fields shown first, in this order (the rest follow as written).
HEADLINE = ("progression", "chords", "pattern", "style", "feel", "contour", "notes")


@dataclass(frozen=True, slots=True)
class Bar:
    """A named value in [0, 1] drawn as a small bar."""

    name: str
    value: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """One review.yml entry as the page shows it. ``preview``/``midi``: paths relative to the
    run folder; ``seconds``: the section's length (the picture's width, the preview without
    its release tail)."""

    id: str
    rank: int | None
    section: str | None
    status: str
    label: str
    notes: str
    composite: float | None
    theory_total: float | None
    theory: tuple[Bar, ...]
    chromatic: tuple[tuple[str, tuple[Bar, ...]], ...]
    match: float | None
    confidence: float | None
    description: tuple[tuple[str, str], ...]
    preview: str | None
    midi: str | None
    seconds: float | None


@dataclass(frozen=True, slots=True)
class ApprovedPart:
    """A part approved at an earlier gate: its phase, section label, candidate and preview."""

    phase: str
    label: str
    candidate_id: str
    preview: str | None


@dataclass(frozen=True, slots=True)
class GateView:
    """The page's content. ``status``: ``awaiting_review`` (then ``phase`` is the gate),
    ``done``, ``interrupted`` or ``not started``. ``error``: review.yml's validation error
    (as the CLI prints it), ``not_ready``: why ``continue`` would be refused (None: ready).
    ``ranking``: ``(section, note)`` where review.yml says the scores do not tell the
    section's candidates apart (the ranks there are noise)."""

    run_name: str
    title: str
    concept: str
    facts: tuple[tuple[str, str], ...]
    status: str
    phase: str | None
    candidates: tuple[Candidate, ...]
    ranking: tuple[tuple[str, str], ...]
    labels: tuple[str, ...]
    error: str | None
    not_ready: str | None
    approved: tuple[ApprovedPart, ...]
    finished: tuple[tuple[str, str], ...]
    review_stamp: str


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _bars(values: object) -> tuple[Bar, ...]:
    if not isinstance(values, Mapping):
        return ()
    return tuple(Bar(str(k), v) for k, raw in values.items() if (v := _number(raw)) is not None)


def _text(value: object) -> str | None:
    """A description value as one line, or None for one that does not read as a line."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Mapping):
        parts = [f"{k} {t}" for k, v in value.items() if (t := _text(v)) is not None]
        return " · ".join(parts) if parts else None
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(_text(v) or "" for v in value)
    return None


def describe(description: object) -> tuple[tuple[str, str], ...]:
    """A candidate's description as ``(field, text)`` lines, headline fields first."""
    if not isinstance(description, Mapping):
        return ()
    keys = [k for k in HEADLINE if k in description]
    keys += [k for k in description if k not in keys and k != "bars"]
    lines = ((str(k).replace("_", " "), _text(description[k])) for k in keys)
    return tuple((k, t) for k, t in lines if t)


def _candidate(entry: Mapping[str, Any], *, seconds: float | None) -> Candidate:
    scores = _mapping(entry.get("scores"))
    theory = _mapping(scores.get("theory"))
    chroma = _mapping(scores.get("chromatic"))
    axes = tuple(
        (str(axis), _bars(modes))
        for axis, modes in chroma.items()
        if axis not in ("match", "confidence") and isinstance(modes, Mapping)
    )
    rank = entry.get("rank")
    label = entry.get("label")
    preview = entry.get("preview")
    midi = entry.get("midi_file")
    return Candidate(
        id=str(entry.get("id")),
        rank=rank if isinstance(rank, int) and not isinstance(rank, bool) else None,
        section=str(entry["section"]) if entry.get("section") is not None else None,
        status=str(entry.get("status", "pending")),
        label=str(label) if label is not None else "",
        notes=str(entry.get("notes") or ""),
        composite=_number(scores.get("composite")),
        theory_total=_number(theory.get("total")),
        theory=tuple(b for b in _bars(theory) if b.name != "total"),
        chromatic=axes,
        match=_number(chroma.get("match")),
        confidence=_number(chroma.get("confidence")),
        description=describe(entry.get("description")),
        preview=str(preview) if isinstance(preview, str) else None,
        midi=str(midi) if isinstance(midi, str) else None,
        seconds=seconds,
    )


def review_stamp(run: RunDir, phase: str | None) -> str:
    """Changes whenever the gate's review.yml does (its size and modification time)."""
    if phase is None:
        return ""
    try:
        stat = run.review(phase).stat()
    except OSError:
        return "missing"
    return f"{stat.st_mtime_ns}-{stat.st_size}"


def _approved(run: RunDir, phases: Mapping[str, Any], gate: str | None) -> list[ApprovedPart]:
    out = []
    for phase in PHASES:
        info = phases.get(phase) or {}
        if phase == gate or not info.get("approvals"):
            continue
        for label, cid in info["approvals"].items():
            preview = run.preview(phase, cid)
            shown = run.relative(preview) if preview.is_file() else None
            out.append(ApprovedPart(phase, str(label), str(cid), shown))
    return out


def _finished(run: RunDir) -> list[tuple[str, str]]:
    files = [("master", run.mix_mp3)]
    if run.stems.is_dir():
        files += [(f"stem {p.stem}", p) for p in sorted(run.stems.glob("*.wav"))]
    return [(name, run.relative(p)) for name, p in files if p.is_file()]


def _song(run: RunDir) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """Title, concept and facts (key, tempo, meter, color, mood, genres) of the run's
    proposal.yml; the folder's name when it cannot be read (resume reports why)."""
    try:
        p = load_proposal(run.proposal)
    except ChromaticError:
        return run.root.name, "", ()
    facts = [
        ("key", str(p.key)),
        ("tempo", f"{p.bpm:g} bpm"),
        ("meter", str(p.meter)),
        ("color", str(p.color)),
        ("mood", ", ".join(p.mood)),
        ("genres", ", ".join(p.genres)),
    ]
    return p.title, p.concept, tuple((k, v) for k, v in facts if v)


@dataclass(frozen=True, slots=True)
class Gate:
    """A gate's review.yml as the page shows it, with its validation (see GateView)."""

    candidates: tuple[Candidate, ...]
    error: str | None
    not_ready: str | None
    ranking: tuple[tuple[str, str], ...] = ()


def read_gate(run: RunDir, phase: str, info: Mapping[str, Any], plan: Mapping[str, Any]) -> Gate:
    """Read and check the gate's review.yml as ``chromatic review`` and ``resume`` do."""
    ids = [str(i) for i in info.get("candidates", [])]
    path = run.review(phase)
    try:
        doc = load_review_document(path)
    except ChromaticError as exc:
        return Gate(candidates=(), error=str(exc), not_ready=str(exc))
    meter, bpm = Meter.parse(str(plan.get("meter", "4/4"))), float(plan.get("bpm", 120))
    candidates = []
    for entry in doc["candidates"]:
        if not isinstance(entry, Mapping) or entry.get("id") not in ids:
            continue
        bars = candidate_bars(plan, info, str(entry["id"])) if plan else None
        seconds = bars_to_seconds(meter, bars, bpm) if bars else None
        candidates.append(_candidate(entry, seconds=seconds))
    ranking = tuple(ranking_notes(doc))
    try:
        decisions = validate_decisions(path, doc, known_ids=ids)
    except ChromaticError as exc:
        return Gate(tuple(candidates), error=str(exc), not_ready=str(exc), ranking=ranking)
    try:
        check_review_ready(run, phase, ids, decisions)
    except ChromaticError as exc:
        return Gate(tuple(candidates), error=None, not_ready=str(exc), ranking=ranking)
    return Gate(tuple(candidates), error=None, not_ready=None, ranking=ranking)


class GateCache:
    """The last gate read, kept while its review.yml is unchanged (its stamp): the page polls
    for changes, and reading review.yml is the slow part."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str, str] | None = None
        self._gate: Gate | None = None

    def get(
        self, run: RunDir, phase: str, info: Mapping[str, Any], plan: Mapping[str, Any]
    ) -> Gate:
        key = (phase, review_stamp(run, phase), repr(info.get("candidates")))
        with self._lock:
            if key == self._key and self._gate is not None:
                return self._gate
        gate = read_gate(run, phase, info, plan)
        with self._lock:
            self._key, self._gate = key, gate
        return gate


def gate_view(run_dir: Path, *, cache: GateCache | None = None) -> GateView:
    """Read the page's content from the run. Raises RunStateError for a folder that is not a
    run; a review.yml that cannot be used is shown as its error, not raised."""
    run = RunDir(run_dir).require_existing()
    outcome, values = read_status(run.root)
    phase = outcome.phase if outcome.status == "awaiting_review" else None
    phases = values.get("phases") or {}
    plan = values.get("plan") or {}
    gate = Gate(candidates=(), error=None, not_ready=None)
    if phase is not None:
        info = phases.get(phase) or {}
        gate = (cache or GateCache()).get(run, phase, info, plan)
    title, concept, facts = _song(run)
    return GateView(
        run_name=run.root.name,
        title=title,
        concept=concept,
        facts=facts,
        status=outcome.status,
        phase=phase,
        candidates=gate.candidates,
        ranking=gate.ranking,
        labels=tuple(str(x) for x in plan.get("labels", [])),
        error=gate.error,
        not_ready=gate.not_ready,
        approved=tuple(_approved(run, phases, phase)),
        finished=tuple(_finished(run)) if outcome.status == "done" else (),
        review_stamp=review_stamp(run, phase),
    )


def labels_of(candidates: Sequence[Candidate], labels: Sequence[str]) -> list[str]:
    """Label choices: the plan's sections, then labels given to candidates."""
    out = list(labels)
    out += [c.label for c in candidates if c.label and c.label not in out]
    return out
