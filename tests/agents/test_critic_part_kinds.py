"""Every phase tells the critic what kind of part its candidates are, so a model with a
reference bank per part kind standardises a bass line against real bass lines: the four real
phases (real generators, the shipped critic) run with a song scorer that records each call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.form import make_form
from agents.phases.bass import run_bass_phase
from agents.phases.chords import run_chords_phase
from agents.phases.common import promote
from agents.phases.drums import run_drums_phase
from agents.phases.melody import run_melody_phase
from agents.proposal import proposal_from_dict
from agents.rundir import RunDir
from evolution.fitness.chromatic import SongChromaticScorer
from music.notes import Part
from scoring.composite import ChromaticScore
from scoring.note_arrays import NoteTable

SONG: dict[str, Any] = {
    "title": "Kinds Song",
    "concept": "A lamp left burning in an empty house, waiting for someone to return.",
    "color": "Blue",
    "key": "A minor",
    "bpm": 90,
    "time_signature": "4/4",
    "sections": [{"name": "verse", "bars": 4}],
    "evolution": {"population_size": 8, "generations": 1, "top_n": 2},
    "seed": 3,
}


@dataclass(frozen=True, slots=True)
class _Recording(SongChromaticScorer):
    """The song's scorer, noting the kind it is asked to score each batch as."""

    kinds: list[str | None] = field(default_factory=list, compare=False)

    def chromatic(
        self,
        candidates: Sequence[Sequence[Part]],
        *,
        underneath: Sequence[Part] = (),
        kind: str | None = None,
    ) -> list[ChromaticScore]:
        self.kinds.append(kind)
        return SongChromaticScorer.chromatic(self, candidates, underneath=underneath, kind=kind)

    def chromatic_table(
        self, table: NoteTable, *, underneath: Sequence[Part] = (), kind: str | None = None
    ) -> list[ChromaticScore]:
        self.kinds.append(kind)
        return SongChromaticScorer.chromatic_table(self, table, underneath=underneath, kind=kind)


def test_every_phase_scores_its_candidates_as_its_own_kind_of_part(tmp_path: Path) -> None:
    proposal = proposal_from_dict(SONG)
    form = make_form(sections=[("verse", 4)], meter=proposal.meter, bpm=proposal.bpm)
    run = RunDir(tmp_path / "song")
    seen: dict[str, list[str | None]] = {}
    for phase, run_phase in (
        ("chords", run_chords_phase),
        ("drums", run_drums_phase),
        ("bass", run_bass_phase),
        ("melody", run_melody_phase),
    ):
        scorer = _Recording(
            concept=proposal.concept, color=proposal.color, bpm=proposal.bpm, meter=proposal.meter
        )
        state = run_phase(proposal=proposal, form=form, run=run, chromatic_scorer=scorer)
        if phase == "chords":
            approvals = {"verse": state["candidates"][0]}
        else:
            approvals = {k: v[0] for k, v in state["sections"].items()}
        promote(run=run, phase=phase, approvals=approvals)
        seen[phase] = scorer.kinds
    for phase, kinds in seen.items():
        assert kinds, f"{phase}: the critic was never asked"
        assert set(kinds) == {phase}, f"{phase}: scored as {set(kinds)}"
