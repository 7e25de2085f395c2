"""Phases that run once per approved section (drums, bass, melody): one population per section
label, built on what was approved before; candidates ``<section>_NNN`` in one review.yml."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from agents.fileio import write_text_atomic
from agents.phases.common import (
    evolution_config,
    phase_rng,
    review_header,
    scores_entry,
    write_history,
)
from agents.phases.previews import PreviewWriter
from agents.proposal import Proposal
from agents.review import build_review, write_review
from agents.rundir import RunDir
from evolution.engine import EvolutionResult, GenerationStats, evolve
from evolution.executor import Executor, LocalExecutor
from evolution.operators import GenomeOps
from music.midi_io import Song, write_midi
from music.notes import Part
from scoring.composite import ScoreCard

G = TypeVar("G")


@dataclass(frozen=True)
class SectionSetup(Generic[G]):
    """Everything one section's evolution needs.

    ``to_song`` renders a genome as the candidate MIDI (the part alone, one section long);
    ``describe`` says in words what a musician hears; ``to_data`` saves the genome as JSON;
    ``underneath`` are the parts approved before this phase for the section (chords, drums,
    ...), heard under each candidate in its preview."""

    ops: GenomeOps[G]
    evaluate: Callable[[Sequence[G]], Sequence[ScoreCard]]
    to_song: Callable[[G], Song]
    describe: Callable[[G], dict[str, Any]]
    to_data: Callable[[G], Any]
    seeds: Sequence[G] = field(default_factory=tuple)
    underneath: Sequence[Part] = field(default_factory=tuple)


def run_sectioned_phase(
    *,
    phase: str,
    proposal: Proposal,
    run: RunDir,
    sections: Sequence[str],
    setup: Callable[[str], SectionSetup[Any]],
    executor: Executor | None = None,
    on_generation: Callable[[GenerationStats], None] | None = None,
    header_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Evolve one population per section, write candidates, evolution.json and review.yml.
    Returns the phase state: review path, candidate ids, and ids per section (rank order)."""
    config = evolution_config(proposal)
    results: dict[str, EvolutionResult[Any, ScoreCard]] = {}
    entries: list[dict[str, Any]] = []
    ids: list[str] = []
    by_section: dict[str, list[str]] = {}
    previews = PreviewWriter(run=run, phase=phase)
    for section in sections:
        s = setup(section)
        result = evolve(
            ops=s.ops,
            evaluate=s.evaluate,
            fitness=lambda card: card.fitness,
            config=config,
            rng=phase_rng(proposal.seed, phase, section),
            seeds=s.seeds,
            executor=executor or LocalExecutor(),
            on_generation=on_generation,
        )
        results[section] = result
        by_section[section] = []
        for rank, scored in enumerate(result.top, start=1):
            cid = f"{section}_{rank:03d}"
            song = s.to_song(scored.genome)
            write_midi(song, run.candidate_midi(phase, cid))
            write_text_atomic(
                run.candidate_data(phase, cid),
                json.dumps({"section": section, "genome": s.to_data(scored.genome)}) + "\n",
            )
            entries.append(
                {
                    "id": cid,
                    "section": section,
                    "midi_file": run.relative(run.candidate_midi(phase, cid)),
                    "preview": previews.write(
                        candidate_id=cid, candidate=song, underneath=s.underneath, section=section
                    ),
                    "rank": rank,
                    "scores": scores_entry(scored.score),
                    "description": s.describe(scored.genome),
                }
            )
            ids.append(cid)
            by_section[section].append(cid)
    header = review_header(
        phase=phase, proposal=proposal, config=config, results=results, extra=header_extra
    )
    write_review(run.review(phase), build_review(header=header, candidates=entries))
    write_history(run=run, phase=phase, results=results)
    return {
        "review": run.relative(run.review(phase)),
        "candidates": ids,
        "sections": by_section,
        "status": "review",
        "previews": previews.summary(),
    }
