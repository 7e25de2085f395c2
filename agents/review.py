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

from agents.fileio import write_yaml_atomic, yaml_round_trip
from agents.rundir import check_safe_name
from agents.yaml_limits import YamlLimitError, check_yaml_structure, read_text_limited
from music.errors import ReviewError

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
    """Check every candidate's human fields; return the decisions in file order."""
    known = set(known_ids)
    seen: set[str] = set()
    decisions: list[Decision] = []
    approved_by_label: dict[str, str] = {}
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
) -> Decision:
    """Change one candidate's human fields, validate the whole file as it would then be, and
    write it atomically (the person's comments and other edits are kept)."""
    doc = load_review_document(path)
    # The file must be valid before the edit, so an earlier typo is reported, not buried.
    validate_decisions(path, doc, known_ids=known_ids)
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
    decisions = validate_decisions(path, doc, known_ids=known_ids)
    write_yaml_atomic(path, doc)
    return next(d for d in decisions if d.candidate_id == candidate_id)
