"""review.yml: the human gate's file (DESIGN §4). Written atomically; edited by the
``approve``/``reject`` commands or by hand; validated before a run resumes.

A validation problem raises one :class:`ReviewError` naming the file, the candidate and field,
the bad value and what is allowed. Nothing is written when validation fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from agents.errors import ReviewError
from agents.fileio import write_yaml_atomic, yaml_round_trip
from agents.rundir import check_safe_name
from agents.yaml_limits import YamlLimitError, check_yaml_structure, read_text_limited

STATUSES = ("pending", "approved", "rejected")
# A review.yml of 10 candidates is ~30 KiB; these bound a hand-edited or planted one.
REVIEW_MAX_BYTES = 4 * 2**20
REVIEW_MAX_NODES = 1_000_000
HUMAN_FIELDS = ("label", "status", "notes")


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's verdict on one candidate."""

    candidate_id: str
    status: str
    label: str | None
    notes: str


def normalize_label(label: str) -> str:
    """A section label as the run names sections: trimmed and lower-case (``Verse`` is the
    section ``verse``, as proposal section names are lower-cased)."""
    return label.strip().lower()


def build_review(
    *, header: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The review.yml document: header fields, then one entry per candidate with the human
    fields ``label``, ``status`` (pending) and ``notes`` last."""
    entries = []
    for c in candidates:
        entry = dict(c)
        entry.setdefault("label", None)
        entry.setdefault("status", "pending")
        entry.setdefault("notes", "")
        entries.append(entry)
    return {**header, "candidates": entries}


def write_review(path: Path, document: Mapping[str, Any]) -> Path:
    return write_yaml_atomic(path, dict(document))


def load_review_document(path: Path) -> Any:
    """Read review.yml keeping comments (for edits), bounded in size and alias expansion
    (:mod:`agents.yaml_limits`). Raises ReviewError on a bad file."""
    if not path.is_file():
        raise ReviewError(
            file=path, field="file", value=str(path), allowed="an existing review.yml"
        )
    try:
        text = read_text_limited(path, max_bytes=REVIEW_MAX_BYTES)
        check_yaml_structure(text, max_nodes=REVIEW_MAX_NODES)
        doc = yaml_round_trip().load(text)
    except YamlLimitError as exc:
        raise ReviewError(
            file=path, field=exc.field, value=exc.shown, allowed=exc.allowed
        ) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        raise ReviewError(
            file=path, field=where, value=str(getattr(exc, "problem", exc)), allowed="valid YAML"
        ) from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("candidates"), list):
        raise ReviewError(
            file=path,
            field="candidates",
            value=type(doc).__name__,
            allowed="a mapping with a 'candidates' list (as written by chromatic)",
        )
    return doc


def validate_decisions(
    path: Path, doc: Mapping[str, Any], *, known_ids: Sequence[str]
) -> list[Decision]:
    """Check the file holds exactly the run's candidates (``known_ids``: none lost, renamed
    or invented), every value it shows (:func:`check_shown_values`) and every candidate's human
    fields; return the decisions in file order."""
    known = set(known_ids)
    seen: set[str] = set()
    decisions: list[Decision] = []
    approved_by_label: dict[str, str] = {}
    # Ids first (each a known one, once), then none lost, then each entry's values.
    for index, entry in enumerate(doc["candidates"]):
        if not isinstance(entry, Mapping):
            raise ReviewError(
                file=path,
                field=f"candidates[{index}]",
                value=entry,
                allowed="a mapping with id, label, status, notes",
            )
        cid = entry.get("id")
        if cid not in known:
            raise ReviewError(
                file=path,
                field=f"candidates[{index}].id",
                value=cid,
                allowed=f"one of the generated ids: {', '.join(sorted(known))}",
            )
        if cid in seen:
            raise ReviewError(
                file=path, field=f"candidates[{cid}].id", value=cid, allowed="each id once"
            )
        seen.add(cid)
    check_candidate_set(path, doc, known_ids=known_ids)
    for entry in doc["candidates"]:
        cid = entry["id"]
        check_shown_values(path, cid, entry, count=len(known))
        status = entry.get("status", "pending")
        if status not in STATUSES:
            raise ReviewError(
                file=path,
                field=f"candidates[{cid}].status",
                value=status,
                allowed=" | ".join(STATUSES),
            )
        label = entry.get("label")
        if label is not None and not isinstance(label, str):
            raise ReviewError(
                file=path,
                field=f"candidates[{cid}].label",
                value=label,
                allowed="a section name such as verse, chorus, bridge",
            )
        if label is not None:
            label = normalize_label(label) or None
        if label is not None:
            try:
                check_safe_name(label, what="label")
            except ValueError as exc:
                raise ReviewError(
                    file=path,
                    field=f"candidates[{cid}].label",
                    value=label,
                    allowed=str(exc).split(" -- ", 1)[-1],
                ) from exc
        if status == "approved":
            if label is None:
                raise ReviewError(
                    file=path,
                    field=f"candidates[{cid}].label",
                    value=label,
                    allowed="an approved candidate needs a section label (verse, chorus, ...)",
                )
            if label in approved_by_label:
                raise ReviewError(
                    file=path,
                    field=f"candidates[{cid}].label",
                    value=label,
                    allowed=(
                        f"a label not already approved: {approved_by_label[label]} is approved "
                        f"as {label!r}; two approved candidates may not share a label"
                    ),
                )
            approved_by_label[label] = cid
        notes = entry.get("notes") or ""
        decisions.append(Decision(candidate_id=cid, status=status, label=label, notes=str(notes)))
    return decisions


def check_candidate_set(path: Path, doc: Mapping[str, Any], *, known_ids: Sequence[str]) -> None:
    """review.yml lists every candidate the run made, and no other: a truncated file, or one
    whose ids were renamed, would otherwise lose candidates for good."""
    listed = [e.get("id") for e in doc["candidates"] if isinstance(e, Mapping)]
    missing = [cid for cid in known_ids if cid not in listed]
    unknown = [str(cid) for cid in listed if cid not in set(known_ids)]
    if not missing and not unknown:
        return
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(unknown)}")
    raise ReviewError(
        file=path,
        field="candidates",
        value="; ".join(problems),
        allowed=(
            f"exactly the {len(known_ids)} candidates this phase made "
            f"({', '.join(known_ids)}); edit only label, status and notes (a truncated or "
            "renamed file is refused so no candidate is lost)"
        ),
    )


def _number(path: Path, field: str, value: object, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ReviewError(
            file=path, field=field, value=value, allowed=f"a number from {low:g} to {high:g}"
        )
    return float(value)


def check_shown_values(path: Path, cid: str, entry: Mapping[str, Any], *, count: int) -> None:
    """The values ``chromatic review`` shows (rank, composite, theory scores, the chromatic
    distributions, confidence and match) are what chromatic wrote: numbers in range, a
    mapping of them, or null where no scorer ran. Raises ReviewError naming candidate and
    field."""
    where = f"candidates[{cid}]"
    rank = entry.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= count:
        raise ReviewError(
            file=path, field=f"{where}.rank", value=rank, allowed=f"a whole number 1..{count}"
        )
    scores = entry.get("scores")
    if not isinstance(scores, Mapping):
        raise ReviewError(
            file=path,
            field=f"{where}.scores",
            value=scores,
            allowed="a mapping with composite, theory and chromatic (as chromatic wrote it)",
        )
    _number(path, f"{where}.scores.composite", scores.get("composite"), low=0, high=1)
    theory = scores.get("theory")
    if not isinstance(theory, Mapping) or "total" not in theory:
        raise ReviewError(
            file=path,
            field=f"{where}.scores.theory",
            value=theory,
            allowed="a mapping of theory scores with a total",
        )
    for name, value in theory.items():
        _number(path, f"{where}.scores.theory.{name}", value, low=0, high=1)
    chromatic = scores.get("chromatic")
    if chromatic is None:
        return
    if not isinstance(chromatic, Mapping):
        raise ReviewError(
            file=path,
            field=f"{where}.scores.chromatic",
            value=chromatic,
            allowed="null (no scorer) or a mapping of axes, confidence and match",
        )
    for name in ("match", "confidence"):
        _number(path, f"{where}.scores.chromatic.{name}", chromatic.get(name), low=0, high=1)
    for axis, modes in chromatic.items():
        if axis in ("match", "confidence"):
            continue
        if not isinstance(modes, Mapping):
            raise ReviewError(
                file=path,
                field=f"{where}.scores.chromatic.{axis}",
                value=modes,
                allowed="a mapping of modes to probabilities",
            )
        for mode, value in modes.items():
            _number(path, f"{where}.scores.chromatic.{axis}.{mode}", value, low=0, high=1)


def ranking_notes(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(section, note)`` for each section of the header's ``ranking`` whose scores do not
    tell its candidates apart (``distinguishable: false``), in file order: what ``chromatic
    review`` and the review page say beside the ranks. A file without the field (written
    before it existed, or edited away) has none."""
    ranking = doc.get("ranking")
    if not isinstance(ranking, Mapping):
        return []
    out = []
    for section, entry in ranking.items():
        if isinstance(entry, Mapping) and entry.get("distinguishable") is False:
            note = entry.get("note")
            out.append((str(section), str(note) if note else "the scores barely differ"))
    return out


def read_decisions(path: Path, *, known_ids: Sequence[str]) -> list[Decision]:
    return validate_decisions(path, load_review_document(path), known_ids=known_ids)


def approved_labels(decisions: Sequence[Decision]) -> dict[str, str]:
    """``{label: candidate_id}`` of the approved candidates, in file order."""
    return {d.label: d.candidate_id for d in decisions if d.status == "approved" and d.label}


def set_decision(
    path: Path,
    *,
    candidate_id: str,
    status: str,
    label: str | None,
    notes: str | None,
    known_ids: Sequence[str],
    doc: Any = None,
) -> Decision:
    """Change one candidate's human fields, validate the whole file as it would then be, and
    write it atomically (the person's comments and other edits are kept). ``doc``: the file
    as :func:`load_review_document` just read it (read here when not given)."""
    doc = load_review_document(path) if doc is None else doc
    # The file must be valid before the edit, so an earlier typo is reported, not buried.
    validate_decisions(path, doc, known_ids=known_ids)
    decisions = edit_decision(
        path,
        doc,
        candidate_id=candidate_id,
        status=status,
        label=label,
        notes=notes,
        known_ids=known_ids,
    )
    write_yaml_atomic(path, doc)
    return next(d for d in decisions if d.candidate_id == candidate_id)


def edit_decision(
    path: Path,
    doc: Any,
    *,
    candidate_id: str,
    status: str,
    label: str | None,
    notes: str | None,
    known_ids: Sequence[str],
) -> list[Decision]:
    """Change one candidate's human fields in ``doc`` (review.yml as
    :func:`load_review_document` read it, already validated) and return the decisions of the
    whole document as it then is; writes nothing (several edits, then one write)."""
    target = next((e for e in doc["candidates"] if e.get("id") == candidate_id), None)
    if target is None:
        raise ReviewError(
            file=path,
            field="id",
            value=candidate_id,
            allowed=f"one of the ids in this review: {', '.join(sorted(known_ids))}",
        )
    target["status"] = status
    if label is not None:
        target["label"] = normalize_label(label)
    if notes is not None:
        target["notes"] = notes
    return validate_decisions(path, doc, known_ids=known_ids)
