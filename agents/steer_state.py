"""A person steering one section of a run, as the agent's state holds it (``steer``).

``chromatic regenerate RUN PHASE SECTION [--bars A-B]`` and ``chromatic import RUN PHASE
SECTION FILE.mid`` (:mod:`agents.steer`) record a :class:`Steer` in the run's checkpoint and
send the graph back to the steered phase (regenerate) or on from it (import). While it is set:

- the steered phase evolves only that section (only bars A-B of it with ``--bars``: the other
  bars keep the approved part's notes in every candidate) and stops at its gate as usual;
- every later phase that had approved a part for the run is *stale* for that section (its
  approved part was built on the old one): it re-evolves that section alone, over the new
  part, and stops at its gate again; a later phase not yet approved runs as usual;
- the render then assembles every section's approved parts, and the steer is cleared.

It is saved in the checkpoint, so a run killed anywhere in between resumes where it stopped.
An imported part is first written to ``<phase>/imported/<section>.json`` and ``.mid``, then
the steer recorded (``staged``), then copied into ``<phase>/approved/``; the first node to run
after the import copies it again (:func:`apply_import`) and clears ``staged``, so a kill
before the record leaves the approved part as it was, and one after it cannot lose the import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

from agents.phases.kept import KeptBars
from agents.rundir import RunDir, check_safe_name
from music.files import write_bytes_atomic

KINDS: Final = ("regenerate", "import")


@dataclass(frozen=True, slots=True)
class Steer:
    """What a person asked for (``kind``) on ``section`` of ``phase``; ``kept``: the bars that
    vary (regenerate ``--bars``); ``stale``: the later phases that re-evolve the section."""

    kind: Literal["regenerate", "import"]
    phase: str
    section: str
    kept: KeptBars | None = None
    stale: tuple[str, ...] = ()
    #: An imported part waits in ``<phase>/imported/`` to be copied into ``approved/``.
    staged: bool = False

    def sections_for(self, phase: str) -> list[str] | None:
        """The sections ``phase`` evolves while this steer holds (None: all of them)."""
        if (phase == self.phase and self.kind == "regenerate") or phase in self.stale:
            return [self.section]
        return None

    def kept_for(self, phase: str) -> KeptBars | None:
        return self.kept if phase == self.phase else None

    def note_for(self, phase: str) -> str | None:
        """What review.yml's header says about this steer at ``phase``'s gate (None: nothing)."""
        done = "regenerated" if self.kind == "regenerate" else "imported"
        if phase in self.stale:
            return (
                f"{self.section} only: the {phase} approved for it was built on the "
                f"{self.phase} {done} since, so it is stale; approve a new one "
                "(the other sections keep theirs)"
            )
        if phase != self.phase or self.kind != "regenerate":
            return None
        what = (
            f"{self.kept} (every candidate keeps the other bars of the approved {self.phase})"
            if self.kept is not None
            else f"{self.section} (all bars)"
        )
        after = f"; then {', '.join(self.stale)} re-evolve it" if self.stale else ""
        return f"regenerating {what}{after}"

    def to_state(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "phase": self.phase,
            "section": self.section,
            "kept": None if self.kept is None else self.kept.to_state(),
            "stale": list(self.stale),
            "staged": self.staged,
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any] | None) -> Steer | None:
        if not data:
            return None
        kind = str(data["kind"])
        if kind not in KINDS:
            raise ValueError(f"steer.kind: {kind!r} -- one of {', '.join(KINDS)}")
        return cls(
            kind="import" if kind == "import" else "regenerate",
            phase=str(data["phase"]),
            section=str(data["section"]),
            kept=KeptBars.from_state(data.get("kept")),
            stale=tuple(str(p) for p in data.get("stale") or ()),
            staged=bool(data.get("staged", False)),
        )


def staged_files(run: RunDir, phase: str, section: str) -> tuple[tuple[Path, Path], ...]:
    """``(staged, approved)`` paths of an imported part's JSON and MIDI."""
    folder = run.phase(phase) / "imported"
    return (
        (
            folder / f"{check_safe_name(section, what='section')}.json",
            run.approved_data(phase, section),
        ),
        (folder / f"{section}.mid", run.approved_midi(phase, section)),
    )


def apply_import(run: RunDir, steer: Steer | None) -> Steer | None:
    """Copy a staged import into ``<phase>/approved/`` (idempotent); the steer without
    ``staged``, or ``steer`` itself when nothing is staged."""
    if steer is None or not steer.staged:
        return steer
    for staged, approved in staged_files(run, steer.phase, steer.section):
        write_bytes_atomic(approved, staged.read_bytes())
    return replace(steer, staged=False)
